//! Obtaining ownership data in bulk: `fetch` refreshes the owners of every crates.io crate of
//! the graph, and `init`/`baseline` fill the baseline's owners and publishers from the cache,
//! asking the API only for what the cache lacks. Every answer is cached at once, so an
//! interrupted run keeps what it got and a re-run resumes.

use std::collections::{BTreeMap, BTreeSet};

use super::api::{ApiClient, ApiError};
use super::cache::{FactSource, OwnershipCache, Stamped};
use super::check::ApiAccess;
use crate::baseline::{Baseline, CRATES_IO};
use crate::cache::{CacheError, unix_now};

/// What a bulk run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// API requests made.
    pub requests: usize,
    /// Crates whose data was already fresh enough (skipped).
    pub skipped: usize,
    /// Crates (or versions) whose data could not be obtained, with why.
    pub failed: Vec<(String, String)>,
    /// Set when the API could not be reached at all; later crates were not asked.
    pub unreachable: Option<String>,
}

/// A progress bar on stderr when many requests are coming and a person is watching.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: usize, what: &str) -> Progress {
        if total < 3 || !crate::index::fetch::progress_allowed() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
            "{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {what} ({{elapsed}}, ~{{eta}} left)"
        )) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix("Fetching");
        Progress(Some(bar))
    }

    fn tick(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn stamped<T>(value: T) -> Stamped<T> {
    Stamped {
        fetched_at: unix_now(),
        source: FactSource::Api,
        value,
    }
}

/// Records an API failure; returns false when the API is unreachable (stop asking).
fn failed(report: &mut RefreshReport, name: &str, error: ApiError) -> bool {
    match error {
        ApiError::Unreachable(error) => {
            report.unreachable = Some(error.to_string());
            false
        }
        other => {
            report.failed.push((name.to_owned(), other.to_string()));
            true
        }
    }
}

/// `fetch`: refreshes the owners of every crate in `crates` (crate name → locked versions), and
/// their versions' publishers when a locked version is not cached yet.
///
/// An interrupted fetch resumes where it stopped: the cache remembers when an unfinished fetch
/// started, and the next fetch skips the crates refreshed since then. A fetch that completes
/// forgets that mark, so the next one refreshes everything again.
pub fn refresh(
    crates: &BTreeMap<String, BTreeSet<semver::Version>>,
    cache: &OwnershipCache,
    client: &ApiClient,
) -> Result<RefreshReport, CacheError> {
    let mut report = RefreshReport::default();
    // Resuming: what the interrupted fetch already refreshed is kept. A new fetch refreshes all.
    let resumed_since = cache.unfinished_fetch();
    if resumed_since.is_none() {
        cache.mark_fetch_started(unix_now())?;
    }
    let mut todo: Vec<(&String, bool, bool)> = Vec::new();
    for (name, versions) in crates {
        let cached = cache.load(name);
        let owners_due = match (resumed_since, &cached.owners) {
            (Some(since), Some(owners)) => owners.fetched_at < since,
            _ => true,
        };
        let versions_due = versions.iter().any(|version| {
            cached
                .versions
                .as_ref()
                .is_none_or(|cached| !cached.value.contains_key(&version.to_string()))
        });
        if owners_due || versions_due {
            todo.push((name, owners_due, versions_due));
        } else {
            report.skipped += 1;
        }
    }
    let progress = Progress::new(
        todo.iter()
            .map(|(_, a, b)| usize::from(*a) + usize::from(*b))
            .sum(),
        "crates.io requests",
    );
    for (name, owners_due, versions_due) in todo {
        if owners_due {
            report.requests += 1;
            progress.tick();
            match client.owners(name) {
                Ok(owners) => cache.record_owners(name, stamped(owners))?,
                Err(error) => {
                    if !failed(&mut report, name, error) {
                        return Ok(report);
                    }
                }
            }
        }
        if versions_due {
            report.requests += 1;
            progress.tick();
            match client.versions(name) {
                Ok(versions) => cache.record_versions(name, stamped(versions))?,
                Err(error) => {
                    if !failed(&mut report, name, error) {
                        return Ok(report);
                    }
                }
            }
        }
    }
    cache.mark_fetch_finished();
    Ok(report)
}

/// `init` and `baseline`: fills the owners and publishers of the baseline's crates.io crates
/// (only those in `only`, when given) from the cache, asking the API for what it lacks.
/// What cannot be obtained keeps what the baseline had (nothing, for a new crate).
pub fn fill_baseline(
    baseline: &mut Baseline,
    only: Option<&BTreeSet<String>>,
    cache: &OwnershipCache,
    api: ApiAccess<'_>,
) -> Result<RefreshReport, CacheError> {
    let mut report = RefreshReport::default();
    let wanted: Vec<String> = baseline
        .crates
        .keys()
        .filter(|(name, source)| source == CRATES_IO && only.is_none_or(|only| only.contains(name)))
        .map(|(name, _)| name.clone())
        .collect();
    // How many requests the cache leaves to make, for the progress bar.
    let pending: usize = wanted
        .iter()
        .map(|name| {
            let cached = cache.load(name);
            usize::from(cached.owners.is_none()) + usize::from(cached.versions.is_none())
        })
        .sum();
    let progress = Progress::new(
        if matches!(api, ApiAccess::Online(_)) {
            pending
        } else {
            0
        },
        "crates.io requests",
    );
    for name in wanted {
        let mut cached = cache.load(&name);
        let client = match (&api, &report.unreachable) {
            (ApiAccess::Online(client), None) => Some(*client),
            _ => None,
        };
        if cached.owners.is_none()
            && let Some(client) = client
        {
            report.requests += 1;
            progress.tick();
            match client.owners(&name) {
                Ok(owners) => {
                    cache.record_owners(&name, stamped(owners))?;
                    cached = cache.load(&name);
                }
                Err(error) => {
                    failed(&mut report, &name, error);
                }
            }
        }
        let key = (name.clone(), CRATES_IO.to_owned());
        let needs_versions = baseline.crates.get(&key).is_some_and(|record| {
            record.versions.keys().any(|version| {
                cached
                    .versions
                    .as_ref()
                    .is_none_or(|cached| !cached.value.contains_key(&version.to_string()))
            })
        });
        if needs_versions
            && report.unreachable.is_none()
            && let ApiAccess::Online(client) = &api
        {
            report.requests += 1;
            progress.tick();
            match client.versions(&name) {
                Ok(versions) => {
                    cache.record_versions(&name, stamped(versions))?;
                    cached = cache.load(&name);
                }
                Err(error) => {
                    failed(&mut report, &name, error);
                }
            }
        }
        let Some(record) = baseline.crates.get_mut(&key) else {
            continue;
        };
        if let Some(owners) = &cached.owners {
            let mut owners: Vec<crate::baseline::Owner> = owners
                .value
                .iter()
                .map(super::OwnerRecord::to_owner)
                .collect();
            owners.sort_by(|a, b| (&a.login, a.id).cmp(&(&b.login, b.id)));
            owners.dedup();
            record.owners = Some(owners);
        }
        for (version, version_record) in record.versions.iter_mut() {
            if let Some(info) = cached
                .versions
                .as_ref()
                .and_then(|versions| versions.value.get(&version.to_string()))
                && info.published_by.is_some()
            {
                version_record.published_by = info.published_by.clone();
            }
        }
    }
    Ok(report)
}

/// One line saying what a bulk run could not do, if anything.
pub fn describe_problems(report: &RefreshReport) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(reason) = &report.unreachable {
        problems.push(format!(
            "the crates.io API could not be reached ({reason}); ownership data is incomplete (for a large graph, `cargo trustcheck fetch --db-dump PATH` reads the crates.io database dump instead)"
        ));
    }
    for (name, why) in &report.failed {
        problems.push(format!("ownership of `{name}`: {why}"));
    }
    problems
}
