//! `diff BASE [HEAD]`: what a change does to the workspace's trust — exemptions added, removed
//! and changed (flagging broader ones), baseline entries newly accepted, dependencies added,
//! removed, upgraded and downgraded, and the findings it introduces and resolves.

pub mod baseline;
pub mod dependencies;
pub mod exemptions;
pub mod policy;
pub mod render;

pub use dependencies::{
    DependencyChange, DependencyDiff, DependencyEntry, arrivals, diff_dependencies, unrecorded,
    unrecorded_versions,
};
pub use exemptions::{ExemptionChange, ExemptionDiff, ExemptionEntry, diff_exemptions};

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::finding::{FindingKind, Verdict};
use crate::load::lockfile::Lockfile;
use crate::policy::Policy;

/// The files of one side of the diff.
#[derive(Clone, Debug)]
pub struct Side {
    /// How the side is named in reports.
    pub label: String,
    /// The policy at that side (the defaults when there is no policy file).
    pub policy: Policy,
    /// The lock file at that side (empty when there is none).
    pub lockfile: Lockfile,
}

/// Findings the change introduces and resolves.
#[derive(Clone, Debug, Default)]
pub struct FindingDiff {
    /// Whether advisories were compared (an advisory database was available); the other kinds
    /// are always computed, from what the caches hold.
    pub available: bool,
    /// The facts no cache held, at the head (or, prefixed with its label, at the base): the
    /// findings that depend on them could not be computed.
    pub missing: Vec<String>,
    /// Findings at the head that the base did not have (not exempted).
    pub introduced: Vec<Verdict>,
    /// Findings at the base that the head no longer has (or now exempts).
    pub resolved: Vec<Verdict>,
}

/// The whole diff.
#[derive(Clone, Debug)]
pub struct Diff {
    /// The base's label.
    pub base: String,
    /// The head's label.
    pub head: String,
    /// Policy keys.
    pub policy: policy::PolicyDiff,
    /// Exemptions.
    pub exemptions: ExemptionDiff,
    /// Baseline entries.
    pub baseline: baseline::BaselineDiff,
    /// Dependencies.
    pub dependencies: DependencyDiff,
    /// Registry crates of the head that the base's baseline never accepted.
    pub arrivals: Vec<Arrival>,
    /// Registry crates of the head's lock file that the head's baseline does not record (added
    /// without `cargo trustcheck baseline`); empty when the head has no baseline.
    pub unrecorded: Vec<DependencyEntry>,
    /// Locked registry versions of the head whose crate the head's baseline records, but not
    /// in that version (bumped without `cargo trustcheck baseline`); empty without a baseline.
    pub unrecorded_versions: Vec<DependencyEntry>,
    /// License ids the head's allow list adds, each with the crates of the head it now lets in.
    pub licenses_widened: Vec<LicenseWidening>,
    /// Findings.
    pub findings: FindingDiff,
}

/// A license id the head's `[licenses] allow` adds, and what it lets in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LicenseWidening {
    /// The SPDX id added to the allow list.
    pub license: String,
    /// The crates of the head ("name version") whose license the base's allow list refused and
    /// the head's accepts, because of this id.
    #[serde(rename = "lets-in")]
    pub lets_in: Vec<String>,
}

/// A registry crate of the head's lock file that the base's baseline never accepted, in no
/// version: it enters the graph with this change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arrival {
    /// The crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// Its locked version.
    pub version: String,
    /// Cargo's source string.
    pub source: Option<String>,
    /// Whether the head's baseline accepts it (a trust decision of the change), or it is
    /// missing from the baseline (added without `cargo trustcheck baseline`).
    pub accepted: bool,
    /// Crates the base trusted whose names are one edit from its name.
    #[serde(rename = "lookalike-of")]
    pub lookalike_of: Vec<String>,
}

impl Diff {
    /// The trust the change grants, one line per kind of decision: what makes a reviewer's
    /// sign-off more than routine. Empty when the change grants none.
    pub fn trust_granted(&self) -> Vec<String> {
        let accepted = |field: &str| {
            self.baseline
                .changed
                .iter()
                .filter(|change| change.field == field)
                .count()
        };
        let new_crates = self
            .baseline
            .added
            .iter()
            .filter(|entry| entry.new_crate)
            .count();
        let lookalikes = self
            .arrivals
            .iter()
            .filter(|arrival| !arrival.lookalike_of.is_empty())
            .count();
        let unrecorded_versions = self.unrecorded_versions.len();
        let let_in: usize = self
            .licenses_widened
            .iter()
            .map(|widening| widening.lets_in.len())
            .sum();
        let denied = self
            .findings
            .introduced
            .iter()
            .filter(|verdict| verdict.denies())
            .count();
        // Code the head brings in that no baseline accepted: versions whose build-time or
        // library code gained capabilities, or that ship binaries, as the head's findings say
        // (what the baseline accepted of them is counted above).
        let code_introduced = |kinds: &[FindingKind]| {
            self.findings
                .introduced
                .iter()
                .filter(|verdict| kinds.contains(&verdict.finding.kind))
                .filter_map(|verdict| {
                    Some((verdict.finding.crate_name()?, verdict.finding.version()?))
                })
                .collect::<BTreeSet<_>>()
                .len()
        };
        let capabilities_introduced =
            code_introduced(&[FindingKind::BuildCapability, FindingKind::LibraryCapability]);
        let binaries_introduced =
            code_introduced(&[FindingKind::BinaryAdded, FindingKind::BinaryShipped]);
        // (how many, what, the rest of the line)
        let decisions = [
            (self.policy.weakening(), "policy change", " weakening it"),
            (self.exemptions.added.len(), "exemption", " added"),
            (self.exemptions.broader(), "exemption", " made broader"),
            (accepted("license"), "license", " accepted"),
            (accepted("owners"), "owner change", " accepted"),
            (accepted("published-by"), "new publisher", " accepted"),
            (accepted("build"), "build-code change", " accepted"),
            (
                accepted("capabilities"),
                "version whose code gained capabilities",
                ", accepted",
            ),
            (
                accepted("binaries"),
                "version with new binaries",
                ", accepted",
            ),
            (new_crates, "new crate", " accepted into the baseline"),
            (
                self.unrecorded.len(),
                "crate",
                " in the graph that trustcheck.lock does not record",
            ),
            (
                unrecorded_versions,
                "crate version",
                " in the graph that trustcheck.lock does not record",
            ),
            (lookalikes, "lookalike name", ""),
            (let_in, "crate", " let in by a widened license allow list"),
            (
                capabilities_introduced,
                "version whose code gained capabilities",
                ", not accepted",
            ),
            (
                binaries_introduced,
                "version with new binaries",
                ", not accepted",
            ),
            (denied, "denied finding", " introduced"),
        ];
        decisions
            .into_iter()
            .filter(|(number, _, _)| *number > 0)
            .map(|(number, what, rest)| {
                format!("{}{rest}", crate::support::text::counted(number, what))
            })
            .collect()
    }
}

/// Findings introduced and resolved between two sides' verdicts. A finding counts while it is
/// not exempted: one that the head exempts is resolved, and is listed with its exemption so the
/// reviewer sees it was accepted rather than fixed.
pub fn diff_findings(base: Vec<Verdict>, head: Vec<Verdict>) -> FindingDiff {
    type Key = (
        FindingKind,
        Option<String>,
        Option<semver::Version>,
        Option<String>,
    );
    let key = |verdict: &Verdict| -> Key {
        let finding = &verdict.finding;
        (
            finding.kind,
            finding.crate_name().map(str::to_owned),
            finding.version().cloned(),
            finding.advisory_id().map(str::to_owned),
        )
    };
    let open_base: BTreeSet<Key> = base
        .iter()
        .filter(|verdict| verdict.exemption.is_none())
        .map(key)
        .collect();
    let open_head: BTreeSet<Key> = head
        .iter()
        .filter(|verdict| verdict.exemption.is_none())
        .map(key)
        .collect();
    let exempted_at_head: BTreeMap<Key, &Verdict> = head
        .iter()
        .filter(|verdict| verdict.exemption.is_some())
        .map(|verdict| (key(verdict), verdict))
        .collect();
    let introduced = head
        .iter()
        .filter(|verdict| verdict.exemption.is_none() && !open_base.contains(&key(verdict)))
        .cloned()
        .collect();
    let resolved = base
        .iter()
        .filter(|verdict| verdict.exemption.is_none() && !open_head.contains(&key(verdict)))
        .map(|verdict| {
            exempted_at_head
                .get(&key(verdict))
                .map_or_else(|| verdict.clone(), |&exempted| exempted.clone())
        })
        .collect();
    FindingDiff {
        available: true,
        missing: Vec::new(),
        introduced,
        resolved,
    }
}

#[cfg(test)]
mod tests;
