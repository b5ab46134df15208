//! The yanked check: every registry package whose locked version its registry's index marks
//! as yanked is a `yanked` finding; a package whose status could not be read is `unchecked`.
//! A package whose index entry could not be obtained at all is reported here once for every
//! check that reads the entry (its yanked status and its publish time).
//!
//! What "could not be read" covers: no entry (offline with an empty cache, a server error), a
//! crate the index does not have (HTTP 404: deleted, or never published there), a version the
//! entry does not list, and registries without a sparse index. None of them passes silently.

use crate::facts::index::IndexFacts;
use crate::facts::index::cache::Entry;
use crate::facts::index::cache::VersionStatus;
use crate::facts::index::releases::{Release, advice, age, releases, update_command};
use crate::finding::{Finding, FindingKind};
use crate::load::graph::{DependencyGraph, Package};
use crate::policy::ReleasePolicy;
use crate::support::date::describe_duration;
use crate::support::text::Phrase;

/// The yanked check over the graph's packages and the index entries obtained for them. The
/// advice of a yanked finding never names a release younger than `releases.min-age`.
pub fn check(
    graph: &DependencyGraph,
    facts: &IndexFacts,
    policy: &ReleasePolicy,
    now: i64,
) -> Vec<Finding> {
    if !facts.is_enabled() {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for package in graph.packages() {
        let entry = match facts.entry_of(package) {
            Ok(Some(entry)) => entry,
            Ok(None) => continue,
            Err(why) => {
                findings.push(unchecked(package, why));
                continue;
            }
        };
        let registry = facts.config().registry_name(
            &facts
                .config()
                .base_of(&package.source_kind)
                .unwrap_or_default(),
        );
        match entry.status_of(&package.version.to_string()) {
            VersionStatus::Available => {}
            VersionStatus::Yanked => findings.push(Finding::for_package(
                FindingKind::Yanked,
                package.to_ref(),
                format!(
                    "the locked version is yanked from {registry}; {}",
                    yanked_advice(graph, package, entry, policy.min_age.as_secs(), now)
                ),
            )),
            VersionStatus::Absent => findings.push(unchecked(
                package,
                Phrase::new(
                    format!("the index of {registry} does not list the locked version"),
                    format!("the index of {registry} does not list the locked versions"),
                ),
            )),
        }
    }
    findings
}

fn unchecked(package: &Package, why: Phrase) -> Finding {
    Finding::not_checked(
        package.to_ref(),
        &[FindingKind::Yanked, FindingKind::FreshRelease],
        "yanked status and publish time",
        why,
    )
}

/// What the `yanked` finding of `package` advises, given its crate's index entry: the
/// release to move to, never one younger than `min-age` (seconds).
pub fn yanked_advice(
    graph: &DependencyGraph,
    package: &Package,
    entry: &Entry,
    min_age: i64,
    now: i64,
) -> String {
    let releases = releases(entry);
    if releases.iter().all(|release| release.published.is_none()) {
        return "update to one that is not yanked".to_owned();
    }
    let advice = advice(&releases, &package.version, now - min_age.max(0));
    let min_age_words = describe_duration(u64::try_from(min_age.max(0)).unwrap_or(0));
    let pin = |settled: &Release| {
        format!(
            "{} ({})",
            settled.version,
            update_command(graph, package, &settled.version)
        )
    };
    match (&advice.settled, advice.too_young.last()) {
        (Some(settled), _) if settled.version > package.version => format!(
            "update to {}, the newest compatible release that is neither yanked nor younger than releases.min-age ({min_age_words})",
            pin(settled)
        ),
        (settled, Some(young)) => {
            let when = young
                .published
                .map(|at| format!("was published {}", age(at, now)))
                .unwrap_or_else(|| "has no known publish time".to_owned());
            let alternative = match settled {
                Some(settled) => format!("wait, or pin {}", pin(settled)),
                None => "wait until it is older, and review it".to_owned(),
            };
            format!(
                "{} {when}, less than releases.min-age ({min_age_words}): a release that young is not advised (yanking old releases is how an attacker lures users to a new one); {alternative}",
                young.version
            )
        }
        (Some(settled), None) => format!(
            "no newer compatible release is available; pin {}",
            pin(settled)
        ),
        (None, None) => format!(
            "no other compatible release is both not yanked and older than releases.min-age ({min_age_words})"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::facts::index::cache::Entry;
    use crate::facts::index::{IndexConfig, Lookup};

    const INDEX: &str = "http://127.0.0.1:1/";

    fn package(name: &str, version: &str, source: Option<&str>) -> Package {
        Package::new(name, version.parse().unwrap(), source)
    }

    fn found(versions: &[&str], yanked: &[&str]) -> Lookup {
        Lookup::Entry(Entry {
            fetched_at: 1,
            etag: None,
            last_modified: None,
            found: true,
            versions: versions.iter().map(|v| (*v).to_owned()).collect(),
            yanked: yanked.iter().map(|v| (*v).to_owned()).collect(),
            published: vec![None; versions.len()],
        })
    }

    fn results(
        packages: Vec<Package>,
        lookups: Vec<(&str, &str, Lookup)>,
    ) -> Vec<(String, String, String)> {
        let graph = DependencyGraph::from_parts(PathBuf::from("/ws"), packages, &[]);
        let lookups: BTreeMap<_, _> = lookups
            .into_iter()
            .map(|(base, name, lookup)| ((base.to_owned(), name.to_owned()), lookup))
            .collect();
        let facts = IndexFacts::new(IndexConfig::with_crates_io(INDEX), lookups);
        check(
            &graph,
            &facts,
            &crate::policy::Policy::default().releases,
            0,
        )
        .into_iter()
        .map(|finding| {
            (
                finding.kind.as_str().to_owned(),
                finding.crate_name().unwrap_or("").to_owned(),
                finding.message,
            )
        })
        .collect()
    }

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    #[test]
    fn a_yanked_version_is_found_and_others_pass() {
        let findings = results(
            vec![
                package("app", "0.1.0", None),
                package("old", "1.0.1", Some(CRATES_IO)),
                package("fine", "2.0.0", Some("sparse+https://index.crates.io/")),
            ],
            vec![
                (INDEX, "old", found(&["1.0.0", "1.0.1"], &["1.0.1"])),
                (INDEX, "fine", found(&["2.0.0"], &["1.0.0"])),
            ],
        );
        assert_eq!(
            findings,
            vec![(
                "yanked".to_owned(),
                "old".to_owned(),
                "the locked version is yanked from crates.io; update to one that is not yanked"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn missing_data_is_unchecked_never_a_pass() {
        let other = "sparse+https://reg.example/index/";
        let findings = results(
            vec![
                package("gone", "1.0.0", Some(CRATES_IO)),
                package("ahead", "3.0.0", Some(CRATES_IO)),
                package("down", "1.0.0", Some(CRATES_IO)),
                package("never", "1.0.0", Some(CRATES_IO)),
                package("inhouse", "1.0.0", Some(other)),
                package(
                    "gitreg",
                    "1.0.0",
                    Some("registry+https://git.example/index"),
                ),
                package("gitdep", "1.0.0", Some("git+https://example.com/r#abc")),
            ],
            vec![
                (INDEX, "gone", Lookup::Entry(Entry::not_found(1))),
                (INDEX, "ahead", found(&["1.0.0"], &[])),
                (
                    INDEX,
                    "down",
                    Lookup::Unavailable("the server said no".into()),
                ),
                (
                    "https://reg.example/index/",
                    "inhouse",
                    found(&["1.0.0"], &["1.0.0"]),
                ),
            ],
        );
        let by_crate: BTreeMap<&str, (&str, &str)> = findings
            .iter()
            .map(|(kind, name, message)| (name.as_str(), (kind.as_str(), message.as_str())))
            .collect();
        assert_eq!(by_crate.len(), 6, "{findings:?}");
        assert_eq!(
            by_crate["gone"],
            (
                "unchecked",
                "yanked status and publish time not checked: the crate is not in the index of crates.io (HTTP 404: deleted, or never published there)"
            )
        );
        assert_eq!(
            by_crate["ahead"],
            (
                "unchecked",
                "yanked status and publish time not checked: the index of crates.io does not list the locked version"
            )
        );
        assert_eq!(
            by_crate["down"],
            (
                "unchecked",
                "yanked status and publish time not checked: the server said no"
            )
        );
        assert_eq!(
            by_crate["never"],
            (
                "unchecked",
                "yanked status and publish time not checked: its index entry was not obtained"
            )
        );
        assert_eq!(
            by_crate["inhouse"],
            (
                "yanked",
                "the locked version is yanked from the registry https://reg.example/index/; update to one that is not yanked"
            )
        );
        assert!(by_crate["gitreg"].1.contains("git index protocol"));
        assert!(
            !by_crate.contains_key("gitdep"),
            "git packages cannot be yanked"
        );
    }

    #[test]
    fn disabled_facts_report_nothing() {
        let graph = DependencyGraph::from_parts(
            PathBuf::from("/ws"),
            vec![package("old", "1.0.1", Some(CRATES_IO))],
            &[],
        );
        assert!(
            check(
                &graph,
                &IndexFacts::disabled(IndexConfig::with_crates_io(INDEX)),
                &crate::policy::Policy::default().releases,
                0
            )
            .is_empty()
        );
    }
}
