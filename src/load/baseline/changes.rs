//! What a rewrite of the baseline changed, in lines a user reads after `baseline`:
//! versions added and removed, licenses, build code, code and owners.

use super::{Baseline, CRATES_IO, CrateKey, CrateRecord};
use crate::load::graph::BuildCode;

impl Baseline {
    /// What differs from `before` to `self`, for a summary of a rewrite.
    pub fn changes_since(&self, before: &Baseline) -> Vec<Change> {
        let mut changes = Vec::new();
        let empty = CrateRecord::default();
        let keys: std::collections::BTreeSet<&CrateKey> =
            self.crates.keys().chain(before.crates.keys()).collect();
        for key in keys {
            let old = before.crates.get(key).unwrap_or(&empty);
            let new = self.crates.get(key).unwrap_or(&empty);
            let versions: std::collections::BTreeSet<&semver::Version> =
                old.versions.keys().chain(new.versions.keys()).collect();
            for version in versions {
                let change = match (old.versions.get(version), new.versions.get(version)) {
                    (None, Some(record)) => ChangeKind::Added {
                        license: record.license.clone(),
                    },
                    (Some(_), None) => ChangeKind::Removed,
                    (Some(a), Some(b)) if a.license != b.license => ChangeKind::License {
                        before: a.license.clone(),
                        after: b.license.clone(),
                    },
                    (Some(a), Some(b)) if a.build_code != b.build_code => ChangeKind::Build {
                        before: a.build_code,
                        after: b.build_code,
                    },
                    (Some(a), Some(b)) if a.code != b.code => ChangeKind::Code,
                    (Some(a), Some(b)) if a != b => ChangeKind::Other,
                    _ => continue,
                };
                changes.push(Change {
                    name: key.0.clone(),
                    source: key.1.clone(),
                    version: Some(version.clone()),
                    kind: change,
                });
            }
            if old.owners != new.owners && !(old.versions.is_empty() || new.versions.is_empty()) {
                changes.push(Change {
                    name: key.0.clone(),
                    source: key.1.clone(),
                    version: None,
                    kind: ChangeKind::Owners,
                });
            }
        }
        changes
    }
}

/// One difference between two baselines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The crate.
    pub name: String,
    /// Its source (`crates-io` or an index URL).
    pub source: String,
    /// The version concerned (`None` for changes of the crate's owners).
    pub version: Option<semver::Version>,
    /// What changed.
    pub kind: ChangeKind,
}

/// What changed about a crate version in the baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// A version now recorded.
    Added {
        /// Its license.
        license: Option<String>,
    },
    /// A version no longer recorded (no longer in the graph).
    Removed,
    /// The recorded license changed.
    License {
        /// The license recorded before.
        before: Option<String>,
        /// The license recorded now.
        after: Option<String>,
    },
    /// The crate's recorded owners changed.
    Owners,
    /// The recorded build code changed (or was recorded for the first time).
    Build {
        /// Recorded before (`None`: not recorded).
        before: Option<BuildCode>,
        /// Recorded now.
        after: Option<BuildCode>,
    },
    /// What its code was recorded to do, or its binaries, changed (or were recorded for the
    /// first time).
    Code,
    /// Something else recorded for the version changed (its publisher).
    Other,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = &self.name;
        let source = if self.source == CRATES_IO {
            String::new()
        } else {
            format!(" ({})", self.source)
        };
        let license = |license: &Option<String>| match license {
            Some(license) => format!("\"{license}\""),
            None => "no license".to_owned(),
        };
        let version = self
            .version
            .as_ref()
            .map(|version| format!(" {version}"))
            .unwrap_or_default();
        match &self.kind {
            ChangeKind::Added { license: text } => {
                write!(f, "+ {name}{version}{source}: {}", license(text))
            }
            ChangeKind::Removed => write!(f, "- {name}{version}{source}"),
            ChangeKind::License { before, after } => write!(
                f,
                "~ {name}{version}{source}: license {} -> {}",
                license(before),
                license(after)
            ),
            ChangeKind::Owners => write!(f, "~ {name}{source}: owners"),
            ChangeKind::Code => write!(
                f,
                "~ {name}{version}{source}: code capabilities or binaries"
            ),
            ChangeKind::Build { before, after } => {
                let describe = |code: &Option<BuildCode>| match code {
                    Some(code) => code.describe().to_owned(),
                    None => "not recorded".to_owned(),
                };
                write!(
                    f,
                    "~ {name}{version}{source}: build code {} -> {}",
                    describe(before),
                    describe(after)
                )
            }
            ChangeKind::Other => write!(f, "~ {name}{version}{source}: publisher"),
        }
    }
}
