//! The policy file: `policy.example.toml` is the defaults, every kind of invalid policy is an
//! error that names `path:line:column` and the key (snapshotted), and exemptions work end to end.

mod common;

use std::path::Path;

use cargo_trustcheck::policy::{Policy, parse_policy};
use cargo_trustcheck::support::date::Date;
use common::*;

fn today() -> Date {
    "2026-11-24".parse().unwrap()
}

fn error_of(text: &str) -> String {
    parse_policy(text, Path::new("trustcheck.toml"), today())
        .expect_err("the policy is invalid")
        .to_string()
}

#[test]
fn the_example_policy_is_valid_and_equals_the_built_in_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policy.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let policy = parse_policy(&text, &path, today()).expect("policy.example.toml is valid");
    assert_eq!(
        Policy {
            path: None,
            ..policy
        },
        Policy::default()
    );
}

#[test]
fn the_example_documents_every_key() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policy.example.toml"))
            .unwrap();
    for key in [
        "unchecked",
        "max-exemption-days",
        "exemption-warning-days",
        "[advisories]",
        "vulnerability",
        "unmaintained",
        "unsound",
        "notice",
        "yanked",
        "deleted",
        "db-url",
        "max-db-age",
        "[releases]",
        "min-age",
        "fresh",
        "yank-lure",
        "[baseline]",
        "new-crate",
        "build-code",
        "lookalike",
        "lookalike-max-age",
        "typosquat",
        "mismatch",
        "[code]",
        "build-capability",
        "library-capability",
        "binary-added",
        "binary-shipped",
        "[[code.allow]]",
        "capabilities",
        "binaries",
        "[[ban]]",
        "[licenses]",
        "allow",
        "disallowed",
        "unlicensed",
        "change",
        "include-unpublished",
        "[[licenses.clarify]]",
        "expression",
        "license-files",
        "[ownership]",
        "requests-per-second",
        "[sources]",
        "allow-registries",
        "allow-git",
        "unknown",
        "[[exemption]]",
        "advisory",
        "crate",
        "version",
        "kind",
        "reason",
        "expires",
    ] {
        assert!(
            text.contains(key),
            "policy.example.toml does not mention {key}"
        );
    }
}

#[test]
fn the_example_names_every_kind_an_exemption_may_name() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policy.example.toml"))
            .unwrap();
    let listed: String = text
        .lines()
        .skip_while(|line| !line.starts_with("# kind = "))
        .take_while(|line| line.starts_with("# kind = ") || line.starts_with("#     "))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = listed
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .collect();
    for kind in cargo_trustcheck::finding::FindingKind::EXEMPTIBLE {
        assert!(
            words.contains(&kind.as_str()),
            "policy.example.toml's exemption `kind` comment does not name {kind}: {listed}"
        );
    }
}

#[test]
fn unknown_key() {
    insta::assert_snapshot!(error_of(
        "[advisories]\nvulnerability = \"deny\"\nvulnerabilty = \"warn\"\n"
    ));
}

#[test]
fn unknown_section() {
    insta::assert_snapshot!(error_of("[advisory]\nvulnerability = \"deny\"\n"));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(error_of("[licenses]\nallow = \"MIT\"\n"));
}

#[test]
fn bad_level() {
    insta::assert_snapshot!(error_of("[advisories]\nvulnerability = \"denyy\"\n"));
}

#[test]
fn bad_date() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nreason = \"legacy\"\nexpires = \"2027-02-30\"\n"
    ));
}

#[test]
fn date_with_a_time() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nreason = \"legacy\"\nexpires = 2027-02-01T10:00:00Z\n"
    ));
}

#[test]
fn bad_semver_requirement() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nversion = \"< zero\"\nreason = \"legacy\"\nexpires = \"2027-01-01\"\n"
    ));
}

#[test]
fn bad_spdx_id() {
    insta::assert_snapshot!(error_of("[licenses]\nallow = [\"MIT\", \"Apache2\"]\n"));
}

#[test]
fn bad_kind() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nkind = \"vuln\"\nreason = \"legacy\"\nexpires = \"2027-01-01\"\n"
    ));
}

#[test]
fn code_allow_unknown_capability() {
    insta::assert_snapshot!(error_of(
        "[[code.allow]]\ncrate = \"openssl-src\"\ncapabilities = [\"network\", \"internet\"]\nreason = \"downloads OpenSSL\"\n"
    ));
}

#[test]
fn code_allow_without_reason() {
    insta::assert_snapshot!(error_of(
        "[[code.allow]]\ncrate = \"openssl-src\"\ncapabilities = [\"network\"]\n"
    ));
}

#[test]
fn code_allow_that_allows_nothing() {
    insta::assert_snapshot!(error_of(
        "[[code.allow]]\ncrate = \"openssl-src\"\nreason = \"why not\"\n"
    ));
}

#[test]
fn duplicate_exemption() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\nadvisory = \"RUSTSEC-2020-0071\"\nreason = \"one\"\nexpires = \"2027-01-01\"\n\n[[exemption]]\nadvisory = \"rustsec-2020-0071\"\nreason = \"two\"\nexpires = \"2027-06-01\"\n"
    ));
}

#[test]
fn exemption_with_neither_advisory_nor_crate() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\nkind = \"yanked\"\nreason = \"r\"\nexpires = \"2027-01-01\"\n"
    ));
}

#[test]
fn exemption_without_reason() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nexpires = \"2027-01-01\"\n"
    ));
}

#[test]
fn exemption_with_empty_reason() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nreason = \"  \"\nexpires = \"2027-01-01\"\n"
    ));
}

#[test]
fn exemption_without_expiry() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nreason = \"r\"\n"
    ));
}

#[test]
fn exemption_beyond_max_exemption_days() {
    insta::assert_snapshot!(error_of(
        "max-exemption-days = 90\n\n[[exemption]]\ncrate = \"time\"\nreason = \"r\"\nexpires = \"2028-01-01\"\n"
    ));
}

#[test]
fn bad_duration() {
    insta::assert_snapshot!(error_of("[advisories]\nmax-db-age = \"3 months\"\n"));
}

#[test]
fn toml_syntax_error() {
    insta::assert_snapshot!(error_of("[licenses]\nallow = [\"MIT\",\n"));
}

#[test]
fn unknown_exemption_key() {
    insta::assert_snapshot!(error_of(
        "[[exemption]]\ncrate = \"time\"\nreason = \"r\"\nexpires = \"2027-01-01\"\nuntil = \"2027-01-01\"\n"
    ));
}

/// A small deterministic PRNG (xorshift), so the property test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_and_mutated_toml_never_panics_the_loader() {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policy.example.toml"))
            .unwrap();
    let uncommented: String = example
        .lines()
        .map(|line| {
            line.strip_prefix("# ")
                .filter(|rest| rest.contains(" = ") || rest.starts_with('['))
                .unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let tokens = [
        "[",
        "]",
        "[[",
        "]]",
        "=",
        "\"",
        "'",
        "{",
        "}",
        ",",
        "\n",
        " ",
        "#",
        "exemption",
        "advisories",
        "licenses",
        "crate",
        "version",
        "expires",
        "2027-01-01",
        "1979-05-27T07:32:00Z",
        "\"deny\"",
        "true",
        "-1",
        "1e400",
        "nan",
        "\"\\u00e9\"",
        "\"\\x\"",
        "\u{0}",
        "é",
        "allow",
        "\"MIT OR\"",
        "\"<1\"",
        "0x10",
        "inf",
        "\"\"\"",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 2];
    for round in 0..4000 {
        let text = if round % 2 == 0 {
            // Mutate the (uncommented) example: delete, duplicate or insert at random places.
            let mut bytes: Vec<char> = uncommented.chars().collect();
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(bytes.len().max(1));
                match rng.below(3) {
                    0 if !bytes.is_empty() => {
                        bytes.remove(at);
                    }
                    1 => bytes
                        .splice(at..at, tokens[rng.below(tokens.len())].chars())
                        .for_each(drop),
                    _ => {
                        let end = (at + rng.below(40)).min(bytes.len());
                        let copy: Vec<char> = bytes[at..end].to_vec();
                        let to = rng.below(bytes.len().max(1));
                        bytes.splice(to..to, copy).for_each(drop);
                    }
                }
            }
            bytes.into_iter().collect()
        } else {
            (0..rng.below(60))
                .map(|_| tokens[rng.below(tokens.len())])
                .collect::<String>()
        };
        let result =
            std::panic::catch_unwind(|| parse_policy(&text, Path::new("fuzz.toml"), today()));
        match result {
            Ok(Ok(_)) => outcomes[0] += 1,
            Ok(Err(error)) => {
                let message = error.to_string();
                assert!(
                    message.starts_with("invalid policy: fuzz.toml"),
                    "an error names the file: {message}"
                );
                outcomes[1] += 1;
            }
            Err(_) => panic!("the loader panicked on:\n{text}"),
        }
    }
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0,
        "both valid and invalid inputs were tried: {outcomes:?}"
    );
}

// End to end: exemptions on a fixture with a known advisory.

fn exemption_fixture(policy: &str) -> (Fixture, AdvisoryDb) {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\ntime = \"0.1\"\n")],
        vec![krate("time", "0.1.45")],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2020-0071",
        "time",
        &[">= 0.2.23"],
        "aliases = [\"CVE-2020-26235\"]",
        "Potential segfault in the time crate",
    );
    fixture.write_file("trustcheck.toml", policy);
    (fixture, db)
}

fn check(fixture: &Fixture, db: &AdvisoryDb) -> (i32, serde_json::Value, String) {
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--advisory-db")
        .arg(db.path())
        .args(["--offline", "--format", "json"]));
    if code == 2 {
        return (code, serde_json::Value::Null, stderr);
    }
    (code, json(&stdout), stderr)
}

/// Finding keys without the `unchecked` ones: these checks run offline with an empty cache,
/// so every registry package's yanked status is `unchecked` (a warning that changes no exit code).
fn keys_except_unchecked(
    report: &serde_json::Value,
) -> Vec<(String, String, String, String, String, bool)> {
    finding_keys(report)
        .into_iter()
        .filter(|key| key.0 != "unchecked")
        .collect()
}

fn exemption(advisory: &str, expires: &str) -> String {
    format!(
        "[[exemption]]\nadvisory = \"{advisory}\"\nreason = \"Only in build tooling.\"\nexpires = \"{expires}\"\n"
    )
}

fn future() -> String {
    Date::today().add_days(200).to_string()
}

fn past() -> String {
    Date::today().add_days(-1).to_string()
}

#[test]
fn without_an_exemption_the_vulnerability_denies() {
    let (fixture, db) = exemption_fixture("");
    let (code, report, _) = check(&fixture, &db);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["deny"], 1);
}

#[test]
fn a_valid_exemption_turns_exit_1_into_exit_0_and_lists_the_finding_as_exempted() {
    let (fixture, db) = exemption_fixture(&exemption("RUSTSEC-2020-0071", &future()));
    let (code, report, _) = check(&fixture, &db);
    assert_eq!(code, 0);
    let findings: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] != "unchecked")
        .collect();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["exempted"], true);
    assert_eq!(findings[0]["exemption"]["reason"], "Only in build tooling.");
    assert_eq!(findings[0]["exemption"]["expires"], future());
    assert_eq!(unchecked_crates(&report), ["time"]);
    assert_eq!(
        report["summary"],
        serde_json::json!({"deny": 0, "warn": 1, "exempted": 1}),
        "the one warning is time's unchecked yanked status"
    );
}

#[test]
fn an_exemption_by_cve_alias_works() {
    let (fixture, db) = exemption_fixture(&exemption("CVE-2020-26235", &future()));
    let (code, report, _) = check(&fixture, &db);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["exempted"], 1);
}

#[test]
fn an_expired_exemption_gives_exit_1_and_an_exemption_expired_finding_naming_its_line() {
    let policy = format!(
        "# our policy\n\n{}",
        exemption("RUSTSEC-2020-0071", &past())
    );
    let (fixture, db) = exemption_fixture(&policy);
    let (code, report, _) = check(&fixture, &db);
    assert_eq!(code, 1);
    let keys = keys_except_unchecked(&report);
    assert_eq!(
        keys,
        vec![
            (
                "exemption-expired".into(),
                "".into(),
                "".into(),
                "RUSTSEC-2020-0071".into(),
                "deny".into(),
                false
            ),
            (
                "vulnerability".into(),
                "time".into(),
                "0.1.45".into(),
                "RUSTSEC-2020-0071".into(),
                "deny".into(),
                false
            ),
        ]
    );
    let expired = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "exemption-expired")
        .unwrap();
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains("trustcheck.toml:3"),
        "{expired}"
    );
}

#[test]
fn an_exemption_for_an_absent_advisory_is_reported_unused() {
    let policy = format!(
        "{}\n{}",
        exemption("RUSTSEC-2020-0071", &future()),
        exemption("RUSTSEC-2099-9999", &future())
    );
    let (fixture, db) = exemption_fixture(&policy);
    let (code, report, _) = check(&fixture, &db);
    assert_eq!(code, 0, "an unused exemption only warns");
    let unused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "exemption-unused")
        .unwrap();
    assert_eq!(unused["level"], "warn");
    assert_eq!(unused["advisory"], "RUSTSEC-2099-9999");
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("trustcheck.toml:6"),
        "{unused}"
    );
}

#[test]
fn an_exemption_expiring_soon_is_a_warning() {
    let soon = Date::today().add_days(3).to_string();
    let (fixture, db) = exemption_fixture(&exemption("RUSTSEC-2020-0071", &soon));
    let (code, report, _) = check(&fixture, &db);
    assert_eq!(code, 0);
    let keys = finding_keys(&report);
    assert!(
        keys.iter()
            .any(|key| key.0 == "exemption-expiring" && key.4 == "warn"),
        "{keys:?}"
    );
    let (fixture, db) = exemption_fixture(&format!(
        "exemption-warning-days = 2\n{}",
        exemption("RUSTSEC-2020-0071", &soon)
    ));
    let (_, report, _) = check(&fixture, &db);
    assert!(
        !finding_keys(&report)
            .iter()
            .any(|key| key.0 == "exemption-expiring")
    );
}

#[test]
fn exemption_keys_must_all_match() {
    let policy = format!(
        "[[exemption]]\nadvisory = \"RUSTSEC-2020-0071\"\ncrate = \"time\"\nversion = \">=0.2\"\nreason = \"r\"\nexpires = \"{}\"\n",
        future()
    );
    let (fixture, db) = exemption_fixture(&policy);
    let (code, report, _) = check(&fixture, &db);
    assert_eq!(code, 1);
    assert!(
        finding_keys(&report)
            .iter()
            .any(|key| key.0 == "exemption-unused")
    );
}

#[test]
fn an_invalid_policy_exits_2_with_its_location() {
    let (fixture, db) = exemption_fixture("[advisories]\nvulnerability = \"denyy\"\n");
    let (code, _, stderr) = check(&fixture, &db);
    assert_eq!(code, 2);
    assert!(stderr.contains("trustcheck.toml:2:17"), "{stderr}");
    assert!(stderr.contains("advisories.vulnerability"), "{stderr}");
    assert!(
        stderr.contains("vulnerability = \"denyy\""),
        "the offending line is shown: {stderr}"
    );
}

#[test]
fn policy_option_reads_another_file_and_requires_it() {
    let (fixture, db) = exemption_fixture("");
    let elsewhere = fixture.root().join("policies/strict.toml");
    write(&elsewhere, &exemption("RUSTSEC-2020-0071", &future()));
    let cache = tempfile::tempdir().unwrap();
    let (code, _, _) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .arg("--policy")
        .arg(&elsewhere)
        .arg("--advisory-db")
        .arg(db.path())
        .arg("--offline"));
    assert_eq!(code, 0);
    let (code, _, stderr) = run(trustcheck(cache.path())
        .current_dir(fixture.root())
        .args(["--policy", "missing.toml", "--offline"])
        .arg("--advisory-db")
        .arg(db.path()));
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

#[test]
fn sources_outside_the_allowed_registries_and_git_prefixes_are_findings() {
    // A sparse registry that is not crates.io, declared in cargo's config and vendored.
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\ntime = \"0.1\"\n")],
        vec![krate("time", "0.1.45")],
    );
    fixture.write_file(
        ".cargo/config.toml",
        "[registries.internal]\nindex = \"sparse+https://registry.example.com/index/\"\n\n[source.internal]\nregistry = \"sparse+https://registry.example.com/index/\"\nreplace-with = \"vendored\"\n\n[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"vendor\"\n",
    );
    fixture.vendor(&krate("inhouse", "1.0.0"));
    fixture.set_member(
        "app",
        "[dependencies]\ntime = \"0.1\"\ninhouse = { version = \"1\", registry = \"internal\" }\n",
    );
    let db = AdvisoryDb::new();
    let cache = tempfile::tempdir().unwrap();
    let check = || {
        let (code, stdout, stderr) = run(trustcheck(cache.path())
            .current_dir(fixture.root())
            .arg("--advisory-db")
            .arg(db.path())
            .args(["--offline", "--format", "json"]));
        assert_ne!(code, 2, "{stderr}");
        (code, json(&stdout))
    };
    let (code, report) = check();
    assert_eq!(code, 1);
    assert_eq!(unchecked_crates(&report), ["inhouse", "time"]);
    let keys = keys_except_unchecked(&report);
    assert_eq!(
        keys,
        vec![(
            "source".into(),
            "inhouse".into(),
            "1.0.0".into(),
            "".into(),
            "deny".into(),
            false
        )]
    );
    fixture.write_file(
        "trustcheck.toml",
        "[sources]\nallow-registries = [\"crates-io\", \"internal\"]\n",
    );
    let (code, report) = check();
    assert_eq!(code, 0, "{report}");
}
