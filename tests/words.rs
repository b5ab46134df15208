//! Words that read right (issue 20): counts say what they count, advice fits the run it is
//! given in, and dependency paths through two versions of a crate do not look like loops.

mod common;

use common::*;

fn check(fixture: &Fixture, cache: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    run(trustcheck(cache).current_dir(fixture.root()).args(args))
}

#[test]
fn a_path_through_two_versions_of_a_crate_looked_like_a_loop() {
    // b 2.0.0 depends on b 1.0.0, as rusttype 0.8 depends on rusttype 0.9.
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\na = \"1\"\n")],
        vec![
            krate("a", "1.0.0").dep("b = \"2\""),
            krate("b", "2.0.0").dep("b = \"1\""),
            krate("b", "1.0.0"),
        ],
    );
    let db = AdvisoryDb::new();
    db.add("RUSTSEC-2099-0002", "b", &[">= 1.1"], "", "b 1.0 is broken");
    let cache = tempfile::tempdir().unwrap();
    let db_path = db.path().to_str().unwrap();
    let (code, stdout, stderr) = check(
        &fixture,
        cache.path(),
        &["check", "--offline", "--advisory-db", db_path],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("app → a → b 2.0.0 → b 1.0.0"),
        "the versions of the repeated name are shown: {stdout}"
    );
    assert!(!stdout.contains("a → b → b"), "{stdout}");

    let (_, stdout, stderr) = check(
        &fixture,
        cache.path(),
        &[
            "check",
            "--offline",
            "--format",
            "json",
            "--advisory-db",
            db_path,
        ],
    );
    let report = json(&stdout);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["advisory"] == "RUSTSEC-2099-0002")
        .unwrap_or_else(|| panic!("{stdout}\n{stderr}"));
    assert_eq!(
        finding["paths"],
        serde_json::json!([["app", "a", "b", "b"]]),
        "the JSON report keeps crate names, as the contract says"
    );

    let (_, stdout, _) = check(
        &fixture,
        cache.path(),
        &["explain", "b@1.0.0", "--offline", "--advisory-db", db_path],
    );
    assert!(stdout.contains("app → a → b 2.0.0 → b 1.0.0"), "{stdout}");
}

#[test]
fn not_checked_for_958_crates_its_index_entry_counted_versions_as_crates() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\na = \"1\"\nb = \"2\"\n")],
        vec![
            krate("a", "1.0.0").dep("b = \"1\""),
            krate("b", "2.0.0"),
            krate("b", "1.0.0"),
        ],
    );
    let db = AdvisoryDb::new();
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = check(
        &fixture,
        cache.path(),
        &[
            "check",
            "--offline",
            "--advisory-db",
            db.path().to_str().unwrap(),
        ],
    );
    assert_ne!(code, 2, "{stderr}");
    assert!(
        stdout.contains(
            "yanked status and publish time not checked for 3 crate versions: their index entries are not in the cache (--offline)"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("its index entry"), "{stdout}");
}

/// An advisory database whose advisories are all dated 2020-01-01.
fn old_database() -> AdvisoryDb {
    let db = AdvisoryDb::new();
    for entry in walk(&db.path().join("crates")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let text: String = text
            .lines()
            .map(|line| {
                if line.starts_with("date = ") {
                    "date = \"2020-01-01\"\n".to_owned()
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        std::fs::write(&entry, text).unwrap();
    }
    db
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Commits everything in `dir`, dated 2020-01-01.
fn commit_in_2020(dir: &std::path::Path, home: &std::path::Path) {
    for args in [
        &["init", "--quiet"][..],
        &["add", "."],
        &["commit", "--quiet", "-m", "old"],
    ] {
        let output = git_command(home)
            .current_dir(dir)
            .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The warning of the human report (stdout) that the database is stale.
fn stale_warning(report: &str) -> &str {
    report
        .lines()
        .find(|line| line.contains("older than advisories.max-db-age"))
        .unwrap_or_else(|| panic!("the database is stale: {report}"))
}

#[test]
fn the_stale_database_warning_said_fetch_under_advisory_db_where_fetch_fetches_nothing() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nold = \"1\"\n")],
        vec![krate("old", "1.0.0")],
    );
    // No index entries needed: nothing but the database is asked.
    let quiet = "[releases]\nfresh = \"allow\"\n\n[advisories]\nyanked = \"allow\"\n";
    fixture.write_file("trustcheck.toml", quiet);
    let cache = tempfile::tempdir().unwrap();
    let home = fixture.home.path();

    // A local clone: update it with git.
    let clone = old_database();
    commit_in_2020(clone.path(), home);
    let path = clone.path().to_str().unwrap();
    let (code, stdout, stderr) = check(&fixture, cache.path(), &["check", "--advisory-db", path]);
    assert_ne!(code, 2, "{stderr}");
    let warning = stale_warning(&stdout);
    assert!(
        warning.contains(&format!("`git -C {path} pull`")) && !warning.contains("trustcheck fetch"),
        "{warning}"
    );

    // A plain directory: replace it.
    let plain = old_database();
    let path = plain.path().to_str().unwrap();
    let (_, stdout, _) = check(&fixture, cache.path(), &["check", "--advisory-db", path]);
    let warning = stale_warning(&stdout);
    assert!(
        warning.contains(&format!("replace {path}")) && !warning.contains("trustcheck fetch"),
        "{warning}"
    );

    // The cached clone of db-url: `fetch` updates it.
    let upstream = old_database();
    commit_in_2020(upstream.path(), home);
    fixture.write_file(
        "trustcheck.toml",
        &format!("{quiet}db-url = \"file://{}\"\n", upstream.path().display()),
    );
    let mut command = trustcheck(cache.path());
    command.current_dir(fixture.root()).arg("check");
    let (_, stdout, stderr) = run(&mut command);
    assert!(
        stale_warning(&stdout).contains("update it with `cargo trustcheck fetch`"),
        "{stdout}\n{stderr}"
    );
}
