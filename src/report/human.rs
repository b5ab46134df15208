//! The human report: findings grouped by kind, coloured on a terminal, every string from
//! outside stripped of control characters.

use std::collections::BTreeMap;
use std::fmt::Write;

use owo_colors::OwoColorize;

use super::{CauseGroup, Entry, Report};
use crate::finding::{FindingKind, Level, Verdict};
use crate::load::graph::DependencyPath;
use crate::support::text::sanitize_terminal as clean;

/// How many dependency paths are shown per finding.
const SHOWN_PATHS: usize = 3;

struct Style {
    color: bool,
}

impl Style {
    fn level(&self, verdict: &Verdict) -> String {
        let (label, width) = match (&verdict.exemption, verdict.level) {
            (Some(_), _) => ("exempt", 6),
            (None, Level::Deny) => ("deny", 6),
            (None, _) => ("warn", 6),
        };
        let padded = format!("{label:<width$}");
        if !self.color {
            return padded;
        }
        match (&verdict.exemption, verdict.level) {
            (Some(_), _) => padded.cyan().to_string(),
            (None, Level::Deny) => padded.red().bold().to_string(),
            (None, _) => padded.yellow().bold().to_string(),
        }
    }

    fn heading(&self, text: &str) -> String {
        if self.color {
            text.bold().underline().to_string()
        } else {
            text.to_owned()
        }
    }

    fn name(&self, text: &str) -> String {
        if self.color {
            text.bold().to_string()
        } else {
            text.to_owned()
        }
    }

    fn dim(&self, text: &str) -> String {
        if self.color {
            text.dimmed().to_string()
        } else {
            text.to_owned()
        }
    }
}

/// Renders the report for a terminal (`color` adds ANSI colours).
pub fn render(report: &Report, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let mut by_kind: BTreeMap<usize, (FindingKind, Vec<&Verdict>)> = BTreeMap::new();
    for verdict in &report.verdicts {
        let kind = verdict.finding.kind;
        let order = FindingKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(usize::MAX);
        by_kind
            .entry(order)
            .or_insert((kind, Vec::new()))
            .1
            .push(verdict);
    }
    for (kind, verdicts) in by_kind.values() {
        let _ = writeln!(
            out,
            "{} ({})",
            style.heading(kind.heading()),
            verdicts.len()
        );
        if *kind == FindingKind::License {
            render_licenses(&mut out, &style, verdicts);
        } else {
            for entry in super::entries(verdicts) {
                match entry {
                    Entry::Single(verdict) => render_verdict(&mut out, &style, verdict),
                    Entry::Group(group) => render_group(&mut out, &style, &group),
                }
            }
        }
        out.push('\n');
    }
    if report.verdicts.is_empty() {
        out.push_str("No findings.\n\n");
    }
    for note in &report.notes {
        let label = if color {
            "warning".yellow().bold().to_string()
        } else {
            "warning".to_owned()
        };
        let _ = writeln!(out, "{label}: {}", clean(note));
    }
    let summary = report.summary;
    let verdict_line = format!(
        "{} denied, {}, {} exempted",
        summary.deny,
        crate::support::text::counted(summary.warn, "warning"),
        summary.exempted
    );
    let verdict_line = if !color {
        verdict_line
    } else if summary.deny > 0 {
        verdict_line.red().bold().to_string()
    } else {
        verdict_line.green().bold().to_string()
    };
    let mut context = format!("{} packages", report.package_count);
    if let Some(database) = &report.database {
        match (&database.last_updated, database.age_days) {
            (Some(date), Some(age)) => {
                let days = if age == 1 { "day" } else { "days" };
                let _ = write!(context, ", advisory database of {date} ({age} {days} old)");
            }
            _ => context.push_str(", advisory database of unknown age"),
        }
    }
    let _ = writeln!(out, "{} {verdict_line} ({context})", style.name("summary:"));
    out
}

/// How many crates a grouped line names before saying how many more there are.
const NAMED_CRATES: usize = 8;

fn render_group(out: &mut String, style: &Style, group: &CauseGroup<'_>) {
    let _ = writeln!(
        out,
        "  {}  {}",
        style.level(group.verdicts[0]),
        clean(&group.sentence())
    );
    let _ = writeln!(
        out,
        "          {}",
        style.dim(&clean(&crate::support::text::name_list(
            &group.crates(),
            NAMED_CRATES
        )))
    );
}

fn render_verdict(out: &mut String, style: &Style, verdict: &Verdict) {
    let finding = &verdict.finding;
    let mut subject = String::new();
    if let Some(name) = finding.crate_name() {
        subject.push_str(&style.name(&clean(name)));
        if let Some(version) = finding.version() {
            let _ = write!(subject, " {version}");
        }
    }
    if let Some(advisory) = &finding.advisory {
        if !subject.is_empty() {
            subject.push_str("  ");
        }
        subject.push_str(&clean(&advisory.id));
    }
    let indent = "          ";
    if subject.is_empty() {
        let _ = writeln!(
            out,
            "  {}  {}",
            style.level(verdict),
            clean(&finding.message)
        );
    } else {
        let _ = writeln!(out, "  {}  {subject}", style.level(verdict));
        let _ = writeln!(out, "{indent}{}", clean(&finding.message));
    }
    if let Some(advisory) = &finding.advisory {
        let mut facts = Vec::new();
        if let Some(severity) = &advisory.severity {
            facts.push(format!("severity {}", clean(severity)));
        }
        if !advisory.title.is_empty() || advisory.date.is_some() {
            if advisory.patched.is_empty() {
                facts.push("no patched version".to_owned());
            } else {
                facts.push(format!("patched {}", clean(&advisory.patched.join(", "))));
            }
        }
        if !advisory.aliases.is_empty() {
            facts.push(format!("aka {}", clean(&advisory.aliases.join(", "))));
        }
        if !facts.is_empty() {
            let _ = writeln!(out, "{indent}{}", style.dim(&facts.join(" · ")));
        }
        if let Some(url) = &advisory.url {
            let _ = writeln!(out, "{indent}{}", style.dim(&clean(url)));
        }
    }
    render_paths(out, style, &finding.paths, indent);
    if let Some(exemption) = &verdict.exemption {
        let _ = writeln!(
            out,
            "{indent}{}",
            style.dim(&format!(
                "exempted until {} (policy line {}): {}",
                exemption.expires,
                exemption.line,
                clean(&exemption.reason)
            ))
        );
    }
}

fn render_paths(out: &mut String, style: &Style, paths: &[DependencyPath], indent: &str) {
    for path in paths.iter().take(SHOWN_PATHS) {
        let chain: Vec<String> = path.labels().iter().map(|label| clean(label)).collect();
        let _ = writeln!(out, "{indent}{} {}", style.dim("path"), chain.join(" → "));
    }
    if paths.len() > SHOWN_PATHS {
        let _ = writeln!(
            out,
            "{indent}{}",
            style.dim(&format!("… and {} more paths", paths.len() - SHOWN_PATHS))
        );
    }
}

/// License findings grouped by license expression, each crate under its license.
fn render_licenses(out: &mut String, style: &Style, verdicts: &[&Verdict]) {
    let mut by_license: BTreeMap<String, Vec<&Verdict>> = BTreeMap::new();
    for verdict in verdicts {
        let license = verdict
            .finding
            .license
            .clone()
            .unwrap_or_else(|| "(none)".to_owned());
        by_license.entry(license).or_default().push(verdict);
    }
    for (license, verdicts) in by_license {
        let _ = writeln!(
            out,
            "  {} ({})",
            style.name(&clean(&license)),
            crate::support::text::counted(verdicts.len(), "crate")
        );
        for verdict in verdicts {
            let finding = &verdict.finding;
            let name = finding.crate_name().map(clean).unwrap_or_default();
            let version = finding
                .version()
                .map(|version| format!(" {version}"))
                .unwrap_or_default();
            let _ = writeln!(out, "    {}  {name}{version}", style.level(verdict));
            let _ = writeln!(out, "            {}", clean(&finding.message));
            render_paths(out, style, &finding.paths, "            ");
            if let Some(exemption) = &verdict.exemption {
                let _ = writeln!(
                    out,
                    "            {}",
                    style.dim(&format!(
                        "exempted until {}: {}",
                        exemption.expires,
                        clean(&exemption.reason)
                    ))
                );
            }
        }
    }
}
