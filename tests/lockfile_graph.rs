//! The lockfile-first graph: for the default graph, `check` reads `Cargo.lock` instead of
//! running `cargo metadata`, and the report is the same, byte for byte.
//!
//! Every other test of the suite runs with `TRUSTCHECK_GRAPH=compare` (`common::trustcheck`):
//! each `check` there builds both graphs and fails if their JSON reports differ. The tests here
//! pin what that cannot: the workloads of `../shared` (copied under `tests/fixtures`, with their
//! recorded `cargo metadata`), what a cold run downloads, what a registry that lies or hangs
//! gets, what `fetch` leaves for `--offline`, and when `cargo metadata` is still the one asked.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::registry::{Registry, cargo};
use common::*;

const LIMIT: Duration = Duration::from_secs(120);

/// The tool in `dir`, graph read as users get it (no comparison), crates.io served by
/// `registry` for the index entries too.
fn tool(cache: &Path, dir: &Path, registry: &Registry) -> std::process::Command {
    let mut command = trustcheck(cache);
    command
        .current_dir(dir)
        .env("TRUSTCHECK_GRAPH", "auto")
        .env("TRUSTCHECK_INDEX_URL", registry.index_url());
    command
}

/// The crates of a small graph: a dependency chain, a build script, a proc-macro.
fn published_crates() -> Vec<Crate> {
    vec![
        krate("alpha", "1.0.0"),
        krate("beta", "1.0.0").dep("alpha = \"1\""),
        krate("gamma", "1.0.0").build_script("fn main() {}"),
        krate("derive-it", "1.0.0").proc_macro(),
    ]
}

const APP: &str = "[dependencies]\nbeta = \"1\"\ngamma = \"1\"\nderive-it = \"1\"\n";

/// A workspace on `registry` with `crates` published and a member depending on them as
/// `manifest_tail` says, and its baseline written by `init` on a warm machine (whose caches
/// are then dropped).
fn committed_workspace(
    registry: &Registry,
    crates: &[Crate],
    manifest_tail: &str,
) -> (tempfile::TempDir, tempfile::TempDir) {
    for krate in crates {
        registry.publish(krate);
    }
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    registry.workspace(dir.path(), home.path(), &[member("app", manifest_tail)]);
    let warm = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_within(
        tool(warm.path(), dir.path(), registry).args(["init"]),
        LIMIT,
    );
    assert!(code == 0 || code == 1, "init: {code}\n{stderr}");
    assert!(dir.path().join("trustcheck.lock").is_file());
    (dir, home)
}

#[test]
fn a_cold_run_downloads_only_the_crates_new_to_the_baseline() {
    let registry = Registry::start();
    let (dir, home) = committed_workspace(&registry, &published_crates(), APP);
    // A pull request bumps two crates.
    registry.publish(&krate("alpha", "1.0.1"));
    registry.publish(&krate("gamma", "1.0.1").build_script("fn main() {}"));
    cargo(dir.path(), home.path(), &["update", "-p", "alpha", "-p", "gamma"]);
    registry.server.clear();

    // CI: empty CARGO_HOME and TRUSTCHECK_CACHE_DIR.
    let cold = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        tool(cold.path(), dir.path(), &registry).args([
            "check",
            "-v",
            "--advisory-db",
            vendored_advisory_db().to_str().unwrap(),
            "--format",
            "json",
        ]),
        LIMIT,
    );
    assert!(code == 0 || code == 1, "{code}\n{stderr}");
    json(&stdout);
    assert_eq!(
        registry.downloads(),
        vec!["/dl/alpha/1.0.1.crate", "/dl/gamma/1.0.1.crate"],
        "{stderr}"
    );
    assert!(
        stderr.contains("read from Cargo.lock")
            && stderr.contains("2 from trustcheck.lock")
            && stderr.contains("2 downloaded"),
        "{stderr}"
    );
}

#[test]
fn a_crate_whose_checksum_is_not_the_lock_files_is_refused() {
    let registry = Registry::start();
    let (dir, _home) = committed_workspace(&registry, &published_crates(), APP);
    std::fs::remove_file(dir.path().join("trustcheck.lock")).unwrap();
    registry.lie_about("beta", "1.0.0");
    let cold = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        tool(cold.path(), dir.path(), &registry).args([
            "check",
            "--advisory-db",
            vendored_advisory_db().to_str().unwrap(),
            "--format",
            "json",
        ]),
        LIMIT,
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("beta 1.0.0")
            && stderr.contains("/dl/beta/1.0.0.crate")
            && stderr.contains("the file was refused"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "no report from a refused crate: {stdout}");
    let facts = walk(&cold.path().join("crate-facts"));
    assert!(
        facts.iter().all(|path| !path.contains("beta")),
        "nothing of the refused file is cached: {facts:?}"
    );
}

#[test]
fn a_download_that_hangs_is_bounded() {
    let registry = Registry::start();
    let (dir, _home) = committed_workspace(&registry, &published_crates(), APP);
    std::fs::remove_file(dir.path().join("trustcheck.lock")).unwrap();
    registry.hang_downloads();
    let cold = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, _, stderr) = run_within(
        tool(cold.path(), dir.path(), &registry)
            .env("TRUSTCHECK_NETWORK_TIMEOUT", "1")
            .args([
                "check",
                "--advisory-db",
                vendored_advisory_db().to_str().unwrap(),
                "--format",
                "json",
            ]),
        LIMIT,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("could not download") && stderr.contains("/dl/"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "two attempts of a second each, and cargo's own resolution: {:?}",
        started.elapsed()
    );
}

/// Every file under a directory, as paths relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    files
}

/// On a recorded workload (copied, crates.io vendored from its recording, a baseline written
/// from its recording): the JSON report of `check` reading `Cargo.lock` and of `check` reading
/// the recorded `cargo metadata`. Returns both runs' (code, stdout, stderr).
fn both_paths_on(workload: &str) -> ((i32, String, String), (i32, String, String)) {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let metadata_file = outside.path().join("cargo-metadata.json");
    let metadata = recorded::workspace(workload, dir.path(), &metadata_file);
    recorded::vendor_recorded(&metadata, dir.path());
    let cache = tempfile::tempdir().unwrap();
    let recorded_args = ["--metadata-json", metadata_file.to_str().unwrap()];
    let (code, _, stderr) = run_within(
        trustcheck(cache.path())
            .current_dir(dir.path())
            .args(["baseline", "--offline"])
            .args(recorded_args),
        LIMIT,
    );
    assert_eq!(code, 0, "{stderr}");
    let database = vendored_advisory_db();
    let check = [
        "check",
        "-v",
        "--offline",
        "--advisory-db",
        database.to_str().unwrap(),
        "--format",
        "json",
    ];
    let metadata_run = run_within(
        trustcheck(cache.path())
            .current_dir(dir.path())
            .args(check)
            .args(recorded_args),
        LIMIT,
    );
    let lockfile_run = run_within(
        trustcheck(cache.path())
            .current_dir(dir.path())
            .env("TRUSTCHECK_GRAPH", "auto")
            .args(check),
        LIMIT,
    );
    (metadata_run, lockfile_run)
}

#[test]
fn on_the_large_workload_the_lockfile_graph_reports_what_cargo_metadata_reported() {
    let (metadata, lockfile) = both_paths_on("large");
    assert!(
        lockfile.2.contains("read from Cargo.lock (538 packages")
            && lockfile.2.contains("537 from trustcheck.lock"),
        "{}",
        lockfile.2
    );
    assert!(metadata.2.contains("read from cargo metadata"), "{}", metadata.2);
    assert_eq!((lockfile.0, &lockfile.1), (metadata.0, &metadata.1));
    assert!(json(&lockfile.1)["findings"].as_array().unwrap().len() > 500);
}

#[test]
fn on_the_vulnerable_workload_the_lockfile_graph_reports_what_cargo_metadata_reported() {
    let (metadata, lockfile) = both_paths_on("vulnerable");
    assert!(
        lockfile.2.contains("read from Cargo.lock (247 packages")
            && lockfile.2.contains("245 from trustcheck.lock")
            && lockfile.2.contains("1 vendored"),
        "fuchsia-cprng declares only a license file, which the baseline does not record: {}",
        lockfile.2
    );
    assert_eq!((lockfile.0, &lockfile.1), (metadata.0, &metadata.1));
    let report = json(&lockfile.1);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|finding| finding["kind"] == "vulnerability"),
        "{report}"
    );
}
