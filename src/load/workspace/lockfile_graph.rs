//! The dependency graph read from `Cargo.lock`: for the default graph (every package of the
//! resolve, every platform and feature, dev-dependencies included) the lock file holds the
//! packages and the edges; the members come from `cargo metadata --no-deps` (`members`), and
//! each registry package's facts from `crate::facts::crates`. It is the same graph as `cargo
//! metadata` gives, at a fraction of the cost, and it needs no download of what is already
//! known.
//!
//! It is built only when it is sure to be that graph; otherwise `Fallback` says why and the
//! graph is read from `cargo metadata`:
//! - a git package (its manifest is in a checkout only cargo makes);
//! - a path package that is not a member, or a lock file whose members are not the
//!   workspace's (its manifest would have to be read as cargo reads it);
//! - a `[replace]` table (cargo reports replaced packages differently);
//! - a source that is neither a registry nor a member;
//! - a dependency on a package without a library target (cargo leaves such edges out);
//! - and, decided by the caller: a lock file cargo does not accept as up to date, a package
//!   whose facts no source has.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use crate::facts::crates::obtain::{Need, Origin};
use crate::facts::crates::{CrateFacts, virtual_dir};
use crate::load::graph::{DependencyGraph, Package, PackageCode, SourceKind};
use crate::load::lockfile::{LockedPackage, Lockfile};
use crate::policy::Clarification;

/// Why the graph is read from `cargo metadata` instead of `Cargo.lock`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fallback(pub String);

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the graph of a run was read, for `--verbose`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphSource {
    /// From `Cargo.lock`.
    Lockfile {
        /// Registry packages by where their facts came from.
        facts: BTreeMap<Origin, usize>,
        /// Bytes of `.crate` files downloaded.
        downloaded_bytes: u64,
        /// Whether cargo was asked about the lock file in this run (else its recorded verdict
        /// was used).
        asked_cargo: bool,
    },
    /// From `cargo metadata` (or recorded metadata), and why.
    Metadata(Fallback),
}

impl std::fmt::Display for GraphSource {
    /// Where the graph came from, as the end of "the graph ... from": `Cargo.lock (...)` or
    /// `cargo metadata (why)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphSource::Lockfile {
                facts,
                downloaded_bytes,
                asked_cargo,
                ..
            } => {
                let origin = |origin: Origin| facts.get(&origin).copied().unwrap_or(0);
                write!(
                    f,
                    "Cargo.lock (cargo {} it up to date; the facts of {} registry crate versions: {} from trustcheck.lock (their code not read), {} from the fact cache, {} from cargo's registry cache, {} vendored, {} from local registries, {} downloaded ({downloaded_bytes} bytes))",
                    if *asked_cargo { "found" } else { "had found" },
                    facts.values().sum::<usize>(),
                    origin(Origin::Baseline),
                    origin(Origin::Cache),
                    origin(Origin::RegistryCache),
                    origin(Origin::Vendored),
                    origin(Origin::LocalRegistry),
                    origin(Origin::Download),
                )
            }
            GraphSource::Metadata(reason) => write!(f, "cargo metadata ({reason})"),
        }
    }
}

/// The lock file's registry packages, in file order, after the checks that need no facts.
pub struct Plan<'a> {
    lockfile: &'a Lockfile,
    members: &'a [Package],
    /// Indexes (in `lockfile.packages`) of the registry packages.
    registry: Vec<usize>,
    /// Lock package index → member index.
    member_of: HashMap<usize, usize>,
}

/// What is needed of a registry package: its facts, with the SHA-256 of the files the
/// policy's clarifications name for it.
pub fn need_of(package: &LockedPackage, clarifications: &[Clarification]) -> Need {
    Need {
        source: package.source.clone().unwrap_or_default(),
        name: package.name.clone(),
        version: package.version.clone(),
        checksum: package.checksum.clone(),
        clarified: crate::policy::clarified_files(&package.name, &package.version, clarifications)
            .map(str::to_owned)
            .collect(),
    }
}

/// Who a lock file package is: (name, version, source).
type LockId<'a> = (&'a str, &'a semver::Version, Option<&'a str>);

impl<'a> Plan<'a> {
    /// Checks what can be checked without facts: every package is a member or from a
    /// registry, and the members are exactly the workspace's.
    pub fn new(lockfile: &'a Lockfile, members: &'a [Package]) -> Result<Plan<'a>, Fallback> {
        let mut plan = Plan {
            lockfile,
            members,
            registry: Vec::new(),
            member_of: HashMap::new(),
        };
        for (index, package) in lockfile.packages.iter().enumerate() {
            let what = format!("{} {}", package.name, package.version);
            match SourceKind::parse(package.source.as_deref()) {
                SourceKind::Registry { .. } => plan.registry.push(index),
                SourceKind::Local => {
                    let Some(member) = members.iter().position(|member| {
                        member.name == package.name && member.version == package.version
                    }) else {
                        return Err(Fallback(format!(
                            "Cargo.lock has the path package {what}, which is not a workspace member"
                        )));
                    };
                    plan.member_of.insert(index, member);
                }
                SourceKind::Git { .. } => {
                    return Err(Fallback(format!(
                        "Cargo.lock has the git package {what}, whose manifest only cargo reads"
                    )));
                }
                SourceKind::Other(source) => {
                    return Err(Fallback(format!(
                        "Cargo.lock has {what} from the source {source}"
                    )));
                }
            }
        }
        if plan.member_of.len() != members.len() {
            return Err(Fallback(
                "the workspace members are not those of Cargo.lock".to_owned(),
            ));
        }
        Ok(plan)
    }

    /// What is needed of each registry package, in order (`need_of`).
    pub fn needs(&self, clarifications: &[Clarification]) -> Vec<Need> {
        self.registry
            .iter()
            .map(|&index| need_of(&self.lockfile.packages[index], clarifications))
            .collect()
    }

    /// The graph, with the facts of the registry packages in the order of `needs`.
    pub fn build(
        &self,
        workspace_root: PathBuf,
        facts: &[(CrateFacts, Origin)],
    ) -> Result<DependencyGraph, Fallback> {
        let mut ids: HashMap<LockId<'_>, String> = HashMap::new();
        let mut has_lib: HashMap<String, bool> = HashMap::new();
        let mut packages = Vec::with_capacity(self.lockfile.packages.len());
        for (index, member) in &self.member_of {
            let locked = &self.lockfile.packages[*index];
            let member = &self.members[*member];
            ids.insert((&locked.name, &locked.version, None), member.id.clone());
            packages.push(member.clone());
        }
        for (&index, (facts, _)) in self.registry.iter().zip(facts) {
            let locked = &self.lockfile.packages[index];
            let source = locked.source.as_deref().unwrap_or_default();
            let package = registry_package(&locked.name, &locked.version, source, facts);
            ids.insert(
                (&locked.name, &locked.version, locked.source.as_deref()),
                package.id.clone(),
            );
            has_lib.insert(package.id.clone(), facts.has_lib);
            packages.push(package);
        }
        let mut edges = Vec::new();
        for package in &self.lockfile.packages {
            let Some(from) = ids.get(&(
                package.name.as_str(),
                &package.version,
                package.source.as_deref(),
            )) else {
                return Err(Fallback(format!(
                    "Cargo.lock holds {} {} twice",
                    package.name, package.version
                )));
            };
            for dependency in &package.dependencies {
                let Some(to) = ids.get(&(
                    dependency.name.as_str(),
                    &dependency.version,
                    dependency.source.as_deref(),
                )) else {
                    return Err(Fallback(format!(
                        "Cargo.lock names the dependency {} {} of {}, which it does not hold",
                        dependency.name, dependency.version, package.name
                    )));
                };
                if has_lib.get(to) == Some(&false) {
                    return Err(Fallback(format!(
                        "{} depends on {} {}, which has no library target (cargo leaves such dependencies out of its graph)",
                        package.name, dependency.name, dependency.version
                    )));
                }
                edges.push((from.clone(), to.clone()));
            }
        }
        Ok(DependencyGraph::from_parts(
            workspace_root,
            packages,
            &edges,
        ))
    }
}

/// A registry package known by its facts: as the full graph would have it, its files
/// recorded instead of read.
/// A registry package of a lock file with the facts obtained for it.
pub fn registry_package(
    name: &str,
    version: &semver::Version,
    source: &str,
    facts: &CrateFacts,
) -> Package {
    let dir = virtual_dir(name, version);
    Package {
        id: format!("{source}#{name}@{version}"),
        license: facts.license.clone(),
        license_file: facts.license_file.as_ref().map(|file| dir.join(file)),
        manifest_path: dir.join("Cargo.toml"),
        is_member: false,
        build_code: Some(facts.build_code()),
        file_hashes: Some(Arc::new(facts.files.clone())),
        code: Some(match &facts.code {
            Some(code) => PackageCode::Read(Arc::new(code.clone())),
            None => PackageCode::Unread(crate::facts::crates::obtain::NO_COPY.to_owned()),
        }),
        ..Package::new(name, version.clone(), Some(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::graph::BuildCode;

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    fn lock(extra: &str) -> Lockfile {
        Lockfile::parse(&format!(
            r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "alpha",
 "beta",
]

[[package]]
name = "alpha"
version = "1.0.0"
source = "{CRATES_IO}"
checksum = "{a}"

[[package]]
name = "beta"
version = "2.0.0"
source = "{CRATES_IO}"
checksum = "{b}"
dependencies = [
 "alpha",
]
{extra}"#,
            a = "a".repeat(64),
            b = "b".repeat(64),
        ))
        .unwrap()
    }

    fn app() -> Vec<Package> {
        vec![Package {
            id: "path+file:///ws#app@0.1.0".to_owned(),
            ..Package::new("app", semver::Version::new(0, 1, 0), None)
        }]
    }

    fn facts(license: &str, has_lib: bool) -> (CrateFacts, Origin) {
        (
            CrateFacts {
                license: Some(license.to_owned()),
                has_lib,
                build_script: true,
                ..CrateFacts::default()
            },
            Origin::Cache,
        )
    }

    #[test]
    fn the_lock_file_gives_the_packages_and_edges_and_the_facts_fill_them() {
        let lockfile = lock("");
        let members = app();
        let plan = Plan::new(&lockfile, &members).unwrap();
        let clarifications = [crate::policy::Clarification {
            crate_name: "beta".to_owned(),
            version: None,
            expression: "MIT".to_owned(),
            license_files: vec![crate::policy::ClarifiedFile {
                path: "COPYING".to_owned(),
                sha256: "0".repeat(64),
            }],
            line: 1,
        }];
        let needs = plan.needs(&clarifications);
        let named: Vec<(&str, &[String])> = needs
            .iter()
            .map(|need| (need.name.as_str(), need.clarified.as_slice()))
            .collect();
        assert_eq!(
            named,
            vec![("alpha", &[][..]), ("beta", &["COPYING".to_owned()][..])]
        );
        assert_eq!(needs[1].checksum.as_deref(), Some("b".repeat(64).as_str()));
        let graph = plan
            .build(
                PathBuf::from("/ws"),
                &[facts("MIT", true), facts("Apache-2.0", true)],
            )
            .unwrap();
        let beta = graph.packages_named("beta").next().unwrap();
        assert_eq!(beta.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(beta.build_code.map(BuildCode::any), Some(true));
        assert!(beta.file_hashes.is_some() && !beta.is_member);
        assert_eq!(
            graph
                .paths_to(&graph.packages_named("alpha").next().unwrap().id)
                .iter()
                .map(crate::load::graph::DependencyPath::names)
                .collect::<Vec<_>>(),
            vec![vec!["app".to_owned(), "alpha".to_owned()]]
        );
        assert!(graph.members().all(|member| member.name == "app"));
    }

    #[test]
    fn what_only_cargo_can_read_gives_way_to_cargo_metadata() {
        let git = lock(&format!(
            "\n[[package]]\nname = \"gamma\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/gamma?branch=main#{}\"\n",
            "c".repeat(40)
        ));
        let members = app();
        let Err(Fallback(why)) = Plan::new(&git, &members) else {
            panic!("a git package");
        };
        assert!(why.contains("git package gamma 0.1.0"), "{why}");
        let path = lock("\n[[package]]\nname = \"helper\"\nversion = \"0.2.0\"\n");
        let Err(Fallback(why)) = Plan::new(&path, &members) else {
            panic!("a path package");
        };
        assert!(why.contains("not a workspace member"), "{why}");
        let lockfile = lock("");
        let two_members = [
            app(),
            vec![Package::new("other", semver::Version::new(1, 0, 0), None)],
        ]
        .concat();
        assert!(Plan::new(&lockfile, &two_members).is_err());
        let plan = Plan::new(&lockfile, &members).unwrap();
        let Err(Fallback(why)) = plan.build(
            PathBuf::from("/ws"),
            &[facts("MIT", false), facts("MIT", true)],
        ) else {
            panic!("a dependency without a library");
        };
        assert!(why.contains("no library target"), "{why}");
    }
}
