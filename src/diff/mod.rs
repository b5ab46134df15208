//! `diff BASE [HEAD]`: what a change does to the workspace's trust — exemptions added, removed
//! and changed (flagging broader ones), baseline entries newly accepted, dependencies added,
//! removed, upgraded and downgraded, and the findings it introduces and resolves.

pub mod baseline;
pub mod policy;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::baseline::Baseline;
use crate::finding::{FindingKind, Verdict};
use crate::graph::{DependencyGraph, Package};
use crate::lockfile::Lockfile;
use crate::policy::{Exemption, Policy};

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

/// An exemption as `diff` reports it: every key of the exemption, and its line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExemptionEntry {
    /// `advisory`.
    pub advisory: Option<String>,
    /// `crate`.
    #[serde(rename = "crate")]
    pub crate_name: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `kind`.
    pub kind: Option<FindingKind>,
    /// `reason`.
    pub reason: String,
    /// `expires`.
    pub expires: String,
    /// Its line in that side's policy file.
    pub line: usize,
}

impl From<&Exemption> for ExemptionEntry {
    fn from(exemption: &Exemption) -> ExemptionEntry {
        ExemptionEntry {
            advisory: exemption.advisory.clone(),
            crate_name: exemption.crate_name.clone(),
            version: exemption.version.as_ref().map(ToString::to_string),
            kind: exemption.kind,
            reason: exemption.reason.clone(),
            expires: exemption.expires.to_string(),
            line: exemption.line,
        }
    }
}

/// An exemption changed between the sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExemptionChange {
    /// At the base.
    pub before: ExemptionEntry,
    /// At the head.
    pub after: ExemptionEntry,
    /// Whether the change makes the exemption broader: it exempts more, or for longer.
    pub broader: bool,
    /// Why it is broader (empty when it is not).
    #[serde(rename = "broader-because")]
    pub broader_because: Vec<String>,
}

/// Exemptions added, removed and changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExemptionDiff {
    /// New at the head.
    pub added: Vec<ExemptionEntry>,
    /// Gone at the head.
    pub removed: Vec<ExemptionEntry>,
    /// Changed.
    pub changed: Vec<ExemptionChange>,
}

/// A dependency present on one side only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DependencyEntry {
    /// The crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// Its version.
    pub version: String,
    /// Cargo's source string (null for local packages).
    pub source: Option<String>,
    /// Whether this source appears nowhere in the base's lock file.
    #[serde(rename = "new-source", skip_serializing_if = "std::ops::Not::not")]
    pub new_source: bool,
}

/// A dependency whose version moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DependencyChange {
    /// The crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The version at the base.
    pub before: String,
    /// The version at the head.
    pub after: String,
    /// Cargo's source string.
    pub source: Option<String>,
    /// `upgrade` or `downgrade`.
    pub direction: &'static str,
}

/// Dependencies added, removed and changed, from the two lock files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DependencyDiff {
    /// Only at the head.
    pub added: Vec<DependencyEntry>,
    /// Only at the base.
    pub removed: Vec<DependencyEntry>,
    /// Upgraded or downgraded.
    pub changed: Vec<DependencyChange>,
}

/// Findings the change introduces and resolves.
#[derive(Clone, Debug, Default)]
pub struct FindingDiff {
    /// Whether findings could be computed (an advisory database was available).
    pub available: bool,
    /// Findings at the head that the base did not have (not exempted).
    pub introduced: Vec<Verdict>,
    /// Findings at the base that the head no longer has (or now exempts).
    pub resolved: Vec<Verdict>,
}

impl ExemptionDiff {
    /// How many exemptions were added, removed or changed.
    pub fn total(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }
}

impl DependencyDiff {
    /// How many dependencies were added, removed or changed.
    pub fn total(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }
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
    /// Findings.
    pub findings: FindingDiff,
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

/// The registry crates of `lock` that `baseline` does not record, one entry per crate (its
/// lowest locked version); nothing without a baseline.
pub fn unrecorded(baseline: &Baseline, lock: &Lockfile) -> Vec<DependencyEntry> {
    if baseline.crates.is_empty() {
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    let mut entries = Vec::new();
    for locked in &lock.packages {
        let package = Package::new(
            &locked.name,
            locked.version.clone(),
            locked.source.as_deref(),
        );
        if package.source_kind.is_registry()
            && crate::arrivals::is_new(&package, baseline)
            && seen.insert(locked.name.clone())
        {
            entries.push(DependencyEntry {
                crate_name: locked.name.clone(),
                version: locked.version.to_string(),
                source: locked.source.clone(),
                new_source: false,
            });
        }
    }
    entries.sort_by(|a, b| a.crate_name.cmp(&b.crate_name));
    entries
}

/// The registry crates of `head_lock` that `base_baseline` never accepted. Nothing when the
/// base has no baseline (nothing was accepted to compare with).
pub fn arrivals(
    base_baseline: &Baseline,
    head_baseline: &Baseline,
    base_lock: &Lockfile,
    head_lock: &Lockfile,
) -> Vec<Arrival> {
    if base_baseline.crates.is_empty() {
        return Vec::new();
    }
    let trusted: BTreeSet<&str> = base_baseline
        .crates
        .keys()
        .map(|(name, _)| name.as_str())
        .chain(base_lock.names())
        .collect();
    let mut arrivals = Vec::new();
    for locked in &head_lock.packages {
        let package = Package::new(
            &locked.name,
            locked.version.clone(),
            locked.source.as_deref(),
        );
        if !package.source_kind.is_registry() || !crate::arrivals::is_new(&package, base_baseline) {
            continue;
        }
        arrivals.push(Arrival {
            crate_name: locked.name.clone(),
            version: locked.version.to_string(),
            source: locked.source.clone(),
            accepted: !crate::arrivals::is_new(&package, head_baseline),
            lookalike_of: crate::lookalike::lookalikes_of(&locked.name, trusted.iter().copied())
                .into_iter()
                .map(str::to_owned)
                .collect(),
        });
    }
    arrivals.sort_by(|a, b| (&a.crate_name, &a.version).cmp(&(&b.crate_name, &b.version)));
    arrivals
}

impl Diff {
    /// The trust the change grants, one line per kind of decision: what makes a reviewer's
    /// sign-off more than routine. Empty when the change grants none.
    pub fn trust_granted(&self) -> Vec<String> {
        let mut granted = Vec::new();
        let count = |number: usize, what: &str| {
            // `what` is "exemption(s) added": singular or plural by the number.
            let what = if number == 1 {
                what.replace("(s)", "")
            } else {
                what.replace("(s)", "s")
            };
            format!("{number} {what}")
        };
        let weakening = self.policy.weakening();
        if weakening > 0 {
            granted.push(count(weakening, "policy change(s) weakening it"));
        }
        if !self.exemptions.added.is_empty() {
            granted.push(count(self.exemptions.added.len(), "exemption(s) added"));
        }
        let broader = self
            .exemptions
            .changed
            .iter()
            .filter(|change| change.broader)
            .count();
        if broader > 0 {
            granted.push(count(broader, "exemption(s) made broader"));
        }
        for field in ["license", "owners", "published-by", "build"] {
            let accepted = self
                .baseline
                .changed
                .iter()
                .filter(|change| change.field == field)
                .count();
            if accepted > 0 {
                granted.push(count(
                    accepted,
                    match field {
                        "license" => "license(s) accepted",
                        "owners" => "owner change(s) accepted",
                        "published-by" => "new publisher(s) accepted",
                        _ => "build-code change(s) accepted",
                    },
                ));
            }
        }
        let new_crates = self
            .baseline
            .added
            .iter()
            .filter(|entry| entry.new_crate)
            .count();
        if new_crates > 0 {
            granted.push(count(new_crates, "new crate(s) accepted into the baseline"));
        }
        if !self.unrecorded.is_empty() {
            granted.push(count(
                self.unrecorded.len(),
                "crate(s) in the graph that trustcheck.lock does not record",
            ));
        }
        let lookalikes = self
            .arrivals
            .iter()
            .filter(|arrival| !arrival.lookalike_of.is_empty())
            .count();
        if lookalikes > 0 {
            granted.push(count(lookalikes, "lookalike name(s)"));
        }
        let denied = self
            .findings
            .introduced
            .iter()
            .filter(|verdict| verdict.denies())
            .count();
        if denied > 0 {
            granted.push(count(denied, "denied finding(s) introduced"));
        }
        granted
    }
}

/// Why an exemption change widens what it exempts.
fn broadening(before: &Exemption, after: &Exemption) -> Vec<String> {
    let mut reasons = Vec::new();
    if before.crate_name.is_some() && after.crate_name.is_none() {
        reasons.push("no longer limited to one crate".to_owned());
    }
    if before.advisory.is_some() && after.advisory.is_none() {
        reasons.push("no longer limited to one advisory".to_owned());
    }
    if before.kind.is_some() && after.kind.is_none() {
        reasons.push("no longer limited to one kind of finding".to_owned());
    }
    match (&before.version, &after.version) {
        (Some(_), None) => reasons.push("no longer limited to a version range".to_owned()),
        (Some(old), Some(new)) if old != new => {
            reasons.push(format!("version range changed from `{old}` to `{new}`"))
        }
        _ => {}
    }
    if after.expires > before.expires {
        reasons.push(format!(
            "expires later ({} instead of {})",
            after.expires, before.expires
        ));
    }
    reasons
}

fn same_exemption(a: &Exemption, b: &Exemption) -> bool {
    same_advisory(&a.advisory, &b.advisory)
        && a.crate_name == b.crate_name
        && a.kind == b.kind
        && a.version.as_ref().map(ToString::to_string)
            == b.version.as_ref().map(ToString::to_string)
        && a.reason == b.reason
        && a.expires == b.expires
}

fn same_advisory(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

/// How well `head` continues `base`, as the same exemption changed: `None` when they exempt
/// different things (a key both give differs, or they share neither the advisory nor the
/// crate); otherwise the number of keys they agree on (a lost or gained key is allowed: that
/// is what makes a change broader or narrower), plus one for the same reason.
fn pairing_score(base: &Exemption, head: &Exemption) -> Option<usize> {
    let both = |a: bool, b: bool| a && b;
    let mut agreed = 0;
    match (&base.advisory, &head.advisory) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => return None,
        (Some(_), Some(_)) => agreed += 1,
        _ => {}
    }
    match (&base.crate_name, &head.crate_name) {
        (Some(a), Some(b)) if a != b => return None,
        (Some(_), Some(_)) => agreed += 1,
        _ => {}
    }
    if agreed == 0 {
        return None;
    }
    match (base.kind, head.kind) {
        (Some(a), Some(b)) if a != b => return None,
        (Some(_), Some(_)) => agreed += 1,
        _ => {}
    }
    if both(base.version.is_some(), head.version.is_some()) && base.version == head.version {
        agreed += 1;
    }
    if base.reason == head.reason {
        agreed += 1;
    }
    Some(agreed)
}

/// Exemptions added, removed and changed between two policies. Unchanged exemptions pair up
/// first; then exemptions are paired by what they exempt, best match first, so that one that
/// lost a key (`crate`, `advisory`, `kind`, `version`) is one broader change rather than an
/// unrelated removal and addition.
pub fn diff_exemptions(base: &[Exemption], head: &[Exemption]) -> ExemptionDiff {
    let mut base_left: Vec<&Exemption> = base.iter().collect();
    let mut head_left: Vec<&Exemption> = Vec::new();
    for exemption in head {
        match base_left
            .iter()
            .position(|candidate| same_exemption(candidate, exemption))
        {
            Some(index) => {
                base_left.remove(index);
            }
            None => head_left.push(exemption),
        }
    }
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (base_index, before) in base_left.iter().enumerate() {
        for (head_index, after) in head_left.iter().enumerate() {
            if let Some(score) = pairing_score(before, after) {
                candidates.push((score, base_index, head_index));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let mut base_paired = vec![false; base_left.len()];
    let mut head_paired = vec![false; head_left.len()];
    let mut diff = ExemptionDiff::default();
    for (_, base_index, head_index) in candidates {
        if base_paired[base_index] || head_paired[head_index] {
            continue;
        }
        base_paired[base_index] = true;
        head_paired[head_index] = true;
        let (before, after) = (base_left[base_index], head_left[head_index]);
        let reasons = broadening(before, after);
        diff.changed.push(ExemptionChange {
            before: before.into(),
            after: after.into(),
            broader: !reasons.is_empty(),
            broader_because: reasons,
        });
    }
    diff.changed
        .sort_by_key(|change| (change.after.line, change.before.line));
    diff.added = head_left
        .iter()
        .zip(&head_paired)
        .filter(|(_, paired)| !**paired)
        .map(|(exemption, _)| ExemptionEntry::from(*exemption))
        .collect();
    diff.removed = base_left
        .iter()
        .zip(&base_paired)
        .filter(|(_, paired)| !**paired)
        .map(|(exemption, _)| ExemptionEntry::from(*exemption))
        .collect();
    diff
}

/// Dependencies added, removed, upgraded and downgraded between two lock files.
pub fn diff_dependencies(base: &Lockfile, head: &Lockfile) -> DependencyDiff {
    let base_versions = base.versions();
    let head_versions = head.versions();
    let base_sources: BTreeSet<Option<&String>> = base
        .packages
        .iter()
        .map(|package| package.source.as_ref())
        .collect();
    let keys: BTreeSet<&(String, Option<String>)> =
        base_versions.keys().chain(head_versions.keys()).collect();
    let mut diff = DependencyDiff::default();
    for key in keys {
        let before: Vec<&semver::Version> = base_versions
            .get(key)
            .map(|list| list.iter().collect())
            .unwrap_or_default();
        let after: Vec<&semver::Version> = head_versions
            .get(key)
            .map(|list| list.iter().collect())
            .unwrap_or_default();
        let removed: Vec<&semver::Version> = before
            .iter()
            .copied()
            .filter(|version| !after.contains(version))
            .collect();
        let added: Vec<&semver::Version> = after
            .iter()
            .copied()
            .filter(|version| !before.contains(version))
            .collect();
        let (name, source) = key;
        let paired = removed.len().min(added.len());
        for (old, new) in removed.iter().zip(added.iter()) {
            diff.changed.push(DependencyChange {
                crate_name: name.clone(),
                before: old.to_string(),
                after: new.to_string(),
                source: source.clone(),
                direction: if new > old { "upgrade" } else { "downgrade" },
            });
        }
        for version in &added[paired..] {
            diff.added.push(DependencyEntry {
                crate_name: name.clone(),
                version: version.to_string(),
                source: source.clone(),
                new_source: source.is_some() && !base_sources.contains(&source.as_ref()),
            });
        }
        for version in &removed[paired..] {
            diff.removed.push(DependencyEntry {
                crate_name: name.clone(),
                version: version.to_string(),
                source: source.clone(),
                new_source: false,
            });
        }
    }
    diff
}

/// The dependency graph a lock file describes: its packages and their dependency lists.
/// Local packages (no source) stand for the workspace members.
pub fn lock_graph(lockfile: &Lockfile, workspace_root: &Path) -> DependencyGraph {
    let id = |package: &crate::lockfile::LockedPackage| {
        Package::id_for(&package.name, &package.version, package.source.as_deref())
    };
    let packages: Vec<Package> = lockfile
        .packages
        .iter()
        .map(|package| Package {
            manifest_path: workspace_root.join("Cargo.toml"),
            publishable: false,
            ..Package::new(
                &package.name,
                package.version.clone(),
                package.source.as_deref(),
            )
        })
        .collect();
    let edges: Vec<(String, String)> = lockfile
        .packages
        .iter()
        .flat_map(|package| {
            package.dependencies.iter().map(move |dependency| {
                (
                    id(package),
                    Package::id_for(
                        &dependency.name,
                        &dependency.version,
                        dependency.source.as_deref(),
                    ),
                )
            })
        })
        .collect();
    DependencyGraph::from_parts(workspace_root.to_path_buf(), packages, &edges)
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
        introduced,
        resolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exemption(
        advisory: Option<&str>,
        crate_name: Option<&str>,
        version: Option<&str>,
        expires: &str,
    ) -> Exemption {
        Exemption {
            advisory: advisory.map(str::to_owned),
            crate_name: crate_name.map(str::to_owned),
            version: version.map(|req| req.parse().unwrap()),
            kind: None,
            reason: "r".to_owned(),
            expires: expires.parse().unwrap(),
            line: 1,
        }
    }

    #[test]
    fn exemptions_are_added_removed_and_changed_with_broadening_flagged() {
        let base = vec![
            exemption(
                Some("RUSTSEC-2020-0071"),
                Some("time"),
                Some("<0.2"),
                "2027-01-01",
            ),
            exemption(Some("RUSTSEC-2021-0001"), None, None, "2027-01-01"),
            exemption(None, Some("same"), None, "2027-01-01"),
        ];
        let head = vec![
            exemption(None, Some("same"), None, "2027-01-01"),
            exemption(Some("rustsec-2020-0071"), Some("time"), None, "2027-06-01"),
            exemption(Some("RUSTSEC-2022-0002"), None, None, "2027-01-01"),
        ];
        let diff = diff_exemptions(&base, &head);
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].advisory.as_deref(), Some("RUSTSEC-2022-0002"));
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(
            diff.removed[0].advisory.as_deref(),
            Some("RUSTSEC-2021-0001")
        );
        assert_eq!(diff.changed.len(), 1);
        assert!(diff.changed[0].broader);
        assert_eq!(
            diff.changed[0].broader_because,
            vec![
                "no longer limited to a version range".to_owned(),
                "expires later (2027-06-01 instead of 2027-01-01)".to_owned()
            ]
        );
    }

    #[test]
    fn an_exemption_that_lost_its_crate_or_kind_is_one_broader_change() {
        let mut rsa = exemption(Some("RUSTSEC-2023-0071"), Some("rsa"), None, "2027-01-01");
        rsa.kind = Some(FindingKind::Vulnerability);
        let mut unlicensed = exemption(None, Some("ring"), None, "2027-01-01");
        unlicensed.kind = Some(FindingKind::Unlicensed);
        let base = vec![rsa.clone(), unlicensed.clone()];
        // The head drops `crate = "rsa"` from one and `kind = "unlicensed"` from the other.
        let mut no_crate = rsa;
        no_crate.crate_name = None;
        let mut no_kind = unlicensed;
        no_kind.kind = None;
        let diff = diff_exemptions(&base, &[no_crate, no_kind]);
        assert!(diff.added.is_empty() && diff.removed.is_empty(), "{diff:?}");
        assert_eq!(diff.changed.len(), 2);
        assert!(diff.changed.iter().all(|change| change.broader));
        let reasons: Vec<&str> = diff
            .changed
            .iter()
            .flat_map(|change| change.broader_because.iter().map(String::as_str))
            .collect();
        assert!(
            reasons.contains(&"no longer limited to one crate"),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&"no longer limited to one kind of finding"),
            "{reasons:?}"
        );
    }

    #[test]
    fn exemptions_of_different_things_are_not_paired() {
        let base = vec![exemption(None, Some("time"), None, "2027-01-01")];
        let head = vec![exemption(None, Some("chrono"), None, "2027-01-01")];
        let diff = diff_exemptions(&base, &head);
        assert_eq!((diff.added.len(), diff.removed.len()), (1, 1));
        assert!(diff.changed.is_empty());
    }

    #[test]
    fn dependencies_are_added_removed_upgraded_and_downgraded() {
        let lock = |packages: &[(&str, &str, Option<&str>)]| {
            let mut text = String::from("version = 4\n");
            for (name, version, source) in packages {
                text.push_str(&format!(
                    "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
                ));
                if let Some(source) = source {
                    text.push_str(&format!("source = \"{source}\"\n"));
                }
            }
            Lockfile::parse(&text).unwrap()
        };
        let io = Some("registry+https://github.com/rust-lang/crates.io-index");
        let git = Some("git+https://example.com/x#abc");
        let base = lock(&[
            ("app", "0.1.0", None),
            ("a", "1.0.0", io),
            ("b", "2.0.0", io),
            ("gone", "1.0.0", io),
        ]);
        let head = lock(&[
            ("app", "0.1.0", None),
            ("a", "1.1.0", io),
            ("b", "1.9.0", io),
            ("new", "1.0.0", io),
            ("fork", "1.0.0", git),
        ]);
        let diff = diff_dependencies(&base, &head);
        let changed: Vec<(&str, &str, &str, &str)> = diff
            .changed
            .iter()
            .map(|change| {
                (
                    change.crate_name.as_str(),
                    change.before.as_str(),
                    change.after.as_str(),
                    change.direction,
                )
            })
            .collect();
        assert_eq!(
            changed,
            vec![
                ("a", "1.0.0", "1.1.0", "upgrade"),
                ("b", "2.0.0", "1.9.0", "downgrade")
            ]
        );
        let added: Vec<(&str, bool)> = diff
            .added
            .iter()
            .map(|entry| (entry.crate_name.as_str(), entry.new_source))
            .collect();
        assert_eq!(added, vec![("fork", true), ("new", false)]);
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(diff.removed[0].crate_name, "gone");
    }
}
