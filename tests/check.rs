//! End-to-end tests of `check`: the binary on fixture workspaces, asserting on the JSON report
//! and the exit status, as the contract promises them.

mod common;

use common::*;
use serde::Deserialize;

/// The contract's JSON report, deserialized strictly: an unknown or missing key fails the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    #[serde(rename = "format-version")]
    format_version: u32,
    findings: Vec<Finding>,
    summary: Summary,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Finding {
    kind: String,
    level: String,
    #[serde(rename = "crate")]
    crate_name: Option<String>,
    version: Option<String>,
    advisory: Option<String>,
    message: String,
    paths: Vec<Vec<String>>,
    exempted: bool,
    exemption: Option<Exemption>,
    /// Findings from an advisory carry its severity, patched versions, aliases and URL.
    #[serde(default)]
    severity: Option<Cvss>,
    #[serde(default)]
    patched: Option<Vec<String>>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Cvss {
    score: f64,
    vector: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Exemption {
    reason: String,
    expires: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Summary {
    deny: usize,
    warn: usize,
    exempted: usize,
}

/// app -> chrono 0.4.0 -> time 0.1.45; app -> old-unmaintained 1.0.0.
fn chrono_time_fixture() -> Fixture {
    Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nchrono = \"0.4\"\nold-unmaintained = \"1\"\n",
        )],
        vec![
            krate("chrono", "0.4.0").dep("time = \"0.1\""),
            krate("time", "0.1.45"),
            krate("old-unmaintained", "1.0.0"),
        ],
    )
}

fn chrono_time_db() -> AdvisoryDb {
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2020-0071",
        "time",
        &[">= 0.2.23"],
        "aliases = [\"CVE-2020-26235\", \"GHSA-wcg3-cvx6-7396\"]\ncvss = \"CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H\"",
        "Potential segfault in the time crate",
    );
    db.add(
        "RUSTSEC-2099-0001",
        "old-unmaintained",
        &[],
        "informational = \"unmaintained\"",
        "old-unmaintained is unmaintained",
    );
    db
}

fn check_json(fixture: &Fixture, db: &AdvisoryDb, extra: &[&str]) -> (i32, Report, String) {
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .arg("check")
        .current_dir(fixture.root())
        .arg("--manifest-path")
        .arg(fixture.manifest())
        .arg("--advisory-db")
        .arg(db.path())
        .args(["--offline", "--format", "json"])
        .args(extra));
    let report: Report = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("{error}\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    (code, report, stderr)
}

/// The crates of `unchecked` findings: `check_json` runs offline with an empty cache, so the
/// yanked status of every registry package is `unchecked` (a warning), never a silent pass.
fn unchecked(report: &Report) -> Vec<&str> {
    let mut crates: Vec<&str> = report
        .findings
        .iter()
        .filter(|finding| finding.kind == "unchecked")
        .map(|finding| {
            assert_eq!(finding.level, "warn");
            assert!(
                finding
                    .message
                    .starts_with("yanked status and publish time not checked"),
                "{}",
                finding.message
            );
            finding.crate_name.as_deref().unwrap_or("")
        })
        .collect();
    crates.sort_unstable();
    crates
}

fn advisory_findings(report: &Report) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|finding| finding.advisory.is_some() && finding.kind != "exemption-unused")
        .collect()
}

#[test]
fn check_reports_a_vulnerability_with_its_dependency_path_and_exits_1() {
    let fixture = chrono_time_fixture();
    let (code, report, _) = check_json(&fixture, &chrono_time_db(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report.format_version, 1);
    let vulnerability = report
        .findings
        .iter()
        .find(|finding| finding.kind == "vulnerability")
        .expect("a vulnerability");
    assert_eq!(
        vulnerability,
        &Finding {
            kind: "vulnerability".to_owned(),
            level: "deny".to_owned(),
            crate_name: Some("time".to_owned()),
            version: Some("0.1.45".to_owned()),
            advisory: Some("RUSTSEC-2020-0071".to_owned()),
            message: "Potential segfault in the time crate".to_owned(),
            paths: vec![vec![
                "app".to_owned(),
                "chrono".to_owned(),
                "time".to_owned()
            ]],
            exempted: false,
            exemption: None,
            severity: Some(Cvss {
                score: 5.1,
                vector: "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H".to_owned()
            }),
            patched: Some(vec![">=0.2.23".to_owned()]),
            aliases: Some(vec![
                "CVE-2020-26235".to_owned(),
                "GHSA-wcg3-cvx6-7396".to_owned()
            ]),
            url: Some("https://rustsec.org/advisories/RUSTSEC-2020-0071".to_owned()),
        }
    );
    let unmaintained = report
        .findings
        .iter()
        .find(|finding| finding.kind == "unmaintained")
        .expect("unmaintained");
    assert_eq!(unmaintained.level, "warn");
    assert_eq!(
        unmaintained.paths,
        vec![vec!["app".to_owned(), "old-unmaintained".to_owned()]]
    );
    assert_eq!(unchecked(&report), ["chrono", "old-unmaintained", "time"]);
    assert_eq!(
        report.summary,
        Summary {
            deny: 1,
            warn: 1 + 3,
            exempted: 0
        }
    );
}

#[test]
fn check_exits_0_when_only_warnings_remain() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nold-unmaintained = \"1\"\n")],
        vec![krate("old-unmaintained", "1.0.0")],
    );
    let (code, report, _) = check_json(&fixture, &chrono_time_db(), &[]);
    assert_eq!(code, 0);
    assert_eq!(unchecked(&report), ["old-unmaintained"]);
    assert_eq!(
        report.summary,
        Summary {
            deny: 0,
            warn: 1 + 1,
            exempted: 0
        }
    );
}

#[test]
fn no_subcommand_means_check_and_cargo_style_invocation_works() {
    let fixture = chrono_time_fixture();
    let db = chrono_time_db();
    let cache = tempfile::tempdir().unwrap();
    for prefix in [&[][..], &["trustcheck"][..], &["trustcheck", "check"][..]] {
        let (code, stdout, stderr) = run(trustcheck(cache.path())
            .args(prefix)
            .current_dir(fixture.root())
            .arg("--manifest-path")
            .arg(fixture.manifest())
            .arg("--advisory-db")
            .arg(db.path())
            .args(["--offline", "--format", "json"]));
        assert_eq!(code, 1, "{prefix:?}: {stderr}");
        assert!(json(&stdout)["findings"].as_array().is_some(), "{prefix:?}");
    }
}

#[test]
fn check_finds_the_workspace_from_the_current_directory() {
    let fixture = chrono_time_fixture();
    let db = chrono_time_db();
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(trustcheck(cache.path())
        .current_dir(fixture.root().join("members/app"))
        .arg("--advisory-db")
        .arg(db.path())
        .args(["--offline", "--format", "json"]));
    assert_eq!(code, 1);
    assert_eq!(json(&stdout)["summary"]["deny"], 1);
}

#[test]
fn human_report_groups_findings_and_shows_ids_severity_patches_and_paths() {
    let fixture = chrono_time_fixture();
    let db = chrono_time_db();
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--manifest-path")
        .arg(fixture.manifest())
        .arg("--advisory-db")
        .arg(db.path())
        .arg("--offline"));
    assert_eq!(code, 1);
    for expected in [
        "Vulnerabilities (1)",
        "Unmaintained crates (1)",
        "time 0.1.45  RUSTSEC-2020-0071",
        "Potential segfault in the time crate",
        "severity medium (5.1)",
        "patched >=0.2.23",
        "aka CVE-2020-26235, GHSA-wcg3-cvx6-7396",
        "path app → chrono → time",
        "Checks not done (3)",
        "summary: 1 denied, 4 warnings, 0 exempted",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains('\u{1b}'),
        "no colour when NO_COLOR is set and stdout is not a terminal"
    );
}

#[test]
fn every_workspace_member_is_a_path_root() {
    let fixture = Fixture::new(
        vec![
            member("api", "[dependencies]\ntime = \"0.1\"\n"),
            member("cli", "[dependencies]\napi = { path = \"../api\" }\n"),
            member("worker", "[dependencies]\nchrono = \"0.4\"\n"),
        ],
        vec![
            krate("chrono", "0.4.0").dep("time = \"0.1\""),
            krate("time", "0.1.45"),
        ],
    );
    let (code, report, _) = check_json(&fixture, &chrono_time_db(), &[]);
    assert_eq!(code, 1);
    let time = advisory_findings(&report)[0];
    assert_eq!(
        time.paths,
        vec![vec!["api".to_owned(), "time".to_owned()]],
        "the shortest chains only"
    );
}

#[test]
fn target_narrowing_drops_a_windows_only_dependency() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nchrono = \"0.4\"\n\n[target.'cfg(windows)'.dependencies]\nwinonly = \"1\"\n",
        )],
        vec![krate("chrono", "0.4.0"), krate("winonly", "1.0.0")],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0010",
        "winonly",
        &[">= 2.0.0"],
        "",
        "winonly is broken",
    );
    let crates = |report: &Report| -> Vec<String> {
        advisory_findings(report)
            .iter()
            .filter_map(|finding| finding.crate_name.clone())
            .collect()
    };
    let (_, all, _) = check_json(&fixture, &db, &[]);
    assert_eq!(crates(&all), vec!["winonly".to_owned()]);
    let (code, linux, _) = check_json(&fixture, &db, &["--target", "x86_64-unknown-linux-gnu"]);
    assert_eq!(code, 0);
    assert!(crates(&linux).is_empty());
    let (_, windows, _) = check_json(&fixture, &db, &["--target", "x86_64-pc-windows-msvc"]);
    assert_eq!(crates(&windows), vec!["winonly".to_owned()]);
    let (_, both, _) = check_json(
        &fixture,
        &db,
        &[
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target",
            "x86_64-pc-windows-msvc",
        ],
    );
    assert_eq!(crates(&both), vec!["winonly".to_owned()]);
}

#[test]
fn exclude_dev_drops_a_dev_only_dependency() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nchrono = \"0.4\"\n\n[dev-dependencies]\ndevonly = \"1\"\n",
        )],
        vec![krate("chrono", "0.4.0"), krate("devonly", "1.0.0")],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0011",
        "devonly",
        &[">= 2.0.0"],
        "",
        "devonly is broken",
    );
    let (code, report, _) = check_json(&fixture, &db, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        advisory_findings(&report)[0].crate_name.as_deref(),
        Some("devonly")
    );
    let (code, report, _) = check_json(&fixture, &db, &["--exclude-dev"]);
    assert_eq!(code, 0);
    assert!(advisory_findings(&report).is_empty());
}

#[test]
fn feature_flags_narrow_optional_dependencies() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nchrono = \"0.4\"\nextra = { version = \"1\", optional = true }\n\n[features]\ndefault = []\nfancy = [\"dep:extra\"]\n",
        )],
        vec![krate("chrono", "0.4.0"), krate("extra", "1.0.0")],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0012",
        "extra",
        &[">= 2.0.0"],
        "",
        "extra is broken",
    );
    let has_extra = |report: &Report| {
        advisory_findings(report)
            .iter()
            .any(|finding| finding.crate_name.as_deref() == Some("extra"))
    };
    let (_, report, _) = check_json(&fixture, &db, &[]);
    assert!(has_extra(&report), "every feature by default");
    let (_, report, _) = check_json(&fixture, &db, &["--no-default-features"]);
    assert!(!has_extra(&report));
    let (_, report, _) = check_json(&fixture, &db, &["--features", "fancy"]);
    assert!(has_extra(&report));
    let (_, report, _) = check_json(
        &fixture,
        &db,
        &["--no-default-features", "--features", "app/fancy"],
    );
    assert!(has_extra(&report));
    let (_, report, _) = check_json(&fixture, &db, &["--all-features", "--exclude-dev"]);
    assert!(has_extra(&report));
}

#[test]
fn advisories_restricted_to_an_os_apply_only_when_a_matching_target_is_given() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nsock = \"1\"\n")],
        vec![krate("sock", "1.0.0")],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0013",
        "sock",
        &[">= 2.0.0"],
        "\n[affected]\nos = [\"windows\"]",
        "sock on windows",
    );
    let (code, _, _) = check_json(&fixture, &db, &[]);
    assert_eq!(code, 1, "without --target every platform counts");
    let (code, _, _) = check_json(&fixture, &db, &["--target", "x86_64-unknown-linux-gnu"]);
    assert_eq!(code, 0);
    let (code, _, _) = check_json(&fixture, &db, &["--target", "x86_64-pc-windows-gnu"]);
    assert_eq!(code, 1);
}

#[test]
fn withdrawn_advisories_are_not_reported() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nsock = \"1\"\n")],
        vec![krate("sock", "1.0.0")],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0014",
        "sock",
        &[">= 2.0.0"],
        "withdrawn = \"2026-10-02\"",
        "not really",
    );
    let (code, report, _) = check_json(&fixture, &db, &[]);
    assert_eq!(code, 0);
    assert!(advisory_findings(&report).is_empty());
}

#[test]
fn a_path_dependency_with_an_advisory_crate_name_is_not_matched() {
    let fixture = chrono_time_fixture();
    // A local crate called `time`, vendored nowhere: a path dependency (licensed, so that
    // the license check has nothing to say about it either).
    fixture.write_file(
        "local/time/Cargo.toml",
        "[package]\nname = \"time\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n",
    );
    fixture.write_file("local/time/src/lib.rs", "");
    fixture.set_member(
        "app",
        "[dependencies]\ntime = { path = \"../../local/time\" }\n",
    );
    let (code, report, _) = check_json(&fixture, &chrono_time_db(), &[]);
    assert_eq!(code, 0, "{report:?}");
}

#[test]
fn offline_without_a_cached_database_fails_with_exit_2() {
    let fixture = chrono_time_fixture();
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--manifest-path")
        .arg(fixture.manifest())
        .args(["--offline", "--format", "json"]));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("no cached advisory database"), "{stderr}");
}

#[test]
fn an_unreadable_workspace_fails_with_exit_2_naming_it() {
    let cache = tempfile::tempdir().unwrap();
    let missing = cache.path().join("nowhere/Cargo.toml");
    let (code, _, stderr) = run(trustcheck(cache.path())
        .arg("--manifest-path")
        .arg(&missing)
        .arg("--advisory-db")
        .arg(vendored_advisory_db())
        .arg("--offline"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cargo metadata") && stderr.contains("nowhere"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_exit_2() {
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(trustcheck(cache.path()).args(["check", "--format", "yaml"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("yaml"), "{stderr}");
    let (code, _, _) = run(trustcheck(cache.path()).args(["--target"]));
    assert_eq!(code, 2);
    let (code, stdout, _) = run(trustcheck(cache.path()).arg("--help"));
    assert_eq!(code, 0);
    assert!(stdout.contains("explain"));
}

#[test]
fn an_unknown_target_triple_is_an_error() {
    let fixture = chrono_time_fixture();
    let cache = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--manifest-path")
        .arg(fixture.manifest())
        .arg("--advisory-db")
        .arg(chrono_time_db().path())
        .args(["--offline", "--target", "not-a-triple"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("not-a-triple"), "{stderr}");
}

#[test]
fn a_stale_database_is_reported_on_stderr_for_machine_formats() {
    let fixture = chrono_time_fixture();
    let db = AdvisoryDb::new();
    db.add("RUSTSEC-2000-0001", "nothing-here", &[], "", "old");
    let text = std::fs::read_to_string(db.path().join("crates/nothing-here/RUSTSEC-2000-0001.md"))
        .unwrap();
    std::fs::write(
        db.path().join("crates/nothing-here/RUSTSEC-2000-0001.md"),
        text.replace(
            &cargo_trustcheck::support::date::Date::today()
                .add_days(-1)
                .to_string(),
            "2020-01-01",
        ),
    )
    .unwrap();
    let (code, report, stderr) = check_json(&fixture, &db, &[]);
    assert_eq!(code, 0);
    assert!(advisory_findings(&report).is_empty());
    assert_eq!(unchecked(&report).len(), report.findings.len());
    assert!(
        stderr.contains("advisory database is") && stderr.contains("2020-01-01"),
        "{stderr}"
    );
}

#[test]
fn the_database_is_cloned_into_the_cache_with_git_and_then_used_offline() {
    let fixture = chrono_time_fixture();
    let source = chrono_time_db();
    let repo = source.path();
    for args in [
        &["init", "--quiet"][..],
        &["add", "."][..],
        &["commit", "--quiet", "-m", "db"][..],
    ] {
        git_in(repo, fixture.home.path(), args);
    }
    fixture.write_file(
        "trustcheck.toml",
        &format!("[advisories]\ndb-url = \"file://{}\"\n", repo.display()),
    );
    let cache = tempfile::tempdir().unwrap();
    let index = index_server(&fixture.crates);
    let check = |offline: bool| {
        let mut command = trustcheck(cache.path());
        command
            .env("TRUSTCHECK_INDEX_URL", index.base())
            .current_dir(fixture.root())
            .arg("--manifest-path")
            .arg(fixture.manifest())
            .args(["--format", "json"]);
        if offline {
            command.arg("--offline");
        }
        run(&mut command)
    };
    let (code, stdout, stderr) = check(false);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json(&stdout)["summary"]["deny"], 1);
    assert!(unchecked_crates(&json(&stdout)).is_empty(), "{stdout}");
    let clones: Vec<_> = std::fs::read_dir(cache.path().join("advisory-db"))
        .unwrap()
        .flatten()
        .collect();
    assert!(
        clones
            .iter()
            .any(|entry| entry.path().join(".git").is_dir()),
        "a git clone in the cache"
    );
    std::fs::remove_dir_all(repo.join(".git")).unwrap();
    let (code, stdout, stderr) = check(true);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json(&stdout)["summary"]["deny"], 1);
    assert!(
        unchecked_crates(&json(&stdout)).is_empty(),
        "the index entries were cached too: {stdout}"
    );
}
