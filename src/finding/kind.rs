//! The kinds of finding: each kind's stable kebab-case code (part of the external contract),
//! its one-line description, its heading, whether an exemption may name it, and the order in
//! which reports list it. Adding a kind means adding it here (and to its check).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
    /// The locked version, or its whole crate, is gone from its registry's index (deleted:
    /// how crates.io takes malware down).
    DeletedRelease,
    /// The locked version was published less than `[releases] min-age` ago.
    FreshRelease,
    /// The locked version was published by the account that yanked every other release of its
    /// crate: the lure of a compromised account.
    YankLure,
    /// A crate new to the baseline whose name is one edit from a crate the workspace trusts.
    Lookalike,
    /// A crate new to the baseline whose name imitates an established crate of its registry
    /// (far older, with far more releases) that the workspace may not use at all.
    Typosquat,
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
    /// An owner or publisher whose login is one edit, or a confusable spelling, from an
    /// account the baseline trusts, but who is not that account.
    OwnerLookalike,
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
    pub const ALL: [FindingKind; 29] = [
        FindingKind::Banned,
        FindingKind::Vulnerability,
        FindingKind::Unsound,
        FindingKind::Unmaintained,
        FindingKind::Notice,
        FindingKind::DeletedRelease,
        FindingKind::YankLure,
        FindingKind::Yanked,
        FindingKind::FreshRelease,
        FindingKind::Typosquat,
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
        FindingKind::OwnerLookalike,
        FindingKind::Source,
        FindingKind::ExemptionExpired,
        FindingKind::ExemptionExpiring,
        FindingKind::ExemptionUnused,
        FindingKind::Unchecked,
    ];

    /// The kinds an `[[exemption]]` may name in its `kind` key (not `banned`: no exemption
    /// covers a ban).
    pub const EXEMPTIBLE: [FindingKind; 25] = [
        FindingKind::Vulnerability,
        FindingKind::Unmaintained,
        FindingKind::Unsound,
        FindingKind::Notice,
        FindingKind::Yanked,
        FindingKind::DeletedRelease,
        FindingKind::YankLure,
        FindingKind::FreshRelease,
        FindingKind::NewCrate,
        FindingKind::BuildCode,
        FindingKind::BuildCapability,
        FindingKind::LibraryCapability,
        FindingKind::BinaryAdded,
        FindingKind::BinaryShipped,
        FindingKind::BaselineMismatch,
        FindingKind::Lookalike,
        FindingKind::Typosquat,
        FindingKind::License,
        FindingKind::Unlicensed,
        FindingKind::LicenseChange,
        FindingKind::OwnerChange,
        FindingKind::PublisherChange,
        FindingKind::OwnerLookalike,
        FindingKind::Source,
        FindingKind::Unchecked,
    ];

    /// The stable kebab-case code of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Banned => "banned",
            FindingKind::FreshRelease => "fresh-release",
            FindingKind::YankLure => "yank-lure",
            FindingKind::Lookalike => "lookalike",
            FindingKind::Typosquat => "typosquat",
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
            FindingKind::DeletedRelease => "deleted-release",
            FindingKind::License => "license",
            FindingKind::Unlicensed => "unlicensed",
            FindingKind::LicenseChange => "license-change",
            FindingKind::OwnerChange => "owner-change",
            FindingKind::PublisherChange => "publisher-change",
            FindingKind::OwnerLookalike => "owner-lookalike",
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
            FindingKind::YankLure => {
                "The locked version was published by the account that yanked every other release of the crate"
            }
            FindingKind::Lookalike => {
                "A recently published crate new to the baseline whose name is one edit from a trusted crate's"
            }
            FindingKind::Typosquat => {
                "A crate new to the baseline whose name imitates an established crate of its registry"
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
            FindingKind::DeletedRelease => {
                "The locked version, or its whole crate, was deleted from its registry"
            }
            FindingKind::License => "The crate's license is not allowed by the policy",
            FindingKind::Unlicensed => "The crate declares no license the policy can evaluate",
            FindingKind::LicenseChange => {
                "The crate's license differs from the one the baseline accepted"
            }
            FindingKind::OwnerChange => "The crate's owners changed since the baseline",
            FindingKind::PublisherChange => {
                "The locked version was published by an account new to the baseline"
            }
            FindingKind::OwnerLookalike => {
                "An owner or publisher named like an account the baseline trusts, but another account"
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
            FindingKind::YankLure => "Releases left by a mass yank",
            FindingKind::Lookalike => "Lookalike names",
            FindingKind::Typosquat => "Names that imitate established crates",
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
            FindingKind::DeletedRelease => "Releases deleted from their registry",
            FindingKind::License => "Licenses not allowed",
            FindingKind::Unlicensed => "Unlicensed crates",
            FindingKind::LicenseChange => "License changes",
            FindingKind::OwnerChange => "Owner changes",
            FindingKind::PublisherChange => "Publisher changes",
            FindingKind::OwnerLookalike => "Lookalike accounts",
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

    /// Its position in report order (`ALL`).
    pub(super) fn order(self) -> usize {
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
