//! `explain CRATE`: why a crate is in the graph (its dependency paths), what it is (publish
//! times, build code, owners), which findings and exemptions apply to each of its versions,
//! and what the baseline accepted for it.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use super::{ExplainFormat, ExplainRequest};
use crate::checks::typosquat::{FirstRelease, Standing, Survey, survey};
use crate::diff::exemptions::ExemptionEntry;
use crate::error::{Error, UsageError};
use crate::facts::index::releases::{Dormancy, age, dormancy};
use crate::finding::Verdict;
use crate::load::baseline::{BASELINE_FILE, Baseline, CRATES_IO, Publisher};
use crate::load::graph::{BuildCode, DependencyGraph, DependencyPath, Package, PackageCode};
use crate::pipeline::{self, AdvisoryScope};
use crate::policy::Exemption;
use crate::report::json::JsonFinding;
use crate::support::terminal::Terminal;
use crate::support::text::sanitize_terminal as clean;

/// The explanation of a crate, in the format asked for.
pub(super) fn explain_crate(
    request: &ExplainRequest,
    terminal: &Terminal,
) -> Result<String, Error> {
    let subject = request.subject.as_str();
    let (name, version) = match subject.split_once('@') {
        Some((name, version)) => (name, Some(version)),
        None => (subject, None),
    };
    let checked = pipeline::check(&request.run, AdvisoryScope::Graph)?;
    for line in &checked.trace {
        terminal.verbose(line);
    }
    let workspace = &checked.workspace;
    let graph = &workspace.graph;
    let packages: Vec<&Package> = graph
        .packages_named(name)
        .filter(|package| version.is_none_or(|version| package.version.to_string() == version))
        .collect();
    if packages.is_empty() {
        return Err(UsageError::NotInGraph {
            subject: subject.to_owned(),
            root: workspace.root.clone(),
        }
        .into());
    }
    let verdicts: Vec<&Verdict> = checked
        .report
        .verdicts
        .iter()
        .filter(|verdict| verdict.finding.crate_name() == Some(name))
        .filter(|verdict| {
            verdict
                .finding
                .version()
                .is_none_or(|found| packages.iter().any(|package| &package.version == found))
        })
        .collect();
    let policy = &workspace.policy;
    let exemptions: Vec<&Exemption> = policy
        .exemptions
        .iter()
        .filter(|exemption| {
            exemption.crate_name.as_deref() == Some(name)
                || verdicts.iter().any(|verdict| {
                    verdict
                        .exemption
                        .as_ref()
                        .is_some_and(|applied| applied.line == exemption.line)
                })
        })
        .collect();
    let of_package = |package: &Package| -> Vec<&Verdict> {
        verdicts
            .iter()
            .copied()
            .filter(|verdict| {
                verdict.finding.package.as_ref().is_some_and(|found| {
                    found.version == package.version && found.source == package.source
                })
            })
            .collect()
    };
    let about_crate: Vec<&Verdict> = verdicts
        .iter()
        .copied()
        .filter(|verdict| verdict.finding.package.is_none())
        .collect();

    if request.format == ExplainFormat::Json {
        let document = json!({
            "format-version": 1,
            "crate": name,
            "packages": packages.iter().map(|package| {
                let releases = release_facts(&checked, package, request.run.now);
                json!({
                    "version": package.version.to_string(),
                    "source": package.source,
                    "license": package.license,
                    "workspace-member": package.is_member,
                    "paths": graph.paths_to(&package.id).iter().map(DependencyPath::names).collect::<Vec<_>>(),
                    "dependencies": dependency_names(graph, package),
                    "published": releases.published.map(crate::support::date::rfc3339),
                    "first-published": releases.first_published.map(crate::support::date::rfc3339),
                    "ends-dormancy": releases.dormancy.as_ref().map(|dormancy| json!({
                        "years": dormancy.years(),
                        "previous": dormancy.previous.to_string(),
                        "previous-published": crate::support::date::rfc3339(dormancy.previous_published),
                    })),
                    "build": package.build_code.map(BuildCode::parts),
                    "code": code_json(package),
                    "lookalikes": releases.lookalikes,
                    "typosquat": releases.neighbours.as_ref().map(neighbours_json),
                    "findings": of_package(package).iter().map(|verdict| JsonFinding::of(verdict)).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
            "findings": verdicts.iter().map(|verdict| JsonFinding::of(verdict)).collect::<Vec<_>>(),
            "exemptions": exemptions.iter().map(|exemption| ExemptionEntry::from(*exemption)).collect::<Vec<_>>(),
            "baseline": workspace.baseline.as_ref().map(|baseline| baseline_json(baseline, name)),
        });
        return Ok(serde_json::to_string_pretty(&document).unwrap_or_default() + "\n");
    }

    let mut out = String::new();
    for package in &packages {
        let source = package.source.as_deref().unwrap_or(if package.is_member {
            "workspace member"
        } else {
            "local path"
        });
        let _ = writeln!(
            out,
            "{} {} ({})",
            clean(&package.name),
            package.version,
            clean(source)
        );
        let _ = writeln!(
            out,
            "  license     {}",
            clean(package.license.as_deref().unwrap_or("(none)"))
        );
        if package.is_member {
            let _ = writeln!(out, "  in graph    as a workspace member");
        }
        for path in graph
            .paths_to(&package.id)
            .iter()
            .filter(|path| path.len() > 1)
        {
            let _ = writeln!(out, "  path        {}", clean(&path.to_string()));
        }
        let dependencies = dependency_names(graph, package);
        if !dependencies.is_empty() {
            let _ = writeln!(out, "  depends on  {}", clean(&dependencies.join(", ")));
        }
        let releases = release_facts(&checked, package, request.run.now);
        if let Some(published) = releases.published {
            let _ = writeln!(out, "  published   {}", age(published, request.run.now));
        }
        if let Some(first) = releases.first_published {
            let _ = writeln!(out, "  first       {}", age(first, request.run.now));
        }
        if let Some(dormancy) = &releases.dormancy {
            let _ = writeln!(out, "  dormancy    {}", dormancy.describe());
        }
        if let Some(code) = package.build_code {
            let _ = writeln!(out, "  build code  {}", code.describe());
        }
        render_code(&mut out, package);
        if !releases.lookalikes.is_empty() {
            let _ = writeln!(
                out,
                "  lookalike   one edit from {}",
                clean(&releases.lookalikes.join(", "))
            );
        }
        if let Some(survey) = &releases.neighbours {
            render_neighbours(&mut out, survey);
        }
        let found = of_package(package);
        if found.is_empty() {
            let _ = writeln!(out, "  findings    none");
        }
        for verdict in found {
            let _ = writeln!(out, "  finding     {}", finding_line(verdict));
        }
    }
    if !about_crate.is_empty() {
        let _ = writeln!(out, "\nFindings about the crate:");
        for verdict in about_crate {
            let _ = writeln!(out, "  {}", finding_line(verdict));
        }
    }
    render_history(&mut out, workspace.baseline.as_ref(), name);
    let _ = writeln!(out, "\nExemptions:");
    if exemptions.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for exemption in exemptions {
        let _ = writeln!(
            out,
            "  {}:{} {} (until {}): {}",
            clean(&policy.display_name()),
            exemption.line,
            clean(&exemption.describe()),
            exemption.expires,
            clean(&exemption.reason)
        );
    }
    Ok(out)
}

/// What a package's code can do, per role, with the evidence, and the binaries it ships
/// (`--format json`).
fn code_json(package: &Package) -> serde_json::Value {
    match &package.code {
        Some(PackageCode::Read(facts)) => json!({
            "roles": facts.roles.iter().map(|(role, capabilities)| (
                role.as_str(),
                capabilities.iter().map(|(capability, evidence)| (
                    capability.as_str(),
                    evidence.iter().map(|evidence| json!({
                        "file": evidence.file,
                        "line": evidence.line,
                        "shows": evidence.shows,
                    })).collect::<Vec<_>>(),
                )).collect::<BTreeMap<_, _>>(),
            )).collect::<BTreeMap<_, _>>(),
            "binaries": facts.binaries().map(|(path, file)| json!({
                "path": path,
                "size": file.size,
                "kind": file.kind.describe(),
                "included": file.included,
            })).collect::<Vec<_>>(),
            "unreadable": facts.unreadable,
        }),
        Some(PackageCode::Unread(why)) => json!({ "unread": why }),
        None => serde_json::Value::Null,
    }
}

/// What a package's code can do, per role, with the evidence, and the binaries it ships.
fn render_code(out: &mut String, package: &Package) {
    match &package.code {
        Some(PackageCode::Read(facts)) => {
            for (role, capabilities) in &facts.roles {
                for (capability, evidence) in capabilities {
                    let shown: Vec<String> = evidence
                        .iter()
                        .map(|evidence| {
                            format!(
                                "{}:{} {}",
                                clean(&evidence.file),
                                evidence.line,
                                clean(&evidence.shows)
                            )
                        })
                        .collect();
                    let _ = writeln!(
                        out,
                        "  code        {} {} [{}]: {}",
                        role.describe(),
                        capability.describe(),
                        capability.as_str(),
                        shown.join("; ")
                    );
                }
            }
            for (path, file) in facts.binaries() {
                let _ = writeln!(
                    out,
                    "  binary      {} ({}, {} bytes)",
                    clean(path),
                    file.kind.describe(),
                    file.size
                );
            }
            for unreadable in &facts.unreadable {
                let _ = writeln!(out, "  unreadable  {}", clean(unreadable));
            }
        }
        Some(PackageCode::Unread(why)) => {
            let _ = writeln!(out, "  code        not read: {}", clean(why));
        }
        None => {}
    }
}

/// When a package's version and its crate were first published, whether the version ends years
/// of dormancy, and the trusted crates its name is one edit from (for a crate new to the
/// baseline).
struct ReleaseFacts {
    published: Option<i64>,
    first_published: Option<i64>,
    /// When the version ends years in which its crate published nothing.
    dormancy: Option<Dormancy>,
    lookalikes: Vec<String>,
    /// For a crate new to the baseline: what the index says of the names it may imitate.
    neighbours: Option<Survey>,
}

fn release_facts(checked: &pipeline::Checked, package: &Package, now: i64) -> ReleaseFacts {
    let entry = checked.facts.index.entry_of(package).ok().flatten();
    let lookalikes = match &checked.workspace.baseline {
        Some(baseline) if baseline.is_new(package) => crate::checks::lookalike::lookalikes_of(
            &package.name,
            baseline.crates.keys().map(|(name, _)| name.as_str()),
        )
        .into_iter()
        .map(str::to_owned)
        .collect(),
        _ => Vec::new(),
    };
    let neighbours = match &checked.workspace.baseline {
        Some(baseline) if baseline.is_new(package) => survey(
            package,
            &checked.facts.index,
            &checked.facts.neighbours,
            now,
        ),
        _ => None,
    };
    ReleaseFacts {
        neighbours,
        published: entry.and_then(|entry| entry.published_at(&package.version.to_string())),
        first_published: entry.and_then(|entry| entry.first_published()),
        dormancy: entry.and_then(|entry| dormancy(entry, &package.version)),
        lookalikes,
    }
}

/// What the index says of the names a new crate may imitate (`--format json`).
fn neighbours_json(survey: &Survey) -> serde_json::Value {
    json!({
        "asked": survey.asked,
        "cut": survey.cut,
        "settled": survey.settled,
        "imitates": survey.imitated.iter().map(|(name, standing)| json!({
            "crate": name,
            "first-published": first_published(standing).map(crate::support::date::rfc3339),
            "releases": standing.releases,
        })).collect::<Vec<_>>(),
        "not-established": survey.not_established,
        "undated": survey.undated,
        "not-crates": survey.absent,
        "unanswered": survey.unanswered.values().sum::<usize>(),
    })
}

/// The latest a crate's first release can be, as its standing says.
fn first_published(standing: &Standing) -> Option<i64> {
    match standing.first {
        FirstRelease::At(at) | FirstRelease::NoLaterThan(at) => Some(at),
        FirstRelease::Unknown => None,
    }
}

/// The names a new crate may imitate: which it imitates, and what the index said of the rest.
fn render_neighbours(out: &mut String, survey: &Survey) {
    for (name, standing) in &survey.imitated {
        let _ = writeln!(
            out,
            "  imitates    {} ({})",
            clean(name),
            standing.describe()
        );
    }
    if survey.settled {
        let _ = writeln!(
            out,
            "  neighbours  not sought: first published over two years ago and active since, it imitates nothing"
        );
        return;
    }
    if survey.standing.is_none() {
        let _ = writeln!(
            out,
            "  neighbours  not sought: its own index entry is not known"
        );
        return;
    }
    let left_out = if survey.cut {
        ", not the less likely ones (the bound)".to_owned()
    } else {
        String::new()
    };
    let mut parts = vec![format!("{} not crates", survey.absent)];
    if !survey.not_established.is_empty() {
        parts.push(format!(
            "not established beside it: {}",
            clean(&crate::support::text::name_list(&survey.not_established, 8))
        ));
    }
    if !survey.undated.is_empty() {
        parts.push(format!(
            "undated: {}",
            clean(&crate::support::text::name_list(&survey.undated, 8))
        ));
    }
    let unanswered: usize = survey.unanswered.values().sum();
    if unanswered > 0 {
        parts.push(format!("{unanswered} not answered"));
    }
    let _ = writeln!(
        out,
        "  neighbours  {} names it may imitate asked of the index{left_out}: {}",
        survey.asked,
        parts.join("; ")
    );
}

fn dependency_names(graph: &DependencyGraph, package: &Package) -> Vec<String> {
    graph
        .dependencies_of(package)
        .iter()
        .map(|dep| format!("{} {}", dep.name, dep.version))
        .collect()
}

fn finding_line(verdict: &Verdict) -> String {
    let finding = &verdict.finding;
    let status = super::status(verdict);
    let advisory = finding
        .advisory_id()
        .map(|id| format!(" {id}"))
        .unwrap_or_default();
    format!(
        "[{status}] {}{}: {}",
        finding.kind,
        clean(&advisory),
        clean(&finding.message)
    )
}

fn publisher_json(publisher: &Publisher) -> serde_json::Value {
    match publisher {
        Publisher::Account { id, login } => json!({ "id": id, "login": login }),
        Publisher::TrustedPublishing { repository } => {
            json!({ "trusted-publishing": repository })
        }
    }
}

/// What the baseline recorded for a crate, by source (an empty list: not recorded).
fn baseline_json(baseline: &Baseline, name: &str) -> serde_json::Value {
    baseline
        .records_named(name)
        .map(|(source, record)| {
            json!({
                "source": source,
                "owners": record.owners.as_ref().map(|owners| owners.iter().map(|owner| json!({
                    "id": owner.id,
                    "login": owner.login,
                    "kind": owner.kind.as_str(),
                })).collect::<Vec<_>>()),
                "versions": record.versions.iter().map(|(version, entry)| json!({
                    "version": version.to_string(),
                    "license": entry.license,
                    "build": entry.build_code.map(BuildCode::parts),
                    "code": entry.code.as_ref().map(|code| json!({
                        "capabilities": code.capabilities.iter().map(|(role, capabilities)| (
                            role.as_str(),
                            capabilities.iter().map(|capability| capability.as_str()).collect::<Vec<_>>(),
                        )).collect::<BTreeMap<_, _>>(),
                        "binaries": code.binaries,
                    })),
                    "published-by": entry.published_by.as_ref().map(publisher_json),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The crate's history from the baseline: each recorded version, its license and publisher.
fn render_history(out: &mut String, baseline: Option<&Baseline>, name: &str) {
    let _ = writeln!(out, "\nBaseline ({BASELINE_FILE}):");
    let Some(baseline) = baseline else {
        let _ = writeln!(
            out,
            "  none: this workspace has no {BASELINE_FILE} (create it with `cargo trustcheck init` or `cargo trustcheck baseline`)"
        );
        return;
    };
    let mut recorded = false;
    for (source, record) in baseline.records_named(name) {
        recorded = true;
        let from = if source == CRATES_IO {
            String::new()
        } else {
            format!(" from {}", clean(source))
        };
        if let Some(owners) = &record.owners {
            let owners: Vec<String> = owners
                .iter()
                .map(|owner| format!("{} ({})", clean(&owner.login), owner.kind.as_str()))
                .collect();
            let _ = writeln!(
                out,
                "  owners{from}  {}",
                if owners.is_empty() {
                    "none".to_owned()
                } else {
                    owners.join(", ")
                }
            );
        }
        let width = record
            .versions
            .keys()
            .map(|version| version.to_string().len())
            .max()
            .unwrap_or(0);
        for (version, entry) in &record.versions {
            let license = entry
                .license
                .as_deref()
                .map(clean)
                .unwrap_or_else(|| "(no license)".to_owned());
            let publisher = match &entry.published_by {
                Some(Publisher::Account { login, .. }) => {
                    format!("  published by {}", clean(login))
                }
                Some(Publisher::TrustedPublishing { repository }) => {
                    format!(
                        "  published by trusted publishing from {}",
                        clean(repository)
                    )
                }
                None => String::new(),
            };
            let mut build = match entry.build_code {
                Some(code) if code.any() => format!("  runs {}", code.describe()),
                _ => String::new(),
            };
            if let Some(code) = &entry.code {
                for (role, capabilities) in &code.capabilities {
                    let names: Vec<&str> = capabilities
                        .iter()
                        .map(|capability| capability.as_str())
                        .collect();
                    build.push_str(&format!("  {}: {}", role.as_str(), names.join(", ")));
                }
                if !code.binaries.is_empty() {
                    let paths: Vec<String> = code.binaries.iter().map(|path| clean(path)).collect();
                    build.push_str(&format!("  binaries: {}", paths.join(", ")));
                }
            }
            let version = version.to_string();
            let pad = " ".repeat(width.saturating_sub(version.len()));
            let _ = writeln!(out, "  {version}{pad}{from}  {license}{build}{publisher}");
        }
    }
    if !recorded {
        let _ = writeln!(
            out,
            "  not recorded (`cargo trustcheck baseline --accept {}` records it)",
            clean(name)
        );
    }
}
