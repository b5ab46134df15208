//! One way to read a workspace's root files — the policy (`trustcheck.toml` or `--policy`),
//! `Cargo.lock` and the baseline (`trustcheck.lock`) — from the working tree or from a git
//! revision. Every command reads them here, so they are parsed, located in errors and bounded
//! the same way whichever command or revision asks.

use std::path::{Path, PathBuf};

use super::revision::{Repository, RevisionError};
use crate::load::baseline::{self, BASELINE_FILE, Baseline, BaselineError};
use crate::load::lockfile::{Lockfile, LockfileError};
use crate::policy::{DEFAULT_POLICY_FILE, Policy, PolicyError, parse_policy};
use crate::support::date::Date;
use crate::support::diagnostic::{FileKind, LocatedError};
use crate::support::files::{self, FileError};

/// The lock file's name at the workspace root.
pub const LOCK_FILE: &str = "Cargo.lock";

/// The largest root file read from disk.
pub const MAX_FILE_SIZE: u64 = super::revision::MAX_FILE_SIZE;

/// Where the root files are read from.
#[derive(Clone, Copy, Debug)]
pub enum FileSource<'a> {
    /// The files on disk, in the workspace root.
    WorkingTree {
        /// The workspace root.
        root: &'a Path,
    },
    /// The files of a commit.
    Revision {
        /// The repository holding the workspace.
        repository: &'a Repository,
        /// The revision as the user named it.
        name: &'a str,
        /// The commit id.
        id: &'a str,
    },
}

/// Which root files to read, and how.
#[derive(Clone, Debug)]
pub struct FileOptions {
    /// `--policy`: this policy file instead of `trustcheck.toml` at the root; it must exist.
    pub policy: Option<PathBuf>,
    /// Read and validate the policy (`init` writes one instead).
    pub read_policy: bool,
    /// Read and validate the baseline (`baseline` reads it itself, conflicts and all).
    pub read_baseline: bool,
    /// The date exemption limits are judged against.
    pub today: Date,
}

/// A root file's text, and the name errors give it.
struct RootFile {
    text: String,
    shown_as: PathBuf,
}

/// Why a root file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// From disk, or not text.
    #[error(transparent)]
    File(#[from] FileError),
    /// From a revision.
    #[error(transparent)]
    Revision(#[from] RevisionError),
}

impl ReadError {
    /// The error as one located in the file it is about.
    fn located<F: FileKind>(self, file: &Path) -> LocatedError<F> {
        match self {
            ReadError::File(error) => LocatedError::of_file(error),
            ReadError::Revision(error) => LocatedError::whole_file(file, error.to_string()),
        }
    }
}

impl FileSource<'_> {
    /// Reads `file` (relative to the workspace root, or absolute); `None` if it does not exist.
    fn read(&self, file: &Path) -> Result<Option<RootFile>, ReadError> {
        match self {
            FileSource::WorkingTree { root } => {
                let path = root.join(file);
                match files::read_text(&path, MAX_FILE_SIZE) {
                    Ok(text) => Ok(Some(RootFile {
                        text,
                        shown_as: path,
                    })),
                    Err(error) if error.is_not_found() => Ok(None),
                    Err(error) => Err(error.into()),
                }
            }
            FileSource::Revision {
                repository,
                name,
                id,
            } => {
                let Some(bytes) = repository.read_at(name, id, file)? else {
                    return Ok(None);
                };
                let shown_as = PathBuf::from(format!("{name}:{}", file.display()));
                Ok(Some(RootFile {
                    text: files::decode(&shown_as, bytes)?,
                    shown_as,
                }))
            }
        }
    }
}

/// The root files of a workspace, each parsed, or why it could not be.
#[derive(Debug)]
pub struct RootFiles {
    /// The policy (the built-in defaults when there is no policy file; `None` when not read).
    pub policy: Result<Option<Policy>, PolicyError>,
    /// `Cargo.lock`, when there is one.
    pub lockfile: Result<Option<Lockfile>, LockfileError>,
    /// `Cargo.lock`'s text, when it was read and parsed (cargo's verdict on the lock file is
    /// recorded for it).
    pub lockfile_text: Option<String>,
    /// The baseline, when there is one (`None` also when not read).
    pub baseline: Result<Option<Baseline>, BaselineError>,
}

impl RootFiles {
    /// Reads and parses the root files from `source`.
    pub fn read(source: FileSource<'_>, options: &FileOptions) -> RootFiles {
        let (lockfile, lockfile_text) = match read_lockfile(source) {
            Ok(Some((lockfile, text))) => (Ok(Some(lockfile)), Some(text)),
            Ok(None) => (Ok(None), None),
            Err(error) => (Err(error), None),
        };
        RootFiles {
            policy: if options.read_policy {
                read_policy(source, options).map(Some)
            } else {
                Ok(None)
            },
            lockfile,
            lockfile_text,
            baseline: if options.read_baseline {
                read_baseline(source)
            } else {
                Ok(None)
            },
        }
    }
}

fn read_policy(source: FileSource<'_>, options: &FileOptions) -> Result<Policy, PolicyError> {
    let file = options
        .policy
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_POLICY_FILE));
    match source.read(&file).map_err(|error| error.located(&file))? {
        Some(root_file) => parse_policy(&root_file.text, &root_file.shown_as, options.today),
        None if options.policy.is_some() => Err(PolicyError::whole_file(
            &file,
            "the policy file given with --policy does not exist",
        )),
        None => Ok(Policy::default()),
    }
}

/// `Cargo.lock`, parsed, and its text.
fn read_lockfile(source: FileSource<'_>) -> Result<Option<(Lockfile, String)>, LockfileError> {
    let file = Path::new(LOCK_FILE);
    let Some(root_file) = source.read(file).map_err(|error| LockfileError::Read {
        path: file.display().to_string(),
        message: error.to_string(),
    })?
    else {
        return Ok(None);
    };
    Lockfile::parse(&root_file.text)
        .map(|lockfile| Some((lockfile, root_file.text)))
        .map_err(|message| LockfileError::Invalid {
            path: root_file.shown_as.display().to_string(),
            message,
        })
}

fn read_baseline(source: FileSource<'_>) -> Result<Option<Baseline>, BaselineError> {
    let file = Path::new(BASELINE_FILE);
    match source.read(file).map_err(|error| error.located(file))? {
        Some(root_file) => baseline::parse(&root_file.text, &root_file.shown_as).map(Some),
        None => Ok(None),
    }
}

/// The baseline's text from disk, for `baseline`, which rewrites it even when it does not parse.
pub fn baseline_text(root: &Path) -> Result<Option<String>, BaselineError> {
    let file = Path::new(BASELINE_FILE);
    FileSource::WorkingTree { root }
        .read(file)
        .map(|root_file| root_file.map(|root_file| root_file.text))
        .map_err(|error| error.located(&root.join(file)))
}
