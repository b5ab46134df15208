//! Regression tests of issue 19 (item 3): lookalikes of established registry crates that the
//! workspace does not use. `faster_log` (two edits from `fast_log`, first published four months
//! ago) and `tokio-utils` (one edit from `tokio-util`) got only `new-crate` warnings, since
//! lookalikes were sought only among the graph's and the baseline's names, at one edit, for
//! crates first published under 90 days ago. Replayed with the real binary against a sparse
//! index on 127.0.0.1 that counts what it is asked, as `tests/attack.rs` does.

mod common;

use std::path::Path;

use common::*;

const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

fn now() -> i64 {
    cargo_trustcheck::support::date::now()
}

/// `count` releases `0.1.0`, `0.1.1` ... of `name`, the first `first_ago` seconds ago, the
/// others a week apart after it.
fn releases(name: &str, count: usize, first_ago: i64) -> String {
    let versions: Vec<(String, bool, i64)> = (0..count)
        .map(|n| {
            let n = i64::try_from(n).unwrap();
            (format!("0.1.{n}"), false, now() - first_ago + n * 7 * DAY)
        })
        .collect();
    let versions: Vec<(&str, bool, i64)> = versions
        .iter()
        .map(|(version, yanked, at)| (version.as_str(), *yanked, *at))
        .collect();
    index_file_published(name, &versions)
}

/// A sparse index whose files (by crate name) a test sets; any other name answers 404
/// (`common::SparseIndex`).
use common::SparseIndex as Index;

impl Index {
    /// Lists `count` releases of `name`, the first `first_ago` seconds ago.
    fn publish(&self, name: &str, count: usize, first_ago: i64) {
        self.serve(name, releases(name, count, first_ago));
    }

    /// The paths asked so far, but those of `except`.
    fn asked_but(&self, except: &[&str]) -> Vec<String> {
        let except: Vec<String> = except
            .iter()
            .map(|name| format!("/{}", index_path(name)))
            .collect();
        self.server
            .requests()
            .into_iter()
            .map(|request| request.path)
            .filter(|path| !except.contains(path))
            .collect()
    }
}

/// A workspace whose member depends on `crates` (each vendored at 0.1.1, the second release
/// its index lists), with an empty committed baseline: every registry crate is new to it.
fn workspace(crates: &[&str]) -> Fixture {
    let dependencies: String = crates
        .iter()
        .map(|name| format!("{name} = \"0.1\"\n"))
        .collect();
    let fixture = Fixture::new(
        vec![member("app", &format!("[dependencies]\n{dependencies}"))],
        crates.iter().map(|name| krate(name, "0.1.1")).collect(),
    );
    fixture.write_file("trustcheck.lock", "format-version = 1\n");
    fixture
}

/// The tool on `fixture` with its cache at `cache`, against `index`.
fn tool(fixture: &Fixture, cache: &Path, index: &Index, args: &[&str]) -> (i32, String, String) {
    let db = AdvisoryDb::new();
    let mut command = trustcheck(cache);
    command
        .args(args)
        .current_dir(fixture.root())
        .env("TRUSTCHECK_INDEX_URL", index.server.base())
        .arg("--advisory-db")
        .arg(db.path());
    run_within(&mut command, std::time::Duration::from_secs(120))
}

fn check(fixture: &Fixture, cache: &Path, index: &Index, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = tool(fixture, cache, index, &args);
    assert_ne!(code, 2, "{stderr}");
    json(&stdout)
}

/// (level, message) of the `typosquat` findings about `name`.
fn typosquats(report: &serde_json::Value, name: &str) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "typosquat" && finding["crate"] == name)
        .map(|finding| {
            (
                finding["level"].as_str().unwrap().to_owned(),
                finding["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The messages of the `unchecked` findings about typosquatting.
fn typosquat_unchecked(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "unchecked")
        .map(|finding| finding["message"].as_str().unwrap().to_owned())
        .filter(|message| message.contains("imitates an established crate"))
        .collect()
}

/// The registry of the replays: `fast_log` and `tokio-util`, old and much released; the
/// lookalikes, young and barely released.
fn registry() -> Index {
    let index = Index::start();
    index.publish("fast_log", 159, 6 * YEAR);
    index.publish("faster_log", 2, 120 * DAY);
    index.publish("tokio-util", 39, 8 * YEAR);
    index.publish("tokio-utils", 4, 60 * DAY);
    index
}

#[test]
fn faster_log_two_edits_from_an_established_fast_log_got_only_a_new_crate_warning() {
    let fixture = workspace(&["faster_log"]);
    let index = registry();
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = tool(
        &fixture,
        cache.path(),
        &index,
        &["check", "--format", "json"],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report = json(&stdout);
    let found = typosquats(&report, "faster_log");
    assert_eq!(found.len(), 1, "{report}");
    let (level, message) = &found[0];
    assert_eq!(level, "deny");
    let date = |ago: i64| cargo_trustcheck::support::date::Date::from_unix_seconds(now() - ago);
    for fact in [
        "faster_log imitates an established crate".to_owned(),
        format!(
            "faster_log is two edits from fast_log (first published {}, 159 releases)",
            date(6 * YEAR)
        ),
        format!(
            "while faster_log was first published {}, 2 releases",
            date(120 * DAY)
        ),
        "make sure faster_log is the crate that was meant, not fast_log".to_owned(),
    ] {
        assert!(message.contains(&fact), "missing {fact:?} in {message}");
    }

    // Every format says it, and explain says what was asked.
    for (format, expected) in [
        ("human", "Names that imitate established crates (1)"),
        ("markdown", "typosquat"),
        ("sarif", "\"ruleId\": \"typosquat\""),
    ] {
        let (code, stdout, stderr) = tool(
            &fixture,
            cache.path(),
            &index,
            &["check", "--format", format],
        );
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.contains(expected), "{format}: {stdout}");
    }
    let (code, explained, stderr) =
        tool(&fixture, cache.path(), &index, &["explain", "faster_log"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        explained.contains(&format!(
            "  imitates    fast_log (first published {}, 159 releases)",
            date(6 * YEAR)
        )),
        "{explained}"
    );
    assert!(
        explained.contains("names it may imitate asked of the index"),
        "{explained}"
    );

    // Reviewed and found to be the crate meant: exempted like any finding.
    fixture.write_file(
        "trustcheck.toml",
        "[[exemption]]\ncrate = \"faster_log\"\nkind = \"typosquat\"\nreason = \"reviewed: the fork we meant\"\nexpires = \"2099-01-01\"\n",
    );
    let (code, stdout, stderr) = tool(
        &fixture,
        cache.path(),
        &index,
        &["check", "--format", "json"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report = json(&stdout);
    let exempted: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "typosquat")
        .collect();
    assert_eq!(exempted.len(), 1, "{report}");
    assert_eq!(exempted[0]["exempted"], true);
}

#[test]
fn tokio_utils_one_edit_from_tokio_util_got_only_a_new_crate_warning() {
    let fixture = workspace(&["tokio-utils"]);
    let index = registry();
    let cache = tempfile::tempdir().unwrap();
    let report = check(&fixture, cache.path(), &index, &[]);
    let found = typosquats(&report, "tokio-utils");
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0].0, "deny");
    assert!(
        found[0]
            .1
            .contains("tokio-utils is one edit from tokio-util (first published "),
        "{}",
        found[0].1
    );
    assert!(found[0].1.contains(", 39 releases)"), "{}", found[0].1);
    // The policy key sets its level.
    fixture.write_file("trustcheck.toml", "[baseline]\ntyposquat = \"warn\"\n");
    let report = check(&fixture, cache.path(), &index, &[]);
    assert_eq!(typosquats(&report, "tokio-utils")[0].0, "warn");
}

#[test]
fn a_new_crate_whose_neighbour_is_as_young_imitates_nothing() {
    let fixture = workspace(&["tokio-utils"]);
    let index = registry();
    // tokio-util, much released but first published only months before tokio-utils.
    index.publish("tokio-util", 39, 200 * DAY);
    let cache = tempfile::tempdir().unwrap();
    let report = check(&fixture, cache.path(), &index, &[]);
    assert!(typosquats(&report, "tokio-utils").is_empty(), "{report}");
    assert!(typosquat_unchecked(&report).is_empty(), "{report}");
    // It was asked, and judged: not unanswered.
    assert!(
        index
            .asked_but(&[])
            .contains(&format!("/{}", index_path("tokio-util")))
    );
}

#[test]
fn warm_and_cold_caches_give_the_same_answer_back_to_back() {
    let fixture = workspace(&["faster_log", "tokio-utils"]);
    let index = registry();
    let warm = tempfile::tempdir().unwrap();
    let first = check(&fixture, warm.path(), &index, &[]);
    let asked = index.asked_but(&["faster_log", "tokio-utils"]).len();
    assert!(asked > 2, "the neighbouring names were asked: {asked}");
    index.server.clear();
    let again = check(&fixture, warm.path(), &index, &[]);
    assert!(
        index.asked_but(&["faster_log", "tokio-utils"]).is_empty(),
        "a warm cache answers the neighbouring names (404s included): {:?}",
        index.server.requests()
    );
    let cold = tempfile::tempdir().unwrap();
    let from_cold = check(&fixture, cold.path(), &index, &[]);
    let offline = check(&fixture, warm.path(), &index, &["--offline"]);
    for report in [&again, &from_cold, &offline] {
        assert_eq!(finding_keys(report), finding_keys(&first), "{report}");
        for name in ["faster_log", "tokio-utils"] {
            assert_eq!(typosquats(report, name), typosquats(&first, name));
            assert_eq!(typosquats(report, name).len(), 1, "{report}");
        }
    }
}

#[test]
fn offline_with_a_cold_cache_is_one_unchecked_finding_not_a_pass() {
    let fixture = workspace(&["faster_log", "tokio-utils"]);
    let index = registry();
    let cache = tempfile::tempdir().unwrap();
    let report = check(&fixture, cache.path(), &index, &["--offline"]);
    assert!(
        index.server.requests().is_empty(),
        "offline asked the index"
    );
    let unchecked = typosquat_unchecked(&report);
    assert_eq!(
        unchecked.len(),
        1,
        "once per cause, not once per crate: {report}"
    );
    assert!(
        unchecked[0].contains("for 2 crates new to the baseline (faster_log, tokio-utils)")
            && unchecked[0].contains("not in the cache (--offline)"),
        "{}",
        unchecked[0]
    );
    assert!(typosquats(&report, "faster_log").is_empty());

    // The crates' own entries cached, the names around them not (the check was allowed when
    // the cache was filled): still one unchecked finding, for that cause.
    fixture.write_file("trustcheck.toml", "[baseline]\ntyposquat = \"allow\"\n");
    check(&fixture, cache.path(), &index, &[]);
    assert!(
        index.asked_but(&["faster_log", "tokio-utils"]).is_empty(),
        "an allowed check asks nothing"
    );
    fixture.write_file("trustcheck.toml", "");
    let report = check(&fixture, cache.path(), &index, &["--offline"]);
    let unchecked = typosquat_unchecked(&report);
    assert_eq!(unchecked.len(), 1, "{report}");
    assert!(
        unchecked[0].contains(
            "for 2 crates new to the baseline (faster_log, tokio-utils), what the index says of the names they may imitate is not in the cache (--offline)"
        ),
        "{}",
        unchecked[0]
    );
}

#[test]
fn the_requests_per_new_crate_are_bounded_and_the_cut_is_said() {
    let name = "aws-smithy-runtime-api-macros";
    let fixture = workspace(&[name]);
    let index = Index::start();
    index.publish(name, 2, 30 * DAY);
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = tool(
        &fixture,
        cache.path(),
        &index,
        &["check", "--format", "json"],
    );
    assert_ne!(code, 2, "{stderr}");
    let asked = index.asked_but(&[name]);
    assert_eq!(asked.len(), 64, "{asked:?}");
    // The likeliest first: the name without its last character.
    assert!(
        asked.contains(&format!("/{}", index_path("aws-smithy-runtime-api-macro"))),
        "{asked:?}"
    );
    assert!(
        stderr.contains(
            "typosquat: the index was asked about the 64 likeliest names a crate new to the baseline may imitate (aws-smithy-runtime-api-macros), not about"
        ),
        "{stderr}"
    );
    let report = json(&stdout);
    assert!(typosquat_unchecked(&report).is_empty(), "{report}");
}

#[test]
fn diff_computes_typosquat_from_cached_answers_and_names_what_was_missing() {
    let fixture = workspace(&[]);
    fixture.git(&["init", "--quiet"]);
    fixture.git(&["add", "."]);
    fixture.git(&["commit", "--quiet", "-m", "base"]);
    fixture.vendor(&krate("faster_log", "0.1.1"));
    fixture.set_member("app", "[dependencies]\nfaster_log = \"0.1\"\n");
    let index = registry();
    let cache = tempfile::tempdir().unwrap();
    check(&fixture, cache.path(), &index, &[]);
    index.server.clear();

    let (code, markdown, stderr) = tool(
        &fixture,
        cache.path(),
        &index,
        &["diff", "HEAD", "--format", "markdown"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(
        markdown.contains("| typosquat | `faster_log` | `0.1.1` |"),
        "{markdown}"
    );
    assert!(index.server.requests().is_empty(), "diff fetched");

    // Without the cached answer about fast_log, diff says what it lacked.
    let fast_log = find_file(cache.path(), "fast_log.json").expect("cached answer");
    std::fs::remove_file(fast_log).unwrap();
    let (code, stdout, stderr) = tool(
        &fixture,
        cache.path(),
        &index,
        &["diff", "HEAD", "--format", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    let missing: Vec<&str> = report["findings"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|line| line.as_str())
        .collect();
    assert!(
        missing.contains(
            &"the index's answers about the names they may imitate (typosquat) of 1 crate: faster_log"
        ),
        "{report}"
    );
    assert!(index.server.requests().is_empty(), "diff fetched");
}

/// The file called `file` under `dir`.
fn find_file(dir: &Path, file: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, file) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|name| name == file) {
            return Some(path);
        }
    }
    None
}

#[test]
fn fetch_asks_the_neighbouring_names_ahead_of_an_offline_check() {
    let fixture = workspace(&["faster_log"]);
    let index = registry();
    let cache = tempfile::tempdir().unwrap();
    let (_, stdout, stderr) = tool(&fixture, cache.path(), &index, &["fetch"]);
    assert!(
        stdout.contains("neighbouring names (typosquat): ")
            || stderr.contains("neighbouring names (typosquat): "),
        "{stdout}{stderr}"
    );
    index.server.clear();
    let report = check(&fixture, cache.path(), &index, &["--offline"]);
    assert!(
        index.server.requests().is_empty(),
        "offline asked the index"
    );
    assert_eq!(typosquats(&report, "faster_log").len(), 1, "{report}");
    assert!(typosquat_unchecked(&report).is_empty(), "{report}");
}
