//! Tests of bulk ownership refreshes against a small crates.io API on 127.0.0.1.

use super::*;
use crate::support::cache::CacheDir;
use crate::support::http::{HttpClient, RetryPolicy};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An API on 127.0.0.1 answering `handler(path)` with (status, body); records the paths.
fn serve(
    handler: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (log, handler) = (log.clone(), handler.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                    }
                    log.lock().unwrap().push(path.clone());
                    let (status, body) = handler(&path);
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if stream.write_all(head.as_bytes()).is_err()
                        || stream.write_all(body.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (base, seen)
}

fn client(base: &str) -> ApiClient {
    let http = HttpClient::with_retry(RetryPolicy {
        attempts: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    });
    ApiClient::new(base, http, 1000.0)
}

fn crates(names: &[&str]) -> BTreeMap<String, BTreeSet<semver::Version>> {
    names
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                BTreeSet::from([semver::Version::new(1, 0, 0)]),
            )
        })
        .collect()
}

fn owners_json(login: &str) -> String {
    format!(r#"{{"users":[{{"id":1,"login":"{login}","kind":"user","name":null}}]}}"#)
}

fn versions_json() -> String {
    r#"{"versions":[{"num":"1.0.0","license":"MIT","yanked":false,"published_by":{"id":1,"login":"a"}}]}"#.to_owned()
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("crate{i:03}")).collect()
}

#[test]
fn an_api_answering_500_fails_with_one_line_for_every_crate() {
    let (base, seen) = serve(|_| (500, String::new()));
    let dir = tempfile::tempdir().unwrap();
    let cache = OwnershipCache::open(&CacheDir::at(dir.path()), &base).unwrap();
    let all = names(40);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let report = refresh(&crates(&all), &cache, &client(&base), ProgressMode::Silent).unwrap();
    assert!(report.is_incomplete());
    assert!(
        seen.lock().unwrap().len() <= 2 * crate::support::http::FAILURES_BEFORE_DOWN as usize,
        "a host that keeps failing is not asked for every crate"
    );
    let lines = problem_lines(&report, "refreshed");
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].starts_with("3 crates could not be refreshed: ")
            && lines[0].contains(&format!("the crates.io API at {base} answered HTTP 500"))
            && lines[0].ends_with("(crate000, crate001, crate002)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("37 crates could not be refreshed: ")
            && lines[1].contains("failed 3 requests in a row and was not asked again")
            && lines[1].contains("HTTP 500")
            && lines[1]
                .ends_with("(first: crate003, crate004, crate005, crate006, crate007 and 32 more)"),
        "{}",
        lines[1]
    );
    assert!(
        cache.unfinished_fetch().is_some(),
        "an incomplete fetch resumes next time"
    );
}

#[test]
fn an_api_answering_404_for_crate_after_crate_is_a_failure_not_deleted_crates() {
    let (base, seen) = serve(|_| (404, r#"{"errors":[{"detail":"Not Found"}]}"#.to_owned()));
    let dir = tempfile::tempdir().unwrap();
    let cache = OwnershipCache::open(&CacheDir::at(dir.path()), &base).unwrap();
    let all = names(30);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let report = refresh(&crates(&all), &cache, &client(&base), ProgressMode::Silent).unwrap();
    assert!(report.is_incomplete());
    assert_eq!(seen.lock().unwrap().len(), NOT_FOUND_STREAK);
    let lines = problem_lines(&report, "refreshed");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with("30 crates could not be refreshed: ")
            && lines[0].contains("answered HTTP 404 for 10 crates in a row")
            && lines[0].contains("TRUSTCHECK_API_URL"),
        "{}",
        lines[0]
    );

    // Fewer crates than the streak, every one 404: a failure too.
    let report = refresh(
        &crates(&["alpha", "beta"]),
        &cache,
        &client(&base),
        ProgressMode::Silent,
    )
    .unwrap();
    assert!(report.is_incomplete());
    let lines = problem_lines(&report, "refreshed");
    assert!(
        lines[0].contains("404 for every crate asked") && lines[0].ends_with("(alpha, beta)"),
        "{lines:#?}"
    );
}

#[test]
fn an_isolated_404_is_a_crate_the_registry_does_not_have() {
    let (base, _) = serve(|path| {
        if path.contains("/gone") {
            (404, String::new())
        } else if path.ends_with("/owners") {
            (200, owners_json("a"))
        } else {
            (200, versions_json())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = OwnershipCache::open(&CacheDir::at(dir.path()), &base).unwrap();
    let report = refresh(
        &crates(&["alpha", "gone", "zeta"]),
        &cache,
        &client(&base),
        ProgressMode::Silent,
    )
    .unwrap();
    assert!(!report.is_incomplete(), "{report:?}");
    assert_eq!(report.not_found, vec!["gone".to_owned()]);
    assert_eq!(
        problem_lines(&report, "refreshed"),
        vec![format!(
            "1 crate is not on the registry at {base} (HTTP 404): gone"
        )]
    );
    assert_eq!(
        cache.unfinished_fetch(),
        None,
        "a complete fetch forgets its mark"
    );
}

#[test]
fn empty_and_non_json_answers_are_failures_by_cause() {
    let (base, _) = serve(|path| {
        if path.contains("/empty") {
            (200, String::new())
        } else {
            (200, "<html>maintenance</html>".to_owned())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = OwnershipCache::open(&CacheDir::at(dir.path()), &base).unwrap();
    let report = refresh(
        &crates(&["empty-a", "empty-b", "html"]),
        &cache,
        &client(&base),
        ProgressMode::Silent,
    )
    .unwrap();
    let lines = problem_lines(&report, "refreshed");
    assert_eq!(
        lines,
        vec![
            format!(
                "2 crates could not be refreshed: the crates.io API at {base} answered HTTP 200 with an empty body (empty-a, empty-b)"
            ),
            format!(
                "1 crate could not be refreshed: the crates.io API at {base} answered something other than the JSON expected (not the JSON expected: expected value at line 1 column 1) (html)"
            ),
        ]
    );
}

#[test]
fn an_owner_entry_stamped_in_the_future_is_refreshed() {
    let (base, seen) = serve(|path| {
        if path.ends_with("/owners") {
            (200, owners_json("new"))
        } else {
            (200, versions_json())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = OwnershipCache::open(&CacheDir::at(dir.path()), &base).unwrap();
    let future = unix_now() + 365 * 86_400;
    cache
        .record_owners(
            "alpha",
            Stamped {
                fetched_at: future,
                source: FactSource::Api,
                value: vec![],
            },
        )
        .unwrap();
    cache
        .record_versions(
            "alpha",
            Stamped {
                fetched_at: future,
                source: FactSource::Api,
                value: BTreeMap::from([("1.0.0".to_owned(), super::super::VersionInfo::default())]),
            },
        )
        .unwrap();
    // An interrupted fetch earlier: owners stamped after its start would be skipped.
    cache.mark_fetch_started(unix_now() - 60).unwrap();
    let report = refresh(
        &crates(&["alpha"]),
        &cache,
        &client(&base),
        ProgressMode::Silent,
    )
    .unwrap();
    assert!(!report.is_incomplete(), "{report:?}");
    assert_eq!(report.requests, 2, "{:?}", seen.lock().unwrap());
    let owners = cache.load("alpha").owners.unwrap();
    assert!(owners.fetched_at <= unix_now());
    assert_eq!(owners.value[0].login, "new");
}

#[test]
fn crafted_names_are_failures_and_never_requested() {
    let (base, seen) = serve(|_| (200, owners_json("a")));
    let dir = tempfile::tempdir().unwrap();
    let cache = OwnershipCache::open(&CacheDir::at(dir.path()), &base).unwrap();
    let report = refresh(
        &crates(&["../../../etc/x"]),
        &cache,
        &client(&base),
        ProgressMode::Silent,
    )
    .unwrap();
    assert!(seen.lock().unwrap().is_empty());
    assert!(report.is_incomplete());
    let lines = problem_lines(&report, "refreshed");
    assert!(lines[0].contains("not valid crate names"), "{lines:?}");
}

#[test]
fn filling_a_baseline_from_an_unreachable_api_counts_every_crate_left_unasked() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let cache = OwnershipCache::open(&CacheDir::at(dir.path()), &base).unwrap();
    let mut baseline = Baseline::default();
    for name in ["alpha", "beta", "gamma"] {
        baseline.crates.insert(
            (name.to_owned(), CRATES_IO.to_owned()),
            crate::load::baseline::CrateRecord::default(),
        );
    }
    let client = client(&base);
    let report = fill_baseline(
        &mut baseline,
        None,
        &cache,
        ApiAccess::Online(&client),
        ProgressMode::Silent,
    )
    .unwrap();
    assert_eq!(report.requests, 1, "the API is not asked again");
    let problems = describe_problems(&report);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with("ownership: 3 crates could not be obtained: ")
            && problems[0].contains("could not be reached")
            && problems[0].ends_with("(alpha, beta, gamma)"),
        "{}",
        problems[0]
    );
    assert!(problems[1].contains("--db-dump"), "{}", problems[1]);
}
