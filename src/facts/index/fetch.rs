//! Obtaining index entries: from the cache when they are fresh (or when offline), otherwise
//! from the index, revalidated with `If-None-Match` / `If-Modified-Since`, with at most
//! `MAX_CONCURRENT` requests at a time sharing one `HttpClient`.
//!
//! Failures are graded: with a cached entry, any failure falls back to it (and says so once per
//! index in the notes); without one, an HTTP failure (5xx/429 after retries, a `Retry-After`
//! too long to wait for, an unexpected status, an unreadable or oversized body, a file that
//! lists no version) makes that crate `unchecked`, while an index that cannot be reached at
//! all (no connection, no answer in time, or considered down by the client after repeated
//! failures) stops the run (`IndexError::Unreachable`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use super::cache::{Entry, IndexCache, VersionStatus};
use super::{
    IndexConfig, IndexError, Location, Lookup, crate_path, is_valid_name, parse_index_file,
};
use crate::load::graph::{DependencyGraph, SourceKind};
use crate::load::lockfile::Lockfile;
use crate::support::cache::Refresh;
use crate::support::cache::{CacheError, FRESH_FOR, unix_now};
use crate::support::http::{HttpClient, HttpError, join_url};
use crate::support::progress::{Progress, ProgressMode};
use crate::support::text::Phrase;

/// From how many requests on a fetch of index entries counts as long, for its progress.
const LONG_FROM: usize = 50;

/// How many requests run at once at most.
pub const MAX_CONCURRENT: usize = 16;

/// The largest index file read (10 MiB; the largest crates.io index files are a few hundred
/// KiB). A larger answer is a failed request, not a truncated file.
pub const MAX_INDEX_FILE: u64 = 10 * 1024 * 1024;

/// A crate in an index: (index base URL, crate name).
pub type Key = (String, String);

/// The index entries the registry packages of a graph need.
pub fn keys_of_graph(graph: &DependencyGraph, config: &IndexConfig) -> BTreeSet<Key> {
    graph
        .packages()
        .iter()
        .filter_map(|package| key_of(config, &package.source_kind, &package.name))
        .collect()
}

/// The index entries the registry packages of a graph need, each with the versions locked.
pub fn locked_of_graph(
    graph: &DependencyGraph,
    config: &IndexConfig,
) -> BTreeMap<Key, BTreeSet<String>> {
    let mut locked: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for package in graph.packages() {
        if let Some(key) = key_of(config, &package.source_kind, &package.name) {
            locked
                .entry(key)
                .or_default()
                .insert(package.version.to_string());
        }
    }
    locked
}

/// The index entries the registry packages of a lock file need (read before the graph exists).
pub fn keys_of_lockfile(lockfile: &Lockfile, config: &IndexConfig) -> BTreeSet<Key> {
    lockfile
        .packages
        .iter()
        .filter_map(|package| {
            key_of(
                config,
                &SourceKind::parse(package.source.as_deref()),
                &package.name,
            )
        })
        .collect()
}

fn key_of(config: &IndexConfig, source: &SourceKind, name: &str) -> Option<Key> {
    match config.locate(source) {
        Location::Sparse(base) if is_valid_name(name) => Some((base, name.to_owned())),
        _ => None,
    }
}

/// Cached entries being read on another thread, e.g. while `cargo metadata` runs.
pub struct EarlyRead {
    handle: JoinHandle<HashMap<Key, Entry>>,
}

impl EarlyRead {
    /// Starts reading the cached entries of `keys`.
    pub fn start(cache: IndexCache, keys: BTreeSet<Key>) -> EarlyRead {
        EarlyRead {
            handle: std::thread::spawn(move || {
                keys.into_iter()
                    .filter_map(|key| {
                        let entry = cache.read(&key.0, &key.1)?;
                        Some((key, entry))
                    })
                    .collect()
            }),
        }
    }

    /// The entries that were read (none if the reading thread failed).
    pub fn finish(self) -> HashMap<Key, Entry> {
        self.handle.join().unwrap_or_default()
    }
}

/// What happened to the entries, for `fetch`'s summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// Fresh entries used from the cache without a request (or any cached entry, offline).
    pub cached: usize,
    /// Entries fetched in full (HTTP 200).
    pub updated: usize,
    /// Entries revalidated unchanged (HTTP 304).
    pub unchanged: usize,
    /// Crates the index does not have (HTTP 404).
    pub not_found: usize,
    /// Failed requests answered from an older cached entry.
    pub stale: usize,
    /// Entries that could not be obtained at all.
    pub missing: usize,
}

/// The entries obtained, what to tell the user, and the counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obtained {
    /// What is known of each crate.
    pub lookups: BTreeMap<Key, Lookup>,
    /// The entries the index itself vouched for in this run (fetched, revalidated, or, offline,
    /// fetched within the freshness window): what they lack, the index lacks.
    pub confirmed: BTreeSet<Key>,
    /// Notes for the report (cached entries used after a failure), one per index.
    pub notes: Vec<String>,
    /// Counts.
    pub stats: FetchStats,
}

/// How one request ended.
enum Outcome {
    /// HTTP 200 (found) or 404 (not found): a new entry, already cached.
    Fetched(Entry),
    /// HTTP 304: the cached entry, refreshed.
    NotModified(Entry),
    /// No connection to the index at all.
    Unreachable(String),
    /// Not requested: the index had already proved unreachable.
    Skipped,
    /// Any other failure: a status after retries, an unexpected status, a bad body.
    Failed(String),
}

/// Obtains the entries of `keys` as `refresh` says: `Offline` reads the cache only,
/// `IfStale` asks the index for entries older than the window, `Always` revalidates all.
/// `early` holds entries already read from the cache; `client` is made only if a request is due.
pub fn obtain(
    keys: &BTreeSet<Key>,
    cache: &IndexCache,
    early: HashMap<Key, Entry>,
    refresh: Refresh,
    progress: ProgressMode,
    client: impl FnOnce() -> HttpClient,
) -> Result<Obtained, IndexError> {
    let locked = keys
        .iter()
        .map(|key| (key.clone(), BTreeSet::new()))
        .collect();
    obtain_locked(&locked, cache, early, refresh, progress, client)
}

/// `obtain` for the crates of `locked`, each with its locked versions (canonical semver text):
/// a cached entry that lacks a locked version is never fresh enough to trust without asking
/// the index again, whatever its age, since the lock file may have moved to a version
/// published after it was fetched, or the version may have been deleted since.
pub fn obtain_locked(
    locked: &BTreeMap<Key, BTreeSet<String>>,
    cache: &IndexCache,
    early: HashMap<Key, Entry>,
    refresh: Refresh,
    progress: ProgressMode,
    client: impl FnOnce() -> HttpClient,
) -> Result<Obtained, IndexError> {
    let asking = Asking {
        label: "index entries",
        stop_when_unreachable: true,
    };
    obtain_as(locked, cache, early, refresh, progress, client, asking)
}

/// `obtain` for names that may not exist (the neighbouring names a new crate may imitate):
/// the same cache, client and failure grading, except that an index that cannot be reached
/// makes the names it was asked about unavailable (`unchecked` for the check that wanted them)
/// instead of stopping the run. The progress is labelled `label`.
pub fn obtain_names(
    keys: &BTreeSet<Key>,
    cache: &IndexCache,
    refresh: Refresh,
    progress: ProgressMode,
    label: &'static str,
    client: impl FnOnce() -> HttpClient,
) -> Result<Obtained, IndexError> {
    let locked = keys
        .iter()
        .map(|key| (key.clone(), BTreeSet::new()))
        .collect();
    let asking = Asking {
        label,
        stop_when_unreachable: false,
    };
    obtain_as(
        &locked,
        cache,
        HashMap::new(),
        refresh,
        progress,
        client,
        asking,
    )
}

/// How a set of entries is asked for: the label of its progress, and whether an index that
/// cannot be reached, for an entry the cache does not hold, stops the run.
#[derive(Clone, Copy)]
struct Asking {
    label: &'static str,
    stop_when_unreachable: bool,
}

fn obtain_as(
    locked: &BTreeMap<Key, BTreeSet<String>>,
    cache: &IndexCache,
    mut early: HashMap<Key, Entry>,
    refresh: Refresh,
    progress: ProgressMode,
    client: impl FnOnce() -> HttpClient,
    asking: Asking,
) -> Result<Obtained, IndexError> {
    let now = unix_now();
    let mut stats = FetchStats::default();
    let mut lookups = BTreeMap::new();
    let mut confirmed = BTreeSet::new();
    let mut jobs: Vec<(Key, Option<Entry>)> = Vec::new();
    for (key, versions) in locked {
        let cached = early.remove(key).or_else(|| cache.read(&key.0, &key.1));
        let lists_locked = |entry: &Entry| {
            versions
                .iter()
                .all(|version| entry.status_of(version) != VersionStatus::Absent)
        };
        match (refresh, cached) {
            (Refresh::Offline, Some(entry)) => {
                stats.cached += 1;
                if entry.is_fresh(now, FRESH_FOR) {
                    confirmed.insert(key.clone());
                }
                lookups.insert(key.clone(), Lookup::Entry(entry));
            }
            (Refresh::Offline, None) => {
                stats.missing += 1;
                lookups.insert(
                    key.clone(),
                    Lookup::Unavailable(Phrase::new(
                        "its index entry is not in the cache (--offline); `cargo trustcheck fetch` fills the cache",
                        "their index entries are not in the cache (--offline); `cargo trustcheck fetch` fills the cache",
                    )),
                );
            }
            (Refresh::IfStale(window), Some(entry))
                if entry.is_fresh(now, window) && lists_locked(&entry) =>
            {
                stats.cached += 1;
                confirmed.insert(key.clone());
                lookups.insert(key.clone(), Lookup::Entry(entry));
            }
            (_, cached) => jobs.push((key.clone(), cached)),
        }
    }
    if jobs.is_empty() {
        return Ok(Obtained {
            lookups,
            confirmed,
            notes: Vec::new(),
            stats,
        });
    }

    let client = client();
    let (outcomes, unreachable) = run_requests(&jobs, cache, &client, progress, asking.label);

    let mut fatal = None;
    let mut fallbacks: BTreeMap<String, (usize, String, u64)> = BTreeMap::new();
    for ((key, cached), outcome) in jobs.into_iter().zip(outcomes) {
        let (base, name) = &key;
        let failure = match outcome? {
            Outcome::Fetched(entry) => {
                if entry.found {
                    stats.updated += 1;
                } else {
                    stats.not_found += 1;
                }
                confirmed.insert(key.clone());
                lookups.insert(key, Lookup::Entry(entry));
                continue;
            }
            Outcome::NotModified(entry) => {
                stats.unchanged += 1;
                confirmed.insert(key.clone());
                lookups.insert(key, Lookup::Entry(entry));
                continue;
            }
            Outcome::Unreachable(message) => format!("could not reach it: {message}"),
            Outcome::Skipped => format!(
                "could not reach it: {}",
                unreachable.get(base).map_or("", String::as_str)
            ),
            Outcome::Failed(message) => message,
        };
        match cached {
            Some(entry) => {
                stats.stale += 1;
                let fallback = fallbacks
                    .entry(base.clone())
                    .or_insert_with(|| (0, failure, entry.fetched_at));
                fallback.0 += 1;
                fallback.2 = fallback.2.min(entry.fetched_at);
                lookups.insert(key, Lookup::Entry(entry));
            }
            None if asking.stop_when_unreachable && unreachable.contains_key(base) => {
                stats.missing += 1;
                fatal.get_or_insert_with(|| IndexError::Unreachable {
                    url: base.clone(),
                    krate: name.clone(),
                    message: unreachable.get(base).cloned().unwrap_or_default(),
                });
            }
            None => {
                stats.missing += 1;
                lookups.insert(
                    key,
                    Lookup::Unavailable(Phrase::new(
                        format!("its index entry could not be fetched: {failure}"),
                        format!("their index entries could not be fetched: {failure}"),
                    )),
                );
            }
        }
    }
    if let Some(error) = fatal {
        return Err(error);
    }
    let notes = fallbacks
        .into_iter()
        .map(|(base, (count, failure, oldest))| {
            format!(
                "the index at {base} failed for {} ({failure}); their cached entries were used, the oldest fetched {} ago",
                crate::support::text::counted(count, "crate"),
                crate::support::date::describe_duration(now.saturating_sub(oldest))
            )
        })
        .collect();
    Ok(Obtained {
        lookups,
        confirmed,
        notes,
        stats,
    })
}

/// Runs the requests on up to `MAX_CONCURRENT` threads. Returns each job's outcome (in job
/// order) and the indexes found unreachable, with the first transport error of each.
fn run_requests(
    jobs: &[(Key, Option<Entry>)],
    cache: &IndexCache,
    client: &HttpClient,
    progress: ProgressMode,
    label: &'static str,
) -> (Vec<Result<Outcome, CacheError>>, BTreeMap<String, String>) {
    let bar = Progress::start(progress, label, "requests", jobs.len(), LONG_FROM, None);
    let next = AtomicUsize::new(0);
    let unreachable: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
    let workers = jobs.len().min(MAX_CONCURRENT);
    let mut outcomes: Vec<Option<Result<Outcome, CacheError>>> =
        (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(((base, name), cached)) = jobs.get(index) else {
                            break;
                        };
                        let down = unreachable
                            .lock()
                            .map(|map| map.contains_key(base))
                            .unwrap_or(false);
                        let outcome = if crate::support::interrupt::requested() {
                            Ok(Outcome::Failed("the run was interrupted".to_owned()))
                        } else if down {
                            Ok(Outcome::Skipped)
                        } else {
                            request(client, cache, base, name, cached.as_ref())
                        };
                        if let Ok(Outcome::Unreachable(message)) = &outcome
                            && let Ok(mut map) = unreachable.lock()
                        {
                            map.entry(base.clone()).or_insert_with(|| message.clone());
                        }
                        bar.tick();
                        done.push((index, outcome));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            for (index, outcome) in handle.join().unwrap_or_default() {
                outcomes[index] = Some(outcome);
            }
        }
    });
    drop(bar);
    let outcomes = outcomes
        .into_iter()
        .map(|outcome| {
            outcome
                .unwrap_or_else(|| Ok(Outcome::Failed("the request did not complete".to_owned())))
        })
        .collect();
    (outcomes, unreachable.into_inner().unwrap_or_default())
}

/// Asks the index for one crate's file, conditionally when the cached entry allows it, and
/// caches what it learns.
fn request(
    client: &HttpClient,
    cache: &IndexCache,
    base: &str,
    name: &str,
    cached: Option<&Entry>,
) -> Result<Outcome, CacheError> {
    let url = join_url(base, &crate_path(name));
    let mut headers = Vec::new();
    if let Some(entry) = cached {
        if let Some(etag) = &entry.etag {
            headers.push(("If-None-Match", etag.as_str()));
        } else if let Some(modified) = &entry.last_modified {
            headers.push(("If-Modified-Since", modified.as_str()));
        }
    }
    let response = match client.get(&url, &headers, MAX_INDEX_FILE) {
        Ok(response) => response,
        Err(HttpError::Transport { message, .. }) => return Ok(Outcome::Unreachable(message)),
        Err(error) if error.is_unreachable() => {
            return Ok(Outcome::Unreachable(error.to_string()));
        }
        Err(error) => return Ok(Outcome::Failed(error.to_string())),
    };
    let outcome = match (response.status, cached) {
        (200, _) => match parse_index_file(name, &response.body) {
            // A crate the index has lists at least one version: an empty answer is a failed
            // one, which must not replace what the cache knows (a yanked version, say).
            Ok(versions) if versions.is_empty() => {
                return Ok(Outcome::Failed(format!(
                    "{url} answered HTTP 200 with an index file that lists no version"
                )));
            }
            Ok(versions) => {
                cache.write_dependencies(base, name, &versions)?;
                Outcome::Fetched(Entry::found(
                    &versions,
                    response.etag,
                    response.last_modified,
                    unix_now(),
                ))
            }
            Err(error) => {
                return Ok(Outcome::Failed(format!(
                    "{url} is not a valid index file: {error}"
                )));
            }
        },
        (304, Some(entry)) => {
            let mut entry = entry.clone();
            entry.fetched_at = unix_now();
            entry.etag = response.etag.or(entry.etag);
            entry.last_modified = response.last_modified.or(entry.last_modified);
            Outcome::NotModified(entry)
        }
        // Cargo treats these as "no such crate" too.
        (404 | 410 | 451, _) => Outcome::Fetched(Entry::not_found(unix_now())),
        (status, _) => return Ok(Outcome::Failed(format!("{url} answered HTTP {status}"))),
    };
    if let Outcome::Fetched(entry) | Outcome::NotModified(entry) = &outcome {
        cache.write(base, name, entry)?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests;
