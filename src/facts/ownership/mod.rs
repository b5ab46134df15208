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
    /// Warnings about the run (an unreachable API).
    pub notes: Vec<String>,
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
