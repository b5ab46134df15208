//! Running the checks: each is a function from loaded facts to findings; this module runs them
//! all over the same facts and attaches the dependency paths, in one place.

pub mod accounts;
pub mod advisories;
pub mod arrivals;
pub mod bans;
pub mod code;
pub mod licenses;
pub mod lookalike;
pub mod ownership;
pub mod releases;
pub mod sources;
pub mod typosquat;
pub mod yank_lure;
pub mod yanked;

use crate::facts::advisories::{AdvisoryDatabase, TargetFilter};
use crate::facts::crates::sources::RegistryNames;
use crate::facts::index::IndexFacts;
use crate::facts::index::neighbours::Neighbours;
use crate::facts::ownership::OwnershipFacts;
use crate::finding::Finding;
use crate::load::baseline::Baseline;
use crate::load::graph::DependencyGraph;
use crate::policy::Policy;
use arrivals::Introductions;

/// Everything the checks read: the graph, the policy, and the fetched facts.
pub struct CheckInputs<'a> {
    /// The dependency graph.
    pub graph: &'a DependencyGraph,
    /// The policy (checks read their configuration from it, never levels).
    pub policy: &'a Policy,
    /// The advisory database, with the graph's crates loaded.
    pub advisories: &'a AdvisoryDatabase,
    /// Targets that restrict advisories with `os`/`arch`.
    pub targets: &'a TargetFilter,
    /// Registry names from cargo's configuration.
    pub registries: &'a RegistryNames,
    /// The baseline, `trustcheck.lock`, when the workspace has one.
    pub baseline: Option<&'a Baseline>,
    /// Registry index entries (yanked status), fetched and cached.
    pub index: &'a IndexFacts,
    /// What the indexes say of the names the crates new to the baseline may imitate.
    pub neighbours: &'a Neighbours,
    /// Owners and publishers, fetched and cached.
    pub ownership: &'a OwnershipFacts,
    /// How crates new to the baseline came into the graph.
    pub introductions: &'a Introductions,
    /// The time publish times are compared with (Unix seconds).
    pub now: i64,
}

/// Runs every check and attaches the dependency paths of each finding.
pub fn run_all(facts: &CheckInputs<'_>) -> Vec<Finding> {
    let policy = facts.policy;
    let mut findings = graph_findings(
        facts.graph,
        policy,
        facts.advisories,
        facts.targets,
        facts.registries,
    );
    findings.extend(licenses::check(
        facts.graph,
        &facts.policy.licenses,
        facts.baseline,
    ));
    findings.extend(yanked::check(
        facts.graph,
        facts.index,
        &facts.ownership.mass_yanks,
        &policy.releases,
        facts.now,
    ));
    findings.extend(yank_lure::check(
        facts.graph,
        facts.index,
        &facts.ownership.mass_yanks,
    ));
    findings.extend(crate::checks::releases::check(
        facts.graph,
        facts.index,
        &policy.releases,
        facts.now,
    ));
    findings.extend(arrivals::check(
        facts.graph,
        facts.baseline,
        facts.index,
        facts.ownership,
        facts.introductions,
        facts.now,
    ));
    findings.extend(crate::checks::lookalike::check(
        facts.graph,
        facts.baseline,
        facts.index,
        &policy.baseline,
        facts.now,
    ));
    findings.extend(typosquat::check(
        facts.graph,
        facts.baseline,
        facts.index,
        facts.neighbours,
        facts.now,
    ));
    findings.extend(ownership::check(
        facts.graph,
        facts.baseline,
        facts.ownership,
    ));
    findings.extend(code::check(
        facts.graph,
        facts.baseline,
        &policy.code,
        crate::support::date::Date::from_unix_seconds(facts.now),
    ));
    findings.extend(accounts::check(
        facts.graph,
        facts.baseline,
        facts.ownership,
    ));
    note_dormancy(&mut findings, facts.graph, facts.baseline, facts.index);
    attach_paths(&mut findings, facts.graph);
    findings
}

/// Says, in each finding about a locked registry version that ends years in which its crate
/// published nothing (`facts::index::releases::dormancy`), that it does: a long-dormant crate
/// that wakes up, often under a new owner, is how abandoned crates are taken over. Only for
/// versions the baseline does not record (the versions a change brings in), or every version
/// without a baseline; not in `unchecked` findings, which say what is not known.
fn note_dormancy(
    findings: &mut [Finding],
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    index: &IndexFacts,
) {
    for finding in findings.iter_mut() {
        if finding.kind == crate::finding::FindingKind::Unchecked {
            continue;
        }
        let Some(found) = &finding.package else {
            continue;
        };
        let Some(package) = graph.packages_named(&found.name).find(|candidate| {
            candidate.version == found.version && candidate.source == found.source
        }) else {
            continue;
        };
        let recorded = baseline.is_some_and(|baseline| {
            crate::load::baseline::source_key(package)
                .and_then(|source| baseline.crate_record(&package.name, &source))
                .is_some_and(|record| record.versions.contains_key(&package.version))
        });
        if recorded {
            continue;
        }
        let Ok(Some(entry)) = index.entry_of(package) else {
            continue;
        };
        if let Some(dormancy) = crate::facts::index::releases::dormancy(entry, &package.version) {
            finding.message = format!("{} ({})", finding.message, dormancy.describe());
        }
    }
}

/// The checks that read nothing but the graph, the policy, the advisory database and cargo's
/// registry names: bans, advisories and sources.
fn graph_findings(
    graph: &DependencyGraph,
    policy: &Policy,
    advisories: &AdvisoryDatabase,
    targets: &TargetFilter,
    registries: &RegistryNames,
) -> Vec<Finding> {
    let mut findings = crate::checks::bans::check(graph, &policy.bans, &policy.display_name());
    findings.extend(advisories::check(graph, advisories, targets));
    findings.extend(sources::check(graph, &policy.sources, registries));
    findings
}

/// Fills in the shortest dependency paths of findings about packages in the graph.
pub fn attach_paths(findings: &mut [Finding], graph: &DependencyGraph) {
    for finding in findings.iter_mut() {
        if !finding.paths.is_empty() {
            continue;
        }
        let Some(package) = &finding.package else {
            continue;
        };
        let id = graph
            .packages_named(&package.name)
            .find(|candidate| {
                candidate.version == package.version && candidate.source == package.source
            })
            .map(|candidate| candidate.id.clone());
        if let Some(id) = id {
            finding.paths = graph.paths_to(&id);
        }
    }
}
