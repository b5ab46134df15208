//! Help that matches (issue 20): every command's `--help` lists exactly the options it takes.
//! Each option a help lists is accepted: the command runs with it, on a fixture workspace, and
//! is not refused (exit 0 or 1). Each option that another command lists and this one does not
//! is refused by the parser (exit 2, "unexpected argument"), after the subcommand or before it.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use common::server::{Reply, Server};
use common::*;
use serde_json::json;

/// Each command (the empty name: none, which runs `check`) and the positional arguments it
/// needs.
const COMMANDS: [(&str, &[&str]); 7] = [
    ("", &[]),
    ("check", &[]),
    ("init", &[]),
    ("baseline", &[]),
    ("explain", &["old"]),
    ("fetch", &[]),
    ("diff", &["HEAD"]),
];

/// Options every help lists that do not run the command.
const NOT_RUN: [&str; 2] = ["--help", "--version"];

/// A committed workspace with a feature, a dev-dependency, a policy and a baseline; a server on
/// 127.0.0.1 that is both its sparse index and the crates.io API; an advisory database; the
/// recorded `cargo metadata` of the workspace and a crates.io database dump.
struct World {
    fixture: Fixture,
    db: AdvisoryDb,
    cache: tempfile::TempDir,
    server: Server,
    outside: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let fixture = Fixture::new(
            vec![member(
                "app",
                "[features]\nextra = []\n\n[dependencies]\nold = \"1\"\n\n[dev-dependencies]\ntester = \"1\"\n",
            )],
            vec![krate("old", "1.0.0"), krate("tester", "1.0.0")],
        );
        let server = Server::start(|request| {
            let Some(path) = request.path.strip_prefix("/api/v1/crates/") else {
                let name = request.path.rsplit('/').next().unwrap_or_default();
                return Reply::new(200, index_file(name, &[("1.0.0", false)]));
            };
            let publisher = json!({"id": 7, "login": "owner", "name": null, "avatar": null, "url": "https://example.com"});
            if path.ends_with("/owners") {
                return Reply::json(&json!({"users": [
                    {"id": 7, "login": "owner", "kind": "user", "name": null, "avatar": null, "url": "https://example.com"}
                ]}));
            }
            Reply::json(&json!({
                "crate": {"name": path},
                "versions": [{
                    "id": 1, "crate": path, "num": "1.0.0", "license": "MIT", "yanked": false,
                    "created_at": "2025-01-01T00:00:00Z", "downloads": 5, "features": {},
                    "published_by": publisher, "trustpub_data": null,
                }],
                "keywords": [], "categories": [],
            }))
        });
        let world = World {
            fixture,
            db: AdvisoryDb::new(),
            cache: tempfile::tempdir().unwrap(),
            server,
            outside: tempfile::tempdir().unwrap(),
        };
        world
            .db
            .add("RUSTSEC-2099-0001", "old", &[">= 2"], "", "old is broken");
        let (code, _, stderr) = run(world.command().arg("init"));
        assert_eq!(code, 0, "{stderr}");
        world.fixture.write_file(".gitignore", "/target\n");
        world
            .fixture
            .git(&["init", "--quiet", "--initial-branch=main"]);
        world.fixture.git(&["add", "."]);
        world.fixture.git(&["commit", "--quiet", "-m", "A"]);
        world.record_metadata();
        write_db_dump(
            &world.dump(),
            &[
                ("metadata.json", r#"{"timestamp":"2026-11-23T02:00:00Z","crates_io_commit":"abc"}"#.to_owned()),
                ("crates.csv", "id,name,updated_at,created_at,description,homepage,documentation,readme,repository,max_upload_size,max_features\n11,old,x,x,,,,,,,\n12,tester,x,x,,,,,,,\n".to_owned()),
                ("users.csv", "id,gh_login,name,gh_avatar,gh_id\n7,owner,,,100\n".to_owned()),
                ("teams.csv", "id,login,github_id,name,avatar,org_id\n".to_owned()),
                ("crate_owners.csv", "crate_id,owner_id,created_at,created_by,owner_kind\n11,7,2020-01-01,7,0\n12,7,2020-01-01,7,0\n".to_owned()),
                ("versions.csv", "id,crate_id,num,num_no_build,updated_at,created_at,downloads,features,yanked,license,crate_size,published_by,checksum,links,rust_version,has_lib,bin_names,edition,description\n1,11,1.0.0,1.0.0,x,2020-01-01,1,{},f,MIT,1,7,c,,,t,{},2021,\n2,12,1.0.0,1.0.0,x,2020-01-01,1,{},f,MIT,1,7,c,,,t,{},2021,\n".to_owned()),
            ],
        );
        world
    }

    /// The binary in the workspace, its index and API the server.
    fn command(&self) -> Command {
        let mut command = trustcheck(self.cache.path());
        command
            .current_dir(self.fixture.root())
            .env("TRUSTCHECK_INDEX_URL", self.server.base())
            .env("TRUSTCHECK_API_URL", self.server.base());
        command
    }

    fn metadata(&self) -> PathBuf {
        self.outside.path().join("cargo-metadata.json")
    }

    fn dump(&self) -> PathBuf {
        self.outside.path().join("db-dump.tar.gz")
    }

    fn record_metadata(&self) {
        let output = isolate(&mut Command::new(env!("CARGO")), self.fixture.home.path())
            .args([
                "metadata",
                "--format-version",
                "1",
                "--all-features",
                "--offline",
                "--locked",
            ])
            .current_dir(self.fixture.root())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(self.metadata(), output.stdout).unwrap();
    }

    /// A valid value for `option` of `command`, when the option takes one.
    fn value_for(&self, command: &str, option: &str) -> String {
        let path = |path: PathBuf| path.to_str().unwrap().to_owned();
        match option {
            "--manifest-path" => path(self.fixture.manifest()),
            "--metadata-json" => path(self.metadata()),
            "--policy" if command == "init" => path(self.outside.path().join("written.toml")),
            "--policy" => path(self.fixture.root().join("trustcheck.toml")),
            "--advisory-db" => path(self.db.path().to_path_buf()),
            "--db-dump" => path(self.dump()),
            "--color" | "--github-annotations" => "never".to_owned(),
            "--format" => "json".to_owned(),
            "--target" => "x86_64-unknown-linux-gnu".to_owned(),
            "--features" => "extra".to_owned(),
            "--accept" => "old".to_owned(),
            other => panic!(
                "{command} --help lists {other}, which takes a value this test does not know: add one"
            ),
        }
    }

    /// `command`'s arguments with `option` (and its value) after the subcommand, or before it.
    fn arguments(
        &self,
        command: &str,
        listed: &[Listed],
        option: &Listed,
        before: bool,
    ) -> Vec<String> {
        let (_, positionals) = COMMANDS.iter().find(|(name, _)| *name == command).unwrap();
        let mut tokens = vec![option.long.clone()];
        if option.value.is_some() {
            tokens.push(self.value_for(command, &option.long));
        }
        let mut args: Vec<String> = Vec::new();
        if before {
            args.extend(tokens.clone());
        }
        if !command.is_empty() {
            args.push(command.to_owned());
        }
        if !before {
            args.extend(tokens);
        }
        // What keeps every run on the fixture's own data: its advisory database, and `--force`
        // for `init`, whose files exist.
        for base in ["--advisory-db", "--force"] {
            if base != option.long && listed.iter().any(|known| known.long == base) {
                args.push(base.to_owned());
                if base == "--advisory-db" {
                    args.push(self.value_for(command, base));
                }
            }
        }
        args.extend(positionals.iter().map(|arg| (*arg).to_owned()));
        args
    }

    fn run(&self, args: &[String]) -> (i32, String, String) {
        run_within(
            self.command().args(args),
            std::time::Duration::from_secs(120),
        )
    }
}

/// An option as a help lists it: `--policy <PATH>`, `-F, --features <FEATURES>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Listed {
    long: String,
    value: Option<String>,
}

/// The options `command --help` lists.
fn listed_options(world: &World, command: &str) -> Vec<Listed> {
    let mut args: Vec<&str> = Vec::new();
    if !command.is_empty() {
        args.push(command);
    }
    args.push("--help");
    let (code, help, stderr) = run(world.command().args(&args));
    assert_eq!(code, 0, "{stderr}");
    let options: Vec<Listed> = help
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            // `-F, --features <FEATURES>`: the short form comes first.
            let line = match line.split_once(", ") {
                Some((short, rest)) if short.len() == 2 && short.starts_with('-') => rest,
                _ => line,
            };
            let mut words = line.split_whitespace();
            let long = words
                .next()?
                .strip_prefix("--")
                .filter(|name| !name.is_empty())?;
            let value = words
                .next()
                .filter(|word| word.starts_with('<') && word.ends_with('>'))
                .map(str::to_owned);
            Some(Listed {
                long: format!("--{long}"),
                value,
            })
        })
        .filter(|listed| !NOT_RUN.contains(&listed.long.as_str()))
        .collect();
    assert!(
        options.iter().any(|listed| listed.long == "--quiet"),
        "the help was read: {options:?}\n{help}"
    );
    options
}

fn every_listed_option_is_accepted_and_every_other_refused(command: &str) {
    let world = World::new();
    let listed = listed_options(&world, command);
    let mut everywhere: BTreeSet<Listed> = BTreeSet::new();
    for (other, _) in COMMANDS {
        everywhere.extend(listed_options(&world, other));
    }
    let shared_before_subcommand = listed_options(&world, "");

    for option in &listed {
        let args = world.arguments(command, &listed, option, false);
        let (code, _, stderr) = world.run(&args);
        assert!(
            code == 0 || code == 1,
            "`{}` is listed by its help, so it is accepted: exit {code}\n{stderr}",
            args.join(" ")
        );
    }
    for option in everywhere.iter().filter(|option| !listed.contains(option)) {
        let mut positions = vec![false];
        if !command.is_empty() && shared_before_subcommand.contains(option) {
            positions.push(true);
        }
        for before in positions {
            let args = world.arguments(command, &listed, option, before);
            let (code, stdout, stderr) = world.run(&args);
            assert_eq!(
                code,
                2,
                "`{}` is not listed by its help, so it is refused:\n{stderr}",
                args.join(" ")
            );
            assert!(
                stderr.contains(&format!("unexpected argument '{}'", option.long))
                    && stdout.is_empty(),
                "`{}` is refused by the parser, before anything runs:\n{stderr}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn check_help_lists_every_option_check_takes_and_no_other() {
    every_listed_option_is_accepted_and_every_other_refused("check");
}

#[test]
fn no_subcommand_help_lists_the_options_of_check_and_no_other() {
    every_listed_option_is_accepted_and_every_other_refused("");
}

#[test]
fn init_help_listed_graph_options_init_refused() {
    every_listed_option_is_accepted_and_every_other_refused("init");
}

#[test]
fn baseline_help_listed_graph_options_baseline_refused() {
    every_listed_option_is_accepted_and_every_other_refused("baseline");
}

#[test]
fn fetch_help_listed_offline_which_fetch_refused() {
    every_listed_option_is_accepted_and_every_other_refused("fetch");
}

#[test]
fn diff_help_listed_metadata_json_which_diff_refused() {
    every_listed_option_is_accepted_and_every_other_refused("diff");
}

#[test]
fn explain_help_lists_every_option_explain_takes_and_no_other() {
    every_listed_option_is_accepted_and_every_other_refused("explain");
}

#[test]
fn init_help_says_policy_is_where_init_writes_and_the_refusals_say_why() {
    let world = World::new();
    let (_, help, _) = run(world.command().args(["init", "--help"]));
    let policy = help
        .split("--policy <PATH>")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_default();
    assert!(policy.contains("Where to write"), "{help}");
    for (args, why) in [
        (
            &["init", "--target", "x86_64-unknown-linux-gnu"][..],
            "does not take graph options",
        ),
        (
            &["--exclude-dev", "baseline"],
            "does not take graph options",
        ),
        (&["--offline", "fetch"], "does not take --offline"),
        (
            &["diff", "--metadata-json", "m.json", "HEAD"],
            "does not take --metadata-json",
        ),
    ] {
        let (code, _, stderr) = run(world.command().args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{args:?} says why: {stderr}");
    }
}
