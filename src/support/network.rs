//! Whether a run may use the network, and how long it waits on a service that does not answer.
//!
//! No wait is unbounded: every HTTP attempt and every stalled git transfer gives up after
//! `TRUSTCHECK_NETWORK_TIMEOUT` seconds (default 30), and a git command that talks to a remote
//! is stopped after `GIT_LIMIT_FACTOR` times that, however it is progressing.

use std::time::Duration;

/// The environment variable that sets the network timeout, in seconds.
pub const NETWORK_TIMEOUT_ENV: &str = "TRUSTCHECK_NETWORK_TIMEOUT";

/// The network timeout when the variable is unset or invalid.
pub const DEFAULT_NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest network timeout accepted (one hour); longer values are invalid.
pub const MAX_NETWORK_TIMEOUT: Duration = Duration::from_secs(3_600);

/// The next step when a service cannot be reached from a network that needs a proxy: git and
/// the tool's own HTTP requests both read `HTTPS_PROXY`.
pub const PROXY_HINT: &str =
    "if the network needs a proxy, set HTTPS_PROXY (git and the tool's own requests both use it)";

/// A git command that talks to a remote is stopped after this many network timeouts.
pub const GIT_LIMIT_FACTOR: u32 = 20;

/// Whether the network may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// Fetch what is missing or stale.
    Online,
    /// `--offline`: cached data only; what is missing is reported.
    Offline,
}

/// An environment variable of the tool has a value it does not understand.
#[derive(Debug, thiserror::Error)]
#[error("{variable}={value:?} is not understood: expected {expected}")]
pub struct EnvironmentError {
    /// The variable.
    pub variable: &'static str,
    /// Its value (sanitized when printed).
    pub value: String,
    /// What it may be.
    pub expected: &'static str,
}

/// The network timeout: `TRUSTCHECK_NETWORK_TIMEOUT` seconds (above 0, at most an hour,
/// fractions allowed), else 30 seconds.
pub fn timeout() -> Duration {
    parse_timeout(std::env::var(NETWORK_TIMEOUT_ENV).ok().as_deref())
}

/// Refuses a `TRUSTCHECK_NETWORK_TIMEOUT` that is set but not a valid timeout (checked once,
/// when the run starts, so that a typo is an error instead of the default).
pub fn validate_environment() -> Result<(), EnvironmentError> {
    let Ok(value) = std::env::var(NETWORK_TIMEOUT_ENV) else {
        return Ok(());
    };
    if value.trim().is_empty() || parse_seconds(&value).is_some() {
        return Ok(());
    }
    Err(EnvironmentError {
        variable: NETWORK_TIMEOUT_ENV,
        value,
        expected: "seconds above 0 and at most 3600 (fractions allowed)",
    })
}

fn parse_seconds(value: &str) -> Option<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| {
            seconds.is_finite() && *seconds > 0.0 && *seconds <= MAX_NETWORK_TIMEOUT.as_secs_f64()
        })
        .map(Duration::from_secs_f64)
}

fn parse_timeout(value: Option<&str>) -> Duration {
    value
        .and_then(parse_seconds)
        .unwrap_or(DEFAULT_NETWORK_TIMEOUT)
}

/// How long a git command that talks to a remote may run in all.
pub fn git_limit() -> Duration {
    timeout() * GIT_LIMIT_FACTOR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_comes_from_the_environment_variable_or_the_default() {
        assert_eq!(parse_timeout(None), DEFAULT_NETWORK_TIMEOUT);
        assert_eq!(parse_timeout(Some("2")), Duration::from_secs(2));
        assert_eq!(parse_timeout(Some(" 0.5 ")), Duration::from_millis(500));
        for invalid in ["", "0", "-3", "abc", "inf", "NaN", "3601"] {
            assert_eq!(
                parse_timeout(Some(invalid)),
                DEFAULT_NETWORK_TIMEOUT,
                "{invalid:?}"
            );
        }
    }
}
