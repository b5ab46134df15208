//! The baseline part of a diff: what a change newly accepts in `trustcheck.lock` — licenses,
//! owners and publishers. These are the trust decisions a reviewer signs off.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Value, json};

use crate::load::baseline::{Baseline, CrateRecord, Owner, Publisher, VersionRecord};
use crate::load::graph::BuildCode;
use crate::policy::expression::same_license;

/// A crate version recorded on one side only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaselineEntry {
    /// The crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// `crates-io` or the registry's index URL.
    pub source: String,
    /// The version.
    pub version: Option<String>,
    /// The license recorded for it.
    pub license: Option<String>,
    /// Who published it, as recorded.
    #[serde(rename = "published-by")]
    pub published_by: Option<String>,
    /// The crate's owners, for a crate new to the baseline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// The code it runs at build time, as recorded (`script`, `proc-macro`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Vec<&'static str>>,
    /// Whether the crate is new to the baseline (no version of it was accepted at the base).
    #[serde(rename = "new-crate", skip_serializing_if = "std::ops::Not::not")]
    pub new_crate: bool,
}

/// Something recorded differently on the two sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaselineChange {
    /// The crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// `crates-io` or the registry's index URL.
    pub source: String,
    /// The version, for `license` and `published-by` changes.
    pub version: Option<String>,
    /// What changed: `license`, `owners`, `published-by` or `build`.
    pub field: &'static str,
    /// At the base.
    pub before: Value,
    /// At the head.
    pub after: Value,
    /// Owners newly accepted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// Owners no longer recorded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// Baseline entries added, removed and changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BaselineDiff {
    /// Crate versions newly recorded.
    pub added: Vec<BaselineEntry>,
    /// Crate versions no longer recorded.
    pub removed: Vec<BaselineEntry>,
    /// Licenses, owners and publishers recorded differently.
    pub changed: Vec<BaselineChange>,
}

impl BaselineDiff {
    /// How many baseline entries were added, removed or changed.
    pub fn total(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }
}

fn entry(
    name: &str,
    source: &str,
    version: &semver::Version,
    record: &VersionRecord,
    owners: &[String],
) -> BaselineEntry {
    BaselineEntry {
        crate_name: name.to_owned(),
        source: source.to_owned(),
        version: Some(version.to_string()),
        license: record.license.clone(),
        published_by: record.published_by.as_ref().map(ToString::to_string),
        owners: owners.to_vec(),
        build: record.build_code.map(BuildCode::parts),
        new_crate: false,
    }
}

fn owner_names(owners: &[Owner]) -> Vec<String> {
    owners.iter().map(ToString::to_string).collect()
}

/// The capabilities (`role:capability`) and binaries a version's recorded code has that no
/// version of `old` recorded: one change for each, when there are any.
fn code_gained(
    name: &str,
    source: &str,
    version: &semver::Version,
    old: &CrateRecord,
    record: &crate::load::baseline::VersionRecord,
) -> Vec<BaselineChange> {
    let Some(code) = &record.code else {
        return Vec::new();
    };
    let mut had_capabilities = BTreeSet::new();
    let mut had_binaries = BTreeSet::new();
    for accepted in old
        .versions
        .values()
        .filter_map(|entry| entry.code.as_ref())
    {
        for (role, capabilities) in &accepted.capabilities {
            had_capabilities.extend(capabilities.iter().map(|capability| (*role, *capability)));
        }
        had_binaries.extend(accepted.binaries.iter().cloned());
    }
    let capabilities: Vec<String> = code
        .capabilities
        .iter()
        .flat_map(|(role, capabilities)| {
            capabilities
                .iter()
                .map(move |capability| (*role, *capability))
        })
        .filter(|pair| !had_capabilities.contains(pair))
        .map(|(role, capability)| format!("{}:{}", role.as_str(), capability.as_str()))
        .collect();
    let binaries: Vec<String> = code
        .binaries
        .iter()
        .filter(|path| !had_binaries.contains(*path))
        .cloned()
        .collect();
    let change = |field: &'static str, added: Vec<String>| BaselineChange {
        crate_name: name.to_owned(),
        source: source.to_owned(),
        version: Some(version.to_string()),
        field,
        before: json!(null),
        after: json!(added),
        added,
        removed: Vec::new(),
    };
    let mut changes = Vec::new();
    if !capabilities.is_empty() {
        changes.push(change("capabilities", capabilities));
    }
    if !binaries.is_empty() {
        changes.push(change("binaries", binaries));
    }
    changes
}

/// What changed from `base` to `head`: versions added and removed, and each accepted fact that
/// changed (licenses, build code, capabilities, binaries, publishers, owners).
pub fn diff_baselines(base: &Baseline, head: &Baseline) -> BaselineDiff {
    let mut diff = BaselineDiff::default();
    let empty = CrateRecord::default();
    let keys: BTreeSet<_> = base.crates.keys().chain(head.crates.keys()).collect();
    for key in keys {
        let (name, source) = key;
        let before = base.crates.get(key);
        let after = head.crates.get(key);
        let (old, new) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
        let new_owners = new.owners.as_deref().map(owner_names).unwrap_or_default();
        let versions: BTreeSet<&semver::Version> =
            old.versions.keys().chain(new.versions.keys()).collect();
        let mut first_added = true;
        for version in versions {
            match (old.versions.get(version), new.versions.get(version)) {
                (None, Some(record)) => {
                    // A crate new to the baseline carries its owners on its first entry.
                    let owners = if before.is_none() && first_added {
                        new_owners.clone()
                    } else {
                        Vec::new()
                    };
                    first_added = false;
                    diff.added.push(BaselineEntry {
                        new_crate: before.is_none(),
                        ..entry(name, source, version, record, &owners)
                    });
                    // What its code does and the binaries it ships, beyond what every version
                    // accepted before did and shipped: each a trust decision.
                    diff.changed
                        .extend(code_gained(name, source, version, old, record));
                    // A new version of a known crate: is its license or publisher new to it?
                    if let Some(accepted) = old.accepted_for(version) {
                        if !same_license(
                            accepted.record.license.as_deref(),
                            record.license.as_deref(),
                        ) {
                            diff.changed.push(BaselineChange {
                                crate_name: name.clone(),
                                source: source.clone(),
                                version: Some(version.to_string()),
                                field: "license",
                                before: json!(accepted.record.license),
                                after: json!(record.license),
                                added: Vec::new(),
                                removed: Vec::new(),
                            });
                        }
                        if let (Some(accepted_code), Some(code)) =
                            (accepted.record.build_code, record.build_code)
                            && code.gained_over(accepted_code).any()
                        {
                            diff.changed.push(BaselineChange {
                                crate_name: name.clone(),
                                source: source.clone(),
                                version: Some(version.to_string()),
                                field: "build",
                                before: json!(accepted_code.parts()),
                                after: json!(code.parts()),
                                added: Vec::new(),
                                removed: Vec::new(),
                            });
                        }
                        let known: Vec<&Publisher> = old
                            .versions
                            .values()
                            .filter_map(|known| known.published_by.as_ref())
                            .collect();
                        if let Some(publisher) = &record.published_by
                            && !known.is_empty()
                            && !known.iter().any(|known| known.same_as(publisher))
                        {
                            let mut before: Vec<String> =
                                known.iter().map(ToString::to_string).collect();
                            before.sort();
                            before.dedup();
                            diff.changed.push(BaselineChange {
                                crate_name: name.clone(),
                                source: source.clone(),
                                version: Some(version.to_string()),
                                field: "published-by",
                                before: json!(before),
                                after: json!(publisher.to_string()),
                                added: Vec::new(),
                                removed: Vec::new(),
                            });
                        }
                    }
                }
                (Some(record), None) => {
                    diff.removed.push(entry(name, source, version, record, &[]))
                }
                (Some(a), Some(b)) => {
                    if !same_license(a.license.as_deref(), b.license.as_deref()) {
                        diff.changed.push(BaselineChange {
                            crate_name: name.clone(),
                            source: source.clone(),
                            version: Some(version.to_string()),
                            field: "license",
                            before: json!(a.license),
                            after: json!(b.license),
                            added: Vec::new(),
                            removed: Vec::new(),
                        });
                    }
                    if a.published_by != b.published_by {
                        diff.changed.push(BaselineChange {
                            crate_name: name.clone(),
                            source: source.clone(),
                            version: Some(version.to_string()),
                            field: "published-by",
                            before: json!(a.published_by.as_ref().map(ToString::to_string)),
                            after: json!(b.published_by.as_ref().map(ToString::to_string)),
                            added: Vec::new(),
                            removed: Vec::new(),
                        });
                    }
                }
                (None, None) => {}
            }
        }
        if before.is_some() && after.is_some() && old.owners != new.owners {
            let identity = |owner: &Owner| (owner.kind, owner.id);
            let old_list = old.owners.clone().unwrap_or_default();
            let new_list = new.owners.clone().unwrap_or_default();
            let old_ids: BTreeSet<_> = old_list.iter().map(identity).collect();
            let new_ids: BTreeSet<_> = new_list.iter().map(identity).collect();
            diff.changed.push(BaselineChange {
                crate_name: name.clone(),
                source: source.clone(),
                version: None,
                field: "owners",
                before: json!(old.owners.as_deref().map(owner_names)),
                after: json!(new.owners.as_deref().map(owner_names)),
                added: owner_names(
                    &new_list
                        .iter()
                        .filter(|owner| !old_ids.contains(&identity(owner)))
                        .cloned()
                        .collect::<Vec<_>>(),
                ),
                removed: owner_names(
                    &old_list
                        .iter()
                        .filter(|owner| !new_ids.contains(&identity(owner)))
                        .cloned()
                        .collect::<Vec<_>>(),
                ),
            });
        }
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::baseline::{CRATES_IO, OwnerKind, Publisher};

    fn owner(id: u64, login: &str) -> Owner {
        Owner {
            id,
            login: login.to_owned(),
            kind: OwnerKind::User,
        }
    }

    fn record(owners: Vec<Owner>, versions: &[(&str, &str, Option<&str>)]) -> CrateRecord {
        CrateRecord {
            owners: Some(owners),
            versions: versions
                .iter()
                .map(|(version, license, publisher)| {
                    (
                        version.parse().unwrap(),
                        VersionRecord {
                            license: Some((*license).to_owned()),
                            build_code: None,
                            code: None,
                            published_by: publisher.map(|login| Publisher::Account {
                                id: login.len() as u64 * 100 + u64::from(login.as_bytes()[0]),
                                login: login.to_owned(),
                            }),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn licenses_owners_and_versions_newly_accepted_are_listed() {
        let mut base = Baseline::default();
        let mut head = Baseline::default();
        let key = |name: &str| (name.to_owned(), CRATES_IO.to_owned());
        base.crates.insert(
            key("a"),
            record(vec![owner(1, "alice")], &[("1.0.0", "MIT", Some("alice"))]),
        );
        head.crates.insert(
            key("a"),
            record(
                vec![owner(1, "alice"), owner(2, "bob")],
                &[
                    ("1.0.0", "BUSL-1.1", Some("alice")),
                    ("1.1.0", "BUSL-1.1", Some("bob")),
                ],
            ),
        );
        base.crates
            .insert(key("gone"), record(vec![], &[("0.1.0", "MIT", None)]));
        head.crates.insert(
            key("new"),
            record(vec![owner(3, "carol")], &[("2.0.0", "MIT", Some("carol"))]),
        );
        let diff = diff_baselines(&base, &head);
        let added: Vec<(&str, Option<&str>, &[String])> = diff
            .added
            .iter()
            .map(|entry| {
                (
                    entry.crate_name.as_str(),
                    entry.version.as_deref(),
                    entry.owners.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            added,
            vec![
                ("a", Some("1.1.0"), &[][..]),
                ("new", Some("2.0.0"), &["carol (user 3)".to_owned()][..])
            ]
        );
        assert_eq!(diff.removed.len(), 1);
        let changed: Vec<(&str, &str, Value)> = diff
            .changed
            .iter()
            .map(|change| {
                (
                    change.crate_name.as_str(),
                    change.field,
                    change.after.clone(),
                )
            })
            .collect();
        assert_eq!(
            changed[0],
            ("a", "license", json!("BUSL-1.1")),
            "1.0.0 relicensed"
        );
        assert_eq!(
            changed[1],
            ("a", "license", json!("BUSL-1.1")),
            "1.1.0 licensed differently from 1.0.0"
        );
        assert_eq!(diff.changed[1].before, json!("MIT"));
        assert_eq!(
            changed[2],
            ("a", "published-by", json!("bob (user 398)")),
            "1.1.0 published by someone new"
        );
        assert_eq!(changed[3].1, "owners");
        assert_eq!(diff.changed[3].added, vec!["bob (user 2)".to_owned()]);
    }
}
