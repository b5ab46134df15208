//! The JSON report of `check --format json`, exactly as the contract gives it.

use serde::{Deserialize, Serialize};

use super::Report;
use crate::finding::{Cvss, Evidence, FindingKind, Level, Summary, Verdict};

/// The document: `format-version`, `findings`, `summary`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonReport {
    /// Always 1.
    #[serde(rename = "format-version")]
    pub format_version: u32,
    /// The findings.
    pub findings: Vec<JsonFinding>,
    /// The counts.
    pub summary: Summary,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFinding {
    /// Its kind.
    pub kind: FindingKind,
    /// `deny` or `warn`.
    pub level: Level,
    /// The crate, or null.
    #[serde(rename = "crate")]
    pub crate_name: Option<String>,
    /// The locked version, or null.
    pub version: Option<String>,
    /// The RustSec id, or null.
    pub advisory: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Shortest dependency chains from a workspace member.
    pub paths: Vec<Vec<String>>,
    /// Whether an exemption covers it.
    pub exempted: bool,
    /// The exemption's reason and expiry, or null.
    pub exemption: Option<JsonExemption>,
    /// For a finding from an advisory: its CVSS score and vector (null when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// For a finding from an advisory: the version requirements that are patched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patched: Option<Vec<String>>,
    /// For a finding from an advisory: its other ids (CVE, GHSA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<String>>,
    /// For a finding from an advisory: where to read more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For a finding drawn from a crate's files: each fact behind it (`role`, `file`, `line`,
    /// `what`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// An advisory finding's severity: `null`, or its CVSS score and vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Severity(pub Option<Cvss>);

/// The exemption covering a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonExemption {
    /// Why.
    pub reason: String,
    /// Until when (`YYYY-MM-DD`).
    pub expires: String,
}

impl JsonFinding {
    /// The JSON form of a verdict.
    pub fn of(verdict: &Verdict) -> JsonFinding {
        let finding = &verdict.finding;
        let advisory = finding.source_advisory();
        JsonFinding {
            kind: finding.kind,
            level: verdict.level,
            crate_name: finding.crate_name().map(str::to_owned),
            version: finding.version().map(ToString::to_string),
            advisory: finding.advisory_id().map(str::to_owned),
            message: finding.message.clone(),
            paths: finding.paths.iter().map(|path| path.names()).collect(),
            exempted: verdict.exemption.is_some(),
            exemption: verdict.exemption.as_ref().map(|exemption| JsonExemption {
                reason: exemption.reason.clone(),
                expires: exemption.expires.to_string(),
            }),
            severity: advisory.map(|advisory| Severity(advisory.cvss.clone())),
            patched: advisory.map(|advisory| advisory.patched.clone()),
            aliases: advisory.map(|advisory| advisory.aliases.clone()),
            url: advisory.and_then(|advisory| advisory.url.clone()),
            evidence: finding.evidence.clone(),
        }
    }
}

/// The JSON document of a report.
pub fn document(report: &Report) -> JsonReport {
    JsonReport {
        format_version: 1,
        findings: report.verdicts.iter().map(JsonFinding::of).collect(),
        summary: report.summary,
    }
}

/// Renders the report as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut text =
        serde_json::to_string_pretty(&document(report)).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
