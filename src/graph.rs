//! The workspace's resolved dependency graph: `cargo metadata`, guppy, narrowing, dependency paths.
//!
//! By default the graph holds every package of the resolve, for every platform and feature,
//! dev-dependencies included: the registry packages are exactly those of `Cargo.lock`.
//! `GraphOptions` narrow it the way cargo would build it, with guppy's cargo-set simulation.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use guppy::PackageId;
use guppy::graph::cargo::{CargoOptions, CargoResolverVersion};
use guppy::graph::feature::{FeatureFilterFn, FeatureLabel};
use guppy::graph::{ExternalSource, PackageGraph, PackageMetadata, PackagePublish, PackageSource};
use guppy::platform::{Platform, PlatformSpec, TargetFeatures};

use crate::finding::PackageRef;

/// How many shortest paths are kept per package.
pub const MAX_PATHS: usize = 5;

/// The index URL of crates.io's git registry, as cargo writes it in source strings.
pub const CRATES_IO_GIT_INDEX: &str = "https://github.com/rust-lang/crates.io-index";
/// The index URL of crates.io's sparse registry.
pub const CRATES_IO_SPARSE_INDEX: &str = "https://index.crates.io/";

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
    /// Recorded metadata could not be read.
    #[error("could not read cargo metadata from {path}: {source}")]
    ReadMetadata {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The metadata is not valid `cargo metadata` JSON.
    #[error("invalid cargo metadata: {0}")]
    InvalidMetadata(String),
    /// A `--target` that is not a known target triple.
    #[error("unknown target triple `{0}` (see `rustc --print target-list`)")]
    UnknownTarget(String),
    /// A `--features` entry that no workspace member has.
    #[error("no workspace member has a feature `{0}`")]
    UnknownFeature(String),
    /// guppy could not simulate the build.
    #[error("could not simulate the cargo build: {0}")]
    Simulation(String),
}

/// How to narrow the graph, as cargo would build it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Only dependencies enabled on one of these target triples (empty: every platform).
    pub targets: Vec<String>,
    /// Features to enable (`feat` on every member that has it, or `member/feat`).
    pub features: Vec<String>,
    /// Enable every feature of every member.
    pub all_features: bool,
    /// Do not enable the members' default features.
    pub no_default_features: bool,
    /// Leave out dev-dependencies.
    pub exclude_dev: bool,
}

impl GraphOptions {
    /// Whether any option narrows the graph (without any, it is the whole resolve).
    pub fn narrows(&self) -> bool {
        !self.targets.is_empty()
            || !self.features.is_empty()
            || self.no_default_features
            || self.exclude_dev
    }
}

/// Where a package comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    /// A workspace member or a path dependency.
    Local,
    /// A registry, by its index URL (without `registry+`/`sparse+`).
    Registry {
        /// The index URL.
        index: String,
        /// Whether the registry uses the sparse protocol.
        sparse: bool,
    },
    /// A git repository.
    Git {
        /// The repository URL.
        repository: String,
        /// The resolved commit.
        commit: String,
    },
    /// A source string cargo wrote that is none of the above.
    Other(String),
}

impl SourceKind {
    /// Classifies a cargo source string (`None` for local packages).
    pub fn parse(source: Option<&str>) -> SourceKind {
        let Some(source) = source else {
            return SourceKind::Local;
        };
        match ExternalSource::new(source) {
            Some(ExternalSource::Registry(index)) => SourceKind::Registry {
                index: index.to_owned(),
                sparse: false,
            },
            Some(ExternalSource::Sparse(index)) => SourceKind::Registry {
                index: index.to_owned(),
                sparse: true,
            },
            Some(ExternalSource::Git {
                repository,
                resolved,
                ..
            }) => SourceKind::Git {
                repository: repository.to_owned(),
                commit: resolved.to_owned(),
            },
            Some(_) | None => SourceKind::Other(source.to_owned()),
        }
    }

    /// Whether this is crates.io (through either protocol).
    pub fn is_crates_io(&self) -> bool {
        match self {
            SourceKind::Registry { index, .. } => is_crates_io_index(index),
            _ => false,
        }
    }

    /// Whether this is any registry.
    pub fn is_registry(&self) -> bool {
        matches!(self, SourceKind::Registry { .. })
    }
}

/// Whether an index URL is crates.io's.
pub fn is_crates_io_index(index: &str) -> bool {
    let trimmed = index.trim_end_matches('/');
    trimmed == CRATES_IO_GIT_INDEX || trimmed == CRATES_IO_SPARSE_INDEX.trim_end_matches('/')
}

/// One package of the graph, with what the checks need to know of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// Cargo's package id.
    pub id: String,
    /// The crate name.
    pub name: String,
    /// The locked version.
    pub version: semver::Version,
    /// Cargo's source string, `None` for local packages.
    pub source: Option<String>,
    /// The source, classified.
    pub source_kind: SourceKind,
    /// The `license` field of its manifest.
    pub license: Option<String>,
    /// The `license-file` field of its manifest, as an absolute path.
    pub license_file: Option<PathBuf>,
    /// Its `Cargo.toml`.
    pub manifest_path: PathBuf,
    /// Whether it is a member of the workspace.
    pub is_member: bool,
    /// Whether it may be published (`publish` is not `false` or `[]`).
    pub publishable: bool,
}

impl Package {
    /// A package known only by name, version and cargo source string (`None` for a local
    /// package, which then counts as a workspace member): no license, a placeholder manifest
    /// path. For graphs built from a lock file, and for tests.
    pub fn new(name: &str, version: semver::Version, source: Option<&str>) -> Package {
        Package {
            id: Package::id_for(name, &version, source),
            name: name.to_owned(),
            source_kind: SourceKind::parse(source),
            source: source.map(str::to_owned),
            license: None,
            license_file: None,
            manifest_path: PathBuf::from(format!("/{name}-{version}/Cargo.toml")),
            is_member: source.is_none(),
            publishable: true,
            version,
        }
    }

    /// The id `Package::new` gives a package.
    pub fn id_for(name: &str, version: &semver::Version, source: Option<&str>) -> String {
        format!("{name} {version} ({})", source.unwrap_or("local"))
    }

    /// The reference findings carry.
    pub fn to_ref(&self) -> PackageRef {
        PackageRef {
            name: self.name.clone(),
            version: self.version.clone(),
            source: self.source.clone(),
        }
    }

    /// Whether it comes from crates.io.
    pub fn is_crates_io(&self) -> bool {
        self.source_kind.is_crates_io()
    }
}

/// A running `cargo metadata`, started early so other loading can overlap with it.
pub struct PendingMetadata {
    child: Child,
    program: String,
}

/// Where the metadata comes from.
#[derive(Clone, Debug)]
pub enum MetadataSource {
    /// Run `cargo metadata` for this manifest (or the one cargo finds from the current directory).
    Cargo {
        /// `--manifest-path`.
        manifest_path: Option<PathBuf>,
        /// Pass `--offline` to cargo.
        offline: bool,
        /// Pass `--locked` to cargo.
        locked: bool,
    },
    /// Read recorded `cargo metadata --format-version 1 --all-features` output.
    Recorded(PathBuf),
}

/// Metadata being obtained: either running or read from a file.
pub enum MetadataJob {
    /// A `cargo metadata` process.
    Running(PendingMetadata),
    /// Recorded metadata.
    Recorded(PathBuf),
}

impl MetadataJob {
    /// Starts obtaining the metadata; for cargo, this spawns the process and returns at once.
    pub fn start(source: &MetadataSource) -> Result<MetadataJob, GraphError> {
        match source {
            MetadataSource::Recorded(path) => Ok(MetadataJob::Recorded(path.clone())),
            MetadataSource::Cargo {
                manifest_path,
                offline,
                locked,
            } => {
                let program = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
                let mut command = Command::new(&program);
                command.args(["metadata", "--format-version", "1", "--all-features"]);
                if let Some(path) = manifest_path {
                    command.arg("--manifest-path").arg(path);
                }
                if *offline {
                    command.arg("--offline");
                }
                if *locked {
                    command.arg("--locked");
                }
                let child = command
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|source| GraphError::Spawn {
                        program: program.clone(),
                        source,
                    })?;
                Ok(MetadataJob::Running(PendingMetadata { child, program }))
            }
        }
    }

    /// Waits for the metadata JSON.
    pub fn wait(self) -> Result<String, GraphError> {
        match self {
            MetadataJob::Recorded(path) => std::fs::read_to_string(&path)
                .map_err(|source| GraphError::ReadMetadata { path, source }),
            MetadataJob::Running(mut pending) => {
                let mut stdout = String::new();
                let mut stderr = String::new();
                let mut out = pending.child.stdout.take();
                let mut err = pending.child.stderr.take();
                // Drain stderr on a thread so a chatty cargo cannot block on a full pipe.
                let stderr_thread = std::thread::spawn(move || {
                    let mut text = String::new();
                    if let Some(err) = err.as_mut() {
                        let _ = err.read_to_string(&mut text);
                    }
                    text
                });
                if let Some(out) = out.as_mut() {
                    out.read_to_string(&mut stdout)
                        .map_err(|source| GraphError::Spawn {
                            program: pending.program.clone(),
                            source,
                        })?;
                }
                stderr.push_str(&stderr_thread.join().unwrap_or_default());
                let status = pending.child.wait().map_err(|source| GraphError::Spawn {
                    program: pending.program.clone(),
                    source,
                })?;
                if !status.success() {
                    return Err(GraphError::CargoFailed {
                        status: status.to_string(),
                        stderr: stderr.trim_end().to_owned(),
                    });
                }
                Ok(stdout)
            }
        }
    }
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
            narrowed(graph, options)?
        } else {
            let included: Vec<&PackageId> = graph.package_ids().collect();
            let links = graph
                .resolve_all()
                .links(guppy::graph::DependencyDirection::Forward)
                .map(|link| (link.from().id().clone(), link.to().id().clone()))
                .collect();
            (included.into_iter().cloned().collect(), links)
        };

        let mut packages: Vec<Package> = included
            .iter()
            .map(|id| graph.metadata(id).map(|metadata| package_of(&metadata)))
            .collect::<Result<_, _>>()
            .map_err(|error| GraphError::InvalidMetadata(error.to_string()))?;
        packages.sort_by(|a, b| {
            (&a.name, &a.version, &a.source).cmp(&(&b.name, &b.version, &b.source))
        });
        let by_id: HashMap<String, usize> = packages
            .iter()
            .enumerate()
            .map(|(index, package)| (package.id.clone(), index))
            .collect();
        let mut dependencies = vec![BTreeSet::new(); packages.len()];
        for (from, to) in links {
            if let (Some(&from), Some(&to)) = (by_id.get(from.repr()), by_id.get(to.repr())) {
                dependencies[from].insert(to);
            }
        }
        let mut dependency_graph = DependencyGraph {
            workspace_root,
            packages,
            by_id,
            dependencies,
            distance: Vec::new(),
        };
        dependency_graph.distance = dependency_graph.distances_from_members();
        Ok(dependency_graph)
    }

    /// Builds a graph from plain data: packages and (from, to) edges by package id.
    /// Used by tests and by `diff`, which only has lock files.
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

    /// The shortest dependency chains from a workspace member to the package, by crate name,
    /// at most `MAX_PATHS` of them, sorted.
    pub fn paths_to(&self, package_id: &str) -> Vec<Vec<String>> {
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
                    let names: Vec<String> = partial
                        .iter()
                        .rev()
                        .map(|&index| self.packages[index].name.clone())
                        .collect();
                    paths.insert(names);
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

fn package_of(metadata: &PackageMetadata<'_>) -> Package {
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
    }
}

type Narrowed = (Vec<PackageId>, Vec<(PackageId, PackageId)>);

/// Simulates the build with guppy and returns the packages and links it uses.
fn narrowed(graph: &PackageGraph, options: &GraphOptions) -> Result<Narrowed, GraphError> {
    let mut cargo_options = CargoOptions::new();
    cargo_options
        .set_resolver(CargoResolverVersion::V2)
        .set_include_dev(!options.exclude_dev);
    if !options.targets.is_empty() {
        let platforms = options
            .targets
            .iter()
            .map(|triple| {
                Platform::new(triple.clone(), TargetFeatures::Unknown)
                    .map(Arc::new)
                    .map_err(|_| GraphError::UnknownTarget(triple.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        cargo_options.set_platform(PlatformSpec::Platforms(platforms));
    }

    // Features: every feature unless --features or --no-default-features say otherwise.
    let mut global: BTreeSet<&str> = BTreeSet::new();
    let mut per_member: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for entry in options
        .features
        .iter()
        .flat_map(|list| list.split([',', ' ']))
    {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match entry.split_once('/') {
            Some((member, feature)) => {
                per_member.entry(member).or_default().insert(feature);
            }
            None => {
                global.insert(entry);
            }
        }
    }
    for feature in &global {
        let known = graph.workspace().iter().any(|member| {
            member.named_features().any(|name| name == *feature)
                || has_optional_dep(member, feature)
        });
        if !known {
            return Err(GraphError::UnknownFeature((*feature).to_owned()));
        }
    }
    let all_features =
        options.all_features || (options.features.is_empty() && !options.no_default_features);
    let default_features = !options.no_default_features;
    let feature_graph = graph.feature_graph();
    let filter = FeatureFilterFn::new(
        |feature_graph: &guppy::graph::feature::FeatureGraph<'_>,
         feature_id: guppy::graph::feature::FeatureId<'_>| {
            if all_features {
                return true;
            }
            let member = feature_id.package_id();
            let member_name = graph
                .metadata(member)
                .map(|metadata| metadata.name())
                .unwrap_or("");
            match feature_id.label() {
                FeatureLabel::Base => true,
                FeatureLabel::Named(name) | FeatureLabel::OptionalDependency(name) => {
                    (default_features
                        && feature_graph
                            .is_default_feature(feature_id)
                            .unwrap_or(false))
                        || global.contains(name)
                        || per_member
                            .get(member_name)
                            .is_some_and(|features| features.contains(name))
                }
            }
        },
    );
    // The initials are the selected features of the members themselves; the cargo-set build
    // follows links from there (dev-dependencies only if included).
    let cargo_set = feature_graph
        .query_workspace(filter)
        .initials()
        .clone()
        .into_cargo_set(&cargo_options)
        .map_err(|error| GraphError::Simulation(error.to_string()))?;

    let mut included: BTreeSet<PackageId> = BTreeSet::new();
    for (_, features) in cargo_set.all_features() {
        included.extend(
            features
                .to_package_set()
                .package_ids(guppy::graph::DependencyDirection::Forward)
                .cloned(),
        );
    }
    let links = cargo_set
        .target_links()
        .chain(cargo_set.host_links())
        .chain(cargo_set.build_dep_links())
        .chain(cargo_set.proc_macro_links())
        .map(|link| (link.from().id().clone(), link.to().id().clone()))
        .collect();
    Ok((included.into_iter().collect(), links))
}

fn has_optional_dep(member: PackageMetadata<'_>, name: &str) -> bool {
    member
        .direct_links()
        .any(|link| link.dep_name() == name && !link.normal().status().optional_status().is_never())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            graph.paths_to("time 1.0.0"),
            vec![
                vec!["app".to_owned(), "chrono".to_owned(), "time".to_owned()],
                vec!["app".to_owned(), "deep".to_owned(), "time".to_owned()],
                vec!["cli".to_owned(), "chrono".to_owned(), "time".to_owned()],
            ]
        );
        assert_eq!(graph.paths_to("app 1.0.0"), vec![vec!["app".to_owned()]]);
    }

    #[test]
    fn classifies_sources() {
        assert!(
            SourceKind::parse(Some(
                "registry+https://github.com/rust-lang/crates.io-index"
            ))
            .is_crates_io()
        );
        assert!(SourceKind::parse(Some("sparse+https://index.crates.io/")).is_crates_io());
        assert!(!SourceKind::parse(Some("sparse+https://my.registry/index/")).is_crates_io());
        assert_eq!(
            SourceKind::parse(Some("git+https://github.com/a/b?branch=main#0123abcd")),
            SourceKind::Git {
                repository: "https://github.com/a/b".to_owned(),
                commit: "0123abcd".to_owned()
            }
        );
        assert_eq!(SourceKind::parse(None), SourceKind::Local);
    }
}
