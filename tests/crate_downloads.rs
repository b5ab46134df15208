//! Registry crates the lockfile-first graph reads from their `.crate` files, against a registry
//! on 127.0.0.1 that cargo and the tool both use as crates.io: a cold run downloads only what
//! the baseline cannot tell, a registry that lies is refused, one that hangs is waited for a
//! bounded time, license files come from the crate as cargo metadata reads them, and after
//! `fetch` a `check --offline` needs neither the network nor cargo's registry cache.

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
fn a_cold_run_reads_every_crate_from_its_registry_never_from_the_baseline() {
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

    // CI: empty CARGO_HOME and TRUSTCHECK_CACHE_DIR. The index entries (yanked status) come
    // from another server, which must see no download: crates come from the mirror cargo's
    // configuration names.
    let elsewhere = Registry::start();
    let cold = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        tool(cold.path(), dir.path(), &registry)
            .env("TRUSTCHECK_INDEX_URL", elsewhere.index_url())
            .args([
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
    // The baseline records what was accepted; the facts (license, build code, code) come from
    // the crates themselves, the accepted ones too.
    assert_eq!(
        registry.downloads(),
        vec![
            "/dl/alpha/1.0.1.crate",
            "/dl/beta/1.0.0.crate",
            "/dl/derive-it/1.0.0.crate",
            "/dl/gamma/1.0.1.crate"
        ],
        "{stderr}"
    );
    assert!(elsewhere.downloads().is_empty());
    assert!(
        stderr.contains("from Cargo.lock (")
            && stderr.contains("0 from trustcheck.lock")
            && stderr.contains("4 downloaded"),
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
    assert!(
        stderr2.contains("graph: from Cargo.lock (")
            && stderr2.contains("crate facts: 5 registry crate versions"),
        "{stderr2}"
    );
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
        stderr.contains("from Cargo.lock (") && stderr.contains("5 from the fact cache"),
        "{stderr}"
    );
    assert!(registry.server.requests().is_empty());
    assert_eq!(offline, online);
}

#[test]
fn a_baseline_that_records_another_license_than_the_crate_is_a_mismatch_on_both_graph_paths() {
    let registry = Registry::start();
    let (dir, _home) = committed_workspace(&registry, &published_crates(), APP);
    // A baseline that records another license for alpha 1.0.0 than the crate declares: both
    // graphs read the crate (the lockfile graph once took the baseline's word, and the two
    // reports differed), and the record is a finding.
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
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let report = json(&stdout);
    let mismatch = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["kind"] == "baseline-mismatch")
        .expect("a baseline-mismatch finding");
    assert_eq!(mismatch["crate"], "alpha");
    assert!(
        mismatch["message"]
            .as_str()
            .unwrap()
            .contains("license \"ISC\" recorded, \"MIT\" in the crate"),
        "{mismatch}"
    );
}

/// A workspace on 24 published crates whose baseline is gone, so that every crate's facts must
/// be downloaded, from a registry that takes `delay` per download.
fn many_crates(registry: &Registry, delay: Duration) -> tempfile::TempDir {
    let crates: Vec<Crate> = (0..24)
        .map(|i| krate(&format!("many{i:02}"), "1.0.0"))
        .collect();
    let dependencies: String = crates
        .iter()
        .map(|krate| format!("{} = \"1\"\n", krate.name))
        .collect();
    let (dir, _home) = committed_workspace(
        registry,
        &crates,
        &format!("[dependencies]\n{dependencies}"),
    );
    std::fs::remove_file(dir.path().join("trustcheck.lock")).unwrap();
    registry.slow_downloads(delay);
    registry.server.clear();
    dir
}

#[test]
fn a_cold_run_that_downloads_many_crates_says_so_in_a_ci_log() {
    let registry = Registry::start();
    let dir = many_crates(&registry, Duration::from_millis(50));
    let cold = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_within(
        tool(cold.path(), dir.path(), &registry).args([
            "fetch",
            "--advisory-db",
            vendored_advisory_db().to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(registry.downloads().len(), 24, "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line == &"crate facts: 24 crate versions to read (24 to download)")
            .count(),
        1,
        "one line when the downloads start, none per crate:\n{stderr}"
    );
}

#[test]
fn ctrl_c_stops_the_downloads_of_a_cold_run_and_keeps_what_they_got() {
    let registry = Registry::start();
    let dir = many_crates(&registry, Duration::from_millis(700));
    let cold = tempfile::tempdir().unwrap();
    let child = tool(cold.path(), dir.path(), &registry)
        .args(["fetch", "--advisory-db"])
        .arg(vendored_advisory_db())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Eight downloads at a time: when the sixteenth is asked for, the first eight are done, and
    // the next eight are in flight.
    let started = Instant::now();
    while registry.downloads().len() < 16 {
        assert!(started.elapsed() < LIMIT, "the run downloads");
        std::thread::sleep(Duration::from_millis(5));
    }
    let asked: Vec<String> = registry
        .server
        .requests()
        .into_iter()
        .map(|request| request.path)
        .filter(|path| path.starts_with("/dl/"))
        .collect();
    let done = &asked[..8];
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let interrupted = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        interrupted.elapsed() < Duration::from_secs(2),
        "it abandons the downloads in flight, not waiting for them"
    );
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("run the same command again"),
        "{stderr}"
    );
    let first = registry.downloads().len();
    assert!(first < 24, "{first} downloads before it stopped");

    // What was downloaded is kept: the next run downloads only the rest (the ones abandoned
    // in flight included).
    registry.server.clear();
    registry.slow_downloads(Duration::from_millis(1));
    let (code, _, stderr) = run_within(
        tool(cold.path(), dir.path(), &registry).args([
            "fetch",
            "--advisory-db",
            vendored_advisory_db().to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(code, 0, "{stderr}");
    let again = registry.downloads();
    assert!(
        done.iter().all(|path| !again.contains(path)),
        "what was downloaded before Ctrl-C is kept: {done:?} {again:?}"
    );
    assert_eq!(again.len(), 24 - done.len(), "{stderr}");
}
