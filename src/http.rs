//! A small blocking HTTP client for the registries: the platform's certificate store, a
//! User-Agent that names the tool, timeouts, and retries with backoff on transient failures
//! (connection errors, 429 and 5xx), honouring `Retry-After`. One client is shared by the
//! threads that make concurrent requests: it keeps their connections alive and resolves each
//! host once.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::DefaultConnector;

/// Idle connections kept per host: enough for every thread of a concurrent fetch to reuse its
/// own, instead of opening (and resolving) a new one per request.
pub const MAX_IDLE_PER_HOST: usize = 16;

/// The User-Agent sent with every request, as crates.io's data-access policy asks.
pub const USER_AGENT: &str = concat!(
    "cargo-trustcheck/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// Errors of HTTP requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The request could not be made or no response came (DNS, connection, TLS, timeout).
    #[error("request to {url} failed: {message}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server kept answering with a transient error status.
    #[error("{url} answered HTTP {status} after {attempts} attempts")]
    Unavailable {
        /// The URL requested.
        url: String,
        /// The last status.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
    },
}

/// A response: status, the caching headers, and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
    /// The body (decompressed).
    pub body: Vec<u8>,
}

/// How retries are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub initial_backoff: Duration,
    /// The longest wait, whatever `Retry-After` says.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// A blocking HTTP client; cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    retry: RetryPolicy,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("retry", &self.retry)
            .finish()
    }
}

impl HttpClient {
    /// A client that trusts the platform's certificate store, with the default retry policy.
    pub fn new() -> HttpClient {
        HttpClient::with_retry(RetryPolicy::default())
    }

    /// A client with a given retry policy.
    pub fn with_retry(retry: RetryPolicy) -> HttpClient {
        let config = ureq::Agent::config_builder()
            .user_agent(USER_AGENT)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(60)))
            .max_redirects(5)
            .max_idle_connections(4 * MAX_IDLE_PER_HOST)
            .max_idle_connections_per_host(MAX_IDLE_PER_HOST)
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .build();
        let agent =
            ureq::Agent::with_parts(config, DefaultConnector::new(), SharedResolver::default());
        HttpClient { agent, retry }
    }

    /// GETs a URL with extra headers. Transport errors, 429 and 5xx are retried with backoff;
    /// any other status (200, 304, 404, 403 ...) is returned to the caller.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response, HttpError> {
        let mut backoff = self.retry.initial_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.agent.get(url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let outcome = request.call();
            let last = attempt >= self.retry.attempts;
            match outcome {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let header = |name: &str| {
                        response
                            .headers()
                            .get(name)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_owned)
                    };
                    let retry_after =
                        header("retry-after").and_then(|value| value.trim().parse::<u64>().ok());
                    if status == 429 || (500..600).contains(&status) {
                        if last {
                            return Err(HttpError::Unavailable {
                                url: url.to_owned(),
                                status,
                                attempts: attempt,
                            });
                        }
                        let wait = retry_after.map(Duration::from_secs).unwrap_or(backoff);
                        std::thread::sleep(wait.min(self.retry.max_backoff));
                        backoff = (backoff * 2).min(self.retry.max_backoff);
                        continue;
                    }
                    let etag = header("etag");
                    let last_modified = header("last-modified");
                    let body = response
                        .body_mut()
                        .with_config()
                        .limit(256 * 1024 * 1024)
                        .read_to_vec()
                        .map_err(|error| HttpError::Transport {
                            url: url.to_owned(),
                            message: error.to_string(),
                        })?;
                    return Ok(Response {
                        status,
                        etag,
                        last_modified,
                        body,
                    });
                }
                Err(error) => {
                    if last {
                        return Err(HttpError::Transport {
                            url: url.to_owned(),
                            message: error.to_string(),
                        });
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.retry.max_backoff);
                }
            }
        }
    }
}

/// Resolves each host once per client and shares the answer: concurrent lookups of the same
/// host wait for the first. Some resolvers drop parallel queries, and each dropped query costs
/// the resolver's timeout (5 s with glibc), which made 16 concurrent first requests crawl.
#[derive(Debug, Default)]
struct SharedResolver {
    inner: DefaultResolver,
    resolved: Mutex<HashMap<String, ResolvedSocketAddrs>>,
}

impl Resolver for SharedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |authority| authority.as_str())
        );
        let mut resolved = self.resolved.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(addresses) = resolved.get(&key) {
            return Ok(addresses.clone());
        }
        let addresses = self.inner.resolve(uri, config, timeout)?;
        resolved.insert(key, addresses.clone());
        Ok(addresses)
    }
}

impl Default for HttpClient {
    fn default() -> HttpClient {
        HttpClient::new()
    }
}

/// Joins a base URL (with or without a trailing slash) and a relative path.
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
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
        let response = quick().get(&join_url(&url, "/x"), &[]).unwrap();
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
        let error = quick().get(&url, &[]).unwrap_err();
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
                .get(&url, &[("If-None-Match", "\"x\"")])
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
            quick().get(&url, &[]),
            Err(HttpError::Transport { .. })
        ));
    }
}
