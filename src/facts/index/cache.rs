//! The on-disk cache of index entries: one small JSON file per crate under
//! `<cache>/index/<slug of the index URL>/<index path>.json`, written atomically.
//!
//! An entry records when it was fetched, the `ETag` and `Last-Modified` the server sent (to
//! revalidate it), whether the crate was found (a 404 is cached too), its versions with the
//! yanked ones listed apart, and when each was published: all a check needs, and quick to
//! read. What each version depends on, which only a crate new to the baseline needs, is kept
//! beside it in `<index path>.deps.json`, read only then.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{IndexVersion, crate_path};
use crate::support::cache::{CacheDir, CacheError, url_slug, write_atomic};

/// The version of the entry file format; files of another version are ignored (and fetched
/// again). Version 2 added publish times.
const FORMAT: u32 = 2;

/// A cached index entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Entry {
    /// When it was fetched or last revalidated (Unix seconds).
    pub fetched_at: u64,
    /// The `ETag` of the response, to revalidate with `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` of the response, to revalidate with `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// Whether the index has the crate (false: it answered 404).
    pub found: bool,
    /// Every published version, yanked ones included, in index order.
    pub versions: Vec<String>,
    /// The yanked versions.
    pub yanked: Vec<String>,
    /// When each version was published (Unix seconds), in the order of `versions`; `None`
    /// where the index does not say.
    pub published: Vec<Option<i64>>,
}

/// What an entry says of one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionStatus {
    /// Published and not yanked.
    Available,
    /// Yanked.
    Yanked,
    /// Not in the entry at all.
    Absent,
}

impl Entry {
    /// An entry for a crate the index has, from its parsed versions.
    pub fn found(
        versions: &[IndexVersion],
        etag: Option<String>,
        last_modified: Option<String>,
        fetched_at: u64,
    ) -> Entry {
        Entry {
            fetched_at,
            etag,
            last_modified,
            found: true,
            versions: versions.iter().map(|v| v.version.clone()).collect(),
            yanked: versions
                .iter()
                .filter(|v| v.yanked)
                .map(|v| v.version.clone())
                .collect(),
            published: versions.iter().map(|v| v.pubtime).collect(),
        }
    }

    /// An entry for a crate the index does not have (HTTP 404).
    pub fn not_found(fetched_at: u64) -> Entry {
        Entry {
            fetched_at,
            etag: None,
            last_modified: None,
            found: false,
            versions: Vec::new(),
            yanked: Vec::new(),
            published: Vec::new(),
        }
    }

    /// Whether it was fetched within `window` before `now` (an entry from the future, after
    /// the clock was turned back, is not fresh).
    pub fn is_fresh(&self, now: u64, window: Duration) -> bool {
        now.checked_sub(self.fetched_at)
            .is_some_and(|age| age < window.as_secs())
    }

    /// When `version` (canonical semver text) was published, if the entry says.
    pub fn published_at(&self, version: &str) -> Option<i64> {
        let index = self.versions.iter().position(|v| v == version)?;
        self.published.get(index).copied().flatten()
    }

    /// When the crate was first published: its earliest publish time, if any is known.
    pub fn first_published(&self) -> Option<i64> {
        self.published.iter().flatten().copied().min()
    }

    /// Every version the entry lists: (version, yanked, published), skipping any that is not
    /// valid semver.
    pub fn releases(&self) -> impl Iterator<Item = (semver::Version, bool, Option<i64>)> + '_ {
        self.versions
            .iter()
            .enumerate()
            .filter_map(|(index, text)| {
                let version = semver::Version::parse(text).ok()?;
                let yanked = self.yanked.iter().any(|yanked| yanked == text);
                Some((
                    version,
                    yanked,
                    self.published.get(index).copied().flatten(),
                ))
            })
    }

    /// What the entry says of `version` (canonical semver text).
    pub fn status_of(&self, version: &str) -> VersionStatus {
        if self.yanked.iter().any(|v| v == version) {
            VersionStatus::Yanked
        } else if self.versions.iter().any(|v| v == version) {
            VersionStatus::Available
        } else {
            VersionStatus::Absent
        }
    }
}

/// The file as stored: the entry, with the format version and the crate name to check on read.
#[derive(Serialize, Deserialize)]
struct StoredEntry {
    format: u32,
    name: String,
    #[serde(flatten)]
    entry: Entry,
}

/// The index part of the cache directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexCache {
    dir: PathBuf,
}

impl IndexCache {
    /// The index cache inside `cache` (`<cache>/index`). The first time a run opens it, the
    /// temporary files that killed runs left in it are removed (`write_atomic` removes those of
    /// a directory it writes to as well). Each cache directory is swept once per process,
    /// whichever was opened first.
    pub fn new(cache: &CacheDir) -> Result<IndexCache, CacheError> {
        let dir = cache.subdir("index")?;
        static SWEPT: std::sync::Mutex<std::collections::BTreeSet<PathBuf>> =
            std::sync::Mutex::new(std::collections::BTreeSet::new());
        let first = SWEPT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(dir.clone());
        if first {
            crate::support::cache::remove_stale_temp_files(&dir, true);
        }
        Ok(IndexCache { dir })
    }

    /// An index cache at `dir` (for tests).
    pub fn at(dir: impl Into<PathBuf>) -> IndexCache {
        IndexCache { dir: dir.into() }
    }

    /// The file of `name`'s entry from the index at `base`. The name must be valid
    /// (`super::is_valid_name`), so the path stays inside the cache.
    pub fn path(&self, base: &str, name: &str) -> PathBuf {
        self.dir
            .join(url_slug(base))
            .join(format!("{}.json", crate_path(name)))
    }

    /// The cached entry, if there is a readable one; a damaged file counts as none.
    pub fn read(&self, base: &str, name: &str) -> Option<Entry> {
        read_entry(&self.path(base, name), name)
    }

    /// The dependencies of each version (by version text), as last fetched.
    pub fn read_dependencies(
        &self,
        base: &str,
        name: &str,
    ) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
        let bytes = crate::support::files::read_bounded(
            &self.dependencies_path(base, name),
            16 * crate::support::files::MIB,
        )
        .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores the dependencies of each version, atomically.
    pub fn write_dependencies(
        &self,
        base: &str,
        name: &str,
        versions: &[IndexVersion],
    ) -> Result<(), CacheError> {
        let map: std::collections::BTreeMap<&str, &[String]> = versions
            .iter()
            .map(|version| (version.version.as_str(), version.dependencies.as_slice()))
            .collect();
        let bytes = serde_json::to_vec(&map).unwrap_or_default();
        write_atomic(&self.dependencies_path(base, name), &bytes)
    }

    fn dependencies_path(&self, base: &str, name: &str) -> PathBuf {
        self.path(base, name).with_extension("deps.json")
    }

    /// Stores an entry atomically.
    pub fn write(&self, base: &str, name: &str, entry: &Entry) -> Result<(), CacheError> {
        let stored = StoredEntry {
            format: FORMAT,
            name: name.to_owned(),
            entry: entry.clone(),
        };
        let bytes = serde_json::to_vec(&stored).unwrap_or_default();
        write_atomic(&self.path(base, name), &bytes)
    }
}

fn read_entry(path: &Path, name: &str) -> Option<Entry> {
    let bytes = crate::support::files::read_bounded(path, 16 * crate::support::files::MIB).ok()?;
    let stored: StoredEntry = serde_json::from_slice(&bytes).ok()?;
    (stored.format == FORMAT && stored.name.eq_ignore_ascii_case(name)).then_some(stored.entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Vec<IndexVersion> {
        vec![
            IndexVersion {
                version: "1.0.0".to_owned(),
                yanked: false,
                pubtime: Some(1_000),
                dependencies: vec!["a".to_owned()],
            },
            IndexVersion {
                version: "1.0.1".to_owned(),
                yanked: true,
                pubtime: None,
                dependencies: Vec::new(),
            },
        ]
    }

    #[test]
    fn every_index_cache_opened_is_swept_of_temp_files_killed_runs_left() {
        let stale_in = |root: &std::path::Path| {
            let dir = root.join("index").join("some-index");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(".serde.json.4242.0.tmp");
            let file = std::fs::File::create(&path).unwrap();
            file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3_600))
                .unwrap();
            path
        };
        // Two caches in one process (a test run, a library user): each is swept, not only the
        // first one opened.
        for _ in 0..2 {
            let root = tempfile::tempdir().unwrap();
            let stale = stale_in(root.path());
            IndexCache::new(&CacheDir::at(root.path())).unwrap();
            assert!(!stale.exists(), "{}", stale.display());
        }
    }

    #[test]
    fn entries_round_trip_and_answer_per_version() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IndexCache::at(dir.path());
        let entry = Entry::found(
            &versions(),
            Some("\"etag\"".to_owned()),
            Some("Tue, 24 Nov 2026 10:00:00 GMT".to_owned()),
            1_000,
        );
        cache
            .write("https://index.crates.io/", "Demo", &entry)
            .unwrap();
        let path = cache.path("https://index.crates.io/", "Demo");
        assert!(path.ends_with("de/mo/demo.json"), "{}", path.display());
        let read = cache.read("https://index.crates.io/", "Demo").unwrap();
        assert_eq!(read, entry);
        assert_eq!(read.status_of("1.0.0"), VersionStatus::Available);
        assert_eq!(read.status_of("1.0.1"), VersionStatus::Yanked);
        assert_eq!(read.status_of("2.0.0"), VersionStatus::Absent);
        assert_eq!(read.published_at("1.0.0"), Some(1_000));
        assert_eq!(read.published_at("1.0.1"), None);
        assert_eq!(read.first_published(), Some(1_000));
        assert!(cache.read("http://127.0.0.1:1/", "Demo").is_none());
        cache
            .write_dependencies("https://index.crates.io/", "Demo", &versions())
            .unwrap();
        let dependencies = cache
            .read_dependencies("https://index.crates.io/", "Demo")
            .unwrap();
        assert_eq!(dependencies["1.0.0"], vec!["a".to_owned()]);
        assert!(dependencies["1.0.1"].is_empty());
    }

    #[test]
    fn not_found_is_cached_and_damaged_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IndexCache::at(dir.path());
        cache
            .write("https://x.example/", "gone", &Entry::not_found(5))
            .unwrap();
        let read = cache.read("https://x.example/", "gone").unwrap();
        assert!(!read.found);
        assert_eq!(read.status_of("1.0.0"), VersionStatus::Absent);
        std::fs::write(cache.path("https://x.example/", "gone"), b"{\"format\":1,").unwrap();
        assert!(cache.read("https://x.example/", "gone").is_none());
        let other_format = serde_json::json!({
            "format": 99, "name": "gone", "fetched-at": 1, "etag": null,
            "last-modified": null, "found": false, "versions": [], "yanked": []
        });
        std::fs::write(
            cache.path("https://x.example/", "gone"),
            other_format.to_string(),
        )
        .unwrap();
        assert!(cache.read("https://x.example/", "gone").is_none());
    }

    #[test]
    fn freshness_is_a_window_before_now() {
        let entry = Entry::not_found(1_000);
        assert!(entry.is_fresh(1_000 + 599, Duration::from_secs(600)));
        assert!(!entry.is_fresh(1_000 + 600, Duration::from_secs(600)));
        assert!(
            !entry.is_fresh(10, Duration::from_secs(600)),
            "from the future"
        );
    }
}
