//! The August 2026 crates.io attack, replayed offline: a compromised account published
//! `arrayref` 0.3.10, whose one new dependency, `proc-macro1`, was first published hours
//! earlier, one letter away from `proc-macro2`, with a build script that downloaded and ran a
//! payload; the attacker yanked `arrayref` 0.3.5 to 0.3.9 to lure users into updating. It was
//! live for 86 minutes, before RustSec's advisories (RUSTSEC-2026-0260, -0265) existed.
//!
//! Vendored crates, a sparse index with `pubtime`s and yanks, and a crates.io API, all on
//! 127.0.0.1; an advisory database without those advisories; the policy `init` writes.

mod common;

use std::sync::{Arc, Mutex};

use common::server::{Reply, Request, Server};
use common::*;
use serde_json::json;

const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;

/// The registry before and after the attack: the index (under `/index/`) and the API.
struct Registry {
    attacked: bool,
    now: i64,
}

fn line(name: &str, version: &str, yanked: bool, published: i64, deps: &[&str]) -> String {
    let deps: Vec<_> = deps
        .iter()
        .map(|dep| {
            json!({"name": dep, "req": "^1", "features": [], "optional": false,
                   "default_features": true, "target": null, "kind": "normal"})
        })
        .collect();
    format!(
        "{}\n",
        json!({
            "name": name, "vers": version, "deps": deps,
            "cksum": "0000000000000000000000000000000000000000000000000000000000000000",
            "features": {}, "yanked": yanked, "pubtime": pubtime(published), "v": 2,
        })
    )
}

impl Registry {
    /// Every version the registry lists: (crate, version, yanked, published, dependencies).
    fn versions(&self) -> Vec<(&'static str, String, bool, i64, Vec<&'static str>)> {
        let now = self.now;
        let mut versions = Vec::new();
        for patch in 4..=9 {
            let yanked = self.attacked && patch >= 5;
            versions.push((
                "arrayref",
                format!("0.3.{patch}"),
                yanked,
                now - (700 - 50 * patch as i64) * DAY,
                vec![],
            ));
        }
        versions.push((
            "proc-macro2",
            "1.0.95".to_owned(),
            false,
            now - 200 * DAY,
            vec![],
        ));
        if self.attacked {
            versions.push((
                "arrayref",
                "0.3.10".to_owned(),
                false,
                now - HOUR,
                vec!["proc-macro1"],
            ));
            versions.push((
                "proc-macro1",
                "1.0.106".to_owned(),
                false,
                now - 3 * HOUR,
                vec![],
            ));
            versions.push((
                "proc-macro1",
                "1.0.107".to_owned(),
                false,
                now - 2 * HOUR,
                vec![],
            ));
        }
        versions
    }

    fn owners(name: &str) -> Option<serde_json::Value> {
        let (id, login) = match name {
            "arrayref" => (1, "bluss"),
            "proc-macro2" => (2, "dtolnay"),
            "proc-macro1" => (666, "mallory"),
            _ => return None,
        };
        Some(json!({"users": [{"id": id, "login": login, "kind": "user", "name": null}]}))
    }

    fn answer(&self, request: &Request) -> Reply {
        if let Some(path) = request.path.strip_prefix("/index/") {
            let file: String = self
                .versions()
                .iter()
                .filter(|(name, ..)| index_path(name) == path)
                .map(|(name, version, yanked, published, deps)| {
                    line(name, version, *yanked, *published, deps)
                })
                .collect();
            return if file.is_empty() {
                Reply::new(404, "not found")
            } else {
                Reply::new(200, file)
            };
        }
        let path = request.path.trim_start_matches("/api/v1/crates/");
        if let Some(name) = path.strip_suffix("/owners") {
            return match Registry::owners(name) {
                Some(owners) if self.attacked || name != "proc-macro1" => Reply::json(&owners),
                _ => Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#),
            };
        }
        let versions: Vec<_> = self
            .versions()
            .into_iter()
            .filter(|(name, ..)| *name == path)
            .map(|(name, version, yanked, published, _)| {
                let (id, login) = match name {
                    "arrayref" => (1, "bluss"), // the same account, compromised
                    "proc-macro2" => (2, "dtolnay"),
                    _ => (666, "mallory"),
                };
                json!({"num": version, "license": "MIT", "yanked": yanked,
                       "created_at": pubtime(published),
                       "published_by": {"id": id, "login": login}})
            })
            .collect();
        if versions.is_empty() {
            return Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#);
        }
        Reply::json(&json!({"crate": {"name": path}, "versions": versions}))
    }
}

fn arrayref(version: &str) -> Crate {
    krate("arrayref", version).license("BSD-2-Clause")
}

struct Replay {
    fixture: Fixture,
    registry: Arc<Mutex<Registry>>,
    server: Server,
    cache: tempfile::TempDir,
    db: AdvisoryDb,
}

impl Replay {
    fn new() -> Replay {
        let fixture = Fixture::new(
            vec![member(
                "app",
                "[dependencies]\narrayref = \"0.3\"\nproc-macro2 = \"1\"\n",
            )],
            vec![
                arrayref("0.3.9"),
                krate("proc-macro2", "1.0.95")
                    .license("MIT OR Apache-2.0")
                    .build_script("fn main() {}\n"),
            ],
        );
        let registry = Arc::new(Mutex::new(Registry {
            attacked: false,
            now: cargo_trustcheck::support::date::now(),
        }));
        let answering = registry.clone();
        let server = Server::start(move |request| answering.lock().unwrap().answer(request));
        // The database of the day: none of the attack's advisories yet.
        let db = AdvisoryDb::new();
        db.add("RUSTSEC-2099-0001", "unrelated", &[], "", "Something else");
        Replay {
            fixture,
            registry,
            server,
            cache: tempfile::tempdir().unwrap(),
            db,
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = trustcheck(self.cache.path());
        command
            .args(args)
            .current_dir(self.fixture.root())
            .env(
                "TRUSTCHECK_INDEX_URL",
                format!("{}/index/", self.server.url),
            )
            .env("TRUSTCHECK_API_URL", self.server.base())
            .arg("--advisory-db")
            .arg(self.db.path());
        run_within(&mut command, std::time::Duration::from_secs(120))
    }

    fn check(&self) -> (i32, serde_json::Value) {
        let (code, stdout, stderr) = self.run(&["check", "--format", "json"]);
        assert_ne!(code, 2, "{stderr}");
        (code, json(&stdout))
    }
}

fn findings_of<'a>(report: &'a serde_json::Value, name: &str) -> Vec<(&'a str, &'a str)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["crate"] == name)
        .map(|finding| {
            (
                finding["kind"].as_str().unwrap(),
                finding["message"].as_str().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_arrayref_attack_of_august_2026_is_stopped_before_its_advisory() {
    let replay = Replay::new();
    // Adoption: the policy and baseline `init` writes, committed.
    let (code, _, stderr) = replay.run(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    let baseline = replay.fixture.read_file("trustcheck.lock");
    assert!(
        baseline.contains(
            "{ version = \"1.0.95\", license = \"MIT OR Apache-2.0\", build = [\"script\"]"
        ),
        "build code is recorded: {baseline}"
    );
    let (code, report) = replay.check();
    assert_eq!(code, 0, "before the attack: {report}");
    replay.fixture.git(&["init", "--quiet"]);
    replay.fixture.git(&["add", "."]);
    replay
        .fixture
        .git(&["commit", "--quiet", "-m", "adopt cargo-trustcheck"]);

    // The attack: 0.3.10 and proc-macro1 published, 0.3.5 to 0.3.9 yanked. The nightly fetch
    // sees it; the yanked 0.3.9 must not lure anyone into the hour-old 0.3.10.
    replay.registry.lock().unwrap().attacked = true;
    let (code, _, stderr) = replay.run(&["fetch"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, report) = replay.check();
    assert_eq!(code, 1);
    let yanked = findings_of(&report, "arrayref");
    assert_eq!(yanked.len(), 1, "{yanked:?}");
    assert_eq!(yanked[0].0, "yanked");
    assert!(
        yanked[0].1.contains("0.3.10 was published 1 hour ago")
            && yanked[0]
                .1
                .contains("wait, or pin 0.3.4 (`cargo update -p arrayref --precise 0.3.4`)"),
        "{}",
        yanked[0].1
    );
    assert!(!yanked[0].1.contains("update to 0.3.10"), "{}", yanked[0].1);

    // The developer updates anyway.
    replay
        .fixture
        .vendor(&arrayref("0.3.10").dep("proc-macro1 = \"1\""));
    replay.fixture.vendor(
        &krate("proc-macro1", "1.0.107")
            .license("MIT OR Apache-2.0")
            .build_script("fn main() { /* download and run a payload */ }\n"),
    );
    replay.fixture.cargo_update("arrayref");
    let lock = replay.fixture.read_file("Cargo.lock");
    assert!(lock.contains("name = \"proc-macro1\""), "{lock}");

    let (code, report) = replay.check();
    assert_eq!(code, 1, "{report}");
    let arrayref = findings_of(&report, "arrayref");
    assert_eq!(arrayref.len(), 1, "{arrayref:?}");
    assert_eq!(arrayref[0].0, "fresh-release");
    assert!(
        arrayref[0]
            .1
            .contains("arrayref 0.3.10 was published 1 hour ago")
            && arrayref[0]
                .1
                .contains("`cargo update -p arrayref --precise 0.3.4` returns to 0.3.4"),
        "{}",
        arrayref[0].1
    );
    let proc_macro1 = findings_of(&report, "proc-macro1");
    let kinds: Vec<&str> = proc_macro1.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(
        kinds,
        ["fresh-release", "lookalike", "new-crate", "build-code"],
        "{proc_macro1:?}"
    );
    let message = |kind: &str| proc_macro1.iter().find(|(k, _)| *k == kind).unwrap().1;
    assert!(message("fresh-release").contains("published 2 hours ago"));
    assert!(
        message("lookalike").contains("one edit away from proc-macro2"),
        "{}",
        message("lookalike")
    );
    let new_crate = message("new-crate");
    for fact in [
        "first published 3 hours ago",
        "1.0.107 published 2 hours ago",
        "owners: mallory (user 666)",
        "it runs a build script at build time",
        "arrayref 0.3.10 added it; 0.3.9 had no such dependency",
        "cargo trustcheck baseline --accept proc-macro1",
    ] {
        assert!(new_crate.contains(fact), "missing {fact:?} in {new_crate}");
    }
    assert!(message("build-code").contains("runs a build script at build time"));
    let (code, explained, stderr) = replay.run(&["explain", "proc-macro1"]);
    assert_eq!(code, 0, "{stderr}");
    for fact in [
        "published   2 hours ago",
        "first       3 hours ago",
        "build code  a build script",
        "lookalike   one edit from proc-macro2",
    ] {
        assert!(explained.contains(fact), "missing {fact:?} in {explained}");
    }
    let levels: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["crate"] == "proc-macro1")
        .map(|finding| {
            (
                finding["kind"].as_str().unwrap(),
                finding["level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("fresh-release", "deny"),
            ("lookalike", "warn"),
            ("new-crate", "warn"),
            ("build-code", "warn")
        ]
    );

    // The reviewer's diff flags it.
    let (code, stdout, stderr) = replay.run(&["diff", "HEAD", "--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("⚠️"), "{stdout}");
    assert!(
        stdout.contains("| `proc-macro1` | `1.0.107` | **not recorded** | **`proc-macro2`** |"),
        "{stdout}"
    );

    // The incident response: a ban, which no exemption covers.
    let policy = replay.fixture.read_file("trustcheck.toml");
    replay.fixture.write_file(
        "trustcheck.toml",
        &format!(
            "{policy}\n[[ban]]\ncrate = \"proc-macro1\"\nreason = \"malicious build script (RUSTSEC-2026-0265)\"\n\n[[exemption]]\ncrate = \"proc-macro1\"\nreason = \"trying to get around the ban\"\nexpires = \"2099-01-01\"\n"
        ),
    );
    let (code, report) = replay.check();
    assert_eq!(code, 1);
    let banned: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "banned")
        .collect();
    assert_eq!(banned.len(), 1);
    assert_eq!(banned[0]["level"], "deny");
    assert_eq!(banned[0]["exempted"], false);
}

#[test]
fn a_baseline_for_libm_beside_libc_is_not_a_lookalike() {
    // libm arrives beside libc, which the baseline accepted: one edit apart, but libm was
    // first published years ago, so it is an established pair.
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nlibc = \"0.2\"\n")],
        vec![krate("libc", "0.2.150"), krate("libm", "0.2.8")],
    );
    let now = cargo_trustcheck::support::date::now();
    let files: std::collections::BTreeMap<String, String> = [
        ("libc", "0.2.150", now - 900 * DAY),
        ("libm", "0.2.8", now - 400 * DAY),
    ]
    .iter()
    .map(|(name, version, first)| {
        (
            format!("/{}", index_path(name)),
            index_file_published(name, &[(version, false, *first)]),
        )
    })
    .collect();
    let index = Server::start(move |request| match files.get(&request.path) {
        Some(file) => Reply::new(200, file.clone()),
        None => Reply::new(404, ""),
    });
    let cache = tempfile::tempdir().unwrap();
    let db = AdvisoryDb::new();
    let tool = |args: &[&str]| {
        let mut command = trustcheck(cache.path());
        command
            .args(args)
            .current_dir(fixture.root())
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .arg("--advisory-db")
            .arg(db.path());
        run_within(&mut command, std::time::Duration::from_secs(120))
    };
    let (code, _, stderr) = tool(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    fixture.set_member("app", "[dependencies]\nlibc = \"0.2\"\nlibm = \"0.2\"\n");
    let (code, stdout, stderr) = tool(&["check", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["crate"] == "libm")
        .map(|finding| finding["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["new-crate"], "{report}");
}
