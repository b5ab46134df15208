//! The command line: arguments (clap), dispatch to the commands, and the exit status.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;
use crate::commands::check::CheckRequest;
use crate::date::Date;
use crate::exit;
use crate::graph::GraphOptions;
use crate::report::Format;
use crate::workspace::WorkspaceOptions;

/// Supply-chain policy for Rust workspaces: advisories, yanked releases, licenses, ownership.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-trustcheck",
    bin_name = "cargo trustcheck",
    version,
    about,
    args_conflicts_with_subcommands = true,
    after_help = "With no subcommand, runs `check`.\nExit status: 0 no denied finding, 1 denied findings, 2 the run could not be done."
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

/// Options of `diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The base revision (a branch, tag or commit), e.g. `origin/main`.
    pub base: String,
    /// The head revision (default: the working tree).
    pub head: Option<String>,
    /// The workspace's Cargo.toml (default: found from the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// A local RustSec database for comparing findings (default: the cached clone, if any).
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
    /// Report format: human, json or markdown.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Where the workspace is and how to read it.
#[derive(Debug, Clone, Args)]
pub struct WorkspaceArgs {
    /// The workspace's Cargo.toml (default: found from the current directory, as cargo does).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The policy file (default: trustcheck.toml at the workspace root; none there means built-in defaults).
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
    /// Use this local RustSec database directory; nothing is fetched for it.
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
    /// No network at all: cached data only; missing data is reported as `unchecked`.
    #[arg(long)]
    pub offline: bool,
    /// Require Cargo.lock to be up to date (passed to cargo).
    #[arg(long)]
    pub locked: bool,
    /// Read recorded `cargo metadata --format-version 1 --all-features` output instead of running cargo.
    #[arg(long, value_name = "PATH")]
    pub metadata_json: Option<PathBuf>,
}

/// How to narrow the dependency graph, as cargo would build it.
#[derive(Debug, Clone, Args)]
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

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Options of `check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// How to narrow the graph.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Report format (json, sarif and markdown go to stdout).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Also print GitHub Actions `::error`/`::warning` annotations on stderr (auto: when GITHUB_ACTIONS=true).
    #[arg(long, value_enum, default_value_t = AnnotationChoice::Auto, value_name = "WHEN")]
    pub github_annotations: AnnotationChoice,
}

/// When to print GitHub Actions annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnnotationChoice {
    /// When running on GitHub Actions (`GITHUB_ACTIONS=true`).
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

/// Options of `fetch`: the workspace and graph whose data to fetch.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// How to narrow the graph.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Read owners and publishers from a crates.io database dump (db-dump.tar.gz) instead of
    /// asking the rate-limited API crate by crate.
    #[arg(long, value_name = "PATH")]
    pub db_dump: Option<PathBuf>,
}

/// Options of `explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// An advisory id or alias (RUSTSEC-…, CVE-…, GHSA-…), or a crate name.
    pub subject: String,
    /// Where the workspace is.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// How to narrow the graph.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Output format (human or json).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Which workspace's graph to read, for commands that need only the graph (the whole resolve:
/// the baseline always covers every registry package of Cargo.lock).
#[derive(Debug, Clone, Args)]
pub struct GraphSourceArgs {
    /// The workspace's Cargo.toml (default: found from the current directory, as cargo does).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// No network (passed to cargo).
    #[arg(long)]
    pub offline: bool,
    /// Require Cargo.lock to be up to date (passed to cargo).
    #[arg(long)]
    pub locked: bool,
}

impl GraphSourceArgs {
    /// The workspace options these arguments ask for.
    pub fn options(&self) -> WorkspaceOptions {
        WorkspaceOptions {
            manifest_path: self.manifest_path.clone(),
            offline: self.offline,
            locked: self.locked,
            ..WorkspaceOptions::default()
        }
    }
}

/// Options of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Which workspace.
    #[command(flatten)]
    pub graph_source: GraphSourceArgs,
    /// Replace an existing trustcheck.toml and trustcheck.lock.
    #[arg(long)]
    pub force: bool,
}

/// Options of `baseline`.
#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
    /// Which workspace.
    #[command(flatten)]
    pub graph_source: GraphSourceArgs,
    /// Accept the current license, owners and publishers of this crate only, leaving every
    /// other entry as it is (repeatable).
    #[arg(long, value_name = "CRATE")]
    pub accept: Vec<String>,
}

impl GraphArgs {
    /// The graph options these arguments ask for.
    pub fn options(&self) -> GraphOptions {
        GraphOptions {
            targets: self.targets.clone(),
            features: self.features.clone(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
            exclude_dev: self.exclude_dev,
        }
    }
}

impl WorkspaceArgs {
    /// The check request for these arguments.
    pub fn request(&self, graph: &GraphArgs) -> CheckRequest {
        CheckRequest {
            workspace: WorkspaceOptions {
                manifest_path: self.manifest_path.clone(),
                metadata_json: self.metadata_json.clone(),
                policy: self.policy.clone(),
                offline: self.offline,
                locked: self.locked,
                graph: graph.options(),
            },
            advisory_db: self.advisory_db.clone(),
            today: Date::today(),
        }
    }
}

impl ColorChoice {
    /// Whether to colour output written to stdout.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                    && std::env::var("TERM").map_or(true, |term| term != "dumb")
            }
        }
    }
}

/// The outcome of a command that ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at level deny remains.
    Passed,
    /// A finding at level deny remains.
    Violated,
}

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // Cargo runs `cargo-trustcheck trustcheck ...`.
    if args.get(1).is_some_and(|arg| arg == "trustcheck") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                exit::FAILED
            } else {
                exit::SUCCESS
            });
        }
    };
    match run(cli) {
        Ok(Outcome::Passed) => ExitCode::from(exit::SUCCESS),
        Ok(Outcome::Violated) => ExitCode::from(exit::POLICY_VIOLATED),
        Err(error) => {
            let mut message = format!("{error}");
            let mut source = error.source();
            while let Some(cause) = source {
                let text = cause.to_string();
                if !message.contains(&text) {
                    message.push_str(&format!("\n  caused by: {text}"));
                }
                source = cause.source();
            }
            eprintln!("error: {message}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        None => commands::run_check(&cli.check),
        Some(Command::Check(args)) => commands::run_check(&args),
        Some(Command::Init(args)) => commands::init::run(&args),
        Some(Command::Baseline(args)) => commands::baseline::run(&args),
        Some(Command::Explain(args)) => commands::explain::run(&args),
        Some(Command::Fetch(args)) => commands::fetch::run(&args),
        Some(Command::Diff(args)) => commands::diff::run(&args),
    }
}

/// Writes command output to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(error.into()),
    }
}
