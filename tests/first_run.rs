//! A first run, as a new user makes it (issue 20): every error that stops it says the next
//! step, and what `init` writes lets the next `check` pass or says why it will not.

mod common;

use std::process::Command;

use common::*;

/// A workspace on one registry crate, with a fresh cache.
struct World {
    fixture: Fixture,
    db: AdvisoryDb,
    cache: tempfile::TempDir,
}

impl World {
    fn new(members: Vec<Member>, crates: Vec<Crate>) -> World {
        World {
            fixture: Fixture::new(members, crates),
            db: AdvisoryDb::new(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self) -> Command {
        let mut command = trustcheck(self.cache.path());
        command.current_dir(self.fixture.root());
        command
    }
}

/// An address on 127.0.0.1 where nothing listens: connections are refused at once.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/advisory-db.git")
}

#[test]
fn an_advisory_database_that_could_not_be_fetched_said_no_way_forward() {
    let world = World::new(
        vec![member("app", "[dependencies]\nold = \"1\"\n")],
        vec![krate("old", "1.0.0")],
    );
    world.fixture.write_file(
        "trustcheck.toml",
        &format!(
            "[advisories]\ndb-url = \"{}\"\nyanked = \"allow\"\n",
            closed_port_url()
        ),
    );
    for args in [&["check"][..], &["fetch"]] {
        let (code, _, stderr) = run(world.command().args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("could not fetch the advisory database"),
            "{args:?}: {stderr}"
        );
        for next_step in ["--advisory-db PATH", "--offline", "HTTPS_PROXY"] {
            assert!(
                stderr.contains(next_step),
                "{args:?} says the next step ({next_step}): {stderr}"
            );
        }
    }
    // The first step it names works.
    let (code, _, stderr) = run(world
        .command()
        .args(["check", "--offline", "--advisory-db"])
        .arg(world.db.path()));
    assert_ne!(code, 2, "{stderr}");
}

#[test]
fn a_fresh_member_without_a_license_was_denied_without_saying_the_fix() {
    let world = World::new(vec![member("app", "")], Vec::new());
    // As `cargo new` writes it: no license, and published unless it says otherwise.
    world.fixture.write_file(
        "members/app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    world.fixture.lock();

    let (code, stdout, stderr) = run(world.command().arg("init"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("workspace members without a license (app)")
            && stdout.contains("add `license = \"…\"`")
            && stdout.contains("`publish = false` if it is never published"),
        "init says the fix: {stdout}"
    );

    let check = || {
        run(world
            .command()
            .args(["check", "--offline", "--format", "json", "--advisory-db"])
            .arg(world.db.path()))
    };
    let (code, stdout, stderr) = check();
    assert_eq!(code, 1, "{stderr}");
    let report = json(&stdout);
    let unlicensed: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "unlicensed")
        .collect();
    assert_eq!(unlicensed.len(), 1, "{stdout}");
    assert_eq!(unlicensed[0]["crate"], "app");
    let message = unlicensed[0]["message"].as_str().unwrap();
    assert!(
        message.contains("add `license = \"…\"`")
            && message.contains("to the [package] table of its Cargo.toml")
            && message.contains("`publish = false` if it is never published"),
        "{message}"
    );

    // Either fix it names works (under the default allow list: the one init wrote allows only
    // what the graph used, and nothing in it declared a license).
    std::fs::remove_file(world.fixture.root().join("trustcheck.toml")).unwrap();
    for fix in ["license = \"MIT\"\n", "publish = false\n"] {
        world.fixture.write_file(
            "members/app/Cargo.toml",
            &format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{fix}"),
        );
        let (code, stdout, stderr) = check();
        assert_eq!(code, 0, "{fix}: {stdout}\n{stderr}");
    }
}

#[test]
fn init_wrote_allow_git_empty_and_the_next_check_denied_the_git_packages_unexplained() {
    let world = World::new(vec![member("app", "")], vec![krate("old", "1.0.0")]);
    // A crate in a git repository (file://: cargo fetches it without a network).
    let repository = tempfile::tempdir().unwrap();
    write(
        &repository.path().join("Cargo.toml"),
        "[package]\nname = \"gitlib\"\nversion = \"0.3.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n",
    );
    write(&repository.path().join("src/lib.rs"), "");
    let home = world.fixture.home.path();
    git_in(repository.path(), home, &["init", "--quiet"]);
    git_in(repository.path(), home, &["add", "."]);
    git_in(
        repository.path(),
        home,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "--quiet",
            "-m",
            "gitlib",
        ],
    );
    let url = format!("file://{}", repository.path().display());
    world.fixture.write_file(
        "members/app/Cargo.toml",
        &format!(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nold = \"1\"\ngitlib = {{ git = \"{url}\" }}\n"
        ),
    );
    let output = isolate(&mut Command::new(env!("CARGO")), home)
        .arg("generate-lockfile")
        .current_dir(world.fixture.root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let (code, stdout, stderr) = run(world.command().arg("init"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("crates from sources commented out for review in [sources] (1): gitlib")
            && stdout.contains(&format!("git {url}"))
            && stdout.contains("denies them until their source is allowed"),
        "init says which sources it left for review: {stdout}"
    );
    let policy = world.fixture.read_file("trustcheck.toml");
    let commented = format!("    # \"{url}\", # used by gitlib; uncomment to allow them\n");
    assert!(
        policy.contains(&format!("allow-git = [\n{commented}]\n")),
        "{policy}"
    );

    let index = index_server(&world.fixture.crates);
    let check = || {
        run(world
            .command()
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .args(["check", "--format", "json", "--advisory-db"])
            .arg(world.db.path()))
    };
    let (code, stdout, stderr) = check();
    assert_eq!(code, 1, "reviewed first: {stderr}");
    let sources: Vec<String> = json(&stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "source")
        .map(|finding| finding["crate"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sources, ["gitlib"], "{stdout}");

    // Uncommenting the line init wrote is the whole review.
    world.fixture.write_file(
        "trustcheck.toml",
        &policy.replace(&commented, &format!("    \"{url}\",\n")),
    );
    let (code, stdout, stderr) = check();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}
