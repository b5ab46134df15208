//! Why a run could not be done (exit status 2): one typed error per domain, gathered here.
//! Each says what was wrong and where; none is a bare string.

use std::path::PathBuf;

use crate::facts::advisories::AdvisoryError;
use crate::facts::index::IndexError;
use crate::facts::ownership::dump::DumpError;
use crate::load::LoadError;
use crate::load::baseline::{AcceptError, BaselineError};
use crate::load::graph::GraphError;
use crate::load::lockfile::LockfileError;
use crate::load::workspace::revision::RevisionError;
use crate::policy::PolicyError;
use crate::support::cache::CacheError;
use crate::support::network::EnvironmentError;

/// Why a command could not be done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The dependency graph could not be loaded.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The policy file is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The baseline, `trustcheck.lock`, is invalid.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
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
    /// A git revision could not be read (`diff`).
    #[error(transparent)]
    Revision(#[from] RevisionError),
    /// A crates.io database dump could not be read.
    #[error(transparent)]
    Dump(#[from] DumpError),
    /// A `.crate` file could not be downloaded, or its registry served another file than the
    /// lock file names.
    #[error(transparent)]
    Download(#[from] crate::facts::crates::download::DownloadError),
    /// An output file could not be written.
    #[error("could not write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The command line asked for something the command cannot do.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// `fetch` could not refresh every cache.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The user interrupted the run (Ctrl-C).
    #[error(
        "interrupted: what was fetched until then is kept in the cache; run the same command again to go on from there"
    )]
    Interrupted,
}

impl From<LoadError> for Error {
    fn from(error: LoadError) -> Error {
        match error {
            LoadError::Graph(error) => Error::Graph(error),
            LoadError::Policy(error) => Error::Policy(error),
            LoadError::Baseline(error) => Error::Baseline(error),
            LoadError::Lockfile(error) => Error::Lockfile(error),
            LoadError::Cache(error) => Error::Cache(error),
            LoadError::Index(error) => Error::Index(error),
            LoadError::Download(error) => Error::Download(error),
            LoadError::Environment(error) => Error::Usage(UsageError::InvalidEnvironment(error)),
            LoadError::Revision(error) => Error::Revision(error),
            LoadError::Interrupted => Error::Interrupted,
        }
    }
}

impl Error {
    /// The exit status this error ends the run with.
    pub fn exit_code(&self) -> u8 {
        crate::exit::FAILED
    }
}

/// A command asked for something it cannot do.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// An environment variable of the tool has a value it does not understand.
    #[error(transparent)]
    InvalidEnvironment(#[from] EnvironmentError),
    /// Options before the subcommand that could not be read as the subcommand's own.
    #[error(
        "the options before `{command}` could not be read as its own; write them after it: `cargo trustcheck {command} ...`"
    )]
    OptionsBeforeSubcommand {
        /// The subcommand.
        command: &'static str,
    },
    /// `init` would overwrite a file.
    #[error(
        "{} already exists; `init` does not overwrite it (pass --force to replace both files, or run `cargo trustcheck baseline` to refresh only the baseline)",
        path.display()
    )]
    WouldOverwrite {
        /// The existing file.
        path: PathBuf,
    },
    /// `baseline --accept` without a baseline.
    #[error(
        "there is no baseline to accept into: {} does not exist (create it with `cargo trustcheck init` or `cargo trustcheck baseline`)",
        path.display()
    )]
    NoBaseline {
        /// Where the baseline should be.
        path: PathBuf,
    },
    /// `explain ID` for an advisory the database does not have.
    #[error("no advisory `{id}` in the advisory database at {location}")]
    NoSuchAdvisory {
        /// The id asked for.
        id: String,
        /// Where the database is.
        location: String,
    },
    /// `explain CRATE` for a crate that is not in the graph.
    #[error("crate `{subject}` is not in the dependency graph of {}", root.display())]
    NotInGraph {
        /// The crate (and version) asked for.
        subject: String,
        /// The workspace root.
        root: PathBuf,
    },
}

/// What `fetch` could not refresh; what it did refresh is kept.
#[derive(Debug, thiserror::Error)]
#[error("fetch could not refresh every cache: {}", failures.join("; "))]
pub struct FetchError {
    /// One line per cause.
    pub failures: Vec<String>,
}
