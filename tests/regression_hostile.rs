//! Regression tests for hostile inputs and servers (issue 10, items 8, 10–14, 16, 18): each is
//! named after the defect it pins, runs the real binary the way users do, and is bounded: a
//! run that outlives its limit is killed and the test fails, so a regression fails instead of
//! hanging CI.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_trustcheck::support::date::Date;
use common::server::{Reply, Server};
use common::*;
use serde_json::json;

/// The policy of these fixtures, whose crates have no index entries and are new to an empty
/// baseline: yanked status (it would need the index), fresh releases and new crates are
/// allowed, so that a run shows only the defect under test.
const QUIET_POLICY: &str = "[releases]\nfresh = \"allow\"\n\n[baseline]\nnew-crate = \"allow\"\nlookalike = \"allow\"\ntyposquat = \"allow\"\n\n[advisories]\nyanked = \"allow\"\n";

/// Runs a command, killing it after `limit`: (exit code, stdout, stderr, how long it took).
fn run_within(command: &mut Command, limit: Duration) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = reader(Box::new(child.stdout.take().unwrap()));
    let stderr = reader(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the run did not end within {limit:?}; killed. stderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    (
        status.code().unwrap_or(-1),
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
        elapsed,
    )
}

/// The limit after which a run that should end quickly is killed.
const KILL_AFTER: Duration = Duration::from_secs(90);

/// The tool in `fixture`, with its cache in `cache`, the network timeout at 2 s, and git
/// isolated from the developer's configuration.
fn tool(fixture: &Fixture, cache: &Path) -> Command {
    let mut command = trustcheck(cache);
    command
        .current_dir(fixture.root())
        .env("TRUSTCHECK_NETWORK_TIMEOUT", "2")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    command
}

fn with_db<'a>(command: &'a mut Command, db: &AdvisoryDb) -> &'a mut Command {
    command.arg("--advisory-db").arg(db.path())
}

// ---------------------------------------------------------------------------------------------
// Item 10: no unbounded wait on a service.

#[test]
fn an_index_that_never_answers_no_longer_holds_check_for_minutes() {
    let (fixture, db) = workspace_depending_on(&["alpha", "beta"]);
    let cache = tempfile::tempdir().unwrap();
    let index = Server::hanging();
    let (code, _, stderr, elapsed) = run_within(
        with_db(
            tool(&fixture, cache.path())
                .env("TRUSTCHECK_INDEX_URL", index.base())
                .arg("check"),
            &db,
        ),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "nothing cached: the run cannot be done\n{stderr}");
    assert!(
        stderr.contains("could not reach the registry index") && stderr.contains("no answer"),
        "{stderr}"
    );
    assert!(!index.requests().is_empty(), "the index was really asked");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}

#[test]
fn an_index_that_never_answers_falls_back_to_cached_entries_quickly() {
    let (fixture, db) = workspace_depending_on(&["alpha", "beta"]);
    let cache = tempfile::tempdir().unwrap();
    let index = index_server(&fixture.crates);
    let fetch = |index: &Server| {
        run_within(
            with_db(
                tool(&fixture, cache.path())
                    .env("TRUSTCHECK_INDEX_URL", index.base())
                    .arg("fetch"),
                &db,
            ),
            KILL_AFTER,
        )
    };
    let (code, _, stderr, _) = fetch(&index);
    assert_eq!(code, 0, "{stderr}");
    index.set_handler(|_| Reply::hang());
    let (code, _, stderr, elapsed) = fetch(&index);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("2 failed, older entries kept")
            && stderr.contains("their cached entries were used"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}

#[test]
fn retry_after_100000_no_longer_holds_the_run() {
    let (fixture, db) = workspace_depending_on(&["alpha", "beta"]);
    let cache = tempfile::tempdir().unwrap();
    let index = Server::start(|_| Reply::new(503, "busy").header("Retry-After", "100000"));
    let (code, stdout, stderr, elapsed) = run_within(
        with_db(
            tool(&fixture, cache.path())
                .env("TRUSTCHECK_INDEX_URL", index.base())
                .args(["check", "--format", "json"]),
            &db,
        ),
        KILL_AFTER,
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(unchecked_crates(&report), vec!["alpha", "beta"]);
    assert!(
        stdout.contains("asked to retry after 100000 s"),
        "the reason is given: {stdout}"
    );
    assert_eq!(index.requests().len(), 2, "one request per crate, no retry");
}

/// A crates.io API on 127.0.0.1 whose every crate is owned by alice and published by her.
fn good_api(request: &common::server::Request) -> Reply {
    if request.path.ends_with("/owners") {
        return Reply::json(
            &json!({"users": [{"id": 1, "login": "alice", "kind": "user", "name": null}]}),
        );
    }
    Reply::json(
        &json!({"versions": [{"num": "1.0.0", "license": "MIT", "yanked": false,
        "published_by": {"id": 1, "login": "alice"}}]}),
    )
}

/// A workspace with a baseline (so that `fetch` refreshes ownership data) and a policy that
/// allows yanked versions (no index) and a quick request rate.
fn ownership_workspace(names: &[&str]) -> (Fixture, AdvisoryDb) {
    let (fixture, db) = workspace_depending_on(names);
    fixture.write_file(
        "trustcheck.toml",
        &format!("{QUIET_POLICY}\n[ownership]\nrequests-per-second = 50\n"),
    );
    let records: String = names
        .iter()
        .map(|name| {
            format!(
                "\n[[crate]]\nname = \"{name}\"\nsource = \"crates-io\"\nowners = [\n    {{ id = 1, login = \"alice\", kind = \"user\" }},\n]\nversions = [\n    {{ version = \"1.0.0\", license = \"MIT\", published-by = {{ id = 1, login = \"alice\" }} }},\n]\n"
            )
        })
        .collect();
    fixture.write_file("trustcheck.lock", &format!("format-version = 1\n{records}"));
    (fixture, db)
}

fn fetch_ownership(
    fixture: &Fixture,
    db: &AdvisoryDb,
    cache: &Path,
    api: &Server,
) -> (i32, String, Duration) {
    let (code, _, stderr, elapsed) = run_within(
        with_db(
            tool(fixture, cache)
                .env("TRUSTCHECK_API_URL", api.base())
                .arg("fetch"),
            db,
        ),
        KILL_AFTER,
    );
    (code, stderr, elapsed)
}

#[test]
fn an_api_answering_500_no_longer_holds_fetch_for_minutes_and_exits_2() {
    let names = ["alpha", "beta", "gamma", "delta", "omega"];
    let (fixture, db) = ownership_workspace(&names);
    let cache = tempfile::tempdir().unwrap();
    let api = Server::start(|_| Reply::new(500, "oops"));
    let (code, stderr, elapsed) = fetch_ownership(&fixture, &db, cache.path(), &api);
    assert_eq!(code, 2, "{stderr}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    assert_eq!(
        stderr.matches("could not be refreshed").count(),
        2,
        "one statement per cause, not per crate:\n{stderr}"
    );
    assert_eq!(
        stderr
            .matches(&format!(
                "the crates.io API at {} answered HTTP 500 (",
                api.base()
            ))
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("failed 3 requests in a row and was not asked again"),
        "the API is given up on: {stderr}"
    );
    assert!(
        api.requests().len() <= 3 * 4,
        "no more requests once it is down: {}",
        api.requests().len()
    );
}

#[test]
fn an_api_answering_404_for_every_crate_fails_fetch() {
    let (fixture, db) = ownership_workspace(&["alpha", "beta"]);
    let cache = tempfile::tempdir().unwrap();
    let api = Server::start(|_| Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#));
    let (code, stderr, _) = fetch_ownership(&fixture, &db, cache.path(), &api);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("2 crates could not be refreshed")
            && stderr.contains("answered HTTP 404 for every crate asked")
            && stderr.contains("TRUSTCHECK_API_URL"),
        "{stderr}"
    );
}

#[test]
fn empty_and_non_json_api_answers_fail_fetch() {
    for body in ["", "<html>maintenance</html>"] {
        let (fixture, db) = ownership_workspace(&["alpha", "beta"]);
        let cache = tempfile::tempdir().unwrap();
        let api = Server::start(move |_| Reply::new(200, body));
        let (code, stderr, _) = fetch_ownership(&fixture, &db, cache.path(), &api);
        assert_eq!(code, 2, "{body:?}: {stderr}");
        assert!(
            stderr.contains("2 crates could not be refreshed: the crates.io API"),
            "{stderr}"
        );
    }
}

#[test]
fn a_fetch_that_refreshed_everything_still_exits_0() {
    let (fixture, db) = ownership_workspace(&["alpha", "beta"]);
    let cache = tempfile::tempdir().unwrap();
    let api = Server::start(good_api);
    let (code, stderr, _) = fetch_ownership(&fixture, &db, cache.path(), &api);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("could not be refreshed"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Item 12: an ownership cache entry stamped in the future blocked refreshes forever.

#[test]
fn an_ownership_entry_stamped_in_the_future_is_refreshed() {
    let (fixture, db) = ownership_workspace(&["alpha"]);
    let cache = tempfile::tempdir().unwrap();
    let api = Server::start(good_api);
    let (code, stderr, _) = fetch_ownership(&fixture, &db, cache.path(), &api);
    assert_eq!(code, 0, "{stderr}");

    // A clock a year ahead stamped the cached owners.
    let entry = find_file(&cache.path().join("ownership"), "alpha.json").expect("cached");
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    let future = cached["owners"]["fetched_at"].as_u64().unwrap() + 365 * 86_400;
    cached["owners"]["fetched_at"] = json!(future);
    std::fs::write(&entry, cached.to_string()).unwrap();

    // The registry now lists a second owner; fetch must bring it in.
    api.set_handler(|request| {
        if request.path.ends_with("/owners") {
            return Reply::json(&json!({"users": [
                {"id": 1, "login": "alice", "kind": "user", "name": null},
                {"id": 666, "login": "mallory", "kind": "user", "name": null}]}));
        }
        good_api(request)
    });
    let (code, stderr, _) = fetch_ownership(&fixture, &db, cache.path(), &api);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr, _) = run_within(
        with_db(
            tool(&fixture, cache.path())
                .env("TRUSTCHECK_API_URL", api.base())
                .args(["check", "--offline", "--format", "json"]),
            &db,
        ),
        KILL_AFTER,
    );
    assert_eq!(
        code,
        1,
        "{stderr}\n{stdout}\n{}",
        std::fs::read_to_string(&entry).unwrap()
    );
    let kinds: Vec<(String, String)> = finding_keys(&json(&stdout))
        .into_iter()
        .map(|key| (key.0, key.1))
        .collect();
    assert!(
        kinds.contains(&("owner-change".to_owned(), "alpha".to_owned())),
        "{stdout}"
    );
}

fn find_file(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|file| file == name) {
            return Some(path);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Item 16: an empty 200 from the index replaced a good cached entry.

#[test]
fn an_empty_200_from_the_index_keeps_the_cached_yanked_entry() {
    let (fixture, db) = workspace_depending_on(&["yanky"]);
    let cache = tempfile::tempdir().unwrap();
    let path = format!("/{}", index_path("yanky"));
    let file = index_file("yanky", &[("0.9.0", false), ("1.0.0", true)]);
    let index = Server::start(move |request| {
        if request.path == path {
            Reply::new(200, file.clone())
        } else {
            Reply::new(404, "")
        }
    });
    let check = |extra: &[&str]| {
        run_within(
            with_db(
                tool(&fixture, cache.path())
                    .env("TRUSTCHECK_INDEX_URL", index.base())
                    .args(["check", "--format", "json"])
                    .args(extra),
                &db,
            ),
            KILL_AFTER,
        )
    };
    let (code, stdout, stderr, _) = check(&[]);
    assert_eq!(code, 1, "the yanked version is denied: {stderr}");
    assert!(stdout.contains("\"yanked\""), "{stdout}");

    index.set_handler(|_| Reply::new(200, ""));
    let (code, _, stderr, _) = run_within(
        with_db(
            tool(&fixture, cache.path())
                .env("TRUSTCHECK_INDEX_URL", index.base())
                .arg("fetch"),
            &db,
        ),
        KILL_AFTER,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("lists no version") && stderr.contains("cached entries were used"),
        "the failed answer is reported: {stderr}"
    );
    let (code, stdout, stderr, _) = check(&["--offline"]);
    assert_eq!(code, 1, "still denied: {stderr}\n{stdout}");
    let findings = finding_keys(&json(&stdout));
    assert!(
        findings
            .iter()
            .any(|key| key.0 == "yanked" && key.1 == "yanky" && key.4 == "deny"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 13: clarified license files escaped the crate directory.

#[test]
fn a_clarified_license_file_outside_the_crate_is_a_policy_error_at_its_line_and_column() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    let cache = tempfile::tempdir().unwrap();
    for path in ["../../../../etc/passwd", "/etc/passwd"] {
        fixture.write_file(
            "trustcheck.toml",
            &format!(
                "{QUIET_POLICY}\n[[licenses.clarify]]\ncrate = \"alpha\"\nexpression = \"MIT\"\nlicense-files = [\n  {{ path = \"{path}\", sha256 = \"{}\" }},\n]\n",
                "0".repeat(64)
            ),
        );
        let (code, _, stderr, _) = run_within(
            with_db(tool(&fixture, cache.path()).arg("check"), &db),
            KILL_AFTER,
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("trustcheck.toml:16:12: `licenses.clarify.license-files.path`"),
            "{stderr}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_license_file_symlinked_out_of_the_crate_is_never_hashed() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nweird = \"1\"\n")],
        vec![krate("weird", "1.0.0").license_file("LICENSE", "placeholder")],
    );
    let db = AdvisoryDb::new();
    let secret = fixture.root().join("secret");
    std::fs::write(&secret, "root:$6$very-secret-hash:19000:0:99999:7:::\n").unwrap();
    let license = fixture.root().join("vendor/weird-1.0.0/LICENSE");
    std::fs::remove_file(&license).unwrap();
    std::os::unix::fs::symlink(&secret, &license).unwrap();
    let secret_hash = cargo_trustcheck::facts::crates::license_files::sha256_file(&secret).unwrap();
    fixture.write_file("trustcheck.toml", QUIET_POLICY);
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr, _) = run_within(
        with_db(
            tool(&fixture, cache.path()).args(["check", "--format", "json"]),
            &db,
        ),
        KILL_AFTER,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("\"unlicensed\""), "{stdout}");
    assert!(!stdout.contains(&secret_hash), "a hash oracle: {stdout}");
    assert!(!stderr.contains(&secret_hash), "a hash oracle: {stderr}");
}

#[cfg(unix)]
#[test]
fn a_policy_symlinked_to_dev_zero_or_a_fifo_ends_with_exit_2_at_once() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    let cache = tempfile::tempdir().unwrap();
    let policy = fixture.root().join("trustcheck.toml");
    std::os::unix::fs::symlink("/dev/zero", &policy).unwrap();
    let (code, _, stderr, elapsed) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &db),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("trustcheck.toml") && stderr.contains("not a regular file"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");

    std::fs::remove_file(&policy).unwrap();
    mkfifo(&policy);
    let (code, _, stderr, _) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &db),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");

    std::fs::remove_file(&policy).unwrap();
    mkfifo(&fixture.root().join("trustcheck.lock"));
    let (code, _, stderr, _) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &db),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("trustcheck.lock") && stderr.contains("not a regular file"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 18: the smaller ones in files, the advisory database and the policy loader.

#[cfg(unix)]
#[test]
fn a_fifo_in_the_advisory_database_ends_with_exit_2_instead_of_hanging() {
    let (fixture, _) = workspace_depending_on(&["alpha"]);
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0001",
        "alpha",
        &[">= 2"],
        "",
        "Alpha is broken",
    );
    mkfifo(&db.path().join("crates/alpha/RUSTSEC-2099-0002.md"));
    fixture.write_file("trustcheck.toml", QUIET_POLICY);
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr, _) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &db),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("RUSTSEC-2099-0002.md") && stderr.contains("not a regular file"),
        "{stderr}"
    );
}

#[test]
fn an_advisory_database_without_advisories_is_exit_2_not_no_advisories() {
    let (fixture, _) = workspace_depending_on(&["alpha"]);
    fixture.write_file("trustcheck.toml", QUIET_POLICY);
    let cache = tempfile::tempdir().unwrap();
    let empty = AdvisoryDb::empty();
    let (code, _, stderr, _) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &empty),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the advisory database at {} holds no advisories",
            empty.path().display()
        )),
        "{stderr}"
    );

    // The default path: the database cloned from `db-url` into the cache.
    let repo = tempfile::tempdir().unwrap();
    write(&repo.path().join("crates/.gitkeep"), "");
    write(
        &repo.path().join("README.md"),
        "An empty advisory database.\n",
    );
    for args in [
        &["init", "--quiet"][..],
        &["add", "."][..],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "--quiet",
            "-m",
            "empty",
        ][..],
    ] {
        assert!(
            Command::new("git")
                .arg("-C")
                .arg(repo.path())
                .args(args)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .status()
                .unwrap()
                .success()
        );
    }
    fixture.write_file(
        "trustcheck.toml",
        &format!(
            "{QUIET_POLICY}db-url = \"file://{}\"\n",
            repo.path().display()
        ),
    );
    let (code, _, stderr, _) = run_within(tool(&fixture, cache.path()).arg("check"), KILL_AFTER);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("holds no advisories"), "{stderr}");
}

#[test]
fn a_non_utf8_policy_names_the_line_and_column_of_the_bad_byte() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    std::fs::write(
        fixture.root().join("trustcheck.toml"),
        [QUIET_POLICY.as_bytes(), b"# caf\xe9\n"].concat(),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr, _) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &db),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("trustcheck.toml:11:6: ") && stderr.contains("UTF-8"),
        "{stderr}"
    );
}

#[test]
fn a_non_utf8_baseline_names_the_line_and_column_of_the_bad_byte() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    fixture.write_file("trustcheck.toml", QUIET_POLICY);
    std::fs::write(
        fixture.root().join("trustcheck.lock"),
        b"format-version = 1\n\n[[crate]]\nname = \"\xff\"\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr, _) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &db),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("trustcheck.lock:4:9: ") && stderr.contains("UTF-8"),
        "{stderr}"
    );
}

#[test]
fn eighty_thousand_exemptions_no_longer_take_a_minute_to_load() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    let expires = Date::today().add_days(60);
    let mut policy = String::from(QUIET_POLICY);
    for i in 0..80_000 {
        policy.push_str(&format!(
            "\n[[exemption]]\ncrate = \"crate-{i}\"\nreason = \"accepted\"\nexpires = \"{expires}\"\n"
        ));
    }
    fixture.write_file("trustcheck.toml", &policy);
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr, elapsed) = run_within(
        with_db(
            tool(&fixture, cache.path()).args(["check", "--format", "json"]),
            &db,
        ),
        KILL_AFTER,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        json(&stdout)["summary"]["warn"],
        80_000,
        "every exemption is reported unused"
    );
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

// ---------------------------------------------------------------------------------------------
// Item 8: a trustcheck.lock with merge-conflict markers.

#[test]
fn a_baseline_with_merge_conflict_markers_is_reported_as_a_conflict_at_the_marker() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    fixture.write_file("trustcheck.toml", QUIET_POLICY);
    fixture.write_file(
        "trustcheck.lock",
        "format-version = 1\n\n[[crate]]\nname = \"alpha\"\nsource = \"crates-io\"\nversions = [\n<<<<<<< HEAD\n    { version = \"1.0.0\", license = \"MIT\" },\n=======\n    { version = \"1.0.0\", license = \"Apache-2.0\" },\n>>>>>>> topic\n]\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr, _) = run_within(
        with_db(tool(&fixture, cache.path()).arg("check"), &db),
        KILL_AFTER,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("trustcheck.lock:7:1: unresolved merge conflict")
            && stderr.contains("cargo trustcheck baseline"),
        "{stderr}"
    );
    assert!(!stderr.contains("missing comma"), "{stderr}");
}
