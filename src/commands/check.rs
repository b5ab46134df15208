//! `check`: load the workspace, obtain the facts, run every check, apply the policy, report.

use std::path::PathBuf;

use crate::advisories::{self, OpenedDatabase, TargetFilter, fetch::Refresh};
use crate::cache::{CacheDir, FRESH_FOR};
use crate::checks::{self, Facts};
use crate::date::Date;
use crate::error::Error;
use crate::finding::Level;
use crate::http::HttpClient;
use crate::index::cache::IndexCache;
use crate::index::fetch::{self as index_fetch, EarlyRead, FetchStats};
use crate::index::{IndexConfig, IndexFacts};
use crate::ownership::api::{ApiClient, api_url_from_env};
use crate::ownership::cache::OwnershipCache;
use crate::ownership::check::{self as ownership_check, ApiAccess, OwnershipFacts};
use crate::policy::{self, Policy};
use crate::report::{DatabaseInfo, Report};
use crate::sources::RegistryNames;
use crate::workspace::{Loading, Workspace, WorkspaceOptions};

/// What `check` is asked to do.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// The workspace and how to read it.
    pub workspace: WorkspaceOptions,
    /// `--advisory-db`: a local database directory.
    pub advisory_db: Option<PathBuf>,
    /// The date exemptions are judged against.
    pub today: Date,
}

/// A loaded workspace with its advisory database: what `check`, `explain` and `init` start from.
pub struct Loaded {
    /// The workspace.
    pub workspace: Workspace,
    /// The advisory database, with the graph's crates loaded.
    pub database: OpenedDatabase,
    /// The registry index entries of the graph's registry packages.
    pub index: IndexFacts,
    /// Owners and publishers, for comparison with the baseline.
    pub ownership: OwnershipFacts,
    /// Warnings about the run itself.
    pub notes: Vec<String>,
    /// What the report says of the database.
    pub database_info: DatabaseInfo,
}

/// Loads the workspace, the advisory database and the index entries, overlapping the database
/// and the cached index entries with `cargo metadata`.
pub fn load(request: &CheckRequest) -> Result<Loaded, Error> {
    let loading = Loading::start(&request.workspace, request.today)?;
    let index_config = IndexConfig::from_env();
    let early_index = read_index_early(&loading, &index_config);
    let early_url = loading
        .early_policy()
        .map(|policy| policy.advisories.db_url.clone());
    let mut database = open_database(
        request,
        early_url
            .as_deref()
            .unwrap_or(policy::DEFAULT_ADVISORY_DB_URL),
    )?;
    if let Some(lockfile) = loading.early_lockfile() {
        database.database.load_crates(lockfile.names())?;
    }
    let last_updated = database.database.last_updated();
    let workspace = loading.finish()?;
    if request.advisory_db.is_none()
        && early_url.as_deref() != Some(workspace.policy.advisories.db_url.as_str())
    {
        database = open_database(request, &workspace.policy.advisories.db_url)?;
    }
    database.database.load_crates(
        workspace
            .graph
            .packages()
            .iter()
            .map(|package| package.name.as_str()),
    )?;

    let index = obtain_index(&workspace, index_config, refresh(request), early_index)?;
    let ownership = obtain_ownership(&workspace, request.workspace.offline)?;

    let mut notes = Vec::new();
    if let Some(warning) = &database.warning {
        notes.push(warning.clone());
    }
    notes.extend(index.notes);
    notes.extend(ownership.notes.iter().cloned());
    let age_days = last_updated.map(|date| date.days_until(request.today));
    let max_age = workspace.policy.advisories.max_db_age;
    match (last_updated, age_days) {
        (Some(date), Some(age)) if age > i64::from(max_age.0) => notes.push(format!(
            "the advisory database is {age} days old (last updated {date}), older than advisories.max-db-age ({max_age}); \
             update it with `cargo trustcheck fetch`{}",
            if request.advisory_db.is_some() { " or a newer --advisory-db" } else { "" }
        )),
        (None, _) => notes.push("the advisory database's age is unknown (no git history and no dated advisories)".to_owned()),
        _ => {}
    }
    let database_info = DatabaseInfo {
        location: database.location.clone(),
        last_updated,
        age_days,
    };
    Ok(Loaded {
        workspace,
        database,
        index: index.facts,
        ownership,
        notes,
        database_info,
    })
}

/// Starts reading the cached index entries of the lock file's registry packages on another
/// thread, so that a warm run reads them while `cargo metadata` runs.
fn read_index_early(loading: &Loading, config: &IndexConfig) -> Option<EarlyRead> {
    if loading
        .early_policy()
        .is_some_and(|policy| policy.advisories.yanked == Level::Allow)
    {
        return None;
    }
    let keys = index_fetch::keys_of_lockfile(loading.early_lockfile()?, config);
    let cache = CacheDir::from_env()
        .and_then(|cache| IndexCache::new(&cache))
        .ok()?;
    Some(EarlyRead::start(cache, keys))
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
pub fn obtain_index(
    workspace: &Workspace,
    config: IndexConfig,
    refresh: Refresh,
    early: Option<EarlyRead>,
) -> Result<IndexLoad, Error> {
    if workspace.policy.advisories.yanked == Level::Allow {
        return Ok(IndexLoad {
            facts: IndexFacts::disabled(config),
            notes: Vec::new(),
            stats: FetchStats::default(),
        });
    }
    let early = early.map(EarlyRead::finish).unwrap_or_default();
    let keys = index_fetch::keys_of_graph(&workspace.graph, &config);
    if keys.is_empty() {
        return Ok(IndexLoad {
            facts: IndexFacts::new(config, Default::default()),
            notes: Vec::new(),
            stats: FetchStats::default(),
        });
    }
    let cache = IndexCache::new(&CacheDir::from_env()?)?;
    let obtained = index_fetch::obtain(
        &keys,
        &cache,
        early,
        refresh,
        index_fetch::progress_allowed(),
        HttpClient::new,
    )?;
    Ok(IndexLoad {
        facts: IndexFacts::new(config, obtained.lookups),
        notes: obtained.notes,
        stats: obtained.stats,
    })
}

/// The crates.io API client the policy allows (`requests-per-second`), at `TRUSTCHECK_API_URL`.
pub fn api_client(policy: &Policy) -> ApiClient {
    ApiClient::new(
        &api_url_from_env(),
        HttpClient::new(),
        policy.ownership.requests_per_second,
    )
}

/// Gathers owners (from the cache) and the publishers of versions the baseline does not hold
/// (from the cache, else the API unless `offline`). Nothing without a baseline or when the
/// policy allows ownership changes.
pub fn obtain_ownership(workspace: &Workspace, offline: bool) -> Result<OwnershipFacts, Error> {
    let Some(baseline) = workspace.baseline.as_ref() else {
        return Ok(OwnershipFacts::default());
    };
    if workspace.policy.ownership.change == Level::Allow {
        return Ok(OwnershipFacts::default());
    }
    let client = api_client(&workspace.policy);
    let cache = OwnershipCache::open(&CacheDir::from_env()?, client.base())?;
    let access = if offline {
        ApiAccess::Offline
    } else {
        ApiAccess::Online(&client)
    };
    Ok(ownership_check::gather(
        &workspace.graph,
        Some(baseline),
        &cache,
        access,
    ))
}

/// How `check` treats cached data: the cache only with `--offline`, else refreshed when stale.
fn refresh(request: &CheckRequest) -> Refresh {
    if request.workspace.offline {
        Refresh::Offline
    } else {
        Refresh::IfStale(FRESH_FOR)
    }
}

fn open_database(request: &CheckRequest, url: &str) -> Result<OpenedDatabase, Error> {
    Ok(advisories::obtain(
        request.advisory_db.as_deref(),
        url,
        CacheDir::from_env,
        refresh(request),
    )?)
}

/// Runs the checks over loaded facts and applies the policy.
pub fn evaluate(loaded: &Loaded, request: &CheckRequest) -> Report {
    let workspace = &loaded.workspace;
    let targets = TargetFilter::new(&request.workspace.graph.targets);
    let registries = RegistryNames::discover(&workspace.root);
    let facts = Facts {
        graph: &workspace.graph,
        policy: &workspace.policy,
        advisories: &loaded.database.database,
        targets: &targets,
        registries: &registries,
        baseline: workspace.baseline.as_ref(),
        index: &loaded.index,
        ownership: &loaded.ownership,
    };
    let findings = checks::run_all(&facts);
    let verdicts = policy::evaluate(findings, &workspace.policy, request.today);
    let mut report = Report::new(verdicts, workspace.root.clone());
    report.notes = loaded.notes.clone();
    report.policy_path = workspace.policy.path.clone();
    report.lockfile = workspace.lockfile.clone();
    report.package_count = workspace.graph.packages().len();
    report.database = Some(loaded.database_info.clone());
    report
}

/// `check`: the report of the workspace against its policy.
pub fn run(request: &CheckRequest) -> Result<Report, Error> {
    let loaded = load(request)?;
    Ok(evaluate(&loaded, request))
}

/// The policy a request would use, for commands that need only the policy.
pub fn policy_only(request: &CheckRequest, root: &std::path::Path) -> Result<Policy, Error> {
    let path = request
        .workspace
        .policy
        .clone()
        .unwrap_or_else(|| root.join(policy::DEFAULT_POLICY_FILE));
    Ok(Policy::load(
        &path,
        request.workspace.policy.is_some(),
        request.today,
    )?)
}
