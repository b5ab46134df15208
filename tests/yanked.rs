//! End-to-end tests of the yanked check: the binary on a fixture workspace, asking a sparse
//! index served on 127.0.0.1 (`TRUSTCHECK_INDEX_URL`), with its cache in a temporary directory.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use common::server::{Reply, Request, Server};
use common::*;

/// The crates of the fixture: (name, locked version, what the index says).
const CRATES: [(&str, &str); 7] = [
    ("a", "1.0.0"),     // 1/a
    ("ab", "0.2.0"),    // 2/ab
    ("abc", "1.2.3"),   // 3/a/abc
    ("yanky", "1.0.0"), // yanked
    ("gone", "1.0.0"),  // 404
    ("flaky", "2.0.0"), // 500, then 200
    ("newer", "3.0.0"), // the index lists only 1.0.0
];

fn fixture() -> Fixture {
    let dependencies: String = CRATES
        .iter()
        .map(|(name, version)| format!("{name} = \"={version}\"\n"))
        .collect();
    Fixture::new(
        vec![member("app", &format!("[dependencies]\n{dependencies}"))],
        CRATES
            .iter()
            .map(|(name, version)| krate(name, version))
            .collect(),
    )
}

/// What the index serves: files by path, each with an ETag; `gone` is absent (404); the first
/// request for `flaky` fails with 500. A request whose `If-None-Match` matches gets 304.
struct Index {
    files: Mutex<BTreeMap<String, (String, String)>>,
    failed_once: Mutex<BTreeSet<String>>,
}

impl Index {
    fn new() -> Index {
        let mut files = BTreeMap::new();
        for (name, versions) in [
            ("a", vec![("0.9.0", false), ("1.0.0", false)]),
            ("ab", vec![("0.2.0", false)]),
            ("abc", vec![("1.2.3", false), ("1.2.4", false)]),
            ("yanky", vec![("0.9.0", false), ("1.0.0", true)]),
            ("flaky", vec![("2.0.0", false)]),
            ("newer", vec![("1.0.0", false)]),
        ] {
            files.insert(
                format!("/{}", index_path(name)),
                (index_file(name, &versions), format!("\"{name}-v1\"")),
            );
        }
        Index {
            files: Mutex::new(files),
            failed_once: Mutex::new(BTreeSet::new()),
        }
    }

    fn answer(&self, request: &Request) -> Reply {
        if request.path == "/fl/ak/flaky"
            && self
                .failed_once
                .lock()
                .unwrap()
                .insert(request.path.clone())
        {
            return Reply::new(500, "try again");
        }
        match self.files.lock().unwrap().get(&request.path) {
            Some((_, etag)) if request.header("if-none-match") == Some(etag.as_str()) => {
                Reply::new(304, "").header("ETag", etag)
            }
            Some((file, etag)) => Reply::new(200, file.clone()).header("ETag", etag),
            None => Reply::new(404, "not found"),
        }
    }

    /// Publishes new content for a crate, with a new ETag.
    fn publish(&self, name: &str, versions: &[(&str, bool)], etag: &str) {
        self.files.lock().unwrap().insert(
            format!("/{}", index_path(name)),
            (index_file(name, versions), format!("\"{etag}\"")),
        );
    }
}

fn start(index: &std::sync::Arc<Index>) -> Server {
    let index = index.clone();
    Server::start(move |request| index.answer(request))
}

fn run_tool(fixture: &Fixture, cache: &Path, index: &str, args: &[&str]) -> (i32, String, String) {
    run(trustcheck(cache)
        .env("TRUSTCHECK_INDEX_URL", index)
        .current_dir(fixture.root())
        .args(args)
        .arg("--advisory-db")
        .arg(AdvisoryDb::new().path()))
}

fn check(fixture: &Fixture, cache: &Path, index: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run_tool(fixture, cache, index, &args);
    assert_ne!(code, 2, "{stderr}");
    (code, json(&stdout))
}

/// (kind, crate, level, message) of every finding, sorted.
fn findings(report: &serde_json::Value) -> Vec<(String, String, String, String)> {
    let mut findings: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap_or("").to_owned();
            (text("kind"), text("crate"), text("level"), text("message"))
        })
        .collect();
    findings.sort();
    findings
}

fn paths(server: &Server) -> Vec<String> {
    let mut paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    paths
}

/// What a `deleted-release` finding advises.
const TAKEDOWN: &str = "A release deleted after publication is what a registry does with malware (crates.io deletes it rather than yanking it); treat the locked copy as hostile: remove the dependency or move to a release the registry still lists, and do not build it";

fn expected_findings() -> Vec<(String, String, String, String)> {
    let row = |kind: &str, name: &str, level: &str, message: &str| {
        (kind.into(), name.into(), level.into(), message.into())
    };
    vec![
        row(
            "deleted-release",
            "gone",
            "deny",
            &format!("the crate gone is gone from the index of crates.io (HTTP 404). {TAKEDOWN}"),
        ),
        row(
            "deleted-release",
            "newer",
            "deny",
            &format!(
                "newer 3.0.0 is gone from the index of crates.io: its entry lists other versions of the crate, not this one. {TAKEDOWN}"
            ),
        ),
        row(
            "yanked",
            "yanky",
            "deny",
            "the locked version is yanked from crates.io; no other compatible release is both not yanked and older than releases.min-age (3 days)",
        ),
    ]
}

#[test]
fn yanked_versions_come_from_the_index_and_fresh_entries_need_no_request() {
    let fixture = fixture();
    let cache = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(Index::new());
    let server = start(&index);

    let (code, report) = check(&fixture, cache.path(), &server.base(), &[]);
    assert_eq!(code, 1, "a yanked version is denied by default");
    assert_eq!(findings(&report), expected_findings());
    let yanked = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["kind"] == "yanked")
        .unwrap();
    assert_eq!(yanked["version"], "1.0.0");
    assert_eq!(yanked["advisory"], serde_json::Value::Null);
    assert_eq!(yanked["paths"], serde_json::json!([["app", "yanky"]]));
    assert_eq!(
        paths(&server),
        [
            "/1/a",
            "/2/ab",
            "/3/a/abc",
            "/fl/ak/flaky",
            "/fl/ak/flaky",
            "/go/ne/gone",
            "/ne/we/newer",
            "/ya/nk/yanky"
        ],
        "one request per crate, flaky's 500 retried"
    );
    for request in server.requests() {
        let agent = request.header("user-agent").unwrap_or("");
        assert!(agent.starts_with("cargo-trustcheck/"), "{agent}");
    }

    server.clear();
    let (code, again) = check(&fixture, cache.path(), &server.base(), &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&again), expected_findings());
    assert_eq!(
        paths(&server),
        ["/go/ne/gone", "/ne/we/newer"],
        "within the freshness window a run asks only for the entries that lack a locked version"
    );
}

#[test]
fn fetch_revalidates_every_entry_and_offline_then_gives_the_online_result() {
    let fixture = fixture();
    let cache = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(Index::new());
    let server = start(&index);
    let (_, online) = check(&fixture, cache.path(), &server.base(), &[]);

    server.clear();
    let (code, _, stderr) = run_tool(&fixture, cache.path(), &server.base(), &["fetch"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("index entries: 7 crates (0 fetched, 6 unchanged, 1 not in their index)"),
        "{stderr}"
    );
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        7,
        "every entry is revalidated, fresh or not"
    );
    for request in &requests {
        let expected = (request.path != "/go/ne/gone").then(|| {
            let name = request.path.rsplit('/').next().unwrap();
            format!("\"{name}-v1\"")
        });
        assert_eq!(
            request.header("if-none-match"),
            expected.as_deref(),
            "{}",
            request.path
        );
    }

    server.clear();
    let (code, offline) = check(&fixture, cache.path(), &server.base(), &["--offline"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&offline), findings(&online));
    assert!(server.requests().is_empty(), "--offline makes no request");

    // The index changes: fetch picks it up, and the offline check reports it.
    index.publish("abc", &[("1.2.3", true), ("1.2.4", false)], "abc-v2");
    let (code, _, stderr) = run_tool(&fixture, cache.path(), &server.base(), &["fetch"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(1 fetched, 5 unchanged"), "{stderr}");
    let (_, offline) = check(&fixture, cache.path(), &server.base(), &["--offline"]);
    let yanked: Vec<_> = findings(&offline)
        .into_iter()
        .filter(|finding| finding.0 == "yanked")
        .map(|finding| finding.1)
        .collect();
    assert_eq!(yanked, ["abc", "yanky"]);

    let (code, human, _) = run_tool(
        &fixture,
        cache.path(),
        &server.base(),
        &["check", "--offline"],
    );
    assert_eq!(code, 1);
    for expected in [
        "Yanked versions (2)",
        "yanky 1.0.0",
        "Releases deleted from their registry (2)",
        "path app → yanky",
    ] {
        assert!(
            human.contains(expected),
            "missing {expected:?} in:\n{human}"
        );
    }
}

#[test]
fn offline_with_an_empty_cache_reports_every_registry_package_unchecked() {
    let fixture = fixture();
    let cache = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(Index::new());
    let server = start(&index);
    let (code, report) = check(&fixture, cache.path(), &server.base(), &["--offline"]);
    assert_eq!(code, 0, "unchecked is a warning by default");
    let mut crates: Vec<&str> = CRATES.iter().map(|(name, _)| *name).collect();
    crates.sort_unstable();
    assert_eq!(unchecked_crates(&report), crates);
    for finding in report["findings"].as_array().unwrap() {
        assert_eq!(finding["level"], "warn");
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("not in the cache (--offline); `cargo trustcheck fetch` fills the cache"),
            "{finding}"
        );
    }
    assert!(server.requests().is_empty(), "--offline makes no request");

    fixture.write_file("trustcheck.toml", "unchecked = \"deny\"\n");
    let (code, _) = check(&fixture, cache.path(), &server.base(), &["--offline"]);
    assert_eq!(code, 1, "the level of unchecked findings is configurable");
}

#[test]
fn an_unreachable_index_without_cached_data_fails_with_exit_2() {
    let fixture = fixture();
    let cache = tempfile::tempdir().unwrap();
    for args in [&["check"][..], &["fetch"][..]] {
        let (code, stdout, stderr) = run_tool(&fixture, cache.path(), "http://127.0.0.1:9/", args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        for expected in [
            "could not reach the registry index at http://127.0.0.1:9/",
            "--offline",
            "cargo trustcheck fetch",
        ] {
            assert!(
                stderr.contains(expected),
                "{args:?}: missing {expected:?} in {stderr}"
            );
        }
    }
    let (code, _, stderr) = run_tool(
        &fixture,
        cache.path(),
        "http://127.0.0.1:9/",
        &["fetch", "--offline"],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`fetch` does not take --offline"),
        "{stderr}"
    );
}

#[test]
fn an_exemption_of_kind_yanked_covers_the_yanked_version() {
    let fixture = fixture();
    let cache = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(Index::new());
    let server = start(&index);
    let expires = cargo_trustcheck::support::date::Date::today()
        .add_days(100)
        .to_string();
    let exemption = |version: &str| {
        format!(
            "[[exemption]]\ncrate = \"yanky\"\nversion = \"{version}\"\nkind = \"yanked\"\nreason = \"The fix is not released yet.\"\nexpires = \"{expires}\"\n"
        )
    };
    // The fixture's deleted releases are not what this test is about.
    let exemption =
        |version: &str| format!("[advisories]\ndeleted = \"warn\"\n\n{}", exemption(version));
    fixture.write_file("trustcheck.toml", &exemption("=1.0.0"));
    let (code, report) = check(&fixture, cache.path(), &server.base(), &[]);
    assert_eq!(code, 0, "{report}");
    let yanked = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["kind"] == "yanked")
        .unwrap();
    assert_eq!(yanked["exempted"], true);
    assert_eq!(
        yanked["exemption"]["reason"],
        "The fix is not released yet."
    );
    assert_eq!(report["summary"]["exempted"], 1);

    fixture.write_file("trustcheck.toml", &exemption(">=1.0.1"));
    let (code, report) = check(&fixture, cache.path(), &server.base(), &[]);
    assert_eq!(code, 1, "the version must match too");
    assert!(
        finding_keys(&report)
            .iter()
            .any(|key| key.0 == "exemption-unused")
    );
}

#[test]
fn a_policy_that_allows_yanked_versions_and_fresh_releases_asks_no_index() {
    let fixture = fixture();
    fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nyanked = \"allow\"\n\n[releases]\nfresh = \"allow\"\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(Index::new());
    let server = start(&index);
    let (code, report) = check(&fixture, cache.path(), &server.base(), &[]);
    assert_eq!(code, 0);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert!(server.requests().is_empty());
}

#[test]
fn other_registries_are_asked_through_their_own_sparse_index_or_reported_unchecked() {
    let crates_io = std::sync::Arc::new(Index::new());
    let crates_io = start(&crates_io);
    let internal = Server::start(|request| match request.path.as_str() {
        "/in/ho/inhouse" => Reply::new(200, index_file("inhouse", &[("1.0.0", true)])),
        _ => Reply::new(404, ""),
    });
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nab = \"0.2\"\n")],
        vec![krate("ab", "0.2.0")],
    );
    fixture.write_file(
        ".cargo/config.toml",
        &format!(
            "[registries.internal]\nindex = \"sparse+{0}\"\n\n[source.internal]\nregistry = \"sparse+{0}\"\nreplace-with = \"vendored\"\n\n\
             [registries.legacy]\nindex = \"https://git.example.com/index\"\n\n[source.legacy]\nregistry = \"https://git.example.com/index\"\nreplace-with = \"vendored\"\n\n\
             [source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"vendor\"\n",
            internal.base()
        ),
    );
    fixture.vendor(&krate("inhouse", "1.0.0"));
    fixture.vendor(&krate("oldreg", "1.0.0"));
    fixture.set_member(
        "app",
        "[dependencies]\nab = \"0.2\"\ninhouse = { version = \"1\", registry = \"internal\" }\noldreg = { version = \"1\", registry = \"legacy\" }\n",
    );
    fixture.write_file(
        "trustcheck.toml",
        "[sources]\nallow-registries = [\"crates-io\", \"internal\", \"legacy\"]\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let (code, report) = check(&fixture, cache.path(), &crates_io.base(), &[]);
    assert_eq!(code, 1);
    let found: Vec<(String, String, String)> = findings(&report)
        .into_iter()
        .map(|(kind, name, _, message)| (kind, name, message))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "unchecked".to_owned(),
                "oldreg".to_owned(),
                "yanked status and publish time not checked: the registry https://git.example.com/index uses the git index protocol; index entries are read only from sparse indexes".to_owned()
            ),
            (
                "yanked".to_owned(),
                "inhouse".to_owned(),
                format!(
                    "the locked version is yanked from the registry {}; no other compatible release is both not yanked and older than releases.min-age (3 days)",
                    internal.base()
                )
            ),
        ]
    );
    assert_eq!(paths(&crates_io), ["/2/ab"]);
    let internal_paths: Vec<String> = internal.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(internal_paths, ["/in/ho/inhouse"]);
}

#[test]
fn when_the_index_fails_the_cached_entries_are_kept_and_the_user_is_told() {
    let fixture = fixture();
    let cache = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(Index::new());
    let server = start(&index);
    let (_, online) = check(&fixture, cache.path(), &server.base(), &[]);

    server.set_handler(|_| Reply::new(503, "maintenance"));
    let (code, _, stderr) = run_tool(&fixture, cache.path(), &server.base(), &["fetch"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("7 failed, older entries kept")
            && stderr.contains(&format!(
                "warning: the index at {} failed for 7 crates (",
                server.base()
            ))
            && stderr.contains("answered HTTP 503 after 4 attempts")
            && stderr.contains("their cached entries were used"),
        "{stderr}"
    );
    let (code, offline) = check(&fixture, cache.path(), &server.base(), &["--offline"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&offline), findings(&online), "the cache is intact");
}
