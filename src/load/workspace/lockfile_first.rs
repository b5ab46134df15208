//! Loading the default graph lockfile-first: `Cargo.lock` for the packages and edges, `cargo
//! metadata --no-deps` for the members, cargo's recorded (or freshly asked) `--locked` verdict
//! that the lock file is up to date, and each registry package's facts from
//! `crate::facts::crates::obtain`. Whatever this cannot be sure of gives way to `cargo metadata`
//! (`Fallback`), which stays the one way to read a narrowed graph.
//!
//! `TRUSTCHECK_GRAPH` chooses: unset (or `auto`) tries the lock file first; `metadata` always
//! runs `cargo metadata`; `compare` reads both, runs the checks on both and stops with an error
//! if their reports differ (how the two paths are held to the same output).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::WorkspaceOptions;
use super::files::RootFiles;
use crate::facts::crates::cache::FactCache;
use crate::facts::crates::obtain::{self, Missing, Need, Origin, Settings};
use crate::facts::crates::sources::{SourceConfig, cargo_home, read_config_files};
use crate::facts::index::IndexConfig;
use crate::load::LoadError as Error;
use crate::load::baseline::Baseline;
use crate::load::graph::members::Members;
use crate::load::graph::{DependencyGraph, PackageCode, SourceKind};
use crate::load::lockfile::{LockedPackage, Lockfile};
use crate::load::workspace::lockfile_graph::{Fallback, GraphSource, Plan, need_of};
use crate::load::workspace::verified::{self, Inputs, Verdict, Verdicts};
use crate::policy::Clarification;
use crate::support::cache::CacheDir;
use crate::support::network::EnvironmentError;
use crate::support::network::Network;

/// The environment variable that chooses how the graph is read.
pub const GRAPH_ENV: &str = "TRUSTCHECK_GRAPH";

/// How the graph is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// From `Cargo.lock` when it can be, else from `cargo metadata`.
    Auto,
    /// From `cargo metadata` only.
    Metadata,
    /// Both, with the reports compared.
    Compare,
}

impl Mode {
    /// The mode `TRUSTCHECK_GRAPH` asks for (`auto` when unset; a value it does not know is
    /// refused by `validate_environment` when the run starts).
    pub fn from_env() -> Mode {
        Mode::parse(std::env::var(GRAPH_ENV).as_deref().unwrap_or("")).unwrap_or(Mode::Auto)
    }

    fn parse(value: &str) -> Option<Mode> {
        match value.trim() {
            "" | "auto" => Some(Mode::Auto),
            "metadata" => Some(Mode::Metadata),
            "compare" => Some(Mode::Compare),
            _ => None,
        }
    }

    /// Refuses a `TRUSTCHECK_GRAPH` it does not know.
    pub fn validate_environment() -> Result<(), EnvironmentError> {
        let Ok(value) = std::env::var(GRAPH_ENV) else {
            return Ok(());
        };
        match Mode::parse(&value) {
            Some(_) => Ok(()),
            None => Err(EnvironmentError {
                variable: GRAPH_ENV,
                value,
                expected: "auto, metadata or compare",
            }),
        }
    }
}

/// Why the graph of these options can only come from `cargo metadata`, if it can only.
pub fn metadata_only(options: &WorkspaceOptions, mode: Mode) -> Option<Fallback> {
    if options.metadata_json.is_some() {
        return Some(Fallback(
            "--metadata-json gives recorded cargo metadata".to_owned(),
        ));
    }
    if options.graph.narrows() {
        return Some(Fallback(format!(
            "{} narrows the graph, as only cargo metadata can",
            options.graph.describe()
        )));
    }
    (mode == Mode::Metadata).then(|| Fallback(format!("{GRAPH_ENV}=metadata")))
}

/// Why the lockfile-first graph was not built: it gives way to `cargo metadata`, or the run
/// must stop.
pub enum NotBuilt {
    /// `cargo metadata` decides.
    Fallback(Fallback),
    /// The run stops (a download failed or was refused, the cache could not be written).
    Error(Box<Error>),
}

impl From<Fallback> for NotBuilt {
    fn from(fallback: Fallback) -> NotBuilt {
        NotBuilt::Fallback(fallback)
    }
}

/// Builds the graph from `Cargo.lock` at `members.workspace_root`, with the root files read
/// there.
pub fn build(
    options: &WorkspaceOptions,
    members: &Members,
    files: &RootFiles,
) -> Result<(DependencyGraph, GraphSource), NotBuilt> {
    let root = &members.workspace_root;
    let (lockfile, lock_text) = match (&files.lockfile, &files.lockfile_text) {
        (Ok(Some(lockfile)), Some(text)) => (lockfile, text),
        (Ok(_), _) => return Err(Fallback("the workspace has no Cargo.lock".to_owned()).into()),
        (Err(error), _) => return Err(Fallback(error.to_string()).into()),
    };
    let root_manifest =
        crate::support::files::read_bounded(&root.join("Cargo.toml"), super::files::MAX_FILE_SIZE)
            .map_err(|error| Fallback(error.to_string()))?;
    if String::from_utf8_lossy(&root_manifest)
        .parse::<toml::Table>()
        .map_or(true, |table| table.contains_key("replace"))
    {
        return Err(Fallback(
            "the root manifest has a [replace] table (or cannot be read as TOML)".to_owned(),
        )
        .into());
    }
    let plan = Plan::new(lockfile, &members.packages)?;

    let cwd = std::env::current_dir().unwrap_or_else(|_| root.clone());
    let configs = read_config_files(&cwd);
    let cache = CacheDir::from_env().ok();
    let asked_cargo = accept_lockfile(
        options,
        &Inputs {
            cargo_version: &members.cargo_version,
            lockfile: lock_text.as_bytes(),
            members_json: &members.json,
            root_manifest: &root_manifest,
            config_files: &configs,
        },
        cache.as_ref(),
    )?;

    let clarifications: &[Clarification] = match &files.policy {
        Ok(Some(policy)) => &policy.licenses.clarify,
        _ => &[],
    };
    let needs = plan.needs(clarifications);
    let baseline: Option<&Baseline> = files.baseline.as_ref().ok().and_then(Option::as_ref);
    let settings = settings(options, cache.as_ref(), SourceConfig::from_files(&configs));
    let obtained =
        obtain::obtain(&needs, baseline, &settings).map_err(
            |missing| match unavailable_or_error(missing) {
                Ok(why) => NotBuilt::Fallback(Fallback(why)),
                Err(error) => NotBuilt::Error(Box::new(error)),
            },
        )?;
    let graph = plan.build(root.clone(), &obtained.facts)?;
    let source = GraphSource::Lockfile {
        facts: obtained.counts,
        downloaded_bytes: obtained.downloaded_bytes,
        asked_cargo,
    };
    Ok((graph, source))
}

/// Why facts were missing: the reason when they are only unavailable (the graph is then read
/// from `cargo metadata`), else the error that ends the run.
fn unavailable_or_error(missing: Missing) -> Result<String, Error> {
    match missing {
        Missing::Unavailable(why) | Missing::NoCopy(why) => Ok(why),
        Missing::Download(error) => Err(error.into()),
        Missing::Cache(error) => Err(error.into()),
        Missing::Interrupted => Err(Error::Interrupted),
    }
}

/// Where the facts of crates are read from, and whether they may be downloaded.
fn settings(
    options: &WorkspaceOptions,
    cache: Option<&CacheDir>,
    sources: SourceConfig,
) -> Settings {
    Settings {
        network: if options.offline {
            Network::Offline
        } else {
            Network::Online
        },
        cache: cache.and_then(|cache| FactCache::new(cache).ok()),
        cargo_home: cargo_home(),
        sources,
        index: IndexConfig::from_env(),
        progress: options.progress,
    }
}

/// Reads the code of the registry packages of a graph from `cargo metadata` (the lockfile-first
/// graph has it from their facts), from the fact cache or the copies cargo reads, never a
/// download: `cargo metadata` has fetched what it reports, and a recorded one (`--metadata-json`)
/// says what was, not what is at hand. A package whose code cannot be read says why.
pub fn read_code(
    graph: &mut DependencyGraph,
    lockfile: Option<&Lockfile>,
    options: &WorkspaceOptions,
    clarifications: &[Clarification],
) -> Result<(), Error> {
    let checksums: HashMap<(&str, &semver::Version, Option<&str>), &LockedPackage> = lockfile
        .map(|lockfile| {
            lockfile
                .packages
                .iter()
                .map(|package| {
                    (
                        (
                            package.name.as_str(),
                            &package.version,
                            package.source.as_deref(),
                        ),
                        package,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut needs = Vec::new();
    let mut wanted = Vec::new();
    for (index, package) in graph.packages().iter().enumerate() {
        if package.code.is_some() || !package.source_kind.is_registry() {
            continue;
        }
        if let Some(locked) = checksums.get(&(
            package.name.as_str(),
            &package.version,
            package.source.as_deref(),
        )) {
            needs.push(need_of(locked, clarifications));
            wanted.push(index);
        }
    }
    let cache = CacheDir::from_env().ok();
    let mut settings = settings(
        options,
        cache.as_ref(),
        SourceConfig::discover(&graph.workspace_root),
    );
    settings.network = Network::Offline;
    let read = obtain::read_each(&needs, &settings)
        .map(Some)
        .or_else(|missing| match unavailable_or_error(missing) {
            Ok(_) => Ok(None),
            Err(error) => Err(error),
        })?;
    let packages = graph.packages_mut();
    for (position, index) in wanted.into_iter().enumerate() {
        let code = match read.as_ref().map(|read| &read[position]) {
            Some(Ok(facts)) => match &facts.code {
                Some(code) => PackageCode::Read(Arc::new(code.clone())),
                None => PackageCode::Unread(obtain::NO_COPY.to_owned()),
            },
            Some(Err(why)) => PackageCode::Unread(why.clone()),
            None => PackageCode::Unread("the crate's copy could not be read".to_owned()),
        };
        packages[index].code = Some(code);
    }
    for package in graph.packages_mut() {
        if package.code.is_none() && package.source_kind.is_registry() {
            package.code = Some(PackageCode::Unread(
                "Cargo.lock records no checksum of it, so no copy of it can be verified".to_owned(),
            ));
        }
    }
    Ok(())
}

/// `fetch`: puts the facts of every registry crate version of `lockfile` in the fact cache,
/// whatever the baseline records (a vendored copy is read in place and needs none), so that a
/// later `check --offline` needs neither the network nor cargo's registry cache. Returns the
/// step's line, or a warning when a crate's facts cannot be had (`check` then reads the graph
/// from `cargo metadata`).
pub fn fill_fact_cache(
    options: &WorkspaceOptions,
    lockfile: &Lockfile,
    clarifications: &[Clarification],
) -> Result<Result<String, String>, Error> {
    let needs: Vec<Need> = lockfile
        .packages
        .iter()
        .filter(|package| {
            matches!(
                SourceKind::parse(package.source.as_deref()),
                SourceKind::Registry { .. }
            )
        })
        .map(|package| need_of(package, clarifications))
        .collect();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let cache = CacheDir::from_env()?;
    let started = std::time::Instant::now();
    let obtained = match obtain::obtain(
        &needs,
        None,
        &settings(options, Some(&cache), SourceConfig::discover(&cwd)),
    ) {
        Ok(obtained) => obtained,
        Err(missing) => {
            let why = unavailable_or_error(missing)?;
            return Ok(Err(format!(
                "the facts of not every registry crate could be cached ({why}); `check` will read the graph from cargo metadata"
            )));
        }
    };
    let count = |origin: Origin| obtained.counts.get(&origin).copied().unwrap_or(0);
    Ok(Ok(format!(
        "crate facts: {} registry crate versions ({} already cached, {} read from cargo's registry cache, {} from local registries, {} downloaded ({} bytes), {} vendored, read in place) ({:.1}s)",
        needs.len(),
        count(Origin::Cache),
        count(Origin::RegistryCache),
        count(Origin::LocalRegistry),
        count(Origin::Download),
        obtained.downloaded_bytes,
        count(Origin::Vendored),
        started.elapsed().as_secs_f64()
    )))
}

/// Whether cargo accepts the lock file as up to date: its recorded verdict for these inputs,
/// else its answer now (recorded when it accepts). Returns whether cargo was asked.
fn accept_lockfile(
    options: &WorkspaceOptions,
    inputs: &Inputs<'_>,
    cache: Option<&CacheDir>,
) -> Result<bool, Fallback> {
    let fingerprint = verified::fingerprint(inputs);
    let verdicts = cache.map(Verdicts::new);
    if verdicts
        .as_ref()
        .is_some_and(|verdicts| verdicts.accepted(&fingerprint))
    {
        return Ok(false);
    }
    match verified::ask_cargo(options.manifest_path.as_deref(), options.offline) {
        Verdict::Accepted => {
            if let Some(verdicts) = verdicts {
                verdicts.record(&fingerprint, inputs.cargo_version);
            }
            Ok(true)
        }
        Verdict::OutOfDate => Err(Fallback(
            "cargo finds Cargo.lock out of date with the manifests (--locked)".to_owned(),
        )),
        Verdict::Unknown(said) => Err(Fallback(format!(
            "cargo could not check that Cargo.lock is up to date: {said}"
        ))),
    }
}
