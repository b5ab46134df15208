//! `Cargo.lock`, read with the `cargo-lock` crate (which rustsec already compiles in), plus the
//! one thing it does not keep: the line of each package, for SARIF and annotations.
//!
//! `check` reads it while `cargo metadata` is still running, to know early which crates to load
//! advisories and cached data for; SARIF uses its line numbers; `diff` compares two of them.

use std::collections::BTreeMap;
use std::str::FromStr;

/// One `[[package]]` of a lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPackage {
    /// The crate name.
    pub name: String,
    /// The locked version.
    pub version: semver::Version,
    /// Cargo's source string, `None` for local packages.
    pub source: Option<String>,
    /// The `checksum` of a registry package.
    pub checksum: Option<String>,
    /// The 1-based line of its `name = ...` line.
    pub line: usize,
    /// Its dependencies, resolved to a package of the file.
    pub dependencies: Vec<LockedDependency>,
}

/// A dependency of a locked package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedDependency {
    /// The crate name.
    pub name: String,
    /// Its version.
    pub version: semver::Version,
    /// Its source string, `None` for local packages.
    pub source: Option<String>,
}

/// A parsed `Cargo.lock`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lockfile {
    /// Its packages, in file order.
    pub packages: Vec<LockedPackage>,
}

/// Why a lock file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    /// The file could not be read.
    #[error("could not read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The file is not a valid lock file.
    #[error("invalid lock file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Lockfile {
    /// Parses lock file text.
    pub fn parse(text: &str) -> Result<Lockfile, String> {
        let parsed =
            rustsec::cargo_lock::Lockfile::from_str(text).map_err(|error| error.to_string())?;
        let name_lines = package_name_lines(text);
        let source = |source: &Option<rustsec::cargo_lock::SourceId>| {
            source.as_ref().map(ToString::to_string)
        };
        let packages = parsed
            .packages
            .iter()
            .enumerate()
            .map(|(index, package)| LockedPackage {
                line: name_lines.get(index).copied().unwrap_or(0),
                name: package.name.as_str().to_owned(),
                version: package.version.clone(),
                source: source(&package.source),
                checksum: package.checksum.as_ref().map(ToString::to_string),
                dependencies: package
                    .dependencies
                    .iter()
                    .map(|dependency| LockedDependency {
                        name: dependency.name.as_str().to_owned(),
                        version: dependency.version.clone(),
                        source: source(&dependency.source),
                    })
                    .collect(),
            })
            .collect();
        Ok(Lockfile { packages })
    }

    /// The 1-based line of a package's `name = ...` line, if it is in the file.
    pub fn line_of(
        &self,
        name: &str,
        version: &semver::Version,
        source: Option<&str>,
    ) -> Option<usize> {
        self.packages
            .iter()
            .find(|package| {
                package.name == name
                    && &package.version == version
                    && package.source.as_deref() == source
            })
            .or_else(|| {
                self.packages
                    .iter()
                    .find(|package| package.name == name && &package.version == version)
            })
            .map(|package| package.line)
    }

    /// The lock file of the packages `keep` keeps (by name, version and source), with the
    /// dependencies between them.
    pub fn restricted_to(
        &self,
        keep: impl Fn(&str, &semver::Version, Option<&str>) -> bool,
    ) -> Lockfile {
        let packages = self
            .packages
            .iter()
            .filter(|package| keep(&package.name, &package.version, package.source.as_deref()))
            .map(|package| LockedPackage {
                dependencies: package
                    .dependencies
                    .iter()
                    .filter(|dependency| {
                        keep(
                            &dependency.name,
                            &dependency.version,
                            dependency.source.as_deref(),
                        )
                    })
                    .cloned()
                    .collect(),
                ..package.clone()
            })
            .collect();
        Lockfile { packages }
    }

    /// The crate names of all packages, for early loading.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.packages.iter().map(|package| package.name.as_str())
    }

    /// Package versions by (name, source), for diffs.
    pub fn versions(&self) -> BTreeMap<(String, Option<String>), Vec<semver::Version>> {
        let mut versions: BTreeMap<(String, Option<String>), Vec<semver::Version>> =
            BTreeMap::new();
        for package in &self.packages {
            versions
                .entry((package.name.clone(), package.source.clone()))
                .or_default()
                .push(package.version.clone());
        }
        for list in versions.values_mut() {
            list.sort();
        }
        versions
    }
}

/// The line of each `[[package]]`'s `name =` line, in file order.
fn package_name_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut in_package = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[[package]]";
            continue;
        }
        if in_package && trimmed.starts_with("name") && trimmed[4..].trim_start().starts_with('=') {
            lines.push(index + 1);
            in_package = false;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "time 0.1.45",
]

[[package]]
name = "time"
version = "0.1.45"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "1b797afad3f312d1c66a56d11d0316f916356d11bd158fbc6ca6389ff6bf805a"
"#;

    #[test]
    fn records_package_lines() {
        let lock = Lockfile::parse(LOCK).unwrap();
        assert_eq!(lock.packages.len(), 2);
        assert_eq!(lock.packages[0].line, 5);
        assert_eq!(lock.packages[1].line, 12);
        assert_eq!(
            lock.line_of(
                "time",
                &semver::Version::new(0, 1, 45),
                Some("registry+https://github.com/rust-lang/crates.io-index")
            ),
            Some(12)
        );
        assert_eq!(
            lock.packages[0].dependencies,
            vec![LockedDependency {
                name: "time".to_owned(),
                version: semver::Version::new(0, 1, 45),
                source: lock.packages[1].source.clone(),
            }]
        );
        assert_eq!(
            lock.packages[1].source.as_deref(),
            Some("registry+https://github.com/rust-lang/crates.io-index"),
            "source strings as the file writes them"
        );
        assert!(lock.packages[1].checksum.is_some());
    }

    #[test]
    fn rejects_invalid_versions() {
        assert!(Lockfile::parse("[[package]]\nname = \"a\"\nversion = \"x\"\n").is_err());
    }
}
