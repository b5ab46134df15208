//! Reading a `.crate` file (a gzip-compressed tar of `NAME-VERSION/...`) without unpacking it:
//! the entries are replayed in memory with the semantics of cargo's `unpack` and the `tar`
//! crate's `Entry::unpack_in` (see NOTES.md), so that the tree read here is the tree cargo has
//! on disk: every entry tar writes as a regular file is a file whatever its type flag, the last
//! entry for a path wins, symbolic and hard links are what the operating system makes of them,
//! `.cargo-ok` is skipped. Bounded as cargo bounds it: at most `MAX_UNPACKED` bytes decompressed
//! (or 20 times the compressed size), every entry under `NAME-VERSION/`.
//!
//! What cargo refuses to unpack (a file where a directory is, a hard link onto an existing
//! path ...) is `CrateError::Invalid`. What cannot be known from the archive alone (a link
//! leading out of the crate directory, a case-insensitive file system ...) is
//! `CrateError::Unsupported`, and so are the facts of a crate that cargo 1.96 and later refuse
//! (any entry neither a regular file nor a directory) but earlier cargo unpacks: the caller
//! then asks `cargo metadata`, which unpacks it with the cargo that builds.

mod tree;

#[cfg(test)]
mod hostile;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Read;

use sha2::{Digest, Sha256};
use tar::EntryType;

use super::{Contents, CrateError, MAX_MANIFEST, PathFact, is_plain_path};
use crate::facts::code::CrateFile;
use crate::facts::crates::license_files::MAX_LICENSE_FILE;
use crate::support::files::{MIB, escapes_crate_dir};
use tree::{Node, Resolved, Start, Stop, Tree};

/// The most bytes a `.crate` may decompress to (cargo's limit is the larger of 512 MiB and 20
/// times the size of the `.crate`; so is this reader's).
pub const MAX_UNPACKED: u64 = 512 * MIB;

/// The most bytes of one file `Archive::files` gives (8 MiB); the rest is only hashed.
pub use crate::facts::code::MAX_KEPT;

/// The most bytes held of one file: enough for `files` and for the manifest.
const MAX_HELD: u64 = if MAX_KEPT > MAX_MANIFEST {
    MAX_KEPT
} else {
    MAX_MANIFEST
};

/// The compression ratio above which cargo refuses a `.crate` larger than `MAX_UNPACKED`.
const MAX_RATIO: u64 = 20;

/// The contents of a `.crate`, read once: the tree cargo unpacks it to.
#[derive(Clone, Debug)]
pub struct Archive {
    tree: Tree,
    /// Why cargo 1.96 and later (or cargo built with `tar` 0.4.44) would not have this tree.
    split: Option<String>,
    /// The paths of the tree by their form on a case-insensitive (Windows, macOS) file system.
    folded: BTreeMap<String, Vec<String>>,
}

/// A reader that fails when more than its limit is asked of it (cargo's `LimitErrorReader`).
struct Limited<R> {
    inner: std::io::Take<R>,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if self.inner.limit() == 0 && !buf.is_empty() => Err(std::io::Error::other(
                "it decompresses to more than cargo's limit",
            )),
            other => other,
        }
    }
}

/// A path's components as `std::path::Path` gives them on Unix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part<'a> {
    Root,
    Current,
    Parent,
    Normal(&'a str),
}

fn components(path: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    if path.starts_with('/') {
        parts.push(Part::Root);
    }
    for (index, part) in path.split('/').enumerate() {
        match part {
            "" => {}
            "." if index == 0 => parts.push(Part::Current),
            "." => {}
            ".." => parts.push(Part::Parent),
            name => parts.push(Part::Normal(name)),
        }
    }
    parts
}

/// The error for a `.crate` cargo refuses.
fn invalid(what: impl std::fmt::Display) -> CrateError {
    CrateError::Invalid(format!("the .crate file {what}"))
}

/// The error for a `.crate` whose tree this reader cannot be sure of.
fn unsupported(what: impl std::fmt::Display) -> CrateError {
    CrateError::Unsupported(format!("the .crate file {what}"))
}

/// The error for a path that stopped resolving while unpacking `path`.
fn stopped(path: &str, stop: Stop) -> CrateError {
    match stop {
        Stop::Outside(why) => unsupported(format!(
            "has an entry at {path} that leads out of the crate directory ({why})"
        )),
        Stop::Fails(why) => invalid(format!(
            "has an entry at {path} that cargo cannot unpack: {why}"
        )),
    }
}

/// A path as a case-insensitive file system sees it (Windows also drops trailing dots and
/// spaces, and reads `\` as a separator and `:` as the start of a stream name).
fn fold(path: &str) -> String {
    path.split(['/', '\\'])
        .map(|part| {
            let part = part.split(':').next().unwrap_or_default();
            part.trim_end_matches(['.', ' ']).to_lowercase()
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl Archive {
    /// Reads a `.crate` of `name` `version`.
    pub fn read(
        bytes: &[u8],
        name: &str,
        version: &semver::Version,
    ) -> Result<Archive, CrateError> {
        let prefix = format!("{name}-{version}");
        let limit = MAX_UNPACKED.max((bytes.len() as u64).saturating_mul(MAX_RATIO));
        let decoder = Limited {
            inner: flate2::read::GzDecoder::new(bytes).take(limit),
        };
        let mut tar = tar::Archive::new(decoder);
        let mut archive = Archive {
            tree: Tree::new(&prefix),
            split: None,
            folded: BTreeMap::new(),
        };
        let mut buffer = vec![0; 64 * 1024];
        let entries = tar
            .entries()
            .map_err(|error| invalid(format!("cannot be read: {error}")))?;
        for entry in entries {
            let mut entry = entry.map_err(|error| invalid(format!("cannot be read: {error}")))?;
            archive.replay(&mut entry, &prefix, &mut buffer)?;
        }
        for key in archive.tree.nodes.keys().filter(|key| !key.is_empty()) {
            archive
                .folded
                .entry(fold(key))
                .or_default()
                .push(key.clone());
        }
        Ok(archive)
    }

    /// Replays one entry as cargo's `unpack` and tar's `unpack_in` would.
    fn replay<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        prefix: &str,
        buffer: &mut [u8],
    ) -> Result<(), CrateError> {
        let path_bytes = entry.path_bytes().into_owned();
        let Ok(path) = String::from_utf8(path_bytes) else {
            return Err(unsupported("has a path that is not UTF-8"));
        };
        let parts = components(&path);
        if parts.first() != Some(&Part::Normal(prefix)) {
            return Err(invalid(format!("has an entry outside {prefix}/: {path}")));
        }
        let kind = entry.header().entry_type();
        if !matches!(kind, EntryType::Regular | EntryType::Directory) && self.split.is_none() {
            self.split = Some(format!(
                "the .crate file has an entry at {path} of type {kind:?}: cargo 1.96 and later \
                 refuse it, earlier cargo unpacks it"
            ));
        }
        let header_size = entry.header().entry_size().unwrap_or(0);
        let pax_size = entry.pax_extensions().ok().flatten().and_then(|pax| {
            pax.filter_map(Result::ok)
                .find(|field| field.key_bytes() == b"size")
                .and_then(|field| field.value().ok()?.parse::<u64>().ok())
        });
        if pax_size.is_some_and(|size| header_size != 0 && size != header_size) {
            return Err(unsupported(format!(
                "gives {path} a PAX size other than its header's: cargo built with tar 0.4.44 \
                 reads the rest of the archive differently"
            )));
        }
        if parts.last() == Some(&Part::Normal(".cargo-ok")) || parts.contains(&Part::Parent) {
            // Cargo skips its own lock file; tar skips a path with `..`.
            return Ok(());
        }
        let names: Vec<&str> = parts[1..]
            .iter()
            .filter_map(|part| match part {
                Part::Normal(name) => Some(*name),
                _ => None,
            })
            .collect();
        let key = match names.split_last() {
            None => String::new(),
            Some((name, parents)) => {
                let parent = self
                    .tree
                    .ensure_parent(parents)
                    .map_err(|stop| stopped(&path, stop))?;
                if parent.is_empty() {
                    (*name).to_owned()
                } else {
                    format!("{parent}/{name}")
                }
            }
        };
        let existing = self.tree.nodes.get(&key).cloned();
        let bsd_directory = entry.header().as_ustar().is_none() && path.ends_with('/');
        if kind.is_dir() || (bsd_directory && !is_link_or_meta(kind)) {
            match existing {
                None | Some(Node::Dir) => {}
                Some(Node::Symlink(_)) => {
                    return Err(unsupported(format!(
                        "has a directory entry at {path} over a link: tar 0.4.44 follows the \
                         link, later tar refuses"
                    )));
                }
                Some(Node::File(_)) => {
                    return Err(invalid(format!(
                        "has a directory entry at {path} where a file is"
                    )));
                }
            }
            let mode = entry.header().mode().unwrap_or(0o755) & 0o777 & !0o022;
            if mode & 0o700 != 0o700 {
                return Err(unsupported(format!(
                    "gives the directory {path} the mode {mode:o}: what cargo reads under it \
                     depends on whether cargo runs as root"
                )));
            }
            self.tree.nodes.insert(key, Node::Dir);
        } else if kind.is_symlink() || kind.is_hard_link() {
            let target = match entry.link_name_bytes() {
                Some(target) if !target.is_empty() => target.into_owned(),
                _ => return Err(invalid(format!("has a link at {path} without a target"))),
            };
            let Ok(target) = String::from_utf8(target) else {
                return Err(unsupported(format!(
                    "has a link at {path} to a non-UTF-8 path"
                )));
            };
            let node = if kind.is_symlink() {
                if existing == Some(Node::Dir) {
                    return Err(invalid(format!(
                        "has a link at {path} where a directory is"
                    )));
                }
                Node::Symlink(target)
            } else {
                self.hard_link(&path, &target, existing.is_some())?
            };
            self.tree.nodes.insert(key, node);
        } else if is_link_or_meta(kind) {
            // A PAX or GNU extension header tar did not recognize: only its parent is created.
        } else {
            if existing == Some(Node::Dir) {
                return Err(invalid(format!(
                    "has a file entry at {path} where a directory is"
                )));
            }
            let blob = read_blob(entry, buffer)
                .map_err(|error| invalid(format!("cannot be read at {path}: {error}")))?;
            self.tree.blobs.push(blob);
            self.tree
                .nodes
                .insert(key, Node::File(self.tree.blobs.len() - 1));
        }
        Ok(())
    }

    /// The node a hard link entry at `path` to `target` (a path from cargo's registry
    /// directory, as tar reads it) makes, if tar and the operating system make one.
    fn hard_link(&self, path: &str, target: &str, exists: bool) -> Result<Node, CrateError> {
        if target.starts_with('/') {
            return Err(unsupported(format!(
                "has a hard link at {path} to the absolute path {target}"
            )));
        }
        let stop = |stop| stopped(path, stop);
        let followed = self
            .tree
            .walk(Start::Registry, target, true, None)
            .map_err(stop)?;
        if followed.node.is_none() {
            return Err(invalid(format!(
                "has a hard link at {path} to {target}, which does not exist"
            )));
        }
        let Resolved { node, .. } = self
            .tree
            .walk(Start::Registry, target, false, None)
            .map_err(stop)?;
        match node {
            _ if exists => Err(invalid(format!(
                "has a hard link at {path}, where something already is"
            ))),
            Some(Node::File(blob)) => Ok(Node::File(blob)),
            Some(Node::Dir) => Err(invalid(format!(
                "has a hard link at {path} to the directory {target}"
            ))),
            _ => Err(unsupported(format!(
                "has a hard link at {path} to the link {target}: what it makes depends on the \
                 operating system"
            ))),
        }
    }

    /// Why cargo 1.96 and later (or cargo built with `tar` 0.4.44) would not have the tree
    /// this archive gives (`files` is the tree of cargo 1.95 and earlier); `None` when every
    /// cargo has this tree. The `Contents` answers are `CrateError::Unsupported` then.
    pub fn depends_on_cargo_version(&self) -> Option<&str> {
        self.split.as_deref()
    }

    /// Every regular file of the tree, by path, its bytes up to `MAX_KEPT`.
    pub fn files(&self) -> Vec<CrateFile> {
        self.tree
            .nodes
            .iter()
            .filter_map(|(path, node)| match node {
                Node::File(blob) => {
                    let blob = &self.tree.blobs[*blob];
                    let kept = blob.bytes.len().min(MAX_KEPT as usize);
                    Some(CrateFile {
                        path: path.clone(),
                        size: blob.size,
                        bytes: blob.bytes[..kept].to_vec(),
                        truncated: blob.size > MAX_KEPT,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// The SHA-256 (lower-case hex) of the regular file at `path` (no link followed).
    pub fn sha256(&self, path: &str) -> Option<&str> {
        match self.tree.nodes.get(path) {
            Some(Node::File(blob)) => Some(&self.tree.blobs[*blob].sha256),
            _ => None,
        }
    }

    /// Every directory of the tree but the crate directory itself.
    pub fn directories(&self) -> Vec<String> {
        self.tree
            .nodes
            .iter()
            .filter(|(path, node)| !path.is_empty() && **node == Node::Dir)
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// Every symbolic link of the tree, with its target as written.
    pub fn symlinks(&self) -> Vec<(String, String)> {
        self.tree
            .nodes
            .iter()
            .filter_map(|(path, node)| match node {
                Node::Symlink(target) => Some((path.clone(), target.clone())),
                _ => None,
            })
            .collect()
    }

    /// The regular file cargo reads at `path` (links followed), if it is one; an error if
    /// this cannot be known from the archive.
    fn file(&self, path: &str) -> Result<Option<&tree::Blob>, CrateError> {
        if let Some(why) = &self.split {
            return Err(CrateError::Unsupported(why.clone()));
        }
        if let Some(keys) = self.folded.get(&fold(path))
            && keys.iter().any(|key| key != path)
        {
            return Err(CrateError::Unsupported(format!(
                "the .crate file has {}, which a case-insensitive file system reads as {path}",
                keys.join(" and ")
            )));
        }
        match self.tree.lookup(path, true) {
            Ok(Resolved {
                node: Some(Node::File(blob)),
                ..
            }) => Ok(Some(&self.tree.blobs[blob])),
            Ok(_) | Err(Stop::Fails(_)) => Ok(None),
            Err(Stop::Outside(why)) => Err(CrateError::Unsupported(format!(
                "{path} in the .crate file leads out of the crate directory ({why})"
            ))),
        }
    }
}

/// Whether tar handles an entry of this type as a link or skips it as an extension header.
fn is_link_or_meta(kind: EntryType) -> bool {
    kind.is_symlink()
        || kind.is_hard_link()
        || kind.is_pax_global_extensions()
        || kind.is_pax_local_extensions()
        || kind.is_gnu_longname()
        || kind.is_gnu_longlink()
}

/// Reads an entry's content, hashing all of it and holding its first `MAX_HELD` bytes.
fn read_blob(entry: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<tree::Blob> {
    let mut hasher = Sha256::new();
    let mut bytes = Vec::new();
    let mut size = 0u64;
    loop {
        let read = match entry.read(buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        hasher.update(&buffer[..read]);
        let room = (MAX_HELD as usize).saturating_sub(bytes.len()).min(read);
        bytes.extend_from_slice(&buffer[..room]);
        size += read as u64;
    }
    Ok(tree::Blob {
        size,
        sha256: crate::facts::crates::license_files::hex(&hasher.finalize()),
        bytes,
    })
}

impl Contents for Archive {
    fn manifest(&self) -> Result<String, CrateError> {
        let blob = self
            .file("Cargo.toml")?
            .ok_or_else(|| CrateError::Invalid("the .crate file has no Cargo.toml".to_owned()))?;
        if blob.size > MAX_MANIFEST {
            return Err(invalid(format!(
                "has a Cargo.toml larger than {MAX_MANIFEST} bytes"
            )));
        }
        String::from_utf8(blob.bytes.clone())
            .map_err(|_| invalid("has a Cargo.toml that is not UTF-8"))
    }

    fn path_fact(&self, path: &str) -> Result<PathFact, CrateError> {
        Ok(match self.file(path)? {
            Some(_) => PathFact::File,
            None => PathFact::NotFile,
        })
    }

    fn hash(&self, path: &str) -> Result<Option<String>, CrateError> {
        if escapes_crate_dir(path).is_some() {
            return Ok(None);
        }
        if !is_plain_path(path) {
            return Err(CrateError::Unsupported(format!(
                "{path} is not a plain path inside the crate"
            )));
        }
        Ok(self
            .file(path)?
            .filter(|blob| blob.size <= MAX_LICENSE_FILE)
            .map(|blob| blob.sha256.clone()))
    }

    fn files(&self) -> Result<Vec<CrateFile>, CrateError> {
        if let Some(why) = &self.split {
            return Err(CrateError::Unsupported(why.clone()));
        }
        Ok(Archive::files(self))
    }

    fn root_names(&self) -> Vec<String> {
        self.tree
            .nodes
            .keys()
            .filter(|path| !path.is_empty() && !path.contains('/'))
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
