//! `trustcheck.lock` on disk: rendered by hand so that its layout is stable and its diffs are
//! small (one crate per table, one version per line, everything sorted), and parsed with spans
//! so that every error names `path:line:column` and the key.
//!
//! Text from registries (logins, licenses) is written with every control and invisible
//! formatting character escaped (`\u202E`), so that a review of the file's diff sees what it
//! holds. A file with merge-conflict markers is refused before TOML parsing, at the first
//! marker; `conflict_sides` recovers both sides so that `baseline` can merge their records.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Baseline, BaselineError, CodeRecord, CrateRecord, FORMAT_VERSION, Owner, OwnerKind, Publisher,
    VersionRecord,
};
use crate::facts::code::{Capability, Role};
use crate::load::graph::BuildCode;

/// The comment atop every baseline file.
const HEADER: &str = "\
# trustcheck.lock: the supply-chain baseline of this workspace, written by cargo-trustcheck.
#
# It records what was accepted for each registry crate: its license, its owners, the account
# that published each locked version, and what each version's code can do (per role: build
# script, proc-macro, library) and the binaries it ships. `cargo trustcheck check` reports what
# differs from it (license-change, owner-change, publisher-change, build-capability,
# binary-added), and a line that is not what the crate is (baseline-mismatch).
# Do not edit it by hand: update it with `cargo trustcheck baseline` (the whole graph) or
# `cargo trustcheck baseline --accept CRATE` (one crate), and review its diff like code.
";

/// Renders the baseline: byte for byte the same for the same baseline.
pub fn render(baseline: &Baseline) -> String {
    let mut out = String::from(HEADER);
    let _ = writeln!(out, "format-version = {FORMAT_VERSION}");
    for ((name, source), record) in &baseline.crates {
        out.push_str("\n[[crate]]\n");
        let _ = writeln!(out, "name = {}", string(name));
        let _ = writeln!(out, "source = {}", string(source));
        if let Some(owners) = &record.owners {
            let mut owners = owners.clone();
            owners.sort_by(|a, b| (&a.login, a.id, a.kind).cmp(&(&b.login, b.id, b.kind)));
            let lines = owners.iter().map(|owner| {
                format!(
                    "{{ id = {}, login = {}, kind = {} }}",
                    owner.id,
                    string(&owner.login),
                    string(owner.kind.as_str())
                )
            });
            write_array(&mut out, "owners", lines);
        }
        let lines = record.versions.iter().map(|(version, entry)| {
            let mut line = format!("{{ version = {}", string(&version.to_string()));
            if let Some(license) = &entry.license {
                let _ = write!(line, ", license = {}", string(license));
            }
            if let Some(code) = entry.build_code {
                let _ = write!(line, ", build = {}", build_text(code));
            }
            match &entry.published_by {
                Some(Publisher::Account { id, login }) => {
                    let _ = write!(
                        line,
                        ", published-by = {{ id = {id}, login = {} }}",
                        string(login)
                    );
                }
                Some(Publisher::TrustedPublishing { repository }) => {
                    let _ = write!(
                        line,
                        ", published-by = {{ trusted-publishing = {} }}",
                        string(repository)
                    );
                }
                None => {}
            }
            if let Some(code) = &entry.code {
                let _ = write!(line, ", code = {}", code_text(code));
            }
            line.push_str(" }");
            line
        });
        write_array(&mut out, "versions", lines);
    }
    out
}

fn write_array(out: &mut String, key: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        let _ = writeln!(out, "{key} = []");
        return;
    }
    let _ = writeln!(out, "{key} = [");
    for item in items {
        let _ = writeln!(out, "    {item},");
    }
    out.push_str("]\n");
}

/// A TOML basic string.
fn string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if is_hidden(c) => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Whether a character is written escaped: controls, and the invisible formatting characters
/// that make text read differently from what it is (bidirectional embeddings, overrides and
/// isolates, zero-width characters, the byte-order mark, and their kin).
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// The merge-conflict markers git writes at line starts: ours, base (diff3), separator, theirs.
const MARKERS: [&str; 4] = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"];

/// Which conflict marker a line is, if any: one of `MARKERS` followed by a space or nothing.
fn marker(line: &str) -> Option<&'static str> {
    let line = line.trim_end_matches(['\n', '\r']);
    MARKERS.into_iter().find(|marker| {
        line.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

/// The byte offset of the first conflict marker, if the text has one.
fn first_marker(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if marker(line).is_some() {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The two sides of a file with merge conflicts: ("ours", "theirs"), each the text outside
/// the conflicts plus that side of every conflict (the diff3 base section is dropped). `None`
/// when the text has no conflict or its markers do not nest as git writes them.
pub fn conflict_sides(text: &str) -> Option<(String, String)> {
    #[derive(PartialEq)]
    enum State {
        Outside,
        Ours,
        Base,
        Theirs,
    }
    let (mut ours, mut theirs) = (String::new(), String::new());
    let mut state = State::Outside;
    let mut conflicts = 0;
    for line in text.split_inclusive('\n') {
        state = match (state, marker(line)) {
            (State::Outside, Some("<<<<<<<")) => {
                conflicts += 1;
                State::Ours
            }
            (State::Ours, Some("|||||||")) => State::Base,
            (State::Ours | State::Base, Some("=======")) => State::Theirs,
            (State::Theirs, Some(">>>>>>>")) => State::Outside,
            (_, Some(_)) => return None,
            (State::Outside, None) => {
                ours.push_str(line);
                theirs.push_str(line);
                State::Outside
            }
            (State::Ours, None) => {
                ours.push_str(line);
                State::Ours
            }
            (State::Base, None) => State::Base,
            (State::Theirs, None) => {
                theirs.push_str(line);
                State::Theirs
            }
        };
    }
    (state == State::Outside && conflicts > 0).then_some((ours, theirs))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawBaseline {
    format_version: Option<Spanned<i64>>,
    #[serde(default, rename = "crate")]
    crates: Vec<Spanned<RawCrate>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCrate {
    name: Spanned<String>,
    source: Spanned<String>,
    owners: Option<Vec<Spanned<RawOwner>>>,
    versions: Vec<Spanned<RawVersion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOwner {
    id: u64,
    login: String,
    kind: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVersion {
    version: Spanned<String>,
    license: Option<String>,
    build: Option<Vec<Spanned<String>>>,
    published_by: Option<Spanned<RawPublisher>>,
    code: Option<RawCode>,
}

/// A version's `code`: its capabilities per role, and its binaries.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCode {
    build: Option<BTreeSet<Capability>>,
    proc_macro: Option<BTreeSet<Capability>>,
    library: Option<BTreeSet<Capability>>,
    binaries: Option<BTreeSet<String>>,
}

impl RawCode {
    fn record(&self) -> CodeRecord {
        let capabilities = [
            (Role::Build, &self.build),
            (Role::ProcMacro, &self.proc_macro),
            (Role::Library, &self.library),
        ]
        .into_iter()
        .filter_map(|(role, capabilities)| {
            capabilities
                .as_ref()
                .filter(|capabilities| !capabilities.is_empty())
                .map(|capabilities| (role, capabilities.clone()))
        })
        .collect();
        CodeRecord {
            capabilities,
            binaries: self.binaries.clone().unwrap_or_default(),
        }
    }
}

/// The `code` of a version record: `{ build = ["network"], binaries = ["lib/x.so"] }`, only
/// what it has (`{}`: nothing to record).
fn code_text(code: &CodeRecord) -> String {
    let mut parts: Vec<String> = code
        .capabilities
        .iter()
        .filter(|(_, capabilities)| !capabilities.is_empty())
        .map(|(role, capabilities)| {
            let names: Vec<String> = capabilities
                .iter()
                .map(|capability| string(capability.as_str()))
                .collect();
            format!("{} = [{}]", role.as_str(), names.join(", "))
        })
        .collect();
    if !code.binaries.is_empty() {
        let paths: Vec<String> = code.binaries.iter().map(|path| string(path)).collect();
        parts.push(format!("binaries = [{}]", paths.join(", ")));
    }
    if parts.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", parts.join(", "))
    }
}

/// The `build` of a version record: `[]`, `["script"]`, `["proc-macro"]` or both.
fn build_code(
    parts: &[Spanned<String>],
    error: &impl Fn(Range<usize>, &str, String) -> BaselineError,
) -> Result<BuildCode, BaselineError> {
    let mut code = BuildCode::default();
    for part in parts {
        match part.get_ref().as_str() {
            "script" => code.build_script = true,
            "proc-macro" => code.proc_macro = true,
            other => {
                return Err(error(
                    part.span(),
                    "crate.versions.build",
                    format!(
                        "unknown build code \"{other}\", expected \"script\" or \"proc-macro\""
                    ),
                ));
            }
        }
    }
    Ok(code)
}

/// The `build` array of a version record.
fn build_text(code: BuildCode) -> String {
    let parts: Vec<String> = code
        .parts()
        .iter()
        .map(|part| format!("\"{part}\""))
        .collect();
    format!("[{}]", parts.join(", "))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPublisher {
    id: Option<u64>,
    login: Option<String>,
    trusted_publishing: Option<String>,
}

/// Parses baseline text read from `path`. Merge-conflict markers, unknown keys, duplicate
/// entries, invalid versions and an unknown `format-version` are errors.
pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
    if let Some(offset) = first_marker(text) {
        return Err(BaselineError::at(
            path,
            text,
            offset..offset + 7,
            None,
            "unresolved merge conflict: the file still has git's conflict markers; `cargo trustcheck baseline` rewrites it from the dependency graph",
        ));
    }
    let raw: RawBaseline =
        toml::from_str(text).map_err(|error| BaselineError::from_toml(path, text, &error))?;
    let error = |span: Range<usize>, key: &str, message: String| {
        BaselineError::at(path, text, span, Some(key.to_owned()), message)
    };
    match &raw.format_version {
        None => {
            return Err(error(
                0..0,
                "format-version",
                format!("missing `format-version = {FORMAT_VERSION}`: is this a trustcheck.lock?"),
            ));
        }
        Some(version) if *version.get_ref() != FORMAT_VERSION => {
            return Err(error(
                version.span(),
                "format-version",
                format!(
                    "unsupported format version {}; this cargo-trustcheck reads version {FORMAT_VERSION} (a newer cargo-trustcheck wrote this file?)",
                    version.get_ref()
                ),
            ));
        }
        Some(_) => {}
    }

    let mut baseline = Baseline::default();
    for entry in raw.crates {
        let raw_crate = entry.get_ref();
        let name = raw_crate.name.get_ref().trim();
        if name.is_empty() {
            return Err(error(
                raw_crate.name.span(),
                "crate.name",
                "must not be empty".to_owned(),
            ));
        }
        let source = raw_crate.source.get_ref().trim();
        if source.is_empty() {
            return Err(error(
                raw_crate.source.span(),
                "crate.source",
                "must not be empty".to_owned(),
            ));
        }
        let key = (name.to_owned(), source.to_owned());
        if baseline.crates.contains_key(&key) {
            return Err(error(
                entry.span(),
                "crate",
                format!("duplicate entry for crate `{name}` from {source}"),
            ));
        }
        let owners = match &raw_crate.owners {
            None => None,
            Some(raw_owners) => Some(
                raw_owners
                    .iter()
                    .map(|owner| {
                        let raw_owner = owner.get_ref();
                        let kind = match raw_owner.kind.get_ref().as_str() {
                            "user" => OwnerKind::User,
                            "team" => OwnerKind::Team,
                            other => {
                                return Err(error(
                                    raw_owner.kind.span(),
                                    "crate.owners.kind",
                                    format!("unknown owner kind \"{other}\", expected \"user\" or \"team\""),
                                ));
                            }
                        };
                        Ok(Owner {
                            id: raw_owner.id,
                            login: raw_owner.login.clone(),
                            kind,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let mut versions = BTreeMap::new();
        for version in &raw_crate.versions {
            let raw_version = version.get_ref();
            let number = raw_version
                .version
                .get_ref()
                .parse::<semver::Version>()
                .map_err(|parse_error| {
                    error(
                        raw_version.version.span(),
                        "crate.versions.version",
                        format!(
                            "\"{}\" is not a semver version: {parse_error}",
                            raw_version.version.get_ref()
                        ),
                    )
                })?;
            let published_by = match &raw_version.published_by {
                None => None,
                Some(publisher) => Some(match publisher.get_ref() {
                    RawPublisher {
                        id: Some(id),
                        login: Some(login),
                        trusted_publishing: None,
                    } => Publisher::Account {
                        id: *id,
                        login: login.clone(),
                    },
                    RawPublisher {
                        id: None,
                        login: None,
                        trusted_publishing: Some(repository),
                    } => Publisher::TrustedPublishing {
                        repository: repository.clone(),
                    },
                    _ => {
                        return Err(error(
                            publisher.span(),
                            "crate.versions.published-by",
                            "expected `{ id = N, login = \"...\" }` or `{ trusted-publishing = \"github:owner/repo\" }`".to_owned(),
                        ));
                    }
                }),
            };
            let build_code = match &raw_version.build {
                None => None,
                Some(parts) => Some(build_code(parts, &error)?),
            };
            let record = VersionRecord {
                license: raw_version.license.clone(),
                build_code,
                published_by,
                code: raw_version.code.as_ref().map(RawCode::record),
            };
            if versions.insert(number.clone(), record).is_some() {
                return Err(error(
                    raw_version.version.span(),
                    "crate.versions.version",
                    format!("version {number} of `{name}` is listed twice"),
                ));
            }
        }
        let mut record = CrateRecord { owners, versions };
        record.sort_owners();
        baseline.crates.insert(key, record);
    }
    Ok(baseline)
}

#[cfg(test)]
mod tests;
