//! The sources check: packages must come from an allowed registry or git URL prefix.
//!
//! Registries are allowed by name (`crates-io`, or a name from cargo's `[registries]` config)
//! or by index URL. Local (path) packages are always allowed.

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
                let name = names
                    .by_name
                    .iter()
                    .find(|(_, url)| **url == strip_protocol(index))
                    .map(|(name, _)| format!(" (`{name}`)"))
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
