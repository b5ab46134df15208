//! One line per cause: on a 500-crate workspace checked offline with an empty cache, the human
//! report says once that the checks could not be done (not 500 times), the Markdown report
//! stays within GitHub's limit for a comment, and GitHub Actions gets at most 50 annotations.
//! JSON and SARIF keep one entry per crate. Human output is snapshotted.

mod common;

use common::*;

const CRATES: usize = 500;

fn wide_fixture() -> Fixture {
    let names: Vec<String> = (0..CRATES).map(|n| format!("crate{n:03}")).collect();
    let dependencies: String = names
        .iter()
        .map(|name| format!("{name} = \"1\"\n"))
        .collect();
    Fixture::new(
        vec![member("app", &format!("[dependencies]\n{dependencies}"))],
        names.iter().map(|name| krate(name, "1.0.0")).collect(),
    )
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
        .args(args)
        .current_dir(fixture.root())
        .arg("--offline")
        .arg("--advisory-db")
        .arg(db.path());
    for (key, value) in env {
        command.env(key, value);
    }
    run_within(&mut command, std::time::Duration::from_secs(120))
}

/// The GitHub Actions workflow commands (`::error …`, `::warning …`) a JSON check of `fixture`
/// writes to stderr when `GITHUB_ACTIONS` is set.
fn annotations(fixture: &Fixture, db: &AdvisoryDb) -> Vec<String> {
    let (_, _, stderr) = check(
        fixture,
        db,
        &["--format", "json"],
        &[("GITHUB_ACTIONS", "true")],
    );
    stderr
        .lines()
        .filter(|line| line.starts_with("::"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn checks_not_done_for_500_crates_are_one_line_not_500() {
    let fixture = wide_fixture();
    let db = AdvisoryDb::new();
    let (code, stdout, stderr) = check(&fixture, &db, &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "warn    yanked status and publish time not checked for 500 crate versions: their index entries are not in the cache (--offline); `cargo trustcheck fetch` fills the cache"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("crate000 1.0.0, crate001 1.0.0,"),
        "{stdout}"
    );
    assert!(stdout.contains("and 492 more"), "{stdout}");
    assert!(stdout.lines().count() < 15, "{stdout}");

    let (_, json_out, _) = check(&fixture, &db, &["--format", "json"], &[]);
    assert_eq!(
        unchecked_crates(&json(&json_out)).len(),
        CRATES,
        "JSON keeps one finding per crate"
    );

    let (_, markdown, _) = check(&fixture, &db, &["--format", "markdown"], &[]);
    assert!(markdown.len() < 20_000, "{}", markdown.len());
    assert!(
        markdown.contains("| ⚠️ warn | unchecked | 500 crates | | |"),
        "{markdown}"
    );

    let lines = annotations(&fixture, &db);
    assert_eq!(lines.len(), 1, "one annotation for one cause: {lines:?}");
    assert!(lines[0].contains("(500 crates)"), "{}", lines[0]);
}

#[test]
fn markdown_never_exceeds_the_limit_of_a_github_comment_and_annotations_are_capped() {
    let fixture = wide_fixture();
    // 500 distinct findings: an advisory for every crate, with a long title.
    let db = AdvisoryDb::new();
    for n in 0..CRATES {
        db.add(
            &format!("RUSTSEC-2099-{n:04}"),
            &format!("crate{n:03}"),
            &[">= 2.0.0"],
            "",
            &format!(
                "A vulnerability in crate{n:03} {}",
                "that is described at length ".repeat(4)
            ),
        );
    }
    let (code, markdown, stderr) = check(&fixture, &db, &["--format", "markdown"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(markdown.len() <= 60_000, "{}", markdown.len());
    assert!(markdown.contains("more lines were left out"), "{markdown}");
    assert_eq!(
        markdown.matches("<details>").count(),
        markdown.matches("</details>").count(),
        "every details block is closed"
    );

    let lines = annotations(&fixture, &db);
    assert_eq!(lines.len(), 51, "50 annotations and one notice");
    assert!(lines[..50].iter().all(|line| line.starts_with("::error")));
    assert!(
        lines[50].starts_with("::notice") && lines[50].contains("451 more findings"),
        "{}",
        lines[50]
    );
}

/// The human report with what changes from run to run (dates, temporary paths) replaced.
fn stable(text: &str, fixture: &Fixture) -> String {
    let today = cargo_trustcheck::support::date::Date::today();
    text.replace(&fixture.root().display().to_string(), "<workspace>")
        .replace(&today.add_days(-1).to_string(), "<yesterday>")
        .replace(&today.to_string(), "<today>")
}

#[test]
fn the_human_report_of_check_matches_its_snapshot() {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nchrono = \"0.4\"\nold = \"1\"\nbare = \"1\"\n",
        )],
        vec![
            krate("chrono", "0.4.0").dep("time = \"0.1\""),
            krate("time", "0.1.45"),
            krate("old", "1.0.0"),
            krate("bare", "1.0.0").no_license(),
        ],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2020-0071",
        "time",
        &[">= 0.2.23"],
        "aliases = [\"CVE-2020-26235\"]\ncvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"",
        "Potential segfault in the time crate",
    );
    db.add(
        "RUSTSEC-2099-0001",
        "old",
        &[],
        "informational = \"unmaintained\"",
        "old is unmaintained",
    );
    let (code, stdout, _) = check(&fixture, &db, &[], &[]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stable(&stdout, &fixture));
}
