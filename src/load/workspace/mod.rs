//! Loading a workspace: the dependency graph, and the policy, lock file and baseline at its root.
//!
//! `cargo metadata` is the slowest part of a run, so `Loading::start` spawns it first and reads
//! the root files at the (guessed) workspace root while it runs; `finish` waits for the graph and
//! re-reads those files if cargo's workspace root turns out to be elsewhere. An invalid policy
//! or baseline stops the run at once, before anything else (the network above all) is touched.
//!
//! For the default graph, `lockfile_first` reads the graph from `Cargo.lock` instead: then
//! `Loading::start` spawns only `cargo metadata --no-deps` (the members), and `finish` gives
//! way to the full `cargo metadata` wherever the lock file cannot be read with certainty.
//!
//! `files` reads root files from the working tree or a git revision; `revision` is the git side.

pub mod files;
pub mod lockfile_first;
pub mod lockfile_graph;
pub mod revision;
pub mod verified;

use std::path::{Path, PathBuf};

use crate::load::LoadError as Error;
use crate::load::baseline::Baseline;
use crate::load::graph::members::MembersJob;
use crate::load::graph::{DependencyGraph, GraphOptions, MetadataJob, MetadataSource};
use crate::load::lockfile::Lockfile;
use crate::load::workspace::lockfile_graph::{Fallback, GraphSource};
use crate::policy::Policy;
use crate::support::date::Date;
use files::{FileOptions, FileSource, RootFiles};
use lockfile_first::{Mode, NotBuilt};

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
    /// How downloads of crates show their progress.
    pub progress: crate::support::progress::ProgressMode,
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
    /// How the graph was read (`--verbose` says it).
    pub graph_source: GraphSource,
    /// With `TRUSTCHECK_GRAPH=compare`: the graph read from `Cargo.lock`, which the run checks
    /// against `graph` (read from `cargo metadata`).
    pub lockfile_graph: Option<DependencyGraph>,
}

/// How the graph is being obtained.
enum Job {
    /// `cargo metadata` (or recorded metadata), and why not the lock file.
    Metadata(MetadataJob, Fallback),
    /// `cargo metadata --no-deps`, for the graph from `Cargo.lock`.
    Members(MembersJob, Mode),
}

/// A workspace being loaded: `cargo metadata` runs while the root's files are read.
pub struct Loading {
    job: Job,
    early_root: PathBuf,
    early: RootFiles,
    context: Context,
}

/// What loading was asked for.
struct Context {
    options: WorkspaceOptions,
    reads: Reads,
    today: Date,
}

impl Context {
    /// The root files at `root`.
    fn root_files(&self, root: &Path) -> RootFiles {
        read_root_files(root, &self.options, self.reads, self.today)
    }

    /// The workspace with the graph `job` gives (`cargo metadata`), and the root files `read`
    /// at `read_root` (read again at cargo's workspace root if that is elsewhere).
    fn with_metadata_graph(
        &self,
        job: MetadataJob,
        reason: Fallback,
        read_root: &Path,
        read: RootFiles,
    ) -> Result<Workspace, Error> {
        let metadata = match job.wait() {
            Ok(metadata) => metadata,
            // Offline, cargo fails on what it would have to download: say which facts the
            // caches lack, and how to fill them, before cargo's own words.
            Err(crate::load::graph::GraphError::CargoFailed { status, stderr })
                if self.options.offline =>
            {
                return Err(crate::load::graph::GraphError::OfflineWithoutFacts {
                    reason: reason.0,
                    status,
                    stderr,
                }
                .into());
            }
            Err(error) => return Err(error.into()),
        };
        let mut graph = DependencyGraph::from_metadata_json(&metadata.json, &self.options.graph)?;
        let files = if same_dir(&graph.workspace_root, read_root) {
            read
        } else {
            self.root_files(&graph.workspace_root)
        };
        let clarifications = match &files.policy {
            Ok(Some(policy)) => policy.licenses.clarify.as_slice(),
            _ => &[],
        };
        lockfile_first::read_code(
            &mut graph,
            files.lockfile.as_ref().ok().and_then(Option::as_ref),
            &self.options,
            clarifications,
        )?;
        Ok(Workspace {
            root: graph.workspace_root.clone(),
            policy: files.policy?.unwrap_or_default(),
            lockfile: files.lockfile.ok().flatten(),
            baseline: files.baseline?,
            notes: metadata.notes,
            graph,
            graph_source: GraphSource::Metadata(reason),
            lockfile_graph: None,
        })
    }

    /// Starts `cargo metadata` now, for `with_metadata_graph`.
    fn start_metadata(&self) -> Result<MetadataJob, Error> {
        Ok(MetadataJob::start(&self.options.metadata_source())?)
    }
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
        crate::load::graph::narrow::validate_targets(&options.graph.targets)?;
        let early_root = guess_root(options.manifest_path.as_deref());
        refuse_unreadable_lockfile(&early_root)?;
        let mode = Mode::from_env();
        let job = match lockfile_first::metadata_only(options, mode) {
            Some(reason) => Job::Metadata(MetadataJob::start(&options.metadata_source())?, reason),
            None => Job::Members(
                MembersJob::start(options.manifest_path.as_deref(), options.offline)?,
                mode,
            ),
        };
        let early = read_root_files(&early_root, options, reads, today);
        let loading = Loading {
            job,
            early_root,
            early,
            context: Context {
                options: options.clone(),
                reads,
                today,
            },
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
        match self.job {
            Job::Metadata(job, _) => job.cancel(),
            Job::Members(job, _) => job.cancel(),
        }
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
        let context = &self.context;
        let (job, mode) = match self.job {
            Job::Metadata(job, reason) => {
                return context.with_metadata_graph(job, reason, &self.early_root, self.early);
            }
            Job::Members(job, mode) => (job, mode),
        };
        let members = job.wait()?;
        let root = &members.workspace_root;
        if !same_dir(root, &self.early_root) {
            refuse_unreadable_lockfile(root)?;
        }
        let files = if same_dir(root, &self.early_root) {
            self.early
        } else {
            context.root_files(root)
        };
        // An invalid policy or baseline stops the run before anything is downloaded.
        let files = match files {
            RootFiles {
                policy: Err(error), ..
            } => return Err(error.into()),
            RootFiles {
                baseline: Err(error),
                ..
            } => return Err(error.into()),
            files => files,
        };
        let (graph, graph_source) = match lockfile_first::build(&context.options, &members, &files)
        {
            Ok(built) => built,
            Err(NotBuilt::Error(error)) => return Err(*error),
            Err(NotBuilt::Fallback(reason)) => {
                return context.with_metadata_graph(context.start_metadata()?, reason, root, files);
            }
        };
        if mode == Mode::Compare {
            let reason = Fallback(format!(
                "{}=compare (checked against the graph read from Cargo.lock)",
                lockfile_first::GRAPH_ENV
            ));
            let mut workspace =
                context.with_metadata_graph(context.start_metadata()?, reason, root, files)?;
            workspace.lockfile_graph = Some(graph);
            return Ok(workspace);
        }
        Ok(Workspace {
            root: graph.workspace_root.clone(),
            policy: files.policy?.unwrap_or_default(),
            lockfile: files.lockfile.ok().flatten(),
            baseline: files.baseline?,
            notes: Vec::new(),
            graph,
            graph_source,
            lockfile_graph: None,
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
            let scratch = crate::support::cache::ScratchDir::new(
                &crate::support::cache::CacheDir::from_env()?,
                "revision",
            )?;
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

/// Refuses, before cargo is run on it, a `Cargo.lock` at `root` that is not a regular file of
/// at most `files::MAX_FILE_SIZE` bytes: cargo would block forever on a FIFO and read
/// `/dev/zero` until memory runs out.
fn refuse_unreadable_lockfile(root: &Path) -> Result<(), Error> {
    let path = root.join(files::LOCK_FILE);
    match crate::support::files::check_regular(&path, files::MAX_FILE_SIZE) {
        Ok(_) => Ok(()),
        Err(error) => Err(crate::load::lockfile::LockfileError::Read {
            path: crate::support::text::sanitize_terminal(&path.display().to_string()),
            message: format!("{}; cargo was not run on it", error.reason()),
        }
        .into()),
    }
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
            crate::support::files::read_text(
                &dir.join("Cargo.toml"),
                16 * crate::support::files::MIB,
            )
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
