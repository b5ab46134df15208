//! Test tools: `.crate` files written header by header (any type flag, GNU/ustar/old headers,
//! long names, PAX records, sparse maps), cargo's unpacking done for real with the `tar` crate
//! into a temporary directory, and the comparison of the tree it leaves with `Archive`'s.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Archive;
use crate::facts::crates::CrateError;

/// The crate every test archive holds.
pub const NAME: &str = "demo";
/// Its version.
pub const VERSION: &str = "0.2.0";
/// `NAME-VERSION/`.
pub const DIR: &str = "demo-0.2.0/";

/// How a header says it is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `ustar  \0` (what `cargo package` writes).
    Gnu,
    /// `ustar\000`.
    Ustar,
    /// No magic at all (v7).
    Old,
}

/// A tar stream written header by header.
#[derive(Default)]
pub struct Raw {
    out: Vec<u8>,
}

fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(text.as_bytes());
    field[width] = 0;
}

/// A header; the checksum is computed by `Raw::push`.
pub fn header(name: &[u8], flag: u8, size: u64, link: &[u8], format: Format) -> [u8; 512] {
    let mut block = [0u8; 512];
    block[..name.len()].copy_from_slice(name);
    let dir = flag == b'5' || name.ends_with(b"/");
    octal(&mut block[100..108], if dir { 0o755 } else { 0o644 });
    octal(&mut block[108..116], 0);
    octal(&mut block[116..124], 0);
    octal(&mut block[124..136], size);
    octal(&mut block[136..148], 1_153_704_088);
    block[156] = flag;
    block[157..157 + link.len()].copy_from_slice(link);
    match format {
        Format::Gnu => block[257..265].copy_from_slice(b"ustar  \0"),
        Format::Ustar => block[257..265].copy_from_slice(b"ustar\x0000"),
        Format::Old => {}
    }
    block
}

impl Raw {
    /// Appends a header (its checksum set) and its data, padded to 512 bytes.
    pub fn push(&mut self, mut block: [u8; 512], data: &[u8]) -> &mut Raw {
        block[148..156].copy_from_slice(b"        ");
        let sum: u32 = block.iter().map(|byte| u32::from(*byte)).sum();
        let text = format!("{sum:06o}\0 ");
        block[148..156].copy_from_slice(text.as_bytes());
        self.out.extend_from_slice(&block);
        self.out.extend_from_slice(data);
        self.out.resize(self.out.len().div_ceil(512) * 512, 0);
        self
    }

    /// An entry of type `flag` at `DIR` + `path` (GNU header).
    pub fn entry(&mut self, path: &str, flag: u8, data: &[u8]) -> &mut Raw {
        let name = format!("{DIR}{path}");
        self.push(
            header(name.as_bytes(), flag, data.len() as u64, b"", Format::Gnu),
            data,
        )
    }

    /// A regular file at `DIR` + `path`.
    pub fn file(&mut self, path: &str, data: &[u8]) -> &mut Raw {
        self.entry(path, b'0', data)
    }

    /// A link of type `flag` (`1` hard, `2` symbolic) at `DIR` + `path` to `target`.
    pub fn link(&mut self, path: &str, flag: u8, target: &str) -> &mut Raw {
        let name = format!("{DIR}{path}");
        self.push(
            header(name.as_bytes(), flag, 0, target.as_bytes(), Format::Gnu),
            b"",
        )
    }

    /// A PAX extension header ('x') holding `records`.
    pub fn pax(&mut self, records: &[(&str, &str)]) -> &mut Raw {
        let mut data = Vec::new();
        for (key, value) in records {
            let body = format!(" {key}={value}\n");
            let mut length = body.len() + 1;
            while format!("{length}{body}").len() != length {
                length += 1;
            }
            data.extend_from_slice(format!("{length}{body}").as_bytes());
        }
        let block = header(b"PaxHeader", b'x', data.len() as u64, b"", Format::Ustar);
        self.push(block, &data)
    }

    /// A GNU long name header ('L') for the next entry.
    pub fn long_name(&mut self, name: &str) -> &mut Raw {
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        let block = header(b"././@LongLink", b'L', data.len() as u64, b"", Format::Gnu);
        self.push(block, &data)
    }

    /// A GNU sparse file ('S') at `DIR` + `path`: `chunks` of (offset, bytes, each a multiple
    /// of 512 long but the last), `real_size` in all.
    pub fn sparse(&mut self, path: &str, chunks: &[(u64, &[u8])], real_size: u64) -> &mut Raw {
        let stored: Vec<u8> = chunks.iter().flat_map(|(_, data)| data.to_vec()).collect();
        let name = format!("{DIR}{path}");
        let mut block = header(name.as_bytes(), b'S', stored.len() as u64, b"", Format::Gnu);
        for (index, (offset, data)) in chunks.iter().enumerate() {
            let at = 386 + index * 24;
            octal(&mut block[at..at + 12], *offset);
            octal(&mut block[at + 12..at + 24], data.len() as u64);
        }
        octal(&mut block[483..495], real_size);
        self.push(block, &stored)
    }

    /// The gzip-compressed archive, ended by two zero blocks.
    pub fn finish(&self) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&self.out).unwrap();
        encoder.write_all(&[0; 1024]).unwrap();
        encoder.finish().unwrap()
    }
}

/// A manifest for `NAME` `VERSION`.
pub const MANIFEST: &[u8] = b"[package]\nname = \"demo\"\nversion = \"0.2.0\"\n";

/// What one path of an unpacked tree is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file and its bytes.
    File(Vec<u8>),
    /// A symbolic link and its target.
    Link(String),
}

/// The tree `Archive` gives.
pub fn tree_of(archive: &Archive) -> BTreeMap<String, Kind> {
    let mut tree = BTreeMap::new();
    for file in archive.files() {
        assert!(!file.truncated);
        tree.insert(file.path, Kind::File(file.bytes));
    }
    for dir in archive.directories() {
        tree.insert(dir, Kind::Dir);
    }
    for (link, target) in archive.symlinks() {
        tree.insert(link, Kind::Link(target));
    }
    tree
}

/// What cargo's `unpack` leaves: the crate directory's tree, and whether anything was written
/// next to it; or tar's error.
pub fn unpack_for_real(bytes: &[u8]) -> Result<(BTreeMap<String, Kind>, bool), String> {
    let temp = tempfile::tempdir().unwrap();
    let registry = temp.path().join("src");
    let prefix = format!("{NAME}-{VERSION}");
    let root = registry.join(&prefix);
    std::fs::create_dir_all(&root).unwrap();
    let result = (|| -> Result<(), String> {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        tar.set_mask(0o022);
        for entry in tar.entries().map_err(|error| error.to_string())? {
            let mut entry = entry.map_err(|error| error.to_string())?;
            let path = entry.path().map_err(|e| e.to_string())?.into_owned();
            if path.strip_prefix(&prefix).is_err() {
                return Err(format!("{path:?} is not under {prefix}"));
            }
            if path.file_name().is_some_and(|name| name == ".cargo-ok") {
                continue;
            }
            entry
                .unpack_in(&registry)
                .map_err(|error| format!("{error}: {path:?}"))?;
        }
        Ok(())
    })();
    let escaped = std::fs::read_dir(&registry).unwrap().count() != 1
        || std::fs::read_dir(temp.path()).unwrap().count() != 1;
    result?;
    let mut tree = BTreeMap::new();
    walk(&root, &root, &mut tree);
    Ok((tree, escaped))
}

fn walk(root: &Path, dir: &Path, tree: &mut BTreeMap<String, Kind>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path: PathBuf = entry.unwrap().path();
        let key = path
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            tree.insert(key, Kind::Link(target.to_str().unwrap().to_owned()));
        } else if meta.is_dir() {
            tree.insert(key, Kind::Dir);
            walk(root, &path, tree);
        } else {
            tree.insert(key, Kind::File(std::fs::read(&path).unwrap()));
        }
    }
}

/// How `Archive` and the real unpacking agreed on one archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// The same tree.
    Same,
    /// Both refused it.
    BothRefused,
    /// `Archive` could not be sure (whatever tar did).
    Unsupported,
}

/// Reads `bytes` with `Archive` and unpacks them for real; panics where they disagree.
pub fn differential(bytes: &[u8]) -> (Agreement, Result<Archive, CrateError>) {
    let version = semver::Version::parse(VERSION).unwrap();
    let read = Archive::read(bytes, NAME, &version);
    let real = unpack_for_real(bytes);
    let agreement = match (&read, &real) {
        (Ok(archive), Ok((tree, escaped))) => {
            assert!(!escaped, "tar wrote outside the crate directory");
            assert_eq!(&tree_of(archive), tree);
            Agreement::Same
        }
        (Ok(archive), Err(error)) => {
            panic!(
                "tar refused ({error}) what was read as {:?}",
                tree_of(archive)
            )
        }
        (Err(CrateError::Unsupported(_)), _) => Agreement::Unsupported,
        (Err(error), Ok(tree)) => panic!("refused ({error}) what tar unpacks as {tree:?}"),
        (Err(_), Err(_)) => Agreement::BothRefused,
    };
    (agreement, read)
}
