//! The lockfile-first graph: for the default graph, `check` reads `Cargo.lock` instead of
//! running `cargo metadata`, and the report is the same, byte for byte; wherever the lock file
//! cannot be read with certainty, `cargo metadata` still is.
//!
//! Every other test of the suite runs with `TRUSTCHECK_GRAPH=compare` (`common::trustcheck`):
//! each `check` there builds both graphs and fails if their JSON reports differ. The tests here
//! pin the workloads of `../shared` (copied under `tests/fixtures`, with their recorded `cargo
//! metadata`) and when `cargo metadata` is still the one asked; `crate_downloads` pins what is
//! read from registries.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(120);

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
        lockfile
            .2
            .contains("graph: 538 packages (1 workspace members) from Cargo.lock")
            && lockfile.2.contains("537 from trustcheck.lock"),
        "{}",
        lockfile.2
    );
    assert!(
        metadata.2.contains("from recorded metadata"),
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
        lockfile
            .2
            .contains("graph: 247 packages (1 workspace members) from Cargo.lock")
            && lockfile.2.contains("245 from trustcheck.lock")
            && lockfile.2.contains("1 from the fact cache"),
        "fuchsia-cprng declares only a license file, which the baseline does not record; its facts come from its .crate (read from the local registry by the cargo metadata run before, which filled the fact cache): {}",
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
    assert!(stderr.contains("cargo found it up to date"), "{stderr}");
    let (_, _, stderr) = check(cache.path());
    assert!(
        stderr.contains("cargo had found it up to date"),
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
        stderr.contains("from cargo metadata (Cargo.lock has the path package helper 0.2.0, which is not a workspace member)"),
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
                "from cargo metadata, narrowed to {} ({} narrows the graph",
                option.join(" "),
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
