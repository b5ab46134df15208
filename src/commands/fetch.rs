//! `fetch`: refresh every cache that `check` reads, so that a later `check --offline` needs no
//! network. One step per cache, in order: the advisory database, then the index entries of the
//! graph's registry packages. A new cache is one more step in `fetch`.

use std::time::Instant;

use super::check::{self, CheckRequest};
use crate::advisories::fetch::{self as advisory_fetch, Refresh};
use crate::cache::CacheDir;
use crate::cli::{FetchArgs, Outcome};
use crate::error::Error;
use crate::index::IndexConfig;
use crate::text::sanitize_terminal as clean;
use crate::workspace::{Loading, Workspace};

/// What `fetch` did: one line per step, and warnings about what it could not fetch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchSummary {
    /// One line per step.
    pub steps: Vec<String>,
    /// What could not be fetched (a later `check` reports it as `unchecked` or uses older data).
    pub warnings: Vec<String>,
}

/// Runs `fetch` and prints its summary on stderr.
pub fn run(args: &FetchArgs) -> anyhow::Result<Outcome> {
    let request = args.workspace.request(&args.graph);
    let summary = fetch(&request)?;
    for step in &summary.steps {
        eprintln!("{}", clean(step));
    }
    for warning in &summary.warnings {
        eprintln!("warning: {}", clean(warning));
    }
    Ok(Outcome::Passed)
}

/// Refreshes every cache `check` reads, for the workspace and graph options of `request`.
pub fn fetch(request: &CheckRequest) -> Result<FetchSummary, Error> {
    if request.workspace.offline {
        return Err(Error::Usage(
            "`fetch` fills the caches from the network; it cannot run with --offline".to_owned(),
        ));
    }
    let workspace = Loading::start(&request.workspace, request.today)?.finish()?;
    let mut summary = FetchSummary::default();
    fetch_advisory_db(request, &workspace, &mut summary)?;
    fetch_index_entries(&workspace, &mut summary)?;
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
