//! The policy's array entries, `[[ban]]`, `[[exemption]]` and `[[licenses.clarify]]`: their
//! raw shapes and their validation, each error at the entry's line and column.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawBan {
    #[serde(rename = "crate")]
    pub(super) crate_name: Option<Spanned<String>>,
    pub(super) version: Option<Spanned<String>>,
    pub(super) reason: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawClarification {
    #[serde(rename = "crate")]
    pub(super) crate_name: Spanned<String>,
    pub(super) version: Option<Spanned<String>>,
    pub(super) expression: Spanned<String>,
    #[serde(default)]
    pub(super) license_files: Vec<Spanned<RawClarifiedFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawClarifiedFile {
    pub(super) path: Spanned<String>,
    pub(super) sha256: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawExemption {
    pub(super) advisory: Option<Spanned<String>>,
    #[serde(rename = "crate")]
    pub(super) crate_name: Option<Spanned<String>>,
    pub(super) version: Option<Spanned<String>>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) reason: Option<Spanned<String>>,
    pub(super) expires: Option<Spanned<toml::Value>>,
}

pub(super) fn ban(check: &Validator<'_>, entry: &Spanned<RawBan>) -> Result<Ban, PolicyError> {
    let raw = entry.get_ref();
    let Some(crate_name) = &raw.crate_name else {
        return Err(check.error(
            entry.span(),
            "ban",
            "a ban needs a `crate`: the crate that must not be in the graph",
        ));
    };
    let Some(reason) = &raw.reason else {
        return Err(check.error(
            entry.span(),
            "ban",
            "a ban needs a `reason`: say why the crate must not be used",
        ));
    };
    Ok(Ban {
        crate_name: check.non_empty(crate_name, "ban.crate")?,
        version: raw
            .version
            .as_ref()
            .map(|req| check.version_req(req, "ban.version"))
            .transpose()?,
        reason: check.non_empty(reason, "ban.reason")?,
        line: check.line_of(&entry.span()),
    })
}

pub(super) fn exemption(
    check: &Validator<'_>,
    entry: &Spanned<RawExemption>,
    max_days: Option<u32>,
    today: Date,
) -> Result<Exemption, PolicyError> {
    let raw = entry.get_ref();
    let line = check.line_of(&entry.span());
    let advisory = raw
        .advisory
        .as_ref()
        .map(|id| check.non_empty(id, "exemption.advisory"))
        .transpose()?;
    let crate_name = raw
        .crate_name
        .as_ref()
        .map(|name| check.non_empty(name, "exemption.crate"))
        .transpose()?;
    if advisory.is_none() && crate_name.is_none() {
        return Err(check.error(
            entry.span(),
            "exemption",
            "an exemption needs `advisory` or `crate` (or both), to say what it exempts",
        ));
    }
    let version = raw
        .version
        .as_ref()
        .map(|req| check.version_req(req, "exemption.version"))
        .transpose()?;
    let kind = match &raw.kind {
        None => None,
        Some(kind) => match kind.get_ref().parse::<FindingKind>() {
            Ok(parsed) if FindingKind::EXEMPTIBLE.contains(&parsed) => Some(parsed),
            _ => {
                let known: Vec<&str> = FindingKind::EXEMPTIBLE
                    .iter()
                    .map(|kind| kind.as_str())
                    .collect();
                return Err(check.error(
                    kind.span(),
                    "exemption.kind",
                    format!(
                        "unknown kind \"{}\", expected one of: {}",
                        kind.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        },
    };
    let reason = match &raw.reason {
        Some(reason) => check.non_empty(reason, "exemption.reason")?,
        None => {
            return Err(check.error(
                entry.span(),
                "exemption",
                "an exemption needs a `reason`: say why the finding is acceptable",
            ));
        }
    };
    let expires = match &raw.expires {
        Some(expires) => {
            let date = check.date(expires, "exemption.expires")?;
            if let Some(max_days) = max_days
                && today.days_until(date) > i64::from(max_days)
            {
                return Err(check.error(
                    expires.span(),
                    "exemption.expires",
                    format!(
                        "expires {date}, more than max-exemption-days ({max_days}) from today ({today}); the latest allowed is {}",
                        today.add_days(i64::from(max_days))
                    ),
                ));
            }
            date
        }
        None => {
            return Err(check.error(
                entry.span(),
                "exemption",
                "an exemption needs an `expires` date (\"YYYY-MM-DD\"), after which it no longer applies",
            ));
        }
    };
    Ok(Exemption {
        advisory,
        crate_name,
        version,
        kind,
        reason,
        expires,
        line,
    })
}

pub(super) fn clarification(
    check: &Validator<'_>,
    entry: &Spanned<RawClarification>,
) -> Result<Clarification, PolicyError> {
    let raw = entry.get_ref();
    let expression = raw.expression.get_ref().trim();
    if let Err(error) = spdx::Expression::parse_mode(expression, spdx::ParseMode::LAX) {
        return Err(check.error(
            raw.expression.span(),
            "licenses.clarify.expression",
            format!(
                "\"{expression}\" is not a valid SPDX expression: {}",
                error.reason
            ),
        ));
    }
    let license_files = raw
        .license_files
        .iter()
        .map(|file| {
            let hash = file.get_ref().sha256.get_ref().trim().to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(check.error(
                    file.get_ref().sha256.span(),
                    "licenses.clarify.license-files.sha256",
                    "expected 64 hexadecimal digits (the file's SHA-256)",
                ));
            }
            let path = &file.get_ref().path;
            if path.get_ref().trim().is_empty() {
                return Err(check.error(
                    path.span(),
                    "licenses.clarify.license-files.path",
                    "must not be empty",
                ));
            }
            if let Some(what) = crate::support::files::escapes_crate_dir(path.get_ref()) {
                return Err(check.error(
                    path.span(),
                    "licenses.clarify.license-files.path",
                    format!(
                        "\"{}\" is {what}: license files are named relative to the crate's root and must stay inside it",
                        crate::support::text::sanitize_terminal(path.get_ref())
                    ),
                ));
            }
            Ok(ClarifiedFile {
                path: path.get_ref().clone(),
                sha256: hash,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Clarification {
        crate_name: check.non_empty(&raw.crate_name, "licenses.clarify.crate")?,
        version: raw
            .version
            .as_ref()
            .map(|req| check.version_req(req, "licenses.clarify.version"))
            .transpose()?,
        expression: expression.to_owned(),
        license_files,
        line: check.line_of(&entry.span()),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCodeAllowance {
    #[serde(rename = "crate")]
    pub(super) crate_name: Option<Spanned<String>>,
    pub(super) version: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) capabilities: Vec<Spanned<String>>,
    pub(super) binaries: Option<bool>,
    pub(super) reason: Option<Spanned<String>>,
    pub(super) expires: Option<Spanned<toml::Value>>,
}

/// A `[[code.allow]]` entry: a crate, the capabilities (or binaries) it is allowed, a reason,
/// and optionally the versions and the last day it applies.
pub(super) fn code_allowance(
    check: &Validator<'_>,
    entry: &Spanned<RawCodeAllowance>,
) -> Result<CodeAllowance, PolicyError> {
    let raw = entry.get_ref();
    let Some(crate_name) = &raw.crate_name else {
        return Err(check.error(
            entry.span(),
            "code.allow",
            "a [[code.allow]] entry needs `crate`",
        ));
    };
    let Some(reason) = &raw.reason else {
        return Err(check.error(
            entry.span(),
            "code.allow",
            "a [[code.allow]] entry needs a `reason`: say why the crate needs what it is allowed",
        ));
    };
    let mut capabilities = Vec::new();
    for capability in &raw.capabilities {
        match capability
            .get_ref()
            .parse::<crate::facts::code::Capability>()
        {
            Ok(parsed) => capabilities.push(parsed),
            Err(()) => {
                let known: Vec<&str> = crate::facts::code::Capability::ALL
                    .iter()
                    .map(|capability| capability.as_str())
                    .collect();
                return Err(check.error(
                    capability.span(),
                    "code.allow.capabilities",
                    format!(
                        "unknown capability \"{}\", expected one of: {}",
                        capability.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    let binaries = raw.binaries.unwrap_or(false);
    if capabilities.is_empty() && !binaries {
        return Err(check.error(
            entry.span(),
            "code.allow",
            "a [[code.allow]] entry allows nothing: give `capabilities = [...]` or `binaries = true`",
        ));
    }
    Ok(CodeAllowance {
        crate_name: check.non_empty(crate_name, "code.allow.crate")?,
        version: raw
            .version
            .as_ref()
            .map(|req| check.version_req(req, "code.allow.version"))
            .transpose()?,
        capabilities,
        binaries,
        reason: check.non_empty(reason, "code.allow.reason")?,
        expires: raw
            .expires
            .as_ref()
            .map(|expires| check.date(expires, "code.allow.expires"))
            .transpose()?,
        line: check.line_of(&entry.span()),
    })
}
