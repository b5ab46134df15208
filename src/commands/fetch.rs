//! `fetch`: refresh every cache that `check` reads, so that a later `check --offline` needs no
//! network: the facts of the lock file's registry crates (for the graph read from `Cargo.lock`),
//! the advisory database, the index entries of the graph's registry packages, and the owners and
//! publishers of its crates.io crates. It fails (exit 2) when any of them could not
//! be refreshed, after keeping what it got.

use std::path::PathBuf;

use super::Outcome;
use crate::error::{Error, FetchError};
use crate::load::workspace::Reads;
use crate::pipeline::{self, RunOptions};
use crate::support::terminal::Terminal;

/// What `fetch` is asked to do.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// The run: workspace and graph options.
    pub run: RunOptions,
    /// Read owners and publishers from this crates.io database dump instead of the API.
    pub db_dump: Option<PathBuf>,
}

/// Runs `fetch` and prints what each step did on stderr.
pub fn run(request: &FetchRequest, terminal: &Terminal) -> Result<Outcome, Error> {
    let workspace = pipeline::load(&request.run, Reads::ALL)?;
    // What `check --offline` will read the graph from: fetch says it as a step.
    terminal.status(&format!("graph: from {}", workspace.graph_source));
    let mut refreshed = pipeline::refresh::Refreshed::default();
    pipeline::refresh::refresh_crate_facts(&workspace, &request.run, &mut refreshed)?;
    let rest =
        pipeline::refresh::refresh_all(&workspace, &request.run, request.db_dump.as_deref())?;
    refreshed.steps.extend(rest.steps);
    refreshed.warnings.extend(rest.warnings);
    refreshed.failures.extend(rest.failures);
    for step in &refreshed.steps {
        terminal.status(step);
    }
    for warning in &refreshed.warnings {
        terminal.warn(warning);
    }
    if !refreshed.failures.is_empty() {
        return Err(FetchError {
            failures: refreshed.failures,
        }
        .into());
    }
    Ok(Outcome::Passed)
}
