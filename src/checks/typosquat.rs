//! Names that imitate established crates of the registry: `faster_log` beside `fast_log`,
//! `tokio-utils` beside `tokio-util`. Typosquats imitate popular crates the workspace does not
//! use yet, and live for months, so the `lookalike` check (names of the graph and the baseline,
//! recently published) misses them.
//!
//! For each registry crate new to the baseline, the registry's index was asked about the names
//! it may imitate (`facts::index::neighbours`). A neighbour that exists is *established*, and
//! the new crate *imitates* it, when its first release is at least `OLDER_BY` (a year) older
//! than the new crate's and it has clearly more releases (at least `RELEASE_RATIO` times as
//! many, and at least `MIN_RELEASES`). A new crate that is itself settled is left alone: first
//! published more than `SETTLED_AGE` (two years) ago, and active since — `SETTLED_RELEASES` or
//! more releases, or releases over at least `SETTLED_SPAN` (three months). `libm` beside `libc`
//! is two old, active crates, not an imitation; nor are the maintained successors of abandoned
//! crates (`dotenvy` of `dotenv`, `adler2` of `adler`), which have stood for years. A typosquat
//! lives for months, or is published in one burst (`tokio-utils`: four releases within three
//! hours of one day): it is judged whatever its age.
//!
//! Publish times are the index's `pubtime`s. An index that gives none for a crate's first
//! versions says only that it was first published before its first dated version; the rule is
//! applied to those bounds, and a neighbour whose standing they cannot settle leaves the crate
//! `unchecked`, as do names whose answers are not known (offline and not cached, an index that
//! failed): one `unchecked` finding per cause, naming the crates.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::index::cache::Entry;
use crate::facts::index::neighbours::{Neighbours, Search};
use crate::facts::index::{IndexFacts, Lookup};
use crate::finding::{Finding, FindingKind, NotChecked};
use crate::load::baseline::Baseline;
use crate::load::graph::{DependencyGraph, Package};
use crate::support::date::Date;
use crate::support::similar::{distance_within, fold, skeleton};
use crate::support::text::{counted, name_list, sanitize_terminal as clean};

const YEAR: i64 = 365 * 24 * 60 * 60;

/// How much older than the new crate an established neighbour's first release is, at least.
pub const OLDER_BY: i64 = YEAR;

/// How many releases an established neighbour has, at least.
pub const MIN_RELEASES: usize = 5;

/// How many times the new crate's releases an established neighbour has, at least.
pub const RELEASE_RATIO: usize = 3;

/// A new crate first published longer ago than this ...
pub const SETTLED_AGE: i64 = 2 * YEAR;

/// ... with at least this many releases ...
pub const SETTLED_RELEASES: usize = 10;

/// ... or releases over at least this long, is settled, and imitates nothing.
pub const SETTLED_SPAN: i64 = 90 * 24 * 60 * 60;

/// When a crate was first published, as far as its index entry tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstRelease {
    /// At this time: its first version has a publish time.
    At(i64),
    /// At this time or before: its first versions have none, a later one this.
    NoLaterThan(i64),
    /// Not known: no version has a publish time.
    Unknown,
}

/// What an index entry says of a crate's standing: its first release and how many releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// When it was first published.
    pub first: FirstRelease,
    /// Its releases (versions the index lists, yanked ones included).
    pub releases: usize,
    /// Its releases that are not yanked.
    pub live: usize,
    /// How long passed between its first and its latest dated release.
    pub span: i64,
}

impl Standing {
    /// The standing an index entry gives (versions in the order published, as indexes list them).
    pub fn of(entry: &Entry) -> Standing {
        let earliest = entry.published.iter().flatten().copied().min();
        let first = match (entry.published.first().copied().flatten(), earliest) {
            (Some(_), Some(earliest)) => FirstRelease::At(earliest),
            (None, Some(earliest)) => FirstRelease::NoLaterThan(earliest),
            _ => FirstRelease::Unknown,
        };
        let latest = entry.published.iter().flatten().copied().max();
        Standing {
            first,
            releases: entry.versions.len(),
            live: entry.versions.len().saturating_sub(entry.yanked.len()),
            span: latest
                .zip(earliest)
                .map_or(0, |(latest, earliest)| latest - earliest),
        }
    }

    /// The earliest its first release can be.
    fn first_at_least(&self) -> Option<i64> {
        match self.first {
            FirstRelease::At(at) => Some(at),
            _ => None,
        }
    }

    /// The latest its first release can be.
    fn first_at_most(&self) -> Option<i64> {
        match self.first {
            FirstRelease::At(at) | FirstRelease::NoLaterThan(at) => Some(at),
            FirstRelease::Unknown => None,
        }
    }

    /// Whether a crate of this standing is old and active enough to imitate nothing.
    fn is_settled(&self, now: i64) -> bool {
        (self.releases >= SETTLED_RELEASES || self.span >= SETTLED_SPAN)
            && self
                .first_at_most()
                .is_some_and(|first| first <= now - SETTLED_AGE)
    }

    /// "first published 2020-02-29, 159 releases".
    pub fn describe(&self) -> String {
        let first = match self.first {
            FirstRelease::At(at) => format!("first published {}", Date::from_unix_seconds(at)),
            FirstRelease::NoLaterThan(at) => {
                format!("first published before {}", Date::from_unix_seconds(at))
            }
            FirstRelease::Unknown => "first published at a time the index does not give".to_owned(),
        };
        format!("{first}, {}", counted(self.releases, "release"))
    }
}

/// What a neighbour is to a new crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Established, and the new crate imitates it.
    Imitated,
    /// Not established beside the new crate (younger, or not clearly more released).
    NotEstablished,
    /// Released enough to be established, but its first release or the new crate's is not
    /// dated well enough to tell.
    Undated,
}

/// Whether `neighbour` is established beside `newcomer` (see the module's doc).
pub fn judge(newcomer: &Standing, neighbour: &Standing) -> Judgement {
    if neighbour.live == 0
        || neighbour.releases < MIN_RELEASES
        || neighbour.releases < RELEASE_RATIO * newcomer.releases
    {
        return Judgement::NotEstablished;
    }
    match (neighbour.first_at_most(), newcomer.first_at_least()) {
        (Some(old), Some(new)) if old.saturating_add(OLDER_BY) <= new => Judgement::Imitated,
        _ => match (neighbour.first_at_least(), newcomer.first_at_most()) {
            (Some(old), Some(new)) if old.saturating_add(OLDER_BY) > new => {
                Judgement::NotEstablished
            }
            _ => Judgement::Undated,
        },
    }
}

/// What the index says of the names around one new crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// The new crate's standing, when its entry is known.
    pub standing: Option<Standing>,
    /// Whether it is settled (old and active), so that nothing was compared.
    pub settled: bool,
    /// The established crates it imitates: (name, standing).
    pub imitated: Vec<(String, Standing)>,
    /// Names the index has, not established beside it.
    pub not_established: Vec<String>,
    /// Names whose standing beside it could not be told (undated).
    pub undated: Vec<String>,
    /// Names the index does not have.
    pub absent: usize,
    /// Names whose answer is not known, with why.
    pub unanswered: BTreeMap<String, usize>,
    /// How many names were asked of the index.
    pub asked: usize,
    /// Whether the bound left less likely names out.
    pub cut: bool,
}

/// Whether the names around a new crate whose index entry is `entry` are worth asking about:
/// not when it is settled (old and active), which imitates nothing.
pub fn wants_neighbours(entry: &Entry, now: i64) -> bool {
    !Standing::of(entry).is_settled(now)
}

/// What the index says of the names around `package`, a crate new to the baseline; `None`
/// when none were sought around it (the check is allowed, not a registry crate with a sparse
/// index). Names are sought only around crates whose own entry is known and that are not
/// settled (`wants_neighbours`); without its own entry, the survey says only that.
pub fn survey(
    package: &Package,
    index: &IndexFacts,
    neighbours: &Neighbours,
    now: i64,
) -> Option<Survey> {
    let base = index.config().base_of(&package.source_kind)?;
    if !neighbours.is_enabled() {
        return None;
    }
    let Ok(Some(entry)) = index.entry_of(package) else {
        return Some(Survey::default());
    };
    let standing = Standing::of(entry);
    if standing.is_settled(now) {
        return Some(Survey {
            standing: Some(standing),
            settled: true,
            ..Survey::default()
        });
    }
    let search: &Search = neighbours.search(&base, &package.name)?;
    let mut survey = Survey {
        standing: Some(standing),
        asked: search.asked.len(),
        cut: search.cut,
        ..Survey::default()
    };
    for name in &search.asked {
        match neighbours.lookup(&base, name) {
            Some(Lookup::Entry(entry)) if entry.found => {
                let neighbour = Standing::of(entry);
                match judge(&standing, &neighbour) {
                    Judgement::Imitated => survey.imitated.push((name.clone(), neighbour)),
                    Judgement::NotEstablished => survey.not_established.push(name.clone()),
                    Judgement::Undated => survey.undated.push(name.clone()),
                }
            }
            Some(Lookup::Entry(_)) => survey.absent += 1,
            Some(Lookup::Unavailable(why)) => {
                *survey.unanswered.entry(why.one.clone()).or_default() += 1
            }
            None => {
                *survey
                    .unanswered
                    .entry("was not asked of the index".to_owned())
                    .or_default() += 1
            }
        }
    }
    Some(survey)
}

/// The `typosquat` check: every registry crate new to the baseline whose name imitates an
/// established crate of its registry; `unchecked` (once per cause) where that cannot be told.
pub fn check(
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    index: &IndexFacts,
    neighbours: &Neighbours,
    now: i64,
) -> Vec<Finding> {
    let Some(baseline) = baseline else {
        return Vec::new();
    };
    if !neighbours.is_enabled() {
        return Vec::new();
    }
    let mut findings = Vec::new();
    let mut not_told: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for package in graph.packages() {
        if !baseline.is_new(package) {
            continue;
        }
        let Some(survey) = survey(package, index, neighbours, now) else {
            continue;
        };
        let named = clean(&package.name);
        if survey.standing.is_none() {
            // A crate its index no longer has is `deleted-release`; nothing to compare.
            if index.absence(package).is_some() {
                continue;
            }
            let why = index
                .entry_of(package)
                .err()
                .map(|why| why.one)
                .unwrap_or_else(|| "its index entry was not obtained".to_owned());
            let cause = match why.strip_prefix("its index entry ") {
                Some(rest) => format!("their own index entry {rest}"),
                None => format!("their own index entry is not known: {why}"),
            };
            not_told.entry(cause).or_default().insert(named);
            continue;
        }
        if !survey.imitated.is_empty() {
            findings.push(imitation(package, &survey));
            continue;
        }
        for why in survey.unanswered.keys() {
            let why = why.strip_prefix("its index entry ").unwrap_or(why);
            not_told
                .entry(format!(
                    "what the index says of the names they may imitate {why}"
                ))
                .or_default()
                .insert(named.clone());
        }
        if !survey.undated.is_empty() {
            not_told
                .entry(
                    "the index gives no publish time for the first releases of a neighbouring name, or of theirs, so whether it is far older cannot be told"
                        .to_owned(),
                )
                .or_default()
                .insert(named);
        }
    }
    for (cause, crates) in not_told {
        findings.push(not_checked(&cause, &crates));
    }
    findings
}

/// The finding of a crate that imitates established crates.
fn imitation(package: &Package, survey: &Survey) -> Finding {
    let name = clean(&package.name);
    let imitated: Vec<String> = survey
        .imitated
        .iter()
        .map(|(other, standing)| {
            format!(
                "{} ({})",
                relation(&package.name, other),
                standing.describe()
            )
        })
        .collect();
    let own = survey.standing.map_or_else(String::new, |standing| {
        format!(", while {name} was {}", standing.describe())
    });
    let meant: Vec<&str> = survey
        .imitated
        .iter()
        .map(|(other, _)| other.as_str())
        .collect();
    Finding::for_package(
        FindingKind::Typosquat,
        package.to_ref(),
        format!(
            "{name} imitates an established crate: {}{own}. A typosquat takes a popular crate's name with a character or an affix added, and lives for months: make sure {name} is the crate that was meant, not {}",
            imitated.join("; "),
            clean(&meant.join(" or "))
        ),
    )
}

/// How `name` imitates `other`: "faster_log is two edits from fast_log".
pub fn relation(name: &str, other: &str) -> String {
    let (name, other) = (clean(name), clean(other));
    let (folded, other_folded) = (fold(&name), fold(&other));
    let reads_alike = skeleton(&name) == skeleton(&other);
    if let Some(edits) = distance_within(&folded, &other_folded, 2) {
        let edits = if edits == 1 { "one edit" } else { "two edits" };
        let confusable = if reads_alike {
            " and reads the same"
        } else {
            ""
        };
        return format!("{name} is {edits} from {other}{confusable}");
    }
    if reads_alike {
        return format!(
            "{name} reads the same as {other} (confusable characters and separators aside)"
        );
    }
    // The affix as the name spells it (names are ASCII: folding keeps every byte in place).
    let lower = name.to_ascii_lowercase();
    let extra = folded.len().saturating_sub(other_folded.len());
    if folded.ends_with(other_folded.as_str()) && lower.is_char_boundary(extra) {
        format!("{name} is {other} with `{}` put before it", &lower[..extra])
    } else if folded.starts_with(other_folded.as_str())
        && lower.is_char_boundary(other_folded.len())
    {
        format!(
            "{name} is {other} with `{}` added",
            &lower[other_folded.len()..]
        )
    } else {
        format!("{name} is spelled close to {other}")
    }
}

/// One `unchecked` finding for the crates whose imitation could not be told for `cause`.
fn not_checked(cause: &str, crates: &BTreeSet<String>) -> Finding {
    let names: Vec<&str> = crates.iter().map(String::as_str).collect();
    let cause = format!(
        "for {} new to the baseline ({}), {cause}",
        counted(names.len(), "crate"),
        name_list(&names, 8)
    );
    let what = "whether a crate imitates an established crate of its registry";
    let mut finding = Finding::general(
        FindingKind::Unchecked,
        format!("{what} not checked: {cause}"),
    );
    finding.unchecked = Some(NotChecked {
        checks: vec![FindingKind::Typosquat],
        what: what.to_owned(),
        cause: cause.into(),
    });
    finding
}

#[cfg(test)]
mod tests;
