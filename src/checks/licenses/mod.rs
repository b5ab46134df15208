//! The license check: every package's SPDX expression must be satisfiable by `[licenses] allow`
//! (`license`), a package must declare a license (`unlicensed`), and a registry crate's license
//! must be the one the baseline accepted (`license-change`).
//!
//! A `[[licenses.clarify]]` entry states the license of a crate whose manifest does not say it
//! usably; it applies only while the crate's license files have the SHA-256 it gives. License
//! files are read only inside the crate's directory (after following symbolic links), only if
//! they are regular files of at most `MAX_LICENSE_FILE` bytes: a path that leaves the crate is
//! never read, and the hash of a file outside the crate is never printed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::facts::crates::license_files::hash_in_crate;
use crate::finding::{Finding, FindingKind};
use crate::load::baseline::{self, Baseline};
use crate::load::graph::{DependencyGraph, Package};
use crate::policy::expression::{self, AllowList, canonical, same_license};
use crate::policy::{Clarification, LicensePolicy};
use crate::support::files::escapes_crate_dir;

/// The fix for a workspace member that declares no license the policy can evaluate (a member
/// with `publish = false` is not checked): what a fresh `cargo new` project needs.
pub const MEMBER_LICENSE_FIX: &str = "to fix it, add `license = \"…\"` (its SPDX expression, e.g. \"MIT OR Apache-2.0\") to the [package] table of its Cargo.toml, or `publish = false` if it is never published (unpublished members are not checked)";

/// The license a package declares, as the check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Declared<'a> {
    /// An expression to evaluate: the manifest's, or a clarification's.
    Expression {
        /// The expression's text.
        text: &'a str,
        /// The policy line of the clarification that stated it, if one did.
        clarified_at: Option<usize>,
    },
    /// No license the policy can evaluate; why, in a sentence.
    Unlicensed(String),
}

/// Whether the license check looks at a package: every package except workspace members with
/// `publish = false`, unless `include-unpublished` is set.
pub fn is_checked(package: &Package, policy: &LicensePolicy) -> bool {
    policy.include_unpublished || !package.is_member || package.publishable
}

/// The SHA-256 of `relative` inside a package: from the hashes recorded for it (a graph read
/// from `Cargo.lock`), else from its directory (`hash_in_crate`).
fn hash_of(package: &Package, relative: &str) -> Result<String, String> {
    let Some(recorded) = &package.file_hashes else {
        return hash_in_crate(
            package.manifest_path.parent().unwrap_or(Path::new("")),
            relative,
        );
    };
    if let Some(what) = escapes_crate_dir(relative) {
        return Err(format!(
            "is {what}; license files are read only inside the crate's directory"
        ));
    }
    recorded
        .get(relative)
        .cloned()
        .ok_or_else(|| "cannot be read: it is not a regular file of the crate".to_owned())
}

/// Why a clarification does not apply to a package, when it names the package.
fn clarification_mismatch(package: &Package, clarification: &Clarification) -> Option<String> {
    for file in &clarification.license_files {
        match hash_of(package, &file.path) {
            Ok(hash) if hash == file.sha256 => {}
            Ok(hash) => {
                return Some(format!(
                    "{} has SHA-256 {hash}, not the {} the entry gives",
                    file.path, file.sha256
                ));
            }
            Err(why) => return Some(format!("{} {why}", file.path)),
        }
    }
    None
}

/// A package's `license-file` as a path inside its directory, as reports name it.
pub fn license_file_relative(package: &Package) -> Option<String> {
    let dir = package.manifest_path.parent().unwrap_or(Path::new(""));
    let file = package.license_file.as_ref()?;
    Some(file.strip_prefix(dir).unwrap_or(file).display().to_string())
}

/// The license a package declares, with the policy's clarifications applied.
pub fn declared<'a>(package: &'a Package, clarifications: &'a [Clarification]) -> Declared<'a> {
    let mut mismatches = Vec::new();
    for clarification in clarifications
        .iter()
        .filter(|clarification| clarification.applies_to(&package.name, &package.version))
    {
        match clarification_mismatch(package, clarification) {
            None => {
                return Declared::Expression {
                    text: &clarification.expression,
                    clarified_at: Some(clarification.line),
                };
            }
            Some(why) => mismatches.push(format!(
                "the [[licenses.clarify]] entry at line {} does not apply: {why}",
                clarification.line
            )),
        }
    }
    if let Some(license) = package
        .license
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        return Declared::Expression {
            text: license,
            clarified_at: None,
        };
    }
    let mut reason = match license_file_relative(package) {
        Some(relative) => {
            let mut reason = format!(
                "declares only a license file ({relative}), whose license no [[licenses.clarify]] entry states"
            );
            if mismatches.is_empty()
                && let Ok(hash) = hash_of(package, &relative)
            {
                reason.push_str(&format!(
                    "; to accept it, add [[licenses.clarify]] with crate = \"{}\", expression = \"<its SPDX expression>\" and license-files = [{{ path = \"{relative}\", sha256 = \"{hash}\" }}]",
                    package.name
                ));
            }
            reason
        }
        None => "declares no license (neither `license` nor `license-file`)".to_owned(),
    };
    for mismatch in mismatches {
        reason.push_str("; ");
        reason.push_str(&mismatch);
    }
    if package.is_member {
        reason.push_str("; ");
        reason.push_str(MEMBER_LICENSE_FIX);
    }
    Declared::Unlicensed(reason)
}

/// The license check over the graph: `license`, `unlicensed` and, with a baseline,
/// `license-change` findings.
pub fn check(
    graph: &DependencyGraph,
    policy: &LicensePolicy,
    baseline: Option<&Baseline>,
) -> Vec<Finding> {
    let allow = AllowList::new(&policy.allow);
    let mut findings = Vec::new();
    for package in graph.packages() {
        if is_checked(package, policy) {
            findings.extend(check_allowed(package, policy, &allow));
        }
        if let Some(baseline) = baseline {
            findings.extend(check_change(package, baseline));
        }
    }
    findings
}

fn check_allowed(package: &Package, policy: &LicensePolicy, allow: &AllowList) -> Option<Finding> {
    let (text, clarified_at) = match declared(package, &policy.clarify) {
        Declared::Expression { text, clarified_at } => (text.trim(), clarified_at),
        Declared::Unlicensed(reason) => {
            return Some(Finding::for_package(
                FindingKind::Unlicensed,
                package.to_ref(),
                reason,
            ));
        }
    };
    let stated = match clarified_at {
        Some(line) => format!(" (stated by the [[licenses.clarify]] entry at line {line})"),
        None => String::new(),
    };
    let message = match expression::parse(text) {
        Err(error) => format!(
            "license \"{text}\"{stated} is not a valid SPDX expression: {}",
            error.reason
        ),
        Ok(parsed) => match allow.evaluate(&parsed) {
            Ok(()) => return None,
            Err(_) if parsed.requirements().count() == 1 => {
                format!("license \"{text}\"{stated} is not in licenses.allow")
            }
            Err(refused) => format!(
                "license \"{text}\"{stated} is not satisfied by licenses.allow (not allowed: {})",
                refused.join(", ")
            ),
        },
    };
    let mut finding = Finding::for_package(FindingKind::License, package.to_ref(), message);
    finding.license = Some(canonical(text));
    Some(finding)
}

fn check_change(package: &Package, baseline: &Baseline) -> Option<Finding> {
    let source = baseline::source_key(package)?;
    let accepted = baseline
        .crate_record(&package.name, &source)?
        .accepted_for(&package.version)?;
    let before = accepted.record.license.as_deref();
    let after = package.license.as_deref();
    if same_license(before, after) {
        return None;
    }
    let describe = |license: Option<&str>| match license {
        Some(text) => format!("\"{}\"", text.trim()),
        None => "no license".to_owned(),
    };
    let mut finding = Finding::for_package(
        FindingKind::LicenseChange,
        package.to_ref(),
        format!(
            "license changed from {} (accepted for {}) to {}; once reviewed, accept it with `cargo trustcheck baseline --accept {}`",
            describe(before),
            accepted.version,
            describe(after),
            package.name
        ),
    );
    finding.license = after.map(canonical);
    Some(finding)
}

/// Which licenses the checked packages of a graph use, for writing a first allow list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Crate names by `allow` entry (an SPDX id, optionally `WITH` an exception).
    pub by_license: BTreeMap<String, BTreeSet<String>>,
    /// Crates that declare no license the policy can evaluate.
    pub unlicensed: BTreeSet<String>,
    /// The workspace members among them.
    pub unlicensed_members: BTreeSet<String>,
    /// Crates whose license is not a valid SPDX expression.
    pub invalid: BTreeSet<String>,
    /// Crates whose (valid) license the policy's allow list does not satisfy.
    pub not_allowed: BTreeSet<String>,
}

/// The licenses the packages checked under `policy` use.
pub fn usage(graph: &DependencyGraph, policy: &LicensePolicy) -> Usage {
    let allow = AllowList::new(&policy.allow);
    let mut usage = Usage::default();
    for package in graph
        .packages()
        .iter()
        .filter(|package| is_checked(package, policy))
    {
        match declared(package, &policy.clarify) {
            Declared::Unlicensed(_) => {
                usage.unlicensed.insert(package.name.clone());
                if package.is_member {
                    usage.unlicensed_members.insert(package.name.clone());
                }
            }
            Declared::Expression { text, .. } => match expression::parse(text) {
                Ok(parsed) => {
                    if allow.evaluate(&parsed).is_err() {
                        usage.not_allowed.insert(package.name.clone());
                    }
                    for entry in expression::allow_entries(&parsed) {
                        usage
                            .by_license
                            .entry(entry)
                            .or_default()
                            .insert(package.name.clone());
                    }
                }
                Err(_) => {
                    usage.invalid.insert(package.name.clone());
                }
            },
        }
    }
    usage
}

#[cfg(test)]
mod tests;
