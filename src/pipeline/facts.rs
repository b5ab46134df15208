//! The facts stage: the advisory database, the registry index entries and the ownership data
//! of a workspace — from the cache, or from the network when the run may use it and the cache
//! is stale. It runs only after the workspace (policy and baseline included) loaded and
//! validated. The load stage reaches the network too, for the graph: `cargo metadata` (which
//! may download crates) or, for the lockfile-first graph, cargo's verdict on the lock file and
//! the `.crate` files whose facts no cache holds (`crate::facts::crates`); nothing else does.

mod neighbours;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::RunOptions;
use crate::checks::arrivals::{Introduction, Introductions};
use crate::error::Error;
use crate::facts::advisories::{self, OpenedDatabase};
use crate::facts::index::cache::IndexCache;
use crate::facts::index::fetch::{self as index_fetch, EarlyRead, FetchStats};
use crate::facts::index::neighbours::Neighbours;
use crate::facts::index::{IndexConfig, IndexFacts};
use crate::facts::ownership::OwnershipFacts;
use crate::facts::ownership::access::OwnershipAccess;
use crate::finding::Level;
use crate::load::baseline::Baseline;
use crate::load::graph::DependencyGraph;
use crate::load::workspace::{Loading, Workspace};
use crate::policy::Policy;
use crate::report::DatabaseInfo;
use crate::support::cache::{CacheDir, Refresh};
use crate::support::http::HttpClient;
use crate::support::progress::ProgressMode;
pub(super) use neighbours::obtain_neighbours;

/// Which advisories to read from the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdvisoryScope {
    /// Those of crates in the graph (all a check needs).
    Graph,
    /// Every advisory (`explain ID` looks one up by id or alias).
    All,
}

/// What the checks read, obtained.
#[derive(Debug)]
pub struct Facts {
    /// The advisory database.
    pub database: OpenedDatabase,
    /// What the report says of the database.
    pub database_info: DatabaseInfo,
    /// The registry index entries of the graph's registry packages.
    pub index: IndexFacts,
    /// What happened to the index entries.
    pub index_stats: FetchStats,
    /// What the indexes say of the names the crates new to the baseline may imitate.
    pub neighbours: Neighbours,
    /// Owners and publishers, for comparison with the baseline.
    pub ownership: OwnershipFacts,
    /// How crates new to the baseline came into the graph.
    pub introductions: Introductions,
    /// Warnings about the run itself (a stale database, a failed update, cached fallbacks).
    pub notes: Vec<String>,
}

/// Cached facts read while `cargo metadata` runs: no network, and nothing that a later stage
/// would have to lock again.
pub struct Early {
    /// The advisory database, opened, its graph's crates read and its date found, on a thread:
    /// for a plain directory the date is a scan of every advisory (about a fifth of a warm
    /// run), which overlaps the reading of the crates' facts this way.
    database: Option<std::thread::JoinHandle<Option<(String, OpenedDatabase)>>>,
    index: Option<EarlyRead>,
}

impl Early {
    /// Starts reading, from the guessed root's policy and lock file: the advisory database (its
    /// date too) when it can be opened without the network, and the cached index entries (on a
    /// thread).
    pub fn start(loading: &Loading, options: &RunOptions) -> Early {
        let mut early = Early {
            database: None,
            index: None,
        };
        let Some(policy) = loading.early_policy() else {
            return early;
        };
        let cache = CacheDir::from_env().ok();
        let url = policy.advisories.db_url.clone();
        let local = options.advisory_db.clone();
        let refresh = options.refresh();
        let names: Vec<String> = loading
            .early_lockfile()
            .map(|lockfile| lockfile.names().map(str::to_owned).collect())
            .unwrap_or_default();
        early.database = Some(std::thread::spawn(move || {
            let mut database = advisories::open_without_network(
                local.as_deref(),
                &url,
                CacheDir::from_env,
                refresh,
            )
            .ok()
            .flatten()?;
            // Errors surface again when the graph's crates are loaded.
            let _ = database
                .database
                .load_crates(names.iter().map(String::as_str));
            // Its date too (a `git log`, or a scan of every advisory's front matter).
            database.database.last_updated();
            Some((url, database))
        }));
        if index_needed(policy, true)
            && let (Some(cache), Some(lockfile)) = (&cache, loading.early_lockfile())
            && let Ok(index_cache) = IndexCache::new(cache)
        {
            let keys = index_fetch::keys_of_lockfile(lockfile, &IndexConfig::from_env());
            early.index = Some(EarlyRead::start(index_cache, keys));
        }
        early
    }
}

/// Opens the advisory database a run uses: `--advisory-db`, or the cached clone of `url`
/// (synced as `refresh` says), with the advisories of `scope` (or of `crates`) read.
pub fn open_database<'a>(
    local: Option<&Path>,
    url: &str,
    refresh: Refresh,
    crates: impl IntoIterator<Item = &'a str>,
    scope: AdvisoryScope,
) -> Result<OpenedDatabase, Error> {
    let mut database = advisories::obtain(local, url, CacheDir::from_env, refresh)?;
    load_scope(&mut database, scope, crates)?;
    Ok(database)
}

/// Reads the advisories of `scope` (or of `crates`) from an opened database.
fn load_scope<'a>(
    database: &mut OpenedDatabase,
    scope: AdvisoryScope,
    crates: impl IntoIterator<Item = &'a str>,
) -> Result<(), Error> {
    match scope {
        AdvisoryScope::All => database.database.load_all()?,
        AdvisoryScope::Graph => database.database.load_crates(crates)?,
    }
    Ok(())
}

/// The cached advisory database for `diff`, which never fetches: `--advisory-db`, else the
/// cached clone if there is a whole one (`None` otherwise).
pub fn cached_database(local: Option<&Path>, url: &str) -> Result<Option<OpenedDatabase>, Error> {
    if local.is_some() {
        return open_database(local, url, Refresh::Offline, [], AdvisoryScope::Graph).map(Some);
    }
    Ok(
        advisories::open_without_network(None, url, CacheDir::from_env, Refresh::Offline)
            .unwrap_or(None),
    )
}

/// Obtains every fact the checks read for `workspace`, using what `early` already read.
pub fn obtain(
    workspace: &Workspace,
    options: &RunOptions,
    scope: AdvisoryScope,
    early: Early,
) -> Result<Facts, Error> {
    let url = &workspace.policy.advisories.db_url;
    let names = || {
        workspace
            .graph
            .packages()
            .iter()
            .map(|package| package.name.as_str())
    };
    let database = match early
        .database
        .and_then(|thread| thread.join().ok().flatten())
    {
        Some((early_url, mut database)) if options.advisory_db.is_some() || early_url == *url => {
            load_scope(&mut database, scope, names())?;
            database
        }
        _ => unless_interrupted(open_database(
            options.advisory_db.as_deref(),
            url,
            options.refresh(),
            names(),
            scope,
        ))?,
    };
    let mut database = database;
    let mut notes = Vec::new();
    let database_info = describe_database(&mut database, &workspace.policy, options, &mut notes);

    let client = std::cell::OnceCell::new();
    let mut index = unless_interrupted(obtain_index(
        workspace,
        options.refresh(),
        early.index,
        options.progress(),
        &client,
    ))?;
    notes.extend(index.notes);
    let neighbours = unless_interrupted(obtain_neighbours(
        &workspace.graph,
        &workspace.policy,
        workspace.baseline.as_ref(),
        &index.facts,
        (options.refresh(), options.now),
        options.progress(),
        &client,
    ))?;
    notes.extend(neighbours.notes.iter().cloned());

    let wants = OwnershipWants::of(
        &workspace.graph,
        &workspace.policy,
        workspace.baseline.as_ref(),
        &index.facts,
    );
    // The ownership cache and the API client, only when something will be read through them.
    let ownership = if wants.any() {
        let access = OwnershipAccess::open(
            &CacheDir::from_env()?,
            workspace.policy.ownership.requests_per_second,
            options.network(),
            options.progress(),
        )?;
        wants.gather(&access, &workspace.graph, &mut index.facts)
    } else {
        OwnershipFacts::default()
    };
    unless_interrupted(Ok(()))?;
    notes.extend(ownership.notes.iter().cloned());
    let introductions = match &workspace.baseline {
        Some(baseline) => introductions(&workspace.graph, baseline, &index.facts),
        None => Introductions::new(),
    };
    Ok(Facts {
        database,
        database_info,
        index: index.facts,
        index_stats: index.stats,
        neighbours,
        ownership,
        introductions,
        notes,
    })
}

/// What a run reads through the ownership cache (and the API, when the run may ask it).
pub(super) struct OwnershipWants<'a> {
    /// The baseline the owners and publishers are compared with, when a check looks.
    compared: Option<&'a Baseline>,
    /// The locked crates.io versions (name, version) whose index entry gives no publish time.
    unpublished: BTreeSet<(String, String)>,
    /// The crates.io crates of a mass yank, with their yanked versions: who yanked them.
    lures: BTreeMap<String, Vec<String>>,
}

impl<'a> OwnershipWants<'a> {
    /// What the checks the policy does not allow need of `graph` against `baseline`.
    pub(super) fn of(
        graph: &DependencyGraph,
        policy: &Policy,
        baseline: Option<&'a Baseline>,
        index: &IndexFacts,
    ) -> OwnershipWants<'a> {
        let wants_new_owners =
            policy.baseline.new_crate != Level::Allow || policy.ownership.lookalike != Level::Allow;
        OwnershipWants {
            compared: baseline
                .filter(|_| policy.ownership.change != Level::Allow || wants_new_owners),
            unpublished: missing_publish_times(graph, policy, index),
            lures: mass_yanks(graph, policy, index),
        }
    }

    /// Whether anything is to be read at all (else the cache is not even opened).
    pub(super) fn any(&self) -> bool {
        self.compared.is_some() || !self.unpublished.is_empty() || !self.lures.is_empty()
    }

    /// Reads what is wanted through `access`: owners and publishers, who yanked the releases
    /// of a mass yank, and the publish times the index lacks (filled into `index`).
    pub(super) fn gather(
        &self,
        access: &OwnershipAccess,
        graph: &DependencyGraph,
        index: &mut IndexFacts,
    ) -> OwnershipFacts {
        fill_publish_times(access, &self.unpublished, index);
        let published = |package: &crate::load::graph::Package| {
            index
                .entry_of(package)
                .ok()
                .flatten()?
                .published_at(&package.version.to_string())
        };
        let mut ownership = match self.compared {
            Some(baseline) => access.gather(graph, Some(baseline), &published),
            None => OwnershipFacts::default(),
        };
        if !self.lures.is_empty() {
            ownership.mass_yanks =
                crate::facts::ownership::access::version_lists(access, &self.lures);
        }
        ownership
    }
}

/// The locked crates.io versions (name, version) whose index entry gives no publish time, when
/// the policy judges fresh releases (else none).
fn missing_publish_times(
    graph: &DependencyGraph,
    policy: &Policy,
    index: &IndexFacts,
) -> BTreeSet<(String, String)> {
    let releases = &policy.releases;
    if !index.is_enabled() || releases.fresh == Level::Allow || releases.min_age.is_zero() {
        return BTreeSet::new();
    }
    graph
        .packages()
        .iter()
        .filter(|package| package.is_crates_io())
        .filter(|package| {
            matches!(index.entry_of(package), Ok(Some(entry))
                if entry.published_at(&package.version.to_string()).is_none())
        })
        .map(|package| (package.name.clone(), package.version.to_string()))
        .collect()
}

/// The locked crates.io crates whose index entry shows every release but the newest yanked
/// (`releases::mass_yank`), locked at one of those releases, with the yanked versions: who
/// yanked them and who published the newest is asked of the API (when the policy looks).
fn mass_yanks(
    graph: &DependencyGraph,
    policy: &Policy,
    index: &IndexFacts,
) -> BTreeMap<String, Vec<String>> {
    if !index.is_enabled()
        || (policy.advisories.yanked == Level::Allow && policy.releases.yank_lure == Level::Allow)
    {
        return BTreeMap::new();
    }
    let mut wanted = BTreeMap::new();
    for package in graph.packages() {
        if !package.is_crates_io() {
            continue;
        }
        let Ok(Some(entry)) = index.entry_of(package) else {
            continue;
        };
        if let Some(pattern) = crate::facts::index::releases::mass_yank(entry)
            && (pattern.newest.version == package.version
                || pattern.yanked.contains(&package.version))
        {
            wanted.insert(
                package.name.clone(),
                pattern.yanked.iter().map(ToString::to_string).collect(),
            );
        }
    }
    wanted
}

/// Fills in the publish times of `wanted` from the API's `created_at` (cached; asked only
/// online).
fn fill_publish_times(
    access: &OwnershipAccess,
    wanted: &BTreeSet<(String, String)>,
    index: &mut IndexFacts,
) {
    if wanted.is_empty() {
        return;
    }
    let base = index.config().crates_io().to_owned();
    let times = crate::facts::ownership::access::api_publish_times(access, wanted)
        .into_iter()
        .map(|((name, version), seconds)| ((base.clone(), name, version), seconds))
        .collect();
    index.fill_publish_times(&times);
}

/// How each registry package new to the baseline came into the graph: its dependents, and for
/// a dependent whose locked version the baseline has not accepted, whether the accepted version
/// depended on it too (from the cached index entry's dependencies).
pub(super) fn introductions(
    graph: &DependencyGraph,
    baseline: &Baseline,
    index: &IndexFacts,
) -> Introductions {
    let cache = CacheDir::from_env()
        .ok()
        .and_then(|cache| IndexCache::new(&cache).ok());
    let mut introductions = Introductions::new();
    for package in graph
        .packages()
        .iter()
        .filter(|package| baseline.is_new(package))
    {
        let list = graph
            .dependents_of(package)
            .into_iter()
            .map(|parent| {
                let accepted = crate::load::baseline::source_key(parent)
                    .and_then(|source| baseline.crate_record(&parent.name, &source))
                    .filter(|record| !record.versions.contains_key(&parent.version))
                    .and_then(|record| record.accepted_for(&parent.version))
                    .map(|accepted| accepted.version.clone());
                let accepted_had_it = accepted.as_ref().and_then(|accepted| {
                    let base = index.config().base_of(&parent.source_kind)?;
                    let dependencies = cache.as_ref()?.read_dependencies(&base, &parent.name)?;
                    Some(
                        dependencies
                            .get(&accepted.to_string())?
                            .iter()
                            .any(|name| name == &package.name),
                    )
                });
                Introduction {
                    parent: parent.name.clone(),
                    version: parent.version.clone(),
                    member: parent.is_member,
                    accepted,
                    accepted_had_it,
                }
            })
            .collect();
        introductions.insert((package.name.clone(), package.version.clone()), list);
    }
    introductions
}

/// The report's account of the database: where it is from, how old it is, and the warnings
/// that go with it (an update that failed, an age beyond `max-db-age`).
fn describe_database(
    database: &mut OpenedDatabase,
    policy: &Policy,
    options: &RunOptions,
    notes: &mut Vec<String>,
) -> DatabaseInfo {
    let last_updated = database.database.last_updated();
    if let Some(failure) = &database.update_failure {
        notes.push(format!(
            "could not update the advisory database from {} ({failure}); the cached copy{} was used",
            database.location,
            last_updated
                .map(|date| format!(" of {date}"))
                .unwrap_or_default()
        ));
    }
    let age_days = last_updated.map(|date| date.days_until(options.today));
    let max_age = policy.advisories.max_db_age;
    match (last_updated, age_days) {
        (Some(date), Some(age)) if age > i64::from(max_age.0) => notes.push(format!(
            "the advisory database is {age} days old (last updated {date}), older than advisories.max-db-age ({max_age}); {}",
            update_advice(options.advisory_db.as_deref())
        )),
        (None, _) => notes.push(
            "the advisory database's age is unknown (no git history and no dated advisories)"
                .to_owned(),
        ),
        _ => {}
    }
    DatabaseInfo {
        location: database.location.clone(),
        last_updated,
        age_days,
    }
}

/// How to bring a stale database up to date: `fetch` updates the cached clone, but fetches
/// nothing for a local `--advisory-db` copy, which its owner updates (`git pull` in a clone).
fn update_advice(local: Option<&std::path::Path>) -> String {
    match local {
        None => "update it with `cargo trustcheck fetch`".to_owned(),
        Some(path) if path.join(".git").exists() => format!(
            "update that copy (--advisory-db, which `fetch` does not touch): `git -C {} pull`",
            path.display()
        ),
        Some(path) => format!(
            "replace {} (--advisory-db, which `fetch` does not touch) with a newer copy of the database",
            path.display()
        ),
    }
}

/// Whether any check the policy does not allow reads the index entries: `yanked`,
/// `fresh-release`, and with a baseline `new-crate`, `lookalike` (publish times) and
/// `typosquat` (the new crates' standing beside their neighbours'). Whenever
/// the index is asked, what it no longer lists is `deleted-release`; that level alone does not
/// make the index asked, so that `yanked = "allow"` (with the others) still asks nothing.
pub fn index_needed(policy: &Policy, has_baseline: bool) -> bool {
    policy.advisories.yanked != Level::Allow
        || (policy.releases.fresh != Level::Allow && !policy.releases.min_age.is_zero())
        || (has_baseline
            && (policy.baseline.new_crate != Level::Allow
                || policy.baseline.lookalike != Level::Allow
                || policy.baseline.typosquat != Level::Allow))
}

/// The index entries of a workspace, as obtained.
pub struct IndexLoad {
    /// What the `yanked` check reads.
    pub facts: IndexFacts,
    /// Notes for the report.
    pub notes: Vec<String>,
    /// What happened to the entries.
    pub stats: FetchStats,
}

/// Obtains the index entries of the workspace's registry packages as `refresh` says (nothing
/// when the policy allows yanked versions), using the entries `early` read from the cache.
pub(super) fn obtain_index(
    workspace: &Workspace,
    refresh: Refresh,
    early: Option<EarlyRead>,
    progress: ProgressMode,
    client: &std::cell::OnceCell<HttpClient>,
) -> Result<IndexLoad, Error> {
    let config = IndexConfig::from_env();
    if !index_needed(&workspace.policy, workspace.baseline.is_some()) {
        return Ok(IndexLoad {
            facts: IndexFacts::disabled(config),
            notes: Vec::new(),
            stats: FetchStats::default(),
        });
    }
    let early = early.map(EarlyRead::finish).unwrap_or_default();
    let keys = index_fetch::locked_of_graph(&workspace.graph, &config);
    if keys.is_empty() {
        return Ok(IndexLoad {
            facts: IndexFacts::new(config, Default::default()),
            notes: Vec::new(),
            stats: FetchStats::default(),
        });
    }
    let cache = IndexCache::new(&CacheDir::from_env()?)?;
    let obtained =
        index_fetch::obtain_locked(&keys, &cache, early, refresh, progress, shared(client))?;
    Ok(IndexLoad {
        facts: IndexFacts::new(config, obtained.lookups).with_confirmed(obtained.confirmed),
        notes: obtained.notes,
        stats: obtained.stats,
    })
}

/// A client made once and shared by every step that asks the indexes, so that they share its
/// connections and its count of failures per host (a host found down is asked no more).
pub(super) fn shared(client: &std::cell::OnceCell<HttpClient>) -> impl FnOnce() -> HttpClient + '_ {
    move || client.get_or_init(HttpClient::new).clone()
}

/// `result`, unless the user pressed Ctrl-C while it was obtained: then what was obtained is
/// partial (the steps stop at the next request) and the run ends saying so.
pub(super) fn unless_interrupted<T>(result: Result<T, Error>) -> Result<T, Error> {
    if crate::support::interrupt::requested() {
        return Err(Error::Interrupted);
    }
    result
}
