//! The facts of every registry package of a lock file, each from the first source that has
//! them, in this order:
//!
//! 1. the fact cache, by source, name, version and the lock file's checksum;
//! 2. the copy cargo reads, through its source configuration: a vendored directory, a local
//!    registry, or the `.crate` in cargo's registry cache (with its unpacked directory);
//! 3. a download of that one `.crate` from its registry (not `--offline`).
//!
//! The baseline, `trustcheck.lock`, is none of them: it records what was accepted, and a pull
//! request can edit it, so the facts come from the crate (a baseline line that disagrees with
//! them is a finding of its own). Only when no copy can be had (`--offline`, nothing cached)
//! does the baseline's record of that very version stand in for the license and build code
//! the graph needs, as a claim: its code is not read (`CrateFacts::code` is `None`), which the
//! checks report as `unchecked`.
//!
//! A vendored directory source is the exception: its copy is read in place every time, as
//! cargo reads it, before anything recorded of the published crate, because a vendored copy can
//! be edited and keep its checksum. Facts read from any other copy are written to the fact
//! cache. A package whose facts no source has makes the
//! whole lockfile-first graph give way to `cargo metadata` (`Missing::Unavailable`); a
//! registry that serves a file other than the lock file's, or cannot be reached, stops the
//! run (`Missing::Download`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::cache::{CrateKey, FactCache};
use super::download::{DownloadError, Downloader};
use super::local::{self, Found, Vendored};
use super::sources::{Copy, SourceConfig};
use super::{CrateError, CrateFacts, Directory, archive::Archive, read_facts};
use crate::facts::index::IndexConfig;
use crate::load::baseline::Baseline;
use crate::load::graph::Package;
use crate::support::cache::CacheError;
use crate::support::http::HttpClient;
use crate::support::network::Network;
use crate::support::progress::{Progress, ProgressMode};

/// Why a crate's code was not read when no copy of it was at hand and none could be downloaded (the same words on both graph paths, so that the cause is reported once).
pub const NO_COPY: &str = "no copy of it is at hand (the fact cache, cargo's registry cache and the copies cargo's configuration names lack it) and none can be downloaded now; `cargo fetch`, or `cargo trustcheck fetch`, gets it";

/// Downloads and copies read at once at most.
pub const MAX_CONCURRENT: usize = 8;

/// From how many crates on reading and downloading them counts as a long step.
const LONG_FROM: usize = 20;

/// One registry package whose facts are needed.
#[derive(Clone, Debug)]
pub struct Need {
    /// Cargo's source string, as the lock file writes it.
    pub source: String,
    /// The crate name.
    pub name: String,
    /// The locked version.
    pub version: semver::Version,
    /// The lock file's checksum, if it has one.
    pub checksum: Option<String>,
    /// The files the policy's clarifications name for this version: their SHA-256 is needed.
    pub clarified: Vec<String>,
}

/// Where a package's facts came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// The baseline's record, unverified: no copy could be had (`--offline`).
    Baseline,
    /// The fact cache.
    Cache,
    /// A vendored directory source.
    Vendored,
    /// A local registry.
    LocalRegistry,
    /// Cargo's registry cache.
    RegistryCache,
    /// A download.
    Download,
}

/// Why not every package's facts could be had.
#[derive(Debug, thiserror::Error)]
pub enum Missing {
    /// No source has a package's facts, or cannot be sure of them: `cargo metadata` decides.
    #[error("{0}")]
    Unavailable(String),
    /// A download failed or was refused.
    #[error(transparent)]
    Download(DownloadError),
    /// The user pressed Ctrl-C: what was read stays in the fact cache.
    #[error("interrupted")]
    Interrupted,
    /// The fact cache could not be written.
    #[error(transparent)]
    Cache(CacheError),
    /// No copy is at hand (a local registry without it, or cargo's registry cache without it
    /// and `--offline`), and none can be downloaded.
    #[error("{0}")]
    NoCopy(String),
}

/// Where the sources are, and whether the network may be used.
pub struct Settings {
    /// Whether `.crate` files may be downloaded.
    pub network: Network,
    /// The fact cache (`None`: no cache directory).
    pub cache: Option<FactCache>,
    /// `$CARGO_HOME`, for cargo's registry cache.
    pub cargo_home: Option<PathBuf>,
    /// Cargo's source configuration.
    pub sources: SourceConfig,
    /// Where crates.io's index (and `config.json`) is.
    pub index: IndexConfig,
    /// How the reading and downloading of crates shows its progress.
    pub progress: ProgressMode,
}

/// The facts obtained, in the order of the needs, and how many came from each source.
#[derive(Debug, Default)]
pub struct Obtained {
    /// The facts of each need, with their origin.
    pub facts: Vec<(CrateFacts, Origin)>,
    /// Packages by origin.
    pub counts: BTreeMap<Origin, usize>,
    /// Bytes downloaded.
    pub downloaded_bytes: u64,
}

/// What the baseline recorded of a need's very version, when it is all the graph reads of it:
/// its code not read (`code: None`). Only for a need no copy of which can be had.
fn from_baseline(need: &Need, baseline: &Baseline) -> Option<CrateFacts> {
    if !need.clarified.is_empty() {
        return None;
    }
    let package = Package::new(&need.name, need.version.clone(), Some(&need.source));
    let source = crate::load::baseline::source_key(&package)?;
    let record = baseline
        .crate_record(&need.name, &source)?
        .versions
        .get(&need.version)?;
    let code = record.build_code?;
    let license = record
        .license
        .as_ref()
        .filter(|license| !license.trim().is_empty())?;
    Some(CrateFacts {
        license: Some(license.clone()),
        license_file: None,
        build_script: code.build_script,
        proc_macro: code.proc_macro,
        // The baseline was written from a graph in which the crate was a dependency.
        has_lib: true,
        files: BTreeMap::new(),
        code: None,
    })
}

/// Obtains the facts of every need (see the module documentation for the order): all of them,
/// or why the graph cannot be read from them.
pub fn obtain(
    needs: &[Need],
    baseline: Option<&Baseline>,
    settings: &Settings,
) -> Result<Obtained, Missing> {
    let mut results = gather(needs, settings)?;
    // A refused or failed download is reported before any crate that only gives way to cargo.
    if let Some(position) = results
        .iter()
        .position(|outcome| matches!(outcome, Err(Missing::Download(_) | Missing::Cache(_))))
    {
        let Err(error) = results.swap_remove(position) else {
            unreachable!("the position of an error");
        };
        return Err(error);
    }
    let mut obtained = Obtained::default();
    for (need, outcome) in needs.iter().zip(results) {
        let (facts, origin, bytes) = match outcome {
            Err(Missing::NoCopy(why)) => {
                let recorded = baseline.and_then(|baseline| from_baseline(need, baseline));
                (
                    recorded.ok_or(Missing::Unavailable(why))?,
                    Origin::Baseline,
                    0,
                )
            }
            outcome => outcome?,
        };
        obtained.downloaded_bytes += bytes;
        *obtained.counts.entry(origin).or_default() += 1;
        obtained.facts.push((facts, origin));
    }
    Ok(obtained)
}

/// The facts of each need on its own, for a graph that has every other fact already (the one
/// `cargo metadata` gives): a need no source has is `Err(why)` and the others are still read;
/// a download that fails or is refused, or a fact cache that cannot be written, ends the run.
pub fn read_each(
    needs: &[Need],
    settings: &Settings,
) -> Result<Vec<Result<CrateFacts, String>>, Missing> {
    let results = gather(needs, settings)?;
    let mut each = Vec::with_capacity(results.len());
    for outcome in results {
        each.push(match outcome {
            Ok((facts, _, _)) => Ok(facts),
            Err(Missing::NoCopy(_)) => Err(NO_COPY.to_owned()),
            Err(Missing::Unavailable(why)) => Err(why),
            Err(error) => return Err(error),
        });
    }
    Ok(each)
}

/// The outcome of each need, in order: from the fact cache, else from a copy or a download
/// (at most `MAX_CONCURRENT` at once). A failed download stops the reading of the rest; only
/// Ctrl-C ends it with an error.
fn gather(needs: &[Need], settings: &Settings) -> Result<Vec<Result<Read, Missing>>, Missing> {
    let mut found: Vec<Option<Result<Read, Missing>>> = Vec::with_capacity(needs.len());
    let mut rest = Vec::new();
    for (index, need) in needs.iter().enumerate() {
        let key = key_of(need);
        let copy = settings.sources.copy_of(&need.source);
        // A vendored copy can differ from the published crate and keep its checksum: it is
        // read in place, as cargo reads it, before anything recorded of the published crate.
        let vendored = matches!(copy, Some(Copy::Directory(_)));
        let mut uncovered = None;
        let early = if vendored {
            None
        } else {
            (|| {
                let cached = settings.cache.as_ref()?.read(key.as_ref()?)?;
                if cached.covers(need.clarified.iter().map(String::as_str)) {
                    Some(Ok((cached, Origin::Cache, 0)))
                } else {
                    // Its file hashes are kept when what a copy gives is stored.
                    uncovered = Some(cached);
                    None
                }
            })()
        };
        if early.is_none() {
            rest.push((index, copy, uncovered));
        }
        found.push(early);
    }

    let vendored = Vendored::default();
    let downloader = OnceLock::new();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = rest.len().min(MAX_CONCURRENT);
    let opening = format!(
        "{} to read{}",
        crate::support::text::counted(rest.len(), "crate version"),
        match to_download(needs, &rest, settings) {
            0 => String::new(),
            count => format!(" ({count} to download)"),
        }
    );
    let progress = Progress::start_saying(
        settings.progress,
        "crate facts",
        "crate versions",
        rest.len(),
        LONG_FROM,
        None,
        Some(&opening),
    );
    let mut results: Vec<(usize, Result<Read, Missing>)> = Vec::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let Some((index, copy, previous)) =
                            rest.get(next.fetch_add(1, Ordering::Relaxed))
                        else {
                            break;
                        };
                        let index = *index;
                        if crate::support::interrupt::requested() {
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                        let outcome = from_copies(
                            &needs[index],
                            copy.as_ref(),
                            previous.as_ref(),
                            settings,
                            &vendored,
                            &downloader,
                        );
                        progress.tick();
                        if matches!(outcome, Err(Missing::Download(_) | Missing::Cache(_))) {
                            stop.store(true, Ordering::Relaxed);
                        }
                        done.push((index, outcome));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            results.extend(handle.join().unwrap_or_default());
        }
    });
    drop(progress);
    if crate::support::interrupt::requested() {
        return Err(Missing::Interrupted);
    }
    for (index, outcome) in results {
        found[index] = Some(outcome);
    }
    Ok(needs
        .iter()
        .zip(found)
        .map(|(need, outcome)| {
            outcome.unwrap_or_else(|| {
                Err(Missing::Unavailable(format!(
                    "the facts of {} {} were not obtained",
                    need.name, need.version
                )))
            })
        })
        .collect())
}

/// How many of the needs still to read (`rest`: need index, copy, cached facts) have no copy but
/// their registry: the downloads to come (none offline).
fn to_download(
    needs: &[Need],
    rest: &[(usize, Option<Copy>, Option<CrateFacts>)],
    settings: &Settings,
) -> usize {
    if settings.network == Network::Offline {
        return 0;
    }
    rest.iter()
        .filter(|(index, copy, _)| {
            let Some(Copy::Registry(registry)) = copy else {
                return false;
            };
            !(settings.cargo_home.as_deref())
                .zip(key_of(&needs[*index]))
                .is_some_and(|(home, key)| {
                    local::registry_cache_has(home, &registry.cache_hosts(), &key)
                })
        })
        .count()
}

/// Facts read from a copy: with their origin and the bytes downloaded for them.
type Read = (CrateFacts, Origin, u64);

/// The cache key of a need, when the lock file gives a checksum.
fn key_of(need: &Need) -> Option<CrateKey> {
    Some(CrateKey {
        source: need.source.clone(),
        name: need.name.clone(),
        version: need.version.clone(),
        checksum: need.checksum.clone()?,
    })
}

/// The facts of a need from the copy cargo reads (`copy`, what the source configuration says
/// of its source), or a download; with the bytes downloaded. `previous` is the need's
/// fact-cache entry, read before and not enough: its file hashes are kept in what is stored.
fn from_copies(
    need: &Need,
    copy: Option<&Copy>,
    previous: Option<&CrateFacts>,
    settings: &Settings,
    vendored: &Vendored,
    downloader: &OnceLock<Downloader>,
) -> Result<Read, Missing> {
    let what = format!("{} {}", need.name, need.version);
    if !crate::facts::index::is_valid_name(&need.name) {
        return Err(Missing::Unavailable(format!(
            "{what}: not a valid crate name, so no file of it is looked for"
        )));
    }
    let Some(key) = key_of(need) else {
        return Err(Missing::Unavailable(format!(
            "Cargo.lock records no checksum for {what}, so no copy of it can be verified"
        )));
    };
    let wanted: Vec<&str> = need.clarified.iter().map(String::as_str).collect();
    let unsure = |error: CrateError| Missing::Unavailable(format!("{what}: {error}"));
    let read_archive = |bytes: &[u8]| {
        let archive = Archive::read(bytes, &need.name, &need.version).map_err(unsure)?;
        read_facts(&archive, &need.name, &need.version, &wanted).map_err(unsure)
    };
    let (facts, origin, bytes) = match copy {
        None => {
            return Err(Missing::Unavailable(format!(
                "{what} is not from a registry"
            )));
        }
        Some(Copy::Unsupported(why)) => return Err(Missing::Unavailable(why.clone())),
        Some(Copy::Directory(dir)) => {
            let Some(crate_dir) = vendored.find(dir, &key) else {
                return Err(Missing::Unavailable(format!(
                    "{what} with the lock file's checksum is not in the vendored directory {}",
                    dir.display()
                )));
            };
            let facts = read_facts(&Directory(&crate_dir), &need.name, &need.version, &wanted)
                .map_err(unsure)?;
            // Read in place each time, as cargo reads it: nothing to cache.
            return Ok((facts, Origin::Vendored, 0));
        }
        Some(Copy::LocalRegistry(dir)) => {
            let Some(bytes) = local::in_local_registry(dir, &key) else {
                return Err(Missing::NoCopy(format!(
                    "{what} with the lock file's checksum is not in the local registry {}",
                    dir.display()
                )));
            };
            (read_archive(&bytes)?, Origin::LocalRegistry, 0)
        }
        Some(Copy::Registry(registry)) => {
            let cached = settings
                .cargo_home
                .as_deref()
                .and_then(|home| local::in_registry_cache(home, &registry.cache_hosts(), &key));
            match cached {
                Some(Found::Directory(dir)) => (
                    read_facts(&Directory(&dir), &need.name, &need.version, &wanted)
                        .map_err(unsure)?,
                    Origin::RegistryCache,
                    0,
                ),
                Some(Found::Archive(bytes)) => (read_archive(&bytes)?, Origin::RegistryCache, 0),
                None if settings.network == Network::Offline => {
                    return Err(Missing::NoCopy(format!(
                        "the facts of {what} are neither in trustcheck.lock, the fact cache nor cargo's registry cache, and --offline forbids downloading it (`cargo trustcheck fetch` fills the fact cache)"
                    )));
                }
                None => {
                    let downloader = downloader
                        .get_or_init(|| Downloader::new(HttpClient::new(), settings.index.clone()));
                    let bytes = match downloader.download(registry, &key) {
                        Ok(bytes) => bytes,
                        Err(DownloadError::Unsupported(why)) => {
                            return Err(Missing::Unavailable(format!("{what}: {why}")));
                        }
                        Err(error) => return Err(Missing::Download(error)),
                    };
                    let size = bytes.len() as u64;
                    (read_archive(&bytes)?, Origin::Download, size)
                }
            }
        }
    };
    if let Some(cache) = &settings.cache {
        let mut stored = facts.clone();
        if let Some(previous) = previous {
            for (path, hash) in &previous.files {
                stored
                    .files
                    .entry(path.clone())
                    .or_insert_with(|| hash.clone());
            }
        }
        cache.write(&key, &stored).map_err(Missing::Cache)?;
    }
    Ok((facts, origin, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::crates::{archive, sha256_hex};

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    fn need(name: &str, checksum: &str, clarified: &[&str]) -> Need {
        Need {
            source: CRATES_IO.to_owned(),
            name: name.to_owned(),
            version: semver::Version::new(1, 0, 0),
            checksum: Some(checksum.to_owned()),
            clarified: clarified.iter().map(|path| (*path).to_owned()).collect(),
        }
    }

    fn settings(cache: &std::path::Path, cargo_home: &std::path::Path) -> Settings {
        Settings {
            network: Network::Offline,
            cache: Some(FactCache::at(cache)),
            cargo_home: Some(cargo_home.to_path_buf()),
            sources: SourceConfig::default(),
            index: IndexConfig::with_crates_io("http://127.0.0.1:9/"),
            progress: ProgressMode::Silent,
        }
    }

    #[test]
    fn the_cache_comes_first_then_cargos_registry_cache() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("cargo-home");
        let bytes = archive::build(
            "demo",
            "1.0.0",
            &[
                (
                    "Cargo.toml",
                    b"[package]\nname = \"demo\"\nversion = \"1.0.0\"\nlicense = \"ISC\"\n",
                ),
                ("COPYING", b"terms"),
            ],
        );
        let checksum = sha256_hex(&bytes);
        let registry = home.join("registry/cache/index.crates.io-1949cf8c6b5b557f");
        std::fs::create_dir_all(&registry).unwrap();
        std::fs::write(registry.join("demo-1.0.0.crate"), &bytes).unwrap();
        let settings = settings(&dir.path().join("facts"), &home);

        let obtained = obtain(&[need("demo", &checksum, &["COPYING"])], None, &settings).unwrap();
        assert_eq!(obtained.facts[0].1, Origin::RegistryCache);
        assert_eq!(obtained.facts[0].0.license.as_deref(), Some("ISC"));
        assert_eq!(obtained.facts[0].0.files["COPYING"], sha256_hex(b"terms"));

        // Now cached; the registry cache is no longer read.
        std::fs::remove_dir_all(home.join("registry")).unwrap();
        let obtained = obtain(&[need("demo", &checksum, &["COPYING"])], None, &settings).unwrap();
        assert_eq!(obtained.facts[0].1, Origin::Cache);
    }

    #[test]
    fn offline_without_any_source_gives_way_to_cargo_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(&dir.path().join("facts"), &dir.path().join("home"));
        let error = obtain(&[need("demo", &"a".repeat(64), &[])], None, &settings).unwrap_err();
        assert!(
            matches!(&error, Missing::Unavailable(why) if why.contains("--offline")),
            "{error}"
        );
        let mut unchecked = need("demo", "", &[]);
        unchecked.checksum = None;
        let error = obtain(&[unchecked], None, &settings).unwrap_err();
        assert!(error.to_string().contains("no checksum"), "{error}");
    }
}
