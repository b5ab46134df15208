//! What an index entry says of a crate's releases: their publish times, and which release to
//! move to when the locked one is yanked or too fresh (never one younger than `[releases]
//! min-age`, so that "your version is yanked, update" cannot lure a workspace into an
//! attacker's fresh release).

use semver::{Version, VersionReq};

use super::cache::Entry;
use crate::load::graph::{DependencyGraph, Package};
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

/// How many releases must be yanked, all but the newest, for the pattern of `mass_yank`.
pub const MASS_YANK_MIN: usize = 3;

/// Every release of a crate yanked but the newest: how a compromised account lures users to a
/// malicious release ("your version is yanked: update").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MassYank {
    /// The one release left, the newest by version.
    pub newest: Release,
    /// Every other release, all yanked, by version.
    pub yanked: Vec<Version>,
}

/// Whether the entry shows the pattern: at least `MASS_YANK_MIN` releases, every one yanked
/// but the newest.
pub fn mass_yank(entry: &Entry) -> Option<MassYank> {
    let releases = releases(entry);
    let (newest, others) = releases.split_last()?;
    if newest.yanked || others.len() < MASS_YANK_MIN || !others.iter().all(|r| r.yanked) {
        return None;
    }
    Some(MassYank {
        newest: newest.clone(),
        yanked: others
            .iter()
            .map(|release| release.version.clone())
            .collect(),
    })
}

/// How long a crate must have published nothing for a release to end its dormancy: two years.
/// A crate that wakes up after that long, often with a new owner, is how an abandoned crate is
/// taken over.
pub const DORMANT_AFTER: i64 = 2 * 365 * 86_400;

/// A release that ends years in which its crate published nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dormancy {
    /// The release.
    pub version: Version,
    /// When it was published (Unix seconds).
    pub published: i64,
    /// The release before it, by publish time (yanked ones count: they were published).
    pub previous: Version,
    /// When that one was published (Unix seconds).
    pub previous_published: i64,
}

impl Dormancy {
    /// Whole years between the two releases.
    pub fn years(&self) -> i64 {
        (self.published - self.previous_published) / (365 * 86_400)
    }

    /// "1.1.0 ends 3 years of dormancy: the release before it, 1.0.0, was published
    /// 2023-05-01 10:00 UTC".
    pub fn describe(&self) -> String {
        let years = self.years();
        format!(
            "{} ends {years} year{} of dormancy: the release before it, {}, was published {}",
            self.version,
            if years == 1 { "" } else { "s" },
            self.previous,
            format_utc(self.previous_published)
        )
    }
}

/// Whether `version` ends at least `DORMANT_AFTER` in which its crate published nothing: the
/// latest release published before it is that much older (`None` when either publish time is
/// unknown, or it is the crate's first release).
pub fn dormancy(entry: &Entry, version: &Version) -> Option<Dormancy> {
    let all = releases(entry);
    let published = all
        .iter()
        .find(|release| &release.version == version)?
        .published?;
    let (previous, previous_published) = all
        .iter()
        .filter(|release| &release.version != version)
        .filter_map(|release| Some((&release.version, release.published?)))
        .filter(|(_, at)| *at < published)
        .max_by_key(|(_, at)| *at)?;
    (published - previous_published >= DORMANT_AFTER).then(|| Dormancy {
        version: version.clone(),
        published,
        previous: previous.clone(),
        previous_published,
    })
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

/// A release's age in words, from its publish time: "3 hours ago (2026-08-20 14:03 UTC)". A
/// publish time in the future (a wrong clock, the registry's or this machine's) is said as
/// such, never as "0 seconds ago"; the checks count such a release as fresh, never as old.
pub fn age(published: i64, now: i64) -> String {
    if published > now {
        return format!(
            "in the future ({}, {} from now: the registry's clock or this machine's is wrong)",
            format_utc(published),
            describe_duration(u64::try_from(published - now).unwrap_or(0))
        );
    }
    format!(
        "{} ago ({})",
        describe_duration(u64::try_from(now - published).unwrap_or(0)),
        format_utc(published)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600;
    const DAY: i64 = 24 * HOUR;

    #[test]
    fn a_mass_yank_is_every_release_but_the_newest_and_at_least_three() {
        use crate::facts::index::IndexVersion;
        let entry = |yanked: &[bool]| {
            let versions: Vec<IndexVersion> = yanked
                .iter()
                .enumerate()
                .map(|(index, yanked)| IndexVersion {
                    version: format!("1.{index}.0"),
                    yanked: *yanked,
                    ..IndexVersion::default()
                })
                .collect();
            Entry::found(&versions, None, None, 0)
        };
        let pattern = mass_yank(&entry(&[true, true, true, false])).unwrap();
        assert_eq!(pattern.newest.version.to_string(), "1.3.0");
        assert_eq!(pattern.yanked.len(), 3);
        assert!(
            mass_yank(&entry(&[true, true, false])).is_none(),
            "two are not a mass"
        );
        assert!(mass_yank(&entry(&[true, false, true, false])).is_none());
        assert!(mass_yank(&entry(&[true, true, true, true])).is_none());
    }

    #[test]
    fn a_release_after_two_years_of_nothing_ends_a_dormancy() {
        use crate::facts::index::IndexVersion;
        let now = 2_000 * DAY;
        let entry = |versions: &[(&str, bool, Option<i64>)]| {
            let versions: Vec<IndexVersion> = versions
                .iter()
                .map(|(version, yanked, published)| IndexVersion {
                    version: (*version).to_owned(),
                    yanked: *yanked,
                    pubtime: *published,
                    ..IndexVersion::default()
                })
                .collect();
            Entry::found(&versions, None, None, 0)
        };
        let version = |text: &str| text.parse::<Version>().unwrap();
        // tiny-ini: 1.0.0 three years ago, a yanked 1.0.1 a bit later, 1.1.0 eight days ago.
        let tiny = entry(&[
            ("1.0.0", false, Some(now - 3 * 365 * DAY - 40 * DAY)),
            ("1.0.1", true, Some(now - 3 * 365 * DAY)),
            ("1.1.0", false, Some(now - 8 * DAY)),
        ]);
        let woke = dormancy(&tiny, &version("1.1.0")).unwrap();
        assert_eq!(
            woke.previous,
            version("1.0.1"),
            "a yanked release was a release"
        );
        assert_eq!(woke.years(), 2);
        assert!(
            woke.describe().starts_with(
                "1.1.0 ends 2 years of dormancy: the release before it, 1.0.1, was published "
            ),
            "{}",
            woke.describe()
        );
        assert_eq!(dormancy(&tiny, &version("1.0.1")), None, "40 days");
        assert_eq!(
            dormancy(&tiny, &version("1.0.0")),
            None,
            "the first release"
        );
        // A backport published after a long silence of its line, but not of the crate.
        let busy = entry(&[
            ("1.0.0", false, Some(now - 1_000 * DAY)),
            ("2.0.0", false, Some(now - 100 * DAY)),
            ("1.0.1", false, Some(now - DAY)),
        ]);
        assert_eq!(dormancy(&busy, &version("1.0.1")), None);
        // Unknown publish times say nothing.
        let unknown = entry(&[("1.0.0", false, None), ("1.1.0", false, Some(now))]);
        assert_eq!(dormancy(&unknown, &version("1.1.0")), None);
    }

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

    #[test]
    fn an_unknown_publish_time_is_never_old_enough() {
        let releases = vec![release("1.0.1", false, None)];
        let unknown = advice(&releases, &"1.0.0".parse().unwrap(), 10);
        assert!(unknown.settled.is_none());
        assert_eq!(unknown.too_young.len(), 1);
    }
}
