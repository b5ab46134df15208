//! The crates.io web API client: owners and per-version publishers of a crate, at most
//! `requests-per-second` requests per second (crates.io asks for at most one), with the
//! User-Agent its data-access policy requires.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{OwnerKind, OwnerRecord, Publisher, VersionInfo, YankRecord};
use crate::facts::index::is_valid_name;
use crate::support::http::{HttpClient, HttpError, join_url};
use crate::support::text::sanitize_terminal;

/// The environment variable that overrides the API base URL.
pub const API_URL_ENV: &str = "TRUSTCHECK_API_URL";
/// The default API base URL.
pub const DEFAULT_API_URL: &str = "https://crates.io/";

/// The API base URL from the environment, or crates.io's.
pub fn api_url_from_env() -> String {
    std::env::var(API_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_URL.to_owned())
}

/// The largest API answer read (32 MiB; the crate answer of a crate with thousands of
/// versions is a few MiB). A larger answer is an error, not a truncated document.
pub const MAX_API_ANSWER: u64 = 32 * 1024 * 1024;

/// Errors of the API client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The API could not be reached at all (no connection, DNS, TLS, no answer in time, or
    /// considered down after repeated failures).
    #[error(transparent)]
    Unreachable(HttpError),
    /// The API kept failing (429/5xx after retries) or answered with an unexpected status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status.
        status: u16,
    },
    /// The request failed otherwise: a `Retry-After` too long to wait for, an oversized answer.
    #[error(transparent)]
    Failed(HttpError),
    /// The crate does not exist on the registry (404).
    #[error("crate `{0}` does not exist on the registry (HTTP 404)")]
    NotFound(String),
    /// The answer was not the JSON expected.
    #[error("unexpected answer from {url}: {message}")]
    Invalid {
        /// The URL requested.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The name is not a crate name a registry accepts, so it is never put in a URL or a path.
    #[error("`{0}` is not a valid crate name; it was not looked up")]
    InvalidName(String),
}

/// Spaces requests so that at most `rate` start per second.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `requests_per_second` (> 0).
    pub fn new(requests_per_second: f64) -> RateLimiter {
        let rate = if requests_per_second.is_finite() && requests_per_second > 0.0 {
            requests_per_second
        } else {
            1.0
        };
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(None),
        }
    }

    /// Waits until the next request may start, and reserves that slot.
    pub fn wait(&self) {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let start = match *next {
            Some(slot) if slot > now => {
                // Ctrl-C cuts the wait short; the request after it is not made.
                crate::support::interrupt::sleep(slot - now);
                slot
            }
            _ => now,
        };
        *next = Some(start + self.interval);
    }
}

/// A client of the crates.io API.
#[derive(Debug)]
pub struct ApiClient {
    base: String,
    http: HttpClient,
    limiter: RateLimiter,
}

#[derive(Deserialize)]
struct OwnersResponse {
    users: Vec<ApiOwner>,
}

#[derive(Deserialize)]
struct ApiOwner {
    id: u64,
    login: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct CrateResponse {
    #[serde(default)]
    versions: Vec<ApiVersion>,
}

#[derive(Deserialize)]
struct ApiVersion {
    num: String,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    published_by: Option<ApiUser>,
    #[serde(default)]
    trustpub_data: Option<TrustpubData>,
    #[serde(default)]
    audit_actions: Vec<ApiAudit>,
}

/// One entry of a version's `audit_actions`: `publish`, `yank` or `unyank`, by whom, when.
#[derive(Deserialize)]
struct ApiAudit {
    #[serde(default)]
    action: String,
    #[serde(default)]
    user: Option<ApiUser>,
    #[serde(default)]
    time: Option<String>,
}

#[derive(Deserialize)]
struct ApiUser {
    id: u64,
    login: String,
}

#[derive(Deserialize)]
struct TrustpubData {
    provider: String,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    project_path: Option<String>,
}

impl ApiClient {
    /// A client of the API at `base`, limited to `requests_per_second`.
    pub fn new(base: &str, http: HttpClient, requests_per_second: f64) -> ApiClient {
        ApiClient {
            base: base.to_owned(),
            http,
            limiter: RateLimiter::new(requests_per_second),
        }
    }

    /// The requests per second it is limited to.
    pub fn requests_per_second(&self) -> f64 {
        1.0 / self.limiter.interval.as_secs_f64()
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        crate_name: &str,
    ) -> Result<T, ApiError> {
        if !is_valid_name(crate_name) {
            return Err(ApiError::InvalidName(sanitize_terminal(crate_name)));
        }
        let url = join_url(&self.base, path);
        self.limiter.wait();
        let response = self
            .http
            .get(&url, &[("Accept", "application/json")], MAX_API_ANSWER)
            .map_err(|error| match error {
                error if error.is_unreachable() => ApiError::Unreachable(error),
                HttpError::Unavailable { url, status, .. } => ApiError::Status { url, status },
                error => ApiError::Failed(error),
            })?;
        match response.status {
            200 if response.body.iter().all(u8::is_ascii_whitespace) => Err(ApiError::Invalid {
                url,
                message: "an empty body".to_owned(),
            }),
            200 => serde_json::from_slice(&response.body).map_err(|error| ApiError::Invalid {
                url,
                message: format!("not the JSON expected: {error}"),
            }),
            404 => Err(ApiError::NotFound(crate_name.to_owned())),
            status => Err(ApiError::Status { url, status }),
        }
    }

    /// `GET /api/v1/crates/{name}/owners`: the crate's owners, users and teams. A name that is
    /// not a valid crate name is `ApiError::InvalidName`, without a request.
    pub fn owners(&self, name: &str) -> Result<Vec<OwnerRecord>, ApiError> {
        let response: OwnersResponse =
            self.get_json(&format!("api/v1/crates/{name}/owners"), name)?;
        let mut owners: Vec<OwnerRecord> = response
            .users
            .into_iter()
            .map(|owner| OwnerRecord {
                id: owner.id,
                kind: if owner.kind.as_deref() == Some("team") {
                    OwnerKind::Team
                } else {
                    OwnerKind::User
                },
                login: owner.login,
                name: owner.name,
            })
            .collect();
        owners.sort();
        owners.dedup();
        Ok(owners)
    }

    /// `GET /api/v1/crates/{name}`: every version with its license and publisher. A name that
    /// is not a valid crate name is `ApiError::InvalidName`, without a request.
    pub fn versions(&self, name: &str) -> Result<BTreeMap<String, VersionInfo>, ApiError> {
        let response: CrateResponse = self.get_json(&format!("api/v1/crates/{name}"), name)?;
        Ok(response
            .versions
            .into_iter()
            .map(|version| {
                let published_by = match (version.trustpub_data, version.published_by) {
                    (Some(trusted), _) => Some(Publisher::TrustedPublishing {
                        repository: format!(
                            "{}:{}",
                            trusted.provider,
                            trusted
                                .repository
                                .or(trusted.project_path)
                                .unwrap_or_default()
                        ),
                    }),
                    (None, Some(user)) => Some(Publisher::Account {
                        id: user.id,
                        login: user.login,
                    }),
                    (None, None) => None,
                };
                // The last yank, unless an unyank followed it (the API lists them oldest first).
                let yanked_by = version
                    .audit_actions
                    .into_iter()
                    .filter(|audit| audit.action == "yank" || audit.action == "unyank")
                    .max_by(|a, b| a.time.cmp(&b.time))
                    .filter(|audit| audit.action == "yank" && version.yanked)
                    .and_then(|audit| {
                        let user = audit.user?;
                        Some(YankRecord {
                            id: user.id,
                            login: user.login,
                            at: audit.time,
                        })
                    });
                (
                    version.num,
                    VersionInfo {
                        license: version.license,
                        yanked: version.yanked,
                        created_at: version.created_at,
                        published_by,
                        yanked_by,
                    },
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_spaces_requests() {
        let limiter = RateLimiter::new(20.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.wait();
        }
        // Five requests at 20/s: the fifth starts 4 intervals (200 ms) after the first.
        assert!(
            start.elapsed() >= Duration::from_millis(195),
            "{:?}",
            start.elapsed()
        );
    }
}
