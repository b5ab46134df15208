//! The commands: each loads what it needs, runs the library's stages, and prints.

pub mod check;
pub mod explain;
pub mod fetch;

use crate::cli::{CheckArgs, Outcome, print_stdout};
use crate::report::Format;

/// `check`, as the command line runs it: report to stdout, notes to stderr for machine formats.
pub fn run_check(args: &CheckArgs) -> anyhow::Result<Outcome> {
    let request = args.workspace.request(&args.graph);
    let report = check::run(&request)?;
    if args.format != Format::Human {
        for note in &report.notes {
            eprintln!("warning: {}", crate::text::sanitize_terminal(note));
        }
    }
    print_stdout(&report.render(args.format, args.color.enabled()))?;
    Ok(if report.denies() {
        Outcome::Violated
    } else {
        Outcome::Passed
    })
}
