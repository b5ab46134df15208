//! Reading a `.crate` file (a gzip-compressed tar of `NAME-VERSION/...`) without unpacking it,
//! bounded: at most `MAX_UNPACKED` bytes decompressed (cargo's own limit), every entry under
//! the `NAME-VERSION/` directory as cargo requires, `Cargo.toml` at most `MAX_MANIFEST` bytes.
//!
//! Files of at most `license_files::MAX_LICENSE_FILE` bytes are hashed as they stream by, so that
//! one pass answers every question the fact reader asks. A symbolic or hard link is recorded
//! as such: what it points to on disk after cargo unpacks it is not known here, so a question
//! about it (or about a path under it) is `CrateError::Unsupported`.

use std::collections::BTreeMap;
use std::io::Read;

use super::{Contents, CrateError, MAX_MANIFEST, PathFact, sha256_hex};
use crate::facts::crates::license_files::MAX_LICENSE_FILE;

/// The most bytes a `.crate` may decompress to (cargo refuses more than 512 MiB too).
pub const MAX_UNPACKED: u64 = 512 * crate::support::files::MIB;

/// What one entry of the archive is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// A regular file, with its SHA-256 when it is small enough for a license file.
    File(Option<String>),
    /// A directory.
    Directory,
    /// A symbolic or hard link.
    Link,
}

/// The contents of a `.crate`, read once.
#[derive(Clone, Debug)]
pub struct Archive {
    manifest: Option<String>,
    entries: BTreeMap<String, Entry>,
}

/// A reader that fails once more than `limit` bytes went through it.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.left = self.left.checked_sub(read as u64).ok_or_else(|| {
            std::io::Error::other(format!("it decompresses to more than {MAX_UNPACKED} bytes"))
        })?;
        Ok(read)
    }
}

impl Archive {
    /// Reads a `.crate` of `name` `version`.
    pub fn read(
        bytes: &[u8],
        name: &str,
        version: &semver::Version,
    ) -> Result<Archive, CrateError> {
        let invalid = |what: String| CrateError::Invalid(format!("the .crate file {what}"));
        let prefix = format!("{name}-{version}");
        let decoder = Bounded {
            inner: flate2::read::GzDecoder::new(bytes),
            left: MAX_UNPACKED,
        };
        let mut tar = tar::Archive::new(decoder);
        let mut archive = Archive {
            manifest: None,
            entries: BTreeMap::new(),
        };
        let entries = tar
            .entries()
            .map_err(|error| invalid(format!("cannot be read: {error}")))?;
        for entry in entries {
            let mut entry = entry.map_err(|error| invalid(format!("cannot be read: {error}")))?;
            let path = entry
                .path()
                .map_err(|error| invalid(format!("has an unreadable path: {error}")))?;
            let Some(path) = path.to_str().map(str::to_owned) else {
                return Err(invalid("has a path that is not UTF-8".to_owned()));
            };
            let path = path.trim_end_matches('/');
            let Some(relative) = path
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_prefix('/').or((rest.is_empty()).then_some("")))
            else {
                return Err(invalid(format!("has an entry outside {prefix}/: {path}")));
            };
            if relative.is_empty() {
                continue;
            }
            if !super::is_plain_path(relative) {
                return Err(CrateError::Unsupported(format!(
                    "the .crate file has an entry whose path cargo would not unpack as written: {relative}"
                )));
            }
            let relative = relative.to_owned();
            let kind = entry.header().entry_type();
            let record = if kind.is_file() || kind == tar::EntryType::Continuous {
                let size = entry.size();
                if relative == "Cargo.toml" {
                    if size > MAX_MANIFEST {
                        return Err(invalid(format!(
                            "has a Cargo.toml larger than {MAX_MANIFEST} bytes"
                        )));
                    }
                    let mut text = String::new();
                    entry.read_to_string(&mut text).map_err(|error| {
                        invalid(format!("has an unreadable Cargo.toml: {error}"))
                    })?;
                    archive.manifest = Some(text.clone());
                    Entry::File(
                        (text.len() as u64 <= MAX_LICENSE_FILE)
                            .then(|| sha256_hex(text.as_bytes())),
                    )
                } else if size <= MAX_LICENSE_FILE {
                    let mut bytes = Vec::with_capacity(size as usize);
                    entry
                        .read_to_end(&mut bytes)
                        .map_err(|error| invalid(format!("cannot be read: {error}")))?;
                    Entry::File(Some(sha256_hex(&bytes)))
                } else {
                    Entry::File(None)
                }
            } else if kind.is_dir() {
                Entry::Directory
            } else if kind.is_symlink() || kind.is_hard_link() {
                Entry::Link
            } else {
                // Other kinds (devices, FIFOs) are skipped by cargo's unpacking.
                continue;
            };
            archive.entries.insert(relative, record);
        }
        Ok(archive)
    }

    /// What the archive holds at `path`, or an error if a link stands in the way.
    fn entry(&self, path: &str) -> Result<Option<&Entry>, CrateError> {
        let mut prefix = String::new();
        for part in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if self.entries.get(&prefix) == Some(&Entry::Link) {
                return Err(CrateError::Unsupported(format!(
                    "{path} is (or is under) a link in the .crate file"
                )));
            }
        }
        Ok(self.entries.get(path))
    }
}

impl Contents for Archive {
    fn manifest(&self) -> Result<String, CrateError> {
        self.manifest
            .clone()
            .ok_or_else(|| CrateError::Invalid("the .crate file has no Cargo.toml".to_owned()))
    }

    fn path_fact(&self, path: &str) -> Result<PathFact, CrateError> {
        Ok(match self.entry(path)? {
            Some(Entry::File(_)) => PathFact::File,
            _ => PathFact::NotFile,
        })
    }

    fn hash(&self, path: &str) -> Result<Option<String>, CrateError> {
        if crate::support::files::escapes_crate_dir(path).is_some() {
            return Ok(None);
        }
        if !super::is_plain_path(path) {
            return Err(CrateError::Unsupported(format!(
                "{path} is not a plain path inside the crate"
            )));
        }
        Ok(match self.entry(path)? {
            Some(Entry::File(hash)) => hash.clone(),
            _ => None,
        })
    }

    fn root_names(&self) -> Vec<String> {
        self.entries
            .keys()
            .filter(|path| !path.contains('/'))
            .cloned()
            .collect()
    }
}

/// Builds a `.crate` archive from (path inside the crate, bytes) pairs, as `cargo package`
/// lays it out; for tests.
#[cfg(test)]
pub fn build(name: &str, version: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("{name}-{version}/{path}"), *bytes)
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::crates::read_facts;

    #[test]
    fn one_pass_over_the_archive_gives_the_facts() {
        let bytes = build(
            "demo",
            "0.2.0",
            &[
                (
                    "Cargo.toml",
                    b"[package]\nname = \"demo\"\nversion = \"0.2.0\"\nlicense-file = \"LICENSE\"\n[lib]\nproc-macro = true\n",
                ),
                ("LICENSE", b"terms"),
                ("src/lib.rs", b""),
                ("build.rs", b"fn main() {}"),
            ],
        );
        let archive = Archive::read(&bytes, "demo", &semver::Version::new(0, 2, 0)).unwrap();
        let facts =
            read_facts(&archive, "demo", &semver::Version::new(0, 2, 0), &["nope"]).unwrap();
        assert!(facts.build_script && facts.proc_macro && facts.has_lib);
        assert_eq!(facts.files.get("LICENSE"), Some(&sha256_hex(b"terms")));
        assert!(!facts.files.contains_key("nope"));
    }

    #[test]
    fn entries_outside_the_crate_directory_are_refused() {
        let bytes = build("demo", "0.2.0", &[("Cargo.toml", b"")]);
        let error = Archive::read(&bytes, "other", &semver::Version::new(0, 2, 0)).unwrap_err();
        assert!(
            error.to_string().contains("outside other-0.2.0/"),
            "{error}"
        );
        let error = Archive::read(b"not gzip", "demo", &semver::Version::new(0, 2, 0))
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(error, CrateError::Invalid(_)), "{error}");
    }

    #[test]
    fn a_link_where_a_fact_is_read_is_left_to_cargo() {
        let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(encoder);
        let manifest = b"[package]\nname = \"demo\"\nversion = \"0.2.0\"\n";
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest.len() as u64);
        header.set_cksum();
        builder
            .append_data(&mut header, "demo-0.2.0/Cargo.toml", &manifest[..])
            .unwrap();
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        builder
            .append_link(&mut link, "demo-0.2.0/build.rs", "/etc/passwd")
            .unwrap();
        let bytes = builder.into_inner().unwrap().finish().unwrap();
        let archive = Archive::read(&bytes, "demo", &semver::Version::new(0, 2, 0)).unwrap();
        let error = read_facts(&archive, "demo", &semver::Version::new(0, 2, 0), &[]).unwrap_err();
        assert!(matches!(error, CrateError::Unsupported(_)), "{error}");
    }
}
