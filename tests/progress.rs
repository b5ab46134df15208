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

/// The index answers; the crates.io API accepts every request and never answers.
fn hanging_api(request: &common::server::Request) -> Reply {
    if request.path.starts_with("/api/") {
        return Reply::hang();
    }
    let name = request.path.rsplit('/').next().unwrap_or_default();
    Reply::new(200, index_file(name, &[("1.0.0", false)]))
}

/// What a terminal was sent, chunk by chunk, each with the time it came.
type Drawn = std::sync::Arc<std::sync::Mutex<Vec<(Instant, Vec<u8>)>>>;

/// A pseudo-terminal: the child's stderr is its terminal side, and a thread collects what the
/// child draws, each chunk with the time it came.
#[cfg(unix)]
struct Pty {
    terminal: Option<std::os::fd::OwnedFd>,
    output: Drawn,
}

#[cfg(unix)]
impl Pty {
    fn open() -> Pty {
        use std::os::fd::FromRawFd;
        let (mut controller, mut terminal) = (-1, -1);
        let size = libc::winsize {
            ws_row: 24,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills two descriptors, which are owned from here on.
        let status = unsafe {
            libc::openpty(
                &mut controller,
                &mut terminal,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(status, 0, "openpty");
        let mut controller = unsafe { std::fs::File::from_raw_fd(controller) };
        let output: Drawn = Drawn::default();
        let collected = output.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buffer = [0u8; 4096];
            // Ends with EIO once the child and the test have closed the terminal side.
            while let Ok(read) = controller.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push((Instant::now(), buffer[..read].to_vec()));
            }
        });
        Pty {
            terminal: Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(terminal) }),
            output,
        }
    }

    /// The terminal side, for the child's stderr (the test keeps no copy of it).
    fn take_terminal(&mut self) -> Stdio {
        Stdio::from(self.terminal.take().unwrap())
    }

    fn text(&self) -> String {
        let output = self.output.lock().unwrap();
        let bytes: Vec<u8> = output.iter().flat_map(|(_, chunk)| chunk.clone()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// When `needle` had been drawn in full.
    fn drawn_at(&self, needle: &str) -> Option<Instant> {
        let output = self.output.lock().unwrap();
        let mut bytes = Vec::new();
        for (at, chunk) in output.iter() {
            bytes.extend_from_slice(chunk);
            if String::from_utf8_lossy(&bytes).contains(needle) {
                return Some(*at);
            }
        }
        None
    }
}

/// The lines a terminal shows after `text` is drawn on it (carriage returns, line feeds, cursor
/// up and down, and line erasing, as a progress bar uses them; other sequences are ignored).
fn screen(text: &str) -> Vec<String> {
    let mut rows: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut column) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => column = 0,
            '\n' => {
                row += 1;
                column = 0;
            }
            '\u{1b}' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut parameters = String::new();
                let mut last = None;
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() || c == '~' {
                        last = Some(c);
                        break;
                    }
                    parameters.push(c);
                }
                let count = parameters.parse::<usize>().unwrap_or(1).max(1);
                match last {
                    Some('A') => row = row.saturating_sub(count),
                    Some('B') => row += count,
                    Some('G') => column = count - 1,
                    Some('K') => {
                        if let Some(line) = rows.get_mut(row) {
                            match parameters.as_str() {
                                "2" => line.clear(),
                                "1" => line.iter_mut().take(column + 1).for_each(|c| *c = ' '),
                                _ => line.truncate(column),
                            }
                        }
                    }
                    Some('J') => {
                        if let Some(line) = rows.get_mut(row) {
                            line.truncate(column);
                        }
                        rows.truncate(row + 1);
                    }
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                while rows.len() <= row {
                    rows.push(Vec::new());
                }
                let line = &mut rows[row];
                while line.len() < column {
                    line.push(' ');
                }
                if column < line.len() {
                    line[column] = c;
                } else {
                    line.push(c);
                }
                column += 1;
            }
        }
    }
    rows.into_iter()
        .map(|line| line.into_iter().collect::<String>().trim_end().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn the_screen_model_erases_and_overwrites_lines_as_a_terminal_does() {
    assert_eq!(
        screen("ownership [==>  ] 1/24\r\u{1b}[2Kstopping\nerror: x\n"),
        ["stopping", "error: x"]
    );
    assert_eq!(
        screen("a\nbar 1\u{1b}[1A\r\u{1b}[2K\u{1b}[1B\r\u{1b}[2K\u{1b}[1Aok\n"),
        ["ok"]
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_on_a_hung_request_waited_a_minute_in_silence_and_left_the_progress_bar() {
    let world = World::new(50);
    world.server.set_handler(hanging_api);
    let mut pty = Pty::open();
    let mut command = world.fetch();
    command
        .env("TRUSTCHECK_NETWORK_TIMEOUT", "120")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(pty.take_terminal());
    let mut child = command.spawn().unwrap();
    drop(command);
    world.wait_for_api_requests(1);
    // The bar is on the screen, waiting on the requests in flight.
    let started = Instant::now();
    while pty.drawn_at("ownership").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the bar shows: {:?}",
            pty.text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "it waits on the API");

    let interrupted_at = Instant::now();
    interrupt(&child);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if interrupted_at.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("the run did not end within 5 s of Ctrl-C: {:?}", pty.text());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let ended = interrupted_at.elapsed();
    assert_eq!(code, 2, "{}", pty.text());
    assert!(ended < Duration::from_secs(2), "{ended:?}");
    // Give the reader the last bytes.
    std::thread::sleep(Duration::from_millis(200));
    let said = pty
        .drawn_at("stopping (Ctrl-C)")
        .unwrap_or_else(|| panic!("it says it is stopping: {:?}", pty.text()));
    assert!(
        said.duration_since(interrupted_at) < Duration::from_millis(500),
        "at once: {:?}",
        said.duration_since(interrupted_at)
    );
    let shown = screen(&pty.text());
    assert!(
        !shown.iter().any(|line| line.contains("ownership")),
        "no progress bar left on the screen: {shown:#?}\n{:?}",
        pty.text()
    );
    let stopping = shown
        .iter()
        .find(|line| line.starts_with("stopping (Ctrl-C)"))
        .unwrap_or_else(|| panic!("{shown:#?}"));
    assert!(
        stopping.contains("stays in the cache")
            && stopping.contains("nothing is left half-written"),
        "it says what it keeps: {stopping}"
    );
    assert!(
        shown
            .iter()
            .any(|line| line.starts_with("error: interrupted")),
        "{shown:#?}"
    );
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_ends_the_run_at_once_while_it_waits_on_cargo() {
    let world = World::new(50);
    // A cargo that never answers: the first Ctrl-C lets it be (cargo has the terminal's own
    // Ctrl-C), the second ends the run.
    let fake = tempfile::tempdir().unwrap();
    let cargo = fake.path().join("cargo");
    std::fs::write(&cargo, "#!/bin/sh\nexec sleep 20\n").unwrap();
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut child = world
        .command()
        .env("CARGO", &cargo)
        .env("TRUSTCHECK_GRAPH", "metadata")
        .args(["check", "--advisory-db"])
        .arg(world.db.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "it waits on cargo");
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first Ctrl-C waits for cargo"
    );
    interrupt(&child);
    let (code, stderr) = wait_within(&mut child, Duration::from_secs(2));
    assert_eq!(code, 130);
    assert!(stderr.contains("stopping (Ctrl-C)"), "{stderr}");
}
