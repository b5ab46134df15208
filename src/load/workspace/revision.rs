//! The git repository that holds a workspace, and its files at a revision (through
//! `crate::support::git`, so a `GIT_DIR` in the environment cannot point it at another repository).

use std::path::{Path, PathBuf};

use crate::support::git::{Git, GitError};

/// The largest root file read from a revision (the same cap as for files on disk).
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Errors reading revisions.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    /// `git` could not run, or the directory is not in a git repository.
    #[error("{} is not in a git repository (or git is not installed): {message}", dir.display())]
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
    /// git failed while reading a file of a revision.
    #[error("could not read {file} at {revision}: {source}")]
    Git {
        /// The file.
        file: String,
        /// The revision.
        revision: String,
        /// What went wrong.
        source: GitError,
    },
    /// The file at that revision is larger than any policy, baseline or lock file should be.
    #[error(
        "{file} at {revision} is {size} bytes, more than the {MAX_FILE_SIZE} bytes read at most"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// The revision.
        revision: String,
        /// Its size.
        size: u64,
    },
    /// `--policy` names a file outside the repository, which has no revisions.
    #[error("{} is outside the git repository at {}, so it has no revisions to compare", path.display(), top.display())]
    OutsideRepository {
        /// The file.
        path: PathBuf,
        /// The repository's top-level directory.
        top: PathBuf,
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
    /// The repository's top-level directory.
    pub top: PathBuf,
    /// The workspace's path from the repository root, with a trailing `/` (empty at the root).
    prefix: String,
}

impl Repository {
    /// The repository containing `workspace_dir`.
    pub fn discover(workspace_dir: &Path) -> Result<Repository, RevisionError> {
        let not_a_repository = |error: GitError| RevisionError::NotARepository {
            dir: workspace_dir.to_path_buf(),
            message: match error {
                GitError::Failed { stderr, .. } => stderr,
                other => other.to_string(),
            },
        };
        let git = Git::in_dir(workspace_dir);
        let prefix = git
            .text(&["rev-parse", "--show-prefix"])
            .map_err(not_a_repository)?;
        let top = git
            .text(&["rev-parse", "--show-toplevel"])
            .map_err(not_a_repository)?;
        Ok(Repository {
            workspace_dir: workspace_dir.to_path_buf(),
            top: PathBuf::from(top),
            prefix,
        })
    }

    /// Resolves a revision name to a commit.
    pub fn resolve(&self, name: &str) -> Result<Revision, RevisionError> {
        let unknown = |message: String| RevisionError::UnknownRevision {
            revision: name.to_owned(),
            message,
        };
        if name.starts_with('-') {
            return Err(unknown("not a commit of this repository".to_owned()));
        }
        let spec = format!("{name}^{{commit}}");
        match Git::in_dir(&self.workspace_dir).text(&["rev-parse", "--verify", "--quiet", &spec]) {
            Ok(id) => Ok(Revision::Commit {
                name: name.to_owned(),
                id,
            }),
            Err(GitError::Failed { .. }) => {
                Err(unknown("not a commit of this repository".to_owned()))
            }
            Err(error) => Err(unknown(error.to_string())),
        }
    }

    /// The path of a workspace file inside the repository, as `git show REV:PATH` wants it.
    fn object_path(&self, file: &Path) -> Result<String, RevisionError> {
        if file.is_absolute() {
            let top = self.top.canonicalize().unwrap_or_else(|_| self.top.clone());
            let absolute = file
                .parent()
                .and_then(|dir| dir.canonicalize().ok())
                .map(|dir| dir.join(file.file_name().unwrap_or_default()))
                .unwrap_or_else(|| file.to_path_buf());
            let relative =
                absolute
                    .strip_prefix(&top)
                    .map_err(|_| RevisionError::OutsideRepository {
                        path: file.to_path_buf(),
                        top: self.top.clone(),
                    })?;
            return Ok(relative.to_string_lossy().replace('\\', "/"));
        }
        Ok(format!(
            "{}{}",
            self.prefix,
            file.to_string_lossy().replace('\\', "/")
        ))
    }

    /// A file at a revision: `file` is relative to the workspace directory, or absolute inside
    /// the repository. `None` if it does not exist at that revision.
    pub fn read_at(
        &self,
        name: &str,
        id: &str,
        file: &Path,
    ) -> Result<Option<Vec<u8>>, RevisionError> {
        let object = format!("{id}:{}", self.object_path(file)?);
        let git = Git::in_dir(&self.workspace_dir);
        let failed = |source| RevisionError::Git {
            file: file.display().to_string(),
            revision: name.to_owned(),
            source,
        };
        if !git.succeeds(&["cat-file", "-e", &object]).map_err(failed)? {
            return Ok(None);
        }
        let size: u64 = git
            .text(&["cat-file", "-s", &object])
            .map_err(failed)?
            .parse()
            .unwrap_or(u64::MAX);
        if size > MAX_FILE_SIZE {
            return Err(RevisionError::TooLarge {
                file: file.display().to_string(),
                revision: name.to_owned(),
                size,
            });
        }
        git.output(&["cat-file", "blob", &object])
            .map(Some)
            .map_err(failed)
    }
}

impl Repository {
    /// Writes the repository's files at commit `id` under `dir` (an empty directory of the
    /// tool's), through an index of its own: the user's index, work tree, refs and hooks are
    /// not touched. Returns the workspace's directory in that copy.
    pub fn export(&self, name: &str, id: &str, dir: &Path) -> Result<PathBuf, RevisionError> {
        let failed = |source| RevisionError::Git {
            file: "the workspace's files".to_owned(),
            revision: name.to_owned(),
            source,
        };
        let tree = dir.join("tree");
        let git = Git::in_dir(&self.top).with_index_file(&dir.join("index"));
        git.output(&["read-tree", id]).map_err(failed)?;
        let mut prefix = tree.to_string_lossy().into_owned();
        prefix.push('/');
        git.output(&[
            "checkout-index",
            "--all",
            "--force",
            &format!("--prefix={prefix}"),
        ])
        .map_err(failed)?;
        Ok(tree.join(&self.prefix))
    }
}
