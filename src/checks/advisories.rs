//! The advisories check: one finding per (package, advisory) that affects it.
//!
//! Packages are matched by crate name and version, for crates.io packages through either index
//! protocol (rustsec's own `Query::package` compares source URLs and misses `sparse+` sources).
//! Withdrawn advisories are skipped; `os`/`arch` restrictions apply when targets are given.

use rustsec::Advisory;
use rustsec::advisory::Informational;

use crate::facts::advisories::{AdvisoryDatabase, TargetFilter};
use crate::finding::{AdvisoryRef, Finding, FindingKind};
use crate::load::graph::{DependencyGraph, Package};

/// Whether an advisory applies to a package: same crate, same registry, an affected version,
/// not withdrawn, and allowed by the targets.
pub fn affects(advisory: &Advisory, package: &Package, targets: &TargetFilter) -> bool {
    if advisory.metadata.withdrawn.is_some() || advisory.metadata.package.as_str() != package.name {
        return false;
    }
    let same_registry = match &advisory.metadata.source {
        None => package.is_crates_io(),
        Some(source) if source.is_default_registry() => package.is_crates_io(),
        Some(source) => match &package.source_kind {
            crate::load::graph::SourceKind::Registry { index, .. } => {
                source.url().as_str().trim_end_matches('/') == index.trim_end_matches('/')
            }
            _ => false,
        },
    };
    same_registry && advisory.versions.is_vulnerable(&package.version) && targets.allows(advisory)
}

/// The finding kind of an advisory.
pub fn kind_of(advisory: &Advisory) -> FindingKind {
    match &advisory.metadata.informational {
        None => FindingKind::Vulnerability,
        Some(Informational::Unmaintained) => FindingKind::Unmaintained,
        Some(Informational::Unsound) => FindingKind::Unsound,
        Some(Informational::Notice) | Some(Informational::Other(_)) => FindingKind::Notice,
        Some(_) => FindingKind::Notice,
    }
}

/// What a finding says about its advisory.
pub fn advisory_ref(advisory: &Advisory) -> AdvisoryRef {
    let metadata = &advisory.metadata;
    AdvisoryRef {
        id: metadata.id.as_str().to_owned(),
        aliases: metadata
            .aliases
            .iter()
            .map(|alias| alias.as_str().to_owned())
            .collect(),
        title: metadata.title.clone(),
        severity: metadata
            .cvss
            .as_ref()
            .map(|cvss| format!("{} ({:.1})", cvss.severity().as_str(), cvss.score())),
        cvss: metadata.cvss.as_ref().map(|cvss| crate::finding::Cvss {
            score: cvss.score(),
            vector: cvss.to_string(),
        }),
        patched: advisory
            .versions
            .patched()
            .iter()
            .map(ToString::to_string)
            .collect(),
        url: Some(
            metadata
                .url
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| {
                    format!("https://rustsec.org/advisories/{}", metadata.id.as_str())
                }),
        ),
        date: Some(metadata.date.as_str().to_owned()),
    }
}

/// The advisories check: one finding per (package, advisory) that affects it.
pub fn check(
    graph: &DependencyGraph,
    database: &AdvisoryDatabase,
    targets: &TargetFilter,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in graph.packages() {
        for advisory in database.advisories_for(&package.name) {
            if !affects(advisory, package, targets) {
                continue;
            }
            let reference = advisory_ref(advisory);
            let mut finding =
                Finding::for_package(kind_of(advisory), package.to_ref(), reference.title.clone());
            finding.advisory = Some(reference);
            findings.push(finding);
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advisory(front_matter: &str) -> Advisory {
        format!("```toml\n{front_matter}\n```\n\n# Title of it\n\nDescription.\n")
            .parse()
            .unwrap()
    }

    fn package(name: &str, version: &str, source: Option<&str>) -> Package {
        Package {
            is_member: false,
            ..Package::new(name, version.parse().unwrap(), source)
        }
    }

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
    const SPARSE: &str = "sparse+https://index.crates.io/";

    const TIME: &str = r#"[advisory]
    id = "RUSTSEC-2020-0071"
    package = "time"
    date = "2020-11-18"
    aliases = ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"]
    [versions]
    patched = [">= 0.2.23"]
    unaffected = ["= 0.2.0", "= 0.2.1", "= 0.2.2", "= 0.2.3", "= 0.2.4", "= 0.2.5", "= 0.2.6"]"#;

    #[test]
    fn matches_patched_and_unaffected_ranges() {
        let time = advisory(TIME);
        let any = TargetFilter::new(&[]);
        assert!(affects(
            &time,
            &package("time", "0.1.45", Some(CRATES_IO)),
            &any
        ));
        assert!(affects(
            &time,
            &package("time", "0.2.22", Some(CRATES_IO)),
            &any
        ));
        assert!(!affects(
            &time,
            &package("time", "0.2.23", Some(CRATES_IO)),
            &any
        ));
        assert!(!affects(
            &time,
            &package("time", "0.3.36", Some(CRATES_IO)),
            &any
        ));
        assert!(
            !affects(&time, &package("time", "0.2.3", Some(CRATES_IO)), &any),
            "unaffected"
        );
    }

    #[test]
    fn matches_sparse_sources_but_not_other_sources() {
        let time = advisory(TIME);
        let any = TargetFilter::new(&[]);
        assert!(affects(
            &time,
            &package("time", "0.1.45", Some(SPARSE)),
            &any
        ));
        assert!(
            !affects(&time, &package("time", "0.1.45", None), &any),
            "a path crate of the same name"
        );
        assert!(!affects(
            &time,
            &package("time", "0.1.45", Some("git+https://github.com/x/time#abc")),
            &any
        ));
        assert!(!affects(
            &time,
            &package(
                "time",
                "0.1.45",
                Some("sparse+https://other.registry/index/")
            ),
            &any
        ));
    }

    #[test]
    fn skips_withdrawn_advisories() {
        let withdrawn = advisory(&format!(
            "{}\n",
            TIME.replace("aliases", "withdrawn = \"2021-01-01\"\naliases")
        ));
        assert!(!affects(
            &withdrawn,
            &package("time", "0.1.45", Some(CRATES_IO)),
            &TargetFilter::new(&[])
        ));
    }

    #[test]
    fn honours_os_and_arch_only_when_targets_are_given() {
        let windows_only = advisory(
            r#"[advisory]
    id = "RUSTSEC-2099-0001"
    package = "winthing"
    date = "2099-01-01"
    [affected]
    os = ["windows"]
    [versions]
    patched = []"#,
        );
        let package = package("winthing", "1.0.0", Some(CRATES_IO));
        assert!(affects(&windows_only, &package, &TargetFilter::new(&[])));
        assert!(affects(
            &windows_only,
            &package,
            &TargetFilter::new(&["x86_64-pc-windows-msvc".to_owned()])
        ));
        assert!(!affects(
            &windows_only,
            &package,
            &TargetFilter::new(&["x86_64-unknown-linux-gnu".to_owned()])
        ));
        assert!(affects(
            &windows_only,
            &package,
            &TargetFilter::new(&[
                "x86_64-unknown-linux-gnu".to_owned(),
                "aarch64-pc-windows-msvc".to_owned()
            ])
        ));
    }

    #[test]
    fn kinds_follow_informational() {
        let base =
            "[advisory]\nid = \"RUSTSEC-2099-0002\"\npackage = \"x\"\ndate = \"2099-01-01\"\n";
        let with = |informational: &str| {
            advisory(&format!("{base}{informational}[versions]\npatched = []"))
        };
        assert_eq!(kind_of(&with("")), FindingKind::Vulnerability);
        assert_eq!(
            kind_of(&with("informational = \"unmaintained\"\n")),
            FindingKind::Unmaintained
        );
        assert_eq!(
            kind_of(&with("informational = \"unsound\"\n")),
            FindingKind::Unsound
        );
        assert_eq!(
            kind_of(&with("informational = \"notice\"\n")),
            FindingKind::Notice
        );
    }
}
