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

use common::registry::{self, Registry, cargo};
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
    cargo(
        dir.path(),
        home.path(),
        &["update", "-p", "alpha", "-p", "gamma"],
    );
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
    assert!(
        stdout.is_empty(),
        "no report from a refused crate: {stdout}"
    );
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

/// On a recorded workload (copied, crates.io replaced by a local registry made from its
/// recording, a baseline written from its recording): the JSON report of `check` reading the
/// recorded `cargo metadata`, and of `check` reading `Cargo.lock`, each as (code, stdout,
/// stderr).
fn both_paths_on(workload: &str) -> ((i32, String, String), (i32, String, String)) {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let metadata_file = outside.path().join("cargo-metadata.json");
    let cache = tempfile::tempdir().unwrap();
    let metadata = recorded::workspace(
        workload,
        dir.path(),
        &cache.path().join("cargo-home"),
        &metadata_file,
    );
    recorded::local_registry(workload, &metadata, dir.path());
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
    assert!(
        metadata.2.contains("read from cargo metadata"),
        "{}",
        metadata.2
    );
    assert_eq!((lockfile.0, &lockfile.1), (metadata.0, &metadata.1));
    assert!(json(&lockfile.1)["findings"].as_array().unwrap().len() > 500);
}

#[test]
fn on_the_vulnerable_workload_the_lockfile_graph_reports_what_cargo_metadata_reported() {
    let (metadata, lockfile) = both_paths_on("vulnerable");
    assert!(
        lockfile.2.contains("read from Cargo.lock (247 packages")
            && lockfile.2.contains("245 from trustcheck.lock")
            && lockfile.2.contains("1 from local registries"),
        "fuchsia-cprng declares only a license file, which the baseline does not record; its facts come from its .crate: {}",
        lockfile.2
    );
    assert_eq!((lockfile.0, &lockfile.1), (metadata.0, &metadata.1));
    let report = json(&lockfile.1);
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|finding| finding["kind"] == "vulnerability"),
        "{report}"
    );
    let fuchsia = findings
        .iter()
        .find(|finding| finding["kind"] == "unlicensed" && finding["crate"] == "fuchsia-cprng")
        .expect("fuchsia-cprng is unlicensed");
    let license = "LICENSE\", sha256 = \"";
    assert!(
        fuchsia["message"].as_str().unwrap().contains(license),
        "the hash of its license file, read from the crate on both paths: {fuchsia}"
    );
}

#[test]
fn license_files_and_clarifications_are_read_from_the_crate_as_cargo_metadata_reads_them() {
    let registry = Registry::start();
    let crates = [
        krate("delta", "1.0.0").license_file("LICENSE", "Permission is granted.\n"),
        krate("epsilon", "1.0.0").license_file("COPYING", "Terms.\n"),
    ];
    let (dir, _home) = committed_workspace(
        &registry,
        &crates,
        "[dependencies]\ndelta = \"1\"\nepsilon = \"1\"\n",
    );
    let policy = dir.path().join("trustcheck.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(&format!(
        "\n[[licenses.clarify]]\ncrate = \"epsilon\"\nexpression = \"MIT\"\nlicense-files = [{{ path = \"COPYING\", sha256 = \"{}\" }}]\n",
        registry::sha256(b"Terms.\n")
    ));
    std::fs::write(&policy, text).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let database = vendored_advisory_db();
    let args = [
        "check",
        "--advisory-db",
        database.to_str().unwrap(),
        "--format",
        "json",
    ];
    // Both graphs, compared: cargo metadata reads the crates cargo downloaded and unpacked.
    let (code, compared, stderr) = run_within(
        tool(cache.path(), dir.path(), &registry)
            .env("TRUSTCHECK_GRAPH", "compare")
            .args(args),
        LIMIT,
    );
    assert!(code == 0 || code == 1, "{code}\n{stderr}");
    let unlicensed: Vec<String> = json(&compared)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "unlicensed")
        .map(|finding| format!("{} {}", finding["crate"], finding["message"]))
        .collect();
    assert_eq!(unlicensed.len(), 1, "epsilon is clarified: {unlicensed:?}");
    assert!(
        unlicensed[0].contains("delta")
            && unlicensed[0].contains(&registry::sha256(b"Permission is granted.\n")),
        "{unlicensed:?}"
    );
    // The lockfile graph alone, on a cold machine: the same bytes, from the downloaded crates.
    let cold = tempfile::tempdir().unwrap();
    let (_, alone, stderr) = run_within(
        tool(cold.path(), dir.path(), &registry)
            .arg("-v")
            .args(args),
        LIMIT,
    );
    assert!(stderr.contains("2 downloaded"), "{stderr}");
    assert_eq!(alone, compared);
}

#[test]
fn after_fetch_check_offline_needs_neither_the_network_nor_cargos_registry_cache() {
    let registry = Registry::start();
    let mut crates = published_crates();
    crates.push(krate("delta", "1.0.0").license_file("LICENSE", "Permission is granted.\n"));
    let (dir, _home) = committed_workspace(&registry, &crates, &format!("{APP}delta = \"1\"\n"));
    std::fs::remove_file(dir.path().join("trustcheck.lock")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let database = vendored_advisory_db();
    let check = [
        "check",
        "--advisory-db",
        database.to_str().unwrap(),
        "--format",
        "json",
    ];
    // The report of both graphs, online.
    let (_, online, stderr) = run_within(
        tool(cache.path(), dir.path(), &registry)
            .env("TRUSTCHECK_GRAPH", "compare")
            .args(check),
        LIMIT,
    );
    json(&online);
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr2) = run_within(
        tool(cache.path(), dir.path(), &registry).args([
            "fetch",
            "--advisory-db",
            database.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(code, 0, "{stderr}\n{stderr2}");
    std::fs::remove_dir_all(cache.path().join("cargo-home")).unwrap();
    registry.hang_downloads();
    registry.server.clear();
    let (_, offline, stderr) = run_within(
        tool(cache.path(), dir.path(), &registry)
            .args(["-v", "--offline"])
            .args(check),
        LIMIT,
    );
    assert!(
        stderr.contains("read from Cargo.lock") && stderr.contains("5 from the fact cache"),
        "{stderr}"
    );
    assert!(registry.server.requests().is_empty());
    assert_eq!(offline, online);
}

#[test]
fn a_lock_file_out_of_date_with_the_manifests_is_refused_as_cargo_refuses_it() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nalpha = \"1\"\n")],
        vec![krate("alpha", "1.0.0"), krate("beta", "1.0.0")],
    );
    let cache = tempfile::tempdir().unwrap();
    let check = |cache: &Path| {
        run_within(
            trustcheck(cache)
                .current_dir(fixture.root())
                .env("TRUSTCHECK_GRAPH", "auto")
                .args(["check", "-v", "--offline", "--advisory-db"])
                .arg(AdvisoryDb::new().path())
                .args(["--format", "json"]),
            LIMIT,
        )
    };
    let (code, _, stderr) = check(cache.path());
    assert!(code == 0 || code == 1, "{stderr}");
    assert!(
        stderr.contains("cargo found the lock file up to date"),
        "{stderr}"
    );
    let (_, _, stderr) = check(cache.path());
    assert!(
        stderr.contains("cargo had found"),
        "its verdict is recorded: {stderr}"
    );
    // A dependency added to a manifest, Cargo.lock left as it was.
    fixture.write_file(
        "members/app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nalpha = \"1\"\nbeta = \"1\"\n",
    );
    let (code, stdout, stderr) = check(cache.path());
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Cargo.lock is out of date with the manifests"),
        "{stderr}"
    );
    let lockfile = fixture.read_file("Cargo.lock");
    assert!(!lockfile.contains("\"beta\""), "never modified: {lockfile}");
}

#[test]
fn a_path_package_outside_the_members_is_read_by_cargo_metadata() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nalpha = \"1\"\n")],
        vec![krate("alpha", "1.0.0")],
    );
    // Outside the workspace's directory, so not a member.
    let outside = tempfile::tempdir().unwrap();
    write(
        &outside.path().join("Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.2.0\"\nedition = \"2021\"\nlicense = \"GPL-3.0-only\"\n\n[dependencies]\nalpha = \"1\"\n",
    );
    write(&outside.path().join("src/lib.rs"), "");
    fixture.set_member(
        "app",
        &format!(
            "[dependencies]\nhelper = {{ path = {:?} }}\nalpha = \"1\"\n",
            outside.path()
        ),
    );
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        trustcheck(cache.path())
            .current_dir(fixture.root())
            .args(["check", "-v", "--offline", "--advisory-db"])
            .arg(AdvisoryDb::new().path())
            .args(["--format", "json"]),
        LIMIT,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("read from cargo metadata: Cargo.lock has the path package helper 0.2.0, which is not a workspace member"),
        "{stderr}"
    );
    assert!(
        finding_keys(&json(&stdout))
            .iter()
            .any(|(kind, krate, ..)| kind == "license" && krate == "helper"),
        "{stdout}"
    );
}

#[test]
fn a_narrowed_graph_is_read_by_cargo_metadata() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nalpha = \"1\"\n")],
        vec![krate("alpha", "1.0.0")],
    );
    let cache = tempfile::tempdir().unwrap();
    for option in [
        vec!["--exclude-dev"],
        vec!["--target", "x86_64-unknown-linux-gnu"],
        vec!["--all-features"],
    ] {
        let (code, _, stderr) = run_within(
            trustcheck(cache.path())
                .current_dir(fixture.root())
                .env("TRUSTCHECK_GRAPH", "auto")
                .args(["check", "-v", "--offline", "--advisory-db"])
                .arg(AdvisoryDb::new().path())
                .args(&option),
            LIMIT,
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "read from cargo metadata: {} narrows the graph",
                option.join(" ")
            )),
            "{stderr}"
        );
    }
}

#[test]
fn a_vendored_copy_is_read_in_place_before_anything_recorded_of_the_published_crate() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nalpha = \"1\"\n")],
        vec![krate("alpha", "1.0.0")],
    );
    let cache = tempfile::tempdir().unwrap();
    let run = |cache: &Path| {
        run_within(
            trustcheck(cache)
                .current_dir(fixture.root())
                .args(["check", "--offline", "--advisory-db"])
                .arg(AdvisoryDb::new().path())
                .args(["--format", "json"]),
            LIMIT,
        )
    };
    let (code, _, stderr) = run_within(
        trustcheck(cache.path())
            .current_dir(fixture.root())
            .args(["baseline", "--offline"]),
        LIMIT,
    );
    assert_eq!(code, 0, "{stderr}");
    // The vendored copy is edited, its checksum kept: cargo reads the edited manifest.
    let manifest = fixture.read_file("vendor/alpha-1.0.0/Cargo.toml");
    fixture.write_file(
        "vendor/alpha-1.0.0/Cargo.toml",
        &manifest.replace("license = \"MIT\"", "license = \"BUSL-1.1\""),
    );
    // Both graphs (TRUSTCHECK_GRAPH=compare) give the report of the edited copy.
    let (code, stdout, stderr) = run(cache.path());
    assert_eq!(code, 1, "{stderr}");
    let kinds: Vec<String> = finding_keys(&json(&stdout))
        .into_iter()
        .filter(|(kind, krate, ..)| krate == "alpha" && kind.starts_with("license"))
        .map(|(kind, ..)| kind)
        .collect();
    assert_eq!(kinds, vec!["license", "license-change"], "{stdout}");
}

#[test]
fn compare_mode_stops_when_the_two_graphs_give_different_reports() {
    let registry = Registry::start();
    let (dir, _home) = committed_workspace(&registry, &published_crates(), APP);
    // A baseline that records another license for alpha 1.0.0 than the crate declares: the
    // lockfile graph takes the baseline's word for the version it accepted, cargo metadata
    // reads the crate.
    let baseline = dir.path().join("trustcheck.lock");
    let text = std::fs::read_to_string(&baseline).unwrap();
    let edited = text.replacen(
        "version = \"1.0.0\", license = \"MIT\"",
        "version = \"1.0.0\", license = \"ISC\"",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&baseline, edited).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        tool(cache.path(), dir.path(), &registry)
            .env("TRUSTCHECK_GRAPH", "compare")
            .args(["check", "--advisory-db"])
            .arg(vendored_advisory_db())
            .args(["--format", "json"]),
        LIMIT,
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the graph read from Cargo.lock does not give the report the graph read from cargo metadata gives"),
        "{stderr}"
    );
}
