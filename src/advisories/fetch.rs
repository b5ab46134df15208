//! Keeping a clone of the advisory database in the cache, with the `git` command line.
//!
//! The clone lives under `<cache>/advisory-db/<slug of the URL>`. A fresh clone is made in a
//! temporary directory and renamed into place; updates fetch the newest commit and reset to it.
//! An exclusive lock guards updates and a shared lock guards reading, so concurrent runs never
//! see a half-updated tree.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::AdvisoryError;
use crate::cache::{CacheDir, FileLock, unix_now, url_slug, write_atomic};
use crate::date::Date;

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

/// How to treat the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Never touch the network: use the cached clone or fail.
    Offline,
    /// Fetch unless the clone was fetched within `freshness`.
    IfStale(Duration),
    /// Fetch now.
    Always,
}

/// A usable database directory, held under a shared lock while it is read.
#[derive(Debug)]
pub struct SyncedDatabase {
    /// The clone's directory.
    pub path: PathBuf,
    /// The record of its last fetch.
    pub record: Option<FetchRecord>,
    /// A problem worth telling the user (a failed update that fell back to the cached copy).
    pub warning: Option<String>,
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

/// Makes sure the cache holds a clone of `url`, per `refresh`, and returns it locked for reading.
pub fn sync(
    url: &str,
    cache: &CacheDir,
    refresh: Refresh,
) -> Result<SyncedDatabase, AdvisoryError> {
    let base = cache.subdir("advisory-db")?;
    let slug = url_slug(url);
    let repo = base.join(&slug);
    let record_path = base.join(format!("{slug}.fetched.json"));
    let lock_path = base.join(format!("{slug}.lock"));

    let mut warning = None;
    {
        let _exclusive = FileLock::exclusive(&lock_path)?;
        let record = read_record(&record_path);
        let cloned = repo.join(".git").exists();
        let needs_fetch = match refresh {
            Refresh::Offline => false,
            Refresh::Always => true,
            Refresh::IfStale(freshness) => {
                !cloned
                    || record.as_ref().is_none_or(|record| {
                        unix_now().saturating_sub(record.fetched_at) >= freshness.as_secs()
                    })
            }
        };
        if !cloned && refresh == Refresh::Offline {
            return Err(AdvisoryError::NotCached {
                url: url.to_owned(),
            });
        }
        if needs_fetch {
            let result = if cloned {
                update(&repo)
            } else {
                clone(url, &base, &repo)
            };
            match result {
                Ok(()) => {
                    let record = FetchRecord {
                        fetched_at: unix_now(),
                        commit_time: git_output(&repo, &["log", "-1", "--format=%ct"])
                            .ok()
                            .and_then(|text| text.trim().parse().ok())
                            .unwrap_or(0),
                        commit: git_output(&repo, &["rev-parse", "HEAD"])
                            .map(|text| text.trim().to_owned())
                            .unwrap_or_default(),
                    };
                    let json = serde_json::to_vec_pretty(&record).unwrap_or_default();
                    write_atomic(&record_path, &json)?;
                }
                Err(message) if cloned => {
                    warning = Some(format!(
                        "could not update the advisory database from {url} ({message}); using the cached copy"
                    ));
                }
                Err(message) => {
                    return Err(AdvisoryError::Fetch {
                        url: url.to_owned(),
                        message,
                    });
                }
            }
        }
    }
    let lock = FileLock::shared(&lock_path)?;
    Ok(SyncedDatabase {
        record: read_record(&record_path),
        path: repo,
        warning,
        _lock: lock,
    })
}

fn read_record(path: &Path) -> Option<FetchRecord> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn clone(url: &str, base: &Path, repo: &Path) -> Result<(), String> {
    let temp = base.join(format!(".clone-{}-{}", std::process::id(), unix_now()));
    let _ = std::fs::remove_dir_all(&temp);
    let result = run_git(
        None,
        &[
            "clone",
            "--depth",
            "1",
            "--quiet",
            "--",
            url,
            &temp.to_string_lossy(),
        ],
    );
    if let Err(message) = result {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(message);
    }
    let _ = std::fs::remove_dir_all(repo);
    std::fs::rename(&temp, repo).map_err(|error| {
        let _ = std::fs::remove_dir_all(&temp);
        format!("could not move the clone into {}: {error}", repo.display())
    })
}

fn update(repo: &Path) -> Result<(), String> {
    run_git(
        Some(repo),
        &["fetch", "--depth", "1", "--quiet", "origin", "HEAD"],
    )?;
    run_git(Some(repo), &["reset", "--hard", "--quiet", "FETCH_HEAD"])
}

fn git_command(repo: Option<&Path>) -> Command {
    let mut command = Command::new("git");
    if let Some(repo) = repo {
        command.arg("-C").arg(repo);
    }
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .stdin(std::process::Stdio::null());
    command
}

fn run_git(repo: Option<&Path>, args: &[&str]) -> Result<(), String> {
    let output = git_command(repo)
        .args(args)
        .output()
        .map_err(|error| format!("could not run git: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`git {}` failed: {}",
            args.first().copied().unwrap_or(""),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn git_output(repo: &Path, args: &[&str]) -> Result<String, String> {
    let output = git_command(Some(repo))
        .args(args)
        .output()
        .map_err(|error| format!("could not run git: {error}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_DATE", "2026-08-01T00:00:00Z")
            .env("GIT_AUTHOR_DATE", "2026-08-01T00:00:00Z")
            .output()
            .unwrap()
            .status;
        assert!(status.success(), "git {args:?}");
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

    #[test]
    fn clones_then_updates_then_works_offline() {
        let origin = origin_with(&[("crates/a/RUSTSEC-2099-0001.md", "one")]);
        let url = format!("file://{}", origin.path().display());
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(cache_dir.path());

        let error = sync(&url, &cache, Refresh::Offline).unwrap_err();
        assert!(matches!(error, AdvisoryError::NotCached { .. }), "{error}");

        let synced = sync(&url, &cache, Refresh::IfStale(Duration::from_secs(600))).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0001.md").exists());
        assert_eq!(synced.commit_date(), "2026-08-01".parse().ok());
        drop(synced);

        std::fs::write(origin.path().join("crates/a/RUSTSEC-2099-0002.md"), "two").unwrap();
        git(origin.path(), &["add", "."]);
        git(origin.path(), &["commit", "--quiet", "-m", "more"]);

        // Within the freshness window nothing is fetched.
        let synced = sync(&url, &cache, Refresh::IfStale(Duration::from_secs(600))).unwrap();
        assert!(!synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
        drop(synced);

        let synced = sync(&url, &cache, Refresh::Always).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
        drop(synced);

        let synced = sync(&url, &cache, Refresh::Offline).unwrap();
        assert!(synced.path.join("crates/a/RUSTSEC-2099-0002.md").exists());
    }

    #[test]
    fn a_failed_update_falls_back_to_the_cached_clone_and_a_failed_clone_is_an_error() {
        let origin = origin_with(&[("crates/a/RUSTSEC-2099-0001.md", "one")]);
        let url = format!("file://{}", origin.path().display());
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(cache_dir.path());
        drop(sync(&url, &cache, Refresh::Always).unwrap());
        std::fs::remove_dir_all(origin.path()).unwrap();
        let synced = sync(&url, &cache, Refresh::Always).unwrap();
        assert!(
            synced
                .warning
                .as_deref()
                .unwrap_or("")
                .contains("using the cached copy")
        );

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
}
