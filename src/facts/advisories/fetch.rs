//! Keeping a clone of the advisory database in the cache, with the `git` command line (through
//! `crate::support::git`, so the user's `GIT_DIR` can never redirect it).
//!
//! The clone lives under `<cache>/advisory-db/<slug of the URL>`. A fresh clone is made in a
//! temporary directory and renamed into place; an update fetches the newest commit and resets
//! to it. An exclusive lock guards updates and a shared lock guards reading, so concurrent runs
//! never see a half-updated tree.
//!
//! A run that is killed while it updates (kill -9, a power cut) cannot leave a tree that later
//! runs trust: a marker file is written before the tree is touched and removed after, and git's
//! own lock files are stale whenever we hold the exclusive lock. A clone found with either is
//! damaged: it is cloned afresh when the network may be used, and is an error offline.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::AdvisoryError;
use crate::support::cache::{CacheDir, FileLock, unix_now, url_slug, write_atomic};
use crate::support::date::Date;
use crate::support::git::Git;

pub use crate::support::cache::Refresh;

/// git's lock files that a killed git leaves behind in `.git`.
const GIT_LOCK_FILES: [&str; 5] = [
    "index.lock",
    "shallow.lock",
    "HEAD.lock",
    "config.lock",
    "packed-refs.lock",
];

/// What the last successful fetch recorded, stored beside the clone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchRecord {
    /// When it was fetched (Unix seconds).
    pub fetched_at: u64,
    /// The commit time of the fetched HEAD (Unix seconds).
    pub commit_time: i64,
    /// The fetched commit.
    pub commit: String,
}

/// A usable database directory, held under a shared lock while it is read.
#[derive(Debug)]
pub struct SyncedDatabase {
    /// The clone's directory.
    pub path: PathBuf,
    /// The record of its last fetch.
    pub record: Option<FetchRecord>,
    /// Why an update that was due could not be done (the cached copy is used as it is).
    pub update_failure: Option<String>,
    _lock: FileLock,
}

impl SyncedDatabase {
    /// The date of the database's newest commit, when known.
    pub fn commit_date(&self) -> Option<Date> {
        self.record
            .as_ref()
            .map(|record| Date::from_unix_seconds(record.commit_time))
    }
}

/// The files of one URL's clone in the cache.
struct Clone {
    url: String,
    base: PathBuf,
    repo: PathBuf,
    record: PathBuf,
    lock: PathBuf,
    marker: PathBuf,
}

impl Clone {
    fn of(url: &str, cache: &CacheDir) -> Result<Clone, AdvisoryError> {
        let base = cache.subdir("advisory-db")?;
        let slug = url_slug(url);
        Ok(Clone {
            url: url.to_owned(),
            repo: base.join(&slug),
            record: base.join(format!("{slug}.fetched.json")),
            lock: base.join(format!("{slug}.lock")),
            marker: base.join(format!("{slug}.updating")),
            base,
        })
    }

    fn is_cloned(&self) -> bool {
        self.repo.join(".git").is_dir()
    }

    /// Whether an interrupted update left the clone half-written (call with a lock held).
    fn is_damaged(&self) -> bool {
        self.marker.exists()
            || (self.is_cloned()
                && GIT_LOCK_FILES
                    .iter()
                    .any(|name| self.repo.join(".git").join(name).exists()))
    }

    fn read_record(&self) -> Option<FetchRecord> {
        let bytes =
            crate::support::files::read_bounded(&self.record, crate::support::files::MIB).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn damaged_error(&self) -> AdvisoryError {
        AdvisoryError::Damaged {
            url: self.url.clone(),
            path: self.repo.clone(),
        }
    }

    /// Temporary clones left by a killed run (only called under the exclusive lock).
    fn remove_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(&self.base) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".clone-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    fn network_git(dir: Option<&Path>, lock: &FileLock) -> Git {
        let git = match dir {
            Some(dir) => Git::in_dir(dir),
            None => Git::anywhere(),
        };
        git.over_network(
            crate::support::network::timeout(),
            crate::support::network::git_limit(),
        )
        .holding(lock)
    }

    /// Clones afresh into a temporary directory, then moves it into place.
    fn clone_fresh(&self, lock: &FileLock) -> Result<(), String> {
        let temp = self
            .base
            .join(format!(".clone-{}-{}", std::process::id(), unix_now()));
        let _ = std::fs::remove_dir_all(&temp);
        let result = Clone::network_git(None, lock).output(&[
            "clone".as_ref(),
            "--depth".as_ref(),
            "1".as_ref(),
            "--quiet".as_ref(),
            "--".as_ref(),
            self.url.as_ref(),
            temp.as_os_str(),
        ]);
        if let Err(error) = result {
            let _ = std::fs::remove_dir_all(&temp);
            return Err(error.to_string());
        }
        let _ = std::fs::remove_dir_all(&self.repo);
        std::fs::rename(&temp, &self.repo).map_err(|error| {
            let _ = std::fs::remove_dir_all(&temp);
            format!(
                "could not move the clone into {}: {error}",
                self.repo.display()
            )
        })
    }

    /// Fetches the newest commit and resets the tree to it. A failure to fetch leaves the tree
    /// as it was (`Ok(Err)`); a failure while the tree changes leaves it damaged (`Err`).
    fn update(&self, lock: &FileLock) -> Result<Result<(), String>, String> {
        if let Err(error) = Clone::network_git(Some(&self.repo), lock)
            .output(&["fetch", "--depth", "1", "--quiet", "origin", "HEAD"])
        {
            return Ok(Err(error.to_string()));
        }
        write_atomic(&self.marker, b"updating\n").map_err(|error| error.to_string())?;
        Git::in_dir(&self.repo)
            .holding(lock)
            .output(&["reset", "--hard", "--quiet", "FETCH_HEAD"])
            .map_err(|error| error.to_string())?;
        let _ = std::fs::remove_file(&self.marker);
        Ok(Ok(()))
    }

    fn write_record(&self) -> Result<(), AdvisoryError> {
        let git = Git::in_dir(&self.repo);
        let record = FetchRecord {
            fetched_at: unix_now(),
            commit_time: super::git_commit_time(&self.repo).unwrap_or(0),
            commit: git.text(&["rev-parse", "HEAD"]).unwrap_or_default(),
        };
        let json = serde_json::to_vec_pretty(&record).unwrap_or_default();
        Ok(write_atomic(&self.record, &json)?)
    }

    /// Whether `refresh` asks for a fetch now.
    fn fetch_due(&self, refresh: Refresh) -> bool {
        match refresh {
            Refresh::Offline => false,
            Refresh::Always => true,
            Refresh::IfStale(freshness) => {
                !self.is_cloned()
                    || self.read_record().is_none_or(|record| {
                        unix_now().saturating_sub(record.fetched_at) >= freshness.as_secs()
                    })
            }
        }
    }

    /// Takes the shared lock and returns the clone for reading, if it is whole.
    fn open_for_reading(
        &self,
        update_failure: Option<String>,
    ) -> Result<SyncedDatabase, AdvisoryError> {
        let lock = FileLock::shared(&self.lock)?;
        if self.is_damaged() {
            return Err(self.damaged_error());
        }
        if !self.is_cloned() {
            return Err(AdvisoryError::NotCached {
                url: self.url.clone(),
            });
        }
        Ok(SyncedDatabase {
            record: self.read_record(),
            path: self.repo.clone(),
            update_failure,
            _lock: lock,
        })
    }
}

/// The cached clone of `url`, for reading, when it can be used without the network: it exists,
/// is whole, and `refresh` asks for no fetch. `None` otherwise (then `sync` is needed). Lets a
/// run read the database while `cargo metadata` runs, before anything touches the network.
pub fn open_cached(
    url: &str,
    cache: &CacheDir,
    refresh: Refresh,
) -> Result<Option<SyncedDatabase>, AdvisoryError> {
    let clone = Clone::of(url, cache)?;
    if !clone.is_cloned() || clone.fetch_due(refresh) {
        return Ok(None);
    }
    match clone.open_for_reading(None) {
        Ok(synced) if !clone.fetch_due(refresh) => Ok(Some(synced)),
        Ok(_) | Err(AdvisoryError::Damaged { .. } | AdvisoryError::NotCached { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Makes sure the cache holds a whole clone of `url`, fetched as `refresh` says, and returns it
/// locked for reading. A due update that fails keeps the cached copy and says why
/// (`update_failure`); a clone that cannot be made, or a damaged one offline, is an error.
pub fn sync(
    url: &str,
    cache: &CacheDir,
    refresh: Refresh,
) -> Result<SyncedDatabase, AdvisoryError> {
    let clone = Clone::of(url, cache)?;
    let mut update_failure = None;
    {
        let exclusive = FileLock::exclusive(&clone.lock)?;
        clone.remove_leftovers();
        if clone.is_damaged() {
            if refresh == Refresh::Offline {
                return Err(clone.damaged_error());
            }
            let _ = std::fs::remove_dir_all(&clone.repo);
            let _ = std::fs::remove_file(&clone.marker);
        }
        if !clone.is_cloned() && refresh == Refresh::Offline {
            return Err(AdvisoryError::NotCached {
                url: url.to_owned(),
            });
        }
        if clone.fetch_due(refresh) || !clone.is_cloned() {
            if clone.is_cloned() {
                match clone.update(&exclusive) {
                    Ok(Ok(())) => clone.write_record()?,
                    Ok(Err(message)) => update_failure = Some(message),
                    Err(message) => {
                        // The tree was left half-reset: start again from a fresh clone.
                        let _ = std::fs::remove_dir_all(&clone.repo);
                        clone
                            .clone_fresh(&exclusive)
                            .map_err(|again| AdvisoryError::Fetch {
                                url: url.to_owned(),
                                message: format!("{message}; cloning afresh failed too: {again}"),
                            })?;
                        let _ = std::fs::remove_file(&clone.marker);
                        clone.write_record()?;
                    }
                }
            } else {
                clone
                    .clone_fresh(&exclusive)
                    .map_err(|message| AdvisoryError::Fetch {
                        url: url.to_owned(),
                        message,
                    })?;
                clone.write_record()?;
            }
        }
    }
    clone.open_for_reading(update_failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn git(dir: &Path, args: &[&str]) {
        let output = Git::in_dir(dir)
            .output(
                &[
                    &[
                        "-c",
                        "user.name=t",
                        "-c",
                        "user.email=t@example.com",
                        "-c",
                        "commit.gpgsign=false",
                    ][..],
                    args,
                ]
                .concat(),
            )
            .map(|_| ());
        assert!(output.is_ok(), "git {args:?}: {output:?}");
    }

    fn origin_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let origin = tempfile::tempdir().unwrap();
        git(origin.path(), &["init", "--quiet", "--initial-branch=main"]);
        for (path, text) in files {
            let path = origin.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        git(origin.path(), &["add", "."]);
        git(origin.path(), &["commit", "--quiet", "-m", "advisories"]);
        origin
    }

    fn commit_more(origin: &Path, file: &str) {
        std::fs::write(origin.join(file), "more").unwrap();
        git(origin, &["add", "."]);
        git(origin, &["commit", "--quiet", "-m", "more"]);
    }

    #[test]
    fn clones_then_updates_then_works_offline() {
        let origin = origin_with(&[("crates/a/RUSTSEC-2099-0001.md", "one")]);
        let url = format!("file://{}", origin.path().display());
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(cache_dir.path());

        let error = sync(&url, &cache, Refresh::Offline).unwrap_err();
        assert!(matches!(error, AdvisoryError::NotCached { .. }), "{error}");
        assert!(
            open_cached(&url, &cache, Refresh::Offline)
                .unwrap()
                .is_none()
        );

        let synced = sync(&url, &cache, Refresh::IfStale(Duration::from_secs(600))).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0001.md").exists());
        drop(synced);

        commit_more(origin.path(), "crates/a/RUSTSEC-2099-0002.md");

        // Within the freshness window nothing is fetched, and the clone opens without a sync.
        let synced = open_cached(&url, &cache, Refresh::IfStale(Duration::from_secs(600)))
            .unwrap()
            .expect("fresh");
        assert!(!synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
        drop(synced);
        assert!(
            open_cached(&url, &cache, Refresh::Always)
                .unwrap()
                .is_none()
        );

        let synced = sync(&url, &cache, Refresh::Always).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
        assert!(synced.update_failure.is_none());
        drop(synced);

        let synced = sync(&url, &cache, Refresh::Offline).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
    }

    #[test]
    fn a_failed_update_keeps_the_cached_clone_and_says_why_and_a_failed_clone_is_an_error() {
        let origin = origin_with(&[("crates/a/RUSTSEC-2099-0001.md", "one")]);
        let url = format!("file://{}", origin.path().display());
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(cache_dir.path());
        drop(sync(&url, &cache, Refresh::Always).unwrap());
        std::fs::remove_dir_all(origin.path()).unwrap();
        let synced = sync(&url, &cache, Refresh::Always).unwrap();
        assert!(synced.update_failure.is_some());
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0001.md").exists());

        let missing = format!("file://{}/nowhere", cache_dir.path().display());
        let error = sync(&missing, &cache, Refresh::Always).unwrap_err();
        assert!(matches!(error, AdvisoryError::Fetch { .. }), "{error}");
        let leftovers: Vec<_> = std::fs::read_dir(cache_dir.path().join("advisory-db"))
            .unwrap()
            .flatten()
            .filter(|entry| entry.file_name().to_string_lossy().starts_with(".clone-"))
            .collect();
        assert!(leftovers.is_empty(), "a failed clone leaves nothing behind");
    }

    #[test]
    fn a_clone_left_half_updated_by_a_killed_run_is_never_read_and_is_recovered() {
        let origin = origin_with(&[("crates/a/RUSTSEC-2099-0001.md", "one")]);
        let url = format!("file://{}", origin.path().display());
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(cache_dir.path());
        drop(sync(&url, &cache, Refresh::Always).unwrap());
        let clone = Clone::of(&url, &cache).unwrap();

        // What `kill -9` during `git reset --hard` leaves: git's index lock, a half-written tree.
        std::fs::write(clone.repo.join(".git/index.lock"), "").unwrap();
        std::fs::remove_file(clone.repo.join("crates/a/RUSTSEC-2099-0001.md")).unwrap();
        let error = sync(&url, &cache, Refresh::Offline).unwrap_err();
        assert!(matches!(error, AdvisoryError::Damaged { .. }), "{error}");
        assert!(
            open_cached(&url, &cache, Refresh::Offline)
                .unwrap()
                .is_none()
        );

        commit_more(origin.path(), "crates/a/RUSTSEC-2099-0002.md");
        let synced = sync(&url, &cache, Refresh::IfStale(Duration::from_secs(600))).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0001.md").exists());
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
        assert!(!synced.path.join(".git/index.lock").exists());
        drop(synced);

        // The marker of an update that never finished makes the clone damaged too.
        std::fs::write(&clone.marker, "updating\n").unwrap();
        assert!(matches!(
            sync(&url, &cache, Refresh::Offline).unwrap_err(),
            AdvisoryError::Damaged { .. }
        ));
        let synced = sync(&url, &cache, Refresh::Always).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
        assert!(!clone.marker.exists());
    }
}
