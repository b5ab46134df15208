//! The workspace members, without resolving anything: `cargo metadata --no-deps` (no
//! resolution, no download, a few milliseconds), started early like the full `cargo metadata`,
//! with `cargo -V` beside it (the cargo that will judge the lock file, for the record of its
//! verdict in `verified`).
//!
//! The members are read with guppy and `package_of`, exactly as the full graph reads them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use guppy::graph::PackageGraph;

use super::GraphError;
use super::metadata::{cargo_command, cargo_program, collect, spawn};
use crate::load::graph::Package;

/// `cargo metadata --no-deps` and `cargo -V`, running.
pub struct MembersJob {
    metadata: Child,
    version: Option<Child>,
}

/// The members, as cargo reads their manifests.
#[derive(Debug)]
pub struct Members {
    /// The workspace root.
    pub workspace_root: PathBuf,
    /// The members, as the full graph gives them.
    pub packages: Vec<Package>,
    /// The `cargo metadata --no-deps` output itself (part of what cargo's verdict on the lock
    /// file is recorded for).
    pub json: String,
    /// What `cargo -V` printed (empty if it could not run).
    pub cargo_version: String,
}

impl MembersJob {
    /// Starts both processes.
    pub fn start(manifest_path: Option<&Path>, offline: bool) -> Result<MembersJob, GraphError> {
        let mut command = cargo_command(
            &["metadata", "--format-version", "1", "--no-deps", "--locked"],
            manifest_path,
            offline,
        );
        let metadata = spawn(&mut command)?;
        let version = Command::new(cargo_program())
            .arg("-V")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        Ok(MembersJob { metadata, version })
    }

    /// Stops both processes.
    pub fn cancel(mut self) {
        let _ = self.metadata.kill();
        let _ = self.metadata.wait();
        if let Some(mut version) = self.version {
            let _ = version.kill();
            let _ = version.wait();
        }
    }

    /// Waits for the members.
    pub fn wait(self) -> Result<Members, GraphError> {
        let (status, json, stderr) = collect(self.metadata)?;
        let cargo_version = self
            .version
            .and_then(|child| child.wait_with_output().ok())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_default();
        if !status.success() {
            return Err(GraphError::CargoFailed {
                status: status.to_string(),
                stderr: stderr.trim_end().to_owned(),
            });
        }
        let graph = PackageGraph::from_json(&json)
            .map_err(|error| GraphError::InvalidMetadata(error.to_string()))?;
        let packages = graph
            .workspace()
            .iter()
            .map(|metadata| super::package_of(&metadata))
            .collect();
        Ok(Members {
            workspace_root: graph.workspace().root().as_std_path().to_path_buf(),
            packages,
            json,
            cargo_version,
        })
    }
}
