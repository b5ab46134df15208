//! Regression tests, each named after the defect it pins (issue "Foundation"). They take the
//! path users take: the cached advisory database cloned from a git repository (not
//! `--advisory-db`), a hostile environment (`GIT_DIR` set, a closed stderr), damaged files.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const LIMIT: Duration = Duration::from_secs(120);

/// app -> chrono 0.4.0 -> time 0.1.45.
fn chrono_time_fixture() -> Fixture {
    Fixture::new(
        vec![member("app", "[dependencies]\nchrono = \"0.4\"\n")],
        vec![
            krate("chrono", "0.4.0").dep("time = \"0.1\""),
            krate("time", "0.1.45"),
        ],
    )
}

fn time_db() -> AdvisoryDb {
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2020-0071",
        "time",
        &[">= 0.2.23"],
        "aliases = [\"CVE-2020-26235\"]",
        "Potential segfault in the time crate",
    );
    db
}

/// Makes `db` a git repository (as the real advisory database is) and returns its file:// URL.
fn as_git_repository(db: &AdvisoryDb, home: &Path) -> String {
    git_in(db.path(), home, &["init", "--quiet"]);
    git_in(db.path(), home, &["add", "."]);
    git_in(db.path(), home, &["commit", "--quiet", "-m", "advisories"]);
    format!("file://{}", db.path().display())
}

/// A fixture whose policy names `url` as its advisory database.
fn using_database(fixture: &Fixture, url: &str) {
    fixture.write_file(
        "trustcheck.toml",
        &format!("[advisories]\ndb-url = \"{url}\"\n"),
    );
}

/// Runs `command` in the fixture's root, where it finds the workspace as cargo would.
fn in_fixture<'a>(command: &'a mut Command, fixture: &Fixture) -> &'a mut Command {
    command.current_dir(fixture.root())
}

#[test]
fn fetch_with_git_dir_set_resets_the_users_repository() {
    let fixture = chrono_time_fixture();
    let db = time_db();
    let url = as_git_repository(&db, fixture.home.path());
    using_database(&fixture, &url);
    let index = index_server(&fixture.crates);

    // The victim: a repository with a local commit, a staged file and an uncommitted edit.
    let victim = tempfile::tempdir().unwrap();
    let home = fixture.home.path();
    git_in(victim.path(), home, &["init", "--quiet"]);
    std::fs::write(victim.path().join("work.txt"), "committed\n").unwrap();
    git_in(victim.path(), home, &["add", "work.txt"]);
    git_in(victim.path(), home, &["commit", "--quiet", "-m", "my work"]);
    std::fs::write(victim.path().join("staged.txt"), "staged\n").unwrap();
    git_in(victim.path(), home, &["add", "staged.txt"]);
    std::fs::write(victim.path().join("work.txt"), "uncommitted edit\n").unwrap();
    let head = git_in(victim.path(), home, &["rev-parse", "HEAD"]);
    let status = git_in(victim.path(), home, &["status", "--porcelain"]);

    let cache = tempfile::tempdir().unwrap();
    let with_git_dir = |args: &[&str]| {
        let mut command = trustcheck(cache.path());
        in_fixture(&mut command, &fixture)
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .env("GIT_DIR", victim.path().join(".git"))
            .env("GIT_WORK_TREE", victim.path())
            .env("GIT_INDEX_FILE", victim.path().join(".git/index"))
            .args(args);
        run_within(&mut command, LIMIT)
    };
    // A first fetch clones; a second one updates the clone (fetch + reset in the clone).
    for round in 0..2 {
        let (code, _, stderr) = with_git_dir(&["fetch"]);
        assert_eq!(code, 0, "round {round}: {stderr}");
        assert!(
            !stderr.contains(&head[..12]),
            "the victim's commit: {stderr}"
        );
    }
    // `check` updates a clone older than ten minutes too.
    let record = std::fs::read_dir(cache.path().join("advisory-db"))
        .unwrap()
        .flatten()
        .find(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .ends_with(".fetched.json")
        })
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&record).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["fetched_at"] = serde_json::json!(0);
    std::fs::write(&record, value.to_string()).unwrap();
    let (code, stdout, stderr) = with_git_dir(&["check", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json(&stdout)["summary"]["deny"], 1);

    assert_eq!(git_in(victim.path(), home, &["rev-parse", "HEAD"]), head);
    assert_eq!(
        git_in(victim.path(), home, &["status", "--porcelain"]),
        status
    );
    assert_eq!(
        std::fs::read_to_string(victim.path().join("work.txt")).unwrap(),
        "uncommitted edit\n"
    );
}

#[test]
fn diff_with_git_dir_set_read_another_repository() {
    let fixture = chrono_time_fixture();
    fixture.git(&["init", "--quiet"]);
    fixture.git(&["add", "."]);
    fixture.git(&["commit", "--quiet", "-m", "base"]);
    let victim = tempfile::tempdir().unwrap();
    git_in(victim.path(), fixture.home.path(), &["init", "--quiet"]);
    let cache = tempfile::tempdir().unwrap();
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture)
        .env("GIT_DIR", victim.path().join(".git"))
        .args(["diff", "HEAD", "--format", "json"]);
    let (code, stdout, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        json(&stdout)["dependencies"]["added"],
        serde_json::json!([])
    );
}

/// A fixture whose cached advisory database is a clone of a git repository (the default path).
fn cached_database_fixture(db: &AdvisoryDb) -> (Fixture, tempfile::TempDir, server::Server) {
    let fixture = chrono_time_fixture();
    let url = as_git_repository(db, fixture.home.path());
    using_database(&fixture, &url);
    let cache = tempfile::tempdir().unwrap();
    let index = index_server(&fixture.crates);
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture)
        .env("TRUSTCHECK_INDEX_URL", index.base())
        .arg("fetch");
    let (code, _, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 0, "{stderr}");
    (fixture, cache, index)
}

#[test]
fn explain_on_the_cached_database_deadlocks() {
    let db = time_db();
    let (fixture, cache, index) = cached_database_fixture(&db);
    for extra in [&["--offline"][..], &[][..]] {
        let mut command = trustcheck(cache.path());
        in_fixture(&mut command, &fixture)
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .args(["explain", "RUSTSEC-2020-0071"])
            .args(extra);
        let (code, stdout, stderr) = run_within(&mut command, Duration::from_secs(60));
        assert_eq!(code, 0, "{extra:?}: {stderr}");
        assert!(stdout.contains("In this workspace"), "{stdout}");
        assert!(stdout.contains("time 0.1.45: affected [deny]"), "{stdout}");
        assert!(stdout.contains("path app → chrono → time"), "{stdout}");
    }
}

#[test]
fn explain_swallowed_the_errors_of_its_workspace_run() {
    let db = time_db();
    let (fixture, cache, _index) = cached_database_fixture(&db);
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture).args([
        "explain",
        "RUSTSEC-2020-0071",
        "--offline",
        "--target",
        "not-a-triple",
    ]);
    let (code, stdout, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("not-a-triple"), "{stderr}");
}

#[test]
fn explain_printed_nothing_for_an_advisory_filtered_out_by_the_targets() {
    let fixture = chrono_time_fixture();
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0013",
        "time",
        &[">= 2.0.0"],
        "\n[affected]\nos = [\"windows\"]",
        "time on windows",
    );
    let cache = tempfile::tempdir().unwrap();
    let explain = |target: &str| {
        let mut command = trustcheck(cache.path());
        in_fixture(&mut command, &fixture)
            .args([
                "explain",
                "RUSTSEC-2099-0013",
                "--offline",
                "--target",
                target,
            ])
            .arg("--advisory-db")
            .arg(db.path());
        run_within(&mut command, LIMIT)
    };
    let (code, stdout, stderr) = explain("x86_64-unknown-linux-gnu");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("time 0.1.45: does not apply to the selected targets (x86_64-unknown-linux-gnu): the advisory is restricted to os = windows"),
        "{stdout}"
    );
    let (_, stdout, _) = explain("x86_64-pc-windows-msvc");
    assert!(stdout.contains("time 0.1.45: affected [deny]"), "{stdout}");
}

#[test]
fn explain_listed_the_findings_of_two_versions_twice_without_their_versions() {
    // app -> miow 0.2.2, and app -> mio -> miow 0.3.7: two versions of one crate.
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nmiow = \"0.2\"\nmio = \"0.8\"\n",
        )],
        vec![
            krate("miow", "0.2.2"),
            krate("miow", "0.3.7"),
            krate("mio", "0.8.0").dep("miow = \"0.3\""),
        ],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0021",
        "miow",
        &[],
        "informational = \"unmaintained\"",
        "miow is unmaintained",
    );
    let cache = tempfile::tempdir().unwrap();
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture)
        .args(["explain", "miow", "--offline", "--advisory-db"])
        .arg(db.path());
    let (code, stdout, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 0, "{stderr}");
    let first = stdout.find("miow 0.2.2").expect("0.2.2 listed");
    let second = stdout.find("miow 0.3.7").expect("0.3.7 listed");
    let finding = "finding     [warn] unmaintained RUSTSEC-2099-0021";
    assert_eq!(stdout.matches(finding).count(), 2, "{stdout}");
    let under_first = &stdout[first..second];
    let under_second = &stdout[second..];
    assert!(under_first.contains(finding), "{stdout}");
    assert!(under_second.contains(finding), "{stdout}");
    assert!(
        under_second.contains("path        app → mio → miow"),
        "{stdout}"
    );
}

#[test]
fn commands_printed_formats_they_cannot_produce() {
    let cache = tempfile::tempdir().unwrap();
    for (args, accepted) in [
        (
            &["explain", "serde", "--format", "sarif"][..],
            "human, json",
        ),
        (
            &["explain", "serde", "--format", "markdown"][..],
            "human, json",
        ),
        (
            &["diff", "HEAD", "--format", "sarif"][..],
            "human, json, markdown",
        ),
    ] {
        let (code, stdout, stderr) = run(trustcheck(cache.path()).args(args));
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.contains(accepted), "{args:?}: {stderr}");
    }
}

#[test]
fn diff_reported_an_invalid_baseline_as_an_invalid_policy() {
    let fixture = chrono_time_fixture();
    fixture.git(&["init", "--quiet"]);
    fixture.git(&["add", "."]);
    fixture.git(&["commit", "--quiet", "-m", "base"]);
    fixture.write_file(
        "trustcheck.lock",
        "format-version = 1\n[[crate]]\nname = 3\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture).args(["diff", "HEAD"]);
    let (code, _, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid baseline"), "{stderr}");
    assert!(stderr.contains("trustcheck.lock:3:8"), "{stderr}");
    assert!(!stderr.contains("invalid policy"), "{stderr}");
}

/// A workspace whose member has a build-dependency on `cc` everywhere, and on `cc` with the
/// `parallel` feature (which pulls in `jobserver`) on Windows only. Its root manifest says
/// `resolver` as given, or nothing.
fn windows_only_feature_fixture(resolver: Option<&str>) -> Fixture {
    let fixture = Fixture::new(
        vec![member("app", "")],
        vec![
            krate("cc", "1.0.0")
                .dep("jobserver = { version = \"0.1\", optional = true }")
                .feature("parallel = [\"jobserver\"]"),
            krate("jobserver", "0.1.0"),
        ],
    );
    let resolver = resolver
        .map(|version| format!("resolver = \"{version}\"\n"))
        .unwrap_or_default();
    fixture.write_file(
        "Cargo.toml",
        &format!("[workspace]\n{resolver}members = [\"members/app\"]\n"),
    );
    fixture.write_file(
        "members/app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2018\"\npublish = false\n\n\
         [build-dependencies]\ncc = \"1\"\n\n\
         [target.'cfg(windows)'.build-dependencies]\ncc = { version = \"1\", features = [\"parallel\"] }\n",
    );
    // Build-dependencies are built only for a package with a build script.
    fixture.write_file("members/app/build.rs", "fn main() {}\n");
    fixture.lock();
    fixture
}

fn crates_of_graph(fixture: &Fixture, args: &[&str]) -> Vec<String> {
    // `explain CRATE` fails for a crate that is not in the graph: ask it of each candidate.
    let cache = tempfile::tempdir().unwrap();
    let db = AdvisoryDb::new();
    db.add("RUSTSEC-2099-0001", "nothing", &[], "", "placeholder");
    ["cc", "jobserver"]
        .into_iter()
        .filter(|name| {
            let mut command = trustcheck(cache.path());
            in_fixture(&mut command, fixture)
                .args(["explain", name, "--offline", "--advisory-db"])
                .arg(db.path())
                .args(args);
            run_within(&mut command, LIMIT).0 == 0
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn narrowing_ignored_the_workspaces_resolver_version() {
    let linux = ["--all-features", "--target", "x86_64-unknown-linux-gnu"];
    // A 2018 workspace without `resolver`: resolver 1 unifies `cc/parallel` on Linux too.
    let fixture = windows_only_feature_fixture(None);
    assert_eq!(crates_of_graph(&fixture, &linux), ["cc", "jobserver"]);
    // With resolver 2 a Windows-only feature stays on Windows.
    let fixture = windows_only_feature_fixture(Some("2"));
    assert_eq!(crates_of_graph(&fixture, &linux), ["cc"]);
    assert_eq!(
        crates_of_graph(
            &fixture,
            &["--all-features", "--target", "x86_64-pc-windows-msvc"]
        ),
        ["cc", "jobserver"]
    );
}

#[test]
fn exclude_dev_also_narrowed_the_features_of_the_graph() {
    // workloads/vulnerable: `rsa` is in Cargo.lock through sqlx's optional MySQL support and no
    // dev-dependency leads to it; `tempdir` is a dev-dependency.
    let metadata =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulnerable/cargo-metadata.json");
    let cache = tempfile::tempdir().unwrap();
    let crates = |args: &[&str]| {
        let (_, stdout, stderr) = run(trustcheck(cache.path())
            .arg("--metadata-json")
            .arg(&metadata)
            .arg("--advisory-db")
            .arg(vendored_advisory_db())
            .args(["--offline", "--format", "json"])
            .args(args));
        let report = json(&stdout);
        let mut names: Vec<String> = report["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("{stderr}"))
            .iter()
            .filter(|finding| finding["advisory"].is_string())
            .filter_map(|finding| finding["crate"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        names
    };
    let whole = crates(&[]);
    assert!(whole.contains(&"rsa".to_owned()) && whole.contains(&"tempdir".to_owned()));
    let without_dev = crates(&["--exclude-dev"]);
    assert!(without_dev.contains(&"rsa".to_owned()), "{without_dev:?}");
    assert!(
        !without_dev.contains(&"tempdir".to_owned()),
        "{without_dev:?}"
    );
    // tempdir and what only it brings in (remove_dir_all) left; nothing else.
    let mut expected = whole.clone();
    expected.retain(|name| name != "tempdir" && name != "remove_dir_all");
    assert_eq!(without_dev, expected);
}

#[test]
fn a_policy_typo_was_hidden_behind_a_network_error() {
    let fixture = chrono_time_fixture();
    let server = server::Server::start(|_| server::Reply::new(500, "down"));
    fixture.write_file(
        "trustcheck.toml",
        &format!(
            "[advisories]\ndb-url = \"{}/db.git\"\nvulnerabilty = \"deny\"\n",
            server.url
        ),
    );
    let cache = tempfile::tempdir().unwrap();
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture).env("TRUSTCHECK_INDEX_URL", server.base());
    let (code, _, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("trustcheck.toml:3:1") && stderr.contains("vulnerabilty"),
        "{stderr}"
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn a_workspace_without_a_lock_file_was_silently_resolved_afresh() {
    let fixture = chrono_time_fixture();
    std::fs::remove_file(fixture.root().join("Cargo.lock")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let db = time_db();
    let check = |extra: &[&str]| {
        let mut command = trustcheck(cache.path());
        in_fixture(&mut command, &fixture)
            .args(["--offline", "--format", "json", "--advisory-db"])
            .arg(db.path())
            .args(extra);
        run_within(&mut command, LIMIT)
    };
    let (code, stdout, stderr) = check(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json(&stdout)["summary"]["deny"], 1);
    assert!(stderr.contains("has no Cargo.lock"), "{stderr}");
    assert!(
        !fixture.root().join("Cargo.lock").exists(),
        "nothing written"
    );
    let (code, stdout, stderr) = check(&["--locked"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains("Cargo.lock does not exist and --locked was given"),
        "{stderr}"
    );
    assert!(!fixture.root().join("Cargo.lock").exists());
}

#[test]
fn check_rewrote_a_damaged_cargo_lock() {
    let fixture = chrono_time_fixture();
    let lock = fixture.read_file("Cargo.lock");
    // Truncated: the last package (time) is gone.
    let damaged = &lock[..lock.rfind("[[package]]").unwrap()];
    fixture.write_file("Cargo.lock", damaged);
    let cache = tempfile::tempdir().unwrap();
    let db = time_db();
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture)
        .args(["--offline", "--advisory-db"])
        .arg(db.path());
    let (code, _, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is out of date with the manifests or damaged"),
        "{stderr}"
    );
    assert_eq!(fixture.read_file("Cargo.lock"), damaged, "never modified");
}

#[test]
fn features_naming_no_member_narrowed_the_graph_silently() {
    let fixture = chrono_time_fixture();
    let cache = tempfile::tempdir().unwrap();
    let db = time_db();
    for (features, expected) in [
        ("nobody/typo", "the workspace has no member named `nobody`"),
        ("app/typo", "the member `app` has no feature `typo`"),
    ] {
        let mut command = trustcheck(cache.path());
        in_fixture(&mut command, &fixture)
            .args(["--offline", "--features", features, "--advisory-db"])
            .arg(db.path());
        let (code, _, stderr) = run_within(&mut command, LIMIT);
        assert_eq!(code, 2, "{features}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn untrusted_text_reached_the_terminal_raw_in_errors() {
    let fixture = chrono_time_fixture();
    fixture.git(&["init", "--quiet"]);
    let cache = tempfile::tempdir().unwrap();
    let db = time_db();
    let hostile = "x\u{1b}]0;owned\u{7}\u{1b}[31m\u{202e}y";
    fixture.write_file(
        "trustcheck.toml",
        &format!("[advisories]\n\"{hostile}\" = 1\n"),
    );
    let runs: Vec<Vec<String>> = vec![
        vec![],
        vec!["explain".into(), hostile.into()],
        vec!["diff".into(), hostile.into()],
    ];
    for args in runs {
        let mut command = trustcheck(cache.path());
        command.args(&args);
        in_fixture(&mut command, &fixture)
            .args(["--offline", "--advisory-db"])
            .arg(db.path());
        let (code, _, stderr) = run_within(&mut command, LIMIT);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains("x]0;owned[31my"), "{args:?}: {stderr:?}");
        for control in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!stderr.contains(control), "{args:?}: {stderr:?}");
        }
    }
}

#[test]
fn a_closed_stderr_panicked() {
    let fixture = chrono_time_fixture();
    let db = time_db();
    let cache = tempfile::tempdir().unwrap();
    for args in [&["check"][..], &["fetch"][..]] {
        let mut command = trustcheck(cache.path());
        command.args(args);
        in_fixture(&mut command, &fixture)
            .env("GITHUB_ACTIONS", "true")
            .arg("--advisory-db")
            .arg(db.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        drop(child.stderr.take()); // the reader of `2>&1 | head -1` is gone
        let status = child.wait().unwrap();
        assert_ne!(status.code(), Some(101), "{args:?} panicked");
        assert!(matches!(status.code(), Some(0..=2)), "{args:?}: {status}");
    }
}

#[test]
fn an_unanswering_db_url_held_the_run_without_a_timeout() {
    let fixture = chrono_time_fixture();
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/advisory-db.git", listener.local_addr().unwrap());
    using_database(&fixture, &url);
    let cache = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture).env("TRUSTCHECK_NETWORK_TIMEOUT", "1");
    let (code, _, stderr) = run_within(&mut command, Duration::from_secs(60));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("could not fetch the advisory database"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    drop(listener);
}

#[test]
fn a_killed_fetch_wedged_the_advisory_clone() {
    let fixture = chrono_time_fixture();
    let home = fixture.home.path();
    let db = time_db();
    // Enough files that an update takes a while to write.
    let write_many = |generation: usize| {
        for crate_index in 0..400 {
            let dir = db.path().join(format!("crates/filler-{crate_index}"));
            std::fs::create_dir_all(&dir).unwrap();
            for file in 0..4 {
                std::fs::write(
                    dir.join(format!("RUSTSEC-2000-{:04}.md", crate_index * 4 + file)),
                    format!("generation {generation}\n{}", "x".repeat(2000)),
                )
                .unwrap();
            }
        }
    };
    write_many(0);
    let url = as_git_repository(&db, home);
    using_database(&fixture, &url);
    let index = index_server(&fixture.crates);
    let cache = tempfile::tempdir().unwrap();
    let fetch = || {
        let mut command = trustcheck(cache.path());
        in_fixture(&mut command, &fixture)
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .arg("fetch");
        command
    };
    let (code, _, stderr) = run_within(&mut fetch(), LIMIT);
    assert_eq!(code, 0, "{stderr}");
    let clone = std::fs::read_dir(cache.path().join("advisory-db"))
        .unwrap()
        .flatten()
        .find(|entry| entry.path().join(".git").is_dir())
        .unwrap()
        .path();
    for round in 1..=12 {
        write_many(round);
        git_in(db.path(), home, &["add", "."]);
        git_in(db.path(), home, &["commit", "--quiet", "-m", "update"]);
        let origin_head = git_in(db.path(), home, &["rev-parse", "HEAD"]);
        let mut child = fetch()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + 45 * round as u64));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever the kill left, the next fetch brings the clone to the origin's commit.
        let (code, _, stderr) = run_within(&mut fetch(), LIMIT);
        assert_eq!(code, 0, "round {round}: {stderr}");
        assert!(
            stderr.contains(&origin_head[..12]),
            "round {round}: {stderr}"
        );
        assert_eq!(git_in(&clone, home, &["rev-parse", "HEAD"]), origin_head);
        assert_eq!(git_in(&clone, home, &["status", "--porcelain"]), "");
        let sample =
            std::fs::read_to_string(clone.join("crates/filler-399/RUSTSEC-2000-1599.md")).unwrap();
        assert!(
            sample.starts_with(&format!("generation {round}\n")),
            "round {round}"
        );
    }
}

#[test]
fn a_baseline_with_merge_conflict_markers_could_not_be_rewritten() {
    let fixture = chrono_time_fixture();
    let cache = tempfile::tempdir().unwrap();
    let db = time_db();
    let tool = |args: &[&str]| {
        let mut command = trustcheck(cache.path());
        command.args(args);
        in_fixture(&mut command, &fixture)
            .args(["--offline"])
            .env("TRUSTCHECK_NETWORK_TIMEOUT", "1");
        run_within(&mut command, LIMIT)
    };
    let (code, _, stderr) = tool(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    let lock = fixture.read_file("trustcheck.lock");
    // Two branches each changed the license recorded for time 0.1.45.
    let line = lock
        .lines()
        .find(|line| line.contains("version = \"0.1.45\""))
        .unwrap()
        .to_owned();
    let conflicted = lock.replace(
        &line,
        &format!(
            "<<<<<<< HEAD\n{line}\n=======\n{}\n>>>>>>> other-branch",
            line.replace("MIT", "Apache-2.0")
        ),
    );
    fixture.write_file("trustcheck.lock", &conflicted);
    let conflict_line = conflicted
        .lines()
        .position(|line| line.starts_with("<<<<<<<"))
        .unwrap()
        + 1;

    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture)
        .args(["--offline", "--advisory-db"])
        .arg(db.path());
    let (code, _, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 2);
    assert!(stderr.contains("merge conflict"), "{stderr}");
    assert!(
        stderr.contains(&format!("trustcheck.lock:{conflict_line}:")),
        "{stderr}"
    );
    assert!(!stderr.contains("missing comma"), "{stderr}");

    let (code, _, stderr) = tool(&["baseline"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("had merge-conflict markers"), "{stderr}");
    let rewritten = fixture.read_file("trustcheck.lock");
    assert!(!rewritten.contains("<<<<<<<"), "{rewritten}");
    assert!(
        rewritten.contains(&line),
        "the graph's license: {rewritten}"
    );
    let mut command = trustcheck(cache.path());
    in_fixture(&mut command, &fixture)
        .args(["--offline", "--format", "json", "--advisory-db"])
        .arg(db.path());
    let (code, stdout, stderr) = run_within(&mut command, LIMIT);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        json(&stdout)["summary"]["deny"],
        1,
        "the vulnerability only"
    );
}
