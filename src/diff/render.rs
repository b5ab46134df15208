//! Rendering a diff: human text, the contract's JSON, and Markdown fit to paste as a
//! pull-request comment (a summary line, tables, collapsible details, untrusted text escaped).

use std::fmt::Write;

use serde_json::{Value, json};

use super::baseline::{BaselineChange, BaselineEntry};
use super::{Diff, ExemptionEntry};
use crate::finding::Verdict;
use crate::report::json::JsonFinding;
use crate::support::text::sanitize_terminal as clean;

mod markdown;
pub use markdown::markdown;

/// The contract's JSON document of a diff.
pub fn json(diff: &Diff) -> String {
    let findings = |verdicts: &[Verdict]| verdicts.iter().map(JsonFinding::of).collect::<Vec<_>>();
    let document = json!({
        "format-version": 1,
        "base": diff.base,
        "head": diff.head,
        "policy": diff.policy,
        "exemptions": diff.exemptions,
        "baseline": diff.baseline,
        "dependencies": diff.dependencies,
        "arrivals": diff.arrivals,
        "unrecorded": diff.unrecorded,
        "unrecorded-versions": diff.unrecorded_versions,
        "licenses-widened": diff.licenses_widened,
        "trust-granted": diff.trust_granted(),
        "findings": {
            "introduced": findings(&diff.findings.introduced),
            "resolved": findings(&diff.findings.resolved),
            "available": diff.findings.available,
            "missing": diff.findings.missing,
        },
    });
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

fn exemption_text(entry: &ExemptionEntry) -> String {
    let mut parts = Vec::new();
    if let Some(advisory) = &entry.advisory {
        parts.push(advisory.clone());
    }
    if let Some(kind) = entry.kind {
        parts.push(format!("kind {kind}"));
    }
    if let Some(name) = &entry.crate_name {
        parts.push(format!("crate {name}"));
    }
    if let Some(version) = &entry.version {
        parts.push(format!("version {version}"));
    }
    format!(
        "{} until {}: {}",
        parts.join(", "),
        entry.expires,
        entry.reason
    )
}

/// A policy value in a line of text: strings bare, lists joined.
fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => text.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|item| item
                    .as_str()
                    .map_or_else(|| item.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn counts(diff: &Diff) -> Vec<String> {
    let mut parts = Vec::new();
    if !diff.policy.changed.is_empty() {
        let weaker = diff.policy.weakening();
        let mut text = format!("policy ~{}", diff.policy.changed.len());
        if weaker > 0 {
            text.push_str(&format!(" ({weaker} weaker)"));
        }
        parts.push(text);
    }
    let exemptions = &diff.exemptions;
    let exemption_total = exemptions.total();
    if exemption_total > 0 {
        let broader = exemptions.broader();
        let mut text = format!(
            "exemptions +{} −{} ~{}",
            exemptions.added.len(),
            exemptions.removed.len(),
            exemptions.changed.len()
        );
        if broader > 0 {
            text.push_str(&format!(" ({broader} broader)"));
        }
        parts.push(text);
    }
    let baseline = &diff.baseline;
    let baseline_total = baseline.total();
    if baseline_total > 0 {
        parts.push(format!(
            "baseline +{} −{} ~{}",
            baseline.added.len(),
            baseline.removed.len(),
            baseline.changed.len()
        ));
    }
    let dependencies = &diff.dependencies;
    let upgrades = dependencies
        .changed
        .iter()
        .filter(|change| change.direction == "upgrade")
        .count();
    let dependency_total = dependencies.total();
    if dependency_total > 0 {
        parts.push(format!(
            "dependencies +{} −{} ↑{} ↓{}",
            dependencies.added.len(),
            dependencies.removed.len(),
            upgrades,
            dependencies.changed.len() - upgrades
        ));
    }
    parts.push(format!(
        "findings +{} −{}",
        diff.findings.introduced.len(),
        diff.findings.resolved.len()
    ));
    parts
}

/// The counts of a diff in one line, or "no changes".
fn summary_text(diff: &Diff) -> String {
    let parts = counts(diff);
    if parts.is_empty() {
        "no changes".to_owned()
    } else {
        parts.join(", ")
    }
}

fn baseline_entry_text(entry: &BaselineEntry) -> String {
    let mut text = format!(
        "{} {}",
        entry.crate_name,
        entry.version.as_deref().unwrap_or("")
    );
    if let Some(license) = &entry.license {
        text.push_str(&format!(", license {license}"));
    }
    if let Some(publisher) = &entry.published_by {
        text.push_str(&format!(", published by {publisher}"));
    }
    if !entry.owners.is_empty() {
        text.push_str(&format!(", owners {}", entry.owners.join(", ")));
    }
    text
}

fn baseline_change_text(change: &BaselineChange) -> String {
    let subject = match &change.version {
        Some(version) => format!("{} {version}", change.crate_name),
        None => change.crate_name.clone(),
    };
    let value = |value: &Value| match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    let mut text = format!(
        "{subject}: {} {} → {}",
        change.field,
        value(&change.before),
        value(&change.after)
    );
    if !change.added.is_empty() {
        text.push_str(&format!(" (added {})", change.added.join(", ")));
    }
    if !change.removed.is_empty() {
        text.push_str(&format!(" (removed {})", change.removed.join(", ")));
    }
    text
}

/// The human report of a diff.
pub fn human(diff: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "trustcheck diff {} → {}",
        clean(&diff.base),
        clean(&diff.head)
    );
    let _ = writeln!(out, "{}", summary_text(diff));
    let granted = diff.trust_granted();
    if granted.is_empty() {
        let _ = writeln!(out, "grants no trust\n");
    } else {
        let _ = writeln!(out, "grants trust: {}\n", clean(&granted.join("; ")));
    }

    if !diff.policy.changed.is_empty() {
        let _ = writeln!(out, "Policy");
        for change in &diff.policy.changed {
            let _ = writeln!(
                out,
                "  ~ {}: {} → {}{}",
                clean(&change.key),
                clean(&value_text(&change.before)),
                clean(&value_text(&change.after)),
                if change.weakens { "  [weakens]" } else { "" }
            );
        }
        out.push('\n');
    }
    let exemptions = &diff.exemptions;
    if exemptions.total() > 0 {
        let _ = writeln!(out, "Exemptions");
        for entry in &exemptions.added {
            let _ = writeln!(out, "  + {}", clean(&exemption_text(entry)));
        }
        for entry in &exemptions.removed {
            let _ = writeln!(out, "  - {}", clean(&exemption_text(entry)));
        }
        for change in &exemptions.changed {
            let _ = writeln!(out, "  ~ {}", clean(&exemption_text(&change.before)));
            let _ = writeln!(out, "    → {}", clean(&exemption_text(&change.after)));
            for reason in &change.broader_because {
                let _ = writeln!(out, "    broader: {}", clean(reason));
            }
        }
        out.push('\n');
    }
    let baseline = &diff.baseline;
    if baseline.total() > 0 {
        let _ = writeln!(out, "Baseline (trust newly accepted)");
        for entry in &baseline.added {
            let _ = writeln!(out, "  + {}", clean(&baseline_entry_text(entry)));
        }
        for change in &baseline.changed {
            let _ = writeln!(out, "  ~ {}", clean(&baseline_change_text(change)));
        }
        for entry in &baseline.removed {
            let _ = writeln!(out, "  - {}", clean(&baseline_entry_text(entry)));
        }
        out.push('\n');
    }
    if !diff.unrecorded.is_empty() {
        let _ = writeln!(
            out,
            "Not in trustcheck.lock (accept them with `cargo trustcheck baseline`)"
        );
        for entry in &diff.unrecorded {
            let _ = writeln!(out, "  ! {} {}", clean(&entry.crate_name), entry.version);
        }
        out.push('\n');
    }
    if !diff.arrivals.is_empty() {
        let _ = writeln!(out, "Crates new to the baseline");
        for arrival in &diff.arrivals {
            let accepted = if arrival.accepted {
                "accepted by this change"
            } else {
                "not recorded in trustcheck.lock"
            };
            let lookalike = if arrival.lookalike_of.is_empty() {
                String::new()
            } else {
                format!(
                    "  [lookalike of {}]",
                    clean(&arrival.lookalike_of.join(", "))
                )
            };
            let _ = writeln!(
                out,
                "  + {} {} ({accepted}){lookalike}",
                clean(&arrival.crate_name),
                arrival.version
            );
        }
        out.push('\n');
    }
    let dependencies = &diff.dependencies;
    if dependencies.total() > 0 {
        let _ = writeln!(out, "Dependencies");
        for entry in &dependencies.added {
            let flag = if entry.new_source {
                "  [new source]"
            } else {
                ""
            };
            let source = entry
                .source
                .as_deref()
                .map(|source| format!(" ({source})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  + {} {}{}{flag}",
                clean(&entry.crate_name),
                entry.version,
                clean(&source)
            );
        }
        for change in &dependencies.changed {
            let arrow = if change.direction == "upgrade" {
                "↑"
            } else {
                "↓"
            };
            let _ = writeln!(
                out,
                "  {arrow} {} {} → {}",
                clean(&change.crate_name),
                change.before,
                change.after
            );
        }
        for entry in &dependencies.removed {
            let _ = writeln!(out, "  - {} {}", clean(&entry.crate_name), entry.version);
        }
        out.push('\n');
    }
    if !diff.licenses_widened.is_empty() {
        let _ = writeln!(out, "Licenses newly allowed");
        for widening in &diff.licenses_widened {
            let _ = writeln!(out, "  {}", clean(&widening_text(widening)));
        }
        out.push('\n');
    }
    if !diff.unrecorded_versions.is_empty() {
        let _ = writeln!(
            out,
            "Versions not in trustcheck.lock (accept them with `cargo trustcheck baseline`)"
        );
        for entry in &diff.unrecorded_versions {
            let _ = writeln!(out, "  ! {} {}", clean(&entry.crate_name), entry.version);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Findings");
    for verdict in &diff.findings.introduced {
        let _ = writeln!(out, "  + {}", clean(&finding_text(verdict)));
    }
    for verdict in &diff.findings.resolved {
        let _ = writeln!(out, "  - {}", clean(&finding_text(verdict)));
    }
    if diff.findings.introduced.is_empty() && diff.findings.resolved.is_empty() {
        let _ = writeln!(out, "  none introduced, none resolved");
    }
    if !diff.findings.missing.is_empty() {
        let _ = writeln!(
            out,
            "  not computed, as no cache held (run `cargo trustcheck fetch` at each revision): {}",
            clean(&diff.findings.missing.join("; "))
        );
    }
    out
}

/// "+CDLA-Permissive-2.0 (lets in webpki-roots 0.26.1)".
fn widening_text(widening: &super::LicenseWidening) -> String {
    if widening.lets_in.is_empty() {
        format!("+{} (lets in no crate of the graph yet)", widening.license)
    } else {
        format!(
            "+{} (lets in {})",
            widening.license,
            widening.lets_in.join(", ")
        )
    }
}

fn finding_text(verdict: &Verdict) -> String {
    let finding = &verdict.finding;
    let level = match &verdict.exemption {
        Some(exemption) => format!("exempted until {}", exemption.expires),
        None => verdict.level.to_string(),
    };
    format!(
        "{} {} {} {}{}: {}",
        level,
        finding.kind,
        finding.crate_name().unwrap_or(""),
        finding
            .version()
            .map(ToString::to_string)
            .unwrap_or_default(),
        finding
            .advisory_id()
            .map(|id| format!(" {id}"))
            .unwrap_or_default(),
        finding.message
    )
}
