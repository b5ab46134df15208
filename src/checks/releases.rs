//! The `fresh-release` check: every locked registry version published less than `[releases]
//! min-age` ago, with the release to return to.
//!
//! A release hours old has been seen by no one: the August 2026 attack was live for 86 minutes.
//! Publish times are the sparse index's `pubtime` of each version (for crates.io versions
//! without one, the API's `created_at`, filled in by the facts stage).

use crate::facts::index::IndexFacts;
use crate::facts::index::cache::VersionStatus;
use crate::facts::index::releases::{advice, age, releases, update_command};
use crate::finding::{Finding, FindingKind};
use crate::load::graph::DependencyGraph;
use crate::policy::ReleasePolicy;
use crate::support::date::{describe_duration, format_utc};

/// The `fresh-release` check: every locked registry version published less than `min-age`
/// ago. What could not be known is `unchecked`.
pub fn check(
    graph: &DependencyGraph,
    index: &IndexFacts,
    policy: &ReleasePolicy,
    now: i64,
) -> Vec<Finding> {
    let min_age = policy.min_age.as_secs();
    if min_age <= 0 || !index.is_enabled() {
        return Vec::new();
    }
    let cutoff = now - min_age;
    let mut findings = Vec::new();
    for package in graph.packages() {
        // A package whose entry, or whose version in it, is not known is reported once, by
        // the yanked check.
        let Ok(Some(entry)) = index.entry_of(package) else {
            continue;
        };
        if entry.status_of(&package.version.to_string()) == VersionStatus::Absent {
            continue;
        }
        let Some(published) = entry.published_at(&package.version.to_string()) else {
            findings.push(Finding::not_checked(
                package.to_ref(),
                &[FindingKind::FreshRelease],
                "publish time",
                crate::support::text::Phrase::new(
                    "its registry gives no publish time for the locked version",
                    "their registry gives no publish time for the locked versions",
                ),
            ));
            continue;
        };
        if published <= cutoff {
            continue;
        }
        let releases = releases(entry);
        let advice = advice(&releases, &package.version, cutoff);
        let back = match &advice.settled {
            Some(settled) => format!(
                "{} returns to {}, the newest compatible release old enough (published {})",
                update_command(graph, package, &settled.version),
                settled.version,
                settled.published.map(format_utc).unwrap_or_default()
            ),
            None => "no other compatible release is both old enough and not yanked".to_owned(),
        };
        findings.push(Finding::for_package(
            FindingKind::FreshRelease,
            package.to_ref(),
            format!(
                "{} {} was published {}, less than releases.min-age ({}) ago; the policy allows it from {}. {back}",
                package.name,
                package.version,
                age(published, now),
                describe_duration(u64::try_from(min_age).unwrap_or(0)),
                format_utc(published + min_age)
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::index::cache::Entry;
    use crate::load::graph::Package;

    const HOUR: i64 = 3_600;
    const DAY: i64 = 24 * HOUR;

    fn graph_and_index(published: Option<i64>) -> (DependencyGraph, IndexFacts) {
        use crate::facts::index::{IndexConfig, IndexVersion, Lookup};
        let base = "http://127.0.0.1:9/";
        let package = Package::new(
            "fresh",
            "1.0.0".parse().unwrap(),
            Some("registry+https://github.com/rust-lang/crates.io-index"),
        );
        let graph =
            DependencyGraph::from_parts(std::path::PathBuf::from("/ws"), vec![package], &[]);
        let entry = Entry::found(
            &[IndexVersion {
                version: "1.0.0".to_owned(),
                pubtime: published,
                ..IndexVersion::default()
            }],
            None,
            None,
            0,
        );
        let lookups = [((base.to_owned(), "fresh".to_owned()), Lookup::Entry(entry))]
            .into_iter()
            .collect();
        (
            graph,
            IndexFacts::new(IndexConfig::with_crates_io(base), lookups),
        )
    }

    #[test]
    fn a_release_exactly_min_age_old_is_no_longer_fresh() {
        let now = 1_000 * DAY;
        let policy = crate::policy::Policy::default().releases;
        let min_age = policy.min_age.as_secs();
        let (graph, index) = graph_and_index(Some(now - min_age));
        assert!(check(&graph, &index, &policy, now).is_empty());
        let (graph, index) = graph_and_index(Some(now - min_age + 1));
        let findings = check(&graph, &index, &policy, now);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::FreshRelease);
        assert!(
            findings[0].message.contains("the policy allows it from"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn a_registry_without_publish_times_makes_the_check_unchecked_not_passed() {
        let (graph, index) = graph_and_index(None);
        let findings = check(
            &graph,
            &index,
            &crate::policy::Policy::default().releases,
            1_000 * DAY,
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::Unchecked);
        assert_eq!(
            findings[0].unchecked.as_ref().unwrap().checks,
            [FindingKind::FreshRelease]
        );
    }
}
