//! The commands: each loads what it needs, runs the library's stages, and prints.

pub mod baseline;
pub mod check;
pub mod diff;
pub mod explain;
pub mod fetch;
pub mod init;

use std::path::Path;

use crate::cache::{CacheError, write_atomic};
use crate::cli::{CheckArgs, Outcome, print_stdout};
use crate::error::Error;
use crate::report::Format;

/// Writes a file of the workspace (policy, baseline) atomically.
pub fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    write_atomic(path, text.as_bytes()).map_err(|error| match error {
        CacheError::Io { source, .. } => Error::Write {
            path: path.to_path_buf(),
            source,
        },
        other => Error::Cache(other),
    })
}

/// `check`, as the command line runs it: report to stdout, notes to stderr for machine formats.
pub fn run_check(args: &CheckArgs) -> anyhow::Result<Outcome> {
    let request = args.workspace.request(&args.graph);
    let report = check::run(&request)?;
    if args.format != Format::Human {
        for note in &report.notes {
            eprintln!("warning: {}", crate::text::sanitize_terminal(note));
        }
    }
    if args.github_annotations.enabled() {
        let workspace = std::env::var_os("GITHUB_WORKSPACE").map(std::path::PathBuf::from);
        eprint!(
            "{}",
            crate::report::annotations::render(&report, workspace.as_deref())
        );
    }
    print_stdout(&report.render(args.format, args.color.enabled()))?;
    Ok(if report.denies() {
        Outcome::Violated
    } else {
        Outcome::Passed
    })
}
