//! `check`: the whole pipeline, rendered in the format asked for.

use super::{Outcome, print};
use crate::error::Error;
use crate::load::workspace::revision::Repository;
use crate::pipeline::{self, AdvisoryScope, RunOptions};
use crate::report::CheckFormat;
use crate::support::terminal::Terminal;

/// What `check` is asked to do.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// The run: workspace, network, date.
    pub run: RunOptions,
    /// The report format.
    pub format: CheckFormat,
    /// Also print GitHub Actions annotations on stderr.
    pub annotations: bool,
}

/// Runs `check`: the report to stdout; for machine formats, the run's notes to stderr.
pub fn run(request: &CheckRequest, terminal: &Terminal) -> Result<Outcome, Error> {
    let mut report = match pipeline::check(&request.run, AdvisoryScope::Graph) {
        Ok(checked) => {
            for line in &checked.trace {
                terminal.verbose(line);
            }
            checked.report
        }
        Err(error) => {
            // A SARIF consumer (code scanning) gets a valid log that says the run failed.
            if request.format == CheckFormat::Sarif {
                print(terminal, &crate::report::sarif::failure(&error.to_string()))?;
            }
            return Err(error);
        }
    };
    if request.format == CheckFormat::Sarif || request.annotations {
        report.repository_root = Repository::discover(&report.workspace_root)
            .ok()
            .map(|repository| repository.top);
    }
    if request.format != CheckFormat::Human {
        for note in &report.notes {
            terminal.warn(note);
        }
    }
    if request.annotations {
        let workspace = std::env::var_os("GITHUB_WORKSPACE").map(std::path::PathBuf::from);
        terminal.raw_stderr(&crate::report::annotations::render(
            &report,
            workspace.as_deref(),
        ));
    }
    print(
        terminal,
        &report.render(request.format, terminal.color_stdout()),
    )?;
    Ok(if report.denies() {
        Outcome::Violated
    } else {
        Outcome::Passed
    })
}
