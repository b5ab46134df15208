//! Whether `Cargo.lock` is the graph cargo would use, by cargo's own `--locked` verdict: the
//! lockfile-first graph is read from the lock file only when cargo agrees the file is up to
//! date with the manifests, as `cargo metadata --locked` would.
//!
//! Cargo is asked with `cargo update --workspace --locked`: it resolves the workspace with the
//! lock file's versions preferred, from the registries' indexes only (no `.crate` download),
//! and fails, without writing anything, when the lock file would have to change. Its verdict
//! is recorded in the cache under a fingerprint of everything it depends on (the cargo
//! version, the lock file, the members' manifests as `cargo metadata --no-deps` reads them,
//! the root manifest, cargo's configuration files and the `CARGO_*` variables that configure
//! sources and resolution), so that a warm run does not ask again.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::facts::crates::sources::ConfigFile;
use crate::load::graph::metadata::{cargo_command, collect, lock_file_in_error, spawn};
use crate::support::cache::{CacheDir, write_atomic};

/// Everything cargo's verdict on a lock file depends on.
pub struct Inputs<'a> {
    /// What `cargo -V` printed.
    pub cargo_version: &'a str,
    /// The lock file's bytes.
    pub lockfile: &'a [u8],
    /// `cargo metadata --no-deps` output.
    pub members_json: &'a str,
    /// The root manifest's bytes.
    pub root_manifest: &'a [u8],
    /// Cargo's configuration files that apply, read.
    pub config_files: &'a [ConfigFile],
}

/// Whether an environment variable can change how cargo resolves or where it reads from.
fn configures_resolution(name: &str) -> bool {
    name == "CARGO"
        || name == "RUSTUP_TOOLCHAIN"
        || name == "CARGO_HOME"
        || [
            "CARGO_REGISTRIES_",
            "CARGO_REGISTRY_",
            "CARGO_SOURCE_",
            "CARGO_RESOLVER_",
            "CARGO_NET_",
            "CARGO_UNSTABLE_",
            "CARGO_PATCH_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// The fingerprint of the inputs: the lower-case hex SHA-256 of all of them, each framed by
/// its length.
pub fn fingerprint(inputs: &Inputs<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut part = |label: &str, bytes: &[u8]| {
        hasher.update(label.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part("format", b"1");
    part("cargo", inputs.cargo_version.as_bytes());
    part("lockfile", inputs.lockfile);
    part("members", inputs.members_json.as_bytes());
    part("root", inputs.root_manifest);
    for file in inputs.config_files {
        part("config-path", file.path.to_string_lossy().as_bytes());
        part("config", &file.bytes);
    }
    let mut variables: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(name, _)| configures_resolution(name))
        .collect();
    variables.sort();
    for (name, value) in variables {
        part("variable", format!("{name}={value}").as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The record of cargo's verdicts in the cache.
pub struct Verdicts {
    dir: PathBuf,
}

impl Verdicts {
    /// The verdicts under `cache` (`<cache>/lockfile-verified`).
    pub fn new(cache: &CacheDir) -> Verdicts {
        Verdicts {
            dir: cache.root().join("lockfile-verified"),
        }
    }

    /// Whether cargo accepted the lock file with these inputs before.
    pub fn accepted(&self, fingerprint: &str) -> bool {
        self.dir.join(fingerprint).is_file()
    }

    /// Records that cargo accepted it (a failure to record only costs a later run the question).
    pub fn record(&self, fingerprint: &str, cargo_version: &str) {
        let text = format!(
            "{{\"accepted-at\":{},\"cargo\":{}}}\n",
            crate::support::cache::unix_now(),
            serde_json::Value::String(cargo_version.to_owned())
        );
        let _ = write_atomic(&self.dir.join(fingerprint), text.as_bytes());
    }
}

/// What cargo said of the lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It is up to date with the manifests.
    Accepted,
    /// It is out of date (cargo would have to write it).
    OutOfDate,
    /// Cargo could not tell (offline without its index, a manifest it cannot read ...): the
    /// first line of what it said.
    Unknown(String),
}

/// Asks cargo whether the lock file of the workspace of `manifest_path` (or of the current
/// directory) is up to date: `cargo update --workspace --locked`, `--offline` when asked.
pub fn ask_cargo(manifest_path: Option<&Path>, offline: bool) -> Verdict {
    let mut command = cargo_command(
        &["update", "--workspace", "--locked", "--quiet"],
        manifest_path,
        offline,
    );
    let outcome = spawn(&mut command).and_then(collect);
    match outcome {
        Ok((status, _, _)) if status.success() => Verdict::Accepted,
        Ok((_, _, stderr)) if lock_file_in_error(&stderr).is_some() => Verdict::OutOfDate,
        Ok((status, _, stderr)) => Verdict::Unknown(
            stderr
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .map_or_else(
                    || format!("cargo update exited with {status}"),
                    str::to_owned,
                ),
        ),
        Err(error) => Verdict::Unknown(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_changes_with_every_input() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "[source.crates-io]\n").unwrap();
        let read = || {
            vec![ConfigFile {
                path: config.clone(),
                bytes: std::fs::read(&config).unwrap(),
            }]
        };
        let configs = read();
        let inputs = |lock: &'static [u8], members: &'static str| Inputs {
            cargo_version: "cargo 1.95.0",
            lockfile: lock,
            members_json: members,
            root_manifest: b"[workspace]",
            config_files: &configs,
        };
        let base = fingerprint(&inputs(b"lock", "{}"));
        assert_eq!(base, fingerprint(&inputs(b"lock", "{}")));
        assert_ne!(base, fingerprint(&inputs(b"lock2", "{}")));
        assert_ne!(base, fingerprint(&inputs(b"lock", "{ }")));
        assert_ne!(
            fingerprint(&inputs(b"lo", "ck{}")),
            fingerprint(&inputs(b"lock", "{}")),
            "parts are framed"
        );
        std::fs::write(&config, "[source.crates-io]\nreplace-with = \"v\"\n").unwrap();
        let changed = read();
        assert_ne!(
            base,
            fingerprint(&Inputs {
                config_files: &changed,
                ..inputs(b"lock", "{}")
            })
        );
        let verdicts = Verdicts::new(&CacheDir::at(dir.path()));
        assert!(!verdicts.accepted(&base));
        verdicts.record(&base, "cargo 1.95.0");
        assert!(verdicts.accepted(&base));
        assert!(configures_resolution("CARGO_REGISTRIES_CRATES_IO_PROTOCOL"));
        assert!(!configures_resolution("CARGO_TERM_COLOR"));
    }
}
