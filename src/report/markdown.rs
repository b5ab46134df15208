//! The Markdown report of `check --format markdown`: a summary line, a table of findings (one
//! row for the crates a check could not be done for, for the same reason), dependency paths
//! and long crate lists in collapsible details. Every string from outside is escaped, and the
//! whole never exceeds `MAX_LENGTH` characters: GitHub refuses longer comments.

use std::fmt::Write;

use super::Report;
use crate::finding::{Level, Verdict};
use crate::support::text::{escape_markdown as esc, markdown_code as code};

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
        "{icon} **cargo-trustcheck**: {} denied, {}, {} exempted ({} packages)",
        summary.deny,
        crate::support::text::counted(summary.warn, "warning"),
        summary.exempted,
        report.package_count
    )
}

/// The longest Markdown report written (GitHub refuses comments over 65,536 characters).
pub const MAX_LENGTH: usize = 60_000;

/// `text` cut to at most `max` characters at a line boundary, with every `<details>` it leaves
/// open closed, and a last line saying how many lines were left out.
pub fn bounded(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let reserve = 400;
    let mut kept = String::new();
    let mut open_details = 0usize;
    let mut lines = text.lines();
    for line in lines.by_ref() {
        if kept.len() + line.len() + 1 + reserve + open_details * 12 > max {
            break;
        }
        open_details += line.matches("<details>").count();
        open_details = open_details.saturating_sub(line.matches("</details>").count());
        kept.push_str(line);
        kept.push('\n');
    }
    let left_out = lines.count() + 1;
    for _ in 0..open_details {
        kept.push_str("\n</details>\n");
    }
    let _ = writeln!(
        kept,
        "\n> [!NOTE]\n> {left_out} more lines were left out to stay within GitHub's limit for a comment; `--format json` has the whole report."
    );
    kept
}

/// How many crates a folded row names itself (all of them are listed after the table).
const FOLDED_SHOWN: usize = 10;

/// A table of verdicts with level, kind, crate, version, advisory and message. Rows at level
/// deny come first, so that a report cut to `MAX_LENGTH` never loses them to warnings; verdicts
/// of checks not done for the same reason are one row, and so are verdicts of one kind with the
/// same level, advisory and message (the same cause), their crates listed after the table.
pub fn verdict_table(out: &mut String, verdicts: &[&Verdict]) {
    out.push_str("| Level | Kind | Crate | Version | Advisory | Message |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    let mut ordered: Vec<&Verdict> = verdicts.to_vec();
    ordered.sort_by_key(|verdict| verdict.exemption.is_some() || verdict.level != Level::Deny);
    // (level, kind, crate, version, advisory, message) of each row, and the crates it folds.
    let mut rows: Vec<([String; 6], Vec<String>)> = Vec::new();
    let mut row_of: std::collections::HashMap<[String; 6], usize> =
        std::collections::HashMap::new();
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    for entry in super::entries(&ordered) {
        let verdict = match entry {
            super::Entry::Single(verdict) => verdict,
            super::Entry::Group(group) => {
                rows.push((
                    [
                        level_marker(group.verdicts[0]).to_owned(),
                        group.verdicts[0].finding.kind.to_string(),
                        format!("{} crates", group.verdicts.len()),
                        String::new(),
                        String::new(),
                        esc(&group.sentence()),
                    ],
                    Vec::new(),
                ));
                lists.push((esc(&group.not_checked.what), group.crates()));
                continue;
            }
        };
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
        let subject = match (finding.crate_name(), finding.version()) {
            (Some(name), Some(version)) => format!("{name} {version}"),
            (Some(name), None) => name.to_owned(),
            _ => String::new(),
        };
        let cause = [
            level_marker(verdict).to_owned(),
            finding.kind.to_string(),
            String::new(),
            String::new(),
            advisory,
            message,
        ];
        if let Some(&index) = row_of.get(&cause) {
            rows[index].1.push(subject);
            continue;
        }
        let mut row = cause.clone();
        row[2] = finding.crate_name().map(code).unwrap_or_default();
        row[3] = finding
            .version()
            .map(|version| code(&version.to_string()))
            .unwrap_or_default();
        row_of.insert(cause, rows.len());
        rows.push((row, vec![subject]));
    }
    for (row, crates) in &mut rows {
        if crates.len() > 1 {
            row[2] = format!("{} crates", crates.len());
            row[3] = String::new();
            // The first crates in the row itself, which a cut report keeps.
            let shown: Vec<String> = crates
                .iter()
                .take(FOLDED_SHOWN)
                .map(|name| code(name))
                .collect();
            let _ = write!(row[5], "<br>{}", shown.join(", "));
            if crates.len() > FOLDED_SHOWN {
                let _ = write!(row[5], " and {} more", crates.len() - FOLDED_SHOWN);
            }
            lists.push((format!("{} {}", row[0], row[1]), std::mem::take(crates)));
        }
        out.push('|');
        for cell in row.iter() {
            if cell.is_empty() {
                out.push_str(" |");
            } else {
                let _ = write!(out, " {cell} |");
            }
        }
        out.push('\n');
    }
    for (what, crates) in lists {
        let _ = write!(
            out,
            "\n<details><summary>{what} ({} crates)</summary>\n\n{}\n</details>\n",
            crates.len(),
            crates
                .iter()
                .map(|name| code(name))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// Collapsible dependency paths of the verdicts that have any.
pub fn paths_details(out: &mut String, verdicts: &[&Verdict]) {
    // Checks not done are about data, not about how a crate is reached: no paths for them.
    let with_paths: Vec<&&Verdict> = verdicts
        .iter()
        .filter(|verdict| !verdict.finding.paths.is_empty() && verdict.finding.unchecked.is_none())
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
            let chain: Vec<String> = path.labels().iter().map(|label| code(label)).collect();
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
    bounded(out, MAX_LENGTH)
}
