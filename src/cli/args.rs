//! The command line's definitions (clap): the commands, each with exactly the options it takes,
//! in groups shared by the commands that take them; and the options of a run gathered from
//! whichever groups a command has (`Shared`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::diff::DiffFormat;
use crate::commands::explain::ExplainFormat;
use crate::load::graph::GraphOptions;
use crate::load::workspace::WorkspaceOptions;
use crate::pipeline::RunOptions;
use crate::report::CheckFormat;
use crate::support::date::Date;
use crate::support::terminal::{ColorChoice, Terminal, Verbosity};

/// Supply-chain policy for Rust workspaces: advisories, yanked releases, licenses, ownership.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-trustcheck",
    bin_name = "cargo trustcheck",
    version,
    about,
    after_help = "With no subcommand, runs `check` (the options above are check's). Options shared by the commands may come before or after the subcommand; each command's --help lists the ones it takes.\nExit status: 0 no denied finding, 1 denied findings, 2 the run could not be done."
)]
pub struct Cli {
    /// What to do (default: check).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `check`, when no subcommand is given.
    #[command(flatten)]
    pub check: CheckArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every check, apply the policy and its exemptions, report.
    Check(CheckArgs),
    /// Write a commented trustcheck.toml and a first trustcheck.lock baseline for the workspace.
    Init(InitArgs),
    /// Rewrite trustcheck.lock from the current graph, or accept one crate's current facts.
    Baseline(BaselineArgs),
    /// Explain one advisory (by id or alias), or why one crate is in the graph and what applies to it.
    Explain(ExplainArgs),
    /// Refresh every cache `check` reads (advisory database, index entries, ownership data), for a later `check --offline`.
    Fetch(FetchArgs),
    /// Reviewer's report between two git revisions: exemptions, baseline, dependencies, findings.
    Diff(DiffArgs),
}

/// Where the workspace is and whether its lock file must exist (every command).
#[derive(Debug, Clone, Args)]
pub struct WorkspaceArgs {
    /// The workspace's Cargo.toml (default: found from the current directory, as cargo does).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Require Cargo.lock to exist (it is never modified: an out-of-date one is always an error).
    #[arg(long)]
    pub locked: bool,
}

/// Recorded `cargo metadata` output (every command but `diff`, which reads revisions from git).
#[derive(Debug, Clone, Args)]
pub struct MetadataArgs {
    /// Read recorded `cargo metadata --format-version 1 --all-features` output instead of running cargo.
    #[arg(long, value_name = "PATH")]
    pub metadata_json: Option<PathBuf>,
}

/// The policy file a command reads.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// The policy file (default: trustcheck.toml at the workspace root; none there means built-in defaults).
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
}

/// The policy file `init` writes.
#[derive(Debug, Clone, Args)]
pub struct PolicyOutArgs {
    /// Where to write the policy file (default: trustcheck.toml at the workspace root).
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
}

/// The advisory database of the commands that read one.
#[derive(Debug, Clone, Args)]
pub struct AdvisoryDbArgs {
    /// Use this local RustSec database directory; nothing is fetched for it.
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
}

/// `--advisory-db` of `init` and `baseline`, which read no advisory database.
#[derive(Debug, Clone, Args)]
pub struct UnreadAdvisoryDbArgs {
    /// Not read by this command, which uses no advisory database; accepted so that one set of options serves every command.
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
}

/// `--offline` (every command but `fetch`, whose work is the network).
#[derive(Debug, Clone, Args)]
pub struct OfflineArgs {
    /// No network at all: cached data only; what is missing is reported, never silently skipped.
    #[arg(long)]
    pub offline: bool,
}

/// What to say on stderr, and in which colours (every command).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output options")]
pub struct OutputArgs {
    /// When to use colours (default: CARGO_TERM_COLOR, else never with NO_COLOR, else on a terminal).
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// Print only errors on stderr (no warnings, steps or progress).
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more on stderr: which way things were done.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// How to narrow the dependency graph, as cargo would build it (the commands that read a
/// narrowed graph: not `init` and `baseline`, which record all of `Cargo.lock`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Graph options")]
pub struct GraphArgs {
    /// Only dependencies used on this target triple (repeatable).
    #[arg(long = "target", value_name = "TRIPLE")]
    pub targets: Vec<String>,
    /// Features to enable: `feat` on every member that has it, or `member/feat` (comma- or space-separated, repeatable).
    #[arg(long, short = 'F', value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Enable every feature of every member.
    #[arg(long)]
    pub all_features: bool,
    /// Do not enable the members' default features.
    #[arg(long)]
    pub no_default_features: bool,
    /// Leave out dev-dependencies.
    #[arg(long)]
    pub exclude_dev: bool,
}

/// Every shared option: what `check` and `explain` take besides their own.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Recorded `cargo metadata` output.
    #[command(flatten)]
    pub metadata: MetadataArgs,
    /// The policy file.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The advisory database.
    #[command(flatten)]
    pub advisory_db: AdvisoryDbArgs,
    /// The network.
    #[command(flatten)]
    pub offline: OfflineArgs,
    /// How to narrow the graph.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// What to say on stderr.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Options of `check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Report format (json, sarif and markdown go to stdout) [default: human].
    #[arg(long, value_enum)]
    pub format: Option<CheckFormat>,
    /// Also print GitHub Actions `::error`/`::warning` annotations on stderr (auto: when GITHUB_ACTIONS=true).
    #[arg(long, value_enum, value_name = "WHEN")]
    pub github_annotations: Option<AnnotationChoice>,
    /// The shared options.
    #[command(flatten)]
    pub run: RunArgs,
}

/// When to print GitHub Actions annotations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum AnnotationChoice {
    /// When running on GitHub Actions (`GITHUB_ACTIONS=true`).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl AnnotationChoice {
    /// Whether to print annotations.
    pub fn enabled(self) -> bool {
        match self {
            AnnotationChoice::Always => true,
            AnnotationChoice::Never => false,
            AnnotationChoice::Auto => {
                std::env::var("GITHUB_ACTIONS").is_ok_and(|value| value == "true")
            }
        }
    }
}

/// Options of `fetch`: no `--offline`, since its work is the network.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Read owners and publishers from a crates.io database dump (db-dump.tar.gz) instead of
    /// asking the rate-limited API crate by crate.
    #[arg(long, value_name = "PATH")]
    pub db_dump: Option<PathBuf>,
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Recorded `cargo metadata` output.
    #[command(flatten)]
    pub metadata: MetadataArgs,
    /// The policy file.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The advisory database to use instead of fetching one.
    #[command(flatten)]
    pub advisory_db: AdvisoryDbArgs,
    /// How to narrow the graph.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// What to say on stderr.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Options of `explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// An advisory id or alias (RUSTSEC-…, CVE-…, GHSA-…), or a crate (`name` or `name@version`).
    pub subject: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
    /// The shared options.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of `diff`: no `--metadata-json`, since each revision's files come from git.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The base revision (a branch, tag or commit), e.g. `origin/main`.
    pub base: String,
    /// The head revision (default: the working tree).
    pub head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The policy file, compared at both revisions.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The advisory database.
    #[command(flatten)]
    pub advisory_db: AdvisoryDbArgs,
    /// The network.
    #[command(flatten)]
    pub offline: OfflineArgs,
    /// How to narrow the graph.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// What to say on stderr.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Options of `init`: no graph options, since the baseline records all of `Cargo.lock`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Replace an existing trustcheck.toml and trustcheck.lock.
    #[arg(long)]
    pub force: bool,
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Recorded `cargo metadata` output.
    #[command(flatten)]
    pub metadata: MetadataArgs,
    /// Where the policy is written.
    #[command(flatten)]
    pub policy: PolicyOutArgs,
    /// Accepted, not read.
    #[command(flatten)]
    pub advisory_db: UnreadAdvisoryDbArgs,
    /// The network (for owners and publishers).
    #[command(flatten)]
    pub offline: OfflineArgs,
    /// What to say on stderr.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Options of `baseline`: no graph options, since the baseline records all of `Cargo.lock`.
#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
    /// Accept the current license, owners and publishers of this crate only, leaving every
    /// other entry as it is (repeatable).
    #[arg(long, value_name = "CRATE")]
    pub accept: Vec<String>,
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Recorded `cargo metadata` output.
    #[command(flatten)]
    pub metadata: MetadataArgs,
    /// The policy file (its request rate).
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Accepted, not read.
    #[command(flatten)]
    pub advisory_db: UnreadAdvisoryDbArgs,
    /// The network (for owners and publishers).
    #[command(flatten)]
    pub offline: OfflineArgs,
    /// What to say on stderr.
    #[command(flatten)]
    pub output: OutputArgs,
}
/// The shared options of a run, whichever command took them: an option the command does not
/// take keeps its default here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shared {
    manifest_path: Option<PathBuf>,
    locked: bool,
    metadata_json: Option<PathBuf>,
    policy: Option<PathBuf>,
    advisory_db: Option<PathBuf>,
    offline: bool,
    color: Option<ColorChoice>,
    quiet: bool,
    verbose: bool,
    graph: GraphOptions,
}

impl Shared {
    fn workspace(mut self, args: &WorkspaceArgs) -> Shared {
        self.manifest_path = args.manifest_path.clone();
        self.locked = args.locked;
        self
    }

    fn metadata(mut self, args: &MetadataArgs) -> Shared {
        self.metadata_json = args.metadata_json.clone();
        self
    }

    fn policy(mut self, policy: &Option<PathBuf>) -> Shared {
        self.policy = policy.clone();
        self
    }

    fn advisory_db(mut self, args: &AdvisoryDbArgs) -> Shared {
        self.advisory_db = args.advisory_db.clone();
        self
    }

    fn offline(mut self, args: &OfflineArgs) -> Shared {
        self.offline = args.offline;
        self
    }

    fn graph(mut self, args: &GraphArgs) -> Shared {
        self.graph = GraphOptions {
            targets: args.targets.clone(),
            features: args.features.clone(),
            all_features: args.all_features,
            no_default_features: args.no_default_features,
            exclude_dev: args.exclude_dev,
        };
        self
    }

    fn output(mut self, args: &OutputArgs) -> Shared {
        self.color = args.color;
        self.quiet = args.quiet;
        self.verbose = args.verbose;
        self
    }

    /// The run these options ask for.
    pub(crate) fn run_options(&self, terminal: &Terminal) -> RunOptions {
        let progress = crate::support::progress::ProgressMode::for_stderr(terminal.verbosity);
        let now = crate::support::date::now();
        RunOptions {
            workspace: WorkspaceOptions {
                manifest_path: self.manifest_path.clone(),
                metadata_json: self.metadata_json.clone(),
                policy: self.policy.clone(),
                offline: self.offline,
                locked: self.locked,
                graph: self.graph.clone(),
                progress,
            },
            advisory_db: self.advisory_db.clone(),
            today: Date::from_unix_seconds(now),
            now,
        }
    }

    /// Where and how the run writes: verbosity and colours.
    pub(crate) fn terminal(&self) -> Terminal {
        let verbosity = if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Terminal::new(verbosity, ColorChoice::resolve(self.color))
    }
}

impl RunArgs {
    /// The options of the run.
    pub(crate) fn shared(&self) -> Shared {
        Shared::default()
            .workspace(&self.workspace)
            .metadata(&self.metadata)
            .policy(&self.policy.policy)
            .advisory_db(&self.advisory_db)
            .offline(&self.offline)
            .graph(&self.graph)
            .output(&self.output)
    }
}

impl Command {
    /// The subcommand's name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Check(_) => "check",
            Command::Init(_) => "init",
            Command::Baseline(_) => "baseline",
            Command::Explain(_) => "explain",
            Command::Fetch(_) => "fetch",
            Command::Diff(_) => "diff",
        }
    }

    /// The shared options this command took (`--advisory-db` of `init` and `baseline` is
    /// accepted and not read).
    pub(crate) fn shared(&self) -> Shared {
        match self {
            Command::Check(args) => args.run.shared(),
            Command::Explain(args) => args.run.shared(),
            Command::Fetch(args) => Shared::default()
                .workspace(&args.workspace)
                .metadata(&args.metadata)
                .policy(&args.policy.policy)
                .advisory_db(&args.advisory_db)
                .graph(&args.graph)
                .output(&args.output),
            Command::Diff(args) => Shared::default()
                .workspace(&args.workspace)
                .policy(&args.policy.policy)
                .advisory_db(&args.advisory_db)
                .offline(&args.offline)
                .graph(&args.graph)
                .output(&args.output),
            Command::Init(args) => Shared::default()
                .workspace(&args.workspace)
                .metadata(&args.metadata)
                .policy(&args.policy.policy)
                .offline(&args.offline)
                .output(&args.output),
            Command::Baseline(args) => Shared::default()
                .workspace(&args.workspace)
                .metadata(&args.metadata)
                .policy(&args.policy.policy)
                .offline(&args.offline)
                .output(&args.output),
        }
    }
}
