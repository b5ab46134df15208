//! Ownership: who owns each registry crate and who published each locked version, from the
//! crates.io API or a database dump, cached; compared with the baseline to find
//! `owner-change` and `publisher-change`.

pub mod access;
pub mod api;
pub mod cache;
pub mod dump;
pub mod refresh;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::finding::PackageRef;
pub use crate::load::baseline::{OwnerKind, Publisher};
use crate::load::graph::{DependencyGraph, Package};
use crate::support::text::Phrase;

/// An owner of a crate. Identity is (kind, id); the login is for readers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OwnerRecord {
    /// User or team.
    pub kind: OwnerKind,
    /// The registry's stable id of the account or team.
    pub id: u64,
    /// The login (`dtolnay`, `github:rust-lang:libs`).
    pub login: String,
    /// The display name, when the registry gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl fmt::Display for OwnerRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} {})", self.login, self.kind.as_str(), self.id)
    }
}

impl OwnerRecord {
    /// The owner as the baseline records it (without the display name).
    pub fn to_owner(&self) -> crate::load::baseline::Owner {
        crate::load::baseline::Owner {
            id: self.id,
            login: self.login.clone(),
            kind: self.kind,
        }
    }
}

/// What the registry says of one version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Its license, as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Whether it is yanked.
    #[serde(default)]
    pub yanked: bool,
    /// When it was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Who published it (unknown for versions published before crates.io recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_by: Option<Publisher>,
    /// Who yanked it last, and when, from the API's `audit_actions` (when it says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yanked_by: Option<YankRecord>,
}

/// A yank, as the crates.io API's `audit_actions` records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YankRecord {
    /// The account's id.
    pub id: u64,
    /// The account's login, as the API gave it (untrusted text).
    pub login: String,
    /// When (RFC 3339), when the API says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// How close together yanks must be to count as one mass yank: two days.
pub const MASS_YANK_WINDOW: i64 = 2 * 24 * 60 * 60;

/// The one account that yanked every version of `yanked`, within `MASS_YANK_WINDOW`, as the
/// API's `versions` say: its record (the latest yank), and the times of the first and last yank
/// when known. `None` when a yank is not on record, or accounts or times differ.
pub fn mass_yanker<'a>(
    versions: &'a BTreeMap<String, VersionInfo>,
    yanked: &[semver::Version],
) -> Option<(&'a YankRecord, Option<(i64, i64)>)> {
    let records: Vec<&YankRecord> = yanked
        .iter()
        .map(|version| versions.get(&version.to_string())?.yanked_by.as_ref())
        .collect::<Option<_>>()?;
    let first = records.first()?;
    if records.iter().any(|record| record.id != first.id) {
        return None;
    }
    let times: Option<Vec<i64>> = records
        .iter()
        .map(|record| {
            record
                .at
                .as_deref()
                .and_then(crate::support::date::unix_seconds)
        })
        .collect();
    let span = times.and_then(|times| Some((*times.iter().min()?, *times.iter().max()?)));
    if span.is_some_and(|(from, to)| to - from > MASS_YANK_WINDOW) {
        return None;
    }
    let latest = records
        .iter()
        .max_by(|a, b| a.at.cmp(&b.at))
        .copied()
        .unwrap_or(first);
    Some((latest, span))
}

/// What the ownership check knows about the graph, gathered from the cache and the API.
#[derive(Clone, Debug, Default)]
pub struct OwnershipFacts {
    /// The freshest known owners of crates whose owners the baseline recorded, by crate name.
    pub owners: BTreeMap<String, Vec<OwnerRecord>>,
    /// Who published locked versions the baseline does not hold (`None`: the registry does not say).
    pub publishers: BTreeMap<(String, semver::Version), Option<Publisher>>,
    /// Packages for which something could not be known, and why (in words that do not name
    /// the package, so that a cause many packages share is reported once).
    pub unavailable: Vec<(PackageRef, Phrase)>,
    /// The owners of crates new to the baseline, when known (for the reviewer of a new crate).
    pub new_owners: BTreeMap<String, Vec<OwnerRecord>>,
    /// Crates new to the baseline whose owners could not be known, and why (in words that do
    /// not name the crate): their owners cannot be compared with the trusted accounts.
    pub new_owners_unknown: Vec<(PackageRef, Phrase)>,
    /// Warnings about the run (an unreachable API).
    pub notes: Vec<String>,
    /// What the API says of every version of the crates whose index entry shows every release
    /// but the newest yanked (`facts::index::releases::mass_yank`), by crate name; a crate
    /// the API could not be asked about maps to why.
    pub mass_yanks: BTreeMap<String, Result<BTreeMap<String, VersionInfo>, String>>,
}

/// The API, or why it is not asked.
pub enum ApiAccess<'a> {
    /// Ask it.
    Online(&'a api::ApiClient),
    /// `--offline`: the cache only.
    Offline,
}

/// The crates.io packages of the graph, one per (name, version).
pub fn crates_io_packages(graph: &DependencyGraph) -> impl Iterator<Item = &Package> {
    graph
        .packages()
        .iter()
        .filter(|package| package.is_crates_io())
}
