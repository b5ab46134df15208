//! The bans check: a crate the policy's `[[ban]]` names (in a version it matches) is `banned`,
//! always at level deny, and no exemption covers it: what incident responders write while an
//! attack is live, before any advisory exists. Names match as crates.io matches them (case
//! aside, `-` and `_` alike), so `B_Inferred` bans `b-inferred`.

use crate::facts::index::same_crate_name;
use crate::finding::{Finding, FindingKind};
use crate::load::graph::DependencyGraph;
use crate::policy::Ban;

/// One `banned` finding per package of the graph (not a workspace member) that a ban matches.
pub fn check(graph: &DependencyGraph, bans: &[Ban], policy_file: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in graph.packages().iter().filter(|package| !package.is_member) {
        for ban in bans.iter().filter(|ban| {
            same_crate_name(&ban.crate_name, &package.name)
                && ban
                    .version
                    .as_ref()
                    .is_none_or(|requirement| requirement.matches(&package.version))
        }) {
            findings.push(Finding::for_package(
                FindingKind::Banned,
                package.to_ref(),
                format!(
                    "{} {} is banned by {policy_file}:{}: {}",
                    package.name, package.version, ban.line, ban.reason
                ),
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::graph::Package;
    use std::path::PathBuf;

    #[test]
    fn a_ban_matches_by_name_and_version_requirement() {
        let source = Some("registry+https://github.com/rust-lang/crates.io-index");
        let graph = DependencyGraph::from_parts(
            PathBuf::from("/ws"),
            vec![
                Package::new("proc-macro1", "1.0.107".parse().unwrap(), source),
                Package::new("arrayref", "0.3.9".parse().unwrap(), source),
                Package::new("arrayref", "0.3.10".parse().unwrap(), source),
            ],
            &[],
        );
        let bans = vec![
            Ban {
                crate_name: "proc-macro1".to_owned(),
                version: None,
                reason: "malicious build script".to_owned(),
                line: 3,
            },
            Ban {
                crate_name: "arrayref".to_owned(),
                version: Some("=0.3.10".parse().unwrap()),
                reason: "compromised release".to_owned(),
                line: 8,
            },
        ];
        let findings = check(&graph, &bans, "trustcheck.toml");
        let found: Vec<(&str, String)> = findings
            .iter()
            .map(|finding| {
                (
                    finding.crate_name().unwrap(),
                    finding.version().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("arrayref", "0.3.10".to_owned()),
                ("proc-macro1", "1.0.107".to_owned())
            ]
        );
        assert_eq!(
            findings[1].message,
            "proc-macro1 1.0.107 is banned by trustcheck.toml:3: malicious build script"
        );
    }
}
