//! Tests of obtaining index entries against a small HTTP server on 127.0.0.1.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::support::http::RetryPolicy;

/// A request as the server saw it: path and lower-cased headers.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: BTreeMap<String, String>,
}

type Handler = dyn Fn(&Seen) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync;

struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    in_flight_max: Arc<AtomicUsize>,
}

/// Serves `handler` on keep-alive connections, recording requests and the most requests
/// handled at once.
fn serve(
    handler: impl Fn(&Seen) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync + 'static,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let in_flight_max = Arc::new(AtomicUsize::new(0));
    let handler: Arc<Handler> = Arc::new(handler);
    let (log, max) = (seen.clone(), in_flight_max.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (log, handler, in_flight, max) =
                (log.clone(), handler.clone(), in_flight.clone(), max.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let mut headers = BTreeMap::new();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            headers
                                .insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
                        }
                    }
                    if let Some(length) = headers.get("content-length").and_then(|l| l.parse().ok())
                    {
                        let mut body = vec![0; length];
                        let _ = reader.read_exact(&mut body);
                    }
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    let request = Seen { path, headers };
                    log.lock().unwrap().push(request.clone());
                    let (status, extra, body) = handler(&request);
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let mut head =
                        format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                    for (name, value) in extra {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    if stream.write_all(head.as_bytes()).is_err()
                        || stream.write_all(body.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Server {
        base,
        seen,
        in_flight_max,
    }
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn quick() -> HttpClient {
    HttpClient::with_retry(RetryPolicy {
        attempts: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(10),
    })
}

fn no_client() -> HttpClient {
    panic!("no request should be made")
}

fn line(name: &str, version: &str, yanked: bool) -> String {
    format!(
        "{{\"name\":\"{name}\",\"vers\":\"{version}\",\"deps\":[],\"cksum\":\"00\",\"features\":{{}},\"yanked\":{yanked}}}\n"
    )
}

fn keys(base: &str, names: &[&str]) -> BTreeSet<Key> {
    names
        .iter()
        .map(|name| (base.to_owned(), (*name).to_owned()))
        .collect()
}

fn entry(fetched_at: u64, etag: Option<&str>, modified: Option<&str>) -> Entry {
    Entry::found(
        &parse_index_file("x", line("x", "1.0.0", false).as_bytes()).unwrap(),
        etag.map(str::to_owned),
        modified.map(str::to_owned),
        fetched_at,
    )
}

#[test]
fn fresh_entries_make_no_request_and_stale_ones_are_revalidated_with_their_etag() {
    let server = serve(|request| {
        if request.headers.get("if-none-match").map(String::as_str) == Some("\"b1\"") {
            (304, vec![], String::new())
        } else {
            (500, vec![], String::new())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let fresh = entry(unix_now(), Some("\"a1\""), None);
    cache.write(&server.base, "aa", &fresh).unwrap();
    cache
        .write(
            &server.base,
            "bb",
            &entry(1, Some("\"b1\""), Some("Mon, 01 Jan 2024 00:00:00 GMT")),
        )
        .unwrap();

    let obtained = obtain(
        &keys(&server.base, &["aa", "bb"]),
        &cache,
        HashMap::new(),
        Refresh::IfStale(Duration::from_secs(600)),
        ProgressMode::Silent,
        quick,
    )
    .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path, "/2/bb");
    assert_eq!(
        seen[0].headers.get("if-none-match").map(String::as_str),
        Some("\"b1\"")
    );
    assert!(
        !seen[0].headers.contains_key("if-modified-since"),
        "the ETag is preferred"
    );
    assert_eq!(
        obtained.stats,
        FetchStats {
            cached: 1,
            unchanged: 1,
            ..FetchStats::default()
        }
    );
    let refreshed = cache.read(&server.base, "bb").unwrap();
    assert!(
        refreshed.is_fresh(unix_now(), Duration::from_secs(600)),
        "a 304 refreshes fetched-at"
    );
    assert_eq!(
        obtained.lookups[&(server.base.clone(), "aa".to_owned())],
        Lookup::Entry(fresh)
    );
    assert!(obtained.notes.is_empty());
}

#[test]
fn always_revalidates_every_entry_with_last_modified_when_there_is_no_etag() {
    let server = serve(|request| match request.headers.get("if-modified-since") {
        Some(_) => (304, vec![], String::new()),
        None => (
            200,
            vec![("ETag", "\"new\"".to_owned())],
            line("cc", "2.0.0", true),
        ),
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    cache
        .write(
            &server.base,
            "aa",
            &entry(unix_now(), None, Some("Mon, 01 Jan 2024 00:00:00 GMT")),
        )
        .unwrap();
    let obtained = obtain(
        &keys(&server.base, &["aa", "cc"]),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap();
    let mut seen: Vec<_> = server
        .seen()
        .into_iter()
        .map(|seen| (seen.path, seen.headers.get("if-modified-since").cloned()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (
                "/2/aa".to_owned(),
                Some("Mon, 01 Jan 2024 00:00:00 GMT".to_owned())
            ),
            ("/2/cc".to_owned(), None),
        ]
    );
    assert_eq!((obtained.stats.unchanged, obtained.stats.updated), (1, 1));
    let cc = cache.read(&server.base, "cc").unwrap();
    assert_eq!(
        (cc.etag.as_deref(), cc.yanked.as_slice()),
        (Some("\"new\""), &["2.0.0".to_owned()][..])
    );
}

#[test]
fn offline_reads_the_cache_only_and_reports_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let base = "http://127.0.0.1:9/";
    let old = entry(1, None, None);
    cache.write(base, "aa", &old).unwrap();
    let mut early = HashMap::new();
    early.insert((base.to_owned(), "bb".to_owned()), entry(2, None, None));
    let obtained = obtain(
        &keys(base, &["aa", "bb", "cc"]),
        &cache,
        early,
        Refresh::Offline,
        ProgressMode::Silent,
        no_client,
    )
    .unwrap();
    assert_eq!(
        obtained.lookups[&(base.to_owned(), "aa".to_owned())],
        Lookup::Entry(old)
    );
    assert_eq!(
        obtained.lookups[&(base.to_owned(), "bb".to_owned())],
        Lookup::Entry(entry(2, None, None)),
        "entries read early are used as they are"
    );
    assert!(matches!(
        &obtained.lookups[&(base.to_owned(), "cc".to_owned())],
        Lookup::Unavailable(why) if why.one.contains("--offline") && why.one.contains("cargo trustcheck fetch")
    ));
    assert_eq!((obtained.stats.cached, obtained.stats.missing), (2, 1));
}

#[test]
fn a_404_is_cached_as_not_found_and_an_invalid_file_is_not_cached() {
    let server = serve(|request| match request.path.as_str() {
        "/3/g/gon" => (404, vec![], String::new()),
        _ => (200, vec![], "<html>captive portal</html>".to_owned()),
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let obtained = obtain(
        &keys(&server.base, &["gon", "bad"]),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap();
    assert_eq!(
        cache.read(&server.base, "gon"),
        Some(Entry::not_found(
            cache.read(&server.base, "gon").unwrap().fetched_at
        ))
    );
    assert!(cache.read(&server.base, "bad").is_none());
    assert!(matches!(
        &obtained.lookups[&(server.base.clone(), "bad".to_owned())],
        Lookup::Unavailable(why) if why.one.contains("/3/b/bad is not a valid index file: line 1")
    ));
    assert_eq!((obtained.stats.not_found, obtained.stats.missing), (1, 1));
}

#[test]
fn server_errors_make_an_uncached_crate_unavailable_and_fall_back_to_a_cached_entry() {
    let server = serve(|_| (503, vec![], String::new()));
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let old = entry(unix_now() - 3 * 3_600, None, None);
    cache.write(&server.base, "old", &old).unwrap();
    let obtained = obtain(
        &keys(&server.base, &["new", "old"]),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap();
    assert!(matches!(
        &obtained.lookups[&(server.base.clone(), "new".to_owned())],
        Lookup::Unavailable(why) if why.one.contains("answered HTTP 503 after 2 attempts")
    ));
    assert_eq!(
        obtained.lookups[&(server.base.clone(), "old".to_owned())],
        Lookup::Entry(old)
    );
    assert_eq!(obtained.notes.len(), 1);
    assert!(
        obtained.notes[0].contains("failed for 1 crate (")
            && obtained.notes[0].contains("HTTP 503")
            && obtained.notes[0].contains("fetched 3 hours ago"),
        "{}",
        obtained.notes[0]
    );
    assert_eq!(server.seen().len(), 4, "two attempts for each crate");
}

#[test]
fn an_unreachable_index_falls_back_to_the_cache_and_fails_without_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    cache.write(&base, "aa", &entry(1, None, None)).unwrap();
    cache.write(&base, "bb", &entry(1, None, None)).unwrap();
    let obtained = obtain(
        &keys(&base, &["aa", "bb"]),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap();
    assert_eq!(obtained.stats.stale, 2);
    assert_eq!(
        obtained.notes.len(),
        1,
        "one note per index: {:?}",
        obtained.notes
    );
    assert!(
        obtained.notes[0].contains("could not reach it"),
        "{}",
        obtained.notes[0]
    );

    let error = obtain(
        &keys(&base, &["aa", "zz"]),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, IndexError::Unreachable { url, krate, .. } if *url == base && krate == "zz"),
        "{message}"
    );
    assert!(
        message.contains("--offline") && message.contains("cargo trustcheck fetch"),
        "{message}"
    );
}

#[test]
fn requests_run_concurrently_but_at_most_sixteen_at_a_time() {
    let server = serve(|request| {
        std::thread::sleep(Duration::from_millis(40));
        let name = request.path.rsplit('/').next().unwrap_or("").to_owned();
        (200, vec![], line(&name, "1.0.0", false))
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let names: Vec<String> = (0..40).map(|i| format!("crate{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let obtained = obtain(
        &keys(&server.base, &names),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Lines,
        quick,
    )
    .unwrap();
    assert_eq!(obtained.stats.updated, 40);
    let max = server.in_flight_max.load(Ordering::SeqCst);
    assert!((2..=MAX_CONCURRENT).contains(&max), "at most {max} at once");
}

#[test]
fn keys_cover_registry_packages_by_their_index() {
    let lock = Lockfile::parse(
        "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"inhouse\"\nversion = \"1.0.0\"\nsource = \"sparse+https://reg.example/index/\"\n\n[[package]]\nname = \"gitdep\"\nversion = \"1.0.0\"\nsource = \"git+https://example.com/r#abc\"\n\n[[package]]\nname = \"oldreg\"\nversion = \"1.0.0\"\nsource = \"registry+https://git.example/index\"\n",
    )
    .unwrap();
    let config = IndexConfig::with_crates_io("http://127.0.0.1:1/");
    assert_eq!(
        keys_of_lockfile(&lock, &config),
        BTreeSet::from([
            ("http://127.0.0.1:1/".to_owned(), "serde".to_owned()),
            (
                "https://reg.example/index/".to_owned(),
                "inhouse".to_owned()
            ),
        ])
    );
}

#[test]
fn an_empty_200_is_a_failed_answer_and_keeps_the_cached_entry() {
    let server = serve(|_| (200, vec![], String::new()));
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let yanked = Entry::found(
        &parse_index_file("old", line("old", "1.0.0", true).as_bytes()).unwrap(),
        None,
        None,
        1,
    );
    cache.write(&server.base, "old", &yanked).unwrap();
    let obtained = obtain(
        &keys(&server.base, &["new", "old"]),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap();
    assert_eq!(
        obtained.lookups[&(server.base.clone(), "old".to_owned())],
        Lookup::Entry(yanked.clone()),
        "the cached entry is used"
    );
    assert_eq!(cache.read(&server.base, "old"), Some(yanked), "and kept");
    assert!(matches!(
        &obtained.lookups[&(server.base.clone(), "new".to_owned())],
        Lookup::Unavailable(why) if why.one.contains("lists no version")
    ));
    assert!(cache.read(&server.base, "new").is_none());
    assert_eq!(obtained.notes.len(), 1);
    assert!(
        obtained.notes[0].contains("lists no version"),
        "{}",
        obtained.notes[0]
    );
    assert_eq!((obtained.stats.stale, obtained.stats.missing), (1, 1));
}

#[test]
fn an_oversized_index_file_is_a_failed_answer() {
    let big = line("big", "1.0.0", false).repeat((MAX_INDEX_FILE as usize / 80) + 1);
    assert!(big.len() as u64 > MAX_INDEX_FILE);
    let server = serve(move |_| (200, vec![], big.clone()));
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let obtained = obtain(
        &keys(&server.base, &["big"]),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap();
    assert!(matches!(
        &obtained.lookups[&(server.base.clone(), "big".to_owned())],
        Lookup::Unavailable(why) if why.one.contains("larger than 10485760 bytes")
    ));
}

/// Accepts connections and never answers.
fn hanging_index() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    base
}

fn impatient() -> HttpClient {
    quick().with_timeout(Duration::from_millis(300))
}

#[test]
fn an_index_that_never_answers_stops_the_run_within_the_timeout() {
    let base = hanging_index();
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let names: Vec<String> = (0..40).map(|i| format!("crate{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let error = obtain(
        &keys(&base, &names),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        impatient,
    )
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(&error, IndexError::Unreachable { message, .. } if message.contains("no answer")),
        "{error}"
    );

    for name in &names {
        cache.write(&base, name, &entry(1, None, None)).unwrap();
    }
    let started = std::time::Instant::now();
    let obtained = obtain(
        &keys(&base, &names),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        impatient,
    )
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_eq!(obtained.stats.stale, 40);
    assert!(
        obtained.notes[0].contains("could not reach it: no answer"),
        "{}",
        obtained.notes[0]
    );
}

#[test]
fn an_index_down_after_repeated_errors_is_treated_as_unreachable() {
    let server = serve(|_| (500, vec![], String::new()));
    let dir = tempfile::tempdir().unwrap();
    let cache = IndexCache::at(dir.path());
    let names: Vec<String> = (0..40).map(|i| format!("crate{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let error = obtain(
        &keys(&server.base, &names),
        &cache,
        HashMap::new(),
        Refresh::Always,
        ProgressMode::Silent,
        quick,
    )
    .unwrap_err();
    assert!(
        matches!(&error, IndexError::Unreachable { message, .. } if message.contains("considered down")),
        "{error}"
    );
    assert!(
        server.seen().len() < 2 * 40,
        "the index is not asked for every crate once it is down: {}",
        server.seen().len()
    );
}
