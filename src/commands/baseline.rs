//! `baseline`: rewrites `trustcheck.lock` from the current graph (versions no longer in it are
//! pruned), or with `--accept CRATE` updates only that crate's entries; prints what changed.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Outcome, print, write_file};
use crate::baseline::{self, BASELINE_FILE, Baseline, Change};
use crate::error::{Error, UsageError};
use crate::pipeline::{self, RunOptions};
use crate::terminal::Terminal;
use crate::text::sanitize_terminal as clean;
use crate::workspace::{Reads, files};

/// Above this many changes, the summary gives counts only.
const LISTED_CHANGES: usize = 50;

/// What `baseline` is asked to do.
#[derive(Clone, Debug)]
pub struct BaselineRequest {
    /// The run: workspace, policy (its request rate), network.
    pub run: RunOptions,
    /// Accept only these crates' current facts, leaving every other entry as it is.
    pub accept: Vec<String>,
}

/// Runs `baseline`.
pub fn run(request: &BaselineRequest, terminal: &Terminal) -> Result<Outcome, Error> {
    let workspace = pipeline::load(
        &request.run,
        Reads {
            policy: true,
            baseline: false,
        },
    )?;
    let path = workspace.root.join(BASELINE_FILE);
    let existing_text = files::baseline_text(&workspace.root)?;
    let previous = existing_text
        .as_deref()
        .map(|text| baseline::parse(text, &path))
        .transpose()?;

    let mut updated = if request.accept.is_empty() {
        Baseline::from_graph(&workspace.graph, previous.as_ref())
    } else {
        let Some(mut updated) = previous.clone() else {
            return Err(UsageError::NoBaseline { path }.into());
        };
        for name in &request.accept {
            updated.accept(name, &workspace.graph)?;
        }
        updated
    };

    let only: Option<BTreeSet<String>> =
        (!request.accept.is_empty()).then(|| request.accept.iter().cloned().collect());
    let warnings = pipeline::facts::fill_baseline_ownership(
        &mut updated,
        only.as_ref(),
        workspace.policy.ownership.requests_per_second,
        request.run.network,
    )?;
    let text = baseline::render(&updated);
    if existing_text.as_deref() != Some(text.as_str()) {
        write_file(&path, &text)?;
    }
    let changes = updated.changes_since(&previous.unwrap_or_default());
    print(
        terminal,
        &summary(&path, &updated, &changes, existing_text.is_none()),
    )?;
    for warning in warnings {
        terminal.warn(&warning);
    }
    Ok(Outcome::Passed)
}

/// What a rewrite changed, in a few lines.
fn summary(
    path: &std::path::Path,
    baseline: &Baseline,
    changes: &[Change],
    created: bool,
) -> String {
    let mut out = String::new();
    let totals = format!(
        "{} crate{}, {} version{}",
        baseline.crates.len(),
        if baseline.crates.len() == 1 { "" } else { "s" },
        baseline.version_count(),
        if baseline.version_count() == 1 {
            ""
        } else {
            "s"
        }
    );
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "{} is up to date ({totals}); nothing changed",
            path.display()
        );
        return out;
    }
    let count = |wanted: fn(&baseline::ChangeKind) -> bool| {
        changes.iter().filter(|change| wanted(&change.kind)).count()
    };
    let mut parts = Vec::new();
    for (number, label) in [
        (
            count(|kind| matches!(kind, baseline::ChangeKind::Added { .. })),
            "added",
        ),
        (
            count(|kind| matches!(kind, baseline::ChangeKind::Removed)),
            "removed",
        ),
        (
            count(|kind| matches!(kind, baseline::ChangeKind::License { .. })),
            "relicensed",
        ),
    ] {
        if number > 0 {
            parts.push(format!(
                "{number} version{} {label}",
                if number == 1 { "" } else { "s" }
            ));
        }
    }
    let other = count(|kind| {
        matches!(
            kind,
            baseline::ChangeKind::Owners | baseline::ChangeKind::Other
        )
    });
    if other > 0 {
        parts.push(format!(
            "{other} owner or publisher change{}",
            if other == 1 { "" } else { "s" }
        ));
    }
    let _ = writeln!(
        out,
        "{} {}: {} ({totals})",
        if created { "created" } else { "updated" },
        path.display(),
        parts.join(", ")
    );
    if changes.len() <= LISTED_CHANGES {
        for change in changes {
            let _ = writeln!(out, "  {}", clean(&change.to_string()));
        }
    }
    out
}
