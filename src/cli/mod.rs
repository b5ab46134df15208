//! The command line: arguments (clap), their translation into the commands' plain requests,
//! and the exit status. Dependencies point one way: `cli` → `commands` → `pipeline` → stages.
//!
//! Each command lists exactly the options it takes (its `--help`), and clap refuses the rest as
//! it parses (exit 2). The options the commands share (workspace, policy, network, graph,
//! output) are accepted before or after the subcommand (`cargo trustcheck --offline check` =
//! `cargo trustcheck check --offline`): before parsing, those written before a subcommand are
//! moved after it (`hoist_shared`), so that the subcommand's own definition decides whether it
//! takes them.

mod args;
mod hoist;

pub use args::*;

use std::ffi::OsString;
use std::process::ExitCode;

use crate::commands::baseline::BaselineRequest;
use crate::commands::check::CheckRequest;
use crate::commands::diff::DiffRequest;
use crate::commands::explain::ExplainRequest;
use crate::commands::fetch::FetchRequest;
use crate::commands::init::InitRequest;
use crate::commands::{self, Outcome};
use crate::error::{Error, UsageError};
use crate::exit;
use crate::support::terminal;

/// Runs the command line and returns the process exit status.
pub fn main() -> ExitCode {
    crate::support::interrupt::install();
    let mut args: Vec<OsString> = std::env::args_os().collect();
    // Cargo runs `cargo-trustcheck trustcheck ...`.
    if args.get(1).is_some_and(|arg| arg == "trustcheck") {
        args.remove(1);
    }
    let parsed = hoist::hoist_shared(args).and_then(|args| {
        <Cli as clap::Parser>::try_parse_from(&args).map_err(|mut error| {
            hoist::explain_refusal(&mut error, &args);
            error
        })
    });
    let cli = match parsed {
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
    let top = cli.check;
    let Some(command) = cli.command else {
        let shared = top.run.shared();
        let terminal = shared.terminal();
        let request = CheckRequest {
            run: shared.run_options(&terminal),
            format: top.format.unwrap_or_default(),
            annotations: top.github_annotations.unwrap_or_default().enabled(),
        };
        return commands::check::run(&request, &terminal);
    };
    // `hoist_shared` moved every shared option after the subcommand, and refused `check`'s own
    // before another one.
    if top.run.shared() != Shared::default()
        || (!matches!(command, Command::Check(_))
            && (top.format.is_some() || top.github_annotations.is_some()))
    {
        return Err(UsageError::OptionsBeforeSubcommand {
            command: command.name(),
        }
        .into());
    }
    let shared = command.shared();
    let terminal = shared.terminal();
    let run = shared.run_options(&terminal);
    match command {
        Command::Check(args) => commands::check::run(
            &CheckRequest {
                run,
                format: args.format.or(top.format).unwrap_or_default(),
                annotations: args
                    .github_annotations
                    .or(top.github_annotations)
                    .unwrap_or_default()
                    .enabled(),
            },
            &terminal,
        ),
        Command::Init(args) => commands::init::run(
            &InitRequest {
                run,
                force: args.force,
            },
            &terminal,
        ),
        Command::Baseline(args) => commands::baseline::run(
            &BaselineRequest {
                run,
                accept: args.accept,
            },
            &terminal,
        ),
        Command::Explain(args) => commands::explain::run(
            &ExplainRequest {
                run,
                subject: args.subject,
                format: args.format,
            },
            &terminal,
        ),
        Command::Fetch(args) => commands::fetch::run(
            &FetchRequest {
                run,
                db_dump: args.db_dump,
            },
            &terminal,
        ),
        Command::Diff(args) => commands::diff::run(
            &DiffRequest {
                run,
                base: args.base,
                head: args.head,
                format: args.format,
            },
            &terminal,
        ),
    }
}
