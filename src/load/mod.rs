//! Load: the workspace's own files and its resolved graph.

pub mod baseline;
pub mod graph;
pub mod lockfile;
pub mod workspace;

use crate::facts::crates::download::DownloadError;
use crate::facts::index::IndexError;
use crate::policy::PolicyError;
use crate::support::cache::CacheError;
use crate::support::network::EnvironmentError;
use baseline::BaselineError;
use graph::GraphError;
use lockfile::LockfileError;

/// Why the workspace could not be loaded: the errors of the domains loading reads, gathered
/// (`crate::error::Error` takes each over as its own).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The dependency graph could not be loaded.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The policy file is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The baseline, `trustcheck.lock`, is invalid.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// `Cargo.lock` could not be read.
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    /// The cache could not be used.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The registry index could not be reached, with nothing cached to fall back on.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A `.crate` file could not be downloaded.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// An environment variable of the tool has a value it does not understand.
    #[error(transparent)]
    Environment(#[from] EnvironmentError),
    /// A git revision could not be read (`diff`).
    #[error(transparent)]
    Revision(#[from] workspace::revision::RevisionError),
    /// The user interrupted the run (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
}
