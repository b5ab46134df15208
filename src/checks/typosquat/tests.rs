//! Unit tests of the `typosquat` check: the rule, the wording, and what is unchecked.

use std::collections::BTreeMap;

use super::*;
use crate::facts::index::neighbours::Search;
use crate::facts::index::{IndexConfig, IndexVersion};
use crate::load::graph::Package;

const BASE: &str = "http://127.0.0.1:9/";
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000;

/// An index entry of `count` releases, the first `first_days_ago`, a day apart.
fn entry(count: usize, first_days_ago: i64) -> Entry {
    let versions: Vec<IndexVersion> = (0..count)
        .map(|n| IndexVersion {
            version: format!("0.1.{n}"),
            yanked: false,
            pubtime: Some(NOW - first_days_ago * DAY + i64::try_from(n).unwrap() * DAY),
            dependencies: Vec::new(),
        })
        .collect();
    Entry::found(&versions, None, None, 0)
}

fn key(name: &str) -> (String, String) {
    (BASE.to_owned(), name.to_owned())
}

/// The check over a graph of one new crate `name` (its entry `own`), whose neighbours the
/// index answers as `answers` (a name absent from it answered 404).
fn run(name: &str, own: Option<Entry>, answers: &[(&str, Lookup)]) -> Vec<Finding> {
    let graph = DependencyGraph::from_parts(
        std::path::PathBuf::from("/w"),
        vec![Package::new(
            name,
            semver::Version::new(0, 1, 0),
            Some(CRATES_IO),
        )],
        &[],
    );
    let mut index_lookups = BTreeMap::new();
    if let Some(own) = own {
        index_lookups.insert(key(name), Lookup::Entry(own));
    }
    let index = IndexFacts::new(IndexConfig::with_crates_io(BASE), index_lookups);
    let search = Search::around(name);
    let answered: BTreeMap<&str, &Lookup> = answers.iter().map(|(n, l)| (*n, l)).collect();
    let lookups = search
        .asked
        .iter()
        .map(|asked| {
            let lookup = answered
                .get(asked.as_str())
                .map_or_else(|| Lookup::Entry(Entry::not_found(0)), |l| (*l).clone());
            (key(asked), lookup)
        })
        .collect();
    let neighbours = Neighbours::new(BTreeMap::from([(key(name), search)]), lookups);
    check(&graph, Some(&Baseline::default()), &index, &neighbours, NOW)
}

fn found(entry: Entry) -> Lookup {
    Lookup::Entry(entry)
}

#[test]
fn faster_log_two_edits_from_an_established_fast_log_imitates_it() {
    let findings = run(
        "faster_log",
        Some(entry(2, 120)),
        &[("fast_log", found(entry(159, 2_400)))],
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding.kind, FindingKind::Typosquat);
    for fact in [
        "faster_log imitates an established crate",
        "faster_log is two edits from fast_log (first published ",
        ", 159 releases)",
        "while faster_log was first published ",
        ", 2 releases. A typosquat",
        "not fast_log",
    ] {
        assert!(
            finding.message.contains(fact),
            "{fact:?} in {}",
            finding.message
        );
    }
}

#[test]
fn a_neighbour_as_young_or_as_little_released_is_not_established() {
    // Equally young.
    assert!(
        run(
            "tokio-utils",
            Some(entry(2, 100)),
            &[("tokio-util", found(entry(40, 200)))]
        )
        .is_empty()
    );
    // Old, but not clearly more released.
    assert!(
        run(
            "tokio-utils",
            Some(entry(4, 100)),
            &[("tokio-util", found(entry(11, 3_000)))]
        )
        .is_empty()
    );
    // Old and thrice as released, but fewer than five releases.
    assert!(
        run(
            "tokio-utils",
            Some(entry(1, 100)),
            &[("tokio-util", found(entry(4, 3_000)))]
        )
        .is_empty()
    );
    // Every release yanked: a dead name.
    let mut dead = entry(40, 3_000);
    dead.yanked = dead.versions.clone();
    assert!(
        run(
            "tokio-utils",
            Some(entry(1, 100)),
            &[("tokio-util", found(dead))]
        )
        .is_empty()
    );
}

#[test]
fn a_settled_crate_imitates_nothing() {
    // libm beside libc: old and active both (libc is not one deletion from libm, but a
    // settled crate is left alone whatever its neighbours).
    assert!(
        run(
            "libcs",
            Some(entry(20, 3 * 365)),
            &[("libc", found(entry(200, 9 * 365)))]
        )
        .is_empty()
    );
    // Old and maintained over months, with few releases (a successor of an abandoned crate,
    // as dotenvy of dotenv): settled.
    let mut maintained = entry(2, 3 * 365);
    maintained.published[1] = Some(NOW - 2 * 365 * DAY);
    assert!(
        run(
            "libcs",
            Some(maintained),
            &[("libc", found(entry(200, 9 * 365)))]
        )
        .is_empty()
    );
    // Old, but published in one burst and never since (tokio-utils: four releases within
    // three hours): still compared.
    assert_eq!(
        run(
            "libcs",
            Some(entry(4, 3 * 365)),
            &[("libc", found(entry(200, 9 * 365)))]
        )
        .len(),
        1
    );
    // Old but barely released: still compared.
    assert_eq!(
        run(
            "libcs",
            Some(entry(3, 3 * 365)),
            &[("libc", found(entry(200, 9 * 365)))]
        )
        .len(),
        1
    );
}

#[test]
fn unknown_answers_are_one_unchecked_finding_per_cause_naming_the_crates() {
    let offline = Lookup::Unavailable(
        "its index entry is not in the cache (--offline); `cargo trustcheck fetch` fills the cache"
            .into(),
    );
    let findings = run(
        "tokio-utils",
        Some(entry(2, 100)),
        &[("tokio-util", offline.clone()), ("tokioutils", offline)],
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding.kind, FindingKind::Unchecked);
    assert_eq!(
        finding.message,
        "whether a crate imitates an established crate of its registry not checked: for 1 crate new to the baseline (tokio-utils), what the index says of the names they may imitate is not in the cache (--offline); `cargo trustcheck fetch` fills the cache"
    );
    assert_eq!(
        finding.unchecked.as_ref().map(|n| n.checks.clone()),
        Some(vec![FindingKind::Typosquat])
    );
    // Its own entry unknown: unchecked too, never a pass.
    let findings = run("tokio-utils", None, &[]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].message.contains("their own index entry"),
        "{}",
        findings[0].message
    );
}

#[test]
fn an_imitation_found_among_known_answers_is_reported_whatever_is_unknown() {
    let findings = run(
        "tokio-utils",
        Some(entry(2, 100)),
        &[
            ("tokio-util", found(entry(40, 3_000))),
            (
                "tokioutils",
                Lookup::Unavailable("its index entry could not be fetched".into()),
            ),
        ],
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].kind, FindingKind::Typosquat);
    assert!(
        findings[0]
            .message
            .contains("tokio-utils is one edit from tokio-util")
    );
}

#[test]
fn undated_first_releases_are_judged_by_their_bounds() {
    let undated = |count: usize, dated_days_ago: i64| {
        let mut entry = entry(count, dated_days_ago);
        entry.published[0] = None;
        entry
    };
    let newcomer = Standing::of(&entry(2, 100));
    // The neighbour's first versions undated, its first dated one long ago: before that.
    let old = Standing::of(&undated(40, 3_000));
    assert_eq!(old.first, FirstRelease::NoLaterThan(NOW - 2_999 * DAY));
    assert_eq!(judge(&newcomer, &old), Judgement::Imitated);
    // The new crate's first versions undated: it may be as old as anything.
    let unknown_age = Standing::of(&undated(2, 100));
    assert_eq!(judge(&unknown_age, &old), Judgement::Undated);
    // ... unless the neighbour is certainly younger than a year before it.
    let young = Standing::of(&entry(40, 150));
    assert_eq!(judge(&unknown_age, &young), Judgement::NotEstablished);
    let findings = run(
        "tokio-utils",
        Some(undated(2, 100)),
        &[("tokio-util", found(undated(40, 3_000)))],
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, FindingKind::Unchecked);
    assert!(
        findings[0].message.contains("no publish time"),
        "{}",
        findings[0].message
    );
}

#[test]
fn the_relation_names_the_edits_the_confusables_or_the_affix() {
    assert_eq!(
        relation("faster_log", "fast_log"),
        "faster_log is two edits from fast_log"
    );
    assert_eq!(
        relation("tokio-utils", "tokio-util"),
        "tokio-utils is one edit from tokio-util"
    );
    assert_eq!(
        relation("t0kio", "tokio"),
        "t0kio is one edit from tokio and reads the same"
    );
    assert_eq!(
        relation("serde-rust", "serde"),
        "serde-rust is serde with `-rust` added"
    );
    assert_eq!(
        relation("rust_serde", "serde"),
        "rust_serde is serde with `rust_` put before it"
    );
    assert_eq!(
        relation("t-o-k-i-o", "tokio"),
        "t-o-k-i-o reads the same as tokio (confusable characters and separators aside)"
    );
}

#[test]
fn without_a_baseline_or_with_the_check_allowed_nothing_is_compared() {
    let graph = DependencyGraph::from_parts(std::path::PathBuf::from("/w"), Vec::new(), &[]);
    let index = IndexFacts::new(IndexConfig::with_crates_io(BASE), BTreeMap::new());
    assert!(
        check(
            &graph,
            None,
            &index,
            &Neighbours::new(BTreeMap::new(), BTreeMap::new()),
            NOW
        )
        .is_empty()
    );
    assert!(
        check(
            &graph,
            Some(&Baseline::default()),
            &index,
            &Neighbours::disabled(),
            NOW
        )
        .is_empty()
    );
}
