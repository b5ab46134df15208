//! The checks at one revision, for `diff`: the graph its lock file describes, each registry
//! crate version with the facts the caches hold of it (the baseline, the fact cache, the copy
//! cargo reads), the cached index entries and ownership data — never fetched — then every
//! check and the policy, as `check` runs them (`super::evaluate`). What no cache held is named,
//! so a reviewer knows which findings could not be computed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::RunOptions;
use crate::checks::CheckInputs;
use crate::facts::advisories::{AdvisoryDatabase, TargetFilter};
use crate::facts::crates::cache::FactCache;
use crate::facts::crates::obtain::{self, Settings};
use crate::facts::crates::sources::{RegistryNames, SourceConfig, cargo_home, read_config_files};
use crate::facts::index::cache::IndexCache;
use crate::facts::index::fetch as index_fetch;
use crate::facts::index::neighbours::Neighbours;
use crate::facts::index::{IndexConfig, IndexFacts, Lookup};
use crate::facts::ownership::OwnershipFacts;
use crate::facts::ownership::access::OwnershipAccess;
use crate::finding::{FindingKind, Verdict};
use crate::load::baseline::Baseline;
use crate::load::graph::{DependencyGraph, Package, PackageCode};
use crate::load::lockfile::Lockfile;
use crate::load::workspace::lockfile_graph::{need_of, registry_package};
use crate::policy::Policy;
use crate::support::cache::{CacheDir, Refresh};
use crate::support::http::HttpClient;
use crate::support::network::Network;
use crate::support::progress::ProgressMode;

/// The root files of one revision.
pub struct RevisionFiles<'a> {
    /// The policy at that revision.
    pub policy: &'a Policy,
    /// The lock file at that revision (narrowed as `check` narrows the graph).
    pub lockfile: &'a Lockfile,
    /// The baseline at that revision, when it has one.
    pub baseline: Option<&'a Baseline>,
}

/// Every finding at one revision, and the facts that were missing for it.
#[derive(Debug, Default)]
pub struct RevisionFindings {
    /// The verdicts (no `unchecked` ones: what could not be checked is in `missing`).
    pub verdicts: Vec<Verdict>,
    /// The facts no cache held, one line per kind of fact (for instance "index entries of 2
    /// crates: a, b").
    pub missing: Vec<String>,
}

/// Kinds read from a crate version's own files: not computed when its facts were missing.
const FROM_CRATE_FILES: [FindingKind; 9] = [
    FindingKind::License,
    FindingKind::Unlicensed,
    FindingKind::LicenseChange,
    FindingKind::BuildCode,
    FindingKind::BuildCapability,
    FindingKind::LibraryCapability,
    FindingKind::BinaryAdded,
    FindingKind::BinaryShipped,
    FindingKind::BaselineMismatch,
];

/// Runs every check and the policy over `files` at `root`, from cached facts only.
/// `database` is `None` when no advisory database is at hand (then no advisory finding).
pub fn evaluate_revision(
    files: &RevisionFiles<'_>,
    root: &Path,
    database: Option<&AdvisoryDatabase>,
    registries: &RegistryNames,
    options: &RunOptions,
) -> RevisionFindings {
    let cache = CacheDir::from_env().ok();
    let (graph, without_facts) = revision_graph(files, root, cache.as_ref());
    let mut missing = Vec::new();
    if !without_facts.is_empty() {
        missing.push(named(
            "crate facts (license, build code, code)",
            "crate version",
            &without_facts,
        ));
    }
    // Facts that stood in for a copy of the crate (the baseline's record, offline): its code was
    // not read, so the code kinds could not be computed for it.
    let code_unread: BTreeSet<String> = graph
        .packages()
        .iter()
        .filter(|package| matches!(package.code, Some(PackageCode::Unread(_))))
        .map(|package| format!("{} {}", package.name, package.version))
        .filter(|version| !without_facts.contains(version))
        .collect();
    if !code_unread.is_empty() {
        missing.push(named(
            "the code (no copy of the crate cached)",
            "crate version",
            &code_unread,
        ));
    }
    let mut index = cached_index(&graph, files, cache.as_ref());
    let index_missing: BTreeSet<String> = graph
        .packages()
        .iter()
        .filter(|package| index.entry_of(package).is_err())
        .map(|package| package.name.clone())
        .collect();
    if index.is_enabled() && !index_missing.is_empty() {
        missing.push(named("index entries", "crate", &index_missing));
    }
    let neighbours = match cached_neighbours(&graph, files, &index, options.now) {
        Ok(neighbours) => neighbours,
        Err(error) => {
            missing.push(format!(
                "the index's answers about the names crates new to the baseline may imitate (typosquat): {error}"
            ));
            Neighbours::disabled()
        }
    };
    let unanswered: BTreeSet<String> = neighbours
        .unanswered()
        .into_values()
        .flatten()
        .map(str::to_owned)
        .collect();
    if !unanswered.is_empty() {
        missing.push(named(
            "the index's answers about the names they may imitate (typosquat)",
            "crate",
            &unanswered,
        ));
    }
    let ownership = cached_ownership(&graph, files, &mut index, cache.as_ref());
    let owners_missing: BTreeSet<String> = ownership
        .unavailable
        .iter()
        .map(|(package, _)| package.name.clone())
        .collect();
    if !owners_missing.is_empty() {
        missing.push(named("ownership data", "crate", &owners_missing));
    }
    let yanks_missing: BTreeSet<String> = ownership
        .mass_yanks
        .iter()
        .filter(|(_, versions)| versions.is_err())
        .map(|(name, _)| name.clone())
        .collect();
    if !yanks_missing.is_empty() {
        missing.push(named(
            "who yanked the releases (the API's audit actions)",
            "crate",
            &yanks_missing,
        ));
    }
    let introductions = match files.baseline {
        Some(baseline) => super::facts::introductions(&graph, baseline, &index),
        None => Default::default(),
    };
    let empty;
    let database = match database {
        Some(database) => database,
        None => {
            missing.push("the advisory database".to_owned());
            empty = AdvisoryDatabase::empty();
            &empty
        }
    };
    let targets = TargetFilter::new(&options.workspace.graph.targets);
    let inputs = CheckInputs {
        graph: &graph,
        policy: files.policy,
        advisories: database,
        targets: &targets,
        registries,
        baseline: files.baseline,
        index: &index,
        neighbours: &neighbours,
        ownership: &ownership,
        introductions: &introductions,
        now: options.now,
    };
    let verdicts = super::evaluate(&inputs, options.today)
        .into_iter()
        .filter(|verdict| {
            let finding = &verdict.finding;
            let kind = finding.kind;
            !kind.is_about_exemptions()
                && kind != FindingKind::Unchecked
                && !(FROM_CRATE_FILES.contains(&kind)
                    && finding.crate_name().zip(finding.version()).is_some_and(
                        |(name, version)| without_facts.contains(&format!("{name} {version}")),
                    ))
        })
        .collect();
    RevisionFindings { verdicts, missing }
}

/// "index entries of 2 crates: a, b" (at most ten names, then how many more).
fn named(what: &str, unit: &'static str, names: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = names.iter().take(10).map(String::as_str).collect();
    let more = names.len() - shown.len();
    format!(
        "{what} of {}: {}{}",
        crate::support::text::counted(names.len(), unit),
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// The graph of the revision's lock file, each registry package with the facts a cache holds
/// of it (never downloaded); and the registry versions ("name version") no cache held.
fn revision_graph(
    files: &RevisionFiles<'_>,
    root: &Path,
    cache: Option<&CacheDir>,
) -> (DependencyGraph, BTreeSet<String>) {
    let cwd = std::env::current_dir().unwrap_or_else(|_| root.to_path_buf());
    let settings = Settings {
        network: Network::Offline,
        cache: cache.and_then(|cache| FactCache::new(cache).ok()),
        cargo_home: cargo_home(),
        sources: SourceConfig::from_files(&read_config_files(&cwd)),
        index: IndexConfig::from_env(),
        progress: ProgressMode::Silent,
    };
    let clarifications = &files.policy.licenses.clarify;
    let mut without_facts = BTreeSet::new();
    let mut packages: HashMap<(&str, &semver::Version, Option<&str>), Package> = HashMap::new();
    for locked in &files.lockfile.packages {
        let key = (
            locked.name.as_str(),
            &locked.version,
            locked.source.as_deref(),
        );
        let plain = Package {
            manifest_path: root.join("Cargo.toml"),
            publishable: false,
            ..Package::new(
                &locked.name,
                locked.version.clone(),
                locked.source.as_deref(),
            )
        };
        if !plain.source_kind.is_registry() {
            packages.insert(key, plain);
            continue;
        }
        let need = need_of(locked, clarifications);
        let package = match obtain::obtain(std::slice::from_ref(&need), files.baseline, &settings) {
            Ok(obtained) => match obtained.facts.first() {
                Some((facts, _)) => registry_package(
                    &locked.name,
                    &locked.version,
                    locked.source.as_deref().unwrap_or_default(),
                    facts,
                ),
                None => plain,
            },
            Err(_) => {
                without_facts.insert(format!("{} {}", locked.name, locked.version));
                plain
            }
        };
        packages.insert(key, package);
    }
    let id = |name: &str, version: &semver::Version, source: Option<&str>| {
        packages
            .get(&(name, version, source))
            .map(|package| package.id.clone())
    };
    let edges: Vec<(String, String)> = files
        .lockfile
        .packages
        .iter()
        .flat_map(|package| {
            let from = id(&package.name, &package.version, package.source.as_deref());
            package.dependencies.iter().filter_map(move |dependency| {
                Some((
                    from.clone()?,
                    id(
                        &dependency.name,
                        &dependency.version,
                        dependency.source.as_deref(),
                    )?,
                ))
            })
        })
        .collect();
    let mut list: Vec<Package> = packages.into_values().collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    (
        DependencyGraph::from_parts(root.to_path_buf(), list, &edges),
        without_facts,
    )
}

/// The cached index entries of the graph's registry packages, when a check the policy does
/// not allow reads them (never fetched, whatever their age).
fn cached_index(
    graph: &DependencyGraph,
    files: &RevisionFiles<'_>,
    cache: Option<&CacheDir>,
) -> IndexFacts {
    let config = IndexConfig::from_env();
    if !super::facts::index_needed(files.policy, files.baseline.is_some()) {
        return IndexFacts::disabled(config);
    }
    let locked = index_fetch::locked_of_graph(graph, &config);
    let obtained = cache
        .and_then(|cache| IndexCache::new(cache).ok())
        .and_then(|index_cache| {
            index_fetch::obtain_locked(
                &locked,
                &index_cache,
                HashMap::new(),
                Refresh::Offline,
                ProgressMode::Silent,
                HttpClient::new,
            )
            .ok()
        });
    match obtained {
        // As `check --offline`: an entry fetched within the freshness window vouches for what
        // the index lacks (`deleted-release`); an older one leaves it unchecked.
        Some(obtained) => {
            IndexFacts::new(config, obtained.lookups).with_confirmed(obtained.confirmed)
        }
        None => {
            let lookups = locked
                .into_keys()
                .map(|key| (key, Lookup::Unavailable("no index cache".into())))
                .collect::<BTreeMap<_, _>>();
            IndexFacts::new(config, lookups)
        }
    }
}

/// What the cached index answers say of the names the revision's crates new to its baseline
/// may imitate (never asked of the index, whatever their age).
fn cached_neighbours(
    graph: &DependencyGraph,
    files: &RevisionFiles<'_>,
    index: &IndexFacts,
    now: i64,
) -> Result<Neighbours, crate::error::Error> {
    super::facts::obtain_neighbours(
        graph,
        files.policy,
        files.baseline,
        index,
        (Refresh::Offline, now),
        ProgressMode::Silent,
        &std::cell::OnceCell::new(),
    )
}

/// The cached owners and publishers of the graph's crates.io crates, compared with the
/// revision's baseline, who yanked the releases of a mass yank, and the publish times the
/// index lacks (filled into `index`): never asked of the API.
fn cached_ownership(
    graph: &DependencyGraph,
    files: &RevisionFiles<'_>,
    index: &mut IndexFacts,
    cache: Option<&CacheDir>,
) -> OwnershipFacts {
    let wants = super::facts::OwnershipWants::of(graph, files.policy, files.baseline, index);
    let access = cache.filter(|_| wants.any()).and_then(|cache| {
        OwnershipAccess::open(
            cache,
            files.policy.ownership.requests_per_second,
            Network::Offline,
            ProgressMode::Silent,
        )
        .ok()
    });
    match access {
        Some(access) => wants.gather(&access, graph, index),
        None => OwnershipFacts::default(),
    }
}
