//! Loading a workspace: the dependency graph, and the policy, lock file and baseline at its root.
//!
//! `cargo metadata` is the slowest part of a run, so `Loading::start` spawns it first and reads
//! the root files at the (guessed) workspace root while it runs; `finish` waits for the graph and
//! re-reads those files if cargo's workspace root turns out to be elsewhere. An invalid policy
//! or baseline stops the run at once, before anything else (the network above all) is touched.
//!
//! `files` reads root files from the working tree or a git revision; `revision` is the git side.

pub mod files;
pub mod revision;

use std::path::{Path, PathBuf};

use crate::baseline::Baseline;
use crate::date::Date;
use crate::error::Error;
use crate::graph::{DependencyGraph, GraphOptions, MetadataJob, MetadataSource};
use crate::lockfile::Lockfile;
use crate::policy::Policy;
use files::{FileOptions, FileSource, RootFiles};

/// Where the workspace is and how to read it.
#[derive(Clone, Debug, Default)]
pub struct WorkspaceOptions {
    /// `--manifest-path`.
    pub manifest_path: Option<PathBuf>,
    /// `--metadata-json`: recorded `cargo metadata` output to use instead of running cargo.
    pub metadata_json: Option<PathBuf>,
    /// `--policy`.
    pub policy: Option<PathBuf>,
    /// `--offline` (also passed to cargo).
    pub offline: bool,
    /// `--locked`: a missing `Cargo.lock` is an error (an out-of-date one always is).
    pub locked: bool,
    /// How to narrow the graph.
    pub graph: GraphOptions,
}

impl WorkspaceOptions {
    fn metadata_source(&self) -> MetadataSource {
        match &self.metadata_json {
            Some(path) => MetadataSource::Recorded(path.clone()),
            None => MetadataSource::Cargo {
                manifest_path: self.manifest_path.clone(),
                offline: self.offline,
                locked: self.locked,
            },
        }
    }
}

/// Which root files a command reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reads {
    /// The policy: validated, or the built-in defaults when there is none.
    pub policy: bool,
    /// The baseline, `trustcheck.lock`.
    pub baseline: bool,
}

impl Reads {
    /// Every root file (`check`, `explain`, `fetch`).
    pub const ALL: Reads = Reads {
        policy: true,
        baseline: true,
    };
}

/// A loaded workspace.
#[derive(Debug)]
pub struct Workspace {
    /// The workspace root.
    pub root: PathBuf,
    /// The (narrowed) dependency graph.
    pub graph: DependencyGraph,
    /// The policy (the built-in defaults when there is no policy file, or when not read).
    pub policy: Policy,
    /// `Cargo.lock`, when present.
    pub lockfile: Option<Lockfile>,
    /// The baseline, `trustcheck.lock`, when present (and read).
    pub baseline: Option<Baseline>,
    /// What the report should say about how the workspace was loaded.
    pub notes: Vec<String>,
}

/// A workspace being loaded: `cargo metadata` runs while the root's files are read.
pub struct Loading {
    job: MetadataJob,
    early_root: PathBuf,
    early: RootFiles,
    options: WorkspaceOptions,
    reads: Reads,
    today: Date,
}

fn read_root_files(
    root: &Path,
    options: &WorkspaceOptions,
    reads: Reads,
    today: Date,
) -> RootFiles {
    RootFiles::read(
        FileSource::WorkingTree { root },
        &FileOptions {
            policy: options.policy.clone(),
            read_policy: reads.policy,
            read_baseline: reads.baseline,
            today,
        },
    )
}

impl Loading {
    /// Starts `cargo metadata` and reads the files at the guessed workspace root. An invalid
    /// policy or baseline there is an error at once.
    pub fn start(options: &WorkspaceOptions, reads: Reads, today: Date) -> Result<Loading, Error> {
        crate::graph::narrow::validate_targets(&options.graph.targets)?;
        let job = MetadataJob::start(&options.metadata_source())?;
        let early_root = guess_root(options.manifest_path.as_deref());
        let early = read_root_files(&early_root, options, reads, today);
        let loading = Loading {
            job,
            early_root,
            early,
            options: options.clone(),
            reads,
            today,
        };
        if loading.early.policy.is_err() || loading.early.baseline.is_err() {
            let RootFiles {
                policy, baseline, ..
            } = loading.cancel();
            policy?;
            baseline?;
            unreachable!("one of the two is an error");
        }
        Ok(loading)
    }

    fn cancel(self) -> RootFiles {
        self.job.cancel();
        self.early
    }

    /// The policy read at the guessed root.
    pub fn early_policy(&self) -> Option<&Policy> {
        self.early.policy.as_ref().ok().and_then(Option::as_ref)
    }

    /// The lock file at the guessed root, if any.
    pub fn early_lockfile(&self) -> Option<&Lockfile> {
        self.early.lockfile.as_ref().ok().and_then(Option::as_ref)
    }

    /// Waits for the graph and returns the workspace.
    pub fn finish(self) -> Result<Workspace, Error> {
        let metadata = self.job.wait()?;
        let graph = DependencyGraph::from_metadata_json(&metadata.json, &self.options.graph)?;
        let files = if same_dir(&graph.workspace_root, &self.early_root) {
            self.early
        } else {
            read_root_files(&graph.workspace_root, &self.options, self.reads, self.today)
        };
        Ok(Workspace {
            root: graph.workspace_root.clone(),
            policy: files.policy?.unwrap_or_default(),
            lockfile: files.lockfile.ok().flatten(),
            baseline: files.baseline?,
            notes: metadata.notes,
            graph,
        })
    }
}

/// The graph of the workspace at `revision`, narrowed by `options.graph`: `cargo metadata` on
/// the working tree, or on a copy of the commit's files in the cache's scratch space (cargo
/// reads the manifests it needs; the user's repository is not touched).
pub fn graph_at(
    repository: &revision::Repository,
    revision: &revision::Revision,
    options: &WorkspaceOptions,
) -> Result<DependencyGraph, Error> {
    let (source, _scratch) = match revision {
        revision::Revision::WorkingTree => (options.metadata_source(), None),
        revision::Revision::Commit { name, id } => {
            let scratch =
                crate::cache::ScratchDir::new(&crate::cache::CacheDir::from_env()?, "revision")?;
            let dir = repository.export(name, id, scratch.path())?;
            let source = MetadataSource::Cargo {
                manifest_path: Some(dir.join("Cargo.toml")),
                offline: options.offline,
                locked: true,
            };
            (source, Some(scratch))
        }
    };
    let metadata = MetadataJob::start(&source)?.wait()?;
    Ok(DependencyGraph::from_metadata_json(
        &metadata.json,
        &options.graph,
    )?)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Guesses the workspace root as cargo finds it: from the manifest (or the nearest `Cargo.toml`
/// above the current directory), the nearest ancestor whose `Cargo.toml` has `[workspace]`.
pub fn guess_root(manifest_path: Option<&Path>) -> PathBuf {
    let current = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let package_dir = match manifest_path {
        Some(path) => {
            let path = current.join(path);
            path.parent().map(Path::to_path_buf).unwrap_or(path)
        }
        None => current
            .ancestors()
            .find(|dir| dir.join("Cargo.toml").is_file())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| current.clone()),
    };
    package_dir
        .ancestors()
        .find(|dir| {
            crate::files::read_text(&dir.join("Cargo.toml"), 16 * crate::files::MIB)
                .map(|text| {
                    text.lines().any(|line| {
                        line.trim() == "[workspace]" || line.trim_start().starts_with("[workspace.")
                    })
                })
                .unwrap_or(false)
        })
        .map(Path::to_path_buf)
        .unwrap_or(package_dir)
}

/// Whether there is a Cargo workspace to load (a `Cargo.toml` at or above the guessed root,
/// or recorded metadata).
pub fn exists(options: &WorkspaceOptions) -> bool {
    options.metadata_json.is_some()
        || guess_root(options.manifest_path.as_deref())
            .join("Cargo.toml")
            .is_file()
}
