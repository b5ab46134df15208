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

/// The network timeout: `TRUSTCHECK_NETWORK_TIMEOUT` seconds (a positive whole number up to a
/// day), else 30 seconds.
pub fn timeout() -> Duration {
    std::env::var(NETWORK_TIMEOUT_ENV)
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|seconds| (1..=86_400).contains(seconds))
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_NETWORK_TIMEOUT)
}

/// How long a git command that talks to a remote may run in all.
pub fn git_limit() -> Duration {
    timeout() * GIT_LIMIT_FACTOR
}
