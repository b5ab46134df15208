//! Findings: what the checks found (`Finding`), and what the policy made of each (`Verdict`).
//!
//! Checks produce `Finding`s and never decide levels; the policy turns each into a `Verdict`
//! with a level and, when one applies, the exemption; renderers only read verdicts.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::load::graph::DependencyPath;
/// The package a finding is about (a graph concept, named here where findings use it).
pub use crate::load::graph::PackageRef;
use crate::support::date::Date;
use crate::support::text::Phrase;

/// The kind of a finding: a stable kebab-case code, part of the external contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The crate (in that version) is banned by the policy's `[[ban]]`.
    Banned,
    /// A RustSec advisory without `informational`: a vulnerability in the locked version.
    Vulnerability,
    /// A RustSec advisory marking the crate as unmaintained.
    Unmaintained,
    /// A RustSec advisory reporting unsound code in the locked version.
    Unsound,
    /// A RustSec informational notice about the locked version.
    Notice,
    /// The locked version is yanked from its registry.
    Yanked,
    /// The locked version was published less than `[releases] min-age` ago.
    FreshRelease,
    /// A crate new to the baseline whose name is one edit from a crate the workspace trusts.
    Lookalike,
    /// A registry crate the baseline has never accepted.
    NewCrate,
    /// Code that runs at build time (build script, proc-macro) new to the baseline.
    BuildCode,
    /// A build script or proc-macro that gained (or, in a crate new to the baseline, has)
    /// network, download-and-run, credential or secret access, or an encoded payload.
    BuildCapability,
    /// Library code that gained network access together with secrets or credentials, or an
    /// encoded payload.
    LibraryCapability,
    /// A version that ships native code or opaque blobs its accepted versions did not.
    BinaryAdded,
    /// A crate new to the baseline that ships native code or opaque blobs.
    BinaryShipped,
    /// What `trustcheck.lock` records of a locked version is not what the crate is.
    BaselineMismatch,
    /// The crate's license expression is not satisfied by the allowed licenses.
    License,
    /// The crate declares no license (or only a license file that the policy does not clarify).
    Unlicensed,
    /// The crate's license differs from the one the baseline accepted.
    LicenseChange,
    /// Owners were added to or removed from the crate since the baseline.
    OwnerChange,
    /// The locked version was published by an account that published no baseline version.
    PublisherChange,
    /// The package comes from a registry or git repository the policy does not allow.
    Source,
    /// An exemption whose `expires` date has passed.
    ExemptionExpired,
    /// An exemption that will expire soon.
    ExemptionExpiring,
    /// An exemption that matched no finding.
    ExemptionUnused,
    /// A check could not be done for a crate (offline, no data, network failure).
    Unchecked,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 25] = [
        FindingKind::Banned,
        FindingKind::Vulnerability,
        FindingKind::Unsound,
        FindingKind::Unmaintained,
        FindingKind::Notice,
        FindingKind::Yanked,
        FindingKind::FreshRelease,
        FindingKind::Lookalike,
        FindingKind::NewCrate,
        FindingKind::BuildCode,
        FindingKind::BuildCapability,
        FindingKind::LibraryCapability,
        FindingKind::BinaryAdded,
        FindingKind::BinaryShipped,
        FindingKind::BaselineMismatch,
        FindingKind::License,
        FindingKind::Unlicensed,
        FindingKind::LicenseChange,
        FindingKind::OwnerChange,
        FindingKind::PublisherChange,
        FindingKind::Source,
        FindingKind::ExemptionExpired,
        FindingKind::ExemptionExpiring,
        FindingKind::ExemptionUnused,
        FindingKind::Unchecked,
    ];

    /// The kinds an `[[exemption]]` may name in its `kind` key (not `banned`: no exemption
    /// covers a ban).
    pub const EXEMPTIBLE: [FindingKind; 21] = [
        FindingKind::Vulnerability,
        FindingKind::Unmaintained,
        FindingKind::Unsound,
        FindingKind::Notice,
        FindingKind::Yanked,
        FindingKind::FreshRelease,
        FindingKind::NewCrate,
        FindingKind::BuildCode,
        FindingKind::BuildCapability,
        FindingKind::LibraryCapability,
        FindingKind::BinaryAdded,
        FindingKind::BinaryShipped,
        FindingKind::BaselineMismatch,
        FindingKind::Lookalike,
        FindingKind::License,
        FindingKind::Unlicensed,
        FindingKind::LicenseChange,
        FindingKind::OwnerChange,
        FindingKind::PublisherChange,
        FindingKind::Source,
        FindingKind::Unchecked,
    ];

    /// The stable kebab-case code of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Banned => "banned",
            FindingKind::FreshRelease => "fresh-release",
            FindingKind::Lookalike => "lookalike",
            FindingKind::NewCrate => "new-crate",
            FindingKind::BuildCode => "build-code",
            FindingKind::BuildCapability => "build-capability",
            FindingKind::LibraryCapability => "library-capability",
            FindingKind::BinaryAdded => "binary-added",
            FindingKind::BinaryShipped => "binary-shipped",
            FindingKind::BaselineMismatch => "baseline-mismatch",
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Unmaintained => "unmaintained",
            FindingKind::Unsound => "unsound",
            FindingKind::Notice => "notice",
            FindingKind::Yanked => "yanked",
            FindingKind::License => "license",
            FindingKind::Unlicensed => "unlicensed",
            FindingKind::LicenseChange => "license-change",
            FindingKind::OwnerChange => "owner-change",
            FindingKind::PublisherChange => "publisher-change",
            FindingKind::Source => "source",
            FindingKind::ExemptionExpired => "exemption-expired",
            FindingKind::ExemptionExpiring => "exemption-expiring",
            FindingKind::ExemptionUnused => "exemption-unused",
            FindingKind::Unchecked => "unchecked",
        }
    }

    /// A one-line description of the kind, for SARIF rules and help texts.
    pub fn description(self) -> &'static str {
        match self {
            FindingKind::Banned => "The policy bans this crate",
            FindingKind::FreshRelease => {
                "The locked version was published more recently than the policy's minimum age"
            }
            FindingKind::Lookalike => {
                "A recently published crate new to the baseline whose name is one edit from a trusted crate's"
            }
            FindingKind::NewCrate => "A registry crate the baseline has never accepted",
            FindingKind::BuildCode => {
                "Code that runs at build time (a build script or a proc-macro) new to the baseline"
            }
            FindingKind::BuildCapability => {
                "A build script or proc-macro gained network, download-and-run, credential or secret access, or an encoded payload"
            }
            FindingKind::LibraryCapability => {
                "Library code gained network access with secrets or credentials, or an encoded payload"
            }
            FindingKind::BinaryAdded => {
                "The locked version ships native code or opaque blobs its accepted versions did not"
            }
            FindingKind::BinaryShipped => {
                "A crate new to the baseline ships native code or opaque blobs"
            }
            FindingKind::BaselineMismatch => {
                "trustcheck.lock records something of the locked version that the crate is not"
            }
            FindingKind::Vulnerability => {
                "A RustSec advisory reports a vulnerability in the locked version"
            }
            FindingKind::Unmaintained => "A RustSec advisory reports the crate as unmaintained",
            FindingKind::Unsound => "A RustSec advisory reports unsound code in the locked version",
            FindingKind::Notice => "A RustSec informational notice applies to the locked version",
            FindingKind::Yanked => "The locked version is yanked from its registry",
            FindingKind::License => "The crate's license is not allowed by the policy",
            FindingKind::Unlicensed => "The crate declares no license the policy can evaluate",
            FindingKind::LicenseChange => {
                "The crate's license differs from the one the baseline accepted"
            }
            FindingKind::OwnerChange => "The crate's owners changed since the baseline",
            FindingKind::PublisherChange => {
                "The locked version was published by an account new to the baseline"
            }
            FindingKind::Source => "The package comes from a source the policy does not allow",
            FindingKind::ExemptionExpired => "An exemption has expired and no longer applies",
            FindingKind::ExemptionExpiring => "An exemption expires soon",
            FindingKind::ExemptionUnused => "An exemption matched no finding",
            FindingKind::Unchecked => "A check could not be done for the crate",
        }
    }

    /// The heading under which human and Markdown reports group this kind.
    pub fn heading(self) -> &'static str {
        match self {
            FindingKind::Banned => "Banned crates",
            FindingKind::FreshRelease => "Fresh releases",
            FindingKind::Lookalike => "Lookalike names",
            FindingKind::NewCrate => "Crates new to the baseline",
            FindingKind::BuildCode => "Build-time code new to the baseline",
            FindingKind::BuildCapability => "What build-time code gained",
            FindingKind::LibraryCapability => "What library code gained",
            FindingKind::BinaryAdded => "Binaries added",
            FindingKind::BinaryShipped => "Binaries in new crates",
            FindingKind::BaselineMismatch => "Baseline records that are not the crate",
            FindingKind::Vulnerability => "Vulnerabilities",
            FindingKind::Unmaintained => "Unmaintained crates",
            FindingKind::Unsound => "Unsound code",
            FindingKind::Notice => "Notices",
            FindingKind::Yanked => "Yanked versions",
            FindingKind::License => "Licenses not allowed",
            FindingKind::Unlicensed => "Unlicensed crates",
            FindingKind::LicenseChange => "License changes",
            FindingKind::OwnerChange => "Owner changes",
            FindingKind::PublisherChange => "Publisher changes",
            FindingKind::Source => "Sources not allowed",
            FindingKind::ExemptionExpired => "Expired exemptions",
            FindingKind::ExemptionExpiring => "Exemptions expiring soon",
            FindingKind::ExemptionUnused => "Unused exemptions",
            FindingKind::Unchecked => "Checks not done",
        }
    }

    /// Whether findings of this kind are about the policy's exemptions, not about a package.
    pub fn is_about_exemptions(self) -> bool {
        matches!(
            self,
            FindingKind::ExemptionExpired
                | FindingKind::ExemptionExpiring
                | FindingKind::ExemptionUnused
        )
    }

    fn order(self) -> usize {
        FindingKind::ALL
            .iter()
            .position(|kind| *kind == self)
            .unwrap_or(usize::MAX)
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingKind {
    type Err = ();

    fn from_str(text: &str) -> Result<FindingKind, ()> {
        FindingKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or(())
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kind_codes_are_unique_and_round_trip() {
        let codes: HashSet<_> = FindingKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(codes.len(), FindingKind::ALL.len());
        for kind in FindingKind::ALL {
            assert_eq!(kind.as_str().parse::<FindingKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert!(!kind.description().is_empty());
        }
    }

    #[test]
    fn contract_kinds_are_all_known() {
        for code in [
            "vulnerability",
            "unmaintained",
            "unsound",
            "notice",
            "yanked",
            "license",
            "unlicensed",
            "license-change",
            "owner-change",
            "publisher-change",
            "source",
            "exemption-expired",
            "exemption-unused",
            "unchecked",
            "fresh-release",
            "new-crate",
            "build-code",
            "lookalike",
            "banned",
        ] {
            assert!(code.parse::<FindingKind>().is_ok(), "{code}");
        }
    }
}
