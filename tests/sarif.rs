//! `check --format sarif`: valid SARIF 2.1.0 (checked against the OASIS schema), one rule per
//! finding kind, results located at the package's line of `Cargo.lock` or the exemption's line of
//! `trustcheck.toml`, exempted findings carried as suppressions.

mod common;

use std::path::Path;

use common::*;

fn schema() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The published schema's `language` patterns (on `run` and `toolComponent`),
    // `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, are not valid ECMA 262 regexes (an erratum,
    // corrected in SARIF 2.1.0 Errata 01): the validator's meta-schema check rejects them. They are
    // replaced, in memory only, by the corrected pattern; nothing else is touched and every format
    // (`uri`, `date-time` ...) is validated.
    assert_eq!(
        fix_language_patterns(&mut schema),
        2,
        "the schema copy is the published one"
    );
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn fix_language_patterns(value: &mut serde_json::Value) -> usize {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match value {
        serde_json::Value::Object(map) => {
            let mut fixed = 0;
            for (key, item) in map.iter_mut() {
                if key == "pattern" && item == BROKEN {
                    *item = serde_json::Value::String("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".to_owned());
                    fixed += 1;
                } else {
                    fixed += fix_language_patterns(item);
                }
            }
            fixed
        }
        serde_json::Value::Array(items) => items.iter_mut().map(fix_language_patterns).sum(),
        _ => 0,
    }
}

fn assert_valid(log: &serde_json::Value) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
}

/// The 1-based line of `name = "<name>"` followed by `version = "<version>"` in a lock file.
fn lock_line(lock: &str, name: &str, version: &str) -> usize {
    let lines: Vec<&str> = lock.lines().collect();
    lines
        .windows(2)
        .position(|pair| {
            pair[0] == format!("name = \"{name}\"") && pair[1] == format!("version = \"{version}\"")
        })
        .map(|index| index + 1)
        .expect("package in the lock file")
}

#[test]
fn sarif_output_is_valid_and_points_at_cargo_lock_and_policy_lines() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nchrono = \"0.4\"\nold = \"1\"\n",
        )],
        vec![
            krate("chrono", "0.4.0").dep("time = \"0.1\""),
            krate("time", "0.1.45"),
            krate("old", "1.0.0"),
        ],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2020-0071",
        "time",
        &[">= 0.2.23"],
        "aliases = [\"CVE-2020-26235\"]\ncvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"",
        "Potential <segfault> in `time`\u{1b}[31m",
    );
    db.add(
        "RUSTSEC-2099-0001",
        "old",
        &[],
        "informational = \"unmaintained\"",
        "old is unmaintained",
    );
    db.add(
        "RUSTSEC-2099-0002",
        "chrono",
        &[">= 0.4.20"],
        "",
        "chrono issue",
    );
    let future = cargo_trustcheck::support::date::Date::today().add_days(100);
    fixture.write_file(
        "trustcheck.toml",
        &format!(
            "# policy\n\n[[exemption]]\nadvisory = \"RUSTSEC-2099-0002\"\nreason = \"reviewed\"\nexpires = \"{future}\"\n\n[[exemption]]\ncrate = \"nothing-like-it\"\nreason = \"stale\"\nexpires = \"{future}\"\n\n[advisories]\nyanked = \"allow\"\n"
        ),
    );
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--advisory-db")
        .arg(db.path())
        .args(["--offline", "--format", "sarif"]));
    assert_eq!(code, 1, "{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_valid(&log);
    assert_eq!(log["version"], "2.1.0");

    let run = &log["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    for kind in [
        "vulnerability",
        "unmaintained",
        "yanked",
        "license-change",
        "exemption-expired",
        "exemption-unused",
        "unchecked",
    ] {
        assert!(rules.contains(&kind), "a rule for {kind}");
    }
    let results = run["results"].as_array().unwrap();
    let lock = fixture.read_file("Cargo.lock");
    let find = |rule: &str, needle: &str| {
        results
            .iter()
            .find(|result| {
                result["ruleId"] == rule
                    && result["message"]["text"].as_str().unwrap().contains(needle)
            })
            .unwrap_or_else(|| panic!("a {rule} result about {needle} in {results:#?}"))
    };
    let location = |result: &serde_json::Value| {
        let physical = &result["locations"][0]["physicalLocation"];
        (
            physical["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_owned(),
            physical["region"]["startLine"].as_u64().unwrap() as usize,
        )
    };

    // An advisory is a rule of its own, with its CVSS score for code scanning to rank it.
    let time = find("RUSTSEC-2020-0071", "time 0.1.45");
    assert_eq!(
        location(time),
        ("Cargo.lock".to_owned(), lock_line(&lock, "time", "0.1.45"))
    );
    assert_eq!(time["level"], "error");
    let rule = &run["tool"]["driver"]["rules"][time["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "RUSTSEC-2020-0071");
    assert_eq!(rule["properties"]["security-severity"], "9.8");
    assert!(
        rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("vulnerability"))
    );
    let text = time["message"]["text"].as_str().unwrap();
    assert!(
        !text.contains('\u{1b}'),
        "control characters are stripped: {text:?}"
    );
    assert!(text.contains("app → chrono → time"), "{text}");

    let old = find("RUSTSEC-2099-0001", "old 1.0.0");
    assert_eq!(
        location(old),
        ("Cargo.lock".to_owned(), lock_line(&lock, "old", "1.0.0"))
    );
    assert_eq!(old["level"], "warning");

    let chrono = find("RUSTSEC-2099-0002", "chrono 0.4.0");
    assert_eq!(chrono["suppressions"][0]["kind"], "external");
    assert!(
        chrono["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("reviewed")
    );

    let unused = find("exemption-unused", "nothing-like-it");
    assert_eq!(
        location(unused),
        ("trustcheck.toml".to_owned(), 8),
        "the second [[exemption]] header"
    );
    assert_eq!(
        unused["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "%SRCROOT%"
    );
}

#[test]
fn an_empty_report_is_valid_sarif_too() {
    let fixture = Fixture::new(vec![member("app", "")], vec![]);
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--advisory-db")
        .arg(AdvisoryDb::new().path())
        .args(["--offline", "--format", "sarif"]));
    assert_eq!(code, 0, "{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&log);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);

    // The validator does reject what is not SARIF.
    let mut broken = log.clone();
    broken["runs"][0]["results"] =
        serde_json::json!([{ "ruleId": "x", "level": "fatal", "message": { "text": "m" } }]);
    assert!(!schema().is_valid(&broken));
    let mut broken = log;
    broken["runs"][0]["tool"]["driver"]["informationUri"] = serde_json::json!("not a uri");
    assert!(!schema().is_valid(&broken));
}

#[test]
fn every_rule_links_to_a_heading_of_the_readme() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let section = &readme[readme
        .find("## Finding kinds")
        .expect("a Finding kinds section")..];
    for kind in cargo_trustcheck::finding::FindingKind::ALL {
        let uri = cargo_trustcheck::report::sarif::help_uri(kind);
        let anchor = uri.rsplit('#').next().unwrap();
        assert_eq!(anchor, kind.as_str());
        assert!(
            section.contains(&format!("\n### {anchor}\n")),
            "no heading for {anchor} under Finding kinds"
        );
    }
}

#[test]
fn a_workspace_nested_in_a_repository_is_located_from_the_repository_root() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\ntime = \"0.1\"\n")],
        vec![krate("time", "0.1.45")],
    );
    // The repository holds the workspace under rust/.
    let repository = tempfile::tempdir().unwrap();
    let nested = repository.path().join("rust");
    std::fs::rename(fixture.root(), &nested)
        .or_else(|_| {
            // Another filesystem: copy instead.
            let status = std::process::Command::new("cp")
                .arg("-r")
                .arg(fixture.root())
                .arg(&nested)
                .status()?;
            assert!(status.success());
            Ok::<(), std::io::Error>(())
        })
        .unwrap();
    git_in(repository.path(), fixture.home.path(), &["init", "--quiet"]);
    // cargo reads its configuration from the current directory: the repository's root.
    write(
        &repository.path().join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"rust/vendor\"\n",
    );
    let db = AdvisoryDb::new();
    db.add("RUSTSEC-2020-0071", "time", &[">= 0.2.23"], "", "segfault");
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .current_dir(repository.path())
        .args([
            "check",
            "--manifest-path",
            "rust/Cargo.toml",
            "--offline",
            "--format",
            "sarif",
        ])
        .arg("--advisory-db")
        .arg(db.path())
        .env("GITHUB_ACTIONS", "true"));
    assert_eq!(code, 1, "{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&log);
    let run = &log["runs"][0];
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let top = repository.path().canonicalize().unwrap();
    assert_eq!(root, format!("file://{}/", top.display()));
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "RUSTSEC-2020-0071")
        .unwrap();
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "rust/Cargo.lock"
    );
    assert!(
        stderr.contains("::error file=rust/Cargo.lock,"),
        "annotations from the repository root: {stderr}"
    );
}

#[test]
fn a_run_that_fails_still_writes_valid_sarif_that_says_so() {
    let fixture = Fixture::new(vec![member("app", "")], vec![]);
    fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nvulnerability = \"sometimes\"\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--advisory-db")
        .arg(AdvisoryDb::new().path())
        .args(["--offline", "--format", "sarif"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("trustcheck.toml:2:17"), "{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF on stdout");
    assert_valid(&log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], "error");
    assert!(
        notification["message"]["text"]
            .as_str()
            .unwrap()
            .contains("unknown level \"sometimes\""),
        "{notification}"
    );
}
