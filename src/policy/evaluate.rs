//! Applying the policy to findings: levels, then exemptions. This is the one place where
//! exemptions are applied; it also reports exemptions that expired, expire soon, or went unused.

use super::{Exemption, Policy};
use crate::finding::{AdvisoryRef, AppliedExemption, Finding, FindingKind, Level, Verdict};
use crate::support::date::Date;

/// Gives every finding its level, applies the exemptions, and adds findings about the
/// exemptions themselves. Findings at level `allow` are dropped. The result is in report order.
pub fn evaluate(findings: Vec<Finding>, policy: &Policy, today: Date) -> Vec<Verdict> {
    let mut used = vec![false; policy.exemptions.len()];
    let mut verdicts = Vec::with_capacity(findings.len());

    for finding in findings {
        // A check the policy allows does not matter, nor does its not having been done.
        if finding.unchecked.as_ref().is_some_and(|not_checked| {
            not_checked
                .checks
                .iter()
                .all(|check| policy.level(*check) == Level::Allow)
        }) {
            continue;
        }
        let level = policy.level(finding.kind);
        let exemption = policy
            .exemptions
            .iter()
            .enumerate()
            .find(|(_, exemption)| !exemption.is_expired(today) && exemption.matches(&finding));
        if let Some((index, _)) = exemption {
            used[index] = true;
        }
        if level == Level::Allow {
            continue;
        }
        verdicts.push(Verdict {
            finding,
            level,
            exemption: exemption.map(|(_, exemption)| AppliedExemption {
                reason: exemption.reason.clone(),
                expires: exemption.expires,
                line: exemption.line,
            }),
        });
    }

    let policy_file = policy.display_name();
    for (exemption, was_used) in policy.exemptions.iter().zip(used) {
        let about = exemption_finding(exemption);
        let days_left = today.days_until(exemption.expires);
        let finding = if exemption.is_expired(today) {
            about(
                FindingKind::ExemptionExpired,
                format!(
                    "the exemption of {} at {policy_file}:{} expired on {}; it no longer applies (reason given: {})",
                    exemption.describe(),
                    exemption.line,
                    exemption.expires,
                    exemption.reason
                ),
            )
        } else if !was_used {
            about(
                FindingKind::ExemptionUnused,
                format!(
                    "the exemption of {} at {policy_file}:{} matched no finding; remove it if it is no longer needed",
                    exemption.describe(),
                    exemption.line
                ),
            )
        } else if days_left <= i64::from(policy.exemption_warning_days) {
            about(
                FindingKind::ExemptionExpiring,
                format!(
                    "the exemption of {} at {policy_file}:{} expires on {} ({}); renew it or fix what it exempts",
                    exemption.describe(),
                    exemption.line,
                    exemption.expires,
                    match days_left {
                        0 => "today".to_owned(),
                        1 => "tomorrow".to_owned(),
                        days => format!("in {days} days"),
                    }
                ),
            )
        } else {
            continue;
        };
        let level = policy.level(finding.kind);
        verdicts.push(Verdict {
            finding,
            level,
            exemption: None,
        });
    }

    verdicts.sort_by(|a, b| a.finding.report_order(&b.finding));
    verdicts
}

fn exemption_finding<'a>(exemption: &'a Exemption) -> impl Fn(FindingKind, String) -> Finding + 'a {
    move |kind, message| Finding {
        kind,
        package: None,
        crate_name: exemption.crate_name.clone(),
        advisory: exemption.advisory.as_ref().map(|id| AdvisoryRef {
            id: id.clone(),
            ..AdvisoryRef::default()
        }),
        message,
        paths: Vec::new(),
        license: None,
        policy_line: Some(exemption.line),
        unchecked: None,
        evidence: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::PackageRef;

    fn today() -> Date {
        "2026-11-24".parse().unwrap()
    }

    fn vulnerability(name: &str, version: &str, id: &str, aliases: &[&str]) -> Finding {
        let mut finding = Finding::for_package(
            FindingKind::Vulnerability,
            PackageRef {
                name: name.to_owned(),
                version: version.parse().unwrap(),
                source: None,
            },
            "title",
        );
        finding.advisory = Some(AdvisoryRef {
            id: id.to_owned(),
            aliases: aliases.iter().map(|alias| (*alias).to_owned()).collect(),
            ..AdvisoryRef::default()
        });
        finding
    }

    fn exemption(
        advisory: Option<&str>,
        crate_name: Option<&str>,
        expires: &str,
        line: usize,
    ) -> Exemption {
        Exemption {
            advisory: advisory.map(str::to_owned),
            crate_name: crate_name.map(str::to_owned),
            version: None,
            kind: None,
            reason: "because".to_owned(),
            expires: expires.parse().unwrap(),
            line,
        }
    }

    fn policy(exemptions: Vec<Exemption>) -> Policy {
        Policy {
            exemptions,
            ..Policy::default()
        }
    }

    #[test]
    fn an_exemption_by_alias_exempts_the_finding() {
        let findings = vec![vulnerability(
            "time",
            "0.1.45",
            "RUSTSEC-2020-0071",
            &["CVE-2020-26235"],
        )];
        let verdicts = evaluate(
            findings,
            &policy(vec![exemption(
                Some("CVE-2020-26235"),
                None,
                "2027-06-01",
                3,
            )]),
            today(),
        );
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0].exemption.as_ref().map(|e| e.line), Some(3));
        assert!(!verdicts[0].denies());
    }

    #[test]
    fn every_given_key_must_match() {
        let findings = vec![vulnerability("time", "0.1.45", "RUSTSEC-2020-0071", &[])];
        let mut wrong_version = exemption(Some("RUSTSEC-2020-0071"), Some("time"), "2027-06-01", 3);
        wrong_version.version = Some(">=0.2".parse().unwrap());
        let verdicts = evaluate(findings, &policy(vec![wrong_version]), today());
        assert!(verdicts[0].denies());
        assert_eq!(verdicts[1].finding.kind, FindingKind::ExemptionUnused);
        assert_eq!(verdicts[1].level, Level::Warn);
    }

    #[test]
    fn an_expired_exemption_exempts_nothing_and_is_denied() {
        let findings = vec![vulnerability("time", "0.1.45", "RUSTSEC-2020-0071", &[])];
        let verdicts = evaluate(
            findings,
            &policy(vec![exemption(None, Some("time"), "2026-11-23", 7)]),
            today(),
        );
        assert!(verdicts[0].denies());
        assert_eq!(verdicts[1].finding.kind, FindingKind::ExemptionExpired);
        assert_eq!(verdicts[1].finding.policy_line, Some(7));
        assert!(verdicts[1].denies());
        assert!(
            verdicts[1].finding.message.contains("trustcheck.toml:7")
                || verdicts[1].finding.message.contains(":7")
        );
    }

    #[test]
    fn an_exemption_applies_through_its_last_day_and_warns_before() {
        let findings = vec![vulnerability("time", "0.1.45", "RUSTSEC-2020-0071", &[])];
        let verdicts = evaluate(
            findings,
            &policy(vec![exemption(None, Some("time"), "2026-11-24", 7)]),
            today(),
        );
        assert!(verdicts[0].exemption.is_some());
        assert_eq!(verdicts[1].finding.kind, FindingKind::ExemptionExpiring);
        assert!(verdicts[1].finding.message.contains("today"));
    }

    #[test]
    fn new_kinds_can_be_exempted_by_crate_version_and_kind_but_a_ban_cannot() {
        let package = PackageRef {
            name: "proc-macro1".to_owned(),
            version: "1.0.107".parse().unwrap(),
            source: None,
        };
        let findings = vec![
            Finding::for_package(FindingKind::FreshRelease, package.clone(), "fresh"),
            Finding::for_package(FindingKind::Banned, package, "banned"),
        ];
        let mut broad = exemption(None, Some("proc-macro1"), "2027-06-01", 3);
        broad.version = Some("=1.0.107".parse().unwrap());
        let mut by_kind = exemption(None, Some("proc-macro1"), "2027-06-01", 9);
        by_kind.kind = Some(FindingKind::FreshRelease);
        let verdicts = evaluate(findings, &policy(vec![by_kind, broad]), today());
        let banned = verdicts
            .iter()
            .find(|verdict| verdict.finding.kind == FindingKind::Banned)
            .unwrap();
        assert!(banned.denies(), "no exemption covers a ban");
        let fresh = verdicts
            .iter()
            .find(|verdict| verdict.finding.kind == FindingKind::FreshRelease)
            .unwrap();
        assert_eq!(fresh.exemption.as_ref().map(|e| e.line), Some(9));
    }

    #[test]
    fn an_unchecked_finding_of_allowed_checks_is_dropped() {
        let package = PackageRef {
            name: "x".to_owned(),
            version: "1.0.0".parse().unwrap(),
            source: None,
        };
        let finding = Finding::not_checked(
            package,
            &[FindingKind::Yanked, FindingKind::FreshRelease],
            "yanked status and publish time",
            "offline",
        );
        let mut allows_yanked = policy(Vec::new());
        allows_yanked.advisories.yanked = Level::Allow;
        assert_eq!(
            evaluate(vec![finding.clone()], &allows_yanked, today()).len(),
            1,
            "fresh releases still matter"
        );
        allows_yanked.releases.fresh = Level::Allow;
        assert!(evaluate(vec![finding], &allows_yanked, today()).is_empty());
    }

    #[test]
    fn allowed_kinds_are_dropped_but_still_use_their_exemption() {
        let mut finding = vulnerability("x", "1.0.0", "RUSTSEC-2099-0001", &[]);
        finding.kind = FindingKind::Notice;
        let mut allow_notices = policy(vec![exemption(
            Some("RUSTSEC-2099-0001"),
            None,
            "2027-06-01",
            3,
        )]);
        allow_notices.advisories.notice = Level::Allow;
        assert!(evaluate(vec![finding], &allow_notices, today()).is_empty());
    }
}
