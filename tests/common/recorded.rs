//! Workloads whose `cargo metadata` was recorded (`tests/fixtures/*/cargo-metadata.json`), made
//! checkable without the network:
//!
//! - `workspace` copies the workload's files (`tests/fixtures/*/workspace`) and rewrites the
//!   recorded metadata's workspace paths to the copy, so that `--metadata-json` reads the
//!   copy's root files;
//! - `vendor_recorded` writes a directory source holding, for every registry package, the
//!   manifest cargo read (dependencies, features, `license`, `license-file`, library, build
//!   script, `links`) with the lock file's checksum, and replaces crates.io with it: cargo can
//!   then judge the lock file offline, as it would against the registry. No other file of the
//!   crates is there (a license file named by a manifest is as unreadable as the recorded
//!   metadata's paths are).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use super::write;

/// The fixture directory of a recorded workload (`large`, `vulnerable`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies the workload `name` to `root` and returns its recorded metadata, with the
/// workspace's paths rewritten to `root`, written to `metadata_file`.
pub fn workspace(name: &str, root: &Path, metadata_file: &Path) -> serde_json::Value {
    let source = fixture(name).join("workspace");
    for file in ["Cargo.toml", "Cargo.lock", "src/lib.rs"] {
        write(
            &root.join(file),
            &std::fs::read_to_string(source.join(file)).unwrap(),
        );
    }
    let recorded = std::fs::read_to_string(fixture(name).join("cargo-metadata.json")).unwrap();
    let rewritten = recorded.replace(
        &format!("/workloads/{name}"),
        root.to_str().expect("UTF-8 temporary path"),
    );
    std::fs::write(metadata_file, &rewritten).unwrap();
    serde_json::from_str(&rewritten).unwrap()
}

/// The manifest cargo read for a recorded package.
fn manifest(package: &serde_json::Value) -> String {
    let text = |key: &str| package[key].as_str().map(str::to_owned);
    let mut manifest = toml::Table::new();
    let mut table = toml::Table::new();
    table.insert("name".into(), text("name").unwrap().into());
    table.insert("version".into(), text("version").unwrap().into());
    table.insert("edition".into(), text("edition").unwrap().into());
    for (key, field) in [
        ("license", "license"),
        ("license-file", "license_file"),
        ("links", "links"),
    ] {
        if let Some(value) = text(field) {
            table.insert(key.into(), value.into());
        }
    }
    let targets = package["targets"].as_array().unwrap();
    let kinds = |target: &serde_json::Value| -> Vec<String> {
        target["kind"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kind| kind.as_str().unwrap().to_owned())
            .collect()
    };
    let has_build = targets
        .iter()
        .any(|target| kinds(target) == ["custom-build"]);
    table.insert(
        "build".into(),
        if has_build {
            "build.rs".into()
        } else {
            false.into()
        },
    );
    for auto in ["autobins", "autoexamples", "autotests", "autobenches"] {
        table.insert(auto.into(), false.into());
    }
    manifest.insert("package".into(), table.into());
    let lib = targets.iter().find(|target| {
        let kinds = kinds(target);
        !kinds.is_empty()
            && kinds
                .iter()
                .all(|kind| !["bin", "example", "test", "bench", "custom-build"].contains(&kind.as_str()))
    });
    if let Some(lib) = lib {
        let mut table = toml::Table::new();
        table.insert("path".into(), "src/lib.rs".into());
        if kinds(lib) == ["proc-macro"] {
            table.insert("proc-macro".into(), true.into());
        }
        manifest.insert("lib".into(), table.into());
    } else {
        let package = manifest["package"].as_table_mut().unwrap();
        package.insert("autolib".into(), false.into());
    }
    let features: toml::Table = serde_json::from_value(package["features"].clone()).unwrap();
    manifest.insert("features".into(), features.into());
    for dependency in package["dependencies"].as_array().unwrap() {
        let kind = dependency["kind"].as_str();
        let section = match kind {
            None => "dependencies",
            Some("build") => "build-dependencies",
            // Not resolved for a dependency, but features may name them.
            _ => "dev-dependencies",
        };
        let name = dependency["name"].as_str().unwrap();
        let key = dependency["rename"].as_str().unwrap_or(name);
        let mut detail = toml::Table::new();
        detail.insert("version".into(), dependency["req"].as_str().unwrap().into());
        if dependency["rename"].is_string() {
            detail.insert("package".into(), name.into());
        }
        detail.insert(
            "optional".into(),
            dependency["optional"].as_bool().unwrap().into(),
        );
        detail.insert(
            "default-features".into(),
            dependency["uses_default_features"].as_bool().unwrap().into(),
        );
        let features: Vec<toml::Value> = dependency["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|feature| feature.as_str().unwrap().into())
            .collect();
        detail.insert("features".into(), features.into());
        let tables = match dependency["target"].as_str() {
            Some(target) => manifest
                .entry("target")
                .or_insert_with(|| toml::Table::new().into())
                .as_table_mut()
                .unwrap()
                .entry(target)
                .or_insert_with(|| toml::Table::new().into())
                .as_table_mut()
                .unwrap(),
            None => &mut manifest,
        };
        tables
            .entry(section)
            .or_insert_with(|| toml::Table::new().into())
            .as_table_mut()
            .unwrap()
            .insert(key.into(), detail.into());
    }
    toml::to_string(&manifest).unwrap()
}

/// Writes the directory source of every registry package of `metadata` under `root/vendor`
/// and replaces crates.io with it in `root/.cargo/config.toml`.
pub fn vendor_recorded(metadata: &serde_json::Value, root: &Path) {
    let lockfile = cargo_trustcheck::lockfile::Lockfile::parse(
        &std::fs::read_to_string(root.join("Cargo.lock")).unwrap(),
    )
    .unwrap();
    for package in metadata["packages"].as_array().unwrap() {
        if package["source"].is_null() {
            continue;
        }
        let (name, version) = (
            package["name"].as_str().unwrap(),
            package["version"].as_str().unwrap(),
        );
        let checksum = lockfile
            .packages
            .iter()
            .find(|locked| locked.name == name && locked.version.to_string() == version)
            .and_then(|locked| locked.checksum.clone())
            .unwrap_or_else(|| panic!("{name} {version} has a checksum in Cargo.lock"));
        let dir = root.join("vendor").join(format!("{name}-{version}"));
        write(&dir.join("Cargo.toml"), &manifest(package));
        write(&dir.join("src/lib.rs"), "");
        write(&dir.join("build.rs"), "fn main() {}\n");
        write(
            &dir.join(".cargo-checksum.json"),
            &format!("{{\"files\":{{}},\"package\":\"{checksum}\"}}"),
        );
    }
    write(
        &root.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"recorded\"\n\n[source.recorded]\ndirectory = \"vendor\"\n",
    );
}
