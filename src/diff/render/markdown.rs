//! A diff in GitHub-flavoured Markdown, fit to paste as a pull-request comment: a summary
//! line, tables, collapsible details, untrusted text escaped, within GitHub's size limit.

use std::fmt::Write;

use super::{baseline_change_text, summary_text, value_text};
use crate::diff::{Diff, ExemptionEntry};
use crate::finding::Verdict;
use crate::report::markdown::verdict_table;
use crate::support::text::{escape_markdown as esc, markdown_code as code};

/// The Markdown report of a diff.
pub fn markdown(diff: &Diff) -> String {
    let mut out = String::new();
    let granted = diff.trust_granted();
    let icon = if granted.is_empty() { "✅" } else { "⚠️" };
    let _ = writeln!(
        out,
        "{icon} **cargo-trustcheck diff** {} → {}: {}\n",
        esc(&diff.base),
        esc(&diff.head),
        summary_text(diff)
    );
    if !granted.is_empty() {
        // Our own words, with numbers: nothing to escape.
        let _ = writeln!(
            out,
            "**Trust this change grants:** {}\n",
            granted.join("; ")
        );
    }
    if !diff.arrivals.is_empty() {
        out.push_str("### Crates new to the baseline\n\n| Crate | Version | In trustcheck.lock | Lookalike of |\n| --- | --- | --- | --- |\n");
        for arrival in &diff.arrivals {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(&arrival.crate_name),
                code(&arrival.version),
                if arrival.accepted {
                    "accepted by this change"
                } else {
                    "**not recorded**"
                },
                arrival
                    .lookalike_of
                    .iter()
                    .map(|name| format!("**{}**", code(name)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out.push('\n');
    }

    if !diff.policy.changed.is_empty() {
        out.push_str("### Policy\n\n| Key | Before | After | |\n| --- | --- | --- | --- |\n");
        for change in &diff.policy.changed {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(&change.key),
                code(&value_text(&change.before)),
                code(&value_text(&change.after)),
                if change.weakens {
                    "⚠️ **weakens**"
                } else {
                    ""
                }
            );
        }
        out.push('\n');
    }
    if !diff.licenses_widened.is_empty() {
        out.push_str("### Licenses newly allowed\n\n| License | Lets in |\n| --- | --- |\n");
        for widening in &diff.licenses_widened {
            let _ = writeln!(
                out,
                "| {} | {} |",
                code(&format!("+{}", widening.license)),
                widening
                    .lets_in
                    .iter()
                    .map(|name| code(name))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out.push('\n');
    }
    if !diff.unrecorded_versions.is_empty() {
        let _ = writeln!(
            out,
            "### Versions not in trustcheck.lock\n\nLocked, but not recorded in the baseline (accept them with `cargo trustcheck baseline`): {}\n",
            diff.unrecorded_versions
                .iter()
                .map(|entry| code(&format!("{} {}", entry.crate_name, entry.version)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !diff.unrecorded.is_empty() {
        let _ = writeln!(
            out,
            "### Not in trustcheck.lock\n\nIn the graph, but not recorded in the baseline (accept them with `cargo trustcheck baseline`): {}\n",
            diff.unrecorded
                .iter()
                .map(|entry| code(&format!("{} {}", entry.crate_name, entry.version)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let exemptions = &diff.exemptions;
    if exemptions.total() > 0 {
        out.push_str("### Exemptions\n\n| | Advisory | Crate | Version | Kind | Expires | Reason |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        let row = |marker: &str, entry: &ExemptionEntry, note: &str| {
            format!(
                "| {marker} | {} | {} | {} | {} | {} | {}{note} |\n",
                entry.advisory.as_deref().map(code).unwrap_or_default(),
                entry.crate_name.as_deref().map(code).unwrap_or_default(),
                entry.version.as_deref().map(code).unwrap_or_default(),
                entry.kind.map(|kind| kind.to_string()).unwrap_or_default(),
                entry.expires,
                esc(&entry.reason)
            )
        };
        for entry in &exemptions.added {
            out.push_str(&row("➕ added", entry, ""));
        }
        for entry in &exemptions.removed {
            out.push_str(&row("➖ removed", entry, ""));
        }
        for change in &exemptions.changed {
            out.push_str(&row("✏️ before", &change.before, ""));
            let note = if !change.broader {
                String::new()
            } else {
                format!(
                    "<br>**broader**: {}",
                    esc(&change.broader_because.join("; "))
                )
            };
            out.push_str(&row("✏️ after", &change.after, &note));
        }
        out.push('\n');
    }

    let baseline = &diff.baseline;
    if baseline.total() > 0 {
        out.push_str("### Baseline: trust newly accepted\n\n| | Crate | Version | What |\n| --- | --- | --- | --- |\n");
        for change in &baseline.changed {
            let text = baseline_change_text(change);
            let what = text.split_once(": ").map(|(_, what)| what).unwrap_or(&text);
            let _ = writeln!(
                out,
                "| ✏️ | {} | {} | {} |",
                code(&change.crate_name),
                change.version.as_deref().map(code).unwrap_or_default(),
                esc(what)
            );
        }
        let details = baseline.added.len() + baseline.removed.len();
        if details > 0 {
            out.push_str(&format!(
                "\n<details><summary>{} baseline entries added, {} removed</summary>\n\n| | Crate | Version | License | Published by |\n| --- | --- | --- | --- | --- |\n",
                baseline.added.len(),
                baseline.removed.len()
            ));
            for (marker, entries) in [("➕", &baseline.added), ("➖", &baseline.removed)] {
                for entry in entries {
                    let _ = writeln!(
                        out,
                        "| {marker} | {} | {} | {} | {} |",
                        code(&entry.crate_name),
                        entry.version.as_deref().map(code).unwrap_or_default(),
                        entry.license.as_deref().map(esc).unwrap_or_default(),
                        entry.published_by.as_deref().map(code).unwrap_or_default()
                    );
                }
            }
            out.push_str("\n</details>\n");
        }
        out.push('\n');
    }

    let dependencies = &diff.dependencies;
    let dependency_total = dependencies.total();
    if dependency_total > 0 {
        let _ = writeln!(
            out,
            "<details><summary>Dependencies: {} added, {} removed, {} changed</summary>\n\n| | Crate | Before | After | Source |\n| --- | --- | --- | --- | --- |",
            dependencies.added.len(),
            dependencies.removed.len(),
            dependencies.changed.len()
        );
        let source = |source: &Option<String>, new: bool| {
            let text = source
                .as_deref()
                .map(code)
                .unwrap_or_else(|| "local".to_owned());
            if new {
                format!("{text} **new source**")
            } else {
                text
            }
        };
        for entry in &dependencies.added {
            let _ = writeln!(
                out,
                "| ➕ | {} | | {} | {} |",
                code(&entry.crate_name),
                code(&entry.version),
                source(&entry.source, entry.new_source)
            );
        }
        for change in &dependencies.changed {
            let arrow = if change.direction == "upgrade" {
                "⬆️"
            } else {
                "⬇️"
            };
            let _ = writeln!(
                out,
                "| {arrow} | {} | {} | {} | {} |",
                code(&change.crate_name),
                code(&change.before),
                code(&change.after),
                source(&change.source, false)
            );
        }
        for entry in &dependencies.removed {
            let _ = writeln!(
                out,
                "| ➖ | {} | {} | | {} |",
                code(&entry.crate_name),
                code(&entry.version),
                source(&entry.source, false)
            );
        }
        out.push_str("\n</details>\n\n");
    }

    if !diff.findings.introduced.is_empty() {
        out.push_str("### Findings introduced\n\n");
        let verdicts: Vec<&Verdict> = diff.findings.introduced.iter().collect();
        verdict_table(&mut out, &verdicts);
        out.push('\n');
    }
    if !diff.findings.resolved.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Findings resolved ({})</summary>\n",
            diff.findings.resolved.len()
        );
        let verdicts: Vec<&Verdict> = diff.findings.resolved.iter().collect();
        verdict_table(&mut out, &verdicts);
        out.push_str("\n</details>\n");
    }
    if !diff.findings.missing.is_empty() {
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "> [!NOTE]\n> Not computed, as no cache held (run `cargo trustcheck fetch` at each revision): {}",
            esc(&diff.findings.missing.join("; "))
        );
    }
    crate::report::markdown::bounded(out, crate::report::markdown::MAX_LENGTH)
}
