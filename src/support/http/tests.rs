//! Tests of the HTTP client against small servers on 127.0.0.1: retries, timeouts,
//! `Retry-After`, the circuit breaker and body limits.

use super::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Serves `answers` in order, one per connection, and records the request heads.
fn serve(answers: Vec<&'static str>) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let index = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            log.lock().unwrap().push(head);
            let answer = answers[index.fetch_add(1, Ordering::SeqCst).min(answers.len() - 1)];
            let mut stream = stream;
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, seen)
}

fn quick() -> HttpClient {
    HttpClient::with_retry(RetryPolicy {
        attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    })
}

#[test]
fn retries_5xx_then_returns_the_body_and_sends_the_user_agent() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    ]);
    let response = quick().get(&join_url(&url, "/x"), &[], 1024).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello");
    assert_eq!(response.etag.as_deref(), Some("\"abc\""));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains(&format!("user-agent: {}", USER_AGENT.to_ascii_lowercase()))
    );
}

#[test]
fn gives_up_after_the_last_attempt() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]);
    let error = quick().get(&url, &[], 1024).unwrap_err();
    assert_eq!(
        error,
        HttpError::Unavailable {
            url,
            status: 429,
            attempts: 3
        }
    );
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[test]
fn other_statuses_are_returned_not_retried() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]);
    assert_eq!(
        quick()
            .get(&url, &[("If-None-Match", "\"x\"")], 1024)
            .unwrap()
            .status,
        404
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains("if-none-match: \"x\"")
    );
}

#[test]
fn a_refused_connection_is_a_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    assert!(matches!(
        quick().get(&url, &[], 1024),
        Err(HttpError::Transport { .. })
    ));
}

/// Accepts connections and never answers, keeping them open.
fn hang() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            open.push(stream);
        }
    });
    (url, accepted)
}

#[test]
fn a_server_that_never_answers_times_out_within_twice_the_timeout() {
    let (url, accepted) = hang();
    let client =
        HttpClient::with_retry(RetryPolicy::default()).with_timeout(Duration::from_secs(1));
    let started = Instant::now();
    let error = client.get(&url, &[], 1024).unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(&error, HttpError::Timeout { attempts, .. } if *attempts >= 2),
        "{error:?}"
    );
    assert!(error.to_string().contains(NETWORK_TIMEOUT_ENV), "{error}");
    assert!(
        // Twice the timeout, with room for a loaded machine; four attempts of 1 s with
        // backoff would take over 5 s.
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_millis(2_800),
        "{elapsed:?}"
    );
    assert!(accepted.load(Ordering::SeqCst) >= 2);
}

#[test]
fn a_long_retry_after_gives_up_at_once_instead_of_sleeping() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 100000\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]);
    let started = Instant::now();
    let error = HttpClient::new().get(&url, &[], 1024).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        error,
        HttpError::RetryTooLate {
            url,
            status: 503,
            seconds: 100_000,
            max_wait: Duration::from_secs(10)
        }
    );
    assert!(
        error.to_string().contains("retry after 100000 s"),
        "{error}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_short_retry_after_is_honoured() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    ]);
    let client = HttpClient::with_retry(RetryPolicy {
        attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_secs(2),
    })
    .with_timeout(Duration::from_secs(5));
    let started = Instant::now();
    assert_eq!(client.get(&url, &[], 1024).unwrap().body, b"ok");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_host_that_keeps_failing_is_considered_down_by_every_clone() {
    let (url, seen) = serve(vec![
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ]);
    let client = quick();
    let clone = client.clone();
    for _ in 0..FAILURES_BEFORE_DOWN {
        assert!(matches!(
            client.get(&url, &[], 1024),
            Err(HttpError::Unavailable { status: 500, .. })
        ));
    }
    let asked = seen.lock().unwrap().len();
    let error = clone.get(&join_url(&url, "/other"), &[], 1024).unwrap_err();
    assert!(
        matches!(&error, HttpError::HostDown { failures: 3, last, .. } if last.contains("HTTP 500")),
        "{error:?}"
    );
    assert!(error.is_unreachable());
    assert!(error.to_string().contains("considered down"), "{error}");
    assert_eq!(
        seen.lock().unwrap().len(),
        asked,
        "no request to a host that is down"
    );
}

#[test]
fn a_success_resets_the_failure_count() {
    let fail =
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    let client = HttpClient::with_retry(RetryPolicy {
        attempts: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
    });
    let (url, _) = serve(vec![fail, fail, ok, fail, fail, ok]);
    for expected_ok in [false, false, true, false, false, true] {
        assert_eq!(client.get(&url, &[], 1024).is_ok(), expected_ok);
    }
}

#[test]
fn a_body_over_the_limit_is_an_error_not_a_truncation() {
    let (url, _) = serve(vec![
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789",
    ]);
    assert_eq!(
        quick().get(&url, &[], 9).unwrap_err(),
        HttpError::TooLarge {
            url: url.clone(),
            limit: 9
        }
    );
    assert_eq!(quick().get(&url, &[], 10).unwrap().body, b"0123456789");
}
