//! Reading the workspace's files at a git revision (with the `git` command line) or in the
//! working tree.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Errors reading revisions.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    /// `git` could not run, or the directory is not in a git repository.
    #[error("{dir} is not in a git repository (or git is not installed): {message}")]
    NotARepository {
        /// The directory.
        dir: PathBuf,
        /// What git said.
        message: String,
    },
    /// The revision does not exist.
    #[error("unknown git revision `{revision}`: {message}")]
    UnknownRevision {
        /// The revision asked for.
        revision: String,
        /// What git said.
        message: String,
    },
    /// A file of the working tree could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Where files are read from: a git revision, or the working tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revision {
    /// A commit, resolved to its id.
    Commit {
        /// What the user wrote (`main`, `HEAD~1`).
        name: String,
        /// The commit id.
        id: String,
    },
    /// The files on disk.
    WorkingTree,
}

impl Revision {
    /// How reports name it.
    pub fn label(&self) -> String {
        match self {
            Revision::Commit { name, id } => {
                let short = &id[..id.len().min(12)];
                if id.starts_with(name.as_str()) {
                    short.to_owned()
                } else {
                    format!("{name} ({short})")
                }
            }
            Revision::WorkingTree => "working tree".to_owned(),
        }
    }
}

/// The git repository holding a workspace, and the workspace's path inside it.
#[derive(Clone, Debug)]
pub struct Repository {
    /// The directory of the workspace (where `Cargo.lock` and `trustcheck.toml` live).
    pub workspace_dir: PathBuf,
    /// The workspace's path from the repository root, with a trailing `/` (empty at the root).
    prefix: String,
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, std::io::Error> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
}

impl Repository {
    /// The repository containing `workspace_dir`.
    pub fn discover(workspace_dir: &Path) -> Result<Repository, RevisionError> {
        let output = git(workspace_dir, &["rev-parse", "--show-prefix"]).map_err(|error| {
            RevisionError::NotARepository {
                dir: workspace_dir.to_path_buf(),
                message: error.to_string(),
            }
        })?;
        if !output.status.success() {
            return Err(RevisionError::NotARepository {
                dir: workspace_dir.to_path_buf(),
                message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        Ok(Repository {
            workspace_dir: workspace_dir.to_path_buf(),
            prefix: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        })
    }

    /// Resolves a revision name to a commit.
    pub fn resolve(&self, name: &str) -> Result<Revision, RevisionError> {
        let spec = format!("{name}^{{commit}}");
        let output = git(
            &self.workspace_dir,
            &["rev-parse", "--verify", "--quiet", &spec],
        )
        .map_err(|error| RevisionError::UnknownRevision {
            revision: name.to_owned(),
            message: error.to_string(),
        })?;
        if !output.status.success() || name.starts_with('-') {
            return Err(RevisionError::UnknownRevision {
                revision: name.to_owned(),
                message: "not a commit of this repository".to_owned(),
            });
        }
        Ok(Revision::Commit {
            name: name.to_owned(),
            id: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        })
    }

    /// A workspace file (`Cargo.lock`, `trustcheck.toml` ...) at a revision; `None` if absent there.
    pub fn read(&self, revision: &Revision, file: &str) -> Result<Option<String>, RevisionError> {
        match revision {
            Revision::WorkingTree => {
                let path = self.workspace_dir.join(file);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(RevisionError::Read { path, source }),
                }
            }
            Revision::Commit { name, id } => {
                let object = format!("{id}:{}{file}", self.prefix);
                let output =
                    git(&self.workspace_dir, &["cat-file", "-e", &object]).map_err(|error| {
                        RevisionError::UnknownRevision {
                            revision: name.clone(),
                            message: error.to_string(),
                        }
                    })?;
                if !output.status.success() {
                    return Ok(None);
                }
                let output = git(&self.workspace_dir, &["show", &object]).map_err(|error| {
                    RevisionError::UnknownRevision {
                        revision: name.clone(),
                        message: error.to_string(),
                    }
                })?;
                Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()))
            }
        }
    }
}
