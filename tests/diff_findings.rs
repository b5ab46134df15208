//! `diff` says what `check` says: every finding kind is computed at both revisions from
//! cached facts, so a change after which `check` denies is never a ✅ headline; a version the
//! baseline does not record is trust granted; a widened license allow list names the crates it
//! lets in. Replays against a sparse index on 127.0.0.1.

mod common;

use common::server::{Reply, Server};
use common::*;

const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;

/// A workspace whose one dependency, `dep`, is at 1.0.0 (published a year ago) in the committed
/// base, and whose registry has since published 1.1.0, an hour ago.
struct Repo {
    fixture: Fixture,
    index: Server,
    cache: tempfile::TempDir,
    db: AdvisoryDb,
}

fn baseline(versions: &[&str]) -> String {
    let versions: String = versions
        .iter()
        .map(|version| {
            format!("    {{ version = \"{version}\", license = \"MIT\", build = [] }},\n")
        })
        .collect();
    format!(
        "format-version = 1\n\n[[crate]]\nname = \"dep\"\nsource = \"crates-io\"\nowners = [\n    {{ id = 1, login = \"alice\", kind = \"user\" }},\n]\nversions = [\n{versions}]\n"
    )
}

impl Repo {
    fn new() -> Repo {
        let fixture = Fixture::new(
            vec![member("app", "[dependencies]\ndep = \"1\"\n")],
            vec![krate("dep", "1.0.0")],
        );
        fixture.write_file("trustcheck.lock", &baseline(&["1.0.0"]));
        fixture.git(&["init", "--quiet"]);
        fixture.git(&["add", "."]);
        fixture.git(&["commit", "--quiet", "-m", "base"]);
        let now = cargo_trustcheck::support::date::now();
        let file = index_file_published(
            "dep",
            &[
                ("1.0.0", false, now - 365 * DAY),
                ("1.1.0", false, now - HOUR),
            ],
        );
        let path = format!("/{}", index_path("dep"));
        let index = Server::start(move |request| {
            if request.path == path {
                Reply::new(200, file.clone())
            } else {
                Reply::new(404, "")
            }
        });
        let db = AdvisoryDb::new();
        Repo {
            fixture,
            index,
            cache: tempfile::tempdir().unwrap(),
            db,
        }
    }

    /// `cargo update -p dep` to the hour-old 1.1.0.
    fn bump(&self) {
        self.fixture.vendor(&krate("dep", "1.1.0"));
        self.fixture.cargo_update("dep");
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = trustcheck(self.cache.path());
        command
            .args(args)
            .current_dir(self.fixture.root())
            .env("TRUSTCHECK_INDEX_URL", self.index.base())
            .arg("--advisory-db")
            .arg(self.db.path());
        run_within(&mut command, std::time::Duration::from_secs(120))
    }

    fn diff(&self, format: &str) -> String {
        let (code, stdout, stderr) = self.run(&["diff", "HEAD", "--format", format]);
        assert_eq!(code, 0, "{stderr}");
        stdout
    }
}

#[test]
fn diff_headline_is_green_while_check_denies_a_fresh_release() {
    let repo = Repo::new();
    repo.bump();
    // The bump is even accepted into the baseline: only the release's age is wrong with it.
    repo.fixture
        .write_file("trustcheck.lock", &baseline(&["1.1.0"]));
    let (code, stdout, stderr) = repo.run(&["check", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report = json(&stdout);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|finding| finding["kind"] == "fresh-release" && finding["level"] == "deny"),
        "{report}"
    );

    let markdown = repo.diff("markdown");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(markdown.contains("findings +1 −0"), "{markdown}");
    assert!(
        markdown.contains("1 denied finding introduced"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| fresh-release | `dep` | `1.1.0` |"),
        "{markdown}"
    );
    let report = json(&repo.diff("json"));
    let introduced: Vec<&str> = report["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["kind"].as_str().unwrap())
        .collect();
    assert_eq!(introduced, ["fresh-release"], "{report}");
}

#[test]
fn diff_does_not_count_a_bumped_version_the_baseline_does_not_record() {
    let repo = Repo::new();
    repo.bump();
    let markdown = repo.diff("markdown");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(
        markdown.contains("1 crate version in the graph that trustcheck.lock does not record"),
        "{markdown}"
    );
    assert!(
        markdown.contains("### Versions not in trustcheck.lock"),
        "{markdown}"
    );
    let report = json(&repo.diff("json"));
    assert_eq!(report["unrecorded-versions"][0]["crate"], "dep");
    assert_eq!(report["unrecorded-versions"][0]["version"], "1.1.0");
    // The index entry was never fetched (a diff never fetches): it says so, and computes no
    // fresh-release finding it cannot back.
    assert!(
        report["findings"]["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line
                .as_str()
                .unwrap()
                .starts_with("index entries of 1 crate: dep")),
        "{report}"
    );
    assert!(repo.index.requests().is_empty(), "diff fetched");
}

#[test]
fn diff_does_not_say_which_crates_a_widened_license_allow_list_lets_in() {
    let fixture = Fixture::new(
        vec![member("app", "[dependencies]\nroots = \"0.26\"\n")],
        vec![krate("roots", "0.26.1").license("CDLA-Permissive-2.0")],
    );
    fixture.git(&["init", "--quiet"]);
    fixture.git(&["add", "."]);
    fixture.git(&["commit", "--quiet", "-m", "base"]);
    fixture.write_file(
        "trustcheck.toml",
        "[licenses]\nallow = [\"MIT\", \"Apache-2.0\", \"CDLA-Permissive-2.0\"]\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let db = AdvisoryDb::new();
    let mut command = trustcheck(cache.path());
    command
        .args(["diff", "HEAD", "--format", "markdown"])
        .current_dir(fixture.root())
        .arg("--advisory-db")
        .arg(db.path());
    let (code, markdown, stderr) = run_within(&mut command, std::time::Duration::from_secs(120));
    assert_eq!(code, 0, "{stderr}");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(
        markdown.contains("| `+CDLA-Permissive-2.0` | `roots 0.26.1` |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("1 crate let in by a widened license allow list"),
        "{markdown}"
    );
    // The license finding the base had is resolved by the change.
    assert!(markdown.contains("Findings resolved (1)"), "{markdown}");
    // An empty section is left out.
    assert!(!markdown.contains("No findings introduced"), "{markdown}");
    assert!(!markdown.contains("### Findings introduced"), "{markdown}");
}
