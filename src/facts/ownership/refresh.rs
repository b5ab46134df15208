//! Obtaining ownership data in bulk: `fetch` refreshes the owners of every crates.io crate of
//! the graph, and `init`/`baseline` fill the baseline's owners and publishers from the cache,
//! asking the API only for what the cache lacks. Every answer is cached at once, so an
//! interrupted run keeps what it got and a re-run resumes.
//!
//! What could not be obtained is reported by cause, not by crate: one line for "answered HTTP
//! 500" whether it was 3 crates or 478. The API stops being asked when it cannot be reached
//! (or the HTTP client considers it down after repeated failures), and when it answers 404 for
//! `NOT_FOUND_STREAK` crates in a row: crates.io knows the crates of a lock file, so that is a
//! misconfigured API (`TRUSTCHECK_API_URL`), not hundreds of deleted crates. An isolated 404 is
//! a crate the registry does not have, reported but not a failure.

use std::collections::{BTreeMap, BTreeSet};

use super::ApiAccess;
use super::api::{ApiClient, ApiError};
use super::cache::{CachedCrate, FactSource, OwnershipCache, Stamped};
use crate::facts::index::is_valid_name;
use crate::load::baseline::{Baseline, CRATES_IO};
use crate::support::cache::{CacheError, unix_now};
use crate::support::http::HttpError;
use crate::support::progress::{Progress, ProgressMode};
use crate::support::text::{name_list, sanitize_terminal};

/// From how many requests on (seconds, at one per second) a refresh counts as long.
const LONG_FROM: usize = 5;

/// Crates answered 404 in a row after which the API is taken to be misconfigured.
pub const NOT_FOUND_STREAK: usize = 10;

/// How many crate names a problem line lists before "and N more".
const NAMES_LISTED: usize = 5;

/// Why one crate's data could not be obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The API answered with an error (or the name was refused before asking).
    Api(ApiError),
    /// The API answered 404 for this crate as for every crate around it: misconfigured.
    NotFoundStreak,
    /// The API was not asked: it had become unreachable or misconfigured before this crate.
    NotAsked,
}

/// What a bulk run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// The API's base URL.
    pub api: String,
    /// API requests made.
    pub requests: usize,
    /// Crates whose data was already fresh enough (skipped).
    pub skipped: usize,
    /// Crates whose data could not be obtained, with why, in the order met.
    pub failed: Vec<(String, Problem)>,
    /// Crates the registry does not have (an isolated HTTP 404): reported, not a failure.
    pub not_found: Vec<String>,
    /// Set when the API could not be reached at all (or is considered down), with the error
    /// that said so; later crates were not asked.
    pub unreachable: Option<ApiError>,
}

impl RefreshReport {
    /// Whether some data could not be obtained (an isolated 404 does not count).
    pub fn is_incomplete(&self) -> bool {
        !self.failed.is_empty() || self.unreachable.is_some()
    }
}

/// A fact the API answered just now.
pub(super) fn stamped<T>(value: T) -> Stamped<T> {
    Stamped {
        fetched_at: unix_now(),
        source: FactSource::Api,
        value,
    }
}

/// How asking the API about one crate ended.
enum Asked {
    /// The answer was cached.
    Cached,
    /// HTTP 404: the registry does not have the crate (or the API is misconfigured).
    NotFound,
    /// Any other failure.
    Failed(ApiError),
}

/// Caches the API's answer with `record`, or says how it failed.
fn ask<T>(
    answer: Result<T, ApiError>,
    record: impl FnOnce(Stamped<T>) -> Result<(), CacheError>,
) -> Result<Asked, CacheError> {
    Ok(match answer {
        Ok(data) => {
            record(stamped(data))?;
            Asked::Cached
        }
        Err(ApiError::NotFound(_)) => Asked::NotFound,
        Err(error) => Asked::Failed(error),
    })
}

/// A bulk run in progress: its report, the 404s in a row, and whether the API is still asked.
struct Run {
    report: RefreshReport,
    not_found: NotFoundRun,
    stopped: bool,
}

impl Run {
    fn new(api: String) -> Run {
        Run {
            report: RefreshReport {
                api,
                ..RefreshReport::default()
            },
            not_found: NotFoundRun::default(),
            stopped: false,
        }
    }

    /// Records how asking about `name` ended (`None`: nothing was asked).
    fn settle(&mut self, name: &str, asked: Option<Asked>) {
        match asked {
            // Nothing asked (all cached) breaks no run of 404s: only answers count.
            None => {}
            Some(Asked::Cached) => self.not_found.answered(&mut self.report),
            Some(Asked::NotFound) => self.stopped = self.not_found.not_found(name),
            Some(Asked::Failed(error)) => {
                self.not_found.answered(&mut self.report);
                if matches!(error, ApiError::Unreachable(_)) {
                    self.report.unreachable = Some(error.clone());
                    self.stopped = true;
                }
                self.report
                    .failed
                    .push((name.to_owned(), Problem::Api(error)));
            }
        }
    }

    /// Asks the API about one crate: its owners when `owners_due`, its versions when
    /// `versions_due` (not after the owners went unanswered), counting each request and
    /// ticking `progress`, then settles how it ended. Once the run stopped (or was
    /// interrupted), a crate with something due is not asked. Returns whether anything was
    /// asked, that is whether the crate's cache entry may have changed.
    fn ask_about(
        &mut self,
        name: &str,
        owners_due: bool,
        versions_due: bool,
        client: &ApiClient,
        cache: &OwnershipCache,
        progress: &Progress,
    ) -> Result<bool, CacheError> {
        if !owners_due && !versions_due {
            return Ok(false);
        }
        if self.stopped || crate::support::interrupt::requested() {
            self.skip(name, Problem::NotAsked);
            return Ok(false);
        }
        let mut asked = None;
        if owners_due {
            self.report.requests += 1;
            progress.tick();
            asked = Some(ask(client.owners(name), |owners| {
                cache.record_owners(name, owners)
            })?);
        }
        // A crate the API does not know, or failed on, is not asked for its versions too.
        if versions_due && matches!(asked, None | Some(Asked::Cached)) {
            self.report.requests += 1;
            progress.tick();
            asked = Some(ask(client.versions(name), |versions| {
                cache.record_versions(name, versions)
            })?);
        }
        self.settle(name, asked);
        Ok(true)
    }

    /// A crate refused before asking (its name), or not asked because the API was given up.
    fn skip(&mut self, name: &str, problem: Problem) {
        self.report.failed.push((name.to_owned(), problem));
    }

    fn finish(mut self) -> RefreshReport {
        let misconfigured = self.stopped && self.report.unreachable.is_none();
        self.not_found.finish(&mut self.report, misconfigured);
        self.report
    }
}

/// The problem of a name that is not a valid crate name (never put in a URL or a path).
fn invalid_name(name: &str) -> Problem {
    Problem::Api(ApiError::InvalidName(sanitize_terminal(name)))
}

/// Whether a cached fact is missing or, stamped in the future, untrustworthy.
fn due<T>(fact: Option<&Stamped<T>>, now: u64) -> bool {
    fact.is_none_or(|fact| fact.is_from_the_future(now))
}

/// Whether the cache lacks one of `versions`, or its versions are stamped in the future.
fn versions_due<'a>(
    cached: &CachedCrate,
    mut versions: impl Iterator<Item = &'a semver::Version>,
    now: u64,
) -> bool {
    match &cached.versions {
        None => true,
        Some(stamped) if stamped.is_from_the_future(now) => true,
        Some(stamped) => versions.any(|version| !stamped.value.contains_key(&version.to_string())),
    }
}

/// Counts 404s in a row; decides whether they are deleted crates or a misconfigured API.
#[derive(Default)]
struct NotFoundRun {
    current: Vec<String>,
    answered: bool,
}

impl NotFoundRun {
    /// A crate answered 404; true when the run is long enough to stop asking.
    fn not_found(&mut self, name: &str) -> bool {
        self.current.push(name.to_owned());
        self.current.len() >= NOT_FOUND_STREAK
    }

    /// A crate answered something else: the 404s so far were isolated.
    fn answered(&mut self, report: &mut RefreshReport) {
        self.answered = true;
        report.not_found.append(&mut self.current);
    }

    /// At the end (or when stopping): a streak, or 404s for every crate asked, are a failure.
    fn finish(mut self, report: &mut RefreshReport, stopped: bool) {
        if stopped || !self.answered {
            report.failed.extend(
                self.current
                    .drain(..)
                    .map(|name| (name, Problem::NotFoundStreak)),
            );
        } else {
            report.not_found.append(&mut self.current);
        }
    }
}

/// `fetch`: refreshes the owners of every crate in `crates` (crate name → locked versions), and
/// their versions' publishers when a locked version is not cached yet.
///
/// An interrupted or incomplete fetch resumes where it stopped: the cache remembers when it
/// started, and the next fetch skips the crates refreshed since then. A fetch that obtains
/// everything forgets that mark, so the next one refreshes everything again. Cached facts
/// stamped in the future are always refreshed.
pub fn refresh(
    crates: &BTreeMap<String, BTreeSet<semver::Version>>,
    cache: &OwnershipCache,
    client: &ApiClient,
    progress: ProgressMode,
) -> Result<RefreshReport, CacheError> {
    let now = unix_now();
    let mut run = Run::new(client.base().to_owned());
    // Resuming: what the interrupted fetch already refreshed is kept. A new fetch refreshes all.
    let resumed_since = cache.unfinished_fetch();
    if resumed_since.is_none() {
        cache.mark_fetch_started(now)?;
    }
    let mut todo: Vec<(&String, bool, bool)> = Vec::new();
    for (name, versions) in crates {
        if !is_valid_name(name) {
            run.skip(name, invalid_name(name));
            continue;
        }
        let cached = cache.load(name);
        let owners_due = match (resumed_since, &cached.owners) {
            (Some(since), Some(owners)) => owners.fetched_at < since || due(Some(owners), now),
            _ => true,
        };
        let versions_due = versions_due(&cached, versions.iter(), now);
        if owners_due || versions_due {
            todo.push((name, owners_due, versions_due));
        } else {
            run.report.skipped += 1;
        }
    }
    let progress = Progress::start(
        progress,
        "ownership",
        "crates.io requests",
        todo.iter()
            .map(|(_, a, b)| usize::from(*a) + usize::from(*b))
            .sum(),
        LONG_FROM,
        Some(client.requests_per_second()),
    );
    for (name, owners_due, versions_due) in todo {
        run.ask_about(name, owners_due, versions_due, client, cache, &progress)?;
    }
    let report = run.finish();
    if !report.is_incomplete() {
        cache.mark_fetch_finished();
    }
    Ok(report)
}

/// `init` and `baseline`: fills the owners and publishers of the baseline's crates.io crates
/// (only those in `only`, when given) from the cache, asking the API for what it lacks (or
/// what the cache holds with a stamp from the future). What cannot be obtained keeps what the
/// baseline had (nothing, for a new crate).
pub fn fill_baseline(
    baseline: &mut Baseline,
    only: Option<&BTreeSet<String>>,
    cache: &OwnershipCache,
    api: ApiAccess<'_>,
    progress: ProgressMode,
) -> Result<RefreshReport, CacheError> {
    let now = unix_now();
    let mut run = Run::new(match &api {
        ApiAccess::Online(client) => client.base().to_owned(),
        ApiAccess::Offline => String::new(),
    });
    // Each wanted crate with its cache entry, read once (none for a name that is not valid).
    let wanted: Vec<(String, Option<CachedCrate>)> = baseline
        .crates
        .keys()
        .filter(|(name, source)| source == CRATES_IO && only.is_none_or(|only| only.contains(name)))
        .map(|(name, _)| (name.clone(), is_valid_name(name).then(|| cache.load(name))))
        .collect();
    let (pending, rate) = match &api {
        // How many requests the cache leaves to make, for the progress bar.
        ApiAccess::Online(client) => (
            wanted
                .iter()
                .filter_map(|(_, cached)| cached.as_ref())
                .map(|cached| {
                    usize::from(due(cached.owners.as_ref(), now))
                        + usize::from(due(cached.versions.as_ref(), now))
                })
                .sum(),
            Some(client.requests_per_second()),
        ),
        ApiAccess::Offline => (0, None),
    };
    let progress = Progress::start(
        progress,
        "ownership",
        "crates.io requests",
        pending,
        LONG_FROM,
        rate,
    );
    // The names asked about so far, as the cache keys its entries (lower-cased): a name that
    // differs from one of them only in case shares its entry, which the answer changed.
    let mut asked: BTreeSet<String> = BTreeSet::new();
    for (name, cached) in wanted {
        let key = (name.clone(), CRATES_IO.to_owned());
        let Some(mut cached) = cached else {
            run.skip(&name, invalid_name(&name));
            continue;
        };
        let folded = name.to_ascii_lowercase();
        if asked.contains(&folded) {
            cached = cache.load(&name);
        }
        let owners_due = due(cached.owners.as_ref(), now);
        let versions_due = baseline.crates.get(&key).is_some_and(|record| {
            !record.versions.is_empty() && versions_due(&cached, record.versions.keys(), now)
        });
        if let ApiAccess::Online(client) = &api
            && run.ask_about(&name, owners_due, versions_due, client, cache, &progress)?
        {
            cached = cache.load(&name);
            asked.insert(folded);
        }
        let Some(record) = baseline.crates.get_mut(&key) else {
            continue;
        };
        if let Some(owners) = &cached.owners {
            let mut owners: Vec<crate::load::baseline::Owner> = owners
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
    Ok(run.finish())
}

/// The key and the words of a problem's cause, so that crates failing alike share a line.
fn cause(report: &RefreshReport, problem: &Problem) -> (String, String) {
    let api = format!("the crates.io API at {}", report.api);
    let streak = || {
        let count = report
            .failed
            .iter()
            .filter(|(_, problem)| *problem == Problem::NotFoundStreak)
            .count();
        let how_many = if report.failed.iter().any(|(_, p)| *p == Problem::NotAsked) {
            format!("{count} crates in a row")
        } else {
            "every crate asked".to_owned()
        };
        (
            "not-found".to_owned(),
            format!(
                "{api} answered HTTP 404 for {how_many}, which crates.io does not do for the crates of a lock file: is {} right?",
                super::api::API_URL_ENV
            ),
        )
    };
    let unreachable = |error: &ApiError| {
        let text = match error {
            ApiError::Unreachable(HttpError::HostDown { failures, last, .. }) => format!(
                "{api} failed {failures} requests in a row and was not asked again (the last failure: {last})"
            ),
            error => format!("{api} could not be reached ({error})"),
        };
        ("unreachable".to_owned(), text)
    };
    match problem {
        Problem::NotFoundStreak => streak(),
        Problem::NotAsked => match &report.unreachable {
            Some(error) => unreachable(error),
            None => streak(),
        },
        Problem::Api(error @ ApiError::Unreachable(_)) => unreachable(error),
        Problem::Api(ApiError::Status { status, .. }) => (
            format!("status {status}"),
            format!("{api} answered HTTP {status}"),
        ),
        Problem::Api(ApiError::Invalid { message, .. }) if message == "an empty body" => (
            "empty".to_owned(),
            format!("{api} answered HTTP 200 with an empty body"),
        ),
        Problem::Api(ApiError::Invalid { message, .. }) => (
            "invalid".to_owned(),
            format!("{api} answered something other than the JSON expected ({message})"),
        ),
        Problem::Api(ApiError::Failed(HttpError::RetryTooLate { seconds, .. })) => (
            "retry-after".to_owned(),
            format!("{api} asked to retry after {seconds} s, longer than this tool waits"),
        ),
        Problem::Api(ApiError::Failed(HttpError::TooLarge { limit, .. })) => (
            "too-large".to_owned(),
            format!("{api} answered with more than {limit} bytes"),
        ),
        Problem::Api(ApiError::InvalidName(_)) => (
            "invalid-name".to_owned(),
            "their names are not valid crate names, so they were not looked up".to_owned(),
        ),
        Problem::Api(error) => (error.to_string(), error.to_string()),
    }
}

/// Crate names for a line: all of a few, or "first: " the first ones "and N more".
fn list_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<String> = names.map(|name| sanitize_terminal(name)).collect();
    let list = name_list(&names, NAMES_LISTED);
    if names.len() > NAMES_LISTED {
        format!("first: {list}")
    } else {
        list
    }
}

/// One line per cause of what could not be obtained: "3 crates could not be refreshed: the
/// crates.io API at URL answered HTTP 500 (alpha, beta, gamma)". `verb` is "refreshed" or
/// "obtained". Crates the registry does not have (an isolated 404) get a line of their own.
pub fn problem_lines(report: &RefreshReport, verb: &str) -> Vec<String> {
    let mut groups: Vec<(String, String, Vec<&String>)> = Vec::new();
    for (name, problem) in &report.failed {
        let (key, text) = cause(report, problem);
        match groups.iter_mut().find(|(known, _, _)| *known == key) {
            Some((_, _, names)) => names.push(name),
            None => groups.push((key, text, vec![name])),
        }
    }
    let mut lines: Vec<String> = groups
        .into_iter()
        .map(|(_, text, names)| {
            format!(
                "{} crate{} could not be {verb}: {text} ({})",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                list_names(names.into_iter())
            )
        })
        .collect();
    if !report.not_found.is_empty() {
        lines.push(format!(
            "{} crate{} not on the registry at {} (HTTP 404): {}",
            report.not_found.len(),
            if report.not_found.len() == 1 {
                " is"
            } else {
                "s are"
            },
            report.api,
            list_names(report.not_found.iter())
        ));
    }
    lines
}

/// What `fetch` tells about an ownership refresh: failures (any crate left unrefreshed: the
/// run exits 2) and warnings (crates the registry does not have), one line per cause.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchProblems {
    /// Why the refresh is incomplete, one line per cause, then how to resume.
    pub failures: Vec<String>,
    /// What is worth knowing but complete (isolated 404s).
    pub warnings: Vec<String>,
}

/// The lines `fetch` prints for an ownership refresh (each starting with `ownership: `).
pub fn fetch_problems(report: &RefreshReport) -> FetchProblems {
    let lines: Vec<String> = problem_lines(report, "refreshed")
        .into_iter()
        .map(|line| format!("ownership: {line}"))
        .collect();
    if report.is_incomplete() {
        let mut failures = lines;
        failures.push(
            "ownership: what was fetched is kept; run `cargo trustcheck fetch` again to resume"
                .to_owned(),
        );
        FetchProblems {
            failures,
            warnings: Vec::new(),
        }
    } else {
        FetchProblems {
            failures: Vec::new(),
            warnings: lines,
        }
    }
}

/// What a bulk run for the baseline could not do, one line per cause, if anything.
pub fn describe_problems(report: &RefreshReport) -> Vec<String> {
    let mut problems: Vec<String> = problem_lines(report, "obtained")
        .into_iter()
        .map(|line| format!("ownership: {line}"))
        .collect();
    if report.unreachable.is_some() {
        problems.push(
            "ownership data is incomplete; for a large graph, `cargo trustcheck fetch --db-dump PATH` reads the crates.io database dump instead of the API".to_owned(),
        );
    }
    problems
}

#[cfg(test)]
mod tests;
