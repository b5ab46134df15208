//! The baseline, `trustcheck.lock`: what was accepted for each registry crate and version
//! (license, owners, the account that published it), so that `check` can report changes.
//!
//! Only `init` and `baseline` write it. `file` renders and parses it; this module builds it
//! from the dependency graph and answers what was accepted for a crate.

mod changes;
mod file;

pub use changes::{Change, ChangeKind};

use std::collections::{BTreeMap, BTreeSet};

pub use crate::support::diagnostic::BaselineError;
pub use file::{conflict_sides, parse, render};

use crate::facts::code::{Capability, CodeFacts, Role};
use crate::load::graph::{
    BuildCode, DependencyGraph, Package, PackageCode, SourceKind, is_crates_io_index,
};

/// The baseline's file name at the workspace root.
pub const BASELINE_FILE: &str = "trustcheck.lock";

/// The version of the file format this build reads and writes.
pub const FORMAT_VERSION: i64 = 1;

/// How the baseline names crates.io, whichever index protocol the lock file uses.
pub const CRATES_IO: &str = "crates-io";

/// A crate in the baseline: its name, and its source (`crates-io`, or a registry index URL).
pub type CrateKey = (String, String);

/// The whole baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The accepted facts of each registry crate, by (name, source).
    pub crates: BTreeMap<CrateKey, CrateRecord>,
}

/// What was accepted for one crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrateRecord {
    /// Its owners, sorted by login then id (`None`: not recorded).
    pub owners: Option<Vec<Owner>>,
    /// Each recorded version.
    pub versions: BTreeMap<semver::Version, VersionRecord>,
}

/// What was accepted for one version of a crate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionRecord {
    /// The manifest's `license`, as written (`None`: the crate declares none).
    pub license: Option<String>,
    /// The code it runs at build time (`None`: not recorded, by a baseline written before
    /// build code was).
    pub build_code: Option<BuildCode>,
    /// Who published it (`None`: not recorded).
    pub published_by: Option<Publisher>,
    /// What its code was accepted to do, and the binaries it ships (`None`: not recorded, by
    /// a baseline written before code was read, or while the crate could not be read).
    pub code: Option<CodeRecord>,
}

/// What a version's code was accepted to do: its capabilities per role (`facts::code`), and the
/// binary files it ships.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeRecord {
    /// The capabilities of each role that has any.
    pub capabilities: BTreeMap<Role, BTreeSet<Capability>>,
    /// The paths of its binaries (`CodeFacts::binaries`).
    pub binaries: BTreeSet<String>,
}

impl CodeRecord {
    /// The record of code facts read from the crate.
    pub fn of(facts: &CodeFacts) -> CodeRecord {
        CodeRecord {
            capabilities: facts.capabilities(),
            binaries: facts.binaries().map(|(path, _)| path.clone()).collect(),
        }
    }
}

/// An owner of a crate on its registry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Owner {
    /// The registry's numeric id of the account or team.
    pub id: u64,
    /// Its login (`dtolnay`, `github:org:team`).
    pub login: String,
    /// A user or a team.
    pub kind: OwnerKind,
}

/// Whether an owner is a user or a team.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum OwnerKind {
    /// A user account.
    User,
    /// A team (`github:org:team`).
    Team,
}

impl OwnerKind {
    /// The kind as the file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::User => "user",
            OwnerKind::Team => "team",
        }
    }
}

/// Who published a version.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Publisher {
    /// A registry account.
    Account {
        /// The account's numeric id.
        id: u64,
        /// Its login.
        login: String,
    },
    /// Trusted publishing from a CI repository, e.g. `github:owner/repo`.
    TrustedPublishing {
        /// The repository.
        repository: String,
    },
}

/// Why `baseline --accept CRATE` cannot accept a crate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AcceptError {
    /// No package of the graph has that name.
    #[error("crate `{0}` is not in the dependency graph")]
    NotInGraph(String),
    /// The crate is in the graph, but only from a path or git source.
    #[error(
        "crate `{0}` is in the dependency graph but not from a registry; the baseline records registry crates only"
    )]
    NotFromRegistry(String),
}

impl std::fmt::Display for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Publisher::Account { id, login } => write!(f, "{login} (user {id})"),
            Publisher::TrustedPublishing { repository } => {
                write!(f, "trusted publishing from {repository}")
            }
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} {})", self.login, self.kind.as_str(), self.id)
    }
}

impl Publisher {
    /// Whether two publishers are the same: accounts by id, trusted publishing by repository.
    pub fn same_as(&self, other: &Publisher) -> bool {
        match (self, other) {
            (Publisher::Account { id: a, .. }, Publisher::Account { id: b, .. }) => a == b,
            (
                Publisher::TrustedPublishing { repository: a },
                Publisher::TrustedPublishing { repository: b },
            ) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }
}

/// What a version's license is compared with: the record of the same version if there is
/// one, else of the nearest older recorded version, else of the nearest newer one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted<'a> {
    /// The recorded version.
    pub version: &'a semver::Version,
    /// What was recorded for it.
    pub record: &'a VersionRecord,
}

/// The baseline's name for a package's source, `None` for packages that are not from a registry.
pub fn source_key(package: &Package) -> Option<String> {
    match &package.source_kind {
        SourceKind::Registry { index, .. } if is_crates_io_index(index) => {
            Some(CRATES_IO.to_owned())
        }
        SourceKind::Registry { index, sparse } => Some(if *sparse {
            format!("sparse+{index}")
        } else {
            index.clone()
        }),
        _ => None,
    }
}

impl CrateRecord {
    /// The record a version is compared with (see [`Accepted`]).
    pub fn accepted_for(&self, version: &semver::Version) -> Option<Accepted<'_>> {
        let (version, record) = self
            .versions
            .get_key_value(version)
            .or_else(|| self.versions.range(..version).next_back())
            .or_else(|| self.versions.range(version..).next())?;
        Some(Accepted { version, record })
    }

    /// Sorts the owners as the file keeps them: by login, then id.
    pub fn sort_owners(&mut self) {
        if let Some(owners) = &mut self.owners {
            owners.sort_by(|a, b| (&a.login, a.id, a.kind).cmp(&(&b.login, b.id, b.kind)));
        }
    }
}

impl Baseline {
    /// Whether a registry package's crate is new to the baseline (no version of it accepted).
    pub fn is_new(&self, package: &Package) -> bool {
        source_key(package)
            .is_some_and(|source| self.crate_record(&package.name, &source).is_none())
    }

    /// The record of a crate.
    pub fn crate_record(&self, name: &str, source: &str) -> Option<&CrateRecord> {
        self.crates.get(&(name.to_owned(), source.to_owned()))
    }

    /// Every record of crates with this name, by source.
    pub fn records_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a CrateRecord)> + 'a {
        self.crates
            .iter()
            .filter(move |((crate_name, _), _)| crate_name == name)
            .map(|((_, source), record)| (source.as_str(), record))
    }

    /// The baseline of the graph as it is: one record per registry crate, one version record
    /// per locked version, with its license. Versions not in the graph are left out. What the
    /// graph cannot tell (owners, publishers) is carried over from `previous` for the same
    /// crate and version.
    pub fn from_graph(graph: &DependencyGraph, previous: Option<&Baseline>) -> Baseline {
        let mut baseline = Baseline::default();
        for package in graph.packages() {
            let Some(source) = source_key(package) else {
                continue;
            };
            let key = (package.name.clone(), source);
            let earlier = previous.and_then(|previous| previous.crates.get(&key));
            let record = baseline.crates.entry(key).or_insert_with(|| CrateRecord {
                owners: earlier.and_then(|earlier| earlier.owners.clone()),
                versions: BTreeMap::new(),
            });
            record.versions.insert(
                package.version.clone(),
                VersionRecord {
                    license: package.license.clone(),
                    build_code: package.build_code.or_else(|| {
                        earlier
                            .and_then(|earlier| earlier.versions.get(&package.version))
                            .and_then(|earlier| earlier.build_code)
                    }),
                    published_by: earlier
                        .and_then(|earlier| earlier.versions.get(&package.version))
                        .and_then(|earlier| earlier.published_by.clone()),
                    code: match &package.code {
                        Some(PackageCode::Read(facts)) => Some(CodeRecord::of(facts)),
                        _ => earlier
                            .and_then(|earlier| earlier.versions.get(&package.version))
                            .and_then(|earlier| earlier.code.clone()),
                    },
                },
            );
        }
        baseline
    }

    /// Accepts the graph's current facts for the crates named `name` (every registry source),
    /// leaving every other crate as it is. Fails if no registry package of the graph has
    /// that name.
    pub fn accept(&mut self, name: &str, graph: &DependencyGraph) -> Result<(), AcceptError> {
        let current = Baseline::from_graph(graph, Some(self));
        let accepted: Vec<(CrateKey, CrateRecord)> = current
            .crates
            .into_iter()
            .filter(|((crate_name, _), _)| crate_name == name)
            .collect();
        if accepted.is_empty() {
            return Err(if graph.packages_named(name).next().is_some() {
                AcceptError::NotFromRegistry(name.to_owned())
            } else {
                AcceptError::NotInGraph(name.to_owned())
            });
        }
        self.crates.retain(|(crate_name, _), _| crate_name != name);
        self.crates.extend(accepted);
        Ok(())
    }

    /// How many version records it holds.
    pub fn version_count(&self) -> usize {
        self.crates
            .values()
            .map(|record| record.versions.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn registry_package(name: &str, version: &str, license: Option<&str>) -> Package {
        let source = "registry+https://github.com/rust-lang/crates.io-index";
        Package {
            license: license.map(str::to_owned),
            ..Package::new(name, version.parse().unwrap(), Some(source))
        }
    }

    fn graph(packages: Vec<Package>) -> DependencyGraph {
        DependencyGraph::from_parts(PathBuf::from("/ws"), packages, &[])
    }

    #[test]
    fn the_accepted_record_is_the_same_version_else_the_nearest_older_else_newer() {
        let mut record = CrateRecord::default();
        for (version, license) in [("1.0.0", "MIT"), ("1.2.0", "ISC"), ("2.0.0", "Zlib")] {
            record.versions.insert(
                version.parse().unwrap(),
                VersionRecord {
                    license: Some(license.to_owned()),
                    build_code: None,
                    published_by: None,
                    code: None,
                },
            );
        }
        let accepted = |version: &str| {
            record
                .accepted_for(&version.parse().unwrap())
                .map(|accepted| accepted.version.to_string())
        };
        assert_eq!(accepted("1.2.0").as_deref(), Some("1.2.0"));
        assert_eq!(accepted("1.5.0").as_deref(), Some("1.2.0"));
        assert_eq!(accepted("3.0.0").as_deref(), Some("2.0.0"));
        assert_eq!(accepted("0.9.0").as_deref(), Some("1.0.0"));
        assert_eq!(
            CrateRecord::default().accepted_for(&"1.0.0".parse().unwrap()),
            None
        );
    }

    #[test]
    fn from_graph_records_registry_packages_and_keeps_what_the_graph_cannot_tell() {
        let mut local = registry_package("local", "0.1.0", None);
        local.source = None;
        local.source_kind = SourceKind::Local;
        let mut sparse = registry_package("inhouse", "1.0.0", Some("MIT"));
        sparse.source = Some("sparse+https://registry.example.com/index/".to_owned());
        sparse.source_kind = SourceKind::parse(sparse.source.as_deref());
        let graph = graph(vec![
            registry_package("anyhow", "1.0.86", Some("MIT OR Apache-2.0")),
            registry_package("anyhow", "1.0.89", Some("MIT OR Apache-2.0")),
            local,
            sparse,
        ]);
        let mut previous = Baseline::from_graph(&graph, None);
        let key = ("anyhow".to_owned(), CRATES_IO.to_owned());
        let owner = Owner {
            id: 3618,
            login: "dtolnay".to_owned(),
            kind: OwnerKind::User,
        };
        let anyhow = previous.crates.get_mut(&key).unwrap();
        anyhow.owners = Some(vec![owner.clone()]);
        let publisher = Publisher::Account {
            id: 3618,
            login: "dtolnay".to_owned(),
        };
        anyhow
            .versions
            .get_mut(&"1.0.86".parse().unwrap())
            .unwrap()
            .published_by = Some(publisher.clone());

        let rebuilt = Baseline::from_graph(&graph, Some(&previous));
        assert_eq!(rebuilt, previous);
        let keys: Vec<&CrateKey> = rebuilt.crates.keys().collect();
        assert_eq!(
            keys,
            vec![
                &key,
                &(
                    "inhouse".to_owned(),
                    "sparse+https://registry.example.com/index/".to_owned()
                )
            ]
        );
        assert_eq!(rebuilt.version_count(), 3);
    }

    #[test]
    fn accept_replaces_only_that_crate_and_prunes_its_old_versions() {
        let before = graph(vec![
            registry_package("a", "1.0.0", Some("MIT")),
            registry_package("b", "1.0.0", Some("MIT")),
        ]);
        let mut baseline = Baseline::from_graph(&before, None);
        let after = graph(vec![
            registry_package("a", "2.0.0", Some("BUSL-1.1")),
            registry_package("b", "1.1.0", Some("ISC")),
        ]);
        baseline.accept("a", &after).unwrap();
        let a = baseline.crate_record("a", CRATES_IO).unwrap();
        assert_eq!(
            a.versions
                .keys()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec!["2.0.0"]
        );
        let b = baseline.crate_record("b", CRATES_IO).unwrap();
        assert_eq!(
            b.versions
                .keys()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec!["1.0.0"],
            "b is untouched"
        );
        assert_eq!(
            baseline.accept("nope", &after),
            Err(AcceptError::NotInGraph("nope".to_owned()))
        );
    }

    #[test]
    fn changes_list_added_removed_and_relicensed_versions() {
        let before = Baseline::from_graph(
            &graph(vec![
                registry_package("a", "1.0.0", Some("MIT")),
                registry_package("b", "1.0.0", Some("MIT")),
            ]),
            None,
        );
        let after = Baseline::from_graph(
            &graph(vec![
                registry_package("a", "1.0.0", Some("BUSL-1.1")),
                registry_package("c", "0.1.0", None),
            ]),
            None,
        );
        let changes: Vec<String> = after
            .changes_since(&before)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            changes,
            vec![
                "~ a 1.0.0: license \"MIT\" -> \"BUSL-1.1\"",
                "- b 1.0.0",
                "+ c 0.1.0: no license",
            ]
        );
    }
}
