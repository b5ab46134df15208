//! The facts stage's part for the `typosquat` check: which crates new to the baseline are
//! searched around, and the index's answers about the names they may imitate.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;
use crate::facts::index::IndexFacts;
use crate::facts::index::cache::IndexCache;
use crate::facts::index::fetch as index_fetch;
use crate::facts::index::neighbours::{self, Neighbours};
use crate::finding::Level;
use crate::load::baseline::Baseline;
use crate::load::graph::DependencyGraph;
use crate::policy::Policy;
use crate::support::cache::{CacheDir, Refresh};
use crate::support::http::HttpClient;
use crate::support::progress::ProgressMode;

/// The names the registry crates new to the baseline may imitate, asked of their indexes (see
/// `facts::index::neighbours`) when the `typosquat` check looks — around the crates whose own
/// entry is known and that are not settled (old and active: `typosquat::wants_neighbours`,
/// judged at `now`), for the others imitate nothing or cannot be judged: the cache only offline, else
/// answers older than `neighbours::FRESH_FOR` asked again (`Refresh::Always` included: `fetch`
/// refreshes them by the same window, so that a workspace of new crates costs its requests
/// once a day, not on every fetch).
pub(in crate::pipeline) fn obtain_neighbours(
    graph: &DependencyGraph,
    policy: &Policy,
    baseline: Option<&Baseline>,
    index: &IndexFacts,
    (refresh, now): (Refresh, i64),
    progress: ProgressMode,
    client: &std::cell::OnceCell<HttpClient>,
) -> Result<Neighbours, Error> {
    let Some(baseline) = baseline else {
        return Ok(Neighbours::disabled());
    };
    if policy.baseline.typosquat == Level::Allow || !index.is_enabled() {
        return Ok(Neighbours::disabled());
    }
    let config = index.config();
    let crates: BTreeSet<index_fetch::Key> = graph
        .packages()
        .iter()
        .filter(|package| baseline.is_new(package))
        .filter(|package| {
            matches!(index.entry_of(package), Ok(Some(entry))
                if crate::checks::typosquat::wants_neighbours(entry, now))
        })
        .filter_map(|package| Some((config.base_of(&package.source_kind)?, package.name.clone())))
        .collect();
    if crates.is_empty() {
        return Ok(Neighbours::new(BTreeMap::new(), BTreeMap::new()));
    }
    let refresh = match refresh {
        Refresh::Offline => Refresh::Offline,
        Refresh::IfStale(_) | Refresh::Always => Refresh::IfStale(neighbours::FRESH_FOR),
    };
    let cache = IndexCache::new(&CacheDir::from_env()?)?;
    Ok(neighbours::obtain(
        &crates,
        index,
        &cache,
        refresh,
        progress,
        super::shared(client),
    )?)
}
