//! Running `cargo metadata`: started early so other loading overlaps with it, and never allowed
//! to modify the user's `Cargo.lock`.
//!
//! cargo is always run with `--locked`: a lock file that is out of date with the manifests, or
//! damaged, is an error (what cargo itself says, exit 2), never silently re-resolved. A
//! workspace without a `Cargo.lock` is resolved afresh (unless `--locked` was asked for), the
//! lock file cargo writes for that is removed again, and the report says so.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::GraphError;

/// Where the metadata comes from.
#[derive(Clone, Debug)]
pub enum MetadataSource {
    /// Run `cargo metadata` for this manifest (or the one cargo finds from the current directory).
    Cargo {
        /// `--manifest-path`.
        manifest_path: Option<PathBuf>,
        /// Pass `--offline` to cargo.
        offline: bool,
        /// The user asked for `--locked`: a missing `Cargo.lock` is an error too.
        locked: bool,
    },
    /// Read recorded `cargo metadata --format-version 1 --all-features` output.
    Recorded(PathBuf),
}

/// The metadata JSON, with what the reader should be told about how it was obtained.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    /// `cargo metadata --format-version 1 --all-features` output.
    pub json: String,
    /// Notes for the report (the workspace had no `Cargo.lock`).
    pub notes: Vec<String>,
}

/// Metadata being obtained: a `cargo metadata` process, or a recorded file.
pub struct MetadataJob {
    source: MetadataSource,
    child: Option<Child>,
}

/// The cargo program: `$CARGO` (set when cargo runs this tool), else `cargo`.
pub(crate) fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// A cargo command with these arguments, for the workspace of `manifest_path` (else of the
/// current directory), `--offline` when asked: no stdin, its output piped.
pub(crate) fn cargo_command(args: &[&str], manifest_path: Option<&Path>, offline: bool) -> Command {
    let mut command = Command::new(cargo_program());
    command.args(args);
    if let Some(path) = manifest_path {
        command.arg("--manifest-path").arg(path);
    }
    if offline {
        command.arg("--offline");
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn metadata_command(manifest_path: Option<&Path>, offline: bool, locked: bool) -> Command {
    let mut command = cargo_command(
        &["metadata", "--format-version", "1", "--all-features"],
        manifest_path,
        offline,
    );
    if locked {
        command.arg("--locked");
    }
    command
}

/// Starts a cargo process.
pub(crate) fn spawn(command: &mut Command) -> Result<Child, GraphError> {
    command.spawn().map_err(|source| GraphError::Spawn {
        program: cargo_program(),
        source,
    })
}

/// Waits for a cargo process, draining stderr on a thread so a chatty cargo cannot block.
pub(crate) fn collect(
    mut child: Child,
) -> Result<(std::process::ExitStatus, String, String), GraphError> {
    let spawn_error = |source| GraphError::Spawn {
        program: cargo_program(),
        source,
    };
    let mut err = child.stderr.take();
    let stderr_thread = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(err) = err.as_mut() {
            let _ = err.read_to_string(&mut text);
        }
        text
    });
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).map_err(spawn_error)?;
    }
    let stderr = stderr_thread.join().unwrap_or_default();
    let status = child.wait().map_err(spawn_error)?;
    Ok((status, stdout, stderr))
}

/// The lock file cargo says it would have to write, from its `--locked` error message.
pub(crate) fn lock_file_in_error(stderr: &str) -> Option<PathBuf> {
    let rest = stderr.split("the lock file ").nth(1)?;
    let end = [" needs to be updated", " because --locked"]
        .iter()
        .filter_map(|marker| rest.find(marker))
        .min()?;
    Some(PathBuf::from(rest[..end].trim()))
}

impl MetadataJob {
    /// Starts obtaining the metadata; for cargo, this spawns the process and returns at once.
    pub fn start(source: &MetadataSource) -> Result<MetadataJob, GraphError> {
        let child = match source {
            MetadataSource::Recorded(_) => None,
            MetadataSource::Cargo {
                manifest_path,
                offline,
                ..
            } => Some(spawn(&mut metadata_command(
                manifest_path.as_deref(),
                *offline,
                true,
            ))?),
        };
        Ok(MetadataJob {
            source: source.clone(),
            child,
        })
    }

    /// Stops a running `cargo metadata` whose answer is no longer needed.
    pub fn cancel(self) {
        if let Some(mut child) = self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the metadata.
    pub fn wait(self) -> Result<Metadata, GraphError> {
        let (manifest_path, offline, lock_file) = match (&self.source, self.child) {
            (MetadataSource::Recorded(path), _) => {
                let json =
                    crate::support::files::read_text(path, 1024 * crate::support::files::MIB)
                        .map_err(GraphError::ReadMetadata)?;
                return Ok(Metadata {
                    json,
                    notes: Vec::new(),
                });
            }
            (
                MetadataSource::Cargo {
                    manifest_path,
                    offline,
                    locked,
                },
                Some(child),
            ) => {
                let (status, stdout, stderr) = collect(child)?;
                if status.success() {
                    return Ok(Metadata {
                        json: stdout,
                        notes: Vec::new(),
                    });
                }
                let Some(lock_file) = lock_file_in_error(&stderr) else {
                    return Err(GraphError::CargoFailed {
                        status: status.to_string(),
                        stderr: stderr.trim_end().to_owned(),
                    });
                };
                if lock_file.exists() {
                    return Err(GraphError::LockfileOutOfDate { path: lock_file });
                }
                if *locked {
                    return Err(GraphError::NoLockfile { path: lock_file });
                }
                (manifest_path.clone(), *offline, lock_file)
            }
            (MetadataSource::Cargo { .. }, None) => {
                unreachable!("a cargo metadata job always has its process")
            }
        };
        // No Cargo.lock: resolve afresh, then remove the lock file cargo wrote for it.
        let child = spawn(&mut metadata_command(
            manifest_path.as_deref(),
            offline,
            false,
        ))?;
        let (status, stdout, stderr) = collect(child)?;
        let _ = std::fs::remove_file(&lock_file);
        if !status.success() {
            return Err(GraphError::CargoFailed {
                status: status.to_string(),
                stderr: stderr.trim_end().to_owned(),
            });
        }
        Ok(Metadata {
            json: stdout,
            notes: vec![format!(
                "the workspace has no Cargo.lock ({} does not exist): its dependencies were resolved afresh, to the newest versions cargo would pick today, and the lock file cargo wrote for that was removed again; commit a Cargo.lock so that checks see what you build (`--locked` makes this an error)",
                lock_file.display()
            )],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lock_file_in_cargos_locked_error() {
        let stderr = "error: the lock file /tmp/ws/Cargo.lock needs to be updated but --locked was passed to prevent this\nIf you want to try to generate the lock file without accessing the network, remove the --locked flag and use --offline instead.\n";
        assert_eq!(
            lock_file_in_error(stderr),
            Some(PathBuf::from("/tmp/ws/Cargo.lock"))
        );
        let stderr = "error: cannot create the lock file /tmp/ws/Cargo.lock because --locked was passed to prevent this\nhelp: to generate the lock file without accessing the network, remove the --locked flag and use --offline instead.\n";
        assert_eq!(
            lock_file_in_error(stderr),
            Some(PathBuf::from("/tmp/ws/Cargo.lock"))
        );
        assert_eq!(lock_file_in_error("error: failed to parse manifest"), None);
    }
}
