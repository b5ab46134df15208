//! The one pipeline every command runs, in one direction:
//!
//! ```text
//! load   (workspace: Cargo.lock or cargo metadata -> graph; policy, Cargo.lock, baseline)
//!                  the crates' own files only, as cargo would download them (`crate::facts::crates`)
//!   -> facts  (advisory database, index entries, ownership data)              the network
//!   -> checks (advisories, yanked, licenses, ownership, sources)              pure functions
//!   -> policy (levels, then exemptions: `policy::evaluate`, the one place)
//!   -> report data (`Report`), which the commands render
//! ```
//!
//! `check` and `explain` run all of it (`check`); `fetch`, `init` and `baseline` run the load
//! stage and one facts operation; `diff` runs the checks and the policy on each revision's
//! files, from cached facts (`revision::evaluate_revision`, which calls `evaluate`). No command
//! calls another, and nothing holds a cache lock across a call that takes it again.

pub mod facts;
pub mod refresh;
pub mod revision;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::checks::{self, CheckInputs};
use crate::error::Error;
use crate::facts::advisories::TargetFilter;
use crate::facts::crates::sources::RegistryNames;
use crate::finding::Verdict;
use crate::load::workspace::lockfile_graph::GraphSource;
use crate::load::workspace::{Loading, Reads, Workspace, WorkspaceOptions};
use crate::policy;
use crate::report::Report;
use crate::support::cache::{FRESH_FOR, Refresh};
use crate::support::date::Date;
use crate::support::network::Network;
pub use facts::{AdvisoryScope, Facts};

/// What a run is asked to do: which workspace, how to read it, and with what network.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The workspace and how to read it.
    pub workspace: WorkspaceOptions,
    /// `--advisory-db`: a local database directory (nothing is fetched for it).
    pub advisory_db: Option<PathBuf>,
    /// The date exemptions are judged against (the UTC date of `now`).
    pub today: Date,
    /// The time publish times are compared with (Unix seconds).
    pub now: i64,
}

impl RunOptions {
    /// Whether the network may be used (not with `--offline`).
    pub fn network(&self) -> Network {
        if self.workspace.offline {
            Network::Offline
        } else {
            Network::Online
        }
    }

    /// How network steps show their progress.
    pub fn progress(&self) -> crate::support::progress::ProgressMode {
        self.workspace.progress
    }

    /// How cached data is treated: the cache only offline, else refreshed when stale.
    pub fn refresh(&self) -> Refresh {
        match self.network() {
            Network::Offline => Refresh::Offline,
            Network::Online => Refresh::IfStale(FRESH_FOR),
        }
    }
}

/// A whole run: the workspace, the facts obtained for it, and the report.
pub struct Checked {
    /// The loaded workspace.
    pub workspace: Workspace,
    /// The facts obtained.
    pub facts: Facts,
    /// The verdicts and what a reader needs to interpret them.
    pub report: Report,
    /// Which way each stage went and how long it took, for `-v`.
    pub trace: Vec<String>,
}

/// The load stage alone: the workspace and the root files in `reads` (no network).
pub fn load(options: &RunOptions, reads: Reads) -> Result<Workspace, Error> {
    Ok(Loading::start(&options.workspace, reads, options.today)?.finish()?)
}

/// Every stage: loads the workspace (reading cached facts while `cargo metadata` runs), obtains
/// the facts, runs the checks, applies the policy, and builds the report.
pub fn check(options: &RunOptions, scope: AdvisoryScope) -> Result<Checked, Error> {
    let started = Instant::now();
    let loading = Loading::start(&options.workspace, Reads::ALL, options.today)?;
    let early = facts::Early::start(&loading, options);
    let workspace = loading.finish()?;
    let loaded = started.elapsed();
    let facts = facts::obtain(&workspace, options, scope, early)?;
    let obtained = started.elapsed();
    let targets = TargetFilter::new(&options.workspace.graph.targets);
    let registries = RegistryNames::discover(&workspace.root);
    let inputs = CheckInputs {
        graph: &workspace.graph,
        policy: &workspace.policy,
        advisories: &facts.database.database,
        targets: &targets,
        registries: &registries,
        baseline: workspace.baseline.as_ref(),
        index: &facts.index,
        neighbours: &facts.neighbours,
        ownership: &facts.ownership,
        introductions: &facts.introductions,
        now: options.now,
    };
    let verdicts = evaluate(&inputs, options.today);
    if let Some(lockfile_graph) = &workspace.lockfile_graph {
        let lockfile_inputs = CheckInputs {
            graph: lockfile_graph,
            ..inputs
        };
        compare_graphs(
            &verdicts,
            &evaluate(&lockfile_inputs, options.today),
            &workspace.root,
        )?;
    }
    let mut report = Report::new(verdicts, workspace.root.clone());
    report.notes = workspace.notes.clone();
    report.notes.extend(facts.notes.iter().cloned());
    report.policy_path = workspace.policy.path.clone();
    report.lockfile = workspace.lockfile.clone();
    report.package_count = workspace.graph.packages().len();
    report.database = Some(facts.database_info.clone());
    let trace = trace(
        options,
        &workspace,
        &facts,
        &report,
        [loaded, obtained - loaded, started.elapsed() - obtained],
    );
    Ok(Checked {
        workspace,
        facts,
        report,
        trace,
    })
}

/// What `-v` says of a run: where the graph and each kind of fact came from, how many, and how
/// long each stage took (`[load, facts, checks]`).
fn trace(
    options: &RunOptions,
    workspace: &Workspace,
    facts: &Facts,
    report: &Report,
    [load, obtain, checks]: [Duration; 3],
) -> Vec<String> {
    let graph = &workspace.graph;
    let metadata = match &options.workspace.metadata_json {
        Some(path) => format!("recorded metadata {}", path.display()),
        None => "cargo metadata".to_owned(),
    };
    let narrowed = if options.workspace.graph.narrows() {
        format!(", narrowed to {}", options.workspace.graph.describe())
    } else {
        String::new()
    };
    let source = match &workspace.graph_source {
        source @ GraphSource::Lockfile { .. } => source.to_string(),
        GraphSource::Metadata(reason) => format!("{metadata}{narrowed} ({reason})"),
    };
    let database = &facts.database_info;
    let stats = &facts.index_stats;
    let index = if facts.index.is_enabled() {
        format!(
            "index entries: {} from the cache, {} fetched, {} revalidated unchanged, {} not in their index, {} from an older cache after a failure, {} not obtained",
            stats.cached,
            stats.updated,
            stats.unchanged,
            stats.not_found,
            stats.stale,
            stats.missing
        )
    } else {
        "index entries: not needed by the policy".to_owned()
    };
    let neighbours = if facts.neighbours.is_enabled() {
        let stats = &facts.neighbours.stats;
        format!(
            "neighbouring names (typosquat): {} from the cache, {} fetched, {} revalidated unchanged, {} not crates, {} from an older cache after a failure, {} not obtained",
            stats.cached,
            stats.updated,
            stats.unchanged,
            stats.not_found,
            stats.stale,
            stats.missing
        )
    } else {
        "neighbouring names (typosquat): not sought".to_owned()
    };
    let ownership = &facts.ownership;
    vec![
        format!(
            "graph: {} packages ({} workspace members) from {source} ({:.2}s)",
            graph.packages().len(),
            graph.members().count(),
            load.as_secs_f64()
        ),
        format!(
            "advisory database: {}{} ({})",
            database.location,
            database
                .last_updated
                .map(|date| format!(", updated {date}"))
                .unwrap_or_default(),
            match options.network() {
                Network::Offline => "offline: cached data only",
                Network::Online => "online",
            }
        ),
        index,
        neighbours,
        format!(
            "ownership: owners of {} crates and publishers of {} versions compared, {} packages without data",
            ownership.owners.len(),
            ownership.publishers.len(),
            ownership.unavailable.len()
        ),
        format!("facts obtained in {:.2}s", obtain.as_secs_f64()),
        format!(
            "checks and policy: {} findings ({} deny, {} warn, {} exempted) in {:.2}s",
            report.verdicts.len(),
            report.summary.deny,
            report.summary.warn,
            report.summary.exempted,
            checks.as_secs_f64()
        ),
    ]
}

/// `TRUSTCHECK_GRAPH=compare`: the JSON report of the verdicts over the graph read from
/// `cargo metadata` and over the graph read from `Cargo.lock` must be the same, byte for byte.
fn compare_graphs(
    metadata: &[Verdict],
    lockfile: &[Verdict],
    root: &std::path::Path,
) -> Result<(), Error> {
    let render = |verdicts: &[Verdict]| {
        crate::report::json::render(&Report::new(verdicts.to_vec(), root.to_path_buf()))
    };
    let (metadata, lockfile) = (render(metadata), render(lockfile));
    if metadata == lockfile {
        return Ok(());
    }
    let (mut metadata_lines, mut lockfile_lines) = (metadata.lines(), lockfile.lines());
    let mut line = 1;
    loop {
        match (metadata_lines.next(), lockfile_lines.next()) {
            (a, b) if a == b && a.is_some() => line += 1,
            (a, b) => {
                return Err(crate::load::graph::GraphError::PathsDisagree {
                    line,
                    metadata: a.unwrap_or("(end of report)").trim().to_owned(),
                    lockfile: b.unwrap_or("(end of report)").trim().to_owned(),
                }
                .into());
            }
        }
    }
}

/// The checks and the policy over obtained facts: every finding, levelled and exempted.
pub fn evaluate(inputs: &CheckInputs<'_>, today: Date) -> Vec<Verdict> {
    policy::evaluate(checks::run_all(inputs), inputs.policy, today)
}
