//! GitHub Actions workflow commands (`::error` / `::warning`), so that a check run annotates
//! the lines of `Cargo.lock` and `trustcheck.toml` in the pull request. Written to stderr, so
//! they never mix with a JSON, SARIF or Markdown report on stdout.

use std::path::{Path, PathBuf};

use super::Report;
use crate::finding::{Level, Verdict};
use crate::support::text::sanitize_terminal;

/// Escapes a workflow command's message (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The path of `file` (in the workspace root) relative to the repository checkout, as GitHub
/// wants it: relative to `GITHUB_WORKSPACE` when the workspace is inside it.
fn repository_path(report: &Report, file: &Path, github_workspace: Option<&Path>) -> String {
    let absolute: PathBuf = if file.is_absolute() {
        file.to_path_buf()
    } else {
        report.workspace_root.join(file)
    };
    let relative = github_workspace
        .and_then(|base| absolute.strip_prefix(base).ok().map(Path::to_path_buf))
        .or_else(|| {
            absolute
                .strip_prefix(report.source_root())
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or(absolute);
    relative.to_string_lossy().replace('\\', "/")
}

fn annotation(
    report: &Report,
    verdict: &Verdict,
    github_workspace: Option<&Path>,
) -> Option<String> {
    if verdict.exemption.is_some() {
        return None;
    }
    let finding = &verdict.finding;
    let (file, line) = match finding.policy_line {
        Some(line) => (
            report
                .policy_path
                .clone()
                .unwrap_or_else(|| PathBuf::from("trustcheck.toml")),
            line,
        ),
        None => {
            let line = finding.package.as_ref().and_then(|package| {
                report.lockfile.as_ref().and_then(|lock| {
                    lock.line_of(&package.name, &package.version, package.source.as_deref())
                })
            });
            (PathBuf::from("Cargo.lock"), line.unwrap_or(1))
        }
    };
    let mut title = finding.kind.to_string();
    if let Some(name) = finding.crate_name() {
        title.push(' ');
        title.push_str(name);
        if let Some(version) = finding.version() {
            title.push_str(&format!(" {version}"));
        }
    }
    if let Some(id) = finding.advisory_id() {
        title.push_str(&format!(" ({id})"));
    }
    let mut message = finding.message.clone();
    if let Some(path) = finding.paths.first() {
        message.push_str(&format!("\npath: {path}"));
    }
    workflow_command(
        verdict.level,
        &repository_path(report, &file, github_workspace),
        line,
        &title,
        &message,
    )
}

/// One workflow command: `::error` for a denial, `::warning` for a warning (none for allow),
/// on `file` (as GitHub names it) at `line`, with its title and message escaped.
fn workflow_command(
    level: Level,
    file: &str,
    line: usize,
    title: &str,
    message: &str,
) -> Option<String> {
    let command = match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => return None,
    };
    Some(format!(
        "::{command} file={},line={line},title={}::{}",
        escape_property(file),
        escape_property(&sanitize_terminal(title)),
        escape_data(&sanitize_terminal_keep_lines(message))
    ))
}

fn sanitize_terminal_keep_lines(text: &str) -> String {
    text.split('\n')
        .map(sanitize_terminal)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most annotations printed: GitHub shows a few per step, and hundreds bury the ones that
/// matter.
pub const MAX_ANNOTATIONS: usize = 50;

/// The workflow commands for the findings that deny or warn, one per line: checks not done for
/// the same reason are one annotation, denials come first, at most `MAX_ANNOTATIONS`, and one
/// notice says how many more the report has.
pub fn render(report: &Report, github_workspace: Option<&Path>) -> String {
    let open: Vec<&Verdict> = report
        .verdicts
        .iter()
        .filter(|verdict| verdict.exemption.is_none())
        .collect();
    let mut lines: Vec<(bool, String)> = Vec::new();
    for entry in super::entries(&open) {
        match entry {
            super::Entry::Single(verdict) => {
                if let Some(line) = annotation(report, verdict, github_workspace) {
                    lines.push((verdict.denies(), line));
                }
            }
            super::Entry::Group(group) => {
                let title = format!(
                    "{} ({} crates)",
                    group.verdicts[0].finding.kind,
                    group.verdicts.len()
                );
                let message = format!(
                    "{}\n{}",
                    group.sentence(),
                    crate::support::text::name_list(&group.crates(), 20)
                );
                let file = repository_path(report, Path::new("Cargo.lock"), github_workspace);
                if let Some(line) = workflow_command(group.level, &file, 1, &title, &message) {
                    lines.push((group.level == Level::Deny, line));
                }
            }
        }
    }
    // Denials first, each group in report order.
    lines.sort_by_key(|(denies, _)| !denies);
    let total = lines.len();
    let mut out: String = lines
        .into_iter()
        .take(MAX_ANNOTATIONS)
        .map(|(_, line)| line + "\n")
        .collect();
    if total > MAX_ANNOTATIONS {
        out.push_str(&format!(
            "::notice title=cargo-trustcheck::{} more findings are not annotated; the check's report lists them all\n",
            total - MAX_ANNOTATIONS
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Finding, FindingKind, PackageRef};

    #[test]
    fn annotations_locate_findings_and_escape_untrusted_text() {
        let mut finding = Finding::for_package(
            FindingKind::Vulnerability,
            PackageRef {
                name: "time".to_owned(),
                version: semver::Version::new(0, 1, 45),
                source: Some("registry+https://github.com/rust-lang/crates.io-index".to_owned()),
            },
            "100% bad\n::error::injected",
        );
        finding.paths = vec![crate::load::graph::DependencyPath(
            ["app", "time"]
                .iter()
                .map(|name| crate::load::graph::PathStep {
                    name: (*name).to_owned(),
                    version: "1.0.0".parse().unwrap(),
                })
                .collect(),
        )];
        let verdict = Verdict {
            finding,
            level: Level::Deny,
            exemption: None,
        };
        let mut report = Report::new(vec![verdict], PathBuf::from("/repo/ws"));
        report.lockfile = Some(
            crate::load::lockfile::Lockfile::parse(
                "version = 4\n\n[[package]]\nname = \"time\"\nversion = \"0.1.45\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            )
            .unwrap(),
        );
        let text = render(&report, Some(Path::new("/repo")));
        assert_eq!(
            text,
            "::error file=ws/Cargo.lock,line=4,title=vulnerability time 0.1.45::100%25 bad%0A::error::injected%0Apath: app → time\n"
        );
    }
}
