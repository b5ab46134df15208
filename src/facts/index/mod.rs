//! The registries' sparse indexes: which index a package's yanked status comes from, the
//! `1/`, `2/`, `3/a/`, `ab/cd/` path layout, and the parsing of an index file.
//!
//! crates.io packages (whichever protocol `Cargo.lock` names) are looked up in
//! `TRUSTCHECK_INDEX_URL` (default `https://index.crates.io/`); packages of another registry in
//! that registry's own index when it speaks the sparse protocol. The entries themselves are
//! fetched and cached by `fetch` and `cache`; the `yanked` check reads them as `IndexFacts`.
//! The names a new crate may imitate (`candidates`) are asked of its index too (`neighbours`).

pub mod cache;
pub mod candidates;
pub mod fetch;
pub mod neighbours;
pub mod releases;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::load::graph::{CRATES_IO_SPARSE_INDEX, SourceKind};
use crate::support::network::PROXY_HINT;
use crate::support::text::Phrase;
use cache::Entry;

/// The environment variable that overrides the base of the crates.io sparse index.
pub const INDEX_URL_ENV: &str = "TRUSTCHECK_INDEX_URL";

/// Errors of the index that stop a run.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index could not be reached at all and the cache holds nothing for a crate.
    #[error(
        "could not reach the registry index at {url} ({message}), and the cache holds no entry for `{krate}`; \
         run `cargo trustcheck fetch` when the network is available, or pass --offline to check with \
         cached data only (missing entries are then reported as `unchecked`); {PROXY_HINT}"
    )]
    Unreachable {
        /// The URL that was requested.
        url: String,
        /// The crate whose entry is missing.
        krate: String,
        /// What went wrong.
        message: String,
    },
    /// The cache could not be written.
    #[error(transparent)]
    Cache(#[from] crate::support::cache::CacheError),
}

/// A line of an index file that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Where the index of a package's registry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Not a registry package (local or git): nothing can be yanked.
    NotRegistry,
    /// A sparse index, by its base URL (with a trailing slash).
    Sparse(String),
    /// A registry whose index cannot be asked, and why.
    Unsupported(String),
}

/// Which index answers for which registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexConfig {
    crates_io: String,
}

impl IndexConfig {
    /// The crates.io index from `TRUSTCHECK_INDEX_URL`, or the real one.
    pub fn from_env() -> IndexConfig {
        match std::env::var(INDEX_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => IndexConfig::with_crates_io(url.trim()),
            _ => IndexConfig::with_crates_io(CRATES_IO_SPARSE_INDEX),
        }
    }

    /// A configuration whose crates.io index is at `url` (`sparse+` is accepted and dropped).
    pub fn with_crates_io(url: &str) -> IndexConfig {
        IndexConfig {
            crates_io: base_url(url),
        }
    }

    /// The base URL of the crates.io index, with a trailing slash.
    pub fn crates_io(&self) -> &str {
        &self.crates_io
    }

    /// Where the yanked status of a package from `source` comes from.
    pub fn locate(&self, source: &SourceKind) -> Location {
        match source {
            SourceKind::Registry { .. } if source.is_crates_io() => {
                Location::Sparse(self.crates_io.clone())
            }
            SourceKind::Registry {
                index,
                sparse: true,
            } => Location::Sparse(base_url(index)),
            SourceKind::Registry {
                index,
                sparse: false,
            } => Location::Unsupported(format!(
                "the registry {index} uses the git index protocol; index entries are read only from sparse indexes"
            )),
            SourceKind::Local | SourceKind::Git { .. } | SourceKind::Other(_) => {
                Location::NotRegistry
            }
        }
    }

    /// The index base of a registry package's sparse index, if it has one.
    pub fn base_of(&self, source: &SourceKind) -> Option<String> {
        match self.locate(source) {
            Location::Sparse(base) => Some(base),
            _ => None,
        }
    }

    /// How reports name the registry of an index base.
    pub fn registry_name(&self, base: &str) -> String {
        if base == self.crates_io {
            "crates.io".to_owned()
        } else {
            format!("the registry {base}")
        }
    }
}

/// An index URL as a base to join paths to: no `sparse+`, one trailing slash.
fn base_url(url: &str) -> String {
    let url = url.strip_prefix("sparse+").unwrap_or(url);
    format!("{}/", url.trim_end_matches('/'))
}

/// Whether a crate name can be looked up: non-empty ASCII letters, digits, `-` and `_`, as
/// registries require. Anything else never reaches a URL or a cache path.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Whether two crate names name the same crate, as crates.io decides: ASCII letters without
/// regard to case, and `-` and `_` alike (crates.io refuses `Serde_Json` beside `serde-json`).
pub fn same_crate_name(a: &str, b: &str) -> bool {
    let canonical = |byte: u8| match byte {
        b'_' => b'-',
        byte => byte.to_ascii_lowercase(),
    };
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| canonical(x) == canonical(y))
}

/// The path of a crate's file in a sparse index: `1/{name}`, `2/{name}`, `3/{c}/{name}` or
/// `{ab}/{cd}/{name}`, lower-cased. The name must pass `is_valid_name`.
pub fn crate_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        0 => String::new(),
        _ => format!("{}/{name}", prefix(&name)),
    }
}

/// The directory of a crate name in a sparse index, also the `{prefix}` of download
/// templates: `1`, `2`, `3/a`, `ab/cd`, from the name as given (not lower-cased). The name
/// must not be empty.
pub fn prefix(name: &str) -> String {
    match name.len() {
        1 => "1".to_owned(),
        2 => "2".to_owned(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    }
}

/// One version of a crate, as an index file lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexVersion {
    /// The version, in canonical semver form.
    pub version: String,
    /// Whether it is yanked.
    pub yanked: bool,
    /// When it was published (Unix seconds), when the index says (`pubtime`).
    pub pubtime: Option<i64>,
    /// The crates it depends on (normal, build and optional dependencies; not dev), by their
    /// real names.
    pub dependencies: Vec<String>,
}

/// The fields of an index line that matter here; the others are ignored.
#[derive(Deserialize)]
struct IndexLine<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    vers: std::borrow::Cow<'a, str>,
    #[serde(default)]
    yanked: bool,
    #[serde(default, borrow)]
    pubtime: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    deps: Vec<IndexDependency<'a>>,
}

/// A dependency of an index line: its name (as written in the manifest), the real crate name
/// when renamed (`package`), and its kind.
#[derive(Deserialize)]
struct IndexDependency<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    package: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

/// Parses an index file: one JSON object per line, of which `name`, `vers`, `yanked`,
/// `pubtime` and the dependencies' names are read. Blank lines are skipped; a line that is not
/// such an object, names another crate or has an invalid version is an error naming the line
/// (an unreadable `pubtime` only counts as none).
pub fn parse_index_file(name: &str, body: &[u8]) -> Result<Vec<IndexVersion>, ParseError> {
    let text = std::str::from_utf8(body).map_err(|error| ParseError {
        line: 1 + body[..error.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        message: "not UTF-8".to_owned(),
    })?;
    let mut versions = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let error = |message: String| ParseError {
            line: index + 1,
            message,
        };
        let parsed: IndexLine<'_> =
            serde_json::from_str(line).map_err(|e| error(format!("not an index entry: {e}")))?;
        if !parsed.name.eq_ignore_ascii_case(name) {
            return Err(error(format!(
                "names the crate `{}`, not `{name}`",
                crate::support::text::sanitize_terminal(&parsed.name)
            )));
        }
        let version = semver::Version::parse(&parsed.vers).map_err(|e| {
            error(format!(
                "invalid version `{}`: {e}",
                crate::support::text::sanitize_terminal(&parsed.vers)
            ))
        })?;
        let mut dependencies: Vec<String> = parsed
            .deps
            .iter()
            .filter(|dependency| dependency.kind.as_deref() != Some("dev"))
            .map(|dependency| {
                dependency
                    .package
                    .as_deref()
                    .unwrap_or(&dependency.name)
                    .to_owned()
            })
            .collect();
        dependencies.sort();
        dependencies.dedup();
        versions.push(IndexVersion {
            version: version.to_string(),
            yanked: parsed.yanked,
            pubtime: parsed
                .pubtime
                .as_deref()
                .and_then(crate::support::date::unix_seconds),
            dependencies,
        });
    }
    Ok(versions)
}

/// What is known of one crate's index entry after loading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The entry, fetched now or read from the cache.
    Entry(Entry),
    /// No entry could be obtained, and why (for an `unchecked` finding).
    Unavailable(Phrase),
}

/// The index entries the `yanked` check reads, by (index base URL, crate name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexFacts {
    config: IndexConfig,
    enabled: bool,
    lookups: BTreeMap<(String, String), Lookup>,
    /// The entries the index vouched for in this run (see `fetch::Obtained::confirmed`).
    confirmed: std::collections::BTreeSet<(String, String)>,
}

/// A locked version that its registry's index does not list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Absence {
    /// The name of the registry (`crates.io`, or `the registry URL`).
    pub registry: String,
    /// Whether the whole crate is gone (HTTP 404), not only the version.
    pub whole_crate: bool,
    /// Whether the index said so in this run (or, offline, within the freshness window):
    /// otherwise only an older cached entry says so.
    pub confirmed: bool,
    /// When the entry that says so was fetched (Unix seconds).
    pub fetched_at: u64,
}

impl IndexFacts {
    /// Facts for a policy that allows yanked versions: the index was not asked, nothing is reported.
    pub fn disabled(config: IndexConfig) -> IndexFacts {
        IndexFacts {
            config,
            enabled: false,
            lookups: BTreeMap::new(),
            confirmed: Default::default(),
        }
    }

    /// Facts made of these lookups.
    pub fn new(config: IndexConfig, lookups: BTreeMap<(String, String), Lookup>) -> IndexFacts {
        IndexFacts {
            config,
            enabled: true,
            lookups,
            confirmed: Default::default(),
        }
    }

    /// These facts, with the entries the index vouched for in this run.
    pub fn with_confirmed(
        mut self,
        confirmed: std::collections::BTreeSet<(String, String)>,
    ) -> IndexFacts {
        self.confirmed = confirmed;
        self
    }

    /// Whether the locked version of a registry package is missing from its index entry: the
    /// crate answered 404, or its entry does not list the version. `None` when the entry lists
    /// it, or is not known at all.
    pub fn absence(&self, package: &crate::load::graph::Package) -> Option<Absence> {
        let Location::Sparse(base) = self.config.locate(&package.source_kind) else {
            return None;
        };
        let key = (base, package.name.clone());
        let Some(Lookup::Entry(entry)) = self.lookups.get(&key) else {
            return None;
        };
        let whole_crate = !entry.found;
        if !whole_crate
            && entry.status_of(&package.version.to_string()) != cache::VersionStatus::Absent
        {
            return None;
        }
        Some(Absence {
            registry: self.config.registry_name(&key.0),
            whole_crate,
            confirmed: self.confirmed.contains(&key),
            fetched_at: entry.fetched_at,
        })
    }

    /// Whether the index was asked at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Which index answers for which registry.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// What is known of `name` in the index at `base`.
    pub fn lookup(&self, base: &str, name: &str) -> Option<&Lookup> {
        self.lookups.get(&(base.to_owned(), name.to_owned()))
    }

    /// The index entry of a registry package: `Ok(None)` for a package that is not from a
    /// registry (nothing to look up), `Err(why)` when its entry is not known.
    pub fn entry_of(
        &self,
        package: &crate::load::graph::Package,
    ) -> Result<Option<&Entry>, Phrase> {
        let base = match self.config.locate(&package.source_kind) {
            Location::NotRegistry => return Ok(None),
            Location::Unsupported(reason) => return Err(reason.into()),
            Location::Sparse(base) => base,
        };
        if !is_valid_name(&package.name) {
            return Err(Phrase::new(
                "the name is not a valid crate name, so the index was not asked",
                "their names are not valid crate names, so the index was not asked",
            ));
        }
        match self.lookup(&base, &package.name) {
            Some(Lookup::Entry(entry)) if entry.found => Ok(Some(entry)),
            Some(Lookup::Entry(_)) => {
                let registry = self.config.registry_name(&base);
                Err(Phrase::new(
                    format!(
                        "the crate is not in the index of {registry} (HTTP 404: deleted, or never published there)"
                    ),
                    format!(
                        "the crates are not in the index of {registry} (HTTP 404: deleted, or never published there)"
                    ),
                ))
            }
            Some(Lookup::Unavailable(why)) => Err(why.clone()),
            None => Err(Phrase::new(
                "its index entry was not obtained",
                "their index entries were not obtained",
            )),
        }
    }

    /// Fills publish times the index does not give, from another source (the registry's API):
    /// `(index base, crate name, version)` → Unix seconds.
    pub fn fill_publish_times(&mut self, times: &BTreeMap<(String, String, String), i64>) {
        for ((base, name, version), seconds) in times {
            if let Some(Lookup::Entry(entry)) = self.lookups.get_mut(&(base.clone(), name.clone()))
                && let Some(index) = entry.versions.iter().position(|v| v == version)
            {
                entry.published.resize(entry.versions.len(), None);
                entry.published[index].get_or_insert(*seconds);
            }
        }
    }

    /// The crates whose entry could not be obtained: (index base, crate name, why), sorted.
    pub fn unavailable(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.lookups
            .iter()
            .filter_map(|((base, name), lookup)| match lookup {
                Lookup::Unavailable(why) => Some((base.as_str(), name.as_str(), why.one.as_str())),
                Lookup::Entry(_) => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_layout_by_name_length_lower_cased() {
        assert_eq!(crate_path("a"), "1/a");
        assert_eq!(crate_path("Z"), "1/z");
        assert_eq!(crate_path("ab"), "2/ab");
        assert_eq!(crate_path("Ab"), "2/ab");
        assert_eq!(crate_path("syn"), "3/s/syn");
        assert_eq!(crate_path("Syn"), "3/s/syn");
        assert_eq!(crate_path("serde"), "se/rd/serde");
        assert_eq!(crate_path("cargo"), "ca/rg/cargo");
        assert_eq!(crate_path("rand"), "ra/nd/rand");
        assert_eq!(crate_path("MyCrate_Name"), "my/cr/mycrate_name");
        assert_eq!(crate_path("a-b_c"), "a-/b_/a-b_c");
    }

    #[test]
    fn names_are_the_same_crate_as_crates_io_decides() {
        assert!(same_crate_name("B_Inferred", "b-inferred"));
        assert!(same_crate_name("serde_json", "Serde-JSON"));
        assert!(!same_crate_name("serde_json", "serde_jsonx"));
        assert!(!same_crate_name("b-inferred", "b.inferred"));
    }

    #[test]
    fn names_that_could_escape_a_path_are_invalid() {
        assert!(is_valid_name("serde_json"));
        assert!(is_valid_name("a-B_9"));
        for bad in ["", "../etc", "a/b", "a b", "é", "a.b", &"x".repeat(65)] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn parses_name_vers_and_yanked_and_ignores_other_fields() {
        let body = br#"{"name":"Demo","vers":"0.1.0","deps":[],"cksum":"00","features":{},"yanked":false,"pubtime":"2024-09-14T12:24:40Z"}
{"name":"demo","vers":"0.2.0-beta.1+build","deps":[{"name":"x","req":"^1"},{"name":"t","req":"^1","kind":"dev"},{"name":"alias","package":"real","req":"^1","kind":"build"}],"cksum":"11","features":{"f":[]},"yanked":true,"rust_version":"1.60","v":2,"features2":{},"pubtime":"not a time"}

{"name":"demo","vers":"1.0.0","cksum":"22"}
"#;
        assert_eq!(
            parse_index_file("demo", body).unwrap(),
            vec![
                IndexVersion {
                    version: "0.1.0".to_owned(),
                    yanked: false,
                    pubtime: Some(1_726_316_680),
                    dependencies: vec![],
                },
                IndexVersion {
                    version: "0.2.0-beta.1+build".to_owned(),
                    yanked: true,
                    pubtime: None,
                    dependencies: vec!["real".to_owned(), "x".to_owned()],
                },
                IndexVersion {
                    version: "1.0.0".to_owned(),
                    yanked: false,
                    pubtime: None,
                    dependencies: vec![],
                },
            ]
        );
        assert_eq!(parse_index_file("demo", b"").unwrap(), vec![]);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let ok = r#"{"name":"demo","vers":"0.1.0","yanked":false}"#;
        let error =
            parse_index_file("demo", format!("{ok}\n<html>oops</html>\n").as_bytes()).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("not an index entry"), "{error}");
        let error = parse_index_file(
            "demo",
            format!("{ok}\n{ok}\n{{\"name\":\"other\",\"vers\":\"1.0.0\"}}\n").as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3: names the crate `other`, not `demo`"
        );
        let error =
            parse_index_file("demo", br#"{"name":"demo","vers":"1.x","yanked":true}"#).unwrap_err();
        assert!(error.message.contains("invalid version `1.x`"), "{error}");
        let error = parse_index_file("demo", br#"{"name":"demo","yanked":true}"#).unwrap_err();
        assert!(error.message.contains("vers"), "{error}");
        let error = parse_index_file("demo", b"\n\xff\xfe").unwrap_err();
        assert_eq!((error.line, error.message.as_str()), (2, "not UTF-8"));
    }

    #[test]
    fn crates_io_through_either_protocol_uses_the_configured_index() {
        let config = IndexConfig::with_crates_io("http://127.0.0.1:1234");
        assert_eq!(config.crates_io(), "http://127.0.0.1:1234/");
        for source in [
            "registry+https://github.com/rust-lang/crates.io-index",
            "sparse+https://index.crates.io/",
        ] {
            assert_eq!(
                config.locate(&SourceKind::parse(Some(source))),
                Location::Sparse("http://127.0.0.1:1234/".to_owned())
            );
        }
        assert_eq!(
            config.locate(&SourceKind::parse(Some("sparse+https://my.example/index"))),
            Location::Sparse("https://my.example/index/".to_owned())
        );
        assert!(matches!(
            config.locate(&SourceKind::parse(Some("registry+https://git.example/index"))),
            Location::Unsupported(reason) if reason.contains("git index protocol")
        ));
        assert_eq!(config.locate(&SourceKind::Local), Location::NotRegistry);
        assert_eq!(
            config.locate(&SourceKind::parse(Some("git+https://example.com/r#abc"))),
            Location::NotRegistry
        );
        assert_eq!(config.registry_name("http://127.0.0.1:1234/"), "crates.io");
        assert_eq!(
            config.registry_name("https://my.example/index/"),
            "the registry https://my.example/index/"
        );
    }
}
