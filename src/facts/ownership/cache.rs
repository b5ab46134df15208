//! The ownership cache: per crate, its owners and its versions' publishers, each stamped with
//! when and how it was obtained (the API or a database dump). `check`, `fetch`, `init` and
//! `baseline` share it; every entry is written atomically, so an interrupted fetch keeps what it got.
//!
//! A stamp later than now (plus `CLOCK_SKEW_ALLOWANCE`) comes from a clock that was wrong: it
//! is not trusted, so such an entry is replaced by any fact obtained now and is always due for
//! a refresh (as the index cache's `Entry::is_fresh` treats entries from the future). Crate
//! names are validated (`facts::index::is_valid_name`) before they become a path.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{OwnerRecord, VersionInfo};
use crate::facts::index::is_valid_name;
use crate::support::cache::{CacheDir, CacheError, unix_now, url_slug, write_atomic};

/// How far in the future a stamp may be (clocks of machines sharing a cache disagree a little)
/// before it is not trusted: five minutes.
pub const CLOCK_SKEW_ALLOWANCE: u64 = 5 * 60;

/// The largest cache entry read (a crate with every version's facts is well under this).
const MAX_ENTRY: u64 = 64 * crate::support::files::MIB;

/// Where a cached fact came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactSource {
    /// The crates.io web API.
    Api,
    /// A crates.io database dump.
    DbDump,
}

/// A cached fact with its provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped<T> {
    /// When it was obtained (Unix seconds; for a dump, the dump's own timestamp).
    pub fetched_at: u64,
    /// Where it came from.
    pub source: FactSource,
    /// The fact.
    pub value: T,
}

impl<T> Stamped<T> {
    /// Whether the stamp is later than `now` plus `CLOCK_SKEW_ALLOWANCE`: the fact came from
    /// a wrong clock, so it is replaceable by any fact obtained now and due for a refresh.
    pub fn is_from_the_future(&self, now: u64) -> bool {
        self.fetched_at > now.saturating_add(CLOCK_SKEW_ALLOWANCE)
    }

    /// Whether this cached fact should be kept rather than `newer`, stamped `stamp`: only
    /// when it is more recent and its own stamp can be trusted.
    fn outranks(&self, stamp: u64, now: u64) -> bool {
        self.fetched_at > stamp && !self.is_from_the_future(now)
    }
}

/// Everything cached about one crate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedCrate {
    /// Its owners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<Stamped<Vec<OwnerRecord>>>,
    /// Its versions, by version number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Stamped<BTreeMap<String, VersionInfo>>>,
    /// When the registry last said the crate does not exist (HTTP 404).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_found_at: Option<u64>,
}

/// The cache directory for one API base URL.
#[derive(Clone, Debug)]
pub struct OwnershipCache {
    dir: PathBuf,
}

impl OwnershipCache {
    /// The ownership cache of the registry API at `api_base`.
    pub fn open(cache: &CacheDir, api_base: &str) -> Result<OwnershipCache, CacheError> {
        let dir = cache.subdir("ownership")?.join(url_slug(api_base));
        std::fs::create_dir_all(&dir).map_err(|source| CacheError::Io {
            action: "create",
            path: dir.clone(),
            source,
        })?;
        Ok(OwnershipCache { dir })
    }

    /// The file of a crate's entry; `None` for a name that is not a valid crate name, which
    /// never becomes a path.
    fn path(&self, name: &str) -> Option<PathBuf> {
        is_valid_name(name).then(|| self.dir.join(format!("{}.json", name.to_ascii_lowercase())))
    }

    /// What is cached about a crate (default when nothing, when the entry is unreadable, or
    /// when the name is not a valid crate name).
    pub fn load(&self, name: &str) -> CachedCrate {
        self.path(name)
            .and_then(|path| crate::support::files::read_bounded(&path, MAX_ENTRY).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Replaces what is cached about a crate, atomically. A name that is not a valid crate
    /// name is an error.
    pub fn store(&self, name: &str, entry: &CachedCrate) -> Result<(), CacheError> {
        let Some(path) = self.path(name) else {
            return Err(CacheError::Io {
                action: "write an entry in",
                path: self.dir.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "`{}` is not a valid crate name",
                        crate::support::text::sanitize_terminal(name)
                    ),
                ),
            });
        };
        let bytes = serde_json::to_vec(entry).unwrap_or_default();
        write_atomic(&path, &bytes)
    }

    /// Records a crate's owners, unless the cache holds newer ones (whose stamp is not from
    /// the future).
    pub fn record_owners(
        &self,
        name: &str,
        owners: Stamped<Vec<OwnerRecord>>,
    ) -> Result<(), CacheError> {
        let mut entry = self.load(name);
        if entry
            .owners
            .as_ref()
            .is_some_and(|cached| cached.outranks(owners.fetched_at, unix_now()))
        {
            return Ok(());
        }
        entry.owners = Some(owners);
        entry.not_found_at = None;
        self.store(name, &entry)
    }

    /// Records a crate's versions, merged into what is cached (newer facts win per version; a
    /// cached stamp from the future never wins).
    pub fn record_versions(
        &self,
        name: &str,
        versions: Stamped<BTreeMap<String, VersionInfo>>,
    ) -> Result<(), CacheError> {
        let mut entry = self.load(name);
        let merged = match entry.versions.take() {
            Some(cached) if cached.outranks(versions.fetched_at, unix_now()) => {
                let mut value = versions.value;
                value.extend(cached.value);
                Stamped { value, ..cached }
            }
            Some(cached) => {
                let mut value = cached.value;
                value.extend(versions.value);
                Stamped { value, ..versions }
            }
            None => versions,
        };
        entry.versions = Some(merged);
        entry.not_found_at = None;
        self.store(name, &entry)
    }

    fn fetch_mark(&self) -> PathBuf {
        self.dir.join(".fetch-started")
    }

    /// When an unfinished `fetch` started (Unix seconds), if one was interrupted. A mark from
    /// the future (beyond `CLOCK_SKEW_ALLOWANCE`) is not trusted and counts as none.
    pub fn unfinished_fetch(&self) -> Option<u64> {
        let bytes = crate::support::files::read_bounded(&self.fetch_mark(), 64).ok()?;
        let started: u64 = std::str::from_utf8(&bytes).ok()?.trim().parse().ok()?;
        (started <= unix_now().saturating_add(CLOCK_SKEW_ALLOWANCE)).then_some(started)
    }

    /// Remembers that a `fetch` started at `at`, until it finishes.
    pub fn mark_fetch_started(&self, at: u64) -> Result<(), CacheError> {
        write_atomic(&self.fetch_mark(), at.to_string().as_bytes())
    }

    /// Forgets the mark of a `fetch` that finished.
    pub fn mark_fetch_finished(&self) {
        let _ = std::fs::remove_file(self.fetch_mark());
    }

    /// Records that the registry does not know the crate.
    pub fn record_not_found(&self, name: &str, at: u64) -> Result<(), CacheError> {
        let mut entry = self.load(name);
        entry.not_found_at = Some(at);
        self.store(name, &entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ownership::{OwnerKind, Publisher};

    fn owner(id: u64, login: &str) -> OwnerRecord {
        OwnerRecord {
            kind: OwnerKind::User,
            id,
            login: login.to_owned(),
            name: None,
        }
    }

    #[test]
    fn newer_facts_win_and_versions_merge() {
        let dir = tempfile::tempdir().unwrap();
        let cache = OwnershipCache::open(&CacheDir::at(dir.path()), "https://crates.io/").unwrap();
        assert_eq!(cache.load("Serde"), CachedCrate::default());
        fn stamped<T>(fetched_at: u64, value: T) -> Stamped<T> {
            Stamped {
                fetched_at,
                source: FactSource::Api,
                value,
            }
        }
        cache
            .record_owners("serde", stamped(20, vec![owner(1, "a")]))
            .unwrap();
        cache
            .record_owners("serde", stamped(10, vec![owner(2, "b")]))
            .unwrap();
        assert_eq!(
            cache.load("SERDE").owners.unwrap().value,
            vec![owner(1, "a")]
        );

        let version = |login: &str| VersionInfo {
            license: Some("MIT".to_owned()),
            yanked: false,
            created_at: None,
            published_by: Some(Publisher::Account {
                id: 1,
                login: login.to_owned(),
            }),
            yanked_by: None,
        };
        cache
            .record_versions(
                "serde",
                stamped(30, BTreeMap::from([("1.0.0".to_owned(), version("a"))])),
            )
            .unwrap();
        cache
            .record_versions(
                "serde",
                stamped(40, BTreeMap::from([("1.0.1".to_owned(), version("b"))])),
            )
            .unwrap();
        let versions = cache.load("serde").versions.unwrap();
        assert_eq!(versions.fetched_at, 40);
        assert_eq!(versions.value.len(), 2);
    }

    #[test]
    fn an_entry_stamped_in_the_future_is_replaced_by_facts_obtained_now() {
        let dir = tempfile::tempdir().unwrap();
        let cache = OwnershipCache::open(&CacheDir::at(dir.path()), "https://crates.io/").unwrap();
        let now = unix_now();
        let future = now + 365 * 86_400;
        let stamped = |fetched_at, value| Stamped {
            fetched_at,
            source: FactSource::Api,
            value,
        };
        cache
            .record_owners("serde", stamped(future, vec![owner(1, "old")]))
            .unwrap();
        cache
            .record_owners("serde", stamped(now, vec![owner(2, "new")]))
            .unwrap();
        let owners = cache.load("serde").owners.unwrap();
        assert_eq!(
            (owners.fetched_at, owners.value),
            (now, vec![owner(2, "new")])
        );

        let info = |license: &str| VersionInfo {
            license: Some(license.to_owned()),
            ..VersionInfo::default()
        };
        cache
            .record_versions(
                "serde",
                Stamped {
                    fetched_at: future,
                    source: FactSource::Api,
                    value: BTreeMap::from([("1.0.0".to_owned(), info("old"))]),
                },
            )
            .unwrap();
        cache
            .record_versions(
                "serde",
                Stamped {
                    fetched_at: now,
                    source: FactSource::Api,
                    value: BTreeMap::from([("1.0.0".to_owned(), info("new"))]),
                },
            )
            .unwrap();
        let versions = cache.load("serde").versions.unwrap();
        assert_eq!(versions.fetched_at, now);
        assert_eq!(versions.value["1.0.0"], info("new"));

        // Within the skew allowance, a slightly newer stamp still wins.
        cache
            .record_owners("tokio", stamped(now + 60, vec![owner(1, "a")]))
            .unwrap();
        cache
            .record_owners("tokio", stamped(now, vec![owner(2, "b")]))
            .unwrap();
        assert_eq!(
            cache.load("tokio").owners.unwrap().value,
            vec![owner(1, "a")]
        );
    }

    #[test]
    fn a_fetch_mark_from_the_future_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = OwnershipCache::open(&CacheDir::at(dir.path()), "https://crates.io/").unwrap();
        cache.mark_fetch_started(unix_now() + 86_400).unwrap();
        assert_eq!(cache.unfinished_fetch(), None);
        let now = unix_now();
        cache.mark_fetch_started(now).unwrap();
        assert_eq!(cache.unfinished_fetch(), Some(now));
    }

    #[test]
    fn crafted_crate_names_never_become_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let cache = OwnershipCache::open(&CacheDir::at(&root), "https://crates.io/").unwrap();
        for name in ["../../../escaped", "/tmp/abs", "a/b", "..", ""] {
            assert_eq!(cache.load(name), CachedCrate::default());
            let error = cache
                .record_owners(
                    name,
                    Stamped {
                        fetched_at: 1,
                        source: FactSource::Api,
                        value: vec![owner(1, "a")],
                    },
                )
                .unwrap_err();
            assert!(
                error.to_string().contains("not a valid crate name"),
                "{error}"
            );
        }
        assert!(!dir.path().join("escaped.json").exists());
        assert!(!root.join("escaped.json").exists());
    }
}
