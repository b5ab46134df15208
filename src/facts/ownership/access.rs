//! Access to ownership data: the crates.io API client (at `TRUSTCHECK_API_URL`, at the policy's
//! request rate), the ownership cache, and whether the network may be used. `check`, `fetch`,
//! `init` and `baseline` all go through one `OwnershipAccess`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::api::{ApiClient, ApiError, api_url_from_env};
use super::cache::{CachedCrate, OwnershipCache};
use super::dump::{self, DumpError, DumpImport};
use super::refresh::{self, RefreshReport};
use super::{ApiAccess, OwnershipFacts, crates_io_packages};
use super::{OwnerRecord, VersionInfo};
use crate::load::baseline::{Baseline, CRATES_IO};
use crate::load::graph::{DependencyGraph, Package};
use crate::support::cache::{CacheDir, CacheError};
use crate::support::http::HttpClient;
use crate::support::network::Network;
use crate::support::progress::ProgressMode;
use crate::support::text::{Phrase, sanitize_terminal};

/// The API client, the cache, and whether the API may be asked.
#[derive(Debug)]
pub struct OwnershipAccess {
    client: ApiClient,
    cache: OwnershipCache,
    network: Network,
    progress: ProgressMode,
}

impl OwnershipAccess {
    /// Access to the API at `TRUSTCHECK_API_URL` (limited to `requests_per_second`) and its
    /// cache under `cache`.
    pub fn open(
        cache: &CacheDir,
        requests_per_second: f64,
        network: Network,
        progress: ProgressMode,
    ) -> Result<OwnershipAccess, CacheError> {
        let client = ApiClient::new(&api_url_from_env(), HttpClient::new(), requests_per_second);
        let cache = OwnershipCache::open(cache, client.base())?;
        Ok(OwnershipAccess {
            client,
            cache,
            network,
            progress,
        })
    }

    /// The API's base URL.
    pub fn base(&self) -> &str {
        self.client.base()
    }

    fn api(&self) -> ApiAccess<'_> {
        match self.network {
            Network::Online => ApiAccess::Online(&self.client),
            Network::Offline => ApiAccess::Offline,
        }
    }

    /// What the ownership check needs for `graph` against `baseline` (see `gather`);
    /// `published` gives a package's publish time, when known.
    pub fn gather(
        &self,
        graph: &DependencyGraph,
        baseline: Option<&Baseline>,
        published: &dyn Fn(&Package) -> Option<i64>,
    ) -> OwnershipFacts {
        gather(graph, baseline, published, &self.cache, self.api())
    }

    /// Fills the owners and publishers of the baseline's crates.io crates (only those in
    /// `only`, when given) from the cache, asking the API for what the cache lacks. Returns
    /// warnings about what could not be obtained.
    pub fn fill_baseline(
        &self,
        baseline: &mut Baseline,
        only: Option<&BTreeSet<String>>,
    ) -> Result<Vec<String>, CacheError> {
        let report =
            refresh::fill_baseline(baseline, only, &self.cache, self.api(), self.progress)?;
        Ok(refresh::describe_problems(&report))
    }

    /// Refreshes the owners of every crate in `crates` (name → locked versions) from the API.
    pub fn refresh(
        &self,
        crates: &BTreeMap<String, BTreeSet<semver::Version>>,
    ) -> Result<RefreshReport, CacheError> {
        refresh::refresh(crates, &self.cache, &self.client, self.progress)
    }

    /// Reads the `wanted` crates' ownership data from a crates.io database dump into the cache.
    pub fn import_dump(
        &self,
        path: &Path,
        wanted: &BTreeSet<String>,
    ) -> Result<DumpImport, DumpError> {
        dump::import(path, wanted, &self.cache)
    }
}

/// Gathers what the ownership check needs for `graph` against `baseline`: nothing without a
/// baseline; owners from the cache only (`fetch` refreshes them); the API is asked only about
/// locked versions the baseline does not hold yet (a bumped version) and about crates new to
/// the baseline (their owners, for the reviewer), so a pull request that bumps two crates
/// makes two requests, not hundreds. A crate whose locked version moved (one the baseline does
/// not record) has its owners asked again too, one request (see `Asker::owners_after_move`): an
/// owner added to take over a dormant crate must not wait for the nightly `fetch`.
fn gather(
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    published: &dyn Fn(&Package) -> Option<i64>,
    cache: &OwnershipCache,
    api: ApiAccess<'_>,
) -> OwnershipFacts {
    let mut facts = OwnershipFacts::default();
    let Some(baseline) = baseline else {
        return facts;
    };
    // The crates whose locked version moved, with the latest publish time of their versions
    // the baseline does not record (`None`: not known).
    let mut moved: BTreeMap<&str, Option<i64>> = BTreeMap::new();
    for package in crates_io_packages(graph) {
        if baseline
            .crate_record(&package.name, CRATES_IO)
            .is_some_and(|record| !record.versions.contains_key(&package.version))
        {
            let at = published(package);
            let latest = moved.entry(package.name.as_str()).or_insert(at);
            *latest = (*latest).max(at);
        }
    }
    let mut asker = Asker::new(cache, api);
    let mut owners_seen = BTreeSet::new();
    for package in crates_io_packages(graph) {
        let cached = cache.load(&package.name);
        let Some(record) = baseline.crate_record(&package.name, CRATES_IO) else {
            // New to the baseline: nothing accepted to compare with, but its owners are a fact
            // the reviewer of a new dependency needs.
            if owners_seen.insert(package.name.clone()) {
                match asker.owners(&package.name, &cached) {
                    Some(owners) => {
                        facts.new_owners.insert(package.name.clone(), owners);
                    }
                    None => {
                        let why = asker.why_unknown(&package.name);
                        facts.new_owners_unknown.push((package.to_ref(), why));
                    }
                }
            }
            continue;
        };
        if record.owners.is_some() && owners_seen.insert(package.name.clone()) {
            let (owners, not_refreshed) = match moved.get(package.name.as_str()) {
                Some(release) => asker.owners_after_move(&package.name, *release, &cached),
                None => (
                    cached.owners.as_ref().map(|owners| owners.value.clone()),
                    None,
                ),
            };
            if let Some(why) = not_refreshed {
                facts.unavailable.push((package.to_ref(), why.into()));
            }
            match owners {
                Some(owners) => {
                    facts.owners.insert(package.name.clone(), owners);
                }
                None => facts.unavailable.push((
                    package.to_ref(),
                    Phrase::new(
                        "the crate's owners were never fetched on this machine; run `cargo trustcheck fetch`",
                        "the crates' owners were never fetched on this machine; run `cargo trustcheck fetch`",
                    ),
                )),
            }
        }
        let knows_publishers = record
            .versions
            .values()
            .any(|version| version.published_by.is_some());
        if record.versions.contains_key(&package.version) || !knows_publishers {
            continue;
        }
        let key = (package.name.clone(), package.version.clone());
        match asker.version(&package.name, &package.version.to_string(), &cached) {
            Ok(info) => {
                facts.publishers.insert(key, info.published_by);
            }
            Err(cause) => facts.unavailable.push((package.to_ref(), cause)),
        }
    }
    if !asker.not_found.is_empty() {
        facts.notes.push(format!(
            "the crates.io API does not know {} ({}; HTTP 404, remembered for {}): their owners and publishers are not shown",
            crate::support::text::counted(asker.not_found.len(), "crate"),
            crate::support::text::name_list(&asker.not_found.iter().collect::<Vec<_>>(), 10),
            crate::support::date::describe_duration(NOT_FOUND_FOR)
        ));
    }
    if let Some(reason) = asker.down {
        facts.notes.push(format!("{reason}; publisher checks of new versions were skipped (run `cargo trustcheck fetch` when it is reachable)"));
    }
    facts
}

/// How long the cached owners of a crate whose locked version moved are trusted without asking
/// the API again, when they were fetched after that release was published: a day.
pub const MOVED_OWNERS_FRESH_FOR: u64 = 24 * 60 * 60;

/// How long a 404 of the API for a crate is remembered by `check` (a day): a crate that the
/// registry does not know is not asked about again on every run. `fetch` always asks.
pub const NOT_FOUND_FOR: u64 = 24 * 60 * 60;

/// Asks the cache, then the API (online, until it proves unreachable or answers 404 for
/// `refresh::NOT_FOUND_STREAK` crates in a row), about one crate. A 404 is cached and
/// remembered for `NOT_FOUND_FOR`.
struct Asker<'a> {
    cache: &'a OwnershipCache,
    api: ApiAccess<'a>,
    down: Option<String>,
    /// Crates the API answered 404 for (now, or remembered from the cache).
    not_found: BTreeSet<String>,
    /// 404s in a row.
    not_found_streak: usize,
}

impl<'a> Asker<'a> {
    fn new(cache: &'a OwnershipCache, api: ApiAccess<'a>) -> Asker<'a> {
        Asker {
            cache,
            api,
            down: None,
            not_found: BTreeSet::new(),
            not_found_streak: 0,
        }
    }

    fn client(&self) -> Result<&ApiClient, String> {
        match (&self.api, &self.down) {
            (ApiAccess::Online(client), None) => Ok(client),
            (ApiAccess::Offline, _) => Err("not in the cache (--offline)".to_owned()),
            (_, Some(reason)) => Err(format!("could not be asked: {reason}")),
        }
    }

    /// Why the owners of `name` are not known, after `owners` gave none: in words that do not
    /// name the crate, so that crates sharing a cause are reported once.
    fn why_unknown(&self, name: &str) -> Phrase {
        let reason = if self.not_found.contains(name) {
            "the crates.io API does not know it (HTTP 404)".to_owned()
        } else {
            match self.client() {
                Err(reason) => reason,
                Ok(_) => "could not be asked: the crates.io API did not answer".to_owned(),
            }
        };
        Phrase::new(
            format!("the owners of this crate, new to the baseline, are unknown: {reason}"),
            format!("the owners of these crates, new to the baseline, are unknown: {reason}"),
        )
    }

    /// Whether a 404 for `name` is remembered, recently enough to trust.
    fn known_not_found(&mut self, name: &str, cached: &CachedCrate) -> bool {
        let now = crate::support::cache::unix_now();
        let remembered = cached.not_found_at.is_some_and(|at| {
            at <= now.saturating_add(super::cache::CLOCK_SKEW_ALLOWANCE)
                && now.saturating_sub(at) < NOT_FOUND_FOR
        });
        if remembered {
            self.not_found.insert(name.to_owned());
        }
        remembered
    }

    fn answered(&mut self) {
        self.not_found_streak = 0;
    }

    fn failed(&mut self, name: &str, error: ApiError) -> String {
        if let ApiError::NotFound(_) = &error {
            let _ = self
                .cache
                .record_not_found(name, crate::support::cache::unix_now());
            self.not_found.insert(name.to_owned());
            self.not_found_streak += 1;
            if self.not_found_streak >= refresh::NOT_FOUND_STREAK {
                self.down = Some(format!(
                    "the crates.io API at {} answered HTTP 404 for {} crates in a row, so it was not asked again (is TRUSTCHECK_API_URL right?)",
                    sanitize_terminal(self.client().map(ApiClient::base).unwrap_or("")),
                    self.not_found_streak
                ));
            }
            return "could not be asked: the crates.io API does not know the crate (HTTP 404)"
                .to_owned();
        }
        self.answered();
        if let ApiError::Unreachable(error) = &error {
            let reason = format!("the crates.io API is unreachable ({error})");
            self.down = Some(reason.clone());
            return format!("could not be asked: {reason}");
        }
        format!("could not be asked: {error}")
    }

    /// A crate's owners, from the cache or the API; `None` when they cannot be known.
    fn owners(&mut self, name: &str, cached: &CachedCrate) -> Option<Vec<OwnerRecord>> {
        if let Some(owners) = &cached.owners {
            return Some(owners.value.clone());
        }
        if self.known_not_found(name, cached) {
            return None;
        }
        let client = self.client().ok()?;
        match client.owners(name) {
            Ok(owners) => {
                self.answered();
                let _ = self
                    .cache
                    .record_owners(name, refresh::stamped(owners.clone()));
                Some(owners)
            }
            Err(error) => {
                self.failed(name, error);
                None
            }
        }
    }

    /// The owners of a crate whose locked version moved since the baseline: the cached ones
    /// when they were fetched after that release was published (`release`, when known) and
    /// less than `MOVED_OWNERS_FRESH_FOR` ago, else asked again of the API (one request,
    /// recorded in the cache). With them, why they could not be asked again, online (offline,
    /// the cached ones are what the run has, as for every other crate).
    fn owners_after_move(
        &mut self,
        name: &str,
        release: Option<i64>,
        cached: &CachedCrate,
    ) -> (Option<Vec<OwnerRecord>>, Option<String>) {
        let cached_owners = cached.owners.as_ref().map(|owners| owners.value.clone());
        let now = crate::support::cache::unix_now();
        if let Some(owners) = &cached.owners {
            let recent = !owners.is_from_the_future(now)
                && now.saturating_sub(owners.fetched_at) < MOVED_OWNERS_FRESH_FOR;
            let after_release = release.is_none_or(|published| {
                i64::try_from(owners.fetched_at).is_ok_and(|fetched| fetched > published)
            });
            if recent && after_release {
                return (cached_owners, None);
            }
        }
        if matches!(self.api, ApiAccess::Offline) || self.known_not_found(name, cached) {
            return (cached_owners, None);
        }
        let asked = self.client().map(|client| client.owners(name));
        match asked {
            Ok(Ok(owners)) => {
                self.answered();
                let _ = self
                    .cache
                    .record_owners(name, refresh::stamped(owners.clone()));
                (Some(owners), None)
            }
            Ok(Err(error)) => {
                let why = self.failed(name, error);
                (cached_owners, Some(not_refreshed(&why, cached)))
            }
            Err(why) => (cached_owners, Some(not_refreshed(&why, cached))),
        }
    }

    /// Every version of a crate, from the API (recorded in the cache), or why not.
    fn versions(&mut self, name: &str) -> Result<BTreeMap<String, VersionInfo>, String> {
        let client = self.client()?;
        match client.versions(name) {
            Ok(versions) => {
                self.answered();
                let _ = self
                    .cache
                    .record_versions(name, refresh::stamped(versions.clone()));
                Ok(versions)
            }
            Err(error) => Err(self.failed(name, error)),
        }
    }

    /// What the registry says of one version, from the cache or the API, or why it is not
    /// known (in words that do not name the crate).
    fn version(
        &mut self,
        name: &str,
        version: &str,
        cached: &CachedCrate,
    ) -> Result<VersionInfo, Phrase> {
        let publisher = |why: String| {
            Phrase::new(
                format!("who published this version {why}"),
                format!("who published these versions {why}"),
            )
        };
        if let Some(info) = cached
            .versions
            .as_ref()
            .and_then(|versions| versions.value.get(version))
        {
            return Ok(info.clone());
        }
        if self.known_not_found(name, cached) {
            return Err(Phrase::new(
                "who published this version could not be asked: the crates.io API does not know the crate (HTTP 404)",
                "who published these versions could not be asked: the crates.io API does not know their crates (HTTP 404)",
            ));
        }
        let client = self
            .client()
            .map_err(|why| publisher(format!("is {why}")))?;
        match client.versions(name) {
            Ok(versions) => {
                self.answered();
                let found = versions.get(version).cloned();
                let _ = self.cache.record_versions(name, refresh::stamped(versions));
                found.ok_or_else(|| {
                    Phrase::new(
                        "the registry does not list this version",
                        "the registry does not list these versions",
                    )
                })
            }
            Err(error) => Err(publisher(self.failed(name, error))),
        }
    }
}

/// Why the owners of a crate whose locked version moved were not asked again (`why`: "could not
/// be asked: ..."), and what was compared instead.
fn not_refreshed(why: &str, cached: &CachedCrate) -> String {
    let compared = match &cached.owners {
        Some(owners) => format!(
            "the owners cached {} ago were compared",
            crate::support::date::describe_duration(
                crate::support::cache::unix_now().saturating_sub(owners.fetched_at)
            )
        ),
        None => "no owners are cached".to_owned(),
    };
    format!("its locked version moved, but its owners {why}; {compared}")
}

/// What the API says of every version of each crate of `wanted` (crate name → versions whose
/// yank must be on record): from the cache when it records who yanked each of them, else from
/// the API when online; a crate that could not be asked about maps to why.
pub fn version_lists(
    access: &OwnershipAccess,
    wanted: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Result<BTreeMap<String, VersionInfo>, String>> {
    let mut asker = Asker::new(&access.cache, access.api());
    wanted
        .iter()
        .map(|(name, yanked)| {
            let cached = access.cache.load(name);
            let known = cached.versions.as_ref().filter(|versions| {
                yanked.iter().all(|version| {
                    versions
                        .value
                        .get(version)
                        .is_some_and(|info| info.yanked && info.yanked_by.is_some())
                })
            });
            let list = match known {
                Some(versions) => Ok(versions.value.clone()),
                None => asker.versions(name),
            };
            (name.clone(), list)
        })
        .collect()
}

/// When versions were published, from the registry's API (cache, else API when online), for
/// the crates.io crates whose index gives no `pubtime`: (name, version) → Unix seconds.
pub fn api_publish_times(
    access: &OwnershipAccess,
    wanted: &BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), i64> {
    let mut asker = Asker::new(&access.cache, access.api());
    let mut times = BTreeMap::new();
    for (name, version) in wanted {
        let cached = access.cache.load(name);
        if let Ok(info) = asker.version(name, version, &cached)
            && let Some(seconds) = info
                .created_at
                .as_deref()
                .and_then(crate::support::date::unix_seconds)
        {
            times.insert((name.clone(), version.clone()), seconds);
        }
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ownership::{OwnerRecord, Publisher};
    use crate::load::baseline::{CrateRecord, OwnerKind, VersionRecord};
    use crate::load::graph::Package;
    use std::path::PathBuf;

    const CRATES_IO_SOURCE: &str = "registry+https://github.com/rust-lang/crates.io-index";

    fn package(name: &str, version: &str) -> Package {
        Package::new(name, version.parse().unwrap(), Some(CRATES_IO_SOURCE))
    }

    fn baseline() -> Baseline {
        let mut baseline = Baseline::default();
        let owner = |id: u64, login: &str| OwnerRecord {
            kind: OwnerKind::User,
            id,
            login: login.to_owned(),
            name: None,
        };
        baseline.crates.insert(
            ("serde".to_owned(), CRATES_IO.to_owned()),
            CrateRecord {
                owners: Some(vec![owner(1, "dtolnay").to_owner()]),
                versions: [(
                    "1.0.0".parse().unwrap(),
                    VersionRecord {
                        license: Some("MIT".to_owned()),
                        build_code: None,
                        code: None,
                        published_by: Some(Publisher::Account {
                            id: 1,
                            login: "dtolnay".to_owned(),
                        }),
                    },
                )]
                .into_iter()
                .collect(),
            },
        );
        baseline
    }

    #[test]
    fn without_a_baseline_nothing_is_gathered_or_found() {
        let dir = tempfile::tempdir().unwrap();
        let cache = OwnershipCache::open(&CacheDir::at(dir.path()), "http://127.0.0.1:9/").unwrap();
        let graph =
            DependencyGraph::from_parts(PathBuf::from("/ws"), vec![package("serde", "1.1.0")], &[]);
        let facts = gather(&graph, None, &|_| None, &cache, ApiAccess::Offline);
        assert!(
            facts.owners.is_empty() && facts.publishers.is_empty() && facts.unavailable.is_empty()
        );
        assert!(crate::checks::ownership::check(&graph, None, &facts).is_empty());
    }

    #[test]
    fn offline_gathering_reports_what_the_cache_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let cache = OwnershipCache::open(&CacheDir::at(dir.path()), "http://127.0.0.1:9/").unwrap();
        let graph =
            DependencyGraph::from_parts(PathBuf::from("/ws"), vec![package("serde", "1.1.0")], &[]);
        let facts = gather(
            &graph,
            Some(&baseline()),
            &|_| None,
            &cache,
            ApiAccess::Offline,
        );
        let reasons: Vec<&str> = facts
            .unavailable
            .iter()
            .map(|(_, reason)| reason.one.as_str())
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("never fetched"));
        assert!(reasons[1].contains("--offline"));
        assert!(
            reasons.iter().all(|reason| !reason.contains("serde")),
            "causes that many crates can share: {reasons:?}"
        );
    }
}
