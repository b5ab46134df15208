//! Regression tests of issue 19, item 8 (the hostile run): each is named after the defect it
//! pins, runs the real binary, and is bounded: a run that outlives its limit is killed and the
//! test fails instead of hanging CI.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// The limit after which a run that should end at once is killed.
const KILL_AFTER: Duration = Duration::from_secs(60);

/// The tool in `fixture` with its cache in `cache` and the database `db`.
fn tool(fixture: &Fixture, cache: &Path, db: &AdvisoryDb) -> Command {
    let mut command = trustcheck(cache);
    command
        .current_dir(fixture.root())
        .env("TRUSTCHECK_NETWORK_TIMEOUT", "2")
        .arg("--advisory-db")
        .arg(db.path());
    command
}

#[cfg(unix)]
#[test]
fn a_cargo_lock_fifo_hung_check_and_one_linked_to_dev_zero_fed_cargo_metadata_forever() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    let cache = tempfile::tempdir().unwrap();
    let lock = fixture.root().join("Cargo.lock");
    let refused = |what: &str| {
        for args in [&["check"][..], &["fetch"], &["explain", "alpha"]] {
            let started = Instant::now();
            let (code, _, stderr) =
                run_within(tool(&fixture, cache.path(), &db).args(args), KILL_AFTER);
            assert_eq!(code, 2, "{what}, {args:?}: {stderr}");
            assert!(
                stderr.contains("Cargo.lock")
                    && stderr.contains(what)
                    && stderr.contains("cargo was not run on it"),
                "{what}, {args:?}: {stderr}"
            );
            assert!(started.elapsed() < Duration::from_secs(20), "{args:?}");
        }
    };
    std::fs::remove_file(&lock).unwrap();
    mkfifo(&lock);
    refused("not a regular file but a FIFO");

    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &lock).unwrap();
    refused("not a regular file but a character device");

    // A regular file too large to be a lock file (sparse: no disk is used).
    std::fs::remove_file(&lock).unwrap();
    let file = std::fs::File::create(&lock).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    refused("larger than");
}

#[test]
fn a_ban_of_b_underscore_inferred_did_not_ban_b_inferred() {
    let (fixture, db) = workspace_depending_on(&["b-inferred", "other_crate"]);
    fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nyanked = \"allow\"\n\n[releases]\nfresh = \"allow\"\n\n[[ban]]\ncrate = \"B_Inferred\"\nreason = \"malicious\"\n\n[[ban]]\ncrate = \"Other-Crate\"\nversion = \"1\"\nreason = \"also malicious\"\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        tool(&fixture, cache.path(), &db).args(["check", "--format", "json"]),
        KILL_AFTER,
    );
    assert_eq!(code, 1, "{stderr}");
    let report = json(&stdout);
    let banned: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "banned")
        .map(|finding| {
            (
                finding["crate"].as_str().unwrap(),
                finding["level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        banned,
        [("b-inferred", "deny"), ("other_crate", "deny")],
        "{report}"
    );
}

#[test]
fn markdown_with_thousands_of_findings_dropped_every_deny_row() {
    // 400 unmaintained crates (warn, a row each, listed before licenses) and three crates
    // under a license the policy does not allow (deny, the same cause).
    let mut names: Vec<String> = (0..400)
        .map(|index| format!("old-crate-{index:03}"))
        .collect();
    let busl = ["busl-a", "busl-b", "busl-c"];
    names.extend(busl.iter().map(|name| (*name).to_owned()));
    let dependencies: String = names
        .iter()
        .map(|name| format!("{name} = \"1\"\n"))
        .collect();
    let fixture = Fixture::new(
        vec![member("app", &format!("[dependencies]\n{dependencies}"))],
        names
            .iter()
            .map(|name| {
                let krate = krate(name, "1.0.0");
                if busl.contains(&name.as_str()) {
                    krate.license("BUSL-1.1")
                } else {
                    krate
                }
            })
            .collect(),
    );
    fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nyanked = \"allow\"\n\n[releases]\nfresh = \"allow\"\n",
    );
    let db = AdvisoryDb::new();
    for (index, name) in names.iter().take(400).enumerate() {
        db.add(
            &format!("RUSTSEC-2099-{:04}", index + 1),
            name,
            &[],
            "informational = \"unmaintained\"",
            &format!("The {name} crate is no longer maintained; its authors recommend another crate for new code"),
        );
    }
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        tool(&fixture, cache.path(), &db).args(["check", "--format", "markdown"]),
        Duration::from_secs(180),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.chars().count() <= 60_000, "{}", stdout.len());
    assert!(
        stdout.contains("more lines were left out"),
        "the report was cut"
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("| "))
        .collect();
    let denied: Vec<&&str> = rows.iter().filter(|row| row.contains("❌ deny")).collect();
    assert_eq!(
        denied.len(),
        1,
        "the three license denials are one row: {denied:?}"
    );
    assert!(
        denied[0].contains("| license | 3 crates |") && denied[0].contains("BUSL-1.1"),
        "{}",
        denied[0]
    );
    let first_finding = rows
        .iter()
        .position(|row| row.contains("deny") || row.contains("warn"))
        .unwrap();
    assert!(
        rows[first_finding].contains("❌ deny"),
        "deny rows come first"
    );
    assert!(
        denied[0].contains("`busl-a 1.0.0`, `busl-b 1.0.0`, `busl-c 1.0.0`"),
        "the folded crates are listed"
    );
}

/// A crates.io API on 127.0.0.1 that knows only `alpha` (owner and publisher `owner`).
fn api_knowing_alpha() -> common::server::Server {
    use common::server::Reply;
    common::server::Server::start(|request| match request.path.as_str() {
        "/api/v1/crates/alpha/owners" => Reply::json(&serde_json::json!({
            "users": [{"id": 1, "login": "owner", "kind": "user", "name": null}]
        })),
        "/api/v1/crates/alpha" => Reply::json(&serde_json::json!({
            "crate": {"name": "alpha"},
            "versions": [{"num": "1.0.0", "license": "MIT", "yanked": false,
                          "created_at": "2025-01-01T00:00:00Z",
                          "published_by": {"id": 1, "login": "owner"}}]
        })),
        _ => Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#),
    })
}

#[test]
fn owner_lookups_of_new_crates_answering_404_were_silent_uncached_and_never_tripped_the_breaker() {
    let newcomers: Vec<String> = (0..12)
        .map(|index| format!("newcomer-{index:02}"))
        .collect();
    let mut crates = vec![krate("alpha", "1.0.0")];
    crates.extend(newcomers.iter().map(|name| krate(name, "1.0.0")));
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nalpha = \"1\"\n")],
        crates.clone(),
    );
    fixture.write_file(
        "trustcheck.toml",
        "[releases]\nfresh = \"allow\"\n\n[ownership]\nrequests-per-second = 50\n",
    );
    let index = index_server(&crates);
    let api = api_knowing_alpha();
    let db = AdvisoryDb::new();
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut command = tool(&fixture, cache.path(), &db);
        command
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .env("TRUSTCHECK_API_URL", api.base())
            .args(args);
        run_within(&mut command, KILL_AFTER)
    };
    let (code, _, stderr) = run(&["init", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    let owner_requests = |api: &common::server::Server| {
        api.requests()
            .iter()
            .filter(|request| request.path.starts_with("/api/v1/crates/newcomer-"))
            .count()
    };

    // Three new crates that the API does not know.
    let dependencies = |count: usize| -> String {
        newcomers
            .iter()
            .take(count)
            .map(|name| format!("{name} = \"1\"\n"))
            .collect()
    };
    fixture.set_member(
        "app",
        &format!("[dependencies]\nalpha = \"1\"\n{}", dependencies(3)),
    );
    api.clear();
    let (code, stdout, stderr) = run(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(owner_requests(&api), 3);
    let said = |output: &str| {
        output
            .matches("the crates.io API does not know 3 crates (newcomer-00, newcomer-01, newcomer-02; HTTP 404, remembered for 24 hours)")
            .count()
    };
    assert_eq!(
        said(&stdout) + said(&stderr),
        1,
        "said once:\n{stdout}\n{stderr}"
    );
    // The next run remembers the 404s: no request, the same note.
    api.clear();
    let (code, stdout, stderr) = run(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(owner_requests(&api), 0, "the 404s are cached");
    assert_eq!(said(&stdout) + said(&stderr), 1, "{stdout}\n{stderr}");

    // Twelve: after ten 404s in a row the API is taken to be the wrong one.
    fixture.set_member(
        "app",
        &format!("[dependencies]\nalpha = \"1\"\n{}", dependencies(12)),
    );
    let fresh_cache = tempfile::tempdir().unwrap();
    api.clear();
    let mut command = tool(&fixture, fresh_cache.path(), &db);
    command
        .env("TRUSTCHECK_INDEX_URL", index.base())
        .env("TRUSTCHECK_API_URL", api.base())
        .arg("check");
    let (code, stdout, stderr) = run_within(&mut command, KILL_AFTER);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        owner_requests(&api),
        10,
        "the breaker stops at ten 404s in a row"
    );
    assert!(
        format!("{stdout}{stderr}").contains("answered HTTP 404 for 10 crates in a row, so it was not asked again (is TRUSTCHECK_API_URL right?)"),
        "{stdout}\n{stderr}"
    );
}

/// Every file under `dir` whose path contains `part`.
fn files_containing(dir: &Path, part: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, part));
        } else if path.to_string_lossy().contains(part) {
            found.push(path);
        }
    }
    found
}

#[test]
fn check_offline_after_a_corrupt_fact_cache_entry_showed_only_cargos_failed_to_download() {
    let registry = common::registry::Registry::start();
    for krate in [krate("alpha", "1.0.0"), krate("gamma", "1.0.0")] {
        registry.publish(&krate);
    }
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    registry.workspace(
        dir.path(),
        home.path(),
        &[member(
            "app",
            "[dependencies]\nalpha = \"1\"\ngamma = \"1\"\n",
        )],
    );
    let db = AdvisoryDb::new();
    let cache = tempfile::tempdir().unwrap();
    let tool = |args: &[&str]| {
        let mut command = trustcheck(cache.path());
        command
            .current_dir(dir.path())
            .env("TRUSTCHECK_GRAPH", "auto")
            .env("TRUSTCHECK_INDEX_URL", registry.index_url())
            .args(args)
            .arg("--advisory-db")
            .arg(db.path());
        run_within(&mut command, KILL_AFTER)
    };
    let (code, _, stderr) = tool(&["fetch"]);
    assert_eq!(code, 0, "{stderr}");
    // cargo's own registry cache is gone (a fresh CI machine), and one fact-cache entry is
    // damaged (a killed fetch, a full disk).
    std::fs::remove_dir_all(cache.path().join("cargo-home")).unwrap();
    let damaged = files_containing(&cache.path().join("crate-facts"), "gamma");
    assert!(!damaged.is_empty(), "the fact cache holds gamma");
    for file in damaged {
        std::fs::write(file, b"{\"truncated\":").unwrap();
    }
    let (code, _, stderr) = tool(&["check", "--offline"]);
    assert_eq!(code, 2, "{stderr}");
    for expected in [
        "--offline: the graph could not be read from Cargo.lock",
        "the facts of gamma 1.0.0 are neither in trustcheck.lock, the fact cache nor cargo's registry cache",
        "run `cargo trustcheck fetch` when the network is available",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in {stderr}"
        );
    }
}

#[test]
fn a_pubtime_in_the_future_said_published_0_seconds_ago() {
    let (fixture, db) = workspace_depending_on(&["timewarp"]);
    let in_three_days = cargo_trustcheck::support::date::now() + 3 * 86_400;
    let file = index_file_published("timewarp", &[("1.0.0", false, in_three_days)]);
    let index = common::server::Server::start(move |request| {
        if request.path == format!("/{}", index_path("timewarp")) {
            common::server::Reply::new(200, file.clone())
        } else {
            common::server::Reply::new(404, "")
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_within(
        tool(&fixture, cache.path(), &db)
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .args(["check", "--format", "json"]),
        KILL_AFTER,
    );
    assert_eq!(code, 1, "a release dated in the future is fresh: {stderr}");
    let report = json(&stdout);
    let finding = &report["findings"][0];
    assert_eq!(finding["kind"], "fresh-release", "{report}");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("timewarp 1.0.0 was published in the future (")
            && message.contains("from now: the registry's clock or this machine's is wrong)"),
        "{message}"
    );
    assert!(!message.contains("0 seconds ago"), "{message}");
}

#[test]
fn killed_runs_left_tmp_files_in_the_index_cache_for_good() {
    let (fixture, db) = workspace_depending_on(&["alpha"]);
    let index = index_server(&[krate("alpha", "1.0.0")]);
    let cache = tempfile::tempdir().unwrap();
    let check = || {
        run_within(
            tool(&fixture, cache.path(), &db)
                .env("TRUSTCHECK_INDEX_URL", index.base())
                .arg("check"),
            KILL_AFTER,
        )
    };
    let (code, _, stderr) = check();
    assert_eq!(code, 0, "{stderr}");
    let entry = files_containing(&cache.path().join("index"), "alpha.json")
        .into_iter()
        .next()
        .expect("alpha's entry is cached");
    let dir = entry.parent().unwrap();
    let plant = |name: &str, age: Duration| {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
        path
    };
    // What a run killed an hour ago left, and what a run writing right now holds.
    let stale = plant(".alpha.json.4242.0.tmp", Duration::from_secs(3_600));
    let stale_deps = plant(".alpha.deps.json.4242.1.tmp", Duration::from_secs(3_600));
    let live = plant(".alpha.json.999999.0.tmp", Duration::from_secs(1));
    let (code, _, stderr) = check();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stale.exists() && !stale_deps.exists(),
        "stale temp files are removed"
    );
    assert!(
        live.exists(),
        "a temp file a live run may be writing is kept"
    );
    assert!(entry.exists());
}
