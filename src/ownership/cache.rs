//! The ownership cache: per crate, its owners and its versions' publishers, each stamped with
//! when and how it was obtained (the API or a database dump). `check`, `fetch`, `init` and
//! `baseline` share it; every entry is written atomically, so an interrupted fetch keeps what it got.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{OwnerRecord, VersionInfo};
use crate::cache::{CacheDir, CacheError, url_slug, write_atomic};

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

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}.json", name.to_ascii_lowercase()))
    }

    /// What is cached about a crate (default when nothing, or when the entry is unreadable).
    pub fn load(&self, name: &str) -> CachedCrate {
        std::fs::read(self.path(name))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Replaces what is cached about a crate, atomically.
    pub fn store(&self, name: &str, entry: &CachedCrate) -> Result<(), CacheError> {
        let bytes = serde_json::to_vec(entry).unwrap_or_default();
        write_atomic(&self.path(name), &bytes)
    }

    /// Records a crate's owners, unless the cache holds newer ones.
    pub fn record_owners(
        &self,
        name: &str,
        owners: Stamped<Vec<OwnerRecord>>,
    ) -> Result<(), CacheError> {
        let mut entry = self.load(name);
        if entry
            .owners
            .as_ref()
            .is_some_and(|cached| cached.fetched_at > owners.fetched_at)
        {
            return Ok(());
        }
        entry.owners = Some(owners);
        entry.not_found_at = None;
        self.store(name, &entry)
    }

    /// Records a crate's versions, merged into what is cached (newer facts win per version).
    pub fn record_versions(
        &self,
        name: &str,
        versions: Stamped<BTreeMap<String, VersionInfo>>,
    ) -> Result<(), CacheError> {
        let mut entry = self.load(name);
        let merged = match entry.versions.take() {
            Some(cached) if cached.fetched_at > versions.fetched_at => {
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

    /// When an unfinished `fetch` started (Unix seconds), if one was interrupted.
    pub fn unfinished_fetch(&self) -> Option<u64> {
        std::fs::read_to_string(self.fetch_mark())
            .ok()?
            .trim()
            .parse()
            .ok()
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
    use crate::ownership::{OwnerKind, Publisher};

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
}
