//! RustSec advisories: the database on disk (cloned and refreshed by `fetch`, or a local
//! directory), read once per run with the graph's crates loaded, and the targets that
//! `os`/`arch` restrictions are matched against.

pub mod fetch;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rustsec::Advisory;

use crate::support::date::Date;
use crate::support::network::PROXY_HINT;

/// The largest advisory file read (1 MiB; real ones are a few KiB).
pub const MAX_ADVISORY_FILE: u64 = crate::support::files::MIB;

/// Errors while reading an advisory database.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    /// The directory is not an advisory database.
    #[error("advisory database {path} is unreadable: {message}")]
    Unreadable {
        /// The database directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// One advisory file could not be parsed.
    #[error("invalid advisory {path}: {message}")]
    Invalid {
        /// The advisory file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The directory holds no advisory at all.
    #[error(
        "the advisory database at {path} holds no advisories (its crates/ directory has no RUSTSEC-*.md file); a check against it would find nothing"
    )]
    Empty {
        /// The database directory.
        path: PathBuf,
    },
    /// Fetching the database failed and no cached copy exists. It says the next step, since
    /// this stops a first run: a local copy, a cached one, or a proxy.
    #[error(
        "could not fetch the advisory database from {url}: {message}\n  \
         to go on: pass --advisory-db PATH to use a local copy of the database (a clone of {url}), \
         or --offline to use the copy an earlier `cargo trustcheck fetch` cached; {PROXY_HINT}"
    )]
    Fetch {
        /// The database URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// `--offline` and no cached copy.
    #[error(
        "no cached advisory database for {url} (run `cargo trustcheck fetch` first, or pass --advisory-db)"
    )]
    NotCached {
        /// The database URL.
        url: String,
    },
    /// The cached clone was left half-updated by an interrupted run.
    #[error(
        "the cached advisory database for {url} ({}) was left half-updated by an interrupted update; \
         run `cargo trustcheck fetch` to clone it afresh (or pass --advisory-db)",
        path.display()
    )]
    Damaged {
        /// The database URL.
        url: String,
        /// The clone's directory.
        path: PathBuf,
    },
    /// The cache could not be used.
    #[error(transparent)]
    Cache(#[from] crate::support::cache::CacheError),
}

/// An advisory database directory (`crates/<name>/RUSTSEC-*.md`), loaded crate by crate.
#[derive(Debug)]
pub struct AdvisoryDatabase {
    root: PathBuf,
    /// Advisories of the crates loaded so far.
    by_crate: HashMap<String, Vec<Advisory>>,
    /// Crate directories present in the database.
    crate_dirs: BTreeSet<String>,
    /// When the database was last updated, if known.
    last_updated: Option<Date>,
}

impl AdvisoryDatabase {
    /// Opens a database directory. Advisories are read lazily with `load_crates`, so a check
    /// reads only the advisories of crates in its graph.
    pub fn open(root: &Path) -> Result<AdvisoryDatabase, AdvisoryError> {
        let crates_dir = root.join("crates");
        let entries =
            std::fs::read_dir(&crates_dir).map_err(|error| AdvisoryError::Unreadable {
                path: root.to_path_buf(),
                message: format!("{}: {error}", crates_dir.display()),
            })?;
        let mut crate_dirs = BTreeSet::new();
        for entry in entries.flatten() {
            if let Some(name) = entry.file_name().to_str()
                && !name.starts_with('.')
            {
                crate_dirs.insert(name.to_owned());
            }
        }
        // An empty database is a broken clone or a wrong directory, not "no advisories": a
        // check against it would pass everything.
        if !crate_dirs
            .iter()
            .any(|name| advisory_files(&crates_dir.join(name)).is_ok_and(|files| !files.is_empty()))
        {
            return Err(AdvisoryError::Empty {
                path: root.to_path_buf(),
            });
        }
        Ok(AdvisoryDatabase {
            root: root.to_path_buf(),
            by_crate: HashMap::new(),
            crate_dirs,
            last_updated: None,
        })
    }

    /// No database at all: no advisory matches anything (`diff` without a database, which
    /// says so).
    pub fn empty() -> AdvisoryDatabase {
        AdvisoryDatabase {
            root: PathBuf::new(),
            by_crate: HashMap::new(),
            crate_dirs: BTreeSet::new(),
            last_updated: None,
        }
    }

    /// The database directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Sets when the database was last updated (from a fetch record).
    pub fn set_last_updated(&mut self, date: Date) {
        self.last_updated = Some(date);
    }

    /// When the database was last updated: its last git commit, or else its newest advisory.
    pub fn last_updated(&mut self) -> Option<Date> {
        if self.last_updated.is_none() {
            self.last_updated =
                git_commit_date(&self.root).or_else(|| newest_advisory_date(&self.root));
        }
        self.last_updated
    }

    /// Reads the advisories of these crates, if not read yet.
    pub fn load_crates<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), AdvisoryError> {
        for name in names {
            if self.by_crate.contains_key(name) || !self.crate_dirs.contains(name) {
                continue;
            }
            let advisories = self.read_crate(name)?;
            self.by_crate.insert(name.to_owned(), advisories);
        }
        Ok(())
    }

    /// Reads every advisory of the database.
    pub fn load_all(&mut self) -> Result<(), AdvisoryError> {
        let names: Vec<String> = self.crate_dirs.iter().cloned().collect();
        self.load_crates(names.iter().map(String::as_str))
    }

    /// The advisories of a crate (empty unless loaded with `load_crates`).
    pub fn advisories_for(&self, name: &str) -> &[Advisory] {
        self.by_crate.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every loaded advisory.
    pub fn loaded(&self) -> impl Iterator<Item = &Advisory> {
        self.by_crate.values().flatten()
    }

    /// Finds a loaded advisory by its id or one of its aliases (case-insensitive).
    pub fn find(&self, id: &str) -> Option<&Advisory> {
        self.loaded().find(|advisory| {
            advisory.metadata.id.as_str().eq_ignore_ascii_case(id)
                || advisory
                    .metadata
                    .aliases
                    .iter()
                    .any(|alias| alias.as_str().eq_ignore_ascii_case(id))
        })
    }

    fn read_crate(&self, name: &str) -> Result<Vec<Advisory>, AdvisoryError> {
        let dir = self.root.join("crates").join(name);
        advisory_files(&dir)
            .map_err(|error| AdvisoryError::Unreadable {
                path: self.root.clone(),
                message: format!("{}: {error}", dir.display()),
            })?
            .into_iter()
            .map(|path| {
                let text = crate::support::files::read_text(&path, MAX_ADVISORY_FILE).map_err(
                    |error| AdvisoryError::Invalid {
                        path: path.clone(),
                        message: error.reason(),
                    },
                )?;
                text.parse::<Advisory>()
                    .map_err(|error| AdvisoryError::Invalid {
                        path: path.clone(),
                        message: error.to_string(),
                    })
            })
            .collect()
    }
}

/// The advisory files of a crate directory (`RUSTSEC-*.md`, the `RUSTSEC-0000-0000` template
/// left out), sorted.
fn advisory_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "md")
                && path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| {
                        name.starts_with("RUSTSEC-") && !name.starts_with("RUSTSEC-0000-0000")
                    })
        })
        .collect();
    paths.sort();
    Ok(paths)
}

fn git_commit_date(root: &Path) -> Option<Date> {
    if !root.join(".git").exists() {
        return None;
    }
    git_commit_time(root).map(Date::from_unix_seconds)
}

/// The commit time (Unix seconds) of the git repository at `root`'s `HEAD`.
pub(crate) fn git_commit_time(root: &Path) -> Option<i64> {
    crate::support::git::Git::in_dir(root)
        .text(&["log", "-1", "--format=%ct"])
        .ok()?
        .parse()
        .ok()
}

/// The newest `date` of any advisory, read from the front matter without a full parse.
fn newest_advisory_date(root: &Path) -> Option<Date> {
    let mut newest: Option<Date> = None;
    for crate_dir in std::fs::read_dir(root.join("crates")).ok()?.flatten() {
        let Ok(files) = std::fs::read_dir(crate_dir.path()) else {
            continue;
        };
        for file in files.flatten() {
            let Ok(text) = crate::support::files::read_text(&file.path(), MAX_ADVISORY_FILE) else {
                continue;
            };
            let date = text
                .lines()
                .take_while(|line| !line.starts_with("# "))
                .find_map(|line| line.strip_prefix("date = \""))
                .and_then(|rest| rest.get(..10))
                .and_then(|date| date.parse::<Date>().ok());
            if date > newest {
                newest = date;
            }
        }
    }
    newest
}

/// An advisory database ready to use: a local directory, or the cached clone (held locked).
#[derive(Debug)]
pub struct OpenedDatabase {
    /// The database.
    pub database: AdvisoryDatabase,
    /// Where it came from, for reports: the directory, or the URL it was cloned from.
    pub location: String,
    /// Why a due update of the cached clone could not be done (the cached copy is used).
    pub update_failure: Option<String>,
    /// The cached clone, held locked against updates while it is read (`None` for a local
    /// directory).
    pub clone: Option<fetch::SyncedDatabase>,
}

impl OpenedDatabase {
    fn local(path: &Path) -> Result<OpenedDatabase, AdvisoryError> {
        Ok(OpenedDatabase {
            database: AdvisoryDatabase::open(path)?,
            location: path.display().to_string(),
            update_failure: None,
            clone: None,
        })
    }

    fn cloned(url: &str, synced: fetch::SyncedDatabase) -> Result<OpenedDatabase, AdvisoryError> {
        let mut database = AdvisoryDatabase::open(&synced.path)?;
        if let Some(date) = synced.commit_date() {
            database.set_last_updated(date);
        }
        Ok(OpenedDatabase {
            database,
            location: url.to_owned(),
            update_failure: synced.update_failure.clone(),
            clone: Some(synced),
        })
    }
}

/// Opens `local` when given, or the cached clone of `url` when `refresh` asks for no fetch:
/// what can be opened without the network. `None` when a sync is needed first.
pub fn open_without_network(
    local: Option<&Path>,
    url: &str,
    cache: impl FnOnce() -> Result<crate::support::cache::CacheDir, crate::support::cache::CacheError>,
    refresh: fetch::Refresh,
) -> Result<Option<OpenedDatabase>, AdvisoryError> {
    if let Some(local) = local {
        return OpenedDatabase::local(local).map(Some);
    }
    match fetch::open_cached(url, &cache()?, refresh)? {
        Some(synced) => OpenedDatabase::cloned(url, synced).map(Some),
        None => Ok(None),
    }
}

/// Opens `local` when given (nothing is fetched for it); otherwise syncs the clone of `url` in
/// the cache as `refresh` says, and opens it.
pub fn obtain(
    local: Option<&Path>,
    url: &str,
    cache: impl FnOnce() -> Result<crate::support::cache::CacheDir, crate::support::cache::CacheError>,
    refresh: fetch::Refresh,
) -> Result<OpenedDatabase, AdvisoryError> {
    if let Some(local) = local {
        return OpenedDatabase::local(local);
    }
    OpenedDatabase::cloned(url, fetch::sync(url, &cache()?, refresh)?)
}

/// What a target triple says about operating system and architecture, for `[affected]`.
#[derive(Clone, Debug)]
pub struct TargetFilter {
    platforms: Vec<target_spec::Platform>,
}

impl TargetFilter {
    /// A filter for these target triples; an empty list matches every platform.
    pub fn new(triples: &[String]) -> TargetFilter {
        let platforms = triples
            .iter()
            .filter_map(|triple| {
                target_spec::Platform::new(triple.clone(), target_spec::TargetFeatures::Unknown)
                    .ok()
            })
            .collect();
        TargetFilter { platforms }
    }

    fn cfg_matches(&self, key: &str, values: &[String]) -> bool {
        if self.platforms.is_empty() || values.is_empty() {
            return true;
        }
        values.iter().any(|value| {
            let Ok(spec) = target_spec::TargetSpec::new(format!("cfg({key} = \"{value}\")")) else {
                return false;
            };
            self.platforms
                .iter()
                .any(|platform| spec.eval(platform) != Some(false))
        })
    }

    /// Whether the advisory's `os`/`arch` restrictions allow one of the targets.
    pub fn allows(&self, advisory: &Advisory) -> bool {
        match &advisory.affected {
            Some(affected) => {
                self.cfg_matches("target_os", &affected.os)
                    && self.cfg_matches("target_arch", &affected.arch)
            }
            None => true,
        }
    }
}

#[cfg(test)]
mod tests;
