//! Test fixtures: workspaces built in temporary directories that cargo resolves offline.
//!
//! Registry crates are vendored in a directory source that replaces crates.io, so
//! `cargo metadata` reports them exactly as crates.io packages (`registry+https://github.com/
//! rust-lang/crates.io-index`) without any network. Advisory databases are written the same way.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The RustSec advisories vendored for the tests (`tests/fixtures/advisory-db/README.md`).
pub fn vendored_advisory_db() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/advisory-db")
}

/// A registry crate to vendor.
#[derive(Clone, Debug)]
pub struct Crate {
    pub name: String,
    pub version: String,
    pub license: Option<String>,
    pub license_file: Option<(String, String)>,
    pub dependencies: Vec<String>,
    /// Lines of its `[features]` table.
    pub features: Vec<String>,
    /// Other sections of its manifest, written as they are (`[build-dependencies]` ...).
    pub sections: Vec<String>,
    /// The text of a `build.rs`, when it has one.
    pub build_script: Option<String>,
    /// Whether it is a proc-macro crate.
    pub proc_macro: bool,
    /// The text of `src/lib.rs`.
    pub lib: String,
    /// Other files, as bytes (path inside the crate, bytes).
    pub blobs: Vec<(String, Vec<u8>)>,
}

/// A crate `name` `version` with the MIT license and no dependencies.
pub fn krate(name: &str, version: &str) -> Crate {
    Crate {
        name: name.to_owned(),
        version: version.to_owned(),
        license: Some("MIT".to_owned()),
        license_file: None,
        dependencies: Vec::new(),
        features: Vec::new(),
        sections: Vec::new(),
        build_script: None,
        proc_macro: false,
        lib: String::new(),
        blobs: Vec::new(),
    }
}

impl Crate {
    pub fn license(mut self, license: &str) -> Crate {
        self.license = Some(license.to_owned());
        self
    }

    pub fn no_license(mut self) -> Crate {
        self.license = None;
        self
    }

    pub fn license_file(mut self, path: &str, text: &str) -> Crate {
        self.license = None;
        self.license_file = Some((path.to_owned(), text.to_owned()));
        self
    }

    /// A dependency line for its `[dependencies]`, e.g. `time = "0.1"`.
    pub fn dep(mut self, line: &str) -> Crate {
        self.dependencies.push(line.to_owned());
        self
    }

    /// A line of its `[features]`, e.g. `parallel = ["jobserver"]`.
    pub fn feature(mut self, line: &str) -> Crate {
        self.features.push(line.to_owned());
        self
    }

    /// Another manifest section, as written (`"[build-dependencies]\ncc = \"1\""`).
    pub fn section(mut self, text: &str) -> Crate {
        self.sections.push(text.to_owned());
        self
    }

    /// A build script (`build.rs`) with this text.
    pub fn build_script(mut self, text: &str) -> Crate {
        self.build_script = Some(text.to_owned());
        self
    }

    /// The text of its `src/lib.rs`.
    pub fn lib(mut self, text: &str) -> Crate {
        self.lib = text.to_owned();
        self
    }

    /// Another file, with these bytes.
    pub fn blob(mut self, path: &str, bytes: &[u8]) -> Crate {
        self.blobs.push((path.to_owned(), bytes.to_vec()));
        self
    }

    /// A proc-macro crate (`[lib] proc-macro = true`).
    pub fn proc_macro(mut self) -> Crate {
        self.proc_macro = true;
        self
    }
}

/// A workspace member.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    pub manifest_tail: String,
}

/// A member named `name` whose manifest ends with `tail` (dependency sections).
pub fn member(name: &str, tail: &str) -> Member {
    Member {
        name: name.to_owned(),
        manifest_tail: tail.to_owned(),
    }
}

/// A workspace in a temporary directory.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// `HOME` and `CARGO_HOME` of the cargo and git processes run for the fixture.
    pub home: tempfile::TempDir,
    pub members: Vec<Member>,
    pub crates: Vec<Crate>,
}

impl Fixture {
    /// `cargo update --offline -p name`, against the vendored crates, as the developer runs it;
    /// it must succeed.
    pub fn cargo_update(&self, name: &str) {
        let output = isolate(&mut Command::new(env!("CARGO")), self.home.path())
            .args(["update", "--offline", "-p", name])
            .current_dir(self.root())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cargo update -p {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Writes the workspace (members at `members/<name>`) and vendors the crates, then locks it.
    pub fn new(members: Vec<Member>, crates: Vec<Crate>) -> Fixture {
        let fixture = Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
            home: tempfile::tempdir().expect("temp dir"),
            members,
            crates,
        };
        fixture.write();
        fixture.lock();
        fixture
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn manifest(&self) -> PathBuf {
        self.root().join("Cargo.toml")
    }

    fn write(&self) {
        let root = self.root();
        write_workspace(
            root,
            &self.members,
            "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"vendor\"\n",
        );
        std::fs::create_dir_all(root.join("vendor")).unwrap();
        for krate in &self.crates {
            self.vendor(krate);
        }
    }

    /// Vendors one more crate (or replaces one), e.g. a new version to upgrade to.
    pub fn vendor(&self, krate: &Crate) {
        let dir = self
            .root()
            .join("vendor")
            .join(format!("{}-{}", krate.name, krate.version));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in crate_files(krate) {
            write(&dir.join(path), &text);
        }
        for (path, bytes) in &krate.blobs {
            std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
            std::fs::write(dir.join(path), bytes).unwrap();
        }
        let checksum = format!("{:064x}", fnv(&format!("{}-{}", krate.name, krate.version)));
        write(
            &dir.join(".cargo-checksum.json"),
            &format!("{{\"files\":{{}},\"package\":\"{checksum}\"}}"),
        );
    }

    /// Regenerates Cargo.lock offline.
    pub fn lock(&self) {
        let output = isolate(&mut Command::new(env!("CARGO")), self.home.path())
            .args(["generate-lockfile", "--offline"])
            .current_dir(self.root())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo generate-lockfile failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Replaces a member's manifest tail and relocks.
    pub fn set_member(&self, name: &str, tail: &str) {
        let dir = self.root().join("members").join(name);
        write(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n{tail}\n"
            ),
        );
        self.lock();
    }

    pub fn write_file(&self, relative: &str, text: &str) {
        write(&self.root().join(relative), text);
    }

    pub fn read_file(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root().join(relative)).unwrap_or_default()
    }

    /// Runs git in the fixture (isolated) and returns its trimmed stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.root(), self.home.path(), args)
    }
}

/// The files of a crate as published (path inside the crate, text): its manifest,
/// `src/lib.rs`, its license file and its build script.
pub fn crate_files(krate: &Crate) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut manifest = format!(
        "[package]\nname = \"{}\"\nversion = \"{}\"\nedition = \"2021\"\n",
        krate.name, krate.version
    );
    if let Some(license) = &krate.license {
        let _ = writeln!(manifest, "license = \"{license}\"");
    }
    if let Some((path, text)) = &krate.license_file {
        let _ = writeln!(manifest, "license-file = \"{path}\"");
        files.push((path.clone(), text.clone()));
    }
    if krate.build_script.is_some() {
        manifest.push_str("build = \"build.rs\"\n");
    }
    if krate.proc_macro {
        manifest.push_str("\n[lib]\nproc-macro = true\n");
    }
    manifest.push_str("\n[dependencies]\n");
    for dep in &krate.dependencies {
        let _ = writeln!(manifest, "{dep}");
    }
    if !krate.features.is_empty() {
        manifest.push_str("\n[features]\n");
        for feature in &krate.features {
            let _ = writeln!(manifest, "{feature}");
        }
    }
    for section in &krate.sections {
        let _ = write!(manifest, "\n{section}\n");
    }
    files.push(("Cargo.toml".to_owned(), manifest));
    files.push(("src/lib.rs".to_owned(), krate.lib.clone()));
    if let Some(build) = &krate.build_script {
        files.push(("build.rs".to_owned(), build.clone()));
    }
    files
}

/// Runs git in `dir` (isolated with `home`) and returns its trimmed stdout; panics on failure.
pub fn git_in(dir: &Path, home: &Path, args: &[&str]) -> String {
    let output = git_command(home)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn fnv(text: &str) -> u128 {
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for byte in text.bytes() {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
    }
    hash
}

/// A workspace at `root` (resolver 2) with `members` at `members/<name>` (each a library) and
/// `cargo_config` as its `.cargo/config.toml`.
pub fn write_workspace(root: &Path, members: &[Member], cargo_config: &str) {
    let names: Vec<String> = members
        .iter()
        .map(|m| format!("\"members/{}\"", m.name))
        .collect();
    write(
        &root.join("Cargo.toml"),
        &format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            names.join(", ")
        ),
    );
    write(&root.join(".cargo/config.toml"), cargo_config);
    for member in members {
        let dir = root.join("members").join(&member.name);
        write(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n{}\n",
                member.name, member.manifest_tail
            ),
        );
        write(&dir.join("src/lib.rs"), "");
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// An advisory database in a temporary directory.
pub struct AdvisoryDb {
    pub dir: tempfile::TempDir,
}

/// The crate of the placeholder advisory that a database without advisories of its own holds:
/// a database with no advisory at all is refused (exit 2), as a real one always has some.
pub const PLACEHOLDER_CRATE: &str = "trustcheck-fixture-placeholder";

impl AdvisoryDb {
    /// A database whose only advisory is a placeholder for a crate no fixture uses; the first
    /// `add` removes it.
    pub fn new() -> AdvisoryDb {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("crates")).unwrap();
        let db = AdvisoryDb { dir };
        db.add(
            "RUSTSEC-2000-0000",
            PLACEHOLDER_CRATE,
            &[">= 0.0.0"],
            "",
            "Placeholder of the test fixtures",
        );
        db
    }

    /// A database with no advisory at all (`crates/` empty).
    pub fn empty() -> AdvisoryDb {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("crates")).unwrap();
        AdvisoryDb { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Adds an advisory; `extra` is more front matter (informational, aliases, affected ...).
    pub fn add(
        &self,
        id: &str,
        krate: &str,
        patched: &[&str],
        extra: &str,
        title: &str,
    ) -> &AdvisoryDb {
        if krate != PLACEHOLDER_CRATE {
            let _ = std::fs::remove_dir_all(self.path().join("crates").join(PLACEHOLDER_CRATE));
        }
        let patched: Vec<String> = patched.iter().map(|req| format!("\"{req}\"")).collect();
        let (advisory_extra, tables) = match extra.find("\n[") {
            Some(index) => (&extra[..index], &extra[index..]),
            None => (extra, ""),
        };
        // Dated yesterday, so that the database never looks stale to the tests.
        let date = cargo_trustcheck::support::date::Date::today().add_days(-1);
        let text = format!(
            "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{krate}\"\ndate = \"{date}\"\n{advisory_extra}\n{tables}\n[versions]\npatched = [{}]\n```\n\n# {title}\n\nDetails of {id}.\n",
            patched.join(", ")
        );
        write(
            &self
                .path()
                .join("crates")
                .join(krate)
                .join(format!("{id}.md")),
            &text,
        );
        self
    }
}

/// Isolates a spawned process (the tool, cargo, git) from the developer's environment: its own
/// `HOME` and `CARGO_HOME` under `home`, no git configuration but the repository's, no
/// variables that redirect git, and none of the tool's or cargo's settings.
pub fn isolate<'a>(command: &'a mut Command, home: &Path) -> &'a mut Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("TRUSTCHECK_")
            || name.starts_with("CARGO_REGISTRIES_")
            || name.starts_with("CARGO_TERM_")
            || name.starts_with("GIT_")
        {
            command.env_remove(name.as_ref());
        }
    }
    command
        .env("HOME", home.join("home"))
        .env("CARGO_HOME", home.join("cargo-home"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("CI")
}

/// `git` for a test's own repositories, isolated like the tool, with a fixed identity.
pub fn git_command(home: &Path) -> Command {
    let mut command = Command::new("git");
    isolate(&mut command, home)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    command
}

/// The binary under test, isolated (`isolate`, with `HOME` and `CARGO_HOME` inside `cache`),
/// with its own cache, services that refuse connections, and no colour.
///
/// `TRUSTCHECK_TEST_BINARY` runs another build instead (to show that a regression test fails on
/// an older one).
pub fn trustcheck(cache: &Path) -> Command {
    let binary = std::env::var_os("TRUSTCHECK_TEST_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_cargo-trustcheck").into());
    let mut command = Command::new(binary);
    isolate(&mut command, cache)
        .env("TRUSTCHECK_CACHE_DIR", cache)
        .env("TRUSTCHECK_INDEX_URL", "http://127.0.0.1:9/")
        .env("TRUSTCHECK_API_URL", "http://127.0.0.1:9/")
        .env("TRUSTCHECK_GRAPH", "compare")
        .env("NO_COLOR", "1");
    command
}

/// Runs with a time limit: a run that outlives it is killed and the test fails, so that a
/// regression that hangs fails instead of holding CI. Returns (exit code, stdout, stderr).
pub fn run_within(command: &mut Command, limit: std::time::Duration) -> (i32, String, String) {
    use std::io::Read;
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (
                status.code().unwrap_or(-1),
                out.join().unwrap(),
                err.join().unwrap(),
            );
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the run did not end within {limit:?}; stderr:\n{}",
                err.join().unwrap()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The JSON report, parsed.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|error| panic!("not JSON ({error}):\n{stdout}"))
}

/// (kind, crate, version, advisory, level, exempted) of every finding, sorted.
pub fn finding_keys(
    report: &serde_json::Value,
) -> Vec<(String, String, String, String, String, bool)> {
    let mut keys: Vec<_> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap_or("").to_owned();
            (
                text("kind"),
                text("crate"),
                text("version"),
                text("advisory"),
                text("level"),
                finding["exempted"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// Where a crate's file is in a sparse index, written out from the layout's definition:
/// `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...`, lower-cased.
pub fn index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// An index file as a registry serves it: one JSON object per version, with the fields
/// crates.io writes, published a year ago (`pubtime`).
pub fn index_file(name: &str, versions: &[(&str, bool)]) -> String {
    let a_year_ago = cargo_trustcheck::support::date::now() - 365 * 86_400;
    let published: Vec<(&str, bool, i64)> = versions
        .iter()
        .map(|(version, yanked)| (*version, *yanked, a_year_ago))
        .collect();
    index_file_published(name, &published)
}

/// The RFC 3339 text of a Unix time, as `pubtime` writes it.
pub fn pubtime(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// An index file whose versions were published at the given Unix times.
pub fn index_file_published(name: &str, versions: &[(&str, bool, i64)]) -> String {
    versions
        .iter()
        .map(|(version, yanked, published)| {
            format!(
                "{}\n",
                serde_json::json!({
                    "name": name,
                    "vers": version,
                    "deps": [{"name": "dep", "req": "^1", "features": [], "optional": false,
                              "default_features": true, "target": null, "kind": "normal"}],
                    "cksum": "0000000000000000000000000000000000000000000000000000000000000000",
                    "features": {},
                    "yanked": yanked,
                    "pubtime": pubtime(*published),
                    "v": 2,
                })
            )
        })
        .collect()
}

/// A sparse index on 127.0.0.1 that lists the vendored version of each crate (none yanked) and
/// answers 404 for anything else.
pub fn index_server(crates: &[Crate]) -> server::Server {
    let files: std::collections::BTreeMap<String, String> = crates
        .iter()
        .map(|krate| {
            (
                format!("/{}", index_path(&krate.name)),
                index_file(&krate.name, &[(krate.version.as_str(), false)]),
            )
        })
        .collect();
    server::Server::start(move |request| match files.get(&request.path) {
        Some(file) => server::Reply::new(200, file.clone()),
        None => server::Reply::new(404, ""),
    })
}

/// A workspace whose one member depends on `names`, each vendored at 1.0.0, and an advisory
/// database.
pub fn workspace_depending_on(names: &[&str]) -> (Fixture, AdvisoryDb) {
    let dependencies: String = names
        .iter()
        .map(|name| format!("{name} = \"1\"\n"))
        .collect();
    let fixture = Fixture::new(
        vec![member("app", &format!("[dependencies]\n{dependencies}"))],
        names.iter().map(|name| krate(name, "1.0.0")).collect(),
    );
    (fixture, AdvisoryDb::new())
}

/// A named pipe at `path` (a FIFO: reading it blocks until someone writes).
#[cfg(unix)]
pub fn mkfifo(path: &Path) {
    assert!(
        Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs")
            .success()
    );
}

/// A sparse index on 127.0.0.1 whose files (by crate name) a test sets and rewrites between
/// runs; a crate without a file answers 404. Its `server` counts the requests.
pub struct SparseIndex {
    files: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>,
    pub server: server::Server,
}

impl SparseIndex {
    pub fn start() -> SparseIndex {
        let files: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>> =
            std::sync::Arc::default();
        let serving = files.clone();
        let server = server::Server::start(move |request| {
            let files = serving.lock().unwrap();
            match files
                .iter()
                .find(|(name, _)| format!("/{}", index_path(name)) == request.path)
            {
                Some((_, file)) => server::Reply::new(200, file.clone()),
                None => server::Reply::new(404, "not found"),
            }
        });
        SparseIndex { files, server }
    }

    /// Serves `file` as the index file of `name`.
    pub fn serve(&self, name: &str, file: String) {
        self.files.lock().unwrap().insert(name.to_owned(), file);
    }

    /// The crate is gone: its file answers 404.
    pub fn remove(&self, name: &str) {
        self.files.lock().unwrap().remove(name);
    }
}

/// Builds a crates.io database dump in its real layout.
pub fn write_db_dump(path: &std::path::Path, tables: &[(&str, String)]) {
    let file = std::fs::File::create(path).unwrap();
    let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (name, content) in tables {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        let entry = if *name == "metadata.json" {
            format!("2026-11-23-020000/{name}")
        } else {
            format!("2026-11-23-020000/data/{name}")
        };
        builder
            .append_data(&mut header, entry, content.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
}

/// The crates of `unchecked` findings, sorted.
pub fn unchecked_crates(report: &serde_json::Value) -> Vec<String> {
    let mut crates: Vec<String> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|finding| finding["kind"] == "unchecked")
        .map(|finding| finding["crate"].as_str().unwrap_or("").to_owned())
        .collect();
    crates.sort();
    crates
}

pub mod server;

pub mod recorded;
pub mod registry;
