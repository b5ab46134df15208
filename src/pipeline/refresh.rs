//! Refreshing the caches, for `fetch` (and the ownership a new baseline records, for `init` and
//! `baseline`): the advisory database, the index entries, the ownership data and the crate
//! facts of a workspace, each step reported in a line, what could not be refreshed said once
//! per cause.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use super::RunOptions;
use super::facts::{obtain_index, obtain_neighbours, unless_interrupted};
use crate::error::Error;
use crate::facts::advisories::{self};
use crate::facts::ownership::access::OwnershipAccess;
use crate::load::baseline::Baseline;
use crate::load::workspace::Workspace;
use crate::support::cache::{CacheDir, Refresh};
use crate::support::network::Network;
use crate::support::progress::ProgressMode;

/// What `fetch` did: one line per step, warnings, and what it could not refresh.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// One line per step.
    pub steps: Vec<String>,
    /// What a later `check` will report as `unchecked` or older data.
    pub warnings: Vec<String>,
    /// What could not be refreshed, one line per cause (`fetch` then exits 2).
    pub failures: Vec<String>,
}

/// `fetch`: refreshes every cache `check` reads for `workspace`, in order: the advisory
/// database, the index entries, the ownership data (from `db_dump` when given).
pub fn refresh_all(
    workspace: &Workspace,
    options: &RunOptions,
    db_dump: Option<&Path>,
) -> Result<Refreshed, Error> {
    let mut refreshed = Refreshed::default();
    unless_interrupted(refresh_database(workspace, options, &mut refreshed))?;
    unless_interrupted(refresh_index(workspace, options, &mut refreshed))?;
    unless_interrupted(refresh_ownership(
        workspace,
        options,
        db_dump,
        &mut refreshed,
    ))?;
    Ok(refreshed)
}

/// Step: the advisory database clone (nothing when `--advisory-db` names a local one).
fn refresh_database(
    workspace: &Workspace,
    options: &RunOptions,
    refreshed: &mut Refreshed,
) -> Result<(), Error> {
    if let Some(path) = &options.advisory_db {
        refreshed.steps.push(format!(
            "advisory database: {} is used as it is (--advisory-db); nothing fetched",
            path.display()
        ));
        return Ok(());
    }
    let started = Instant::now();
    let url = &workspace.policy.advisories.db_url;
    let synced = advisories::fetch::sync(url, &CacheDir::from_env()?, Refresh::Always)?;
    let commit = synced.record.as_ref().map_or("unknown commit", |record| {
        &record.commit[..record.commit.len().min(12)]
    });
    let date = synced
        .commit_date()
        .map_or_else(String::new, |date| format!(" of {date}"));
    match &synced.update_failure {
        None => refreshed.steps.push(format!(
            "advisory database: {url} at {commit}{date} ({:.1}s)",
            started.elapsed().as_secs_f64()
        )),
        Some(failure) => {
            refreshed.steps.push(format!(
                "advisory database: {url} could not be updated; the cached copy at {commit}{date} is kept"
            ));
            refreshed.failures.push(format!(
                "the advisory database could not be updated from {url}: {failure}"
            ));
        }
    }
    Ok(())
}

/// Step: the index entries of every registry package of the graph, all revalidated.
fn refresh_index(
    workspace: &Workspace,
    options: &RunOptions,
    refreshed: &mut Refreshed,
) -> Result<(), Error> {
    let started = Instant::now();
    let client = std::cell::OnceCell::new();
    let load = obtain_index(
        workspace,
        Refresh::Always,
        None,
        options.progress(),
        &client,
    )?;
    if !load.facts.is_enabled() {
        refreshed.steps.push(
            "index entries: none fetched (the policy allows yanked versions: advisories.yanked = \"allow\")"
                .to_owned(),
        );
        return Ok(());
    }
    let stats = load.stats;
    let total = stats.updated + stats.unchanged + stats.not_found + stats.stale + stats.missing;
    let mut parts = vec![
        format!("{} fetched", stats.updated),
        format!("{} unchanged", stats.unchanged),
        format!("{} not in their index", stats.not_found),
    ];
    if stats.stale > 0 {
        parts.push(format!("{} failed, older entries kept", stats.stale));
    }
    if stats.missing > 0 {
        parts.push(format!("{} could not be fetched", stats.missing));
    }
    refreshed.steps.push(format!(
        "index entries: {total} crates ({}) ({:.1}s)",
        parts.join(", "),
        started.elapsed().as_secs_f64()
    ));
    refreshed.warnings.extend(load.notes);
    let unavailable: Vec<(&str, &str, &str)> = load.facts.unavailable().collect();
    if !unavailable.is_empty() {
        let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (_, name, why) in &unavailable {
            by_reason.entry(why).or_default().push(name);
        }
        for (why, names) in by_reason {
            refreshed.warnings.push(format!(
                "index entries of {} could not be obtained ({why}): {}; `check` will report them as unchecked",
                crate::support::text::counted(names.len(), "crate"),
                crate::support::text::name_list(&names, 8)
            ));
        }
    }
    let started = Instant::now();
    let neighbours = unless_interrupted(obtain_neighbours(
        &workspace.graph,
        &workspace.policy,
        workspace.baseline.as_ref(),
        &load.facts,
        (Refresh::Always, options.now),
        options.progress(),
        &client,
    ))?;
    if neighbours.is_enabled() {
        let stats = neighbours.stats;
        refreshed.steps.push(format!(
            "neighbouring names (typosquat): {} names around the crates new to the baseline ({} fetched, {} unchanged, {} not crates, {} fresh in the cache) ({:.1}s)",
            stats.cached + stats.updated + stats.unchanged + stats.not_found + stats.stale + stats.missing,
            stats.updated,
            stats.unchanged,
            stats.not_found,
            stats.cached,
            started.elapsed().as_secs_f64()
        ));
        refreshed.warnings.extend(neighbours.notes.iter().cloned());
        for (why, crates) in neighbours.unanswered() {
            let names: Vec<&str> = crates.into_iter().collect();
            refreshed.warnings.push(format!(
                "the index's answers about names {} may imitate could not be obtained ({why}); `check` will report them as unchecked",
                crate::support::text::name_list(&names, 8)
            ));
        }
    }
    Ok(())
}

/// Step: owners and publishers of the graph's crates.io crates, from a database dump or the
/// API. Without a dump, this runs only when the workspace has a baseline to compare them with:
/// the API allows one request per second, and nothing else reads this data.
fn refresh_ownership(
    workspace: &Workspace,
    options: &RunOptions,
    db_dump: Option<&Path>,
    refreshed: &mut Refreshed,
) -> Result<(), Error> {
    let started = Instant::now();
    let mut crates: BTreeMap<String, BTreeSet<semver::Version>> = BTreeMap::new();
    for package in workspace
        .graph
        .packages()
        .iter()
        .filter(|package| package.is_crates_io())
    {
        crates
            .entry(package.name.clone())
            .or_default()
            .insert(package.version.clone());
    }
    let access = OwnershipAccess::open(
        &CacheDir::from_env()?,
        workspace.policy.ownership.requests_per_second,
        options.network(),
        options.progress(),
    )?;
    if let Some(path) = db_dump {
        let wanted: BTreeSet<String> = crates.keys().cloned().collect();
        let import = access.import_dump(path, &wanted)?;
        refreshed.steps.push(format!(
            "ownership: {} crates read from the database dump {}{} ({:.1}s)",
            import.crates,
            path.display(),
            import
                .timestamp
                .map(|timestamp| format!(" of {timestamp}"))
                .unwrap_or_default(),
            started.elapsed().as_secs_f64()
        ));
        if !import.missing.is_empty() {
            let names: Vec<&str> = import.missing.iter().map(String::as_str).collect();
            refreshed.warnings.push(format!(
                "{} crates are not in the database dump: {}",
                import.missing.len(),
                crate::support::text::name_list(&names, 8)
            ));
        }
        return Ok(());
    }
    if workspace.baseline.is_none() {
        refreshed.steps.push(
            "ownership: nothing fetched (no trustcheck.lock to compare owners with; `init` records them)".to_owned(),
        );
        return Ok(());
    }
    let report = access.refresh(&crates)?;
    refreshed.steps.push(format!(
        "ownership: {} crates.io crates, {}, {} already refreshed by an interrupted fetch ({:.1}s)",
        crates.len(),
        crate::support::text::counted(report.requests, "request"),
        report.skipped,
        started.elapsed().as_secs_f64()
    ));
    let problems = crate::facts::ownership::refresh::fetch_problems(&report);
    refreshed.failures.extend(problems.failures);
    refreshed.warnings.extend(problems.warnings);
    Ok(())
}

/// `init` and `baseline`: fills the owners and publishers of `baseline`'s crates.io crates
/// (only those in `only`, when given) from the cache, asking the API for what it lacks unless
/// offline. Returns warnings about what could not be obtained.
pub fn fill_baseline_ownership(
    baseline: &mut Baseline,
    only: Option<&BTreeSet<String>>,
    requests_per_second: f64,
    network: Network,
    progress: ProgressMode,
) -> Result<Vec<String>, Error> {
    let access = OwnershipAccess::open(
        &CacheDir::from_env()?,
        requests_per_second,
        network,
        progress,
    )?;
    unless_interrupted(access.fill_baseline(baseline, only).map_err(Error::from))
}

/// `fetch`'s step for the lockfile-first graph: the facts of every registry crate version of
/// `Cargo.lock` in the fact cache (see `load::workspace::lockfile_first::fill_fact_cache`). Nothing
/// when the graph was read from `cargo metadata`, which has downloaded the crates itself.
pub fn refresh_crate_facts(
    workspace: &Workspace,
    options: &RunOptions,
    refreshed: &mut Refreshed,
) -> Result<(), Error> {
    let (crate::load::workspace::lockfile_graph::GraphSource::Lockfile { .. }, Some(lockfile)) =
        (&workspace.graph_source, &workspace.lockfile)
    else {
        return Ok(());
    };
    match crate::load::workspace::lockfile_first::fill_fact_cache(
        &options.workspace,
        lockfile,
        &workspace.policy.licenses.clarify,
    )? {
        Ok(step) => refreshed.steps.push(step),
        Err(warning) => refreshed.warnings.push(warning),
    }
    Ok(())
}
