//! The library's error type: every way a run can fail (exit status 2), by concern.

use crate::advisories::AdvisoryError;
use crate::baseline::{AcceptError, BaselineError};
use crate::cache::CacheError;
use crate::graph::GraphError;
use crate::index::IndexError;
use crate::lockfile::LockfileError;
use crate::policy::PolicyError;

/// Why a command could not be done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The dependency graph could not be loaded.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The policy file is invalid.
    #[error("invalid policy: {0}")]
    Policy(#[from] PolicyError),
    /// The baseline, `trustcheck.lock`, is invalid.
    #[error("invalid baseline: {0}")]
    Baseline(BaselineError),
    /// `baseline --accept` was given a crate it cannot accept.
    #[error(transparent)]
    Accept(#[from] AcceptError),
    /// The advisory database could not be obtained or read.
    #[error(transparent)]
    Advisories(#[from] AdvisoryError),
    /// The registry index could not be reached, with nothing cached to fall back on.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// `Cargo.lock` could not be read.
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    /// The cache could not be used.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// An output file could not be written.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A crates.io database dump could not be read.
    #[error(transparent)]
    Dump(#[from] crate::ownership::dump::DumpError),
    /// The network failed and no cached data could stand in.
    #[error("network failure: {0}")]
    Network(String),
    /// The command was asked for something it cannot do.
    #[error("{0}")]
    Usage(String),
}
