//! SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.
//!
//! One rule per finding kind. Package findings are located at the package's `name = ...` line in
//! `Cargo.lock`; exemption findings at the exemption's line in the policy file. Exempted findings
//! carry a SARIF suppression with the exemption's reason, so viewers show them as dismissed.

use std::path::Path;

use serde_json::{Value, json};
use url::Url;

use super::Report;
use crate::finding::{FindingKind, Level, Verdict};
use crate::text::sanitize_terminal as clean;

/// The SARIF schema URI written in `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&log(report)).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// The SARIF log of a report, as JSON.
pub fn log(report: &Report) -> Value {
    let rules: Vec<Value> = FindingKind::ALL
        .iter()
        .map(|kind| {
            json!({
                "id": kind.as_str(),
                "name": rule_name(*kind),
                "shortDescription": { "text": kind.description() },
                "fullDescription": { "text": format!("{}. Reported by cargo-trustcheck as kind `{}`.", kind.description(), kind.as_str()) },
                "helpUri": format!("{}#finding-kinds", env!("CARGO_PKG_REPOSITORY")),
                "defaultConfiguration": { "level": "error" },
                "properties": { "tags": ["supply-chain", "security"] },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .verdicts
        .iter()
        .map(|verdict| result(report, verdict))
        .collect();
    let root_uri = file_uri(&report.workspace_root, true);
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cargo-trustcheck",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
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

fn result(report: &Report, verdict: &Verdict) -> Value {
    let finding = &verdict.finding;
    let rule_index = FindingKind::ALL
        .iter()
        .position(|kind| *kind == finding.kind)
        .unwrap_or(0);
    let mut message = clean(&finding.message);
    if let Some(name) = finding.crate_name() {
        let version = finding
            .version()
            .map(|version| format!(" {version}"))
            .unwrap_or_default();
        message = format!("{}{version}: {message}", clean(name));
    }
    if let Some(path) = finding.paths.first() {
        let chain: Vec<String> = path.iter().map(|name| clean(name)).collect();
        message.push_str(&format!(" (path: {})", chain.join(" → ")));
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
        "ruleId": finding.kind.as_str(),
        "ruleIndex": rule_index,
        "level": match verdict.level { Level::Deny => "error", Level::Warn => "warning", Level::Allow => "note" },
        "message": { "text": message },
        "locations": [location(report, verdict)],
        "partialFingerprints": { "trustcheck/v1": clean(&fingerprint) },
        "properties": {
            "crate": finding.crate_name().map(clean),
            "version": finding.version().map(ToString::to_string),
            "advisory": finding.advisory_id().map(clean),
            "paths": finding.paths.iter().map(|path| path.iter().map(|name| clean(name)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        },
    });
    if let Some(advisory) = &finding.advisory
        && let Some(url) = &advisory.url
    {
        result["properties"]["advisoryUrl"] = Value::String(clean(url));
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

fn location(report: &Report, verdict: &Verdict) -> Value {
    let finding = &verdict.finding;
    if let Some(line) = finding.policy_line {
        let (uri, base) = match &report.policy_path {
            Some(path) => relative_uri(&report.workspace_root, path),
            None => ("trustcheck.toml".to_owned(), true),
        };
        return physical(&uri, base, line);
    }
    let line = finding.package.as_ref().and_then(|package| {
        report.lockfile.as_ref().and_then(|lock| {
            lock.line_of(&package.name, &package.version, package.source.as_deref())
        })
    });
    physical("Cargo.lock", true, line.unwrap_or(1))
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
