//! End-to-end tests of licenses and the baseline: `init`, `check` finding license problems and
//! license changes, `baseline` and `baseline --accept`, and `explain`'s license history.

mod common;

use std::path::Path;

use cargo_trustcheck::load::baseline::{self, CRATES_IO};
use cargo_trustcheck::policy::parse_policy;
use cargo_trustcheck::support::date::Date;
use common::*;

/// Runs the binary in the fixture's root and returns (exit code, stdout, stderr).
fn trustcheck_in(fixture: &Fixture, args: &[&str]) -> (i32, String, String) {
    let cache = tempfile::tempdir().unwrap();
    run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .args(args))
}

/// `check --format json` with an empty advisory database: (exit code, report).
fn check(fixture: &Fixture) -> (i32, serde_json::Value) {
    let db = AdvisoryDb::new();
    let db_path = db.path().to_str().unwrap().to_owned();
    let (code, stdout, stderr) = trustcheck_in(
        fixture,
        &[
            "check",
            "--offline",
            "--advisory-db",
            &db_path,
            "--format",
            "json",
        ],
    );
    assert_ne!(code, 2, "check failed:\n{stderr}");
    (code, json(&stdout))
}

/// The findings of a kind: (crate, version, message).
fn findings_of(report: &serde_json::Value, kind: &str) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == kind)
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap_or("").to_owned();
            (text("crate"), text("version"), text("message"))
        })
        .collect()
}

fn init(fixture: &Fixture) {
    let (code, stdout, stderr) = trustcheck_in(fixture, &["init", "--offline"]);
    assert_eq!(code, 0, "init failed:\n{stdout}\n{stderr}");
}

/// app -> dep 1 (MIT), other 1 (Apache-2.0).
fn two_crates() -> Fixture {
    Fixture::new(
        vec![member(
            "app",
            "[dependencies]\ndep = \"1.0\"\nother = \"=1.0.0\"\n",
        )],
        vec![
            krate("dep", "1.0.0"),
            krate("other", "1.0.0").license("Apache-2.0"),
        ],
    )
}

#[test]
fn a_changed_license_is_reported_until_the_crate_is_accepted_and_the_diff_touches_only_it() {
    let fixture = two_crates();
    init(&fixture);
    assert_eq!(check(&fixture).0, 0, "the graph init saw passes");

    // Upgrades: dep 1.1.0 is relicensed, other 1.0.1 keeps its license.
    fixture.vendor(&krate("dep", "1.1.0").license("Apache-2.0"));
    fixture.vendor(&krate("other", "1.0.1").license("Apache-2.0"));
    fixture.set_member("app", "[dependencies]\ndep = \"1.1\"\nother = \"=1.0.1\"\n");
    let (code, report) = check(&fixture);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        findings_of(&report, "license-change"),
        vec![(
            "dep".to_owned(),
            "1.1.0".to_owned(),
            "license changed from \"MIT\" (accepted for 1.0.0) to \"Apache-2.0\"; once reviewed, accept it with `cargo trustcheck baseline --accept dep`".to_owned()
        )]
    );
    assert_eq!(
        report["summary"]["deny"], 1,
        "only the license change: {report}"
    );

    let before = fixture.read_file("trustcheck.lock");
    let (code, stdout, stderr) =
        trustcheck_in(&fixture, &["baseline", "--accept", "dep", "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("- dep 1.0.0") && stdout.contains("+ dep 1.1.0: \"Apache-2.0\""),
        "{stdout}"
    );
    let after = fixture.read_file("trustcheck.lock");
    let (before_lines, after_lines): (Vec<&str>, Vec<&str>) =
        (before.lines().collect(), after.lines().collect());
    assert_eq!(before_lines.len(), after_lines.len());
    let changed: Vec<(&str, &str)> = before_lines
        .iter()
        .zip(&after_lines)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (*a, *b))
        .collect();
    assert_eq!(
        changed,
        vec![(
            "    { version = \"1.0.0\", license = \"MIT\", build = [], code = {} },",
            "    { version = \"1.1.0\", license = \"Apache-2.0\", build = [], code = {} },"
        )],
        "only dep's line changed; other's stale 1.0.0 entry is left alone"
    );
    assert_eq!(check(&fixture).0, 0);

    // A full rewrite records other 1.0.1 and prunes 1.0.0.
    let (code, stdout, _) = trustcheck_in(&fixture, &["baseline", "--offline"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("- other 1.0.0") && stdout.contains("+ other 1.0.1"),
        "{stdout}"
    );
    let rewritten = baseline::parse(&fixture.read_file("trustcheck.lock"), Path::new("x")).unwrap();
    let other = rewritten.crate_record("other", CRATES_IO).unwrap();
    assert_eq!(
        other
            .versions
            .keys()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["1.0.1"]
    );
    let (code, stdout, _) = trustcheck_in(&fixture, &["baseline", "--offline"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("is up to date"), "{stdout}");
}

#[test]
fn init_writes_a_reviewable_policy_from_the_licenses_in_use_and_needs_no_database() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\ndual = \"1\"\ngpl = \"1\"\nllvm = \"1\"\n",
        )],
        vec![
            krate("dual", "1.0.0").license("MIT/Apache-2.0"),
            krate("gpl", "1.0.0").license("GPL-3.0-only"),
            krate("llvm", "1.0.0").license("Apache-2.0 WITH LLVM-exception"),
        ],
    );
    // No --advisory-db, an empty cache and unreachable registries: init needs only the graph.
    let (code, stdout, stderr) = trustcheck_in(&fixture, &["init", "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("3 licenses allowed, 1 commented out for review (GPL-3.0-only)")
            && stdout.contains("3 crates, 3 versions"),
        "{stdout}"
    );
    let path = fixture.root().join("trustcheck.toml");
    let text = fixture.read_file("trustcheck.toml");
    let policy = parse_policy(&text, &path, Date::today()).expect("the generated policy is valid");
    assert_eq!(
        policy.licenses.allow,
        vec!["Apache-2.0", "Apache-2.0 WITH LLVM-exception", "MIT"]
    );
    assert!(
        text.contains("# \"GPL-3.0-only\",") && text.contains("needed by gpl"),
        "{text}"
    );
    let lock = baseline::parse(&fixture.read_file("trustcheck.lock"), Path::new("x")).unwrap();
    let dual = lock.crate_record("dual", CRATES_IO).unwrap();
    assert_eq!(
        dual.versions.values().next().unwrap().license.as_deref(),
        Some("MIT/Apache-2.0"),
        "the license as the manifest writes it"
    );

    let (code, report) = check(&fixture);
    assert_eq!(code, 1, "GPL is for review, so it is denied until allowed");
    assert_eq!(
        findings_of(&report, "license")
            .into_iter()
            .map(|(name, _, _)| name)
            .collect::<Vec<_>>(),
        vec!["gpl"]
    );
    fixture.write_file(
        "trustcheck.toml",
        &text.replace("    # \"GPL-3.0-only\",", "    \"GPL-3.0-only\",  #"),
    );
    assert_eq!(check(&fixture).0, 0);
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let fixture = two_crates();
    fixture.write_file("trustcheck.toml", "# ours\n");
    let (code, _, stderr) = trustcheck_in(&fixture, &["init", "--offline"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("trustcheck.toml already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(fixture.read_file("trustcheck.toml"), "# ours\n");
    assert!(!fixture.root().join("trustcheck.lock").exists());

    std::fs::remove_file(fixture.root().join("trustcheck.toml")).unwrap();
    fixture.write_file("trustcheck.lock", "# ours\n");
    let (code, _, stderr) = trustcheck_in(&fixture, &["init", "--offline"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("trustcheck.lock already exists"),
        "{stderr}"
    );

    let (code, _, stderr) = trustcheck_in(&fixture, &["init", "--offline", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        fixture
            .read_file("trustcheck.lock")
            .contains("name = \"dep\"")
    );
    assert!(fixture.read_file("trustcheck.toml").contains("[licenses]"));
}

#[test]
fn license_expressions_are_evaluated_against_the_allow_list() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nslash = \"1\"\nboth = \"1\"\nplus = \"1\"\nbad = \"1\"\nbusl = \"1\"\nbusl2 = \"1\"\n",
        )],
        vec![
            krate("slash", "1.0.0").license("MIT/Apache-2.0"),
            krate("both", "1.0.0").license("MIT AND BSD-3-Clause"),
            krate("plus", "1.0.0").license("Apache-2.0+"),
            krate("bad", "1.0.0").license("MIT OR Not-A-License"),
            krate("busl", "1.0.0").license("BUSL-1.1"),
            krate("busl2", "1.0.0").license("BUSL-1.1"),
        ],
    );
    fixture.write_file(
        "trustcheck.toml",
        "[licenses]\nallow = [\"MIT\", \"Apache-2.0\"]\n",
    );
    let (code, report) = check(&fixture);
    assert_eq!(code, 1);
    let license = findings_of(&report, "license");
    let names: Vec<&str> = license.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, vec!["bad", "both", "busl", "busl2"]);
    assert!(
        license[0].2.contains("not a valid SPDX expression")
            && license[0].2.contains("Not-A-License"),
        "{license:?}"
    );
    assert!(
        license[1].2.contains("not allowed: BSD-3-Clause"),
        "{license:?}"
    );

    // The human report groups license findings by license.
    let db = AdvisoryDb::new();
    let (_, stdout, _) = trustcheck_in(
        &fixture,
        &[
            "check",
            "--offline",
            "--advisory-db",
            db.path().to_str().unwrap(),
        ],
    );
    for expected in [
        "Licenses not allowed (4)",
        "  BUSL-1.1 (2 crates)",
        "  BSD-3-Clause AND MIT (1 crate)",
        "busl2 1.0.0",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn unlicensed_crates_are_findings_unless_a_clarification_matches_their_license_file() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nweird = \"1\"\nbare = \"1\"\n",
        )],
        vec![
            krate("weird", "1.0.0").license_file("LICENSE", "Permission is granted, MIT-style.\n"),
            krate("bare", "1.0.0").no_license(),
        ],
    );
    let (code, report) = check(&fixture);
    assert_eq!(code, 1);
    let unlicensed = findings_of(&report, "unlicensed");
    assert_eq!(
        unlicensed
            .iter()
            .map(|(name, _, _)| name.as_str())
            .collect::<Vec<_>>(),
        vec!["bare", "weird"]
    );
    let license_file = fixture.root().join("vendor/weird-1.0.0/LICENSE");
    let hash = cargo_trustcheck::facts::crates::license_files::sha256_file(&license_file).unwrap();
    assert!(unlicensed[1].2.contains(&hash), "{}", unlicensed[1].2);

    let clarify = format!(
        "[[licenses.clarify]]\ncrate = \"weird\"\nversion = \"1\"\nexpression = \"MIT\"\nlicense-files = [{{ path = \"LICENSE\", sha256 = \"{hash}\" }}]\n\n[[exemption]]\ncrate = \"bare\"\nkind = \"unlicensed\"\nreason = \"In-house crate, licensed by contract.\"\nexpires = \"{}\"\n",
        Date::today().add_days(100)
    );
    fixture.write_file("trustcheck.toml", &clarify);
    let (code, report) = check(&fixture);
    assert_eq!(code, 0, "{report}");
    assert!(
        findings_of(&report, "unlicensed")
            .iter()
            .all(|(name, _, _)| name == "bare")
    );

    // The license file changes: the clarification no longer vouches for it.
    write(&license_file, "All rights reserved.\n");
    let (code, report) = check(&fixture);
    assert_eq!(code, 1);
    let unlicensed = findings_of(&report, "unlicensed");
    assert!(
        unlicensed.iter().any(|(name, _, message)| name == "weird"
            && message.contains("entry at line 1 does not apply")),
        "{unlicensed:?}"
    );
}

#[test]
fn unpublished_members_are_exempt_unless_include_unpublished() {
    // Fixture members have `publish = false` and no license.
    let fixture = two_crates();
    assert_eq!(check(&fixture).0, 0);
    fixture.write_file(
        "trustcheck.toml",
        "[licenses]\ninclude-unpublished = true\n",
    );
    let (code, report) = check(&fixture);
    assert_eq!(code, 1);
    assert_eq!(
        findings_of(&report, "unlicensed")
            .into_iter()
            .map(|(name, _, _)| name)
            .collect::<Vec<_>>(),
        vec!["app"]
    );
}

#[test]
fn an_invalid_baseline_exits_2_with_its_location() {
    let fixture = two_crates();
    fixture.write_file(
        "trustcheck.lock",
        "format-version = 1\n\n[[crate]]\nname = \"dep\"\nsource = \"crates-io\"\nversions = [{ version = \"one\" }]\n",
    );
    let db = AdvisoryDb::new();
    let (code, stdout, stderr) = trustcheck_in(
        &fixture,
        &[
            "check",
            "--offline",
            "--advisory-db",
            db.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("invalid baseline")
            && stderr.contains("trustcheck.lock:6:25")
            && stderr.contains("crate.versions.version"),
        "{stderr}"
    );
    for args in [
        &["baseline", "--offline"][..],
        &["baseline", "--offline", "--accept", "dep"][..],
    ] {
        let (code, _, stderr) = trustcheck_in(&fixture, args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains("trustcheck.lock:6:25"), "{stderr}");
    }
}

#[test]
fn accepting_a_crate_that_is_not_there_or_without_a_baseline_exits_2() {
    let fixture = two_crates();
    let (code, _, stderr) = trustcheck_in(&fixture, &["baseline", "--offline", "--accept", "dep"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");
    init(&fixture);
    let before = fixture.read_file("trustcheck.lock");
    let (code, _, stderr) = trustcheck_in(&fixture, &["baseline", "--offline", "--accept", "nope"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`nope` is not in the dependency graph"),
        "{stderr}"
    );
    let (code, _, stderr) = trustcheck_in(&fixture, &["baseline", "--offline", "--accept", "app"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not from a registry"), "{stderr}");
    assert_eq!(
        fixture.read_file("trustcheck.lock"),
        before,
        "nothing was written"
    );
}

#[test]
fn explain_shows_the_license_history_from_the_baseline() {
    let fixture = two_crates();
    let db = AdvisoryDb::new();
    let db_path = db.path().to_str().unwrap().to_owned();
    let explain = |format: &str| {
        let (code, stdout, stderr) = trustcheck_in(
            &fixture,
            &[
                "explain",
                "dep",
                "--offline",
                "--advisory-db",
                &db_path,
                "--format",
                format,
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    assert!(explain("human").contains("none: this workspace has no trustcheck.lock"));
    assert_eq!(json(&explain("json"))["baseline"], serde_json::Value::Null);

    init(&fixture);
    fixture.vendor(&krate("dep", "1.1.0").license("Apache-2.0"));
    fixture.set_member("app", "[dependencies]\ndep = \"1.1\"\nother = \"=1.0.0\"\n");
    let (code, _, _) = trustcheck_in(&fixture, &["baseline", "--offline"]);
    assert_eq!(code, 0);
    // Record the older version too, as a baseline that saw both would.
    let text = fixture.read_file("trustcheck.lock").replace(
        "    { version = \"1.1.0\", license = \"Apache-2.0\", build = [], code = {} },",
        "    { version = \"1.0.0\", license = \"MIT\" },\n    { version = \"1.1.0\", license = \"Apache-2.0\", build = [], code = {} },",
    );
    fixture.write_file("trustcheck.lock", &text);
    let human = explain("human");
    assert!(
        human.contains("Baseline (trustcheck.lock):\n  1.0.0  MIT\n  1.1.0  Apache-2.0\n"),
        "{human}"
    );
    let document = json(&explain("json"));
    assert_eq!(
        document["baseline"],
        serde_json::json!([{
            "source": "crates-io",
            "owners": null,
            "versions": [
                { "version": "1.0.0", "license": "MIT", "build": null, "code": null, "published-by": null },
                { "version": "1.1.0", "license": "Apache-2.0", "build": [], "code": { "capabilities": {}, "binaries": [] }, "published-by": null },
            ],
        }])
    );
}
