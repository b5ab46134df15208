//! The sources check: packages must come from an allowed registry or git URL prefix.
//!
//! Registries are allowed by name (`crates-io`, or a name from cargo's `[registries]` config)
//! or by index URL. Local (path) packages are always allowed.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::crates::sources::{RegistryNames, strip_protocol};
use crate::finding::{Finding, FindingKind};
use crate::load::graph::{DependencyGraph, SourceKind, is_crates_io_index};
use crate::policy::SourcePolicy;

/// Whether a registry index URL is allowed by the policy.
pub fn registry_allowed(index: &str, policy: &SourcePolicy, names: &RegistryNames) -> bool {
    let index = strip_protocol(index);
    policy.allow_registries.iter().any(|allowed| {
        if allowed == "crates-io" {
            return is_crates_io_index(&index);
        }
        if let Some(url) = names.by_name.get(allowed) {
            return *url == index;
        }
        strip_protocol(allowed) == index
    })
}

/// Whether a git repository URL is under an allowed prefix.
pub fn git_allowed(repository: &str, policy: &SourcePolicy) -> bool {
    policy.allow_git.iter().any(|prefix| {
        repository.starts_with(prefix.as_str()) || repository == prefix.trim_end_matches('/')
    })
}

/// The sources of a graph's packages that a policy does not allow, for writing a first policy
/// (`init`): each with the crates that come from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Registries, by the `allow-registries` entry that allows them (the name cargo's
    /// configuration gives the registry, else its index URL).
    pub registries: BTreeMap<String, BTreeSet<String>>,
    /// Git repositories, by URL (an `allow-git` entry that allows exactly that repository).
    pub git: BTreeMap<String, BTreeSet<String>>,
    /// Crates from sources no entry can allow.
    pub unknown: BTreeSet<String>,
}

impl Usage {
    /// Every crate from a source the policy does not allow.
    pub fn crates(&self) -> BTreeSet<String> {
        self.registries
            .values()
            .chain(self.git.values())
            .flatten()
            .chain(&self.unknown)
            .cloned()
            .collect()
    }
}

/// The sources the packages of `graph` come from that `policy` does not allow.
pub fn usage(graph: &DependencyGraph, policy: &SourcePolicy, names: &RegistryNames) -> Usage {
    let mut usage = Usage::default();
    for package in graph.packages() {
        match &package.source_kind {
            SourceKind::Local => {}
            SourceKind::Registry { index, .. } if registry_allowed(index, policy, names) => {}
            SourceKind::Registry { index, .. } => {
                let entry = registry_name(index, names).unwrap_or_else(|| index.clone());
                usage
                    .registries
                    .entry(entry)
                    .or_default()
                    .insert(package.name.clone());
            }
            SourceKind::Git { repository, .. } if git_allowed(repository, policy) => {}
            SourceKind::Git { repository, .. } => {
                usage
                    .git
                    .entry(repository.clone())
                    .or_default()
                    .insert(package.name.clone());
            }
            SourceKind::Other(_) => {
                usage.unknown.insert(package.name.clone());
            }
        }
    }
    usage
}

/// The name cargo's configuration gives the registry of `index`, if any.
fn registry_name(index: &str, names: &RegistryNames) -> Option<String> {
    names
        .by_name
        .iter()
        .find(|(_, url)| **url == strip_protocol(index))
        .map(|(name, _)| name.clone())
}

/// The sources check: one `source` finding per package from a source the policy does not allow.
pub fn check(
    graph: &DependencyGraph,
    policy: &SourcePolicy,
    names: &RegistryNames,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in graph.packages() {
        let message = match &package.source_kind {
            SourceKind::Local => continue,
            SourceKind::Registry { index, .. } if registry_allowed(index, policy, names) => {
                continue;
            }
            SourceKind::Registry { index, .. } => {
                let name = registry_name(index, names)
                    .map(|name| format!(" (`{name}`)"))
                    .unwrap_or_default();
                format!(
                    "comes from the registry {index}{name}, which is not in sources.allow-registries"
                )
            }
            SourceKind::Git { repository, .. } if git_allowed(repository, policy) => continue,
            SourceKind::Git { repository, commit } => {
                format!(
                    "comes from the git repository {repository} (commit {commit}), which is not under a sources.allow-git prefix"
                )
            }
            SourceKind::Other(source) => format!("comes from an unrecognised source {source}"),
        };
        findings.push(Finding::for_package(
            FindingKind::Source,
            package.to_ref(),
            message,
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use std::collections::BTreeMap;

    #[test]
    fn allows_registries_by_name_or_url_and_git_by_prefix() {
        let mut policy = Policy::default().sources;
        let names = RegistryNames {
            by_name: BTreeMap::from([(
                "internal".to_owned(),
                "https://registry.example.com/index".to_owned(),
            )]),
        };
        assert!(registry_allowed(
            "https://github.com/rust-lang/crates.io-index",
            &policy,
            &names
        ));
        assert!(registry_allowed(
            "https://index.crates.io/",
            &policy,
            &names
        ));
        assert!(!registry_allowed(
            "https://registry.example.com/index/",
            &policy,
            &names
        ));
        policy.allow_registries.push("internal".to_owned());
        assert!(registry_allowed(
            "https://registry.example.com/index/",
            &policy,
            &names
        ));
        policy.allow_registries = vec!["sparse+https://other.example/".to_owned()];
        assert!(registry_allowed("https://other.example", &policy, &names));

        assert!(!git_allowed("https://github.com/acme/lib", &policy));
        policy.allow_git.push("https://github.com/acme/".to_owned());
        assert!(git_allowed("https://github.com/acme/lib", &policy));
        assert!(!git_allowed("https://github.com/acmeevil/lib", &policy));
    }
}
