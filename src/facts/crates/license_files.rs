//! License files of a crate: read only inside the crate's directory (after following symbolic
//! links), only if they are regular files of at most `MAX_LICENSE_FILE` bytes, and known by
//! their SHA-256. A path that leaves the crate is never read.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::support::files::escapes_crate_dir;

/// The largest license file read (1 MiB).
pub const MAX_LICENSE_FILE: u64 = crate::support::files::MIB;

/// The lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes in lower-case hex (a digest, as `sha256_hex` and the archive reader write it).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The lower-case hex SHA-256 of a file's content (a regular file of at most
/// `MAX_LICENSE_FILE` bytes).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let bytes =
        crate::support::files::read_bounded(path, MAX_LICENSE_FILE).map_err(
            |error| match error {
                crate::support::files::FileError::Io { source, .. } => source,
                other => std::io::Error::other(other.reason()),
            },
        )?;
    Ok(sha256_hex(&bytes))
}

/// The SHA-256 of `relative` inside the crate directory `dir`: only a regular file of at most
/// `MAX_LICENSE_FILE` bytes that is still inside `dir` once symbolic links are followed.
/// The error says why, without anything read from outside the crate.
pub fn hash_in_crate(dir: &Path, relative: &str) -> Result<String, String> {
    if let Some(what) = escapes_crate_dir(relative) {
        return Err(format!(
            "is {what}; license files are read only inside the crate's directory"
        ));
    }
    let root = dir
        .canonicalize()
        .map_err(|error| format!("cannot be read: the crate directory: {error}"))?;
    let file = dir
        .join(relative)
        .canonicalize()
        .map_err(|error| format!("cannot be read: {error}"))?;
    if !file.starts_with(&root) {
        return Err(
            "leads outside the crate's directory (through a symbolic link); it is not read"
                .to_owned(),
        );
    }
    let bytes = crate::support::files::read_bounded(&file, MAX_LICENSE_FILE)
        .map_err(|error| format!("cannot be read: {}", error.reason()))?;
    Ok(sha256_hex(&bytes))
}
