//! SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.
//!
//! One rule per finding kind. Package findings are located at the package's `name = ...` line in
//! `Cargo.lock`; exemption findings at the exemption's line in the policy file. Exempted findings
//! carry a SARIF suppression with the exemption's reason, so viewers show them as dismissed.

use std::path::Path;

use serde_json::{Value, json};
use url::Url;

use super::Report;
use crate::finding::{AdvisoryRef, FindingKind, Level, Verdict};
use crate::support::text::sanitize_terminal as clean;

/// The SARIF schema URI written in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&log(report)).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// Where a kind's documentation is: its heading in the README's "Finding kinds" section.
pub fn help_uri(kind: FindingKind) -> String {
    format!("{}#{}", env!("CARGO_PKG_REPOSITORY"), kind.as_str())
}

/// The rule of a kind of finding.
fn kind_rule(kind: FindingKind) -> Value {
    json!({
        "id": kind.as_str(),
        "name": rule_name(kind),
        "shortDescription": { "text": kind.description() },
        "fullDescription": { "text": format!("{}. Reported by cargo-trustcheck as kind `{}`.", kind.description(), kind.as_str()) },
        "helpUri": help_uri(kind),
        "defaultConfiguration": { "level": "error" },
        "properties": { "tags": ["supply-chain", "security"] },
    })
}

/// The rule of an advisory: code scanning ranks alerts by their rule's `security-severity`,
/// so each advisory is a rule of its own, with its CVSS score.
fn advisory_rule(kind: FindingKind, advisory: &AdvisoryRef) -> Value {
    let mut properties = json!({ "tags": ["supply-chain", "security", kind.as_str()] });
    if let Some(cvss) = &advisory.cvss {
        properties["security-severity"] = Value::String(format!("{:.1}", cvss.score));
    }
    json!({
        "id": clean(&advisory.id),
        "name": rule_name(kind),
        "shortDescription": { "text": clean(&advisory.title) },
        "fullDescription": { "text": format!("{} ({}): {}", clean(&advisory.id), kind.description(), clean(&advisory.title)) },
        "helpUri": advisory.url.as_deref().map(clean).unwrap_or_else(|| help_uri(kind)),
        "defaultConfiguration": { "level": "error" },
        "properties": properties,
    })
}

/// The rule a verdict is reported under: its advisory's, or its kind's.
fn rule_id(verdict: &Verdict) -> String {
    match verdict.finding.source_advisory() {
        Some(advisory) => clean(&advisory.id),
        None => verdict.finding.kind.as_str().to_owned(),
    }
}

/// The SARIF log of a report, as JSON.
pub fn log(report: &Report) -> Value {
    let mut rules: Vec<Value> = FindingKind::ALL
        .iter()
        .map(|kind| kind_rule(*kind))
        .collect();
    let mut rule_index: std::collections::HashMap<String, usize> = FindingKind::ALL
        .iter()
        .enumerate()
        .map(|(index, kind)| (kind.as_str().to_owned(), index))
        .collect();
    for verdict in &report.verdicts {
        if let Some(advisory) = verdict.finding.source_advisory() {
            let id = clean(&advisory.id);
            if let std::collections::hash_map::Entry::Vacant(slot) = rule_index.entry(id) {
                slot.insert(rules.len());
                rules.push(advisory_rule(verdict.finding.kind, advisory));
            }
        }
    }
    let files = Files::of(report);
    let results: Vec<Value> = report
        .verdicts
        .iter()
        .map(|verdict| {
            let id = rule_id(verdict);
            let index = rule_index[&id];
            result(report, &files, verdict, id, index)
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": driver(rules),
            "invocations": [{ "executionSuccessful": true }],
            "originalUriBaseIds": { "%SRCROOT%": { "uri": file_uri(report.source_root(), true) } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn driver(rules: Vec<Value>) -> Value {
    json!({
        "driver": {
            "name": "cargo-trustcheck",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": env!("CARGO_PKG_REPOSITORY"),
            "rules": rules,
        }
    })
}

/// The SARIF log of a run that could not be done (exit 2): no results, and the error as a tool
/// execution notification, so that `check --format sarif > f` leaves a valid file for the
/// upload step to report.
pub fn failure(message: &str) -> String {
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": driver(Vec::new()),
            "invocations": [{
                "executionSuccessful": false,
                "toolExecutionNotifications": [{
                    "level": "error",
                    "message": { "text": clean(message) },
                }],
            }],
            "results": [],
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned()) + "\n"
}

fn rule_name(kind: FindingKind) -> String {
    kind.as_str()
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn result(
    report: &Report,
    files: &Files,
    verdict: &Verdict,
    rule_id: String,
    rule_index: usize,
) -> Value {
    let finding = &verdict.finding;
    let mut message = clean(&finding.message);
    if let Some(name) = finding.crate_name() {
        let version = finding
            .version()
            .map(|version| format!(" {version}"))
            .unwrap_or_default();
        message = format!("{}{version}: {message}", clean(name));
    }
    if let Some(path) = finding.paths.first() {
        message.push_str(&format!(" (path: {})", clean(&path.to_string())));
    }
    let fingerprint = format!(
        "{}:{}:{}:{}",
        finding.kind,
        finding.crate_name().unwrap_or(""),
        finding
            .version()
            .map(ToString::to_string)
            .unwrap_or_default(),
        finding.advisory_id().unwrap_or("")
    );
    let mut result = json!({
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": match verdict.level { Level::Deny => "error", Level::Warn => "warning", Level::Allow => "note" },
        "message": { "text": message },
        "locations": [location(report, files, verdict)],
        "partialFingerprints": { "trustcheck/v1": clean(&fingerprint) },
        "properties": {
            "crate": finding.crate_name().map(clean),
            "version": finding.version().map(ToString::to_string),
            "advisory": finding.advisory_id().map(clean),
            "paths": finding.paths.iter().map(|path| path.names().iter().map(|name| clean(name)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        },
    });
    if let Some(advisory) = &finding.advisory
        && let Some(url) = &advisory.url
    {
        result["properties"]["advisoryUrl"] = Value::String(clean(url));
    }
    if !finding.evidence.is_empty() {
        result["properties"]["evidence"] = finding
            .evidence
            .iter()
            .map(|evidence| {
                json!({
                    "role": evidence.role,
                    "file": clean(&evidence.file),
                    "line": evidence.line,
                    "what": clean(&evidence.what),
                    "capability": evidence.capability,
                })
            })
            .collect();
    }
    if let Some(exemption) = &verdict.exemption {
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (exempted until {})", clean(&exemption.reason), exemption.expires),
        }]);
    }
    result
}

/// The files results are located in, as URIs (and whether each is relative to `%SRCROOT%`):
/// worked out once per log, not once per result.
struct Files {
    policy: (String, bool),
    lockfile: (String, bool),
}

impl Files {
    fn of(report: &Report) -> Files {
        let root = report.source_root();
        let policy = report
            .policy_path
            .clone()
            .unwrap_or_else(|| report.workspace_root.join("trustcheck.toml"));
        Files {
            policy: relative_uri(root, &policy),
            lockfile: relative_uri(root, &report.workspace_root.join("Cargo.lock")),
        }
    }
}

fn location(report: &Report, files: &Files, verdict: &Verdict) -> Value {
    let finding = &verdict.finding;
    if let Some(line) = finding.policy_line {
        let (uri, base) = &files.policy;
        return physical(uri, *base, line);
    }
    let line = finding.package.as_ref().and_then(|package| {
        report.lockfile.as_ref().and_then(|lock| {
            lock.line_of(&package.name, &package.version, package.source.as_deref())
        })
    });
    let (uri, base) = &files.lockfile;
    physical(uri, *base, line.unwrap_or(1))
}

fn physical(uri: &str, relative: bool, line: usize) -> Value {
    let mut artifact = json!({ "uri": uri });
    if relative {
        artifact["uriBaseId"] = Value::String("%SRCROOT%".to_owned());
    }
    json!({
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": { "startLine": line.max(1) },
        }
    })
}

/// A URI for `path`: relative to `root` when inside it (second value true), else absolute.
fn relative_uri(root: &Path, path: &Path) -> (String, bool) {
    // git reports its root with symbolic links resolved; resolve the file's directory alike.
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let path = path
        .parent()
        .and_then(|dir| dir.canonicalize().ok())
        .map(|dir| dir.join(path.file_name().unwrap_or_default()))
        .unwrap_or_else(|| path.to_path_buf());
    let (root, path) = (root.as_path(), path.as_path());
    if let (Ok(base), Ok(file)) = (Url::from_directory_path(root), Url::from_file_path(path))
        && path.starts_with(root)
        && let Some(relative) = base.make_relative(&file)
    {
        return (relative, true);
    }
    (file_uri(path, false), false)
}

/// The `file://` URI of a path (of a directory, with a trailing slash).
fn file_uri(path: &Path, directory: bool) -> String {
    let url = if directory {
        Url::from_directory_path(path)
    } else {
        Url::from_file_path(path)
    };
    url.map(|url| url.to_string())
        .unwrap_or_else(|()| format!("file:///{}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(rule_name(FindingKind::LicenseChange), "LicenseChange");
        assert_eq!(rule_name(FindingKind::Vulnerability), "Vulnerability");
    }

    #[test]
    fn uris_are_relative_inside_the_root_and_encoded() {
        assert_eq!(
            relative_uri(Path::new("/ws"), Path::new("/ws/conf/trust check.toml")),
            ("conf/trust%20check.toml".to_owned(), true)
        );
        assert_eq!(
            relative_uri(Path::new("/ws"), Path::new("/etc/p.toml")),
            ("file:///etc/p.toml".to_owned(), false)
        );
        assert_eq!(file_uri(Path::new("/ws"), true), "file:///ws/");
    }
}
