//! A small blocking HTTP client for the registries: the platform's certificate store, a
//! User-Agent that names the tool, and bounded waits.
//!
//! No request waits unboundedly on a service:
//! - each attempt (connect, request, response and body) has `TRUSTCHECK_NETWORK_TIMEOUT`
//!   seconds (default 30), and one request, all its attempts and backoff included, at most
//!   twice that;
//! - transient failures (connection errors, timeouts, 429 and 5xx) are retried with backoff;
//!   a `Retry-After` longer than the policy's longest backoff (10 s) is not waited for: the
//!   request gives up at once;
//! - a host that failed `FAILURES_BEFORE_DOWN` requests in a row is considered down for the
//!   rest of the process, by every clone of the client: later requests to it fail at once;
//! - a body larger than the caller's limit is an error, never a truncation.
//!
//! One client is shared by the threads that make concurrent requests: it keeps their
//! connections alive and resolves each host once. Ctrl-C abandons a request in flight within
//! `interrupt::POLL`, however long it would have waited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::support::interrupt::{self, Stopped};
use crate::support::network::NETWORK_TIMEOUT_ENV;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::DefaultConnector;

/// Idle connections kept per host: enough for every thread of a concurrent fetch to reuse its
/// own, instead of opening (and resolving) a new one per request.
pub const MAX_IDLE_PER_HOST: usize = 16;

/// Failed requests in a row after which a host is considered down for the rest of the run.
pub const FAILURES_BEFORE_DOWN: u32 = 3;

/// The User-Agent sent with every request, as crates.io's data-access policy asks.
pub const USER_AGENT: &str = concat!(
    "cargo-trustcheck/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// A duration in seconds for messages: `30 s`, `2.5 s`.
fn seconds(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds.fract() == 0.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{seconds:.1} s")
    }
}

/// Errors of HTTP requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The user pressed Ctrl-C: the request was not made, or abandoned without its answer.
    #[error("the request to {url} was abandoned: the run was interrupted (Ctrl-C)")]
    Interrupted {
        /// The URL requested.
        url: String,
    },
    /// The request could not be made or no response came (DNS, connection, TLS, a broken
    /// connection).
    #[error("request to {url} failed: {message}")]
    Transport {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// No complete answer came within the time allowed.
    #[error(
        "no answer from {url} within {} ({attempts} attempt{}; {NETWORK_TIMEOUT_ENV} sets the seconds per attempt)",
        seconds(*per_attempt),
        if *attempts == 1 { "" } else { "s" }
    )]
    Timeout {
        /// The URL requested.
        url: String,
        /// The time the last attempt was given.
        per_attempt: Duration,
        /// How many attempts were made.
        attempts: u32,
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
    /// The server asked to retry later than this client waits.
    #[error(
        "{url} answered HTTP {status} and asked to retry after {seconds} s, longer than the {} this tool waits; gave up",
        self::seconds(*max_wait)
    )]
    RetryTooLate {
        /// The URL requested.
        url: String,
        /// The status.
        status: u16,
        /// The `Retry-After` the server sent, in seconds.
        seconds: u64,
        /// The longest wait allowed.
        max_wait: Duration,
    },
    /// The host failed too many requests in a row; no request was made.
    #[error(
        "{host} is considered down after {failures} failed requests in a row (the last: {last}); no more requests are made to it in this run"
    )]
    HostDown {
        /// `scheme://host:port`.
        host: String,
        /// How many requests failed in a row.
        failures: u32,
        /// The last failure.
        last: String,
    },
    /// The body is larger than the caller accepts.
    #[error("the answer from {url} is larger than {limit} bytes; it was not read")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
}

impl HttpError {
    /// Whether the service could not be reached or gave no usable answer (transport error,
    /// timeout, a host considered down): the caller should stop asking it, as opposed to a
    /// failure of one request.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            HttpError::Transport { .. } | HttpError::Timeout { .. } | HttpError::HostDown { .. }
        )
    }

    /// Whether the failure counts against the host's health (everything but an oversized
    /// body, which the host did answer, and `HostDown`, which made no request).
    fn counts_against_host(&self) -> bool {
        !matches!(
            self,
            HttpError::TooLarge { .. } | HttpError::HostDown { .. } | HttpError::Interrupted { .. }
        )
    }
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
    /// The longest wait; a `Retry-After` asking for more makes the request give up.
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

/// The health of one host: failed requests in a row (`FAILURES_BEFORE_DOWN` of them and it is
/// considered down), and the last failure.
#[derive(Debug, Default)]
struct HostState {
    failures: u32,
    last: String,
}

impl HostState {
    fn down(&self) -> bool {
        self.failures >= FAILURES_BEFORE_DOWN
    }
}

/// Per-host failure counts, shared by every clone of a client (the circuit breaker).
#[derive(Debug, Default)]
struct Hosts(Mutex<HashMap<String, HostState>>);

impl Hosts {
    fn check(&self, host: &str) -> Result<(), HttpError> {
        let hosts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match hosts.get(host) {
            Some(state) if state.down() => Err(HttpError::HostDown {
                host: host.to_owned(),
                failures: state.failures,
                last: state.last.clone(),
            }),
            _ => Ok(()),
        }
    }

    fn record(&self, host: &str, outcome: &Result<Response, HttpError>) {
        let mut hosts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let state = hosts.entry(host.to_owned()).or_default();
        if state.down() {
            return;
        }
        match outcome {
            Ok(_) => state.failures = 0,
            Err(error) if error.counts_against_host() => {
                state.failures += 1;
                state.last = error.to_string();
            }
            Err(_) => {}
        }
    }
}

/// `scheme://authority` of a URL, lower-cased: what the circuit breaker counts by.
fn host_of(url: &str) -> String {
    match url.parse::<ureq::http::Uri>() {
        Ok(uri) => host_key(&uri).to_ascii_lowercase(),
        Err(_) => url.to_ascii_lowercase(),
    }
}

/// `scheme://authority` of a URI, as written (empty parts for missing ones).
fn host_key(uri: &ureq::http::Uri) -> String {
    format!(
        "{}://{}",
        uri.scheme_str().unwrap_or(""),
        uri.authority().map_or("", |authority| authority.as_str())
    )
}

/// How one attempt ended, short of an error.
enum Attempt {
    /// An answer to hand to the caller.
    Done(Response),
    /// A transient error status (429, 5xx), with the `Retry-After` seconds if any.
    Retry {
        status: u16,
        retry_after: Option<u64>,
    },
}

/// A blocking HTTP client; cheap to clone and safe to share between threads. Clones share
/// their connections and the health of each host.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    retry: RetryPolicy,
    timeout: Duration,
    hosts: Arc<Hosts>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl HttpClient {
    /// A client that trusts the platform's certificate store, with the default retry policy
    /// and the per-attempt timeout of `TRUSTCHECK_NETWORK_TIMEOUT`.
    pub fn new() -> HttpClient {
        HttpClient::with_retry(RetryPolicy::default())
    }

    /// A client with a given retry policy (and the timeout of `TRUSTCHECK_NETWORK_TIMEOUT`).
    pub fn with_retry(retry: RetryPolicy) -> HttpClient {
        let timeout = crate::support::network::timeout();
        let config = ureq::Agent::config_builder()
            .user_agent(USER_AGENT)
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
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
        HttpClient {
            agent,
            retry,
            timeout,
            hosts: Arc::default(),
        }
    }

    /// The same client with another per-attempt timeout (a request takes at most twice it).
    pub fn with_timeout(mut self, timeout: Duration) -> HttpClient {
        self.timeout = timeout;
        self
    }

    /// GETs a URL with extra headers, reading at most `max_body` bytes of body (a longer body
    /// is `HttpError::TooLarge`). Transport errors, timeouts, 429 and 5xx are retried with
    /// backoff within twice the per-attempt timeout; any other status (200, 304, 404, 403 ...)
    /// is returned to the caller. A host considered down is not asked (`HttpError::HostDown`).
    pub fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        max_body: u64,
    ) -> Result<Response, HttpError> {
        let host = host_of(url);
        self.hosts.check(&host)?;
        let outcome = self.get_with_retries(url, headers, max_body);
        self.hosts.record(&host, &outcome);
        outcome
    }

    fn get_with_retries(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        max_body: u64,
    ) -> Result<Response, HttpError> {
        let started = Instant::now();
        let budget = self.timeout.saturating_mul(2);
        let mut backoff = self.retry.initial_backoff;
        let mut attempt = 0;
        let interrupted = || HttpError::Interrupted {
            url: url.to_owned(),
        };
        loop {
            attempt += 1;
            let per_attempt = self
                .timeout
                .min(budget.saturating_sub(started.elapsed()))
                .max(Duration::from_millis(1));
            let (error, wait) =
                match self.attempt_unless_interrupted(url, headers, max_body, per_attempt) {
                    Ok(Attempt::Done(response)) => return Ok(response),
                    Ok(Attempt::Retry {
                        status,
                        retry_after,
                    }) => {
                        let error = HttpError::Unavailable {
                            url: url.to_owned(),
                            status,
                            attempts: attempt,
                        };
                        match retry_after.map(Duration::from_secs) {
                            Some(asked) if asked > self.retry.max_backoff => {
                                return Err(HttpError::RetryTooLate {
                                    url: url.to_owned(),
                                    status,
                                    seconds: asked.as_secs(),
                                    max_wait: self.retry.max_backoff,
                                });
                            }
                            Some(asked) => (error, asked),
                            None => (error, backoff),
                        }
                    }
                    Err(HttpError::Timeout { url, .. }) => (
                        HttpError::Timeout {
                            url,
                            per_attempt,
                            attempts: attempt,
                        },
                        backoff,
                    ),
                    Err(error @ HttpError::Transport { .. }) => (error, backoff),
                    Err(error) => return Err(error),
                };
            // Give up when attempts run out, or when waiting would leave no time to try again.
            if attempt >= self.retry.attempts || started.elapsed() + wait >= budget {
                return Err(error);
            }
            if interrupt::sleep(wait) {
                return Err(interrupted());
            }
            backoff = (backoff * 2).min(self.retry.max_backoff);
        }
    }

    /// One attempt (`attempt`), made on a thread of its own and waited for until its answer
    /// comes or the user presses Ctrl-C: a hung request is then abandoned at once
    /// (`HttpError::Interrupted`) rather than waited out. None is started after Ctrl-C.
    fn attempt_unless_interrupted(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        max_body: u64,
        timeout: Duration,
    ) -> Result<Attempt, HttpError> {
        let interrupted = || HttpError::Interrupted {
            url: url.to_owned(),
        };
        if interrupt::requested() {
            return Err(interrupted());
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        let client = self.clone();
        let owned_url = url.to_owned();
        let owned_headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let spawned = std::thread::Builder::new()
            .name("http".to_owned())
            .spawn(move || {
                let headers: Vec<(&str, &str)> = owned_headers
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect();
                let _ = sender.send(client.attempt(&owned_url, &headers, max_body, timeout));
            });
        if spawned.is_err() {
            // No thread to spare: the attempt is made here, and bounded by its timeout.
            return self.attempt(url, headers, max_body, timeout);
        }
        match interrupt::wait_for(&receiver) {
            Ok(outcome) => outcome,
            Err(Stopped::Interrupted) => Err(interrupted()),
            Err(Stopped::Abandoned) => Err(HttpError::Transport {
                url: url.to_owned(),
                message: "the request ended without an answer".to_owned(),
            }),
        }
    }

    /// One attempt, given `timeout` from connecting to the end of the body.
    fn attempt(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        max_body: u64,
        timeout: Duration,
    ) -> Result<Attempt, HttpError> {
        let failed = |error: ureq::Error| match error {
            ureq::Error::Timeout(_) => HttpError::Timeout {
                url: url.to_owned(),
                per_attempt: timeout,
                attempts: 1,
            },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                HttpError::Timeout {
                    url: url.to_owned(),
                    per_attempt: timeout,
                    attempts: 1,
                }
            }
            ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge {
                url: url.to_owned(),
                limit: max_body,
            },
            error => HttpError::Transport {
                url: url.to_owned(),
                message: error.to_string(),
            },
        };
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call()
            .map_err(failed)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        if status == 429 || (500..600).contains(&status) {
            let retry_after =
                header("retry-after").and_then(|value| value.trim().parse::<u64>().ok());
            return Ok(Attempt::Retry {
                status,
                retry_after,
            });
        }
        let etag = header("etag");
        let last_modified = header("last-modified");
        let body = response
            .body_mut()
            .with_config()
            .limit(max_body)
            .read_to_vec()
            .map_err(failed)?;
        Ok(Attempt::Done(Response {
            status,
            etag,
            last_modified,
            body,
        }))
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
        let key = host_key(uri);
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
mod tests;
