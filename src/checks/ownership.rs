//! The ownership check: owners added or removed since the baseline (`owner-change`), and locked
//! versions published by an account that published none of the baseline's versions
//! (`publisher-change`). What could not be known is `unchecked`. A pure function of the graph,
//! the baseline and the facts `access` gathered; it asks nothing itself.

use std::collections::BTreeSet;

use crate::facts::ownership::{OwnerRecord, OwnershipFacts, Publisher, crates_io_packages};
use crate::finding::{Finding, FindingKind};
use crate::load::baseline::{Baseline, CRATES_IO, Owner};
use crate::load::graph::DependencyGraph;

/// One finding for the crates.io crates of the graph whose owners the baseline does not record
/// (written while the API could not be reached): their owner changes cannot be seen, and that
/// must not pass silently. One finding for the cause, naming the crates.
fn unrecorded_owners(graph: &DependencyGraph, baseline: &Baseline) -> Option<Finding> {
    let names: BTreeSet<&str> = crates_io_packages(graph)
        .filter(|package| {
            baseline
                .crate_record(&package.name, CRATES_IO)
                .is_some_and(|record| record.owners.is_none())
        })
        .map(|package| package.name.as_str())
        .collect();
    if names.is_empty() {
        return None;
    }
    let names: Vec<&str> = names.into_iter().collect();
    let cause = format!(
        "trustcheck.lock records no owners for {} ({}), so their owner changes cannot be seen; record them with `cargo trustcheck fetch` (or `fetch --db-dump`) and then `cargo trustcheck baseline`",
        crate::support::text::counted(names.len(), "crate"),
        crate::support::text::name_list(&names, 8)
    );
    let mut finding = Finding::general(
        FindingKind::Unchecked,
        format!("ownership not checked: {cause}"),
    );
    finding.unchecked = Some(crate::finding::NotChecked {
        checks: vec![FindingKind::OwnerChange],
        what: "ownership".to_owned(),
        cause: cause.into(),
    });
    Some(finding)
}

fn owner_list(owners: &[Owner]) -> String {
    owners
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ownership check over gathered facts.
pub fn check(
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    facts: &OwnershipFacts,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(baseline) = baseline else {
        return findings;
    };
    findings.extend(unrecorded_owners(graph, baseline));
    for (name, current) in &facts.owners {
        let Some(accepted) = baseline
            .crate_record(name, CRATES_IO)
            .and_then(|record| record.owners.as_ref())
        else {
            continue;
        };
        let identity = |owner: &Owner| (owner.kind, owner.id);
        let accepted_ids: BTreeSet<_> = accepted.iter().map(identity).collect();
        let current: Vec<Owner> = current.iter().map(OwnerRecord::to_owner).collect();
        let current_ids: BTreeSet<_> = current.iter().map(identity).collect();
        let added: Vec<Owner> = current
            .iter()
            .filter(|owner| !accepted_ids.contains(&identity(owner)))
            .cloned()
            .collect();
        let removed: Vec<Owner> = accepted
            .iter()
            .filter(|owner| !current_ids.contains(&identity(owner)))
            .cloned()
            .collect();
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        let Some(package) = crates_io_packages(graph)
            .filter(|package| &package.name == name)
            .max_by(|a, b| a.version.cmp(&b.version))
        else {
            continue;
        };
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("added {}", owner_list(&added)));
        }
        if !removed.is_empty() {
            parts.push(format!("removed {}", owner_list(&removed)));
        }
        findings.push(Finding::for_package(
            FindingKind::OwnerChange,
            package.to_ref(),
            format!(
                "the owners of {name} changed since the baseline: {}",
                parts.join("; ")
            ),
        ));
    }
    for ((name, version), publisher) in &facts.publishers {
        let Some(record) = baseline.crate_record(name, CRATES_IO) else {
            continue;
        };
        let known: Vec<&Publisher> = record
            .versions
            .values()
            .filter_map(|version| version.published_by.as_ref())
            .collect();
        let Some(package) = crates_io_packages(graph)
            .find(|package| &package.name == name && &package.version == version)
        else {
            continue;
        };
        match publisher {
            None => findings.push(Finding::not_checked(
                package.to_ref(),
                &[FindingKind::PublisherChange],
                "publisher",
                crate::support::text::Phrase::new(
                    "the registry does not record who published this version, so it cannot be compared with the baseline's publishers",
                    "the registry does not record who published these versions, so they cannot be compared with the baseline's publishers",
                ),
            )),
            Some(publisher) if !known.iter().any(|known| known.same_as(publisher)) => {
                let mut known_names: Vec<String> = known.iter().map(ToString::to_string).collect();
                known_names.sort();
                known_names.dedup();
                findings.push(Finding::for_package(
                    FindingKind::PublisherChange,
                    package.to_ref(),
                    format!(
                        "{name} {version} was published by {publisher}, who published none of the versions in the baseline (they were published by {})",
                        known_names.join(", ")
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    for (package, reason) in &facts.unavailable {
        findings.push(Finding::not_checked(
            package.clone(),
            &[FindingKind::OwnerChange],
            "ownership",
            reason.clone(),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::baseline::{CrateRecord, OwnerKind, VersionRecord};
    use std::path::PathBuf;

    const CRATES_IO_SOURCE: &str = "registry+https://github.com/rust-lang/crates.io-index";

    use crate::load::graph::Package;

    fn package(name: &str, version: &str) -> Package {
        Package::new(name, version.parse().unwrap(), Some(CRATES_IO_SOURCE))
    }

    fn owner(id: u64, login: &str) -> OwnerRecord {
        OwnerRecord {
            kind: OwnerKind::User,
            id,
            login: login.to_owned(),
            name: None,
        }
    }

    fn account(id: u64, login: &str) -> Publisher {
        Publisher::Account {
            id,
            login: login.to_owned(),
        }
    }

    fn baseline() -> Baseline {
        let mut baseline = Baseline::default();
        baseline.crates.insert(
            ("serde".to_owned(), CRATES_IO.to_owned()),
            CrateRecord {
                owners: Some(vec![
                    owner(1, "dtolnay").to_owner(),
                    owner(2, "alice").to_owner(),
                ]),
                versions: [(
                    "1.0.0".parse().unwrap(),
                    VersionRecord {
                        license: Some("MIT".to_owned()),
                        build_code: None,
                        published_by: Some(account(1, "dtolnay")),
                        code: None,
                    },
                )]
                .into_iter()
                .collect(),
            },
        );
        baseline
    }

    #[test]
    fn owners_added_and_removed_are_named() {
        let graph =
            DependencyGraph::from_parts(PathBuf::from("/ws"), vec![package("serde", "1.0.0")], &[]);
        let mut facts = OwnershipFacts::default();
        facts.owners.insert(
            "serde".to_owned(),
            vec![owner(1, "dtolnay-renamed"), owner(3, "mallory")],
        );
        let findings = check(&graph, Some(&baseline()), &facts);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::OwnerChange);
        assert_eq!(
            findings[0].message,
            "the owners of serde changed since the baseline: added mallory (user 3); removed alice (user 2)",
            "a renamed login with the same id is not a change"
        );
    }

    #[test]
    fn a_new_publisher_of_a_bumped_version_is_a_change_and_a_known_one_is_not() {
        let graph =
            DependencyGraph::from_parts(PathBuf::from("/ws"), vec![package("serde", "1.1.0")], &[]);
        let mut facts = OwnershipFacts::default();
        facts.publishers.insert(
            ("serde".to_owned(), "1.1.0".parse().unwrap()),
            Some(account(666, "mallory")),
        );
        let findings = check(&graph, Some(&baseline()), &facts);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::PublisherChange);
        assert!(
            findings[0].message.contains("mallory (user 666)"),
            "{}",
            findings[0].message
        );
        assert!(
            findings[0].message.contains("dtolnay (user 1)"),
            "{}",
            findings[0].message
        );

        facts.publishers.insert(
            ("serde".to_owned(), "1.1.0".parse().unwrap()),
            Some(account(1, "dtolnay")),
        );
        assert!(check(&graph, Some(&baseline()), &facts).is_empty());

        facts
            .publishers
            .insert(("serde".to_owned(), "1.1.0".parse().unwrap()), None);
        assert_eq!(
            check(&graph, Some(&baseline()), &facts)[0].kind,
            FindingKind::Unchecked
        );
    }
}
