//! The JSON report of `check --format json`, exactly as the contract gives it.

use serde::{Deserialize, Serialize};

use super::Report;
use crate::finding::{FindingKind, Level, Summary, Verdict};

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
}

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
        JsonFinding {
            kind: finding.kind,
            level: verdict.level,
            crate_name: finding.crate_name().map(str::to_owned),
            version: finding.version().map(ToString::to_string),
            advisory: finding.advisory_id().map(str::to_owned),
            message: finding.message.clone(),
            paths: finding.paths.clone(),
            exempted: verdict.exemption.is_some(),
            exemption: verdict.exemption.as_ref().map(|exemption| JsonExemption {
                reason: exemption.reason.clone(),
                expires: exemption.expires.to_string(),
            }),
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
