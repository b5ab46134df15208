//! Long network steps as CI sees them (stderr is a pipe, not a terminal): a line when the step
//! starts and one at most every ten seconds after, never one per crate; nothing with `-q`; and
//! Ctrl-C stops the run at the next request, keeps what was fetched, and says how to go on.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{Reply, Server};
use common::*;
use serde_json::json;

/// Twelve crates.io crates: 24 API requests (owners and versions of each).
const CRATES: usize = 12;

fn policy(requests_per_second: u32) -> String {
    format!(
        "[advisories]\nyanked = \"deny\"\n\n[releases]\nfresh = \"allow\"\n\n[baseline]\nnew-crate = \"allow\"\nlookalike = \"allow\"\ntyposquat = \"allow\"\n\n[ownership]\nrequests-per-second = {requests_per_second}\n"
    )
}

/// A workspace on twelve crates, with a baseline written while the API was unreachable (so
/// that `fetch` has every crate's owners to ask for), and a server that is both the sparse
/// index and the crates.io API.
struct World {
    fixture: Fixture,
    db: AdvisoryDb,
    cache: tempfile::TempDir,
    server: Server,
}

impl World {
    fn new(requests_per_second: u32) -> World {
        let crates: Vec<Crate> = (0..CRATES)
            .map(|i| krate(&format!("crate{i:02}"), "1.0.0"))
            .collect();
        let dependencies: String = crates
            .iter()
            .map(|krate| format!("{} = \"1\"\n", krate.name))
            .collect();
        let fixture = Fixture::new(
            vec![member("app", &format!("[dependencies]\n{dependencies}"))],
            crates,
        );
        let server = Server::start(|request| {
            let Some(path) = request.path.strip_prefix("/api/v1/crates/") else {
                let name = request.path.rsplit('/').next().unwrap_or_default();
                return Reply::new(200, index_file(name, &[("1.0.0", false)]));
            };
            if let Some(name) = path.strip_suffix("/owners") {
                let login = format!("owner-of-{name}");
                return Reply::json(&json!({"users": [
                    {"id": 7, "login": login, "kind": "user", "name": null, "avatar": null, "url": "https://example.com"}
                ]}));
            }
            Reply::json(&json!({
                "crate": {"name": path},
                "versions": [{
                    "id": 1, "crate": path, "num": "1.0.0", "license": "MIT", "yanked": false,
                    "created_at": "2025-01-01T00:00:00Z", "downloads": 5, "features": {},
                    "published_by": {"id": 7, "login": format!("owner-of-{path}"), "name": null, "avatar": null, "url": "https://example.com"},
                    "trustpub_data": null,
                }],
                "keywords": [], "categories": [],
            }))
        });
        let world = World {
            fixture,
            db: AdvisoryDb::new(),
            cache: tempfile::tempdir().unwrap(),
            server,
        };
        let (code, _, stderr) = run(world.command().arg("init"));
        assert_eq!(code, 0, "{stderr}");
        world
            .fixture
            .write_file("trustcheck.toml", &policy(requests_per_second));
        world
    }

    /// The binary in the workspace; the index is the server; the API is unreachable until
    /// `with_api`.
    fn command(&self) -> Command {
        let mut command = trustcheck(self.cache.path());
        command
            .current_dir(self.fixture.root())
            .env("TRUSTCHECK_INDEX_URL", self.server.base());
        command
    }

    fn fetch(&self) -> Command {
        let mut command = self.command();
        command
            .env("TRUSTCHECK_API_URL", self.server.base())
            .args(["fetch", "--advisory-db"])
            .arg(self.db.path());
        command
    }

    fn api_requests(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .map(|request| request.path)
            .filter(|path| path.starts_with("/api/v1/"))
            .collect()
    }

    fn wait_for_api_requests(&self, count: usize) {
        let started = Instant::now();
        while self.api_requests().len() < count {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "fetch makes its requests"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn progress_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("ownership: ") && line.contains(" crates.io requests"))
        .collect()
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child, failing the test if it outlives `limit`.
fn wait_within(child: &mut Child, limit: Duration) -> (i32, String) {
    use std::io::Read;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return (status.code().unwrap_or(-1), stderr);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the run did not end within {limit:?} of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_long_fetch_in_ci_says_when_it_starts_and_how_far_it_is_every_ten_seconds() {
    let world = World::new(2);
    let started = Instant::now();
    let (code, _, stderr) = run_within(&mut world.fetch(), Duration::from_secs(90));
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(10), "rate-limited");
    let lines = progress_lines(&stderr);
    assert_eq!(
        lines.first().copied(),
        Some("ownership: 24 crates.io requests to make, about 12 seconds at 2 requests/s"),
        "{stderr}"
    );
    let updates: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|line| {
            line.contains("/24 crates.io requests, ") && line.ends_with(" left at 2 requests/s")
        })
        .collect();
    assert!(
        (1..=2).contains(&updates.len()),
        "one update per ten seconds, not one per request: {stderr}"
    );
    assert!(lines.len() <= 4, "no line per crate in a CI log: {stderr}");
}

#[test]
fn quiet_shows_no_progress_and_a_short_step_shows_only_its_start() {
    let world = World::new(50);
    let (code, _, stderr) = run_within(world.fetch().arg("-q"), Duration::from_secs(60));
    assert_eq!(code, 0, "{stderr}");
    assert!(progress_lines(&stderr).is_empty(), "{stderr}");
    assert!(stderr.is_empty(), "-q prints only errors: {stderr}");

    let (code, _, stderr) = run_within(&mut world.fetch(), Duration::from_secs(60));
    assert_eq!(code, 0, "{stderr}");
    // (The versions fetched a moment ago are still fresh: only the owners are asked again.)
    assert_eq!(
        progress_lines(&stderr),
        vec!["ownership: 12 crates.io requests to make, about 1 second at 50 requests/s"],
        "{stderr}"
    );
}

#[test]
fn ctrl_c_stops_a_fetch_at_the_next_request_keeps_what_it_got_and_says_how_to_go_on() {
    let world = World::new(2);
    let mut child = world
        .fetch()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    world.wait_for_api_requests(4);
    interrupt(&child);
    let (code, stderr) = wait_within(&mut child, Duration::from_secs(5));
    let asked = world.api_requests();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("run the same command again"),
        "{stderr}"
    );
    assert!(
        asked.len() <= 6,
        "it stopped at the next request, not at the end: {asked:?}"
    );

    // The next fetch goes on from there: what the first one got is not asked again.
    world.server.clear();
    let (code, _, stderr) = run_within(&mut world.fetch(), Duration::from_secs(60));
    assert_eq!(code, 0, "{stderr}");
    let resumed = world.api_requests();
    assert!(
        !resumed.contains(&asked[0]),
        "{} was kept: {resumed:?}",
        asked[0]
    );
    assert!(
        resumed.contains(&"/api/v1/crates/crate11/owners".to_owned()),
        "{resumed:?}"
    );
}

#[test]
fn a_second_ctrl_c_ends_the_run_at_once_even_while_a_request_hangs() {
    let world = World::new(50);
    world.server.set_handler(|_| Reply::hang());
    let mut child = world
        .fetch()
        .env("TRUSTCHECK_NETWORK_TIMEOUT", "120")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while world.server.requests().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    }
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first Ctrl-C waits for the request in flight"
    );
    interrupt(&child);
    let (code, _) = wait_within(&mut child, Duration::from_secs(2));
    assert_eq!(code, 130);
}
