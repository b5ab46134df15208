//! Regression tests of issue 19 (items 1 and 2): what the registry's index says *now* about a
//! locked version, whatever the cache holds. Each replays the user's path with the real binary
//! against a sparse index on 127.0.0.1 whose answers change between runs, as `tests/attack.rs`
//! does.

mod common;

use std::path::Path;

use common::server::{Reply, Server};
use common::*;

const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;

/// A sparse index whose files the test rewrites between runs (`common::SparseIndex`).
use common::SparseIndex as Index;

impl Index {
    /// Lists these versions of `name`: (version, yanked, published).
    fn publish(&self, name: &str, versions: &[(&str, bool, i64)]) {
        self.serve(name, index_file_published(name, versions));
    }

    /// The crate is gone: its file answers 404.
    fn delete(&self, name: &str) {
        self.remove(name);
    }
}

/// The tool on `fixture`, with its cache at `cache`, the index, and an advisory database.
fn tool(
    fixture: &Fixture,
    cache: &Path,
    index: &Index,
    db: &AdvisoryDb,
    args: &[&str],
) -> (i32, serde_json::Value, String) {
    let mut command = trustcheck(cache);
    command
        .args(args)
        .args(["--format", "json"])
        .current_dir(fixture.root())
        .env("TRUSTCHECK_INDEX_URL", index.server.base())
        .arg("--advisory-db")
        .arg(db.path());
    let (code, stdout, stderr) = run_within(&mut command, std::time::Duration::from_secs(120));
    assert_ne!(code, 2, "{stderr}");
    (code, json(&stdout), stderr)
}

/// (kind, level, message) of the findings about `name`.
fn findings_of(report: &serde_json::Value, name: &str) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["crate"] == name)
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap_or("").to_owned();
            (text("kind"), text("level"), text("message"))
        })
        .collect()
}

fn now() -> i64 {
    cargo_trustcheck::support::date::now()
}

#[test]
fn a_stale_cache_entry_without_the_locked_version_let_the_august_2026_attack_through() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\narrayref = \"0.3\"\n")],
        vec![krate("arrayref", "0.3.9")],
    );
    let index = Index::start();
    let old: Vec<(String, bool, i64)> = (4..=9)
        .map(|patch| {
            (
                format!("0.3.{patch}"),
                false,
                now() - (700 - 50 * patch) * DAY,
            )
        })
        .collect();
    let listed = |extra: Option<(&'static str, i64)>| {
        let mut versions: Vec<(&str, bool, i64)> = old
            .iter()
            .map(|(version, yanked, at)| (version.as_str(), *yanked, *at))
            .collect();
        versions.extend(extra.map(|(version, at)| (version, false, at)));
        versions
    };
    index.publish("arrayref", &listed(None));
    let cache = tempfile::tempdir().unwrap();
    let db = AdvisoryDb::new();

    let (code, report, _) = tool(&fixture, cache.path(), &index, &db, &["check"]);
    assert_eq!(code, 0, "{report}");

    // The attacker publishes 0.3.10; the developer updates to it minutes after the first
    // check, while that check's index entry (without 0.3.10) is still in the cache.
    index.publish("arrayref", &listed(Some(("0.3.10", now() - HOUR))));
    fixture.vendor(&krate("arrayref", "0.3.10"));
    fixture.cargo_update("arrayref");
    assert!(fixture.read_file("Cargo.lock").contains("0.3.10"));

    let (code, report, _) = tool(&fixture, cache.path(), &index, &db, &["check"]);
    let arrayref = findings_of(&report, "arrayref");
    assert_eq!(code, 1, "{report}");
    assert_eq!(arrayref.len(), 1, "{arrayref:?}");
    assert_eq!(
        (arrayref[0].0.as_str(), arrayref[0].1.as_str()),
        ("fresh-release", "deny")
    );
    assert!(
        arrayref[0]
            .2
            .contains("arrayref 0.3.10 was published 1 hour ago"),
        "{}",
        arrayref[0].2
    );
}

/// A workspace locking `tiny` 1.0.1 and `gone` 0.2.0, both listed by the index.
fn takedown_fixture() -> (Fixture, Index, AdvisoryDb) {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\ntiny = \"1\"\ngone = \"0.2\"\n",
        )],
        vec![krate("tiny", "1.0.1"), krate("gone", "0.2.0")],
    );
    let index = Index::start();
    index.publish(
        "tiny",
        &[
            ("1.0.0", false, now() - 400 * DAY),
            ("1.0.1", false, now() - 30 * DAY),
        ],
    );
    index.publish("gone", &[("0.2.0", false, now() - 60 * DAY)]);
    (fixture, index, AdvisoryDb::new())
}

/// crates.io takes malware down: `tiny` 1.0.1 leaves the index, and `gone` with all its
/// versions.
fn take_down(index: &Index) {
    index.publish("tiny", &[("1.0.0", false, now() - 400 * DAY)]);
    index.delete("gone");
}

fn assert_deleted(report: &serde_json::Value) {
    let tiny = findings_of(report, "tiny");
    assert_eq!(tiny.len(), 1, "{report}");
    assert_eq!(
        (tiny[0].0.as_str(), tiny[0].1.as_str()),
        ("deleted-release", "deny")
    );
    assert!(
        tiny[0]
            .2
            .contains("tiny 1.0.1 is gone from the index of crates.io"),
        "{}",
        tiny[0].2
    );
    let gone = findings_of(report, "gone");
    assert_eq!(gone.len(), 1, "{report}");
    assert_eq!(
        (gone[0].0.as_str(), gone[0].1.as_str()),
        ("deleted-release", "deny")
    );
    assert!(
        gone[0]
            .2
            .contains("the crate gone is gone from the index of crates.io (HTTP 404)"),
        "{}",
        gone[0].2
    );
}

#[test]
fn deleted_releases_passed_as_unchecked_warnings_with_a_warm_or_a_cold_cache() {
    let (fixture, index, db) = takedown_fixture();
    let warm = tempfile::tempdir().unwrap();
    let (code, report, _) = tool(&fixture, warm.path(), &index, &db, &["check"]);
    assert_eq!(code, 0, "{report}");

    take_down(&index);
    // Warm, the next day: the cached entries list both versions, and are revalidated.
    age_entries(warm.path(), DAY);
    let (code, report, _) = tool(&fixture, warm.path(), &index, &db, &["check"]);
    assert_eq!(code, 1, "{report}");
    assert_deleted(&report);
    // Warm, minutes later: the cached entries lack the versions, which the index confirms.
    let (code, report, _) = tool(&fixture, warm.path(), &index, &db, &["check"]);
    assert_eq!(code, 1, "{report}");
    assert_deleted(&report);
    // Cold: the same findings.
    let cold = tempfile::tempdir().unwrap();
    let (code, report, _) = tool(&fixture, cold.path(), &index, &db, &["check"]);
    assert_eq!(code, 1, "{report}");
    assert_deleted(&report);
    // Offline right after: the entries were just fetched, so the cache still knows.
    let (code, report, _) = tool(&fixture, cold.path(), &index, &db, &["check", "--offline"]);
    assert_eq!(code, 1, "{report}");
    assert_deleted(&report);
}

#[test]
fn offline_with_an_old_cache_a_missing_version_says_what_is_known() {
    let (fixture, index, db) = takedown_fixture();
    take_down(&index);
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr) = {
        let mut command = trustcheck(cache.path());
        command
            .args(["fetch"])
            .current_dir(fixture.root())
            .env("TRUSTCHECK_INDEX_URL", index.server.base())
            .arg("--advisory-db")
            .arg(db.path());
        run_within(&mut command, std::time::Duration::from_secs(120))
    };
    assert_eq!(code, 0, "{stderr}");
    // A day later, offline: the cached entries are a day old.
    age_entries(cache.path(), DAY);
    let (code, report, _) = tool(&fixture, cache.path(), &index, &db, &["check", "--offline"]);
    assert_eq!(code, 0, "{report}");
    for name in ["tiny", "gone"] {
        let findings = findings_of(&report, name);
        assert_eq!(findings.len(), 1, "{report}");
        assert_eq!(findings[0].0, "unchecked");
        assert!(
            findings[0]
                .2
                .contains("the cached index entry, fetched 24 hours ago")
                && findings[0].2.contains(
                    "it was deleted from the registry (a takedown) or published after that fetch"
                ),
            "{}",
            findings[0].2
        );
    }
}

/// Makes the cached index entries of `tiny` and `gone` look fetched `seconds` ago.
fn age_entries(cache: &Path, seconds: i64) {
    for name in ["tiny", "gone"] {
        let path = find_entry(cache, name).expect("cached entry");
        let mut stored: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        stored["fetched-at"] = (now() - seconds).into();
        std::fs::write(&path, stored.to_string()).unwrap();
    }
}

/// The cached index entry of `name` under `dir`.
fn find_entry(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_entry(&path, name) {
                return Some(found);
            }
        } else if path
            .file_name()
            .is_some_and(|file| file == format!("{name}.json").as_str())
            && path.components().any(|part| part.as_os_str() == "index")
        {
            return Some(path);
        }
    }
    None
}

/// A crates.io API on 127.0.0.1 that answers `/api/v1/crates/bytesize-fmt` with every version,
/// who published it, and (`audit_actions`) who yanked it and when.
fn mass_yank_api(yanked_at: i64) -> Server {
    let api_user =
        |id: u64, login: &str| serde_json::json!({"id": id, "login": login, "name": null});
    let version = |num: &str, published: i64, by: (u64, &str), yanked: bool| {
        let mut audits = vec![serde_json::json!({
            "action": "publish", "user": api_user(by.0, by.1), "time": pubtime(published)
        })];
        if yanked {
            audits.push(serde_json::json!({
                "action": "yank", "user": api_user(666, "mallory"), "time": pubtime(yanked_at)
            }));
        }
        serde_json::json!({
            "num": num, "license": "MIT", "yanked": yanked, "created_at": pubtime(published),
            "published_by": api_user(by.0, by.1), "audit_actions": audits,
        })
    };
    let body = serde_json::json!({
        "crate": {"name": "bytesize-fmt"},
        "versions": [
            version("1.2.1", now() - 5 * DAY, (666, "mallory"), false),
            version("1.2.0", now() - 300 * DAY, (7, "maintainer"), true),
            version("1.1.0", now() - 500 * DAY, (7, "maintainer"), true),
            version("1.0.0", now() - 700 * DAY, (7, "maintainer"), true),
        ],
    });
    Server::start(move |request| {
        if request.path == "/api/v1/crates/bytesize-fmt" {
            Reply::json(&body)
        } else {
            Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#)
        }
    })
}

#[test]
fn the_mass_yank_lure_advised_updating_to_the_one_release_left() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nbytesize-fmt = \"1\"\n")],
        vec![krate("bytesize-fmt", "1.2.0")],
    );
    let index = Index::start();
    index.publish(
        "bytesize-fmt",
        &[
            ("1.0.0", true, now() - 700 * DAY),
            ("1.1.0", true, now() - 500 * DAY),
            ("1.2.0", true, now() - 300 * DAY),
            ("1.2.1", false, now() - 5 * DAY),
        ],
    );
    let api = mass_yank_api(now() - 5 * DAY + HOUR);
    let db = AdvisoryDb::new();
    let cache = tempfile::tempdir().unwrap();
    let check = || {
        let mut command = trustcheck(cache.path());
        command
            .args(["check", "--format", "json"])
            .current_dir(fixture.root())
            .env("TRUSTCHECK_INDEX_URL", index.server.base())
            .env("TRUSTCHECK_API_URL", api.base())
            .arg("--advisory-db")
            .arg(db.path());
        let (code, stdout, stderr) = run_within(&mut command, std::time::Duration::from_secs(120));
        assert_ne!(code, 2, "{stderr}");
        (code, json(&stdout))
    };

    let (code, report) = check();
    assert_eq!(code, 1, "{report}");
    let findings = findings_of(&report, "bytesize-fmt");
    assert_eq!(findings.len(), 1, "{report}");
    let (kind, level, message) = &findings[0];
    assert_eq!((kind.as_str(), level.as_str()), ("yanked", "deny"));
    for expected in [
        "every other release of bytesize-fmt (3 releases, 1.0.0 to 1.2.0) was yanked by mallory (user 666)",
        "leaving only 1.2.1, published 5 days ago",
        "Do not update to 1.2.1 before reviewing it: keep 1.2.0 pinned",
    ] {
        assert!(
            message.contains(expected),
            "missing {expected:?} in {message}"
        );
    }
    assert!(!message.contains("--precise 1.2.1"), "{message}");

    // The developer follows the lure anyway.
    fixture.vendor(&krate("bytesize-fmt", "1.2.1"));
    fixture.cargo_update("bytesize-fmt");
    let (code, report) = check();
    assert_eq!(code, 1, "{report}");
    let findings = findings_of(&report, "bytesize-fmt");
    assert_eq!(findings.len(), 1, "{report}");
    let (kind, level, message) = &findings[0];
    assert_eq!((kind.as_str(), level.as_str()), ("yank-lure", "deny"));
    assert!(
        message.contains(
            "bytesize-fmt 1.2.1 was published by mallory (user 666), the account that yanked every other release of bytesize-fmt (3 releases, 1.0.0 to 1.2.0) on "
        ),
        "{message}"
    );
}
