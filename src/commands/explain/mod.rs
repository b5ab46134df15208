//! `explain ID-or-CRATE`: one advisory in full and what it means for this workspace, or why one
//! crate is in the graph (its dependency paths), which findings and exemptions apply to each of
//! its versions, and what the baseline accepted for it.
//!
//! Both run the whole pipeline once (the advisory database is opened once, so no lock is ever
//! asked for twice), and any error of that run is an error of `explain`.

mod advisory;
mod krate;

use super::{Outcome, print};
use crate::error::Error;
use crate::pipeline::RunOptions;
use crate::support::terminal::Terminal;
use advisory::explain_advisory;
use krate::explain_crate;

/// The formats `explain` renders in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Text for a terminal.
    #[default]
    Human,
    /// A JSON document.
    Json,
}

/// What `explain` is asked to do.
#[derive(Clone, Debug)]
pub struct ExplainRequest {
    /// The run: workspace, graph options, network.
    pub run: RunOptions,
    /// An advisory id or alias, or a crate (`name` or `name@version`).
    pub subject: String,
    /// The output format.
    pub format: ExplainFormat,
}

/// A finding's standing: "exempted until DATE (policy line N)", or its level.
fn status(verdict: &crate::finding::Verdict) -> String {
    match &verdict.exemption {
        Some(exemption) => format!(
            "exempted until {} (policy line {})",
            exemption.expires, exemption.line
        ),
        None => verdict.level.to_string(),
    }
}

/// Whether the subject names an advisory rather than a crate.
pub fn is_advisory_id(subject: &str) -> bool {
    let upper = subject.to_ascii_uppercase();
    ["RUSTSEC-", "CVE-", "GHSA-"]
        .iter()
        .any(|prefix| upper.starts_with(prefix))
}

/// Runs `explain`.
pub fn run(request: &ExplainRequest, terminal: &Terminal) -> Result<Outcome, Error> {
    let text = if is_advisory_id(&request.subject) {
        explain_advisory(request, terminal)?
    } else {
        explain_crate(request, terminal)?
    };
    print(terminal, &text)?;
    Ok(Outcome::Passed)
}
