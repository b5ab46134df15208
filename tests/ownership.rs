//! Ownership and publisher changes end to end, against a crates.io API served on 127.0.0.1
//! (`/api/v1/crates/{name}/owners` and `/api/v1/crates/{name}`) that, like crates.io, refuses
//! requests without a User-Agent and whose answers change between runs.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::{Reply, Request, Server};
use common::*;
use serde_json::json;

/// A version number and who published it (account id and login).
type PublishedVersion = (String, Option<(u64, String)>);

/// What the fake registry knows: per crate, its owners and its versions' publishers.
#[derive(Clone, Default)]
struct Registry {
    owners: BTreeMap<String, Vec<(u64, String, &'static str)>>,
    versions: BTreeMap<String, Vec<PublishedVersion>>,
}

impl Registry {
    fn answer(&self, request: &Request) -> Reply {
        if request.header("user-agent").is_none_or(str::is_empty) {
            return Reply::new(
                403,
                "We require that all requests include a `User-Agent` header.",
            );
        }
        let path = request.path.trim_start_matches("/api/v1/crates/");
        let (name, owners) = match path.strip_suffix("/owners") {
            Some(name) => (name, true),
            None => (path, false),
        };
        if owners {
            let Some(list) = self.owners.get(name) else {
                return Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#);
            };
            let users: Vec<_> = list
                .iter()
                .map(|(id, login, kind)| json!({"id": id, "login": login, "kind": kind, "name": null, "avatar": null, "url": "https://example.com"}))
                .collect();
            return Reply::json(&json!({ "users": users }));
        }
        let Some(list) = self.versions.get(name) else {
            return Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#);
        };
        let versions: Vec<_> = list
            .iter()
            .map(|(num, publisher)| {
                json!({
                    "id": 1, "crate": name, "num": num, "license": "MIT", "yanked": false,
                    "created_at": "2026-01-01T00:00:00Z", "downloads": 5, "features": {},
                    "published_by": publisher.as_ref().map(|(id, login)| json!({"id": id, "login": login, "name": null, "avatar": null, "url": "https://example.com"})),
                    "trustpub_data": null,
                })
            })
            .collect();
        Reply::json(
            &json!({ "crate": { "name": name }, "versions": versions, "keywords": [], "categories": [] }),
        )
    }
}

fn serve(registry: Arc<Mutex<Registry>>) -> Server {
    Server::start(move |request| registry.lock().unwrap().answer(request))
}

fn user(id: u64, login: &str) -> (u64, String, &'static str) {
    (id, login.to_owned(), "user")
}

fn published(num: &str, by: Option<(u64, &str)>) -> PublishedVersion {
    (num.to_owned(), by.map(|(id, login)| (id, login.to_owned())))
}

struct World {
    fixture: Fixture,
    db: AdvisoryDb,
    cache: tempfile::TempDir,
    server: Server,
    registry: Arc<Mutex<Registry>>,
}

const TEST_POLICY: &str = "[advisories]\nyanked = \"allow\"\n\n[releases]\nfresh = \"allow\"\n\n[baseline]\nnew-crate = \"allow\"\nlookalike = \"allow\"\ntyposquat = \"allow\"\n\n[ownership]\nrequests-per-second = 50\n";

impl World {
    fn new() -> World {
        let fixture = Fixture::new(
            vec![member(
                "app",
                "[dependencies]\nalpha = \"1\"\nbeta = \"1.0\"\n",
            )],
            vec![krate("alpha", "1.0.0"), krate("beta", "1.0.0")],
        );
        let mut registry = Registry::default();
        registry
            .owners
            .insert("alpha".into(), vec![user(1, "alice")]);
        registry.owners.insert(
            "beta".into(),
            vec![user(2, "bob"), (10, "github:org:release".into(), "team")],
        );
        registry
            .versions
            .insert("alpha".into(), vec![published("1.0.0", Some((1, "alice")))]);
        registry
            .versions
            .insert("beta".into(), vec![published("1.0.0", Some((2, "bob")))]);
        let registry = Arc::new(Mutex::new(registry));
        World {
            server: serve(registry.clone()),
            registry,
            fixture,
            db: AdvisoryDb::new(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        run(trustcheck(self.cache.path())
            .current_dir(self.fixture.root())
            .env("TRUSTCHECK_API_URL", self.server.base())
            .args(args))
    }

    fn check(&self, extra: &[&str]) -> (i32, serde_json::Value, String) {
        let db = self.db.path().to_str().unwrap().to_owned();
        let mut args = vec!["check", "--advisory-db", db.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = self.run(&args);
        assert_ne!(code, 2, "{stderr}");
        (code, json(&stdout), stderr)
    }

    fn init(&self) {
        let (code, _, stderr) = self.run(&["init"]);
        assert_eq!(code, 0, "{stderr}");
        self.fixture.write_file("trustcheck.toml", TEST_POLICY);
    }
}

fn kinds(report: &serde_json::Value) -> Vec<(String, String, String)> {
    finding_keys(report)
        .into_iter()
        .map(|key| (key.0, key.1, key.4))
        .collect()
}

#[test]
fn init_records_owners_and_publishers_and_check_detects_owner_and_publisher_changes() {
    let world = World::new();
    world.init();
    let lock = world.fixture.read_file("trustcheck.lock");
    assert!(
        lock.contains("{ id = 1, login = \"alice\", kind = \"user\" }"),
        "{lock}"
    );
    assert!(
        lock.contains("{ id = 10, login = \"github:org:release\", kind = \"team\" }"),
        "{lock}"
    );
    assert!(
        lock.contains("published-by = { id = 2, login = \"bob\" }"),
        "{lock}"
    );
    assert!(
        world.server.requests().iter().all(|request| request
            .header("user-agent")
            .is_some_and(|agent| agent.starts_with("cargo-trustcheck/"))),
        "every request names the tool"
    );

    // Nothing changed: nothing to report, and check asks the API nothing.
    world.server.clear();
    let (code, report, _) = world.check(&[]);
    assert_eq!(code, 0, "{report}");
    assert!(kinds(&report).is_empty(), "{report}");
    assert!(
        world.server.requests().is_empty(),
        "check asks nothing when no version is new"
    );

    // An owner is added on the registry; check reads owners from the cache, so `fetch` brings it in.
    world
        .registry
        .lock()
        .unwrap()
        .owners
        .get_mut("alpha")
        .unwrap()
        .push(user(5, "eve\u{1b}[31m"));
    let (code, _, _) = world.check(&[]);
    assert_eq!(code, 0, "owners are not refetched by check");
    let (code, _, stderr) =
        world.run(&["fetch", "--advisory-db", world.db.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let (code, report, _) = world.check(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        kinds(&report),
        vec![("owner-change".into(), "alpha".into(), "deny".into())]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("added eve"), "{message}");
    let (_, human, _) = world.run(&["check", "--advisory-db", world.db.path().to_str().unwrap()]);
    assert!(
        human.contains("added eve[31m (user 5)") && !human.contains('\u{1b}'),
        "the login is sanitized:\n{human}"
    );

    // Accepting the crate records the new owners.
    let before = world.fixture.read_file("trustcheck.lock");
    let (code, _, stderr) = world.run(&["baseline", "--accept", "alpha"]);
    assert_eq!(code, 0, "{stderr}");
    let after = world.fixture.read_file("trustcheck.lock");
    let changed: Vec<&str> = after
        .lines()
        .filter(|line| !before.lines().any(|old| old == *line))
        .collect();
    assert_eq!(changed.len(), 1, "only the new owner's line: {changed:?}");
    assert!(changed[0].contains("login = \"eve"), "{changed:?}");
    let (code, report, _) = world.check(&[]);
    assert_eq!(code, 0, "{report}");

    // beta 1.1.0 is published by an account new to it, and the workspace bumps to it: check
    // alone finds it, asking the API about that one crate only.
    world
        .registry
        .lock()
        .unwrap()
        .versions
        .get_mut("beta")
        .unwrap()
        .push(published("1.1.0", Some((666, "mallory"))));
    world.fixture.vendor(&krate("beta", "1.1.0"));
    world
        .fixture
        .set_member("app", "[dependencies]\nalpha = \"1\"\nbeta = \"1.1\"\n");
    world.server.clear();
    let (code, report, _) = world.check(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        kinds(&report),
        vec![("publisher-change".into(), "beta".into(), "deny".into())]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("mallory (user 666)") && message.contains("bob (user 2)"),
        "{message}"
    );
    let paths: Vec<String> = world
        .server
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert_eq!(paths, vec!["/api/v1/crates/beta".to_owned()]);

    // A second run uses the cache: no request at all.
    world.server.clear();
    let (code, _, _) = world.check(&[]);
    assert_eq!(code, 1);
    assert!(world.server.requests().is_empty());

    // An exemption for the publisher change, with reason and expiry, turns it into exit 0.
    let future = cargo_trustcheck::support::date::Date::today().add_days(30);
    world.fixture.write_file(
        "trustcheck.toml",
        &format!("{TEST_POLICY}\n[[exemption]]\ncrate = \"beta\"\nkind = \"publisher-change\"\nreason = \"mallory joined the team\"\nexpires = \"{future}\"\n"),
    );
    let (code, report, _) = world.check(&[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["exempted"], 1);

    // Offline on a machine that never fetched: what cannot be known is unchecked.
    let fresh_cache = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(trustcheck(fresh_cache.path())
        .current_dir(world.fixture.root())
        .env("TRUSTCHECK_API_URL", world.server.base())
        .args(["check", "--offline", "--format", "json", "--advisory-db"])
        .arg(world.db.path()));
    assert_eq!(code, 0);
    let unchecked: Vec<String> = json(&stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "unchecked")
        .map(|finding| finding["crate"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        unchecked,
        vec!["alpha".to_owned(), "beta".to_owned(), "beta".to_owned()]
    );
}

#[test]
fn the_client_never_exceeds_the_configured_request_rate() {
    let world = World::new();
    world
        .registry
        .lock()
        .unwrap()
        .owners
        .insert("gamma".into(), vec![user(3, "carol")]);
    world.fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nyanked = \"allow\"\n\n[releases]\nfresh = \"allow\"\n\n[baseline]\nnew-crate = \"allow\"\nlookalike = \"allow\"\ntyposquat = \"allow\"\n\n[ownership]\nrequests-per-second = 4\n",
    );
    let (code, _, stderr) = world.run(&["baseline"]);
    assert_eq!(code, 0, "{stderr}");
    let times: Vec<_> = world
        .server
        .requests()
        .iter()
        .map(|request| request.at)
        .collect();
    assert_eq!(times.len(), 4, "owners and versions of alpha and beta");
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(240),
            "requests {gap:?} apart at 4 per second"
        );
    }
}

#[test]
fn without_a_user_agent_the_registry_refuses_and_the_tool_always_sends_one() {
    let world = World::new();
    let refused = world.registry.lock().unwrap().answer(&Request {
        method: "GET".into(),
        path: "/api/v1/crates/alpha/owners".into(),
        headers: Default::default(),
        at: std::time::Instant::now(),
    });
    assert_eq!(
        refused.status, 403,
        "the test server behaves like crates.io"
    );
    world.init();
    assert!(!world.server.requests().is_empty());
    assert!(
        world
            .fixture
            .read_file("trustcheck.lock")
            .contains("login = \"alice\"")
    );
}

#[test]
fn an_unreachable_api_leaves_the_baseline_without_owners_and_says_so() {
    let world = World::new();
    let (code, _, stderr) = run(trustcheck(world.cache.path())
        .current_dir(world.fixture.root())
        .env("TRUSTCHECK_API_URL", "http://127.0.0.1:9/")
        .arg("init"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("could not be reached"), "{stderr}");
    let lock = world.fixture.read_file("trustcheck.lock");
    assert!(!lock.contains("owners ="), "{lock}");
    world.fixture.write_file("trustcheck.toml", TEST_POLICY);
    let (code, _, stderr) = run(trustcheck(world.cache.path())
        .current_dir(world.fixture.root())
        .env("TRUSTCHECK_API_URL", "http://127.0.0.1:9/")
        .args(["fetch", "--advisory-db"])
        .arg(world.db.path()));
    assert_eq!(code, 2, "fetch reports a network failure");
    assert!(
        stderr.contains("crates.io API") && stderr.contains("could not be reached"),
        "{stderr}"
    );
}

#[test]
fn fetch_db_dump_fills_the_cache_without_the_api() {
    let world = World::new();
    let dump = world.fixture.root().join("db-dump.tar.gz");
    write_db_dump(
        &dump,
        &[
            ("metadata.json", r#"{"timestamp":"2026-11-23T02:00:00Z","crates_io_commit":"abc"}"#.to_owned()),
            ("crates.csv", "id,name,updated_at,created_at,description,homepage,documentation,readme,repository,max_upload_size,max_features\n11,alpha,x,x,,,,,,,\n12,beta,x,x,\"a, b\",,,,,,\n13,unrelated,x,x,,,,,,,\n".to_owned()),
            ("users.csv", "id,gh_login,name,gh_avatar,gh_id\n1,alice,Alice,,100\n2,bob,,,200\n".to_owned()),
            ("teams.csv", "id,login,github_id,name,avatar,org_id\n10,github:org:release,5,release,,6\n".to_owned()),
            ("crate_owners.csv", "crate_id,owner_id,created_at,created_by,owner_kind\n11,1,2020-01-01,1,0\n12,2,2020-01-01,2,0\n12,10,2020-01-01,2,1\n13,2,2020-01-01,2,0\n".to_owned()),
            ("versions.csv", "id,crate_id,num,num_no_build,updated_at,created_at,downloads,features,yanked,license,crate_size,published_by,checksum,links,rust_version,has_lib,bin_names,edition,description\n1,11,1.0.0,1.0.0,x,2020-01-01,1,{},f,MIT,1,1,c,,,t,{},2021,\n2,12,1.0.0,1.0.0,x,2020-01-01,1,{},f,MIT,1,2,c,,,t,{},2021,\n".to_owned()),
        ],
    );
    world.fixture.write_file("trustcheck.toml", TEST_POLICY);
    let (code, _, stderr) = world.run(&[
        "fetch",
        "--db-dump",
        dump.to_str().unwrap(),
        "--advisory-db",
        world.db.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("2 crates read from the database dump"),
        "{stderr}"
    );
    let (code, _, stderr) = world.run(&["baseline", "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        world.server.requests().is_empty(),
        "the API was never asked"
    );
    let lock = world.fixture.read_file("trustcheck.lock");
    assert!(
        lock.contains("{ id = 10, login = \"github:org:release\", kind = \"team\" }"),
        "{lock}"
    );
    assert!(
        lock.contains("published-by = { id = 1, login = \"alice\" }"),
        "{lock}"
    );

    let bad = world.fixture.root().join("not-a-dump.tar.gz");
    std::fs::write(&bad, "plain text").unwrap();
    let (code, _, stderr) = world.run(&[
        "fetch",
        "--db-dump",
        bad.to_str().unwrap(),
        "--advisory-db",
        world.db.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not-a-dump.tar.gz"), "{stderr}");
}

#[test]
fn an_interrupted_fetch_keeps_what_it_got_and_resumes() {
    let world = World::new();
    world.init();
    // A third crate, so that stopping after two requests leaves work undone.
    {
        let mut registry = world.registry.lock().unwrap();
        registry
            .owners
            .insert("gamma".into(), vec![user(3, "carol")]);
        registry
            .versions
            .insert("gamma".into(), vec![published("1.0.0", Some((3, "carol")))]);
    }
    world.fixture.vendor(&krate("gamma", "1.0.0"));
    world.fixture.set_member(
        "app",
        "[dependencies]\nalpha = \"1\"\nbeta = \"1.0\"\ngamma = \"1\"\n",
    );
    world.fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nyanked = \"allow\"\n\n[releases]\nfresh = \"allow\"\n\n[baseline]\nnew-crate = \"allow\"\nlookalike = \"allow\"\ntyposquat = \"allow\"\n\n[ownership]\nrequests-per-second = 2\n",
    );
    world.server.clear();
    let mut child = trustcheck(world.cache.path())
        .current_dir(world.fixture.root())
        .env("TRUSTCHECK_API_URL", world.server.base())
        .args(["fetch", "--advisory-db"])
        .arg(world.db.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Stop it after its second request: alpha's owners are cached by then, gamma is not reached.
    let started = std::time::Instant::now();
    while world.server.requests().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "fetch makes its requests"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let first: Vec<String> = world
        .server
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert_eq!(first[0], "/api/v1/crates/alpha/owners");

    world.server.clear();
    let (code, _, stderr) =
        world.run(&["fetch", "--advisory-db", world.db.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let resumed: Vec<String> = world
        .server
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert!(
        !resumed.contains(&"/api/v1/crates/alpha/owners".to_owned()),
        "alpha's owners were kept: {resumed:?}"
    );
    assert!(
        resumed.contains(&"/api/v1/crates/gamma/owners".to_owned()),
        "{resumed:?}"
    );

    // That fetch completed: the next one refreshes every crate again.
    world.server.clear();
    let (code, _, _) = world.run(&["fetch", "--advisory-db", world.db.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    let again: Vec<String> = world
        .server
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert!(
        again.contains(&"/api/v1/crates/alpha/owners".to_owned())
            && again.contains(&"/api/v1/crates/beta/owners".to_owned()),
        "{again:?}"
    );
}

#[test]
fn owners_of_a_bumped_crate_were_never_asked_so_a_dormant_crates_new_owner_passed_silently() {
    const DAY: i64 = 86_400;
    let now = cargo_trustcheck::support::date::now();
    // tiny-ini: 1.0.0 three years ago, then nothing until 1.1.0, eight days ago.
    let file = index_file_published(
        "tiny-ini",
        &[
            ("1.0.0", false, now - 3 * 365 * DAY - 40 * DAY),
            ("1.1.0", false, now - 8 * DAY),
        ],
    );
    let path = format!("/{}", index_path("tiny-ini"));
    let index = Server::start(move |request| {
        if request.path == path {
            Reply::new(200, file.clone())
        } else {
            Reply::new(404, "")
        }
    });
    let mut registry = Registry::default();
    registry
        .owners
        .insert("tiny-ini".into(), vec![user(1, "alice")]);
    // alice's account publishes the release (the new owner got her token, or her consent).
    registry.versions.insert(
        "tiny-ini".into(),
        vec![
            published("1.0.0", Some((1, "alice"))),
            published("1.1.0", Some((1, "alice"))),
        ],
    );
    let registry = Arc::new(Mutex::new(registry));
    let api = serve(registry.clone());
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\ntiny-ini = \"1\"\n")],
        vec![krate("tiny-ini", "1.0.0")],
    );
    let db = AdvisoryDb::new();
    let cache = tempfile::tempdir().unwrap();
    let tool = |args: &[&str]| {
        run(trustcheck(cache.path())
            .current_dir(fixture.root())
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .env("TRUSTCHECK_API_URL", api.base())
            .args(args)
            .arg("--advisory-db")
            .arg(db.path()))
    };
    let (code, _, stderr) = tool(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    fixture.write_file("trustcheck.toml", "[ownership]\nrequests-per-second = 50\n");
    assert!(
        fixture
            .read_file("trustcheck.lock")
            .contains("login = \"alice\"")
    );
    // The baseline was made before 1.1.0 was published: so were the cached owners.
    let entry = cache_file(cache.path(), "tiny-ini.json");
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    cached["owners"]["fetched_at"] = (now - 9 * DAY).into();
    std::fs::write(&entry, cached.to_string()).unwrap();

    // mallory becomes an owner; the workspace moves to 1.1.0.
    registry
        .lock()
        .unwrap()
        .owners
        .get_mut("tiny-ini")
        .unwrap()
        .push(user(666, "mallory"));
    fixture.vendor(&krate("tiny-ini", "1.1.0"));
    fixture.cargo_update("tiny-ini");
    assert!(fixture.read_file("Cargo.lock").contains("1.1.0"));

    api.clear();
    let (code, stdout, stderr) = tool(&["check", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report = json(&stdout);
    assert_eq!(
        kinds(&report),
        vec![("owner-change".into(), "tiny-ini".into(), "deny".into())],
        "{report}"
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("added mallory (user 666)"), "{message}");
    assert!(
        message.contains(
            "(1.1.0 ends 3 years of dormancy: the release before it, 1.0.0, was published "
        ),
        "{message}"
    );
    let owner_requests = || {
        api.requests()
            .iter()
            .filter(|request| request.path == "/api/v1/crates/tiny-ini/owners")
            .count()
    };
    assert_eq!(owner_requests(), 1, "one request for the owners");

    // The owners are now cached after the release: the next run asks nothing about them.
    api.clear();
    let (code, _, _) = tool(&["check", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(owner_requests(), 0);

    // explain says it too.
    let (code, human, stderr) = tool(&["explain", "tiny-ini"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        human.contains(
            "  dormancy    1.1.0 ends 3 years of dormancy: the release before it, 1.0.0, was published "
        ),
        "{human}"
    );
    let (code, stdout, stderr) = tool(&["explain", "tiny-ini", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let explained = json(&stdout);
    assert_eq!(
        explained["packages"][0]["ends-dormancy"]["years"], 3,
        "{explained}"
    );
    assert_eq!(
        explained["packages"][0]["ends-dormancy"]["previous"], "1.0.0",
        "{explained}"
    );
}

/// The file named `name` under `dir` (the first found).
fn cache_file(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|file| file == name)
                && path
                    .components()
                    .any(|part| part.as_os_str() == "ownership")
            {
                return path;
            }
        }
    }
    panic!("no {name} under {}", dir.display());
}
