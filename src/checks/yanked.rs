//! The yanked check: every registry package whose locked version its registry's index marks
//! as yanked is a `yanked` finding, and one whose locked version (or whole crate) the index no
//! longer lists is a `deleted-release` finding; a package whose status could not be read is
//! `unchecked`.
//! A package whose index entry could not be obtained at all is reported here once for every
//! check that reads the entry (its yanked status and its publish time).
//!
//! What "could not be read" covers: no entry (offline with an empty cache, a server error), an
//! entry that lacks the version but that the index did not confirm in this run (offline with
//! an older cache, or a failed request answered from the cache), and registries without a
//! sparse index. None of them passes silently.

use crate::facts::index::cache::Entry;
use crate::facts::index::cache::VersionStatus;
use crate::facts::index::releases::{
    MassYank, Release, advice, age, mass_yank, releases, update_command,
};
use crate::facts::index::{Absence, IndexFacts};
use crate::facts::ownership::{VersionInfo, mass_yanker};
use crate::finding::{Finding, FindingKind};
use crate::load::graph::{DependencyGraph, Package};
use crate::policy::ReleasePolicy;
use crate::support::date::{describe_duration, format_utc};
use crate::support::text::{Phrase, sanitize_terminal};
use std::collections::BTreeMap;

/// The yanked check over the graph's packages and the index entries obtained for them. The
/// advice of a yanked finding never names a release younger than `releases.min-age`.
pub fn check(
    graph: &DependencyGraph,
    facts: &IndexFacts,
    mass_yanks: &MassYanks,
    policy: &ReleasePolicy,
    now: i64,
) -> Vec<Finding> {
    if !facts.is_enabled() {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for package in graph.packages() {
        if let Some(absence) = facts.absence(package) {
            findings.push(gone(package, &absence, now));
            continue;
        }
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
            VersionStatus::Yanked => {
                let advice = match mass_yank(entry)
                    .filter(|pattern| pattern.yanked.contains(&package.version))
                {
                    Some(pattern) => lure_advice(package, &pattern, mass_yanks, now),
                    None => yanked_advice(graph, package, entry, policy.min_age.as_secs(), now),
                };
                findings.push(Finding::for_package(
                    FindingKind::Yanked,
                    package.to_ref(),
                    format!("the locked version is yanked from {registry}; {advice}"),
                ));
            }
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

/// The API's versions of the crates whose releases were all yanked but the newest, by name
/// (`OwnershipFacts::mass_yanks`).
pub type MassYanks = BTreeMap<String, Result<BTreeMap<String, VersionInfo>, String>>;

/// What the `yanked` finding advises when every other release of the crate was yanked but the
/// newest: pinning and review, never the update to the one release left, which is the lure.
fn lure_advice(package: &Package, pattern: &MassYank, mass_yanks: &MassYanks, now: i64) -> String {
    let who = match mass_yanks.get(&package.name) {
        Some(Ok(versions)) => match mass_yanker(versions, &pattern.yanked) {
            Some((yanker, span)) => format!(
                " by {} (user {}){}",
                sanitize_terminal(&yanker.login),
                yanker.id,
                span.map(|(_, last)| format!(" on {}", format_utc(last)))
                    .unwrap_or_default()
            ),
            None => String::new(),
        },
        _ => String::new(),
    };
    let newest = &pattern.newest;
    let published = newest
        .published
        .map(|at| format!(", published {}", age(at, now)))
        .unwrap_or_default();
    format!(
        "every other release of {name} ({count} releases, {first} to {last}) was yanked{who}, leaving only {newest_version}{published}: \
         that is how a compromised account lures users to a malicious release. Do not update to {newest_version} before reviewing it: \
         keep {version} pinned while you review (an exemption of kind `yanked` with a reason and an expiry), and compare \
         {newest_version} with the crate's repository",
        name = package.name,
        count = pattern.yanked.len(),
        first = pattern
            .yanked
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
        last = pattern
            .yanked
            .last()
            .map(ToString::to_string)
            .unwrap_or_default(),
        newest_version = newest.version,
        version = package.version,
    )
}

/// The finding of a locked version that its index does not list: `deleted-release` when the
/// index said so in this run, else `unchecked`, saying what the cached entry knows.
fn gone(package: &Package, absence: &Absence, now: i64) -> Finding {
    let what = if absence.whole_crate {
        format!(
            "the crate {} is gone from the index of {} (HTTP 404)",
            package.name, absence.registry
        )
    } else {
        format!(
            "{} {} is gone from the index of {}: its entry lists other versions of the crate, not this one",
            package.name, package.version, absence.registry
        )
    };
    if absence.confirmed {
        return Finding::for_package(
            FindingKind::DeletedRelease,
            package.to_ref(),
            format!(
                "{what}. A release deleted after publication is what a registry does with malware \
                 (crates.io deletes it rather than yanking it); treat the locked copy as hostile: \
                 remove the dependency or move to a release the registry still lists, and do not \
                 build it"
            ),
        );
    }
    let fetched = u64::try_from(now)
        .unwrap_or(0)
        .saturating_sub(absence.fetched_at);
    unchecked(
        package,
        Phrase::from(format!(
            "the cached index entry, fetched {} ago, does not list the locked version ({what}): \
             it was deleted from the registry (a takedown) or published after that fetch; \
             `cargo trustcheck fetch` asks the index which",
            describe_duration(fetched)
        )),
    )
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
            &MassYanks::new(),
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
        assert_eq!(by_crate["gone"].0, "unchecked");
        assert!(
            by_crate["gone"].1.contains(
                "does not list the locked version (the crate gone is gone from the index of crates.io (HTTP 404)): it was deleted from the registry (a takedown) or published after that fetch"
            ),
            "{}",
            by_crate["gone"].1
        );
        assert_eq!(by_crate["ahead"].0, "unchecked");
        assert!(
            by_crate["ahead"]
                .1
                .contains("ahead 3.0.0 is gone from the index of crates.io"),
            "{}",
            by_crate["ahead"].1
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
    fn a_version_or_crate_the_index_confirms_gone_is_a_deleted_release() {
        let graph = DependencyGraph::from_parts(
            PathBuf::from("/ws"),
            vec![
                package("taken", "1.0.1", Some(CRATES_IO)),
                package("vanished", "0.1.0", Some(CRATES_IO)),
            ],
            &[],
        );
        let lookups: BTreeMap<_, _> = [
            ("taken", found(&["1.0.0"], &[])),
            ("vanished", Lookup::Entry(Entry::not_found(1))),
        ]
        .into_iter()
        .map(|(name, lookup)| ((INDEX.to_owned(), name.to_owned()), lookup))
        .collect();
        let confirmed = lookups.keys().cloned().collect();
        let facts =
            IndexFacts::new(IndexConfig::with_crates_io(INDEX), lookups).with_confirmed(confirmed);
        let findings = check(
            &graph,
            &facts,
            &MassYanks::new(),
            &crate::policy::Policy::default().releases,
            0,
        );
        let kinds: Vec<(&str, &str)> = findings
            .iter()
            .map(|finding| (finding.kind.as_str(), finding.crate_name().unwrap_or("")))
            .collect();
        assert_eq!(
            kinds,
            [
                ("deleted-release", "taken"),
                ("deleted-release", "vanished")
            ]
        );
        assert!(
            findings[1]
                .message
                .starts_with("the crate vanished is gone from the index of crates.io (HTTP 404)"),
            "{}",
            findings[1].message
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
                &MassYanks::new(),
                &crate::policy::Policy::default().releases,
                0
            )
            .is_empty()
        );
    }
}
