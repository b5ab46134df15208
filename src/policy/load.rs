//! Reading `trustcheck.toml` with spans, so every error names `path:line:column` and the key.
//!
//! serde checks the shape (unknown keys, wrong types); the values that need more than a type
//! (levels, dates, semver requirements, SPDX ids, kinds) are kept with their spans and
//! validated here, so the error points at the offending value.

mod entries;

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{
    AdvisoryPolicy, Ban, BaselinePolicy, Clarification, ClarifiedFile, CodeAllowance, CodePolicy,
    Exemption, LicensePolicy, OwnershipPolicy, Policy, PolicyError, ReleasePolicy, SourcePolicy,
};
use crate::finding::{FindingKind, Level};
use crate::support::date::{Date, Days};
use entries::{
    RawBan, RawClarification, RawCodeAllowance, RawExemption, ban, clarification, code_allowance,
    exemption,
};

/// The policy's file name at the workspace root.
pub const DEFAULT_POLICY_FILE: &str = "trustcheck.toml";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    unchecked: Option<Spanned<String>>,
    max_exemption_days: Option<Spanned<i64>>,
    exemption_warning_days: Option<Spanned<i64>>,
    #[serde(default)]
    advisories: RawAdvisories,
    #[serde(default)]
    licenses: RawLicenses,
    #[serde(default)]
    ownership: RawOwnership,
    #[serde(default)]
    sources: RawSources,
    #[serde(default)]
    releases: RawReleases,
    #[serde(default)]
    baseline: RawBaselineLevels,
    #[serde(default)]
    code: RawCode,
    #[serde(default, rename = "ban")]
    bans: Vec<Spanned<RawBan>>,
    #[serde(default, rename = "exemption")]
    exemptions: Vec<Spanned<RawExemption>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawReleases {
    min_age: Option<Spanned<String>>,
    fresh: Option<Spanned<String>>,
    yank_lure: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawBaselineLevels {
    new_crate: Option<Spanned<String>>,
    build_code: Option<Spanned<String>>,
    lookalike: Option<Spanned<String>>,
    lookalike_max_age: Option<Spanned<String>>,
    typosquat: Option<Spanned<String>>,
    mismatch: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCode {
    build_capability: Option<Spanned<String>>,
    library_capability: Option<Spanned<String>>,
    binary_added: Option<Spanned<String>>,
    binary_shipped: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<RawCodeAllowance>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAdvisories {
    vulnerability: Option<Spanned<String>>,
    unmaintained: Option<Spanned<String>>,
    unsound: Option<Spanned<String>>,
    notice: Option<Spanned<String>>,
    yanked: Option<Spanned<String>>,
    deleted: Option<Spanned<String>>,
    db_url: Option<Spanned<String>>,
    max_db_age: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLicenses {
    allow: Option<Vec<Spanned<String>>>,
    disallowed: Option<Spanned<String>>,
    unlicensed: Option<Spanned<String>>,
    change: Option<Spanned<String>>,
    include_unpublished: Option<bool>,
    #[serde(default)]
    clarify: Vec<Spanned<RawClarification>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOwnership {
    change: Option<Spanned<String>>,
    lookalike: Option<Spanned<String>>,
    requests_per_second: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSources {
    allow_registries: Option<Vec<Spanned<String>>>,
    allow_git: Option<Vec<Spanned<String>>>,
    unknown: Option<Spanned<String>>,
}

/// What makes two exemptions the same: advisory (case-insensitive), crate, version, kind.
type ExemptionIdentity = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<FindingKind>,
);

/// Validation context: the file, its text, and where each of its lines starts.
struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
    /// Byte offset of the start of each line, so that a line number is a binary search
    /// (a policy with 80,000 exemptions must not rescan the text for each).
    line_starts: Vec<usize>,
}

impl Validator<'_> {
    fn new<'a>(path: &'a Path, text: &'a str) -> Validator<'a> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        Validator {
            path,
            text,
            line_starts,
        }
    }

    fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> PolicyError {
        PolicyError::at(self.path, self.text, span, Some(key.to_owned()), message)
    }

    /// The 1-based line where `span` starts.
    fn line_of(&self, span: &Range<usize>) -> usize {
        let start = span.start.min(self.text.len());
        self.line_starts
            .partition_point(|&line_start| line_start <= start)
    }

    fn level(
        &self,
        value: &Option<Spanned<String>>,
        key: &str,
        default: Level,
    ) -> Result<Level, PolicyError> {
        let Some(value) = value else {
            return Ok(default);
        };
        match value.get_ref().as_str() {
            "deny" => Ok(Level::Deny),
            "warn" => Ok(Level::Warn),
            "allow" => Ok(Level::Allow),
            other => Err(self.error(
                value.span(),
                key,
                format!("unknown level \"{other}\", expected \"deny\", \"warn\" or \"allow\""),
            )),
        }
    }

    fn license_id(&self, value: &Spanned<String>, key: &str) -> Result<String, PolicyError> {
        let text = value.get_ref().trim();
        match spdx::Licensee::parse_mode(text, crate::policy::expression::ALLOW_ENTRY_MODE) {
            Ok(_) => Ok(text.to_owned()),
            Err(error) => Err(self.error(
                value.span(),
                key,
                format!(
                    "\"{text}\" is not an SPDX license id (optionally `WITH` an exception): {}",
                    error.reason
                ),
            )),
        }
    }

    fn version_req(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<semver::VersionReq, PolicyError> {
        semver::VersionReq::parse(value.get_ref()).map_err(|error| {
            self.error(
                value.span(),
                key,
                format!(
                    "\"{}\" is not a semver requirement: {error}",
                    value.get_ref()
                ),
            )
        })
    }

    fn date(&self, value: &Spanned<toml::Value>, key: &str) -> Result<Date, PolicyError> {
        let text = match value.get_ref() {
            toml::Value::String(text) => text.clone(),
            toml::Value::Datetime(datetime)
                if datetime.time.is_none() && datetime.offset.is_none() =>
            {
                datetime.to_string()
            }
            other => {
                return Err(self.error(
                    value.span(),
                    key,
                    format!("expected a date \"YYYY-MM-DD\", found {}", other.type_str()),
                ));
            }
        };
        text.parse::<Date>()
            .map_err(|error| self.error(value.span(), key, error.to_string()))
    }

    /// A duration of weeks, days, hours or minutes (`"3d"`, `"36h"`), not negative.
    fn duration(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<jiff::SignedDuration, PolicyError> {
        crate::support::date::parse_duration(value.get_ref()).ok_or_else(|| {
            self.error(
                value.span(),
                key,
                format!(
                    "\"{}\" is not a duration: expected weeks, days, hours or minutes such as \"3d\", \"36h\" or \"2w\"",
                    value.get_ref()
                ),
            )
        })
    }

    fn non_empty(&self, value: &Spanned<String>, key: &str) -> Result<String, PolicyError> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.error(value.span(), key, "must not be empty"));
        }
        Ok(text.to_owned())
    }
}

/// Parses and validates policy text read from `path`. `today` bounds `max-exemption-days`.
pub fn parse_policy(text: &str, path: &Path, today: Date) -> Result<Policy, PolicyError> {
    let raw: RawPolicy =
        toml::from_str(text).map_err(|error| PolicyError::from_toml(path, text, &error))?;
    let check = Validator::new(path, text);
    let defaults = Policy::default();

    let unchecked = check.level(&raw.unchecked, "unchecked", defaults.unchecked)?;
    let max_exemption_days = match &raw.max_exemption_days {
        None => None,
        Some(days) if *days.get_ref() >= 1 && *days.get_ref() <= 36_500 => {
            Some(*days.get_ref() as u32)
        }
        Some(days) => {
            return Err(check.error(
                days.span(),
                "max-exemption-days",
                "expected a number of days from 1 to 36500",
            ));
        }
    };
    let exemption_warning_days = match &raw.exemption_warning_days {
        None => defaults.exemption_warning_days,
        Some(days) if (0..=3650).contains(days.get_ref()) => *days.get_ref() as u32,
        Some(days) => {
            return Err(check.error(
                days.span(),
                "exemption-warning-days",
                "expected a number of days from 0 to 3650",
            ));
        }
    };

    let raw_advisories = &raw.advisories;
    let advisories = AdvisoryPolicy {
        vulnerability: check.level(
            &raw_advisories.vulnerability,
            "advisories.vulnerability",
            defaults.advisories.vulnerability,
        )?,
        unmaintained: check.level(
            &raw_advisories.unmaintained,
            "advisories.unmaintained",
            defaults.advisories.unmaintained,
        )?,
        unsound: check.level(
            &raw_advisories.unsound,
            "advisories.unsound",
            defaults.advisories.unsound,
        )?,
        notice: check.level(
            &raw_advisories.notice,
            "advisories.notice",
            defaults.advisories.notice,
        )?,
        yanked: check.level(
            &raw_advisories.yanked,
            "advisories.yanked",
            defaults.advisories.yanked,
        )?,
        deleted: check.level(
            &raw_advisories.deleted,
            "advisories.deleted",
            defaults.advisories.deleted,
        )?,
        db_url: match &raw_advisories.db_url {
            Some(url) => check.non_empty(url, "advisories.db-url")?,
            None => defaults.advisories.db_url.clone(),
        },
        max_db_age: match &raw_advisories.max_db_age {
            Some(age) => age.get_ref().parse::<Days>().map_err(|error| {
                check.error(age.span(), "advisories.max-db-age", error.to_string())
            })?,
            None => defaults.advisories.max_db_age,
        },
    };

    let raw_licenses = &raw.licenses;
    let allow = match &raw_licenses.allow {
        Some(ids) => ids
            .iter()
            .map(|id| check.license_id(id, "licenses.allow"))
            .collect::<Result<Vec<_>, _>>()?,
        None => defaults.licenses.allow.clone(),
    };
    let clarify = raw_licenses
        .clarify
        .iter()
        .map(|entry| clarification(&check, entry))
        .collect::<Result<Vec<_>, _>>()?;
    let licenses = LicensePolicy {
        allow,
        disallowed: check.level(
            &raw_licenses.disallowed,
            "licenses.disallowed",
            defaults.licenses.disallowed,
        )?,
        unlicensed: check.level(
            &raw_licenses.unlicensed,
            "licenses.unlicensed",
            defaults.licenses.unlicensed,
        )?,
        change: check.level(
            &raw_licenses.change,
            "licenses.change",
            defaults.licenses.change,
        )?,
        include_unpublished: raw_licenses
            .include_unpublished
            .unwrap_or(defaults.licenses.include_unpublished),
        clarify,
    };

    let ownership = OwnershipPolicy {
        change: check.level(
            &raw.ownership.change,
            "ownership.change",
            defaults.ownership.change,
        )?,
        lookalike: check.level(
            &raw.ownership.lookalike,
            "ownership.lookalike",
            defaults.ownership.lookalike,
        )?,
        requests_per_second: match &raw.ownership.requests_per_second {
            Some(rate)
                if *rate.get_ref() > 0.0
                    && rate.get_ref().is_finite()
                    && *rate.get_ref() <= 100.0 =>
            {
                *rate.get_ref()
            }
            Some(rate) => {
                return Err(check.error(
                    rate.span(),
                    "ownership.requests-per-second",
                    "expected a number of requests per second above 0 and at most 100",
                ));
            }
            None => defaults.ownership.requests_per_second,
        },
    };

    let sources = SourcePolicy {
        allow_registries: match &raw.sources.allow_registries {
            Some(names) => names
                .iter()
                .map(|name| check.non_empty(name, "sources.allow-registries"))
                .collect::<Result<_, _>>()?,
            None => defaults.sources.allow_registries.clone(),
        },
        allow_git: match &raw.sources.allow_git {
            Some(prefixes) => prefixes
                .iter()
                .map(|prefix| check.non_empty(prefix, "sources.allow-git"))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        },
        unknown: check.level(
            &raw.sources.unknown,
            "sources.unknown",
            defaults.sources.unknown,
        )?,
    };

    let releases = ReleasePolicy {
        min_age: match &raw.releases.min_age {
            Some(age) => check.duration(age, "releases.min-age")?,
            None => defaults.releases.min_age,
        },
        fresh: check.level(
            &raw.releases.fresh,
            "releases.fresh",
            defaults.releases.fresh,
        )?,
        yank_lure: check.level(
            &raw.releases.yank_lure,
            "releases.yank-lure",
            defaults.releases.yank_lure,
        )?,
    };
    let raw_baseline = &raw.baseline;
    let baseline = BaselinePolicy {
        new_crate: check.level(
            &raw_baseline.new_crate,
            "baseline.new-crate",
            defaults.baseline.new_crate,
        )?,
        build_code: check.level(
            &raw_baseline.build_code,
            "baseline.build-code",
            defaults.baseline.build_code,
        )?,
        lookalike: check.level(
            &raw_baseline.lookalike,
            "baseline.lookalike",
            defaults.baseline.lookalike,
        )?,
        typosquat: check.level(
            &raw_baseline.typosquat,
            "baseline.typosquat",
            defaults.baseline.typosquat,
        )?,
        mismatch: check.level(
            &raw_baseline.mismatch,
            "baseline.mismatch",
            defaults.baseline.mismatch,
        )?,
        lookalike_max_age: match &raw_baseline.lookalike_max_age {
            Some(age) => check.duration(age, "baseline.lookalike-max-age")?,
            None => defaults.baseline.lookalike_max_age,
        },
    };
    let raw_code = &raw.code;
    let code = CodePolicy {
        build_capability: check.level(
            &raw_code.build_capability,
            "code.build-capability",
            defaults.code.build_capability,
        )?,
        library_capability: check.level(
            &raw_code.library_capability,
            "code.library-capability",
            defaults.code.library_capability,
        )?,
        binary_added: check.level(
            &raw_code.binary_added,
            "code.binary-added",
            defaults.code.binary_added,
        )?,
        binary_shipped: check.level(
            &raw_code.binary_shipped,
            "code.binary-shipped",
            defaults.code.binary_shipped,
        )?,
        allow: raw_code
            .allow
            .iter()
            .map(|entry| code_allowance(&check, entry))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let bans = raw
        .bans
        .iter()
        .map(|entry| ban(&check, entry))
        .collect::<Result<Vec<_>, _>>()?;

    let mut exemptions = Vec::new();
    let mut seen: HashMap<ExemptionIdentity, usize> = HashMap::new();
    for entry in &raw.exemptions {
        let exemption = exemption(&check, entry, max_exemption_days, today)?;
        let identity = (
            exemption
                .advisory
                .as_ref()
                .map(|id| id.to_ascii_uppercase()),
            exemption.crate_name.clone(),
            exemption.version.as_ref().map(ToString::to_string),
            exemption.kind,
        );
        if let Some(first_line) = seen.get(&identity) {
            return Err(check.error(
                entry.span(),
                "exemption",
                format!("duplicate exemption: it matches the same findings as the exemption at line {first_line}"),
            ));
        }
        seen.insert(identity, exemption.line);
        exemptions.push(exemption);
    }

    Ok(Policy {
        path: Some(path.to_path_buf()),
        unchecked,
        max_exemption_days,
        exemption_warning_days,
        advisories,
        licenses,
        ownership,
        sources,
        releases,
        baseline,
        code,
        bans,
        exemptions,
    })
}

#[cfg(test)]
mod tests;
