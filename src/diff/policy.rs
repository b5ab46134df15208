//! The policy part of a diff: every policy key whose value differs between the two revisions
//! (as written, or as defaulted), and whether the change weakens the policy — the head trusts
//! more: a level lowered, an allow list widened, a minimum age shortened, a ban removed, a
//! limit raised. Exemptions are diffed apart (`diff_exemptions`).

use serde::Serialize;
use serde_json::{Value, json};

use crate::finding::Level;
use crate::policy::{Ban, Clarification, CodeAllowance, Policy};

/// A policy key whose value changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyChange {
    /// The dotted key, e.g. `advisories.vulnerability`.
    pub key: String,
    /// Its value at the base (as written or as defaulted).
    pub before: Value,
    /// Its value at the head.
    pub after: Value,
    /// Whether the head trusts more than the base because of it.
    pub weakens: bool,
}

/// The changed policy keys.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PolicyDiff {
    /// Every key whose value differs, in the order of the policy file.
    pub changed: Vec<PolicyChange>,
}

impl PolicyDiff {
    /// How many changes weaken the policy.
    pub fn weakening(&self) -> usize {
        self.changed.iter().filter(|change| change.weakens).count()
    }
}

fn strictness(level: Level) -> u8 {
    match level {
        Level::Deny => 2,
        Level::Warn => 1,
        Level::Allow => 0,
    }
}

/// A duration as the policy file writes it: whole days as `3d`, else hours, else seconds.
fn duration_text(duration: jiff::SignedDuration) -> String {
    let seconds = duration.as_secs();
    if seconds % 86_400 == 0 {
        format!("{}d", seconds / 86_400)
    } else if seconds % 3_600 == 0 {
        format!("{}h", seconds / 3_600)
    } else {
        format!("{seconds}s")
    }
}

fn ban_text(ban: &Ban) -> String {
    match &ban.version {
        Some(version) => format!("{} {version}", ban.crate_name),
        None => ban.crate_name.clone(),
    }
}

fn clarification_text(clarification: &Clarification) -> String {
    let version = clarification
        .version
        .as_ref()
        .map(|version| format!(" {version}"))
        .unwrap_or_default();
    let files: Vec<String> = clarification
        .license_files
        .iter()
        .map(|file| format!("{}={}", file.path, file.sha256))
        .collect();
    format!(
        "{}{version}: {} [{}]",
        clarification.crate_name,
        clarification.expression,
        files.join(", ")
    )
}

/// A `[[code.allow]]` entry as one line: the crate, its versions, what it allows, and until when
/// (its reason is not a grant of trust, and is left out).
fn allowance_text(allowance: &CodeAllowance) -> String {
    let mut allowed: Vec<&str> = allowance
        .capabilities
        .iter()
        .map(|capability| capability.as_str())
        .collect();
    if allowance.binaries {
        allowed.push("binaries");
    }
    format!(
        "{}{}: {}{}",
        allowance.crate_name,
        allowance
            .version
            .as_ref()
            .map(|version| format!(" {version}"))
            .unwrap_or_default(),
        allowed.join(", "),
        allowance
            .expires
            .map(|date| format!(" until {date}"))
            .unwrap_or_default()
    )
}

/// Collects the changes of one diff.
struct Changes {
    changed: Vec<PolicyChange>,
}

impl Changes {
    fn push(&mut self, key: &str, before: Value, after: Value, weakens: bool) {
        if before != after {
            self.changed.push(PolicyChange {
                key: key.to_owned(),
                before,
                after,
                weakens,
            });
        }
    }

    fn level(&mut self, key: &str, before: Level, after: Level) {
        self.push(
            key,
            json!(before.as_str()),
            json!(after.as_str()),
            strictness(after) < strictness(before),
        );
    }

    /// A list whose widening trusts more: weakens when the head has an entry the base lacks.
    fn allow_list(&mut self, key: &str, before: &[String], after: &[String]) {
        let widened = after.iter().any(|entry| !before.contains(entry));
        self.list(key, before, after, widened);
    }

    /// A list whose shrinking trusts more: weakens when the base has an entry the head lacks.
    fn deny_list(&mut self, key: &str, before: &[String], after: &[String]) {
        let narrowed = before.iter().any(|entry| !after.contains(entry));
        self.list(key, before, after, narrowed);
    }

    /// A list compared as a set (reordering it is no change).
    fn list(&mut self, key: &str, before: &[String], after: &[String], weakens: bool) {
        let mut sorted_before = before.to_vec();
        let mut sorted_after = after.to_vec();
        sorted_before.sort();
        sorted_after.sort();
        if sorted_before != sorted_after {
            self.push(key, json!(before), json!(after), weakens);
        }
    }
}

/// Every policy key whose value differs between `base` and `head`.
pub fn diff_policies(base: &Policy, head: &Policy) -> PolicyDiff {
    let mut changes = Changes {
        changed: Vec::new(),
    };
    changes.level("unchecked", base.unchecked, head.unchecked);
    changes.push(
        "max-exemption-days",
        json!(base.max_exemption_days),
        json!(head.max_exemption_days),
        match (base.max_exemption_days, head.max_exemption_days) {
            (Some(_), None) => true,
            (Some(before), Some(after)) => after > before,
            _ => false,
        },
    );
    changes.push(
        "exemption-warning-days",
        json!(base.exemption_warning_days),
        json!(head.exemption_warning_days),
        head.exemption_warning_days < base.exemption_warning_days,
    );

    let (a, b) = (&base.advisories, &head.advisories);
    changes.level("advisories.vulnerability", a.vulnerability, b.vulnerability);
    changes.level("advisories.unmaintained", a.unmaintained, b.unmaintained);
    changes.level("advisories.unsound", a.unsound, b.unsound);
    changes.level("advisories.notice", a.notice, b.notice);
    changes.level("advisories.yanked", a.yanked, b.yanked);
    changes.level("advisories.deleted", a.deleted, b.deleted);
    // Another database may lack advisories the usual one has.
    changes.push("advisories.db-url", json!(a.db_url), json!(b.db_url), true);
    changes.push(
        "advisories.max-db-age",
        json!(a.max_db_age.to_string()),
        json!(b.max_db_age.to_string()),
        b.max_db_age > a.max_db_age,
    );

    let (a, b) = (&base.releases, &head.releases);
    changes.push(
        "releases.min-age",
        json!(duration_text(a.min_age)),
        json!(duration_text(b.min_age)),
        b.min_age < a.min_age,
    );
    changes.level("releases.fresh", a.fresh, b.fresh);
    changes.level("releases.yank-lure", a.yank_lure, b.yank_lure);

    let (a, b) = (&base.baseline, &head.baseline);
    changes.level("baseline.new-crate", a.new_crate, b.new_crate);
    changes.level("baseline.build-code", a.build_code, b.build_code);
    changes.level("baseline.lookalike", a.lookalike, b.lookalike);
    changes.level("baseline.typosquat", a.typosquat, b.typosquat);
    changes.push(
        "baseline.lookalike-max-age",
        json!(duration_text(a.lookalike_max_age)),
        json!(duration_text(b.lookalike_max_age)),
        b.lookalike_max_age < a.lookalike_max_age,
    );
    changes.level("baseline.mismatch", a.mismatch, b.mismatch);

    let (a, b) = (&base.code, &head.code);
    changes.level(
        "code.build-capability",
        a.build_capability,
        b.build_capability,
    );
    changes.level(
        "code.library-capability",
        a.library_capability,
        b.library_capability,
    );
    changes.level("code.binary-added", a.binary_added, b.binary_added);
    changes.level("code.binary-shipped", a.binary_shipped, b.binary_shipped);
    let allowances = |code: &crate::policy::CodePolicy| {
        code.allow.iter().map(allowance_text).collect::<Vec<_>>()
    };
    changes.allow_list("code.allow", &allowances(a), &allowances(b));

    let bans = |policy: &Policy| policy.bans.iter().map(ban_text).collect::<Vec<_>>();
    changes.deny_list("ban", &bans(base), &bans(head));

    let (a, b) = (&base.licenses, &head.licenses);
    changes.allow_list("licenses.allow", &a.allow, &b.allow);
    changes.level("licenses.disallowed", a.disallowed, b.disallowed);
    changes.level("licenses.unlicensed", a.unlicensed, b.unlicensed);
    changes.level("licenses.change", a.change, b.change);
    changes.push(
        "licenses.include-unpublished",
        json!(a.include_unpublished),
        json!(b.include_unpublished),
        a.include_unpublished && !b.include_unpublished,
    );
    let clarifications = |policy: &Policy| {
        policy
            .licenses
            .clarify
            .iter()
            .map(clarification_text)
            .collect::<Vec<_>>()
    };
    changes.allow_list(
        "licenses.clarify",
        &clarifications(base),
        &clarifications(head),
    );

    let (a, b) = (&base.ownership, &head.ownership);
    changes.level("ownership.change", a.change, b.change);
    changes.level("ownership.lookalike", a.lookalike, b.lookalike);
    changes.push(
        "ownership.requests-per-second",
        json!(a.requests_per_second),
        json!(b.requests_per_second),
        false,
    );

    let (a, b) = (&base.sources, &head.sources);
    changes.allow_list(
        "sources.allow-registries",
        &a.allow_registries,
        &b.allow_registries,
    );
    changes.allow_list("sources.allow-git", &a.allow_git, &b.allow_git);
    changes.level("sources.unknown", a.unknown, b.unknown);

    PolicyDiff {
        changed: changes.changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn policy(text: &str) -> Policy {
        crate::policy::parse_policy(
            text,
            Path::new("trustcheck.toml"),
            "2026-11-24".parse().unwrap(),
        )
        .unwrap()
    }

    fn changes(base: &str, head: &str) -> Vec<(String, bool)> {
        diff_policies(&policy(base), &policy(head))
            .changed
            .into_iter()
            .map(|change| (change.key, change.weakens))
            .collect()
    }

    #[test]
    fn every_kind_of_weakening_is_flagged() {
        assert_eq!(
            changes("", "[advisories]\nvulnerability = \"allow\"\n"),
            [("advisories.vulnerability".to_owned(), true)]
        );
        assert_eq!(
            changes(
                "",
                "[advisories]\nvulnerability = \"warn\"\nunmaintained = \"deny\"\n"
            ),
            [
                ("advisories.vulnerability".to_owned(), true),
                ("advisories.unmaintained".to_owned(), false)
            ]
        );
        assert_eq!(
            changes(
                "[licenses]\nallow = [\"MIT\"]\n",
                "[licenses]\nallow = [\"MIT\", \"GPL-3.0-only\"]\n"
            ),
            [("licenses.allow".to_owned(), true)]
        );
        assert_eq!(
            changes(
                "[licenses]\nallow = [\"MIT\", \"ISC\"]\n",
                "[licenses]\nallow = [\"ISC\", \"MIT\"]\n"
            ),
            [],
            "the same list in another order"
        );
        assert_eq!(
            changes("", "[sources]\nunknown = \"allow\"\n"),
            [("sources.unknown".to_owned(), true)]
        );
        assert_eq!(
            changes("", "[sources]\nallow-git = [\"https://github.com/me/\"]\n"),
            [("sources.allow-git".to_owned(), true)]
        );
        assert_eq!(
            changes("", "[releases]\nmin-age = \"1d\"\n"),
            [("releases.min-age".to_owned(), true)]
        );
        assert_eq!(
            changes("", "[releases]\nmin-age = \"7d\"\n"),
            [("releases.min-age".to_owned(), false)]
        );
        assert_eq!(
            changes("[[ban]]\ncrate = \"evil\"\nreason = \"r\"\n", ""),
            [("ban".to_owned(), true)]
        );
        assert_eq!(
            changes("max-exemption-days = 30\n", "max-exemption-days = 365\n"),
            [("max-exemption-days".to_owned(), true)]
        );
        assert_eq!(
            changes("max-exemption-days = 30\n", ""),
            [("max-exemption-days".to_owned(), true)]
        );
        assert_eq!(
            changes("", "[licenses]\nchange = \"allow\"\n"),
            [("licenses.change".to_owned(), true)]
        );
    }

    /// Every level key that `policy.example.toml` documents, dotted, with its level there (the
    /// built-in default).
    fn documented_level_keys() -> Vec<(String, Level)> {
        let example: toml::Table = include_str!("../../policy.example.toml").parse().unwrap();
        let level = |value: &toml::Value| match value.as_str()? {
            "deny" => Some(Level::Deny),
            "warn" => Some(Level::Warn),
            "allow" => Some(Level::Allow),
            _ => None,
        };
        let mut keys = Vec::new();
        for (name, value) in &example {
            if let Some(level) = level(value) {
                keys.push((name.clone(), level));
            } else if let Some(table) = value.as_table() {
                for (key, value) in table {
                    if let Some(level) = level(value) {
                        keys.push((format!("{name}.{key}"), level));
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn every_documented_level_key_is_compared() {
        let keys = documented_level_keys();
        for key in [
            "advisories.deleted",
            "releases.yank-lure",
            "baseline.mismatch",
            "code.build-capability",
            "code.library-capability",
            "code.binary-added",
            "code.binary-shipped",
            "ownership.lookalike",
        ] {
            assert!(
                keys.iter().any(|(dotted, _)| dotted == key),
                "{key} is documented in policy.example.toml: {keys:?}"
            );
        }
        for (dotted, default) in keys {
            if default == Level::Allow {
                continue;
            }
            let text = match dotted.split_once('.') {
                Some((section, key)) => format!("[{section}]\n{key} = \"allow\"\n"),
                None => format!("{dotted} = \"allow\"\n"),
            };
            assert_eq!(changes("", &text), [(dotted.clone(), true)], "{dotted}");
        }
    }

    #[test]
    fn a_code_allowance_added_or_extended_weakens() {
        let entry = |expires: &str| {
            format!(
                "[[code.allow]]\ncrate = \"ring\"\ncapabilities = [\"network\"]\nreason = \"r\"\nexpires = \"{expires}\"\n"
            )
        };
        assert_eq!(
            changes("", &entry("2027-01-01")),
            [("code.allow".to_owned(), true)]
        );
        assert_eq!(
            changes(&entry("2027-01-01"), &entry("2028-01-01")),
            [("code.allow".to_owned(), true)]
        );
        assert_eq!(
            changes(&entry("2027-01-01"), ""),
            [("code.allow".to_owned(), false)]
        );
    }

    #[test]
    fn values_are_as_written_or_defaulted() {
        let diff = diff_policies(&policy(""), &policy("[releases]\nmin-age = \"36h\"\n"));
        assert_eq!(diff.changed[0].before, json!("3d"));
        assert_eq!(diff.changed[0].after, json!("36h"));
    }
}
