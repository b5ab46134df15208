//! A registry on 127.0.0.1 that cargo and the tool both use, as crates.io would be used: a
//! sparse index under `/index/` (with its `config.json`) and `.crate` downloads under `/dl/`,
//! built from the same `Crate` descriptions as the vendored fixtures. Every request is
//! recorded, so a test can count what was downloaded; a crate can be served with other bytes
//! than its index announces (a registry that lies), and downloads can hang.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use super::server::{Reply, Server};
use super::{Crate, crate_files, index_path, isolate};

/// One published version.
#[derive(Clone)]
struct Published {
    version: String,
    bytes: Vec<u8>,
    line: String,
}

#[derive(Default)]
struct State {
    crates: BTreeMap<String, Vec<Published>>,
    lying: BTreeSet<(String, String)>,
    hanging: bool,
    delay: Option<std::time::Duration>,
}

/// The registry.
pub struct Registry {
    pub server: Server,
    state: Arc<Mutex<State>>,
}

/// A `.crate` file: the files under `NAME-VERSION/`, gzip-compressed tar.
pub fn pack(name: &str, version: &str, files: &[(String, String)]) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(path, text)| (path.clone(), text.as_bytes().to_vec()))
        .collect();
    pack_bytes(name, version, &files)
}

/// `pack` for files of any bytes.
pub fn pack_bytes(name: &str, version: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("{name}-{version}/{path}"),
                bytes.as_slice(),
            )
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// The lower-case hex SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    cargo_trustcheck::facts::crates::license_files::sha256_hex(bytes)
}

/// The dependencies of a manifest as an index line lists them.
fn index_dependencies(manifest: &toml::Table) -> Vec<serde_json::Value> {
    let mut tables: Vec<(Option<String>, &str, &toml::Table)> = Vec::new();
    for (key, kind) in [
        ("dependencies", "normal"),
        ("build-dependencies", "build"),
        ("dev-dependencies", "dev"),
    ] {
        if let Some(table) = manifest.get(key).and_then(toml::Value::as_table) {
            tables.push((None, kind, table));
        }
        if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
            for (target, sections) in targets {
                if let Some(table) = sections.get(key).and_then(toml::Value::as_table) {
                    tables.push((Some(target.clone()), kind, table));
                }
            }
        }
    }
    let mut dependencies = Vec::new();
    for (target, kind, table) in tables {
        for (name, value) in table {
            let (req, detail) = match value {
                toml::Value::String(req) => (req.clone(), toml::Table::new()),
                toml::Value::Table(detail) => (
                    detail
                        .get("version")
                        .and_then(toml::Value::as_str)
                        .unwrap_or("*")
                        .to_owned(),
                    detail.clone(),
                ),
                other => panic!("dependency {name} = {other}"),
            };
            let flag = |key: &str, default: bool| {
                detail
                    .get(key)
                    .and_then(toml::Value::as_bool)
                    .unwrap_or(default)
            };
            let features: Vec<String> = detail
                .get("features")
                .and_then(toml::Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|f| f.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let mut dependency = serde_json::json!({
                "name": name,
                "req": req,
                "features": features,
                "optional": flag("optional", false),
                "default_features": flag("default-features", true),
                "target": target,
                "kind": kind,
            });
            if let Some(package) = detail.get("package").and_then(toml::Value::as_str) {
                dependency["package"] = serde_json::json!(package);
            }
            dependencies.push(dependency);
        }
    }
    dependencies
}

impl Registry {
    /// An empty registry.
    pub fn start() -> Registry {
        let state: Arc<Mutex<State>> = Arc::default();
        let served = state.clone();
        let server = Server::start(move |request| {
            let path = request.path.as_str();
            let delay = served.lock().unwrap().delay;
            if let Some(delay) = delay.filter(|_| path.starts_with("/dl/")) {
                std::thread::sleep(delay);
            }
            let state = served.lock().unwrap();
            if let Some(rest) = path.strip_prefix("/dl/") {
                if state.hanging {
                    return Reply::hang();
                }
                let Some((name, file)) = rest.split_once('/') else {
                    return Reply::new(404, "");
                };
                let version = file.trim_end_matches(".crate");
                let Some(published) = state
                    .crates
                    .get(name)
                    .and_then(|list| list.iter().find(|p| p.version == version))
                else {
                    return Reply::new(404, "");
                };
                if state.lying.contains(&(name.to_owned(), version.to_owned())) {
                    let mut other = published.bytes.clone();
                    other.extend_from_slice(b"tampered");
                    return Reply::new(200, other);
                }
                return Reply::new(200, published.bytes.clone());
            }
            let Some(rest) = path.strip_prefix("/index/") else {
                return Reply::new(404, "");
            };
            if rest == "config.json" {
                return Reply::json(&serde_json::json!({
                    "dl": format!("{}/dl/{{crate}}/{{version}}.crate", request_base(request)),
                    "api": null,
                }));
            }
            let name = rest.rsplit('/').next().unwrap_or("");
            match state.crates.get(name) {
                Some(list) if index_path(name) == rest => {
                    Reply::new(200, list.iter().map(|p| p.line.clone()).collect::<String>())
                }
                _ => Reply::new(404, ""),
            }
        });
        Registry { server, state }
    }

    /// The sparse index URL, with a trailing slash.
    pub fn index_url(&self) -> String {
        format!("{}/index/", self.server.url)
    }

    /// Publishes a crate version; returns the SHA-256 of its `.crate`.
    pub fn publish(&self, krate: &Crate) -> String {
        let files = crate_files(krate);
        let mut all: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(path, text)| (path.clone(), text.as_bytes().to_vec()))
            .collect();
        all.extend(krate.blobs.iter().cloned());
        let bytes = pack_bytes(&krate.name, &krate.version, &all);
        self.publish_archive(krate, bytes)
    }

    /// Publishes `bytes` as the `.crate` of `krate` (whose manifest its index entry gives):
    /// an archive made by hand; returns its SHA-256.
    pub fn publish_archive(&self, krate: &Crate, bytes: Vec<u8>) -> String {
        let files = crate_files(krate);
        let checksum = sha256(&bytes);
        let manifest: toml::Table = files
            .iter()
            .find(|(path, _)| path == "Cargo.toml")
            .map(|(_, text)| text.parse().unwrap())
            .unwrap();
        let features = manifest
            .get("features")
            .cloned()
            .unwrap_or(toml::Value::Table(toml::Table::new()));
        let line = serde_json::json!({
            "name": krate.name,
            "vers": krate.version,
            "deps": index_dependencies(&manifest),
            "cksum": checksum,
            "features": features,
            "yanked": false,
            "links": null,
            "v": 2,
            "pubtime": super::pubtime(cargo_trustcheck::support::date::now() - 365 * 86_400),
        });
        let mut state = self.state.lock().unwrap();
        let list = state.crates.entry(krate.name.clone()).or_default();
        list.retain(|published| published.version != krate.version);
        list.push(Published {
            version: krate.version.clone(),
            bytes,
            line: format!("{line}\n"),
        });
        checksum
    }

    /// From now on, serves `name` `version` with other bytes than its index announces.
    pub fn lie_about(&self, name: &str, version: &str) {
        self.state
            .lock()
            .unwrap()
            .lying
            .insert((name.to_owned(), version.to_owned()));
    }

    /// From now on, each download answers after `delay` (a slow registry).
    pub fn slow_downloads(&self, delay: std::time::Duration) {
        self.state.lock().unwrap().delay = Some(delay);
    }

    /// From now on, downloads never answer.
    pub fn hang_downloads(&self) {
        self.state.lock().unwrap().hanging = true;
    }

    /// The paths of the `.crate` downloads asked for so far.
    pub fn downloads(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .server
            .requests()
            .into_iter()
            .map(|request| request.path)
            .filter(|path| path.starts_with("/dl/"))
            .collect();
        paths.sort();
        paths
    }

    /// Cargo's configuration that replaces crates.io with this registry, as a mirror would.
    pub fn cargo_config(&self) -> String {
        format!(
            "[source.crates-io]\nreplace-with = \"test-registry\"\n\n[source.test-registry]\nregistry = \"sparse+{}\"\n",
            self.index_url()
        )
    }

    /// A workspace whose crates.io is this registry: `members` at `members/<name>`, locked
    /// with cargo against the registry (`home` isolates cargo).
    pub fn workspace(&self, root: &Path, home: &Path, members: &[super::Member]) {
        super::write_workspace(root, members, &self.cargo_config());
        cargo(root, home, &["generate-lockfile"]);
    }
}

/// The scheme and authority a request was made to.
fn request_base(request: &super::server::Request) -> String {
    format!("http://{}", request.header("host").unwrap_or("127.0.0.1"))
}

/// Runs cargo in `root`, isolated with `home`; panics on failure.
pub fn cargo(root: &Path, home: &Path, args: &[&str]) {
    let output = isolate(&mut Command::new(env!("CARGO")), home)
        .args(args)
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
