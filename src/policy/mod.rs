//! The policy, `trustcheck.toml`: levels per finding kind, the license allow list, allowed
//! sources and the exemptions. `load` reads it with spans; `evaluate` applies it to findings.

mod evaluate;
pub mod expression;
mod load;

pub use crate::support::diagnostic::PolicyError;
pub use evaluate::evaluate;
pub use load::{DEFAULT_POLICY_FILE, parse_policy};

use std::path::{Path, PathBuf};

use crate::finding::{Finding, FindingKind, Level};
use crate::support::date::{Date, Days};

/// The licenses allowed when the policy names none: a common permissive set.
pub const DEFAULT_ALLOWED_LICENSES: [&str; 13] = [
    "MIT",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "0BSD",
    "BSL-1.0",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "CC0-1.0",
    "Unlicense",
];

/// The largest policy file read (16 MiB).
pub const MAX_POLICY_FILE: u64 = 16 * crate::support::files::MIB;

/// The official RustSec advisory database.
pub const DEFAULT_ADVISORY_DB_URL: &str = "https://github.com/rustsec/advisory-db";

/// The whole policy, after validation.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// The file it was read from (`None` for the built-in defaults).
    pub path: Option<PathBuf>,
    /// Level of `unchecked` findings.
    pub unchecked: Level,
    /// An upper bound on how far in the future an exemption may expire.
    pub max_exemption_days: Option<u32>,
    /// Exemptions expiring within this many days are reported (`exemption-expiring`).
    pub exemption_warning_days: u32,
    /// `[advisories]`.
    pub advisories: AdvisoryPolicy,
    /// `[licenses]`.
    pub licenses: LicensePolicy,
    /// `[ownership]`.
    pub ownership: OwnershipPolicy,
    /// `[sources]`.
    pub sources: SourcePolicy,
    /// `[releases]`.
    pub releases: ReleasePolicy,
    /// `[baseline]`.
    pub baseline: BaselinePolicy,
    /// `[code]`: what a crate's code may do.
    pub code: CodePolicy,
    /// `[[ban]]` entries, in file order.
    pub bans: Vec<Ban>,
    /// `[[exemption]]` entries, in file order.
    pub exemptions: Vec<Exemption>,
}

/// `[releases]`: how old a release must be before the workspace uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleasePolicy {
    /// A locked version published less than this ago is `fresh-release`.
    pub min_age: jiff::SignedDuration,
    /// Level of `fresh-release` findings.
    pub fresh: Level,
    /// Level of `yank-lure` findings.
    pub yank_lure: Level,
}

/// `[baseline]`: the levels of the checks of what enters the graph, against the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselinePolicy {
    /// Level of `new-crate` findings.
    pub new_crate: Level,
    /// Level of `build-code` findings.
    pub build_code: Level,
    /// Level of `lookalike` findings.
    pub lookalike: Level,
    /// Level of `typosquat` findings.
    pub typosquat: Level,
    /// Level of `baseline-mismatch` findings.
    pub mismatch: Level,
    /// A lookalike is reported when first published less than this long ago.
    pub lookalike_max_age: jiff::SignedDuration,
}

/// `[code]`: the levels of what code that arrives does, and the crates allowed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodePolicy {
    /// Level of `build-capability` findings.
    pub build_capability: Level,
    /// Level of `library-capability` findings.
    pub library_capability: Level,
    /// Level of `binary-added` findings.
    pub binary_added: Level,
    /// Level of `binary-shipped` findings.
    pub binary_shipped: Level,
    /// `[[code.allow]]`: crates known to need a capability or to ship binaries.
    pub allow: Vec<CodeAllowance>,
}

/// A `[[code.allow]]` entry: a crate (some of its versions) allowed capabilities, or binaries,
/// for a reason and until a date, as cargo-deny's `bypass`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAllowance {
    /// The crate.
    pub crate_name: String,
    /// The versions it covers (`None`: all).
    pub version: Option<semver::VersionReq>,
    /// The capabilities allowed (`facts::code::Capability` names).
    pub capabilities: Vec<crate::facts::code::Capability>,
    /// Whether it allows the crate's binaries.
    pub binaries: bool,
    /// Why.
    pub reason: String,
    /// The last day it applies (`None`: no end).
    pub expires: Option<Date>,
    /// Its line in the policy file.
    pub line: usize,
}

impl CodeAllowance {
    /// Whether it applies to this crate version today.
    pub fn applies_to(&self, name: &str, version: &semver::Version, today: Date) -> bool {
        self.crate_name == name
            && self
                .version
                .as_ref()
                .is_none_or(|requirement| requirement.matches(version))
            && self.expires.is_none_or(|expires| today <= expires)
    }
}

/// A `[[ban]]`: a crate (some of its versions) that must never be in the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ban {
    /// The crate.
    pub crate_name: String,
    /// Which versions (all when absent).
    pub version: Option<semver::VersionReq>,
    /// Why.
    pub reason: String,
    /// 1-based line of the entry in the policy file.
    pub line: usize,
}

/// `[advisories]`: levels of advisory kinds, and where the database comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct AdvisoryPolicy {
    /// Level of `vulnerability` findings.
    pub vulnerability: Level,
    /// Level of `unmaintained` findings.
    pub unmaintained: Level,
    /// Level of `unsound` findings.
    pub unsound: Level,
    /// Level of `notice` findings.
    pub notice: Level,
    /// Level of `yanked` findings.
    pub yanked: Level,
    /// Level of `deleted-release` findings.
    pub deleted: Level,
    /// The git URL of the advisory database.
    pub db_url: String,
    /// A database older than this gets a warning.
    pub max_db_age: Days,
}

/// `[licenses]`: what licenses are allowed, and levels of license findings.
#[derive(Clone, Debug, PartialEq)]
pub struct LicensePolicy {
    /// Allowed licenses, as written (SPDX ids, optionally `WITH` an exception).
    pub allow: Vec<String>,
    /// Level of `license` findings (an expression the allow list does not satisfy).
    pub disallowed: Level,
    /// Level of `unlicensed` findings.
    pub unlicensed: Level,
    /// Level of `license-change` findings.
    pub change: Level,
    /// Whether workspace members with `publish = false` are checked too.
    pub include_unpublished: bool,
    /// Licenses stated by the policy for crates whose manifest does not say.
    pub clarify: Vec<Clarification>,
}

/// A `[[licenses.clarify]]` entry: the license of a crate whose manifest does not state it
/// usably, pinned to the content of its license files.
#[derive(Clone, Debug, PartialEq)]
pub struct Clarification {
    /// The crate.
    pub crate_name: String,
    /// Which versions (all when absent).
    pub version: Option<semver::VersionReq>,
    /// The license expression that applies.
    pub expression: String,
    /// Files whose SHA-256 must match for the clarification to apply.
    pub license_files: Vec<ClarifiedFile>,
    /// 1-based line in the policy file.
    pub line: usize,
}

impl Clarification {
    /// Whether it is about this crate version.
    pub fn applies_to(&self, name: &str, version: &semver::Version) -> bool {
        self.crate_name == name
            && self
                .version
                .as_ref()
                .is_none_or(|requirement| requirement.matches(version))
    }
}

/// A license file named by a clarification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClarifiedFile {
    /// Path relative to the crate's root.
    pub path: String,
    /// Lower-case hex SHA-256 of its content.
    pub sha256: String,
}

/// `[ownership]`.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnershipPolicy {
    /// Level of `owner-change` and `publisher-change` findings.
    pub change: Level,
    /// Level of `owner-lookalike` findings.
    pub lookalike: Level,
    /// crates.io API requests per second at most.
    pub requests_per_second: f64,
}

/// `[sources]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SourcePolicy {
    /// Allowed registries: `crates-io`, a name from cargo's `[registries]`, or an index URL.
    pub allow_registries: Vec<String>,
    /// Allowed git URL prefixes.
    pub allow_git: Vec<String>,
    /// Level of `source` findings.
    pub unknown: Level,
}

/// An `[[exemption]]`: accepts matching findings, for a reason, until a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exemption {
    /// Matches an advisory id or one of its aliases.
    pub advisory: Option<String>,
    /// Matches a crate name.
    pub crate_name: Option<String>,
    /// Matches locked versions.
    pub version: Option<semver::VersionReq>,
    /// Matches a finding kind.
    pub kind: Option<FindingKind>,
    /// Why the finding is accepted.
    pub reason: String,
    /// The last day it applies.
    pub expires: Date,
    /// 1-based line of the exemption in the policy file.
    pub line: usize,
}

impl Exemption {
    /// Whether every key the exemption gives matches the finding.
    pub fn matches(&self, finding: &Finding) -> bool {
        if !FindingKind::EXEMPTIBLE.contains(&finding.kind) {
            return false;
        }
        if self.kind.is_some_and(|kind| kind != finding.kind) {
            return false;
        }
        if let Some(name) = &self.crate_name
            && finding.crate_name() != Some(name.as_str())
        {
            return false;
        }
        if let Some(requirement) = &self.version
            && !finding
                .version()
                .is_some_and(|version| requirement.matches(version))
        {
            return false;
        }
        if let Some(id) = &self.advisory {
            let Some(advisory) = &finding.advisory else {
                return false;
            };
            if !advisory.id.eq_ignore_ascii_case(id)
                && !advisory
                    .aliases
                    .iter()
                    .any(|alias| alias.eq_ignore_ascii_case(id))
            {
                return false;
            }
        }
        true
    }

    /// Whether it no longer applies on `today` (it applies through its `expires` day).
    pub fn is_expired(&self, today: Date) -> bool {
        today > self.expires
    }

    /// A short description of what it matches, e.g. `RUSTSEC-2020-0071 for time <0.2`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(advisory) = &self.advisory {
            parts.push(advisory.clone());
        }
        if let Some(kind) = self.kind {
            parts.push(format!("{kind} findings"));
        }
        if let Some(name) = &self.crate_name {
            let version = self
                .version
                .as_ref()
                .map(|req| format!(" {req}"))
                .unwrap_or_default();
            parts.push(format!("for {name}{version}"));
        } else if let Some(version) = &self.version {
            parts.push(format!("for versions {version}"));
        }
        parts.join(" ")
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            path: None,
            unchecked: Level::Warn,
            max_exemption_days: None,
            exemption_warning_days: 14,
            advisories: AdvisoryPolicy {
                vulnerability: Level::Deny,
                unmaintained: Level::Warn,
                unsound: Level::Warn,
                notice: Level::Warn,
                yanked: Level::Deny,
                deleted: Level::Deny,
                db_url: DEFAULT_ADVISORY_DB_URL.to_owned(),
                max_db_age: Days(90),
            },
            licenses: LicensePolicy {
                allow: DEFAULT_ALLOWED_LICENSES
                    .iter()
                    .map(|id| (*id).to_owned())
                    .collect(),
                disallowed: Level::Deny,
                unlicensed: Level::Deny,
                change: Level::Deny,
                include_unpublished: false,
                clarify: Vec::new(),
            },
            ownership: OwnershipPolicy {
                change: Level::Deny,
                lookalike: Level::Deny,
                requests_per_second: 1.0,
            },
            sources: SourcePolicy {
                allow_registries: vec!["crates-io".to_owned()],
                allow_git: Vec::new(),
                unknown: Level::Deny,
            },
            releases: ReleasePolicy {
                min_age: jiff::SignedDuration::from_hours(72),
                fresh: Level::Deny,
                yank_lure: Level::Deny,
            },
            baseline: BaselinePolicy {
                new_crate: Level::Warn,
                build_code: Level::Warn,
                lookalike: Level::Warn,
                typosquat: Level::Deny,
                mismatch: Level::Deny,
                lookalike_max_age: jiff::SignedDuration::from_hours(90 * 24),
            },
            code: CodePolicy {
                build_capability: Level::Deny,
                library_capability: Level::Warn,
                binary_added: Level::Deny,
                binary_shipped: Level::Warn,
                allow: Vec::new(),
            },
            bans: Vec::new(),
            exemptions: Vec::new(),
        }
    }
}

impl Policy {
    /// Reads the policy at `path`, or the built-in defaults when `path` does not exist and
    /// `required` is false. Only a regular UTF-8 file of at most `MAX_POLICY_FILE` bytes is
    /// read (a symbolic link to a device or a FIFO is an error, not a hang).
    pub fn load(path: &Path, required: bool, today: Date) -> Result<Policy, PolicyError> {
        match crate::support::files::read_text(path, MAX_POLICY_FILE) {
            Ok(text) => parse_policy(&text, path, today),
            Err(error) if error.is_not_found() && !required => Ok(Policy::default()),
            Err(error) => Err(PolicyError::of_file(error)),
        }
    }

    /// The level the policy gives a kind of finding.
    pub fn level(&self, kind: FindingKind) -> Level {
        match kind {
            FindingKind::Vulnerability => self.advisories.vulnerability,
            FindingKind::Unmaintained => self.advisories.unmaintained,
            FindingKind::Unsound => self.advisories.unsound,
            FindingKind::Notice => self.advisories.notice,
            FindingKind::Yanked => self.advisories.yanked,
            FindingKind::DeletedRelease => self.advisories.deleted,
            FindingKind::License => self.licenses.disallowed,
            FindingKind::Unlicensed => self.licenses.unlicensed,
            FindingKind::LicenseChange => self.licenses.change,
            FindingKind::OwnerChange | FindingKind::PublisherChange => self.ownership.change,
            FindingKind::OwnerLookalike => self.ownership.lookalike,
            FindingKind::Source => self.sources.unknown,
            FindingKind::Banned => Level::Deny,
            FindingKind::FreshRelease => self.releases.fresh,
            FindingKind::YankLure => self.releases.yank_lure,
            FindingKind::NewCrate => self.baseline.new_crate,
            FindingKind::BuildCode => self.baseline.build_code,
            FindingKind::Lookalike => self.baseline.lookalike,
            FindingKind::Typosquat => self.baseline.typosquat,
            FindingKind::BaselineMismatch => self.baseline.mismatch,
            FindingKind::BuildCapability => self.code.build_capability,
            FindingKind::LibraryCapability => self.code.library_capability,
            FindingKind::BinaryAdded => self.code.binary_added,
            FindingKind::BinaryShipped => self.code.binary_shipped,
            FindingKind::ExemptionExpired => Level::Deny,
            FindingKind::ExemptionExpiring | FindingKind::ExemptionUnused => Level::Warn,
            FindingKind::Unchecked => self.unchecked,
        }
    }

    /// The policy file's name for messages: its path, or `built-in defaults`.
    pub fn display_name(&self) -> String {
        self.path
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_else(|| "built-in defaults".to_owned())
    }
}

/// The files that the policy's clarifications for this crate version name: the license check
/// needs their SHA-256.
pub fn clarified_files<'a>(
    name: &'a str,
    version: &'a semver::Version,
    clarifications: &'a [Clarification],
) -> impl Iterator<Item = &'a str> + 'a {
    clarifications
        .iter()
        .filter(move |clarification| clarification.applies_to(name, version))
        .flat_map(|clarification| clarification.license_files.iter())
        .map(|file| file.path.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-11-24".parse().unwrap()
    }

    #[test]
    fn a_non_utf8_policy_is_an_error_at_the_line_and_column_of_the_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trustcheck.toml");
        std::fs::write(&path, b"[advisories]\nvulnerability = \"de\xffny\"\n").unwrap();
        let error = Policy::load(&path, true, today()).unwrap_err();
        assert_eq!((error.line, error.column), (2, 20), "{error}");
        assert!(
            error
                .to_string()
                .contains(&format!("{}:2:20: not valid UTF-8", path.display())),
            "{error}"
        );
    }

    #[test]
    fn a_missing_policy_is_the_defaults_unless_required() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trustcheck.toml");
        assert_eq!(Policy::load(&path, false, today()), Ok(Policy::default()));
        assert!(Policy::load(&path, true, today()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_policy_that_is_a_device_or_a_fifo_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("zero.toml");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let fifo = dir.path().join("fifo.toml");
        crate::support::files::make_fifo(&fifo);
        for path in [zero, fifo] {
            let (send, receive) = std::sync::mpsc::channel();
            let file = path.clone();
            std::thread::spawn(move || {
                let _ = send.send(Policy::load(&file, false, today()));
            });
            let error = receive
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("loading the policy returns")
                .unwrap_err();
            assert!(error.to_string().contains("not a regular file"), "{error}");
        }
    }
}
