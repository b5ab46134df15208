//! Findings: what the checks found (`Finding`), and what the policy made of each (`Verdict`).
//!
//! Checks produce `Finding`s and never decide levels; the policy turns each into a `Verdict`
//! with a level and, when one applies, the exemption; renderers only read verdicts.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::load::graph::DependencyPath;
/// The package a finding is about (a graph concept, named here where findings use it).
pub use crate::load::graph::PackageRef;
use crate::support::date::Date;
use crate::support::text::Phrase;

mod kind;

pub use kind::FindingKind;

/// What the policy does with a kind of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Listed, and fails the run (exit 1) unless exempted.
    Deny,
    /// Listed; does not fail the run.
    Warn,
    /// Not listed at all.
    Allow,
}

impl Level {
    /// The level's name as written in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
            Level::Allow => "allow",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The advisory a finding is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdvisoryRef {
    /// The RustSec id, e.g. `RUSTSEC-2020-0071`.
    pub id: String,
    /// Other ids of the same advisory (CVE, GHSA).
    pub aliases: Vec<String>,
    /// The advisory's title.
    pub title: String,
    /// CVSS severity (`low`, `medium`, `high`, `critical`) and score, where the advisory has one.
    pub severity: Option<String>,
    /// The CVSS base score and vector, where the advisory has one.
    pub cvss: Option<Cvss>,
    /// Version requirements that are patched.
    pub patched: Vec<String>,
    /// Where to read more.
    pub url: Option<String>,
    /// The date the advisory was reported.
    pub date: Option<String>,
}

/// An advisory's CVSS base score and vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// The base score, 0.0 to 10.0.
    pub score: f64,
    /// The vector, e.g. `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`.
    pub vector: String,
}

impl Eq for Cvss {}

/// Something a check found about the workspace, before the policy has given it a level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What kind of finding this is.
    pub kind: FindingKind,
    /// The package concerned, if any (exemption findings may have none).
    pub package: Option<PackageRef>,
    /// The crate name when there is no locked package (exemption findings naming a crate).
    pub crate_name: Option<String>,
    /// The advisory concerned, if any.
    pub advisory: Option<AdvisoryRef>,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Shortest dependency chains from a workspace member to the package.
    pub paths: Vec<DependencyPath>,
    /// The license expression concerned, for license findings (used to group them).
    pub license: Option<String>,
    /// The 1-based line in the policy file this finding is about (exemption findings).
    pub policy_line: Option<usize>,
    /// For an `unchecked` finding: which check could not be done, and why.
    pub unchecked: Option<NotChecked>,
    /// For a finding drawn from a crate's files: each fact behind it, so that a reviewer or an
    /// outside tool can check the claim (JSON `evidence`).
    pub evidence: Vec<Evidence>,
}

/// One fact behind a finding drawn from a crate version's files.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Whose code shows it: `build-script`, `proc-macro`, `library`, or `package` (a file the
    /// package ships).
    pub role: String,
    /// The file, relative to the crate root.
    pub file: String,
    /// The line (1-based), or null where it does not apply (a shipped file).
    pub line: Option<u32>,
    /// The call, path or literal that shows it (`std::net::TcpStream::connect`), or what a
    /// shipped file is.
    pub what: String,
    /// The capability it shows (`network`), or null for a shipped file.
    pub capability: Option<String>,
}

/// Why checks could not be done for a package: the checks (by the kinds of finding they would
/// give) and the cause, which many packages often share (offline, a service down).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NotChecked {
    /// The kinds of finding the checks would have given (`yanked`, `fresh-release` ...).
    pub checks: Vec<FindingKind>,
    /// What was not checked, in words ("yanked status and publish time").
    pub what: String,
    /// Why they could not be done, in words that do not name the package, said of one
    /// package and of the many that share it ("its index entry ..." / "their index entries ...").
    pub cause: Phrase,
}

impl Finding {
    /// A finding about a package, with nothing else filled in.
    pub fn for_package(
        kind: FindingKind,
        package: PackageRef,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            kind,
            package: Some(package),
            crate_name: None,
            advisory: None,
            message: message.into(),
            paths: Vec::new(),
            license: None,
            policy_line: None,
            unchecked: None,
            evidence: Vec::new(),
        }
    }

    /// A finding about the workspace as a whole, not about one package.
    pub fn general(kind: FindingKind, message: impl Into<String>) -> Finding {
        Finding {
            package: None,
            ..Finding::for_package(
                kind,
                PackageRef {
                    name: String::new(),
                    version: semver::Version::new(0, 0, 0),
                    source: None,
                },
                message,
            )
        }
    }

    /// An `unchecked` finding: the checks that give findings of the kinds `checks` could not be
    /// done for `package`; `what` says what was not checked ("yanked status"), `cause` why.
    pub fn not_checked(
        package: PackageRef,
        checks: &[FindingKind],
        what: &str,
        cause: impl Into<Phrase>,
    ) -> Finding {
        let cause = cause.into();
        let mut finding = Finding::for_package(
            FindingKind::Unchecked,
            package,
            format!("{what} not checked: {}", cause.one),
        );
        finding.unchecked = Some(NotChecked {
            checks: checks.to_vec(),
            what: what.to_owned(),
            cause,
        });
        finding
    }

    /// The crate name this finding is about, if any.
    pub fn crate_name(&self) -> Option<&str> {
        self.package
            .as_ref()
            .map(|package| package.name.as_str())
            .or(self.crate_name.as_deref())
    }

    /// The locked version this finding is about, if any.
    pub fn version(&self) -> Option<&semver::Version> {
        self.package.as_ref().map(|package| &package.version)
    }

    /// The advisory id, if any.
    pub fn advisory_id(&self) -> Option<&str> {
        self.advisory.as_ref().map(|advisory| advisory.id.as_str())
    }

    /// The advisory this finding came from: not one an exemption finding merely names (only an
    /// advisory's own findings carry its date).
    pub fn source_advisory(&self) -> Option<&AdvisoryRef> {
        self.advisory
            .as_ref()
            .filter(|advisory| advisory.date.is_some())
    }

    /// The order in which findings are reported: by kind, then crate, version and advisory.
    pub fn report_order(&self, other: &Finding) -> Ordering {
        (
            self.kind.order(),
            self.crate_name(),
            self.version(),
            self.advisory_id(),
            self.policy_line,
        )
            .cmp(&(
                other.kind.order(),
                other.crate_name(),
                other.version(),
                other.advisory_id(),
                other.policy_line,
            ))
            .then_with(|| self.message.cmp(&other.message))
    }
}

/// The exemption that covers a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedExemption {
    /// Why the finding is accepted, from the policy.
    pub reason: String,
    /// The last day the exemption applies.
    pub expires: Date,
    /// The exemption's 1-based line in the policy file.
    pub line: usize,
}

/// A finding after the policy: its level, and the exemption that covers it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The finding.
    pub finding: Finding,
    /// The level the policy gives its kind (`deny` or `warn`; `allow` findings are dropped).
    pub level: Level,
    /// The exemption covering it; an exempted finding neither denies nor warns.
    pub exemption: Option<AppliedExemption>,
}

impl Verdict {
    /// Whether this verdict fails the run.
    pub fn denies(&self) -> bool {
        self.level == Level::Deny && self.exemption.is_none()
    }
}

/// Counts of verdicts, as in the JSON `summary`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Findings at level deny that are not exempted.
    pub deny: usize,
    /// Findings at level warn that are not exempted.
    pub warn: usize,
    /// Exempted findings.
    pub exempted: usize,
}

impl Summary {
    /// Counts the verdicts.
    pub fn of(verdicts: &[Verdict]) -> Summary {
        let mut summary = Summary::default();
        for verdict in verdicts {
            match (&verdict.exemption, verdict.level) {
                (Some(_), _) => summary.exempted += 1,
                (None, Level::Deny) => summary.deny += 1,
                (None, Level::Warn) => summary.warn += 1,
                (None, Level::Allow) => {}
            }
        }
        summary
    }
}
