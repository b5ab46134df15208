//! The workspace's resolved dependency graph: packages, the edges between them, and the shortest
//! dependency paths from the workspace members.
//!
//! By default the graph holds every package of the resolve, for every platform and feature,
//! dev-dependencies included: the registry packages are exactly those of `Cargo.lock`.
//! `narrow` narrows it the way cargo would build it; `metadata` runs `cargo metadata`;
//! `package` says what is known of one package. For the default graph, `lockfile` reads the
//! same graph from `Cargo.lock` instead, with the members from `members` (`cargo metadata
//! --no-deps`), when `verified` (cargo's `--locked` verdict) says the lock file is up to date.

pub mod members;
pub mod metadata;
pub mod narrow;
pub mod package;
pub mod path;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use guppy::PackageId;
use guppy::graph::{PackageGraph, PackageMetadata, PackagePublish, PackageSource};

pub use metadata::{Metadata, MetadataJob, MetadataSource};
pub use narrow::GraphOptions;
pub use package::{
    BuildCode, CRATES_IO_GIT_INDEX, CRATES_IO_SPARSE_INDEX, Package, PackageCode, PackageRef,
    SourceKind, is_crates_io_index,
};
pub use path::{DependencyPath, PathStep};

/// How many shortest paths are kept per package.
pub const MAX_PATHS: usize = 5;

/// Errors while loading the dependency graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// `cargo` could not be started.
    #[error("could not run `{program} metadata`: {source}")]
    Spawn {
        /// The cargo program that was run.
        program: String,
        /// Why it could not run.
        source: std::io::Error,
    },
    /// `cargo metadata` ran and failed.
    #[error("`cargo metadata` failed ({status}):\n{stderr}")]
    CargoFailed {
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// With `--offline`, the graph could not be read from `Cargo.lock` and `cargo metadata`,
    /// asked instead, failed too (it cannot download what it lacks).
    #[error(
        "--offline: the graph could not be read from Cargo.lock ({reason}), and `cargo metadata`, asked instead, failed ({status}): \
         what it names is missing from this machine's caches; run `cargo trustcheck fetch` when the network is available \
         (it fills the caches that `check --offline` reads). cargo said:\n{stderr}"
    )]
    OfflineWithoutFacts {
        /// Why the graph was not read from `Cargo.lock`.
        reason: String,
        /// cargo's exit status.
        status: String,
        /// What cargo printed on stderr.
        stderr: String,
    },
    /// Recorded metadata could not be read.
    #[error("could not read recorded cargo metadata: {0}")]
    ReadMetadata(crate::support::files::FileError),
    /// The metadata is not valid `cargo metadata` JSON.
    #[error("invalid cargo metadata: {0}")]
    InvalidMetadata(String),
    /// A `--target` that is not a known target triple.
    #[error("unknown target triple `{0}` (see `rustc --print target-list`)")]
    UnknownTarget(String),
    /// A `--features` entry that no workspace member has.
    #[error("no workspace member has a feature `{0}`")]
    UnknownFeature(String),
    /// A `--features member/feature` entry naming no workspace member.
    #[error("`--features {member}/{feature}`: the workspace has no member named `{member}`")]
    UnknownMember {
        /// The member named.
        member: String,
        /// The feature asked for.
        feature: String,
    },
    /// A `--features member/feature` entry naming a feature the member does not have.
    #[error("`--features {member}/{feature}`: the member `{member}` has no feature `{feature}`")]
    UnknownMemberFeature {
        /// The member.
        member: String,
        /// The feature asked for.
        feature: String,
    },
    /// `Cargo.lock` is out of date with the manifests, or damaged: cargo would rewrite it.
    #[error(
        "{} is out of date with the manifests or damaged (cargo would have to rewrite it); update it with `cargo update` or `cargo generate-lockfile` and review the change, then run again. cargo-trustcheck never modifies a lock file",
        path.display()
    )]
    LockfileOutOfDate {
        /// The lock file.
        path: PathBuf,
    },
    /// `--locked` was given and the workspace has no `Cargo.lock`.
    #[error("{} does not exist and --locked was given; create it with `cargo generate-lockfile`", path.display())]
    NoLockfile {
        /// Where the lock file should be.
        path: PathBuf,
    },
    /// guppy could not simulate the build.
    #[error("could not simulate the cargo build: {0}")]
    Simulation(String),
    /// `TRUSTCHECK_GRAPH=compare`: the reports over the graph from `cargo metadata` and over the
    /// graph from `Cargo.lock` differ.
    #[error(
        "the graph read from Cargo.lock does not give the report the graph read from cargo metadata gives; at line {line} of the JSON report, cargo metadata gives `{metadata}` and Cargo.lock gives `{lockfile}`"
    )]
    PathsDisagree {
        /// The first line of the JSON reports that differs.
        line: usize,
        /// That line from the graph of `cargo metadata`.
        metadata: String,
        /// That line from the graph of `Cargo.lock`.
        lockfile: String,
    },
}

/// The dependency graph the checks look at: packages, and how members reach them.
#[derive(Clone, Debug)]
pub struct DependencyGraph {
    /// The workspace root directory.
    pub workspace_root: PathBuf,
    /// The packages in the (narrowed) graph, sorted by name, version and source.
    packages: Vec<Package>,
    /// Package indexes by package id.
    by_id: HashMap<String, usize>,
    /// Forward dependency edges, by package index.
    dependencies: Vec<BTreeSet<usize>>,
    /// BFS distance from the nearest member, by package index.
    distance: Vec<Option<usize>>,
}

impl DependencyGraph {
    /// Builds the graph from `cargo metadata` JSON, narrowed by `options`.
    pub fn from_metadata_json(
        json: &str,
        options: &GraphOptions,
    ) -> Result<DependencyGraph, GraphError> {
        let graph = PackageGraph::from_json(json)
            .map_err(|error| GraphError::InvalidMetadata(error.to_string()))?;
        DependencyGraph::from_package_graph(&graph, options)
    }

    /// Builds the graph from a guppy graph, narrowed by `options`.
    pub fn from_package_graph(
        graph: &PackageGraph,
        options: &GraphOptions,
    ) -> Result<DependencyGraph, GraphError> {
        let workspace_root = graph.workspace().root().as_std_path().to_path_buf();
        let (included, links) = if options.narrows() {
            narrow::narrowed(graph, options)?
        } else {
            let included: Vec<&PackageId> = graph.package_ids().collect();
            let links = graph
                .resolve_all()
                .links(guppy::graph::DependencyDirection::Forward)
                .map(|link| (link.from().id().clone(), link.to().id().clone()))
                .collect();
            (included.into_iter().cloned().collect(), links)
        };

        let packages: Vec<Package> = included
            .iter()
            .map(|id| graph.metadata(id).map(|metadata| package_of(&metadata)))
            .collect::<Result<_, _>>()
            .map_err(|error| GraphError::InvalidMetadata(error.to_string()))?;
        let edges: Vec<(String, String)> = links
            .into_iter()
            .map(|(from, to)| (from.repr().to_owned(), to.repr().to_owned()))
            .collect();
        Ok(DependencyGraph::from_parts(
            workspace_root,
            packages,
            &edges,
        ))
    }

    /// Builds a graph from plain data: packages and (from, to) edges by package id (edges
    /// between packages it does not hold are left out).
    pub fn from_parts(
        workspace_root: PathBuf,
        mut packages: Vec<Package>,
        edges: &[(String, String)],
    ) -> DependencyGraph {
        packages.sort_by(|a, b| {
            (&a.name, &a.version, &a.source).cmp(&(&b.name, &b.version, &b.source))
        });
        let by_id: HashMap<String, usize> = packages
            .iter()
            .enumerate()
            .map(|(index, package)| (package.id.clone(), index))
            .collect();
        let mut dependencies = vec![BTreeSet::new(); packages.len()];
        for (from, to) in edges {
            if let (Some(&from), Some(&to)) = (by_id.get(from), by_id.get(to)) {
                dependencies[from].insert(to);
            }
        }
        let mut graph = DependencyGraph {
            workspace_root,
            packages,
            by_id,
            dependencies,
            distance: Vec::new(),
        };
        graph.distance = graph.distances_from_members();
        graph
    }

    /// Every package in the graph, to attach what is read of them later (their code); their
    /// ids, and so the graph's shape, stay as they are.
    pub fn packages_mut(&mut self) -> &mut [Package] {
        &mut self.packages
    }

    /// Every package in the graph, sorted by name, version and source.
    pub fn packages(&self) -> &[Package] {
        &self.packages
    }

    /// The package with this cargo package id.
    pub fn package_by_id(&self, id: &str) -> Option<&Package> {
        self.by_id.get(id).map(|&index| &self.packages[index])
    }

    /// The workspace members.
    pub fn members(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|package| package.is_member)
    }

    /// Packages with this crate name.
    pub fn packages_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Package> + 'a {
        self.packages
            .iter()
            .filter(move |package| package.name == name)
    }

    /// The direct dependencies of a package.
    pub fn dependencies_of(&self, package: &Package) -> Vec<&Package> {
        self.by_id
            .get(&package.id)
            .map(|&index| {
                self.dependencies[index]
                    .iter()
                    .map(|&dep| &self.packages[dep])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The packages that depend on a package directly.
    pub fn dependents_of(&self, package: &Package) -> Vec<&Package> {
        let Some(&target) = self.by_id.get(&package.id) else {
            return Vec::new();
        };
        self.dependencies
            .iter()
            .enumerate()
            .filter(|(_, deps)| deps.contains(&target))
            .map(|(from, _)| &self.packages[from])
            .collect()
    }

    /// The shortest dependency chains from a workspace member to the package, at most
    /// `MAX_PATHS` of them, sorted.
    pub fn paths_to(&self, package_id: &str) -> Vec<DependencyPath> {
        let Some(&target) = self.by_id.get(package_id) else {
            return Vec::new();
        };
        let Some(target_distance) = self.distance[target] else {
            return Vec::new();
        };
        // Walk back from the target along edges that decrease the distance by one.
        let mut reverse: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut frontier = BTreeSet::from([target]);
        for level in (0..target_distance).rev() {
            let mut next = BTreeSet::new();
            for (from, deps) in self.dependencies.iter().enumerate() {
                if self.distance[from] != Some(level) {
                    continue;
                }
                for &to in deps {
                    if frontier.contains(&to) {
                        reverse.entry(to).or_default().push(from);
                        next.insert(from);
                    }
                }
            }
            frontier = next;
        }
        let mut paths = BTreeSet::new();
        let mut stack = vec![vec![target]];
        while let Some(partial) = stack.pop() {
            let head = *partial.last().unwrap_or(&target);
            match reverse.get(&head) {
                Some(preds) if self.distance[head] != Some(0) => {
                    for &pred in preds {
                        let mut longer = partial.clone();
                        longer.push(pred);
                        stack.push(longer);
                    }
                }
                _ => {
                    let steps: Vec<PathStep> = partial
                        .iter()
                        .rev()
                        .map(|&index| PathStep {
                            name: self.packages[index].name.clone(),
                            version: self.packages[index].version.clone(),
                        })
                        .collect();
                    paths.insert(DependencyPath(steps));
                }
            }
            if paths.len() >= MAX_PATHS * 4 {
                break;
            }
        }
        paths.into_iter().take(MAX_PATHS).collect()
    }

    fn distances_from_members(&self) -> Vec<Option<usize>> {
        let mut distance = vec![None; self.packages.len()];
        let mut queue = VecDeque::new();
        for (index, package) in self.packages.iter().enumerate() {
            if package.is_member {
                distance[index] = Some(0);
                queue.push_back(index);
            }
        }
        while let Some(index) = queue.pop_front() {
            let next = distance[index].map(|d| d + 1);
            for &dep in &self.dependencies[index] {
                if distance[dep].is_none() {
                    distance[dep] = next;
                    queue.push_back(dep);
                }
            }
        }
        distance
    }
}

/// A package of a guppy graph as the checks see it.
pub(crate) fn package_of(metadata: &PackageMetadata<'_>) -> Package {
    let source = match metadata.source() {
        PackageSource::External(source) => Some(source.to_owned()),
        PackageSource::Workspace(_) | PackageSource::Path(_) => None,
    };
    let manifest_path = metadata.manifest_path().as_std_path().to_path_buf();
    let license_file = metadata.license_file().map(|file| {
        let file = file.as_std_path();
        manifest_path.parent().unwrap_or(Path::new("")).join(file)
    });
    Package {
        id: metadata.id().repr().to_owned(),
        name: metadata.name().to_owned(),
        version: metadata.version().clone(),
        source_kind: SourceKind::parse(source.as_deref()),
        source,
        license: metadata.license().map(str::to_owned),
        license_file,
        manifest_path,
        is_member: metadata.in_workspace(),
        publishable: !matches!(metadata.publish(), PackagePublish::Registries(registries) if registries.is_empty()),
        build_code: Some(BuildCode {
            build_script: metadata.has_build_script(),
            proc_macro: metadata.is_proc_macro(),
        }),
        file_hashes: None,
        code: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: Vec<DependencyPath>) -> Vec<Vec<String>> {
        paths.iter().map(DependencyPath::names).collect()
    }

    fn package(name: &str, member: bool) -> Package {
        Package {
            id: format!("{name} 1.0.0"),
            is_member: member,
            ..Package::new(name, semver::Version::new(1, 0, 0), None)
        }
    }

    #[test]
    fn shortest_paths_start_at_members_and_are_all_listed() {
        let packages = vec![
            package("app", true),
            package("cli", true),
            package("chrono", false),
            package("time", false),
            package("deep", false),
        ];
        let edge = |a: &str, b: &str| (format!("{a} 1.0.0"), format!("{b} 1.0.0"));
        let edges = [
            edge("app", "chrono"),
            edge("cli", "chrono"),
            edge("chrono", "time"),
            edge("app", "deep"),
            edge("deep", "time"),
            edge("cli", "app"),
        ];
        let graph = DependencyGraph::from_parts(PathBuf::from("/ws"), packages, &edges);
        assert_eq!(
            names(graph.paths_to("time 1.0.0")),
            vec![
                vec!["app".to_owned(), "chrono".to_owned(), "time".to_owned()],
                vec!["app".to_owned(), "deep".to_owned(), "time".to_owned()],
                vec!["cli".to_owned(), "chrono".to_owned(), "time".to_owned()],
            ]
        );
        assert_eq!(
            names(graph.paths_to("app 1.0.0")),
            vec![vec!["app".to_owned()]]
        );
    }
}
