//! The copies of a crate already on disk, each read only when it is provably the one the lock
//! file names:
//!
//! - cargo's registry cache: `$CARGO_HOME/registry/cache/<host>-<hash>/NAME-VERSION.crate`
//!   whose SHA-256 is the lock file's checksum, and the directory cargo extracted it to
//!   (`registry/src/<same>/NAME-VERSION/`, marked by `.cargo-ok`), which is what
//!   `cargo metadata` reads;
//! - a vendored directory source: the subdirectory whose `Cargo.toml` names the crate and
//!   whose `.cargo-checksum.json` records the lock file's checksum;
//! - a local registry: `NAME-VERSION.crate` whose SHA-256 is the checksum.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::cache::CrateKey;
use super::sha256_hex;

/// The largest `.crate` file read (crates.io accepts at most 10 MiB by default).
pub const MAX_CRATE_FILE: u64 = 64 * crate::support::files::MIB;

/// A copy of a crate found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// An unpacked crate directory.
    Directory(PathBuf),
    /// The bytes of a verified `.crate` file.
    Archive(Vec<u8>),
}

/// The crate in cargo's registry cache under one of `hosts`, if its `.crate` is there with
/// the key's checksum.
pub fn in_registry_cache(cargo_home: &Path, hosts: &[String], key: &CrateKey) -> Option<Found> {
    let file_name = format!("{}-{}", key.name, key.version);
    let caches = std::fs::read_dir(cargo_home.join("registry/cache")).ok()?;
    let mut dirs: Vec<String> = caches
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|dir| {
            hosts.iter().any(|host| {
                dir.strip_prefix(host.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            })
        })
        .collect();
    dirs.sort();
    for dir in dirs {
        let archive = cargo_home
            .join("registry/cache")
            .join(&dir)
            .join(format!("{file_name}.crate"));
        let Ok(bytes) = crate::support::files::read_bounded(&archive, MAX_CRATE_FILE) else {
            continue;
        };
        if sha256_hex(&bytes) != key.checksum {
            continue;
        }
        let unpacked = cargo_home.join("registry/src").join(&dir).join(&file_name);
        if unpacked.join(".cargo-ok").is_file() {
            return Some(Found::Directory(unpacked));
        }
        return Some(Found::Archive(bytes));
    }
    None
}

/// Whether cargo's registry cache under one of `hosts` holds a `.crate` of the key's name and
/// version (whatever its checksum): when it does not, the crate is to be downloaded.
pub fn registry_cache_has(cargo_home: &Path, hosts: &[String], key: &CrateKey) -> bool {
    let file_name = format!("{}-{}.crate", key.name, key.version);
    let Ok(caches) = std::fs::read_dir(cargo_home.join("registry/cache")) else {
        return false;
    };
    caches.flatten().any(|entry| {
        entry.file_name().to_str().is_some_and(|dir| {
            hosts.iter().any(|host| {
                dir.strip_prefix(host.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            })
        }) && entry.path().join(&file_name).is_file()
    })
}

/// A `.crate` of a local registry, if it has the key's checksum.
pub fn in_local_registry(dir: &Path, key: &CrateKey) -> Option<Vec<u8>> {
    let path = dir.join(format!("{}-{}.crate", key.name, key.version));
    let bytes = crate::support::files::read_bounded(&path, MAX_CRATE_FILE).ok()?;
    (sha256_hex(&bytes) == key.checksum).then_some(bytes)
}

/// The crate directories of one directory source, by (name, version text).
type Scanned = HashMap<(String, String), PathBuf>;

/// The crates of vendored directory sources, found by name and version.
#[derive(Debug, Default)]
pub struct Vendored {
    /// Each source directory scanned in full.
    scanned: Mutex<HashMap<PathBuf, Scanned>>,
}

/// What a crate directory's `Cargo.toml` says it is.
fn name_and_version(dir: &Path) -> Option<(String, String)> {
    let text =
        crate::support::files::read_text(&dir.join("Cargo.toml"), super::MAX_MANIFEST).ok()?;
    let manifest = super::manifest::parse(&text).ok()?;
    Some((manifest.name, manifest.version.to_string()))
}

/// The `package` checksum a vendored crate's `.cargo-checksum.json` records.
fn recorded_checksum(dir: &Path) -> Option<String> {
    let bytes = crate::support::files::read_bounded(
        &dir.join(".cargo-checksum.json"),
        64 * crate::support::files::MIB,
    )
    .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("package")?.as_str().map(str::to_owned)
}

impl Vendored {
    /// The directory of the crate in the directory source `source`, if there is one that
    /// names it and records the key's checksum (cargo would refuse another).
    pub fn find(&self, source: &Path, key: &CrateKey) -> Option<PathBuf> {
        let wanted = (key.name.clone(), key.version.to_string());
        let named = [
            source.join(format!("{}-{}", key.name, key.version)),
            source.join(&key.name),
        ];
        let dir = named
            .into_iter()
            .find(|dir| name_and_version(dir).as_ref() == Some(&wanted))
            .or_else(|| self.scan(source).get(&wanted).cloned())?;
        (recorded_checksum(&dir).as_deref() == Some(key.checksum.as_str())).then_some(dir)
    }

    /// Every crate of a directory source, read once.
    fn scan(&self, source: &Path) -> Scanned {
        let mut scanned = self
            .scanned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        scanned
            .entry(source.to_path_buf())
            .or_insert_with(|| {
                std::fs::read_dir(source)
                    .map(|entries| {
                        entries
                            .flatten()
                            .map(|entry| entry.path())
                            .filter_map(|dir| Some((name_and_version(&dir)?, dir)))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, checksum: &str) -> CrateKey {
        CrateKey {
            source: "registry+https://github.com/rust-lang/crates.io-index".to_owned(),
            name: name.to_owned(),
            version: semver::Version::new(1, 0, 0),
            checksum: checksum.to_owned(),
        }
    }

    #[test]
    fn the_registry_cache_is_read_only_with_the_lock_files_checksum() {
        let home = tempfile::tempdir().unwrap();
        let bytes = super::super::archive::build(
            "demo",
            "1.0.0",
            &[(
                "Cargo.toml",
                b"[package]\nname = \"demo\"\nversion = \"1.0.0\"\n",
            )],
        );
        let cache = home
            .path()
            .join("registry/cache/index.crates.io-1949cf8c6b5b557f");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join("demo-1.0.0.crate"), &bytes).unwrap();
        let hosts = vec!["index.crates.io".to_owned()];
        let good = key("demo", &sha256_hex(&bytes));
        assert_eq!(
            in_registry_cache(home.path(), &hosts, &good),
            Some(Found::Archive(bytes.clone()))
        );
        assert_eq!(
            in_registry_cache(home.path(), &hosts, &key("demo", &"0".repeat(64))),
            None,
            "another checksum: not this copy"
        );
        assert_eq!(
            in_registry_cache(home.path(), &["other.example".to_owned()], &good),
            None,
            "another registry's cache"
        );
        let unpacked = home
            .path()
            .join("registry/src/index.crates.io-1949cf8c6b5b557f/demo-1.0.0");
        std::fs::create_dir_all(&unpacked).unwrap();
        std::fs::write(unpacked.join(".cargo-ok"), "{\"v\":1}").unwrap();
        assert_eq!(
            in_registry_cache(home.path(), &hosts, &good),
            Some(Found::Directory(unpacked))
        );
    }

    #[test]
    fn vendored_crates_are_found_by_their_manifest_and_checksum() {
        let source = tempfile::tempdir().unwrap();
        let dir = source.path().join("renamed-dir");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"demo\"\nversion = \"1.0.0\"\n",
        )
        .unwrap();
        let checksum = "ab".repeat(32);
        std::fs::write(
            dir.join(".cargo-checksum.json"),
            format!("{{\"files\":{{}},\"package\":\"{checksum}\"}}"),
        )
        .unwrap();
        let vendored = Vendored::default();
        assert_eq!(
            vendored.find(source.path(), &key("demo", &checksum)),
            Some(dir)
        );
        assert_eq!(
            vendored.find(source.path(), &key("demo", &"cd".repeat(32))),
            None
        );
        assert_eq!(vendored.find(source.path(), &key("other", &checksum)), None);
    }
}
