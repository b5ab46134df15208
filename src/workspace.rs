//! Loading a workspace: the dependency graph, and the policy, lock file and baseline at its root.
//!
//! `cargo metadata` is the slowest part of a run, so `Loading::start` spawns it first and reads
//! the files at the (guessed) workspace root while it runs; `finish` waits for the graph and
//! re-reads those files if cargo's workspace root turns out to be elsewhere.

use std::path::{Path, PathBuf};

use crate::baseline::{BASELINE_FILE, Baseline, BaselineError};
use crate::date::Date;
use crate::error::Error;
use crate::graph::{DependencyGraph, GraphOptions, MetadataJob, MetadataSource};
use crate::lockfile::Lockfile;
use crate::policy::{DEFAULT_POLICY_FILE, Policy, PolicyError};

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
    /// `--locked` (passed to cargo).
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

/// A loaded workspace.
#[derive(Debug)]
pub struct Workspace {
    /// The workspace root.
    pub root: PathBuf,
    /// The (narrowed) dependency graph.
    pub graph: DependencyGraph,
    /// The policy (the built-in defaults when there is no policy file).
    pub policy: Policy,
    /// `Cargo.lock`, when present.
    pub lockfile: Option<Lockfile>,
    /// The baseline, `trustcheck.lock`, when present.
    pub baseline: Option<Baseline>,
}

/// The files read at the workspace root.
struct RootFiles {
    root: PathBuf,
    policy: Result<Policy, PolicyError>,
    lockfile: Option<Lockfile>,
    baseline: Result<Option<Baseline>, BaselineError>,
}

impl RootFiles {
    fn read(root: &Path, options: &WorkspaceOptions, today: Date) -> RootFiles {
        let policy = match &options.policy {
            Some(path) => Policy::load(path, true, today),
            None => Policy::load(&root.join(DEFAULT_POLICY_FILE), false, today),
        };
        RootFiles {
            root: root.to_path_buf(),
            policy,
            lockfile: Lockfile::load(&root.join("Cargo.lock")).ok(),
            baseline: Baseline::load(&root.join(BASELINE_FILE)),
        }
    }
}

/// A workspace being loaded: `cargo metadata` runs while the root's files are read.
pub struct Loading {
    job: MetadataJob,
    early: RootFiles,
    options: WorkspaceOptions,
    today: Date,
}

impl Loading {
    /// Starts `cargo metadata` and reads the files at the guessed workspace root.
    pub fn start(options: &WorkspaceOptions, today: Date) -> Result<Loading, Error> {
        let job = MetadataJob::start(&options.metadata_source())?;
        let root = guess_root(options.manifest_path.as_deref());
        Ok(Loading {
            job,
            early: RootFiles::read(&root, options, today),
            options: options.clone(),
            today,
        })
    }

    /// The policy read at the guessed root, if it is valid.
    pub fn early_policy(&self) -> Option<&Policy> {
        self.early.policy.as_ref().ok()
    }

    /// The lock file at the guessed root, if any.
    pub fn early_lockfile(&self) -> Option<&Lockfile> {
        self.early.lockfile.as_ref()
    }

    /// Waits for the graph and returns the workspace.
    pub fn finish(self) -> Result<Workspace, Error> {
        let json = self.job.wait()?;
        let graph = DependencyGraph::from_metadata_json(&json, &self.options.graph)?;
        let files = if same_dir(&graph.workspace_root, &self.early.root) {
            self.early
        } else {
            RootFiles::read(&graph.workspace_root, &self.options, self.today)
        };
        Ok(Workspace {
            root: graph.workspace_root.clone(),
            policy: files.policy?,
            lockfile: files.lockfile,
            baseline: files.baseline.map_err(Error::Baseline)?,
            graph,
        })
    }
}

/// Loads only the dependency graph, for commands that need neither the policy nor the
/// advisories (`init`, `baseline`).
pub fn load_graph(options: &WorkspaceOptions) -> Result<DependencyGraph, Error> {
    let json = MetadataJob::start(&options.metadata_source())?.wait()?;
    Ok(DependencyGraph::from_metadata_json(&json, &options.graph)?)
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
            std::fs::read_to_string(dir.join("Cargo.toml"))
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
