//! `fetch`: refresh every cache that `check` reads, so that a later `check --offline` needs no
//! network. One step per cache, in order: the advisory database, then the index entries of the
//! graph's registry packages. A new cache is one more step in `fetch`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use super::check::{self, CheckRequest};
use crate::advisories::fetch::{self as advisory_fetch, Refresh};
use crate::cache::CacheDir;
use crate::cli::{FetchArgs, Outcome};
use crate::error::Error;
use crate::index::IndexConfig;
use crate::ownership::cache::OwnershipCache;
use crate::ownership::{dump, refresh};
use crate::text::sanitize_terminal as clean;
use crate::workspace::{Loading, Workspace};

/// What `fetch` did: one line per step, and warnings about what it could not fetch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchSummary {
    /// One line per step.
    pub steps: Vec<String>,
    /// What could not be fetched (a later `check` reports it as `unchecked` or uses older data).
    pub warnings: Vec<String>,
    /// A network failure that stopped a step: `fetch` reports the other steps, then fails.
    pub failure: Option<String>,
}

/// Runs `fetch` and prints its summary on stderr.
pub fn run(args: &FetchArgs) -> anyhow::Result<Outcome> {
    let request = args.workspace.request(&args.graph);
    let summary = fetch(&request, args.db_dump.as_deref())?;
    for step in &summary.steps {
        eprintln!("{}", clean(step));
    }
    for warning in &summary.warnings {
        eprintln!("warning: {}", clean(warning));
    }
    if let Some(failure) = summary.failure {
        return Err(Error::Network(failure).into());
    }
    Ok(Outcome::Passed)
}

/// Refreshes every cache `check` reads, for the workspace and graph options of `request`;
/// ownership data comes from `db_dump` when given.
pub fn fetch(request: &CheckRequest, db_dump: Option<&Path>) -> Result<FetchSummary, Error> {
    if request.workspace.offline {
        return Err(Error::Usage(
            "`fetch` fills the caches from the network; it cannot run with --offline".to_owned(),
        ));
    }
    let workspace = Loading::start(&request.workspace, request.today)?.finish()?;
    let mut summary = FetchSummary::default();
    fetch_advisory_db(request, &workspace, &mut summary)?;
    fetch_index_entries(&workspace, &mut summary)?;
    fetch_ownership(&workspace, db_dump, &mut summary)?;
    Ok(summary)
}

/// Step: the advisory database clone (nothing when `--advisory-db` names a local one).
fn fetch_advisory_db(
    request: &CheckRequest,
    workspace: &Workspace,
    summary: &mut FetchSummary,
) -> Result<(), Error> {
    if let Some(path) = &request.advisory_db {
        summary.steps.push(format!(
            "advisory database: {} is used as it is (--advisory-db); nothing fetched",
            path.display()
        ));
        return Ok(());
    }
    let started = Instant::now();
    let url = &workspace.policy.advisories.db_url;
    let synced = advisory_fetch::sync(url, &CacheDir::from_env()?, Refresh::Always)?;
    let commit = synced.record.as_ref().map_or("unknown commit", |record| {
        &record.commit[..record.commit.len().min(12)]
    });
    let date = synced
        .commit_date()
        .map_or_else(String::new, |date| format!(" of {date}"));
    summary.steps.push(format!(
        "advisory database: {url} at {commit}{date} ({:.1}s)",
        started.elapsed().as_secs_f64()
    ));
    summary.warnings.extend(synced.warning.clone());
    Ok(())
}

/// Step: the index entries of every registry package of the graph, all revalidated.
fn fetch_index_entries(workspace: &Workspace, summary: &mut FetchSummary) -> Result<(), Error> {
    let started = Instant::now();
    let load = check::obtain_index(workspace, IndexConfig::from_env(), Refresh::Always, None)?;
    if !load.facts.is_enabled() {
        summary.steps.push(
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
    summary.steps.push(format!(
        "index entries: {total} crates ({}) ({:.1}s)",
        parts.join(", "),
        started.elapsed().as_secs_f64()
    ));
    summary.warnings.extend(load.notes);
    summary
        .warnings
        .extend(load.facts.unavailable().map(|(base, name, why)| {
            format!("`{name}` ({base}): {why}; `check` will report it as unchecked")
        }));
    Ok(())
}

/// Step: owners and publishers of the graph's crates.io crates, from a database dump or the
/// API. Without a dump, this runs only when the workspace has a baseline to compare them with:
/// the API allows one request per second, and nothing else reads this data.
fn fetch_ownership(
    workspace: &Workspace,
    db_dump: Option<&Path>,
    summary: &mut FetchSummary,
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
    let client = check::api_client(&workspace.policy);
    let cache = OwnershipCache::open(&CacheDir::from_env()?, client.base())?;
    if let Some(path) = db_dump {
        let wanted: BTreeSet<String> = crates.keys().cloned().collect();
        let import = dump::import(path, &wanted, &cache)?;
        summary.steps.push(format!(
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
            summary.warnings.push(format!(
                "{} crates are not in the database dump: {}",
                import.missing.len(),
                import.missing.join(", ")
            ));
        }
        return Ok(());
    }
    if workspace.baseline.is_none() {
        summary.steps.push(
            "ownership: nothing fetched (no trustcheck.lock to compare owners with; `init` records them)".to_owned(),
        );
        return Ok(());
    }
    let report = refresh::refresh(&crates, &cache, &client)?;
    summary.steps.push(format!(
        "ownership: {} crates.io crates, {} requests, {} already refreshed by an interrupted fetch ({:.1}s)",
        crates.len(),
        report.requests,
        report.skipped,
        started.elapsed().as_secs_f64()
    ));
    // One line per cause, not per crate; any crate left unrefreshed fails the run (exit 2),
    // while what was fetched stays cached and the next `fetch` resumes.
    let problems = refresh::fetch_problems(&report);
    if !problems.failures.is_empty() {
        summary.failure = Some(problems.failures.join("\n"));
    }
    summary.warnings.extend(problems.warnings);
    Ok(())
}
