//! Workloads whose `cargo metadata` was recorded (`tests/fixtures/*/cargo-metadata.json`), made
//! checkable without the network:
//!
//! - `workspace` copies the workload's files (`tests/fixtures/*/workspace`) and rewrites the
//!   recorded metadata's paths to the copy (and the registry cache's to `cargo_home`), so that
//!   `--metadata-json` reads the copy's root files;
//! - `local_registry` writes a local registry whose index holds, for every registry package,
//!   what cargo's resolver read of it (dependencies, features, `links`) with the lock file's
//!   checksum, and replaces crates.io with it: cargo can then judge the lock file offline, as
//!   it would against crates.io. The `.crate` files it holds are the real ones of
//!   `tests/fixtures/*/crates` (those whose facts a baseline cannot give), which `workspace`
//!   also unpacks where the recorded metadata says cargo had them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use super::{index_path, write};

/// The fixture directory of a recorded workload (`large`, `vulnerable`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The real `.crate` files kept for a workload: (file name, bytes).
fn kept_crates(name: &str) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(fixture(name).join("crates"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// Copies the workload `name` to `root`, unpacks its kept crates into `cargo_home` as cargo's
/// registry cache, and returns its recorded metadata with the paths rewritten to both, written
/// to `metadata_file`.
pub fn workspace(
    name: &str,
    root: &Path,
    cargo_home: &Path,
    metadata_file: &Path,
) -> serde_json::Value {
    let source = fixture(name).join("workspace");
    for file in ["Cargo.toml", "Cargo.lock", "src/lib.rs"] {
        write(
            &root.join(file),
            &std::fs::read_to_string(source.join(file)).unwrap(),
        );
    }
    let unpacked = cargo_home.join("registry/src/index.crates.io-1949cf8c6b5b557f");
    for (_, bytes) in kept_crates(name) {
        tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]))
            .unpack(&unpacked)
            .unwrap();
    }
    let recorded = std::fs::read_to_string(fixture(name).join("cargo-metadata.json")).unwrap();
    let rewritten = recorded
        .replace(
            &format!("/workloads/{name}"),
            root.to_str().expect("UTF-8 temporary path"),
        )
        .replace(
            "/cargo-home/registry/src/index.crates.io/",
            &format!("{}/", unpacked.to_str().expect("UTF-8 temporary path")),
        );
    std::fs::write(metadata_file, &rewritten).unwrap();
    serde_json::from_str(&rewritten).unwrap()
}

/// The index line of a recorded package, as a registry would serve it.
fn index_line(package: &serde_json::Value, checksum: &str) -> String {
    let dependencies: Vec<serde_json::Value> = package["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|dependency| {
            let name = dependency["name"].as_str().unwrap();
            let mut line = serde_json::json!({
                "name": dependency["rename"].as_str().unwrap_or(name),
                "req": dependency["req"],
                "features": dependency["features"],
                "optional": dependency["optional"],
                "default_features": dependency["uses_default_features"],
                "target": dependency["target"],
                "kind": dependency["kind"].as_str().unwrap_or("normal"),
            });
            if dependency["rename"].is_string() {
                line["package"] = serde_json::json!(name);
            }
            line
        })
        .collect();
    let line = serde_json::json!({
        "name": package["name"],
        "vers": package["version"],
        "deps": dependencies,
        "cksum": checksum,
        "features": package["features"],
        "yanked": false,
        "links": package["links"],
        "v": 2,
    });
    format!("{line}\n")
}

/// Writes the local registry of every registry package of `metadata` under `root/registry` and
/// replaces crates.io with it in `root/.cargo/config.toml`.
pub fn local_registry(name: &str, metadata: &serde_json::Value, root: &Path) {
    let lockfile = cargo_trustcheck::load::lockfile::Lockfile::parse(
        &std::fs::read_to_string(root.join("Cargo.lock")).unwrap(),
    )
    .unwrap();
    let registry = root.join("registry");
    let mut files: std::collections::BTreeMap<String, String> = Default::default();
    for package in metadata["packages"].as_array().unwrap() {
        if package["source"].is_null() {
            continue;
        }
        let (crate_name, version) = (
            package["name"].as_str().unwrap(),
            package["version"].as_str().unwrap(),
        );
        let checksum = lockfile
            .packages
            .iter()
            .find(|locked| locked.name == crate_name && locked.version.to_string() == version)
            .and_then(|locked| locked.checksum.clone())
            .unwrap_or_else(|| panic!("{crate_name} {version} has a checksum in Cargo.lock"));
        files
            .entry(index_path(crate_name))
            .or_default()
            .push_str(&index_line(package, &checksum));
    }
    for (path, lines) in files {
        write(&registry.join("index").join(path), &lines);
    }
    for (file, bytes) in kept_crates(name) {
        std::fs::write(registry.join(file), bytes).unwrap();
    }
    write(
        &root.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"recorded\"\n\n[source.recorded]\nlocal-registry = \"registry\"\n",
    );
}
