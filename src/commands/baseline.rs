//! `baseline`: rewrites `trustcheck.lock` from the current graph (versions no longer in it are
//! pruned), or with `--accept CRATE` updates only that crate's entries; prints what changed.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Outcome, print, write_file};
use crate::error::{Error, UsageError};
use crate::load::baseline::{self, BASELINE_FILE, Baseline, Change};
use crate::load::workspace::{Reads, files};
use crate::pipeline::{self, RunOptions};
use crate::support::terminal::Terminal;
use crate::support::text::{counted, sanitize_terminal as clean};

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
    terminal.verbose(&format!("graph: from {}", workspace.graph_source));
    let path = workspace.root.join(BASELINE_FILE);
    let existing_text = files::baseline_text(&workspace.root)?;
    let mut resolved_conflict = false;
    let previous = match existing_text.as_deref() {
        None => None,
        Some(text) => match baseline::parse(text, &path) {
            Ok(previous) => Some(previous),
            Err(error) => match merged_sides(text, &path) {
                Some(merged) if request.accept.is_empty() => {
                    resolved_conflict = true;
                    Some(merged)
                }
                _ => return Err(error.into()),
            },
        },
    };

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
    let warnings = pipeline::refresh::fill_baseline_ownership(
        &mut updated,
        only.as_ref(),
        workspace.policy.ownership.requests_per_second,
        request.run.network(),
        request.run.progress(),
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
    if resolved_conflict {
        terminal.warn(&format!(
            "{} had merge-conflict markers: it was rewritten from the graph, keeping what either side recorded (this branch's side first) for the crates still in it; review the result before committing it",
            path.display()
        ));
    }
    for warning in warnings {
        terminal.warn(&warning);
    }
    Ok(Outcome::Passed)
}

/// A baseline with merge conflicts, as one: the records of both sides, "ours" first and
/// "theirs" for what ours lacks (crates, versions, owners, publishers). `None` when the text
/// has no conflicts, or a side does not parse.
fn merged_sides(text: &str, path: &std::path::Path) -> Option<Baseline> {
    let (ours, theirs) = baseline::conflict_sides(text)?;
    let mut merged = baseline::parse(&ours, path).ok()?;
    let theirs = baseline::parse(&theirs, path).ok()?;
    for (key, record) in theirs.crates {
        let entry = merged.crates.entry(key).or_default();
        if entry.owners.is_none() {
            entry.owners = record.owners;
        }
        for (version, version_record) in record.versions {
            let ours = entry.versions.entry(version).or_default();
            if ours.published_by.is_none() {
                ours.published_by = version_record.published_by;
            }
            if ours.license.is_none() {
                ours.license = version_record.license;
            }
        }
    }
    Some(merged)
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
        "{}, {}",
        counted(baseline.crates.len(), "crate"),
        counted(baseline.version_count(), "version")
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
        (
            count(|kind| matches!(kind, baseline::ChangeKind::Build { .. })),
            "with build code recorded or changed",
        ),
        (
            count(|kind| matches!(kind, baseline::ChangeKind::Code)),
            "with their code's capabilities or binaries recorded or changed",
        ),
    ] {
        if number > 0 {
            parts.push(format!("{} {label}", counted(number, "version")));
        }
    }
    let other = count(|kind| {
        matches!(
            kind,
            baseline::ChangeKind::Owners | baseline::ChangeKind::Other
        )
    });
    if other > 0 {
        parts.push(counted(other, "owner or publisher change"));
    }
    if parts.is_empty() {
        parts.push("nothing changed".to_owned());
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
