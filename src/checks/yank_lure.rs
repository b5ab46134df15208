//! The `yank-lure` check: a locked version that is the one release left after every other
//! release of its crate was yanked at once, published by the very account that yanked them.
//!
//! That is the lure of a compromised account: yank the old releases so that every user is told
//! "your version is yanked, update", and publish the release they will update to. The index
//! shows the pattern (`facts::index::releases::mass_yank`); the crates.io API's
//! `audit_actions` tell who yanked each release and when, and who published the newest. What
//! could not be asked is `unchecked`, never a pass.

use std::collections::BTreeMap;

use crate::facts::index::IndexFacts;
use crate::facts::index::releases::mass_yank;
use crate::facts::ownership::{Publisher, VersionInfo, mass_yanker};
use crate::finding::{Finding, FindingKind};
use crate::load::graph::DependencyGraph;
use crate::support::date::format_utc;
use crate::support::text::sanitize_terminal;

/// One `yank-lure` finding per locked crates.io version that is the release a mass yank left,
/// published by the account that yanked the others; `mass_yanks` holds what the API said of
/// such crates' versions (`OwnershipFacts::mass_yanks`).
pub fn check(
    graph: &DependencyGraph,
    index: &IndexFacts,
    mass_yanks: &BTreeMap<String, Result<BTreeMap<String, VersionInfo>, String>>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in graph.packages().iter().filter(|p| p.is_crates_io()) {
        let Ok(Some(entry)) = index.entry_of(package) else {
            continue;
        };
        let Some(pattern) = mass_yank(entry) else {
            continue;
        };
        if pattern.newest.version != package.version {
            continue;
        }
        let versions = match mass_yanks.get(&package.name) {
            Some(Ok(versions)) => versions,
            Some(Err(why)) => {
                findings.push(Finding::not_checked(
                    package.to_ref(),
                    &[FindingKind::YankLure],
                    "who yanked the other releases",
                    why.clone(),
                ));
                continue;
            }
            None => continue,
        };
        let Some((yanker, span)) = mass_yanker(versions, &pattern.yanked) else {
            continue;
        };
        let publisher = versions
            .get(&package.version.to_string())
            .and_then(|info| info.published_by.as_ref());
        if !matches!(publisher, Some(Publisher::Account { id, .. }) if *id == yanker.id) {
            continue;
        }
        let login = sanitize_terminal(&yanker.login);
        findings.push(Finding::for_package(
            FindingKind::YankLure,
            package.to_ref(),
            format!(
                "{name} {version} was published by {login} (user {id}), the account that yanked every other release of {name} \
                 ({count} releases, {first} to {last}){when}: the lure of a compromised account, which yanks the old releases so \
                 that users update to its own. Review {version} against the crate's repository before building it, and tell the \
                 crate's other owners and crates.io",
                name = package.name,
                version = package.version,
                id = yanker.id,
                count = pattern.yanked.len(),
                first = pattern.yanked.first().map(ToString::to_string).unwrap_or_default(),
                last = pattern.yanked.last().map(ToString::to_string).unwrap_or_default(),
                when = span
                    .map(|(_, last)| format!(" on {}", format_utc(last)))
                    .unwrap_or_default(),
            ),
        ));
    }
    findings
}
