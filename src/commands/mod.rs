//! The commands. Each takes a plain request (no command-line types), runs the pipeline's
//! stages, renders, and returns the outcome; none calls another command.

pub mod baseline;
pub mod check;
pub mod diff;
pub mod explain;
pub mod fetch;
pub mod init;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::support::cache::{CacheError, write_atomic};
use crate::support::terminal::Terminal;

pub use crate::exit::Outcome;

/// Writes a file of the workspace (policy, baseline) atomically.
pub fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    write_atomic(path, text.as_bytes()).map_err(|error| match error {
        CacheError::Io { source, .. } => Error::Write {
            path: path.to_path_buf(),
            source,
        },
        other => Error::Cache(other),
    })
}

/// Writes a command's report to stdout (a closed pipe is not an error).
pub fn print(terminal: &Terminal, text: &str) -> Result<(), Error> {
    terminal.report(text).map_err(|source| Error::Write {
        path: PathBuf::from("standard output"),
        source,
    })
}
