//! Report formats beyond JSON: Markdown for pull-request comments (snapshot), GitHub Actions
//! annotations, and colour in the human report.

mod common;

use common::*;

fn fixture() -> (Fixture, AdvisoryDb) {
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
        "aliases = [\"CVE-2020-26235\"]",
        "Potential segfault in the time crate | <b>bold</b> [link](https://evil.example) @someone",
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
    fixture.write_file(
        "trustcheck.toml",
        "[[exemption]]\nadvisory = \"RUSTSEC-2099-0002\"\nreason = \"Reviewed: *not* reachable\"\nexpires = \"2099-01-01\"\n\n# Registry data is not what these tests are about: no index is asked.\n[advisories]\nyanked = \"allow\"\n\n[releases]\nfresh = \"allow\"\n",
    );
    (fixture, db)
}

fn check(
    fixture: &Fixture,
    db: &AdvisoryDb,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let cache = tempfile::tempdir().unwrap();
    let mut command = trustcheck(cache.path());
    command
        .current_dir(fixture.root())
        .arg("--advisory-db")
        .arg(db.path())
        .arg("--offline")
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    run(&mut command)
}

#[test]
fn markdown_report_has_a_summary_line_tables_details_and_escapes_untrusted_text() {
    let (fixture, db) = fixture();
    let (code, stdout, stderr) = check(&fixture, &db, &["--format", "markdown"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.starts_with("❌ **cargo-trustcheck**: 1 denied, 1 warning, 1 exempted"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("<b>"),
        "HTML from an advisory title is neutralised"
    );
    assert!(
        !stdout.contains("](https://evil.example)"),
        "links from an advisory title are neutralised"
    );
    assert!(!stdout.contains("@someone"), "mentions are neutralised");
    insta::assert_snapshot!(stdout);
}

#[test]
fn github_annotations_go_to_stderr_on_github_actions_only() {
    let (fixture, db) = fixture();
    let (code, stdout, stderr) = check(
        &fixture,
        &db,
        &["--format", "json"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(code, 1);
    assert!(
        json(&stdout)["findings"].is_array(),
        "stdout stays pure JSON"
    );
    let annotations: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("::"))
        .collect();
    let lock = fixture.read_file("Cargo.lock");
    let time_line = lock
        .lines()
        .position(|line| line == "name = \"time\"")
        .unwrap()
        + 1;
    assert_eq!(
        annotations.len(),
        2,
        "one per denied or warned finding, none for exempted: {stderr}"
    );
    assert!(annotations[0].starts_with(&format!(
        "::error file=Cargo.lock,line={time_line},title=vulnerability time 0.1.45 (RUSTSEC-2020-0071)::"
    )), "{}", annotations[0]);
    assert!(
        annotations[1].starts_with("::warning file=Cargo.lock,"),
        "{}",
        annotations[1]
    );

    let (_, _, stderr) = check(&fixture, &db, &["--format", "json"], &[]);
    assert!(
        !stderr.lines().any(|line| line.starts_with("::")),
        "not outside GitHub Actions"
    );
    let (_, _, stderr) = check(
        &fixture,
        &db,
        &["--github-annotations", "never"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert!(!stderr.lines().any(|line| line.starts_with("::")));
    let (_, _, stderr) = check(&fixture, &db, &["--github-annotations", "always"], &[]);
    assert!(stderr.lines().any(|line| line.starts_with("::error ")));
}

#[test]
fn human_report_is_coloured_only_when_asked_or_on_a_terminal() {
    let (fixture, db) = fixture();
    let (_, plain, _) = check(&fixture, &db, &[], &[]);
    assert!(!plain.contains('\u{1b}'));
    assert!(
        plain.contains("exempted until 2099-01-01 (policy line 1): Reviewed: *not* reachable"),
        "{plain}"
    );
    let (_, coloured, _) = check(&fixture, &db, &["--color", "always"], &[]);
    assert!(coloured.contains("\u{1b}["));
    let title_escape = "\u{1b}[31m";
    let db2 = AdvisoryDb::new();
    db2.add(
        "RUSTSEC-2020-0071",
        "time",
        &[">= 0.2.23"],
        "",
        &format!("evil {title_escape}title"),
    );
    let (_, stdout, _) = check(&fixture, &db2, &["--color", "never"], &[]);
    assert!(
        stdout.contains("evil [31mtitle"),
        "control characters from outside are stripped: {stdout}"
    );
}
