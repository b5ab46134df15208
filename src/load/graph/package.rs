//! One package of the graph and where it comes from: `Package`, `SourceKind`, and how cargo's
//! source strings name crates.io.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use guppy::graph::ExternalSource;

use crate::facts::code::CodeFacts;

/// The index URL of crates.io's git registry, as cargo writes it in source strings.
pub const CRATES_IO_GIT_INDEX: &str = "https://github.com/rust-lang/crates.io-index";
/// The index URL of crates.io's sparse registry.
pub const CRATES_IO_SPARSE_INDEX: &str = "https://index.crates.io/";

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

/// Code a package runs when it is built: a build script (`build.rs`), or being a proc-macro
/// (which runs inside the compiler). Facts of a published version, which never change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildCode {
    /// It has a build script.
    pub build_script: bool,
    /// It is a proc-macro crate.
    pub proc_macro: bool,
}

impl BuildCode {
    /// Whether it runs any code at build time.
    pub fn any(self) -> bool {
        self.build_script || self.proc_macro
    }

    /// Its parts as `trustcheck.lock` names them: `[]`, `["script"]`, `["proc-macro"]` or both.
    pub fn parts(self) -> Vec<&'static str> {
        let mut parts = Vec::new();
        if self.build_script {
            parts.push("script");
        }
        if self.proc_macro {
            parts.push("proc-macro");
        }
        parts
    }

    /// What `self` has that `before` did not.
    pub fn gained_over(self, before: BuildCode) -> BuildCode {
        BuildCode {
            build_script: self.build_script && !before.build_script,
            proc_macro: self.proc_macro && !before.proc_macro,
        }
    }

    /// The build code in words: "a build script", "a proc-macro", "a build script and a
    /// proc-macro", or "no build code".
    pub fn describe(self) -> &'static str {
        match (self.build_script, self.proc_macro) {
            (true, true) => "a build script and a proc-macro",
            (true, false) => "a build script",
            (false, true) => "a proc-macro",
            (false, false) => "no build code",
        }
    }
}

/// What is known of a registry package's code (`facts::code`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackageCode {
    /// Read from the crate as cargo unpacks it.
    Read(Arc<CodeFacts>),
    /// Not read; why, in words that do not name the package (a cause many share is reported
    /// once).
    Unread(String),
}

/// A package as findings name it: crate, version and source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageRef {
    /// The crate name.
    pub name: String,
    /// The locked version.
    pub version: semver::Version,
    /// Cargo's source string (`registry+https://...`, `git+...`), or `None` for local packages.
    pub source: Option<String>,
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
    /// The code it runs at build time (`None`: not known, for a graph read from a lock file).
    pub build_code: Option<BuildCode>,
    /// The SHA-256 of its files that the license check may read, by path inside the crate,
    /// when they were recorded instead of being at hand (a graph read from `Cargo.lock`: see
    /// `crate::facts::crates`). A file that is not listed could not be hashed. `None`: the files are
    /// read from the directory of `manifest_path`.
    pub file_hashes: Option<Arc<BTreeMap<String, String>>>,
    /// What its code can do and the binaries it ships (registry packages; `None` for the
    /// others, and until the facts stage has read it).
    pub code: Option<PackageCode>,
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
            build_code: None,
            file_hashes: None,
            code: None,
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

#[cfg(test)]
mod tests {
    use super::*;

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
