//! The command line: arguments (clap), their translation into the commands' plain requests,
//! and the exit status. Dependencies point one way: `cli` → `commands` → `pipeline` → stages.
//!
//! Options shared by the commands are global: they are accepted before or after the
//! subcommand (`cargo trustcheck --offline check` = `cargo trustcheck check --offline`). A
//! command that has no use for one refuses it (exit 2) rather than ignoring it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::baseline::BaselineRequest;
use crate::commands::check::CheckRequest;
use crate::commands::diff::{DiffFormat, DiffRequest};
use crate::commands::explain::{ExplainFormat, ExplainRequest};
use crate::commands::fetch::FetchRequest;
use crate::commands::init::InitRequest;
use crate::commands::{self, Outcome};
use crate::error::{Error, UsageError};
use crate::exit;
use crate::load::graph::GraphOptions;
use crate::load::workspace::WorkspaceOptions;
use crate::pipeline::RunOptions;
use crate::report::CheckFormat;
use crate::support::date::Date;
use crate::support::terminal::{self, ColorChoice, Terminal, Verbosity};

/// Supply-chain policy for Rust workspaces: advisories, yanked releases, licenses, ownership.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-trustcheck",
    bin_name = "cargo trustcheck",
    version,
    about,
    after_help = "With no subcommand, runs `check`. Options before or after the subcommand are the same.\nExit status: 0 no denied finding, 1 denied findings, 2 the run could not be done."
)]
pub struct Cli {
    /// What to do (default: check).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options every command shares.
    #[command(flatten)]
    pub global: GlobalArgs,
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

/// Options every command shares, accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The workspace's Cargo.toml (default: found from the current directory, as cargo does).
    #[arg(long, value_name = "PATH", global = true)]
    pub manifest_path: Option<PathBuf>,
    /// The policy file (default: trustcheck.toml at the workspace root; none there means built-in defaults).
    #[arg(long, value_name = "PATH", global = true)]
    pub policy: Option<PathBuf>,
    /// Use this local RustSec database directory; nothing is fetched for it.
    #[arg(long, value_name = "PATH", global = true)]
    pub advisory_db: Option<PathBuf>,
    /// No network at all: cached data only; missing data is reported as `unchecked`.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Require Cargo.lock to exist (it is never modified: an out-of-date one is always an error).
    #[arg(long, global = true)]
    pub locked: bool,
    /// Read recorded `cargo metadata --format-version 1 --all-features` output instead of running cargo.
    #[arg(long, value_name = "PATH", global = true)]
    pub metadata_json: Option<PathBuf>,
    /// When to use colours (default: CARGO_TERM_COLOR, else never with NO_COLOR, else on a terminal).
    #[arg(long, value_enum, value_name = "WHEN", global = true)]
    pub color: Option<ColorChoice>,
    /// Print only errors on stderr (no warnings, steps or progress).
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more on stderr: which way things were done.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
    /// How to narrow the graph.
    #[command(flatten)]
    pub graph: GraphArgs,
}

/// How to narrow the dependency graph, as cargo would build it.
#[derive(Debug, Clone, Args)]
pub struct GraphArgs {
    /// Only dependencies used on this target triple (repeatable).
    #[arg(long = "target", value_name = "TRIPLE", global = true)]
    pub targets: Vec<String>,
    /// Features to enable: `feat` on every member that has it, or `member/feat` (comma- or space-separated, repeatable).
    #[arg(long, short = 'F', value_name = "FEATURES", global = true)]
    pub features: Vec<String>,
    /// Enable every feature of every member.
    #[arg(long, global = true)]
    pub all_features: bool,
    /// Do not enable the members' default features.
    #[arg(long, global = true)]
    pub no_default_features: bool,
    /// Leave out dev-dependencies.
    #[arg(long, global = true)]
    pub exclude_dev: bool,
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

/// Options of `fetch`.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Read owners and publishers from a crates.io database dump (db-dump.tar.gz) instead of
    /// asking the rate-limited API crate by crate.
    #[arg(long, value_name = "PATH")]
    pub db_dump: Option<PathBuf>,
}

/// Options of `explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// An advisory id or alias (RUSTSEC-…, CVE-…, GHSA-…), or a crate (`name` or `name@version`).
    pub subject: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
}

/// Options of `diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The base revision (a branch, tag or commit), e.g. `origin/main`.
    pub base: String,
    /// The head revision (default: the working tree).
    pub head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

/// Options of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Replace an existing trustcheck.toml and trustcheck.lock.
    #[arg(long)]
    pub force: bool,
}

/// Options of `baseline`.
#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
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

impl GlobalArgs {
    /// The run these options ask for.
    pub fn run_options(&self, terminal: &Terminal) -> RunOptions {
        let progress = crate::support::progress::ProgressMode::for_stderr(terminal.verbosity);
        let now = crate::support::date::now();
        RunOptions {
            workspace: WorkspaceOptions {
                manifest_path: self.manifest_path.clone(),
                metadata_json: self.metadata_json.clone(),
                policy: self.policy.clone(),
                offline: self.offline,
                locked: self.locked,
                graph: self.graph.options(),
                progress,
            },
            advisory_db: self.advisory_db.clone(),
            today: Date::from_unix_seconds(now),
            now,
        }
    }

    fn terminal(&self) -> Terminal {
        let verbosity = if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Terminal::new(verbosity, ColorChoice::resolve(self.color))
    }

    /// Refuses the options that would narrow a graph `command` records whole (`init`,
    /// `baseline`). (`--advisory-db` is accepted and unused, so that one set of options can be
    /// given to every command.)
    fn refuse_for_recording(&self, command: &'static str) -> Result<(), UsageError> {
        if self.graph.options().narrows() {
            return Err(UsageError::NotApplicable {
                command,
                option: "graph options (--target, --features, --all-features, --no-default-features, --exclude-dev)",
                why: "the baseline records every registry package of Cargo.lock",
            });
        }
        Ok(())
    }
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Check(_) => "check",
            Command::Init(_) => "init",
            Command::Baseline(_) => "baseline",
            Command::Explain(_) => "explain",
            Command::Fetch(_) => "fetch",
            Command::Diff(_) => "diff",
        }
    }
}

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    crate::support::interrupt::install();
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
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            terminal::error(&describe(&error));
            ExitCode::from(error.exit_code())
        }
    }
}

/// The error and its causes, each said once.
fn describe(error: &Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(&format!("\n  caused by: {text}"));
        }
        source = cause.source();
    }
    message
}

fn run(cli: Cli) -> Result<Outcome, Error> {
    crate::support::network::validate_environment().map_err(UsageError::from)?;
    crate::load::workspace::lockfile_first::Mode::validate_environment()
        .map_err(UsageError::from)?;
    let global = cli.global;
    let terminal = global.terminal();
    let run = global.run_options(&terminal);
    let check = |args: CheckArgs| CheckRequest {
        run: run.clone(),
        format: args.format.or(cli.check.format).unwrap_or_default(),
        annotations: args
            .github_annotations
            .or(cli.check.github_annotations)
            .unwrap_or_default()
            .enabled(),
    };
    if let Some(command) = &cli.command
        && !matches!(command, Command::Check(_))
        && (cli.check.format.is_some() || cli.check.github_annotations.is_some())
    {
        return Err(UsageError::FormatBeforeSubcommand {
            command: command.name(),
        }
        .into());
    }
    match cli.command {
        None => commands::check::run(
            &check(CheckArgs {
                format: None,
                github_annotations: None,
            }),
            &terminal,
        ),
        Some(Command::Check(args)) => commands::check::run(&check(args), &terminal),
        Some(Command::Init(args)) => {
            global.refuse_for_recording("init")?;
            commands::init::run(
                &InitRequest {
                    run,
                    force: args.force,
                },
                &terminal,
            )
        }
        Some(Command::Baseline(args)) => {
            global.refuse_for_recording("baseline")?;
            commands::baseline::run(
                &BaselineRequest {
                    run,
                    accept: args.accept,
                },
                &terminal,
            )
        }
        Some(Command::Explain(args)) => commands::explain::run(
            &ExplainRequest {
                run,
                subject: args.subject,
                format: args.format,
            },
            &terminal,
        ),
        Some(Command::Fetch(args)) => commands::fetch::run(
            &FetchRequest {
                run,
                db_dump: args.db_dump,
            },
            &terminal,
        ),
        Some(Command::Diff(args)) => {
            if global.metadata_json.is_some() {
                return Err(UsageError::NotApplicable {
                    command: "diff",
                    option: "--metadata-json",
                    why: "it reads each revision's files from git",
                }
                .into());
            }
            commands::diff::run(
                &DiffRequest {
                    run,
                    base: args.base,
                    head: args.head,
                    format: args.format,
                },
                &terminal,
            )
        }
    }
}
