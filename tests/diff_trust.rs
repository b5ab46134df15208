//! `diff` shows every trust decision a change makes: policy keys that weaken the policy,
//! exemptions that lost a key (one broader change, not a removal and an addition), owners
//! accepted in the baseline, crates in the graph the baseline does not record. The Markdown
//! headline is ✅ only for a change that grants no trust. Human output is snapshotted.

mod common;

use common::*;

fn repository() -> (Fixture, tempfile::TempDir) {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\ndep = \"1\"\n")],
        vec![krate("dep", "1.0.0")],
    );
    fixture.write_file(
        "trustcheck.toml",
        "[[exemption]]\ncrate = \"dep\"\nkind = \"unlicensed\"\nreason = \"Legal reviewed it.\"\nexpires = \"2099-01-01\"\n",
    );
    fixture.write_file(
        "trustcheck.lock",
        "format-version = 1\n\n[[crate]]\nname = \"dep\"\nsource = \"crates-io\"\nowners = [\n    { id = 1, login = \"alice\", kind = \"user\" },\n]\nversions = [\n    { version = \"1.0.0\", license = \"MIT\", build = [] },\n]\n",
    );
    fixture.git(&["init", "--quiet"]);
    fixture.git(&["add", "."]);
    fixture.git(&["commit", "--quiet", "-m", "base"]);
    (fixture, tempfile::tempdir().unwrap())
}

fn diff(fixture: &Fixture, cache: &tempfile::TempDir, format: &str) -> String {
    let db = AdvisoryDb::new();
    let mut command = trustcheck(cache.path());
    command
        .args(["diff", "HEAD", "--format", format])
        .current_dir(fixture.root())
        .arg("--advisory-db")
        .arg(db.path());
    let (code, stdout, stderr) = run_within(&mut command, std::time::Duration::from_secs(60));
    assert_eq!(code, 0, "{stderr}");
    stdout
}

#[test]
fn a_change_that_weakens_the_policy_is_flagged_key_by_key() {
    let (fixture, cache) = repository();
    let policy = fixture.read_file("trustcheck.toml");
    fixture.write_file(
        "trustcheck.toml",
        &format!(
            "{policy}\n[advisories]\nvulnerability = \"allow\"\n\n[licenses]\nchange = \"allow\"\nallow = [\"MIT\", \"Apache-2.0\", \"GPL-3.0-only\"]\n\n[sources]\nunknown = \"allow\"\n\n[releases]\nmin-age = \"1h\"\n"
        ),
    );
    let report = json(&diff(&fixture, &cache, "json"));
    let changed: Vec<(&str, bool)> = report["policy"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            (
                change["key"].as_str().unwrap(),
                change["weakens"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("advisories.vulnerability", true),
            ("releases.min-age", true),
            ("licenses.allow", true),
            ("licenses.change", true),
            ("sources.unknown", true)
        ]
    );
    let vulnerability = &report["policy"]["changed"][0];
    assert_eq!(vulnerability["before"], "deny");
    assert_eq!(vulnerability["after"], "allow");
    let markdown = diff(&fixture, &cache, "markdown");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(
        markdown.contains("**Trust this change grants:** 5 policy changes weakening it"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `advisories.vulnerability` | `deny` | `allow` | ⚠️ **weakens** |"),
        "{markdown}"
    );
}

#[test]
fn an_exemption_that_lost_its_kind_is_one_broader_change() {
    let (fixture, cache) = repository();
    fixture.write_file(
        "trustcheck.toml",
        "[[exemption]]\ncrate = \"dep\"\nreason = \"Legal reviewed it.\"\nexpires = \"2099-01-01\"\n",
    );
    let report = json(&diff(&fixture, &cache, "json"));
    let exemptions = &report["exemptions"];
    assert_eq!(exemptions["added"], serde_json::json!([]));
    assert_eq!(exemptions["removed"], serde_json::json!([]));
    assert_eq!(exemptions["changed"][0]["broader"], true);
    assert_eq!(
        exemptions["changed"][0]["broader-because"],
        serde_json::json!(["no longer limited to one kind of finding"])
    );
    assert!(diff(&fixture, &cache, "markdown").starts_with("⚠️"));
}

#[test]
fn a_baseline_that_accepts_a_new_owner_is_a_trust_decision() {
    let (fixture, cache) = repository();
    let lock = fixture.read_file("trustcheck.lock");
    fixture.write_file(
        "trustcheck.lock",
        &lock.replace(
            "    { id = 1, login = \"alice\", kind = \"user\" },\n",
            "    { id = 1, login = \"alice\", kind = \"user\" },\n    { id = 666, login = \"mallory\", kind = \"user\" },\n",
        ),
    );
    let markdown = diff(&fixture, &cache, "markdown");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(markdown.contains("1 owner change accepted"), "{markdown}");
    let report = json(&diff(&fixture, &cache, "json"));
    assert_eq!(report["baseline"]["changed"][0]["field"], "owners");
    assert_eq!(
        report["baseline"]["changed"][0]["added"],
        serde_json::json!(["mallory (user 666)"])
    );
}

#[test]
fn crates_the_baseline_does_not_record_are_listed() {
    let (fixture, cache) = repository();
    fixture.vendor(&krate("extra", "2.0.0"));
    fixture.set_member("app", "[dependencies]\ndep = \"1\"\nextra = \"2\"\n");
    let report = json(&diff(&fixture, &cache, "json"));
    assert_eq!(report["unrecorded"][0]["crate"], "extra");
    assert_eq!(report["arrivals"][0]["crate"], "extra");
    assert_eq!(report["arrivals"][0]["accepted"], false);
    let markdown = diff(&fixture, &cache, "markdown");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(
        markdown.contains("### Not in trustcheck.lock"),
        "{markdown}"
    );
}

#[test]
fn a_change_that_grants_no_trust_is_green() {
    let (fixture, cache) = repository();
    // Stricter: unmaintained crates now deny; the exemption expires sooner.
    fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nunmaintained = \"deny\"\n\n[[exemption]]\ncrate = \"dep\"\nkind = \"unlicensed\"\nreason = \"Legal reviewed it.\"\nexpires = \"2098-01-01\"\n",
    );
    let markdown = diff(&fixture, &cache, "markdown");
    assert!(markdown.starts_with("✅"), "{markdown}");
    let report = json(&diff(&fixture, &cache, "json"));
    assert_eq!(report["policy"]["changed"][0]["weakens"], false);
    assert_eq!(report["exemptions"]["changed"][0]["broader"], false);
    assert_eq!(report["trust-granted"], serde_json::json!([]));
}

#[test]
fn the_human_report_of_diff_matches_its_snapshot() {
    let (fixture, cache) = repository();
    fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nvulnerability = \"warn\"\n\n[[exemption]]\ncrate = \"dep\"\nreason = \"Legal reviewed it.\"\nexpires = \"2099-01-01\"\n",
    );
    fixture.vendor(&krate("extra", "2.0.0"));
    fixture.set_member("app", "[dependencies]\ndep = \"1\"\nextra = \"2\"\n");
    let head = fixture.git(&["rev-parse", "HEAD"]);
    let text = diff(&fixture, &cache, "human").replace(&head[..12], "<base>");
    insta::assert_snapshot!(text);
}
