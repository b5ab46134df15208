//! Downloading one `.crate` from its registry, as cargo does: the URL from the registry's
//! `config.json` (`dl`: a template with `{crate}`, `{version}`, `{prefix}`, `{lowerprefix}` and
//! `{sha256-checksum}` markers, or a base URL that `/{crate}/{version}/download` is appended
//! to), fetched with the project's HTTP client (platform certificates, User-Agent, retries,
//! bounded waits and bodies). A file whose SHA-256 is not the lock file's checksum is refused.
//!
//! crates.io's `config.json` is read from `TRUSTCHECK_INDEX_URL` when it is not replaced, like
//! its index entries; a mirror's from the mirror's own sparse index.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::cache::CrateKey;
use super::local::MAX_CRATE_FILE;
use super::sha256_hex;
use super::sources::Registry;
use crate::facts::index::{IndexConfig, prefix};
use crate::support::http::{HttpClient, join_url};
use crate::support::network::PROXY_HINT;

/// The largest `config.json` read.
const MAX_CONFIG: u64 = crate::support::files::MIB;

/// Why a crate could not be downloaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    /// The registry does not say, in a way this client follows, where its crates are (a git
    /// index, a registry that requires authentication, no usable `config.json`).
    #[error("{0}")]
    Unsupported(String),
    /// The download failed. It says the next step: cargo's own copies, `--offline`, a proxy.
    #[error(
        "could not download {name} {version} from {url}: {message}\n  \
         to go on: `cargo fetch` puts the crates in cargo's cache, where they are read without the network, \
         or --offline checks without the crates it has no copy of (their code is then `unchecked`); {PROXY_HINT}"
    )]
    Failed {
        /// The crate.
        name: String,
        /// Its version.
        version: String,
        /// The URL asked.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The registry served a file that is not the one the lock file names.
    #[error(
        "the registry served {url} for {name} {version} with SHA-256 {actual}, but Cargo.lock records the checksum {expected}; the file was refused"
    )]
    ChecksumMismatch {
        /// The crate.
        name: String,
        /// Its version.
        version: String,
        /// The URL asked.
        url: String,
        /// The lock file's checksum.
        expected: String,
        /// The SHA-256 of what was served.
        actual: String,
    },
}

/// Downloads `.crate` files, reading each registry's `config.json` once.
pub struct Downloader {
    client: HttpClient,
    index: IndexConfig,
    templates: Mutex<HashMap<String, Result<String, DownloadError>>>,
}

/// The download URL of a crate version from a `dl` value.
pub fn download_url(dl: &str, name: &str, version: &str, checksum: &str) -> String {
    const MARKERS: [&str; 5] = [
        "{crate}",
        "{version}",
        "{prefix}",
        "{lowerprefix}",
        "{sha256-checksum}",
    ];
    if !MARKERS.iter().any(|marker| dl.contains(marker)) {
        return format!("{}/{name}/{version}/download", dl.trim_end_matches('/'));
    }
    dl.replace("{crate}", name)
        .replace("{version}", version)
        .replace("{prefix}", &prefix(name))
        .replace("{lowerprefix}", &prefix(&name.to_ascii_lowercase()))
        .replace("{sha256-checksum}", checksum)
}

impl Downloader {
    /// A downloader with this client; crates.io's `config.json` comes from `index`.
    pub fn new(client: HttpClient, index: IndexConfig) -> Downloader {
        Downloader {
            client,
            index,
            templates: Mutex::new(HashMap::new()),
        }
    }

    /// The `dl` value of a registry.
    fn template(&self, registry: &Registry) -> Result<String, DownloadError> {
        if !registry.sparse {
            return Err(DownloadError::Unsupported(format!(
                "the registry {} uses the git index protocol; only cargo downloads its crates",
                registry.index
            )));
        }
        let base = if registry.crates_io {
            self.index.crates_io().to_owned()
        } else {
            registry.index.clone()
        };
        let mut templates = self
            .templates
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        templates
            .entry(base.clone())
            .or_insert_with(|| self.fetch_template(&base))
            .clone()
    }

    fn fetch_template(&self, base: &str) -> Result<String, DownloadError> {
        let url = join_url(base, "config.json");
        let failed = |message: String| DownloadError::Failed {
            name: "config.json".to_owned(),
            version: String::new(),
            url: url.clone(),
            message,
        };
        let response = self
            .client
            .get(&url, &[], MAX_CONFIG)
            .map_err(|error| failed(error.to_string()))?;
        if response.status != 200 {
            return Err(DownloadError::Unsupported(format!(
                "{url} answered HTTP {}: the registry does not say where its crates are",
                response.status
            )));
        }
        let config: serde_json::Value =
            serde_json::from_slice(&response.body).map_err(|error| {
                DownloadError::Unsupported(format!(
                    "{url} is not a registry configuration: {error}"
                ))
            })?;
        if config
            .get("auth-required")
            .and_then(serde_json::Value::as_bool)
            == Some(true)
        {
            return Err(DownloadError::Unsupported(format!(
                "the registry at {base} requires authentication; only cargo downloads its crates"
            )));
        }
        config
            .get("dl")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| DownloadError::Unsupported(format!("{url} has no `dl` URL")))
    }

    /// Downloads the `.crate` of `key` from `registry` and checks its SHA-256.
    pub fn download(&self, registry: &Registry, key: &CrateKey) -> Result<Vec<u8>, DownloadError> {
        let dl = self.template(registry)?;
        let version = key.version.to_string();
        let url = download_url(&dl, &key.name, &version, &key.checksum);
        let failed = |message: String| DownloadError::Failed {
            name: key.name.clone(),
            version: version.clone(),
            url: url.clone(),
            message,
        };
        let response = self
            .client
            .get(&url, &[], MAX_CRATE_FILE)
            .map_err(|error| failed(error.to_string()))?;
        if response.status != 200 {
            return Err(failed(format!("HTTP {}", response.status)));
        }
        let actual = sha256_hex(&response.body);
        if actual != key.checksum {
            return Err(DownloadError::ChecksumMismatch {
                name: key.name.clone(),
                version,
                url,
                expected: key.checksum.clone(),
                actual,
            });
        }
        Ok(response.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_urls_follow_cargos_templates() {
        let checksum = "ab".repeat(32);
        assert_eq!(
            download_url(
                "https://static.crates.io/crates",
                "serde",
                "1.0.0",
                &checksum
            ),
            "https://static.crates.io/crates/serde/1.0.0/download"
        );
        assert_eq!(
            download_url(
                "https://r.example/{prefix}/{lowerprefix}/{crate}-{version}.crate?h={sha256-checksum}",
                "MyCrate",
                "0.1.0",
                &checksum
            ),
            format!("https://r.example/My/Cr/my/cr/MyCrate-0.1.0.crate?h={checksum}")
        );
        assert_eq!(prefix("a"), "1");
        assert_eq!(prefix("ab"), "2");
        assert_eq!(prefix("abc"), "3/a");
    }
}
