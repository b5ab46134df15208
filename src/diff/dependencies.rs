//! The two lock files compared: dependencies added, removed, upgraded and downgraded; crates
//! new to the baseline and how they arrived; crates the head's baseline does not record; and
//! the locked versions the head's baseline does not record.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Arrival;
use crate::load::baseline::Baseline;
use crate::load::graph::Package;
use crate::load::lockfile::Lockfile;

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

impl DependencyDiff {
    /// How many dependencies were added, removed or changed.
    pub fn total(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }
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
            && baseline.is_new(&package)
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

/// The locked registry versions of `lock` whose crate `baseline` records, but not in that
/// version: a bump that no `cargo trustcheck baseline` accepted. Nothing without a baseline.
pub fn unrecorded_versions(baseline: &Baseline, lock: &Lockfile) -> Vec<DependencyEntry> {
    let mut entries: Vec<DependencyEntry> = lock
        .packages
        .iter()
        .filter(|locked| {
            let package = Package::new(
                &locked.name,
                locked.version.clone(),
                locked.source.as_deref(),
            );
            package.source_kind.is_registry()
                && crate::load::baseline::source_key(&package)
                    .and_then(|source| baseline.crate_record(&locked.name, &source))
                    .is_some_and(|record| !record.versions.contains_key(&locked.version))
        })
        .map(|locked| DependencyEntry {
            crate_name: locked.name.clone(),
            version: locked.version.to_string(),
            source: locked.source.clone(),
            new_source: false,
        })
        .collect();
    entries.sort_by(|a, b| (&a.crate_name, &a.version).cmp(&(&b.crate_name, &b.version)));
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
        if !package.source_kind.is_registry() || !base_baseline.is_new(&package) {
            continue;
        }
        arrivals.push(Arrival {
            crate_name: locked.name.clone(),
            version: locked.version.to_string(),
            source: locked.source.clone(),
            accepted: !head_baseline.is_new(&package),
            lookalike_of: crate::checks::lookalike::lookalikes_of(
                &locked.name,
                trusted.iter().copied(),
            )
            .into_iter()
            .map(str::to_owned)
            .collect(),
        });
    }
    arrivals.sort_by(|a, b| (&a.crate_name, &a.version).cmp(&(&b.crate_name, &b.version)));
    arrivals
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
