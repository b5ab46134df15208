//! Publish times: the `fresh-release` check, and which release to move to when the locked one
//! is yanked or too fresh.
//!
//! A release hours old has been seen by no one: the August 2026 attack was live for 86 minutes.
//! Publish times are the sparse index's `pubtime` of each version (for crates.io versions
//! without one, the API's `created_at`, filled in by the facts stage). The advice never
//! recommends a release younger than `[releases] min-age`, so that "your version is yanked,
//! update" cannot lure a workspace into an attacker's fresh release.

use semver::{Version, VersionReq};

use crate::facts::index::IndexFacts;
use crate::facts::index::cache::{Entry, VersionStatus};
use crate::finding::{Finding, FindingKind};
use crate::load::graph::{DependencyGraph, Package};
use crate::policy::ReleasePolicy;
use crate::support::date::{describe_duration, format_utc};

/// A release of a crate, as its index lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// The version.
    pub version: Version,
    /// Whether it is yanked.
    pub yanked: bool,
    /// When it was published (Unix seconds), when known.
    pub published: Option<i64>,
}

/// Where to go from a locked release, by publish time: the newest compatible release that is
/// old enough, and the compatible ones newer than the locked one that are still too young.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advice {
    /// The newest release compatible with the locked one (caret), not yanked, published
    /// before the cutoff, other than the locked one.
    pub settled: Option<Release>,
    /// Compatible releases newer than the locked one, not yanked, published after the cutoff
    /// (or at an unknown time), oldest first.
    pub too_young: Vec<Release>,
}

/// The releases an index entry lists, by version.
pub fn releases(entry: &Entry) -> Vec<Release> {
    let mut releases: Vec<Release> = entry
        .releases()
        .map(|(version, yanked, published)| Release {
            version,
            yanked,
            published,
        })
        .collect();
    releases.sort_by(|a, b| a.version.cmp(&b.version));
    releases
}

/// What to move to from `locked`, given its crate's releases and the time before which a
/// release counts as old enough (`cutoff`, Unix seconds).
pub fn advice(releases: &[Release], locked: &Version, cutoff: i64) -> Advice {
    // Semver-compatible with the locked version, older or newer: the same major version (or
    // minor for 0.x, patch for 0.0.x).
    let root = match (locked.major, locked.minor) {
        (0, 0) => format!("0.0.{}", locked.patch),
        (0, minor) => format!("0.{minor}"),
        (major, _) => major.to_string(),
    };
    let compatible = VersionReq::parse(&format!("^{root}")).ok();
    let candidates = releases.iter().filter(|release| {
        !release.yanked
            && &release.version != locked
            && compatible
                .as_ref()
                .is_some_and(|requirement| requirement.matches(&release.version))
    });
    let mut advice = Advice::default();
    for release in candidates {
        match release.published {
            Some(published) if published <= cutoff => advice.settled = Some(release.clone()),
            _ if &release.version > locked => advice.too_young.push(release.clone()),
            _ => {}
        }
    }
    advice
}

/// The `cargo update` argument that names `package`: its name, or `name@version` when the
/// graph holds more than one version of it.
pub fn package_spec(graph: &DependencyGraph, package: &Package) -> String {
    if graph.packages_named(&package.name).count() > 1 {
        format!("{}@{}", package.name, package.version)
    } else {
        package.name.clone()
    }
}

/// The command that moves `package` to `version`.
pub fn update_command(graph: &DependencyGraph, package: &Package, version: &Version) -> String {
    format!(
        "`cargo update -p {} --precise {version}`",
        package_spec(graph, package)
    )
}

/// A release's age in words, from its publish time: "3 hours ago (2026-08-20 14:03 UTC)".
pub fn age(published: i64, now: i64) -> String {
    format!(
        "{} ago ({})",
        describe_duration(u64::try_from(now - published).unwrap_or(0)),
        format_utc(published)
    )
}

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
                "its registry gives no publish time for the locked version",
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
    use super::*;

    const HOUR: i64 = 3_600;
    const DAY: i64 = 24 * HOUR;

    fn release(version: &str, yanked: bool, published: Option<i64>) -> Release {
        Release {
            version: version.parse().unwrap(),
            yanked,
            published,
        }
    }

    #[test]
    fn advice_never_names_a_release_younger_than_the_cutoff() {
        let now = 1_000 * DAY;
        let cutoff = now - 3 * DAY;
        // The August 2026 attack: 0.3.5 to 0.3.9 yanked, 0.3.10 an hour old.
        let mut releases = vec![release("0.3.4", false, Some(now - 400 * DAY))];
        for patch in 5..=9 {
            releases.push(release(
                &format!("0.3.{patch}"),
                true,
                Some(now - 300 * DAY),
            ));
        }
        releases.push(release("0.3.10", false, Some(now - HOUR)));
        releases.push(release("0.4.0", false, Some(now - 200 * DAY)));
        let lure = advice(&releases, &"0.3.9".parse().unwrap(), cutoff);
        assert_eq!(lure.settled.unwrap().version.to_string(), "0.3.4");
        assert_eq!(
            lure.too_young
                .iter()
                .map(|release| release.version.to_string())
                .collect::<Vec<_>>(),
            ["0.3.10"],
            "0.4.0 is not compatible"
        );
    }

    #[test]
    fn min_age_is_a_boundary_the_release_passes_at_that_second() {
        let now = 1_000 * DAY;
        let cutoff = now - 3 * DAY;
        let releases = vec![
            release("1.0.0", false, Some(cutoff)),
            release("1.0.1", false, Some(cutoff + 1)),
        ];
        let newer = advice(&releases, &"1.0.2".parse().unwrap(), cutoff);
        assert_eq!(newer.settled.unwrap().version.to_string(), "1.0.0");
        assert!(newer.too_young.is_empty(), "older than the locked one");
        let other = advice(&releases, &"0.9.0".parse().unwrap(), cutoff);
        assert!(other.settled.is_none(), "1.x is not compatible with 0.9");
    }

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

    #[test]
    fn an_unknown_publish_time_is_never_old_enough() {
        let releases = vec![release("1.0.1", false, None)];
        let unknown = advice(&releases, &"1.0.0".parse().unwrap(), 10);
        assert!(unknown.settled.is_none());
        assert_eq!(unknown.too_young.len(), 1);
    }
}
