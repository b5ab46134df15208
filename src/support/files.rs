//! Reading files whose path or content comes from outside (the policy, the baseline, advisory
//! files, license files named by the policy): regular files only, and never more than a limit.
//!
//! A path can be a symbolic link to `/dev/zero` (endless), a FIFO (blocks forever on open), a
//! directory or a huge file. `read_bounded` looks at what the path is before opening it (a
//! FIFO is refused without being opened), checks the opened file again, and reads at most
//! `limit` bytes; more is an error, never a truncation. `read_text` adds UTF-8 validation that
//! names the line and column of the first invalid byte.
//!
//! One race remains by design of the portable standard library: a regular file swapped for a
//! FIFO between the check and the open would block the open. That needs an attacker who can
//! write the directory while the tool runs; the file types that come from content (a policy
//! symlinked to a device, a FIFO committed to a repository) are all refused.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One mebibyte, for limits.
pub const MIB: u64 = 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened or read (it may not exist: see `is_not_found`).
    #[error("{}: could not read the file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The path is not a regular file (after following symbolic links).
    #[error("{}: not a regular file but {kind}; only regular files are read", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead: "a directory", "a FIFO", "a character device" ...
        kind: &'static str,
    },
    /// The file is larger than the limit.
    #[error("{}: larger than {limit} bytes (the most read for this kind of file)", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not valid UTF-8.
    #[error("{}:{line}:{column}: not valid UTF-8 (the first invalid byte is here)", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column of the first invalid byte, in characters.
        column: usize,
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// The text with invalid bytes replaced by U+FFFD (the same up to `offset`), to show
        /// the offending line.
        lossy: String,
    },
}

impl FileError {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            FileError::Io { path, .. }
            | FileError::NotRegular { path, .. }
            | FileError::TooLarge { path, .. }
            | FileError::NotUtf8 { path, .. } => path,
        }
    }

    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FileError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// What is wrong, without the path (for messages that name the file already).
    pub fn reason(&self) -> String {
        match self {
            FileError::Io { source, .. } => format!("could not read the file: {source}"),
            FileError::NotRegular { kind, .. } => {
                format!("not a regular file but {kind}; only regular files are read")
            }
            FileError::TooLarge { limit, .. } => {
                format!("larger than {limit} bytes (the most read for this kind of file)")
            }
            FileError::NotUtf8 { line, column, .. } => {
                format!(
                    "not valid UTF-8 (the first invalid byte is at line {line}, column {column})"
                )
            }
        }
    }
}

/// What a non-regular file is, for messages.
fn kind_of(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Looks at `path` without opening it (symbolic links followed), for a file that another
/// program (cargo) is about to read: `Ok(false)` when it does not exist, `Ok(true)` for a
/// regular file of at most `limit` bytes, and an error for anything else (a FIFO would block
/// its reader forever, `/dev/zero` never ends, a huge file exhausts its memory).
pub fn check_regular(path: &Path, limit: u64) -> Result<bool, FileError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(FileError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !metadata.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&metadata),
        });
    }
    if metadata.len() > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(true)
}

/// Reads a regular file (symbolic links followed) of at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Look before opening: opening a FIFO blocks until a writer comes.
    let before = std::fs::metadata(path).map_err(io)?;
    if !before.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&before),
        });
    }
    let file = File::open(path).map_err(io)?;
    let opened = file.metadata().map_err(io)?;
    if !opened.is_file() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&opened),
        });
    }
    if opened.len() > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    // One byte more than the limit tells a file that grew past it from one that fits.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Reads a regular UTF-8 text file of at most `limit` bytes; invalid UTF-8 is an error at the
/// line and column of the first invalid byte.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FileError> {
    decode(path, read_bounded(path, limit)?)
}

/// The text of `bytes` read from `path` (on disk, or `REV:path` at a git revision); invalid
/// UTF-8 is an error at the line and column of the first invalid byte.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, FileError> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let (line, column) = line_and_column(valid);
        FileError::NotUtf8 {
            path: path.to_path_buf(),
            line,
            column,
            offset: valid.len(),
            lossy: String::from_utf8_lossy(error.as_bytes()).into_owned(),
        }
    })
}

/// The 1-based line and column (in characters) just after `valid`, which is valid UTF-8.
fn line_and_column(valid: &[u8]) -> (usize, usize) {
    let line_start = valid
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |index| index + 1);
    let line = 1 + valid.iter().filter(|byte| **byte == b'\n').count();
    let column = 1 + String::from_utf8_lossy(&valid[line_start..])
        .chars()
        .count();
    (line, column)
}

/// Makes a FIFO at `path`, for tests of reads that must not block on one.
#[cfg(all(test, unix))]
pub(crate) fn make_fifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Why a path names no file inside a crate directory, before looking at the disk: an absolute
/// path, or one with a `..` component (`/` and `\` both separate components).
pub fn escapes_crate_dir(relative: &str) -> Option<&'static str> {
    let path = Path::new(relative);
    if relative.starts_with(['/', '\\']) || path.has_root() || path.is_absolute() {
        return Some("an absolute path");
    }
    if relative.split(['/', '\\']).any(|part| part == "..") {
        return Some("a path with `..`");
    }
    // `C:LICENSE` or `C:/...`: a Windows drive, wherever the policy is read.
    if relative
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && relative.get(1..2) == Some(":")
    {
        return Some("an absolute path");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_bounded(&path, 10).unwrap(), b"0123456789");
        assert_eq!(read_text(&path, 100).unwrap(), "0123456789");
        assert!(matches!(
            read_bounded(&path, 9),
            Err(FileError::TooLarge { limit: 9, .. })
        ));
        let missing = read_bounded(&dir.path().join("none"), 10).unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
    }

    #[test]
    fn a_directory_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let error = read_bounded(dir.path(), 10).unwrap_err();
        assert!(
            matches!(
                error,
                FileError::NotRegular {
                    kind: "a directory",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_dev_zero_is_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("trustcheck.toml");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let error = read_bounded(&link, MIB).unwrap_err();
        assert!(
            matches!(
                error,
                FileError::NotRegular {
                    kind: "a character device",
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("trustcheck.toml"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        make_fifo(&fifo);
        let (send, receive) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = send.send(
                read_bounded(&path, MIB)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            );
        });
        let outcome = receive
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO must not block");
        let error = outcome.unwrap_err();
        assert!(error.contains("a FIFO"), "{error}");
    }

    #[test]
    fn invalid_utf8_names_the_line_and_column_of_the_first_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, b"a = 1\n\xc3\xa9t\xc3\xa9 = \"\xff\"\n").unwrap();
        let error = read_text(&path, MIB).unwrap_err();
        assert!(
            matches!(
                error,
                FileError::NotUtf8 {
                    line: 2,
                    column: 8,
                    offset: 15,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .ends_with("p.toml:2:8: not valid UTF-8 (the first invalid byte is here)"),
            "{error}"
        );
        std::fs::write(&path, b"\xfe").unwrap();
        assert!(matches!(
            read_text(&path, MIB),
            Err(FileError::NotUtf8 {
                line: 1,
                column: 1,
                offset: 0,
                ..
            })
        ));
    }
}
