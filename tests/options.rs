//! The contract's "Options everywhere": options before or after the subcommand are the same;
//! every command takes the options that make sense for it (the graph options on `diff` and
//! `explain` included); `CARGO_TERM_COLOR` is honoured like `--color` and `NO_COLOR` like
//! `--color never`; a command refuses a `--format` it cannot produce.

mod common;

use std::process::Command;

use common::*;

/// A committed workspace with a policy, a baseline and an advisory for one of its crates.
struct World {
    fixture: Fixture,
    db: AdvisoryDb,
    cache: tempfile::TempDir,
    index: common::server::Server,
}

impl World {
    fn new() -> World {
        let fixture = Fixture::new(
            vec![member(
                "app",
                "[dependencies]\nold = \"1\"\n\n[dev-dependencies]\ntester = \"1\"\n",
            )],
            vec![krate("old", "1.0.0"), krate("tester", "1.0.0")],
        );
        let db = AdvisoryDb::new();
        db.add("RUSTSEC-2099-0001", "old", &[">= 2"], "", "old is broken");
        let world = World {
            index: index_server(&fixture.crates),
            fixture,
            db,
            cache: tempfile::tempdir().unwrap(),
        };
        let (code, _, stderr) = run(world.command().args(["init", "--offline"]));
        assert_eq!(code, 0, "{stderr}");
        world
            .fixture
            .write_file("trustcheck.toml", "[advisories]\nyanked = \"allow\"\n");
        world.fixture.write_file(".gitignore", "/target\n");
        world
            .fixture
            .git(&["init", "--quiet", "--initial-branch=main"]);
        world.fixture.git(&["add", "."]);
        world.fixture.git(&["commit", "--quiet", "-m", "A"]);
        world
    }

    /// The binary in the workspace, with its index on 127.0.0.1.
    fn command(&self) -> Command {
        let mut command = trustcheck(self.cache.path());
        command
            .current_dir(self.fixture.root())
            .env("TRUSTCHECK_INDEX_URL", self.index.base());
        command
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = self.command();
        command.arg("--advisory-db").arg(self.db.path()).args(args);
        run(&mut command)
    }
}

#[test]
fn options_before_or_after_the_subcommand_are_the_same() {
    let world = World::new();
    let manifest = world.fixture.manifest();
    let manifest = manifest.to_str().unwrap();
    let policy = world.fixture.root().join("trustcheck.toml");
    let policy = policy.to_str().unwrap();
    let commands: [&[&str]; 4] = [
        &["check", "--format", "json"],
        &["explain", "old"],
        &["diff", "HEAD", "--format", "json"],
        &["baseline"],
    ];
    let options: [&[&str]; 9] = [
        &["--offline"],
        &["-q"],
        &["-v"],
        &["--color", "never"],
        &["--policy", policy],
        &["--manifest-path", manifest],
        &["--exclude-dev"],
        &["--target", "x86_64-unknown-linux-gnu"],
        &["--no-default-features"],
    ];
    for command in commands {
        for option in options {
            let graph_option = option[0].starts_with("--exclude")
                || option[0] == "--target"
                || option[0] == "--no-default-features";
            let records_whole_graph = command[0] == "baseline";
            let before: Vec<&str> = option.iter().chain(command).copied().collect();
            let after: Vec<&str> = command.iter().chain(option).copied().collect();
            let (code_before, out_before, err_before) = world.run(&before);
            let (code_after, out_after, err_after) = world.run(&after);
            assert_eq!(
                (code_before, &out_before),
                (code_after, &out_after),
                "{before:?} and {after:?} differ:\n{err_before}\n---\n{err_after}"
            );
            if graph_option && records_whole_graph {
                assert_eq!(code_after, 2, "{after:?}: {err_after}");
                assert!(
                    err_after.contains("records the whole graph")
                        || err_after.contains("graph options"),
                    "{after:?} says why: {err_after}"
                );
            } else {
                assert_ne!(code_after, 2, "{after:?} is accepted: {err_after}");
            }
        }
    }
}

#[test]
fn quiet_and_verbose_change_stderr_only() {
    let world = World::new();
    let (code, quiet_out, quiet_err) = world.run(&["check", "--offline", "-q"]);
    assert_eq!(code, 1, "{quiet_err}");
    let (_, normal_out, normal_err) = world.run(&["check", "--offline"]);
    let (_, verbose_out, verbose_err) = world.run(&["check", "--offline", "-v"]);
    assert_eq!(quiet_out, normal_out);
    assert_eq!(normal_out, verbose_out);
    assert!(quiet_err.is_empty(), "-q prints only errors: {quiet_err}");
    assert!(
        verbose_err.len() > normal_err.len(),
        "-v says more:\n{verbose_err}\n---\n{normal_err}"
    );
}

fn coloured(stdout: &str) -> bool {
    stdout.contains("\u{1b}[")
}

#[test]
fn cargo_term_color_is_honoured_like_color_and_no_color_like_color_never() {
    let world = World::new();
    let check = |env: &[(&str, &str)], args: &[&str]| {
        let mut command = world.command();
        command.env_remove("NO_COLOR");
        for (name, value) in env {
            command.env(name, value);
        }
        command
            .args(["check", "--offline", "--advisory-db"])
            .arg(world.db.path())
            .args(args);
        let (code, stdout, stderr) = run(&mut command);
        assert_eq!(code, 1, "{stderr}");
        stdout
    };
    // Piped: no colour unless asked for.
    assert!(!coloured(&check(&[], &[])));
    assert!(coloured(&check(&[("CARGO_TERM_COLOR", "always")], &[])));
    assert!(!coloured(&check(&[("CARGO_TERM_COLOR", "never")], &[])));
    assert!(!coloured(&check(
        &[("NO_COLOR", "1")],
        &["--color", "auto"]
    )));
    assert!(coloured(&check(
        &[("CARGO_TERM_COLOR", "never")],
        &["--color", "always"]
    )));
    assert!(
        coloured(&check(
            &[("NO_COLOR", "1"), ("CARGO_TERM_COLOR", "always")],
            &[]
        )),
        "cargo's own setting is the more specific one"
    );
    assert!(!coloured(&check(
        &[("NO_COLOR", "1"), ("CARGO_TERM_COLOR", "auto")],
        &[]
    )));
}

#[test]
fn a_command_refuses_a_format_it_cannot_produce() {
    let world = World::new();
    for args in [
        &["diff", "HEAD", "--format", "sarif"][..],
        &["explain", "old", "--format", "markdown"],
        &["--format", "json", "explain", "old"],
    ] {
        let (code, stdout, stderr) = world.run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.contains("format"), "{args:?} says why: {stderr}");
    }
}

#[test]
fn a_tool_variable_set_to_a_value_it_does_not_know_is_an_error() {
    let world = World::new();
    for (variable, value) in [
        ("TRUSTCHECK_NETWORK_TIMEOUT", "30s"),
        ("TRUSTCHECK_NETWORK_TIMEOUT", "0"),
        ("TRUSTCHECK_GRAPH", "metdata"),
    ] {
        let mut command = world.command();
        command
            .env(variable, value)
            .args(["check", "--offline", "--advisory-db"])
            .arg(world.db.path());
        let (code, stdout, stderr) = run(&mut command);
        assert_eq!(code, 2, "{variable}={value}: {stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains(variable) && stderr.contains("expected"),
            "{variable}={value}: {stderr}"
        );
    }
    let mut command = world.command();
    command
        .env("TRUSTCHECK_NETWORK_TIMEOUT", "2.5")
        .env("TRUSTCHECK_GRAPH", "metadata")
        .args(["check", "--offline", "--advisory-db"])
        .arg(world.db.path());
    let (code, _, stderr) = run(&mut command);
    assert_eq!(code, 1, "valid values are taken: {stderr}");
}
