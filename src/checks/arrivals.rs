//! What enters the graph, against the baseline: `new-crate`, a registry crate that
//! `trustcheck.lock` has never accepted, and `build-code`, code that runs at build time (a
//! build script, a proc-macro) that no accepted version of the crate ran.
//!
//! A new crate's finding gives what a reviewer needs to decide: when it was first published and
//! this version, its owners, whether it runs code at build time, and which accepted crate's new
//! version brought it in ("arrayref 0.3.10 added it; 0.3.9 had no such dependency").
//! Without a baseline nothing was accepted, and neither check applies.

use std::collections::BTreeMap;

use semver::Version;

use crate::facts::index::IndexFacts;
use crate::facts::index::releases::age;
use crate::facts::ownership::OwnershipFacts;
use crate::finding::{Finding, FindingKind};
use crate::load::baseline::{self, Baseline};
use crate::load::graph::{BuildCode, DependencyGraph, Package};

/// How a package new to the baseline came into the graph: one of its dependents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Introduction {
    /// The dependent crate.
    pub parent: String,
    /// Its locked version.
    pub version: Version,
    /// Whether the dependent is a workspace member.
    pub member: bool,
    /// The version of the dependent the baseline accepted, when the locked one is not it.
    pub accepted: Option<Version>,
    /// Whether that accepted version depended on the new crate too (`None`: not known).
    pub accepted_had_it: Option<bool>,
}

/// The dependents of each package new to the baseline, by (name, version).
pub type Introductions = BTreeMap<(String, Version), Vec<Introduction>>;

/// The `new-crate` and `build-code` checks.
pub fn check(
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    index: &IndexFacts,
    ownership: &OwnershipFacts,
    introductions: &Introductions,
    now: i64,
) -> Vec<Finding> {
    let Some(baseline) = baseline else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for package in graph.packages() {
        let Some(source) = baseline::source_key(package) else {
            continue;
        };
        match baseline.crate_record(&package.name, &source) {
            None => {
                findings.push(new_crate(package, index, ownership, introductions, now));
                if let Some(code) = package.build_code.filter(|code| code.any()) {
                    findings.push(Finding::for_package(
                        FindingKind::BuildCode,
                        package.to_ref(),
                        format!(
                            "{} {} is new to the baseline and runs {} at build time: code that no one here has reviewed runs on every machine that builds the workspace",
                            package.name,
                            package.version,
                            code.describe()
                        ),
                    ));
                }
            }
            Some(record) => {
                let (Some(code), accepted) = (package.build_code, accepted_build_code(record))
                else {
                    continue;
                };
                let Some((accepted, versions)) = accepted else {
                    continue;
                };
                let gained = code.gained_over(accepted);
                if gained.any() {
                    findings.push(Finding::for_package(
                        FindingKind::BuildCode,
                        package.to_ref(),
                        format!(
                            "{} {} has {} that the accepted versions ({}) did not have; once reviewed, accept it with `cargo trustcheck baseline --accept {}`",
                            package.name,
                            package.version,
                            gained.describe(),
                            versions.join(", "),
                            package.name
                        ),
                    ));
                }
            }
        }
    }
    findings
}

/// The build code any accepted version of a crate has, and those versions; `None` when the
/// baseline recorded no build code for the crate (written before it did).
fn accepted_build_code(record: &baseline::CrateRecord) -> Option<(BuildCode, Vec<String>)> {
    let recorded: Vec<(&Version, BuildCode)> = record
        .versions
        .iter()
        .filter_map(|(version, entry)| entry.build_code.map(|code| (version, code)))
        .collect();
    if recorded.is_empty() {
        return None;
    }
    let union = recorded
        .iter()
        .fold(BuildCode::default(), |union, (_, code)| BuildCode {
            build_script: union.build_script || code.build_script,
            proc_macro: union.proc_macro || code.proc_macro,
        });
    Some((
        union,
        recorded
            .iter()
            .map(|(version, _)| version.to_string())
            .collect(),
    ))
}

fn new_crate(
    package: &Package,
    index: &IndexFacts,
    ownership: &OwnershipFacts,
    introductions: &Introductions,
    now: i64,
) -> Finding {
    let name = &package.name;
    let mut facts = vec![format!(
        "{name} is new: trustcheck.lock has never accepted it"
    )];
    if let Ok(Some(entry)) = index.entry_of(package) {
        if let Some(first) = entry.first_published() {
            facts.push(format!("first published {}", age(first, now)));
        }
        if let Some(published) = entry.published_at(&package.version.to_string()) {
            facts.push(format!(
                "{} published {}",
                package.version,
                age(published, now)
            ));
        }
    }
    facts.push(match ownership.new_owners.get(name) {
        Some(owners) if !owners.is_empty() => format!(
            "owners: {}",
            owners
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(_) => "no owners".to_owned(),
        None => "owners not known (they are asked of crates.io)".to_owned(),
    });
    facts.push(match package.build_code {
        Some(code) if code.any() => format!("it runs {} at build time", code.describe()),
        Some(_) => "it runs no code at build time".to_owned(),
        None => "whether it runs code at build time is not known".to_owned(),
    });
    for introduction in introductions
        .get(&(name.clone(), package.version.clone()))
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        facts.push(describe(introduction));
    }
    Finding::for_package(
        FindingKind::NewCrate,
        package.to_ref(),
        format!(
            "{}. Once reviewed, accept it with `cargo trustcheck baseline --accept {name}`",
            facts.join("; ")
        ),
    )
}

fn describe(introduction: &Introduction) -> String {
    let parent = format!("{} {}", introduction.parent, introduction.version);
    match (&introduction.accepted, introduction.accepted_had_it) {
        _ if introduction.member => {
            format!("the workspace member {} depends on it", introduction.parent)
        }
        (Some(accepted), Some(false)) => {
            format!("{parent} added it; {accepted} had no such dependency")
        }
        (Some(accepted), Some(true)) => {
            format!("{parent} depends on it, as the accepted {accepted} did")
        }
        (Some(accepted), None) => format!(
            "{parent} brings it in (the baseline accepted {} {accepted})",
            introduction.parent
        ),
        (None, _) => format!("{parent} depends on it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::index::IndexConfig;
    use crate::load::baseline::{CRATES_IO, CrateRecord, VersionRecord};
    use std::path::PathBuf;

    const SOURCE: &str = "registry+https://github.com/rust-lang/crates.io-index";

    fn package(name: &str, version: &str, code: BuildCode) -> Package {
        Package {
            build_code: Some(code),
            ..Package::new(name, version.parse().unwrap(), Some(SOURCE))
        }
    }

    fn accepted(name: &str, version: &str, code: Option<BuildCode>) -> (String, CrateRecord) {
        let mut record = CrateRecord::default();
        record.versions.insert(
            version.parse().unwrap(),
            VersionRecord {
                build_code: code,
                ..VersionRecord::default()
            },
        );
        (name.to_owned(), record)
    }

    fn run(packages: Vec<Package>, records: Vec<(String, CrateRecord)>) -> Vec<(String, String)> {
        let graph = DependencyGraph::from_parts(PathBuf::from("/ws"), packages, &[]);
        let mut baseline = Baseline::default();
        for (name, record) in records {
            baseline.crates.insert((name, CRATES_IO.to_owned()), record);
        }
        let index = IndexFacts::new(
            IndexConfig::with_crates_io("http://127.0.0.1:9/"),
            BTreeMap::new(),
        );
        let mut introductions = Introductions::new();
        introductions.insert(
            ("proc-macro1".to_owned(), "1.0.107".parse().unwrap()),
            vec![Introduction {
                parent: "arrayref".to_owned(),
                version: "0.3.10".parse().unwrap(),
                member: false,
                accepted: Some("0.3.9".parse().unwrap()),
                accepted_had_it: Some(false),
            }],
        );
        check(
            &graph,
            Some(&baseline),
            &index,
            &OwnershipFacts::default(),
            &introductions,
            0,
        )
        .into_iter()
        .map(|finding| (finding.kind.to_string(), finding.message))
        .collect()
    }

    const SCRIPT: BuildCode = BuildCode {
        build_script: true,
        proc_macro: false,
    };
    const NONE: BuildCode = BuildCode {
        build_script: false,
        proc_macro: false,
    };

    #[test]
    fn a_new_crate_with_a_build_script_is_new_and_build_code_and_names_what_brought_it() {
        let findings = run(
            vec![
                package("arrayref", "0.3.10", NONE),
                package("proc-macro1", "1.0.107", SCRIPT),
            ],
            vec![accepted("arrayref", "0.3.9", Some(NONE))],
        );
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert_eq!(findings[0].0, "new-crate");
        assert!(
            findings[0]
                .1
                .contains("arrayref 0.3.10 added it; 0.3.9 had no such dependency"),
            "{}",
            findings[0].1
        );
        assert!(
            findings[0]
                .1
                .contains("it runs a build script at build time")
        );
        assert_eq!(findings[1].0, "build-code");
    }

    #[test]
    fn a_known_crate_that_gained_a_build_script_is_build_code_and_one_that_kept_it_is_not() {
        let findings = run(
            vec![
                package("serde", "1.0.1", SCRIPT),
                package("cc", "1.0.1", SCRIPT),
            ],
            vec![
                accepted("serde", "1.0.0", Some(NONE)),
                accepted("cc", "1.0.0", Some(SCRIPT)),
            ],
        );
        assert_eq!(
            findings,
            [(
                "build-code".to_owned(),
                "serde 1.0.1 has a build script that the accepted versions (1.0.0) did not have; once reviewed, accept it with `cargo trustcheck baseline --accept serde`".to_owned()
            )]
        );
        // A baseline that recorded no build code says nothing either way.
        assert!(
            run(
                vec![package("serde", "1.0.1", SCRIPT)],
                vec![accepted("serde", "1.0.0", None)]
            )
            .is_empty()
        );
    }
}
