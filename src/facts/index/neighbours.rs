//! Neighbouring names in a registry: for each crate new to the baseline, what its registry's
//! index says of the names it may imitate (`candidates`), the likeliest `MAX_ASKED` of them.
//!
//! They are asked through the same client, cache and failure grading as the graph's own
//! entries (`fetch::obtain_names`): a 404 is an answer ("no such crate"), cached like any other;
//! an index that fails leaves the names unavailable, never stops the run. An answer stays fresh
//! for `FRESH_FOR`, longer than an entry of the graph: which names exist around a crate, and how
//! old they are, changes slowly — a name registered after the new crate was first published can
//! never be an older, established crate it imitates. Offline, only cached answers are read.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::cache::IndexCache;
use super::candidates::candidates;
use super::fetch::{self, FetchStats, Key};
use super::{IndexError, IndexFacts, Lookup};
use crate::support::cache::Refresh;
use crate::support::http::HttpClient;
use crate::support::progress::ProgressMode;

/// The most names asked of the index for one new crate: the likeliest ones. The cost of a new
/// crate is bounded (64 small requests, once a day at most), and every deletion of one
/// character of a name of up to 20 characters, and its separators the other way, fits.
pub const MAX_ASKED: usize = 64;

/// How long an answer about a neighbouring name is used without asking again (online).
pub const FRESH_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The names sought around one new crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    /// The names asked of the index, likeliest first (at most `MAX_ASKED`).
    pub asked: Vec<String>,
    /// Whether the bound left less likely names out.
    pub cut: bool,
}

impl Search {
    /// The search around `name`: its likeliest `MAX_ASKED` neighbouring names.
    pub fn around(name: &str) -> Search {
        let (asked, cut) = candidates(name, MAX_ASKED);
        Search { asked, cut }
    }
}

/// What the registries' indexes say of the names around each crate new to the baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Neighbours {
    enabled: bool,
    searches: BTreeMap<Key, Search>,
    lookups: BTreeMap<Key, Lookup>,
    /// Notes for the report: searches the bound cut, cached answers used after a failure.
    pub notes: Vec<String>,
    /// What happened to the answers, for `-v` and `fetch`.
    pub stats: FetchStats,
}

impl Neighbours {
    /// No names sought: the policy does not look, or there is no baseline.
    pub fn disabled() -> Neighbours {
        Neighbours::default()
    }

    /// Names sought around `crates` (index base, crate name), with what is known of them.
    pub fn new(searches: BTreeMap<Key, Search>, lookups: BTreeMap<Key, Lookup>) -> Neighbours {
        Neighbours {
            enabled: true,
            searches,
            lookups,
            notes: Vec::new(),
            stats: FetchStats::default(),
        }
    }

    /// Whether names were sought at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The names sought around the crate `name` of the index at `base`.
    pub fn search(&self, base: &str, name: &str) -> Option<&Search> {
        self.searches.get(&(base.to_owned(), name.to_owned()))
    }

    /// What is known of the name `name` in the index at `base`.
    pub fn lookup(&self, base: &str, name: &str) -> Option<&Lookup> {
        self.lookups.get(&(base.to_owned(), name.to_owned()))
    }

    /// The crates whose search the bound cut.
    pub fn cut(&self) -> impl Iterator<Item = &str> {
        self.searches
            .iter()
            .filter(|(_, search)| search.cut)
            .map(|((_, name), _)| name.as_str())
    }

    /// The crates whose search has names the index's answer to which is not known, by cause.
    pub fn unanswered(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut causes: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for ((base, name), search) in &self.searches {
            for asked in &search.asked {
                match self.lookup(base, asked) {
                    Some(Lookup::Entry(_)) => {}
                    Some(Lookup::Unavailable(why)) => {
                        causes.entry(why.one.as_str()).or_default().insert(name);
                    }
                    None => {
                        causes.entry("not asked").or_default().insert(name.as_str());
                    }
                }
            }
        }
        causes
    }
}

/// Obtains what the indexes say of the names around `crates` (index base, crate name), as
/// `refresh` says (`Refresh::IfStale(FRESH_FOR)` online, `Refresh::Offline` for the cache
/// only). Names the graph's own entries already answer (`known`) are not asked again.
pub fn obtain(
    crates: &BTreeSet<Key>,
    known: &IndexFacts,
    cache: &IndexCache,
    refresh: Refresh,
    progress: ProgressMode,
    client: impl FnOnce() -> HttpClient,
) -> Result<Neighbours, IndexError> {
    let searches: BTreeMap<Key, Search> = crates
        .iter()
        .map(|key| (key.clone(), Search::around(&key.1)))
        .collect();
    let mut lookups = BTreeMap::new();
    let mut wanted = BTreeSet::new();
    for ((base, _), search) in &searches {
        for name in &search.asked {
            let key = (base.clone(), name.clone());
            match known.lookup(base, name) {
                Some(lookup) => {
                    lookups.insert(key, lookup.clone());
                }
                None => {
                    wanted.insert(key);
                }
            }
        }
    }
    let obtained = if wanted.is_empty() {
        None
    } else {
        Some(fetch::obtain_names(
            &wanted,
            cache,
            refresh,
            progress,
            "neighbouring names",
            client,
        )?)
    };
    let mut neighbours = Neighbours::new(searches, lookups);
    if let Some(obtained) = obtained {
        neighbours.lookups.extend(obtained.lookups);
        neighbours.notes = obtained.notes;
        neighbours.stats = obtained.stats;
    }
    let cut: Vec<&str> = neighbours.cut().collect();
    if !cut.is_empty() {
        let note = format!(
            "typosquat: the index was asked about the {MAX_ASKED} likeliest names {} new to the baseline may imitate ({}), not about the less likely ones (mostly two characters apart)",
            match cut.len() {
                1 => "a crate".to_owned(),
                count => format!("each of {count} crates"),
            },
            crate::support::text::sanitize_terminal(&crate::support::text::name_list(&cut, 8)),
        );
        neighbours.notes.push(note);
    }
    Ok(neighbours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::index::IndexConfig;
    use crate::facts::index::cache::Entry;

    const BASE: &str = "http://127.0.0.1:9/";

    fn key(name: &str) -> Key {
        (BASE.to_owned(), name.to_owned())
    }

    #[test]
    fn a_search_is_bounded_and_says_whether_it_left_names_out() {
        let search = Search::around("wasm-bindgen-macro-support");
        assert_eq!(search.asked.len(), MAX_ASKED);
        assert!(search.cut);
        let cut = Search::around("tokio-utils");
        assert_eq!(cut.asked[1], "tokio-util");
        assert!(cut.cut);
        let short = Search::around("serdes");
        assert_eq!(short.asked[0], "serde");
        assert!(!short.cut);
    }

    #[test]
    fn offline_only_cached_answers_are_read_and_the_rest_is_unanswered() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IndexCache::at(dir.path());
        cache
            .write(BASE, "tokio-util", &Entry::not_found(1_000))
            .unwrap();
        let known = IndexFacts::new(IndexConfig::with_crates_io(BASE), BTreeMap::new());
        let crates = BTreeSet::from([key("tokio-utils")]);
        let neighbours = obtain(
            &crates,
            &known,
            &cache,
            Refresh::Offline,
            ProgressMode::Silent,
            || panic!("offline: no client"),
        )
        .unwrap();
        assert!(matches!(
            neighbours.lookup(BASE, "tokio-util"),
            Some(Lookup::Entry(entry)) if !entry.found
        ));
        let unanswered = neighbours.unanswered();
        assert_eq!(unanswered.len(), 1, "{unanswered:?}");
        let (cause, crates) = unanswered.into_iter().next().unwrap();
        assert!(cause.contains("not in the cache"), "{cause}");
        assert_eq!(crates, BTreeSet::from(["tokio-utils"]));
    }

    #[test]
    fn names_the_graph_answers_are_not_asked_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IndexCache::at(dir.path());
        let lookups: BTreeMap<Key, Lookup> = Search::around("serdes")
            .asked
            .iter()
            .map(|name| (key(name), Lookup::Entry(Entry::not_found(1))))
            .collect();
        let known = IndexFacts::new(IndexConfig::with_crates_io(BASE), lookups);
        let neighbours = obtain(
            &BTreeSet::from([key("serdes")]),
            &known,
            &cache,
            Refresh::Always,
            ProgressMode::Silent,
            || panic!("every name is known: no request"),
        )
        .unwrap();
        assert!(neighbours.unanswered().is_empty());
        assert!(neighbours.notes.is_empty());
    }
}
