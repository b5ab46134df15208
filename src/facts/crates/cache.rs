//! The fact cache: the facts of each published crate version, once read, under
//! `<cache>/crate-facts/<slug of the source>/<name>/<version>-<checksum>.json`, written
//! atomically.
//!
//! It is content-addressed: the key holds the lock file's `checksum` of the `.crate`, so an
//! entry can never describe other contents than the ones the lock file names, and it never
//! goes stale. A file that does not parse, or whose recorded key is not its own, counts as
//! absent.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::CrateFacts;
use crate::support::cache::{CacheDir, CacheError, url_slug, write_atomic};

/// The version of the file format; files of another version are ignored (2: the code facts,
/// `facts::code`; 3: `reads-all-env` apart from `secret-env`; bump it whenever the rules that
/// read code change).
const FORMAT: u32 = 3;

/// The largest entry read.
const MAX_ENTRY: u64 = crate::support::files::MIB;

/// What identifies a crate version's contents: its source (cargo's source string, as the lock
/// file writes it), name, version and the SHA-256 of its `.crate`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CrateKey {
    /// Cargo's source string.
    pub source: String,
    /// The crate name.
    pub name: String,
    /// The version.
    pub version: semver::Version,
    /// The lock file's `checksum`: lower-case hex SHA-256 of the `.crate` file.
    pub checksum: String,
}

impl CrateKey {
    /// Whether the key can name a cache file: a valid crate name and a SHA-256 in hex.
    pub fn is_valid(&self) -> bool {
        crate::facts::index::is_valid_name(&self.name) && is_sha256_hex(&self.checksum)
    }
}

/// Whether a text is a lower-case hex SHA-256.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// The file as stored: the key it was written for, and the facts.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Stored {
    format: u32,
    source: String,
    name: String,
    version: String,
    checksum: String,
    facts: CrateFacts,
}

/// The fact part of the cache directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactCache {
    dir: PathBuf,
}

impl FactCache {
    /// The fact cache inside `cache` (`<cache>/crate-facts`).
    pub fn new(cache: &CacheDir) -> Result<FactCache, CacheError> {
        Ok(FactCache {
            dir: cache.subdir("crate-facts")?,
        })
    }

    /// A fact cache at `dir` (for tests).
    pub fn at(dir: impl Into<PathBuf>) -> FactCache {
        FactCache { dir: dir.into() }
    }

    /// The file of a key (which must be valid).
    fn path(&self, key: &CrateKey) -> PathBuf {
        self.dir
            .join(url_slug(&key.source))
            .join(key.name.to_ascii_lowercase())
            .join(format!("{}-{}.json", key.version, key.checksum))
    }

    /// The cached facts of a key, if there is a readable entry written for it.
    pub fn read(&self, key: &CrateKey) -> Option<CrateFacts> {
        if !key.is_valid() {
            return None;
        }
        let bytes = crate::support::files::read_bounded(&self.path(key), MAX_ENTRY).ok()?;
        let stored: Stored = serde_json::from_slice(&bytes).ok()?;
        (stored.format == FORMAT
            && stored.source == key.source
            && stored.name == key.name
            && stored.version == key.version.to_string()
            && stored.checksum == key.checksum)
            .then_some(stored.facts)
    }

    /// Stores the facts of a key atomically (nothing for an invalid key).
    pub fn write(&self, key: &CrateKey, facts: &CrateFacts) -> Result<(), CacheError> {
        if !key.is_valid() {
            return Ok(());
        }
        let stored = Stored {
            format: FORMAT,
            source: key.source.clone(),
            name: key.name.clone(),
            version: key.version.to_string(),
            checksum: key.checksum.clone(),
            facts: facts.clone(),
        };
        let bytes = serde_json::to_vec(&stored).unwrap_or_default();
        write_atomic(&self.path(key), &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(checksum: &str) -> CrateKey {
        CrateKey {
            source: "registry+https://github.com/rust-lang/crates.io-index".to_owned(),
            name: "Demo".to_owned(),
            version: "1.0.0+build.1".parse().unwrap(),
            checksum: checksum.to_owned(),
        }
    }

    #[test]
    fn entries_are_found_by_their_whole_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FactCache::at(dir.path());
        let facts = CrateFacts {
            license: Some("MIT".to_owned()),
            build_script: true,
            ..CrateFacts::default()
        };
        let a = key(&"a".repeat(64));
        cache.write(&a, &facts).unwrap();
        assert_eq!(cache.read(&a), Some(facts.clone()));
        assert_eq!(cache.read(&key(&"b".repeat(64))), None, "another checksum");
        let other_source = CrateKey {
            source: "sparse+https://other.example/".to_owned(),
            ..a.clone()
        };
        assert_eq!(cache.read(&other_source), None);
        std::fs::write(cache.path(&a), b"{\"format\":1").unwrap();
        assert_eq!(cache.read(&a), None, "a damaged entry counts as absent");
    }

    #[test]
    fn keys_that_cannot_name_a_file_are_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FactCache::at(dir.path());
        let bad = CrateKey {
            name: "../escape".to_owned(),
            ..key(&"a".repeat(64))
        };
        cache.write(&bad, &CrateFacts::default()).unwrap();
        assert_eq!(cache.read(&bad), None);
        assert!(!key("ABC").is_valid());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
