//! The Markdown report of `check --format markdown`: a summary line, a table per group,
//! dependency paths in collapsible details. Every string from outside is escaped.

use std::fmt::Write;

use super::Report;
use crate::finding::{Level, Verdict};
use crate::text::{escape_markdown as esc, markdown_code as code};

/// The marker of a verdict's level in tables.
pub fn level_marker(verdict: &Verdict) -> &'static str {
    match (&verdict.exemption, verdict.level) {
        (Some(_), _) => "☑️ exempt",
        (None, Level::Deny) => "❌ deny",
        (None, _) => "⚠️ warn",
    }
}

/// The one-line summary that heads Markdown reports.
pub fn summary_line(report: &Report) -> String {
    let summary = report.summary;
    let icon = if summary.deny > 0 {
        "❌"
    } else if summary.warn > 0 {
        "⚠️"
    } else {
        "✅"
    };
    format!(
        "{icon} **cargo-trustcheck**: {} denied, {} warning{}, {} exempted ({} packages)",
        summary.deny,
        summary.warn,
        if summary.warn == 1 { "" } else { "s" },
        summary.exempted,
        report.package_count
    )
}

/// A table of verdicts with level, kind, crate, version, advisory and message.
pub fn verdict_table(out: &mut String, verdicts: &[&Verdict]) {
    out.push_str("| Level | Kind | Crate | Version | Advisory | Message |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for verdict in verdicts {
        let finding = &verdict.finding;
        let advisory = match &finding.advisory {
            Some(advisory) => match &advisory.url {
                Some(url) if url.starts_with("https://") => {
                    format!("[{}](<{}>)", esc(&advisory.id), esc(url))
                }
                _ => esc(&advisory.id),
            },
            None => String::new(),
        };
        let mut message = esc(&finding.message);
        if let Some(exemption) = &verdict.exemption {
            let _ = write!(
                message,
                "<br>*exempted until {}: {}*",
                exemption.expires,
                esc(&exemption.reason)
            );
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            level_marker(verdict),
            finding.kind,
            finding.crate_name().map(code).unwrap_or_default(),
            finding
                .version()
                .map(|version| code(&version.to_string()))
                .unwrap_or_default(),
            advisory,
            message
        );
    }
}

/// Collapsible dependency paths of the verdicts that have any.
pub fn paths_details(out: &mut String, verdicts: &[&Verdict]) {
    let with_paths: Vec<&&Verdict> = verdicts
        .iter()
        .filter(|verdict| !verdict.finding.paths.is_empty())
        .collect();
    if with_paths.is_empty() {
        return;
    }
    out.push_str("\n<details><summary>Dependency paths</summary>\n\n");
    for verdict in with_paths {
        let finding = &verdict.finding;
        let subject = format!(
            "{} {}",
            finding.crate_name().map(code).unwrap_or_default(),
            finding
                .version()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
        for path in &finding.paths {
            let chain: Vec<String> = path.iter().map(|name| code(name)).collect();
            let _ = writeln!(out, "- {}: {}", subject.trim(), chain.join(" → "));
        }
    }
    out.push_str("\n</details>\n");
}

/// Renders the check report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", summary_line(report));
    let open: Vec<&Verdict> = report
        .verdicts
        .iter()
        .filter(|verdict| verdict.exemption.is_none())
        .collect();
    let exempted: Vec<&Verdict> = report
        .verdicts
        .iter()
        .filter(|verdict| verdict.exemption.is_some())
        .collect();
    if open.is_empty() && exempted.is_empty() {
        out.push_str("No findings.\n");
    }
    if !open.is_empty() {
        out.push_str("### Findings\n\n");
        verdict_table(&mut out, &open);
        paths_details(&mut out, &open);
    }
    if !exempted.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Exempted findings ({})</summary>\n",
            exempted.len()
        );
        verdict_table(&mut out, &exempted);
        out.push_str("\n</details>\n");
    }
    for note in &report.notes {
        let _ = writeln!(out, "\n> [!WARNING]\n> {}", esc(note));
    }
    out
}
