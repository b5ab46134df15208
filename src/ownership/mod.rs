//! Ownership: who owns each registry crate and who published each locked version, from the
//! crates.io API or a database dump, cached; compared with the baseline to find
//! `owner-change` and `publisher-change`.

pub mod api;
pub mod cache;
pub mod dump;

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether an owner is a user or a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OwnerKind {
    /// A user account.
    User,
    /// A GitHub team (`github:org:team`).
    Team,
}

impl OwnerKind {
    /// `user` or `team`.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::User => "user",
            OwnerKind::Team => "team",
        }
    }
}

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
        match self.kind {
            OwnerKind::User => write!(f, "{} (user {})", self.login, self.id),
            OwnerKind::Team => write!(f, "{} (team {})", self.login, self.id),
        }
    }
}

/// Who published a version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Publisher {
    /// A registry account.
    Account {
        /// Its stable id.
        id: u64,
        /// Its login.
        login: String,
    },
    /// Trusted Publishing from a CI repository, e.g. `github:owner/repo`.
    TrustedPublishing {
        /// `provider:repository`.
        repository: String,
    },
}

impl fmt::Display for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Publisher::Account { id, login } => write!(f, "{login} (user {id})"),
            Publisher::TrustedPublishing { repository } => {
                write!(f, "trusted publishing from {repository}")
            }
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
