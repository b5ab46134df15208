//! `explain ID-or-CRATE`: one advisory in full and what it means for this workspace, or why one
//! crate is in the graph (its dependency paths), which findings and exemptions apply to each of
//! its versions, and what the baseline accepted for it.
//!
//! Both run the whole pipeline once (the advisory database is opened once, so no lock is ever
//! asked for twice), and any error of that run is an error of `explain`.

use std::fmt::Write;

use rustsec::Advisory;
use serde_json::json;

use super::{Outcome, print};
use crate::advisories::{self, TargetFilter, advisory_ref, kind_of};
use crate::baseline::{BASELINE_FILE, Baseline, CRATES_IO, Publisher};
use crate::error::{Error, UsageError};
use crate::finding::Verdict;
use crate::graph::{BuildCode, DependencyGraph, Package};
use crate::pipeline::{self, AdvisoryScope, RunOptions};
use crate::policy::{DEFAULT_ADVISORY_DB_URL, Exemption, Policy};
use crate::releases::age;
use crate::report::json::JsonFinding;
use crate::terminal::Terminal;
use crate::text::sanitize_terminal as clean;
use crate::workspace;

/// The formats `explain` renders in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Text for a terminal.
    #[default]
    Human,
    /// A JSON document.
    Json,
}

/// What `explain` is asked to do.
#[derive(Clone, Debug)]
pub struct ExplainRequest {
    /// The run: workspace, graph options, network.
    pub run: RunOptions,
    /// An advisory id or alias, or a crate (`name` or `name@version`).
    pub subject: String,
    /// The output format.
    pub format: ExplainFormat,
}

/// Whether the subject names an advisory rather than a crate.
pub fn is_advisory_id(subject: &str) -> bool {
    let upper = subject.to_ascii_uppercase();
    ["RUSTSEC-", "CVE-", "GHSA-"]
        .iter()
        .any(|prefix| upper.starts_with(prefix))
}

/// Runs `explain`.
pub fn run(request: &ExplainRequest, terminal: &Terminal) -> Result<Outcome, Error> {
    let text = if is_advisory_id(&request.subject) {
        explain_advisory(request, terminal)?
    } else {
        explain_crate(request, terminal)?
    };
    print(terminal, &text)?;
    Ok(Outcome::Passed)
}

/// How one package of the graph stands with an advisory.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Standing {
    /// The advisory applies; its finding (levelled, maybe exempted) is in the report.
    Affected,
    /// The locked version is not affected.
    NotAffected,
    /// The version is affected, but the advisory is restricted to platforms none of the
    /// selected targets is.
    OtherTargets,
    /// The package is not from the registry the advisory is about.
    OtherSource,
}

impl Standing {
    fn code(&self) -> &'static str {
        match self {
            Standing::Affected => "affected",
            Standing::NotAffected => "not-affected",
            Standing::OtherTargets => "other-targets",
            Standing::OtherSource => "other-source",
        }
    }
}

/// What the workspace's run says about an advisory.
struct InWorkspace {
    root: std::path::PathBuf,
    targets: Vec<String>,
    packages: Vec<(Package, Standing, Vec<Vec<String>>)>,
    findings: Vec<Verdict>,
}

fn standing(advisory: &Advisory, package: &Package, targets: &TargetFilter) -> Standing {
    let every_platform = TargetFilter::new(&[]);
    if advisories::affects(advisory, package, targets) {
        Standing::Affected
    } else if advisories::affects(advisory, package, &every_platform) {
        Standing::OtherTargets
    } else if advisory.versions.is_vulnerable(&package.version)
        && advisory.metadata.withdrawn.is_none()
    {
        Standing::OtherSource
    } else {
        Standing::NotAffected
    }
}

fn explain_advisory(request: &ExplainRequest, terminal: &Terminal) -> Result<String, Error> {
    let id = request.subject.as_str();
    let options = &request.run;
    let (database, in_workspace) = if workspace::exists(&options.workspace) {
        let checked = pipeline::check(options, AdvisoryScope::All)?;
        for line in &checked.trace {
            terminal.verbose(line);
        }
        let canonical = checked
            .facts
            .database
            .database
            .find(id)
            .map(|advisory| advisory.metadata.id.as_str().to_owned());
        let findings = checked
            .report
            .verdicts
            .into_iter()
            .filter(|verdict| {
                canonical.is_some() && verdict.finding.advisory_id() == canonical.as_deref()
            })
            .collect();
        let in_workspace = InWorkspace {
            root: checked.workspace.root.clone(),
            targets: options.workspace.graph.targets.clone(),
            packages: Vec::new(),
            findings,
        };
        (
            checked.facts.database,
            Some((checked.workspace, in_workspace)),
        )
    } else {
        // Outside a workspace: the advisory alone, from --advisory-db or the database the
        // policy given with --policy names (else the default one).
        let url = match &options.workspace.policy {
            Some(path) => Policy::load(path, true, options.today)?.advisories.db_url,
            None => DEFAULT_ADVISORY_DB_URL.to_owned(),
        };
        let database = pipeline::facts::open_database(
            options.advisory_db.as_deref(),
            &url,
            options.refresh(),
            [],
            AdvisoryScope::All,
        )?;
        (database, None)
    };
    let advisory =
        database
            .database
            .find(id)
            .cloned()
            .ok_or_else(|| UsageError::NoSuchAdvisory {
                id: id.to_owned(),
                location: database.location.clone(),
            })?;
    let in_workspace = in_workspace.map(|(workspace, mut in_workspace)| {
        let targets = TargetFilter::new(&in_workspace.targets);
        in_workspace.packages = workspace
            .graph
            .packages_named(advisory.metadata.package.as_str())
            .map(|package| {
                (
                    package.clone(),
                    standing(&advisory, package, &targets),
                    workspace.graph.paths_to(&package.id),
                )
            })
            .collect();
        in_workspace
    });
    Ok(match request.format {
        ExplainFormat::Json => advisory_json(&advisory, in_workspace.as_ref()),
        ExplainFormat::Human => render_advisory(&advisory, in_workspace.as_ref()),
    })
}

fn advisory_json(advisory: &Advisory, in_workspace: Option<&InWorkspace>) -> String {
    let reference = advisory_ref(advisory);
    let document = json!({
        "format-version": 1,
        "advisory": {
            "id": reference.id,
            "crate": advisory.metadata.package.as_str(),
            "kind": kind_of(advisory),
            "title": advisory.metadata.title,
            "description": advisory.metadata.description,
            "date": reference.date,
            "aliases": reference.aliases,
            "severity": reference.severity,
            "patched": reference.patched,
            "unaffected": advisory.versions.unaffected().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "withdrawn": advisory.metadata.withdrawn.as_ref().map(|date| date.as_str().to_owned()),
            "url": reference.url,
        },
        "findings": in_workspace.map(|in_workspace| in_workspace.findings.iter().map(JsonFinding::of).collect::<Vec<_>>()).unwrap_or_default(),
        "packages": in_workspace.map(|in_workspace| in_workspace.packages.iter().map(|(package, standing, paths)| json!({
            "version": package.version.to_string(),
            "source": package.source,
            "standing": standing.code(),
            "paths": paths,
        })).collect::<Vec<_>>()),
    });
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

fn render_advisory(advisory: &Advisory, in_workspace: Option<&InWorkspace>) -> String {
    let reference = advisory_ref(advisory);
    let metadata = &advisory.metadata;
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", clean(&reference.id), clean(&metadata.title));
    let mut field = |name: &str, value: String| {
        if !value.is_empty() {
            let _ = writeln!(out, "  {name:<11} {}", clean(&value));
        }
    };
    field("crate", metadata.package.as_str().to_owned());
    field("kind", kind_of(advisory).to_string());
    field("date", metadata.date.as_str().to_owned());
    field("aliases", reference.aliases.join(", "));
    field("severity", reference.severity.clone().unwrap_or_default());
    field(
        "patched",
        if reference.patched.is_empty() {
            "none".to_owned()
        } else {
            reference.patched.join(", ")
        },
    );
    field(
        "unaffected",
        advisory
            .versions
            .unaffected()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    );
    let restriction = advisory.affected.as_ref().map(|affected| {
        let mut parts = Vec::new();
        if !affected.os.is_empty() {
            parts.push(format!("os = {}", affected.os.join(", ")));
        }
        if !affected.arch.is_empty() {
            parts.push(format!("arch = {}", affected.arch.join(", ")));
        }
        parts.join("; ")
    });
    field("platforms", restriction.clone().unwrap_or_default());
    if let Some(withdrawn) = &metadata.withdrawn {
        field("withdrawn", withdrawn.as_str().to_owned());
    }
    field("url", reference.url.clone().unwrap_or_default());
    out.push('\n');
    for line in metadata.description.trim().lines() {
        let _ = writeln!(out, "  {}", clean(line));
    }
    let Some(in_workspace) = in_workspace else {
        return out;
    };
    let _ = writeln!(
        out,
        "\nIn this workspace ({}):",
        clean(&in_workspace.root.display().to_string())
    );
    if in_workspace.packages.is_empty() {
        let _ = writeln!(
            out,
            "  {} is not in the dependency graph",
            clean(metadata.package.as_str())
        );
    }
    for (package, standing, paths) in &in_workspace.packages {
        let name = format!("{} {}", clean(&package.name), package.version);
        match standing {
            Standing::Affected => {
                for verdict in in_workspace.findings.iter().filter(|verdict| {
                    verdict.finding.version() == Some(&package.version)
                        && verdict.finding.package.as_ref().map(|p| &p.source)
                            == Some(&package.source)
                }) {
                    let status = match &verdict.exemption {
                        Some(exemption) => format!(
                            "exempted until {} (policy line {})",
                            exemption.expires, exemption.line
                        ),
                        None => verdict.level.to_string(),
                    };
                    let _ = writeln!(out, "  {name}: affected [{status}]");
                }
                if metadata.withdrawn.is_none()
                    && !in_workspace
                        .findings
                        .iter()
                        .any(|verdict| verdict.finding.version() == Some(&package.version))
                {
                    let _ = writeln!(
                        out,
                        "  {name}: affected (the policy allows this kind of finding)"
                    );
                }
            }
            Standing::NotAffected => {
                let _ = writeln!(out, "  {name}: not affected");
            }
            Standing::OtherTargets => {
                let _ = writeln!(
                    out,
                    "  {name}: does not apply to the selected targets ({}): the advisory is restricted to {}",
                    clean(&in_workspace.targets.join(", ")),
                    clean(&restriction.clone().unwrap_or_default())
                );
            }
            Standing::OtherSource => {
                let _ = writeln!(
                    out,
                    "  {name}: not affected: it comes from {}, not from the registry the advisory is about",
                    clean(package.source.as_deref().unwrap_or("a local path"))
                );
            }
        }
        for path in paths.iter().filter(|path| path.len() > 1) {
            let _ = writeln!(out, "    path {}", clean(&path.join(" → ")));
        }
    }
    out
}

fn explain_crate(request: &ExplainRequest, terminal: &Terminal) -> Result<String, Error> {
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
            "packages": packages.iter().map(|package| json!({
                "version": package.version.to_string(),
                "source": package.source,
                "license": package.license,
                "workspace-member": package.is_member,
                "paths": graph.paths_to(&package.id),
                "dependencies": dependency_names(graph, package),
                "published": release_facts(&checked, package).published.map(crate::date::rfc3339),
                "first-published": release_facts(&checked, package).first_published.map(crate::date::rfc3339),
                "build": package.build_code.map(build_json),
                "lookalikes": release_facts(&checked, package).lookalikes,
                "findings": of_package(package).iter().map(|verdict| JsonFinding::of(verdict)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "findings": verdicts.iter().map(|verdict| JsonFinding::of(verdict)).collect::<Vec<_>>(),
            "exemptions": exemptions.iter().map(|exemption| json!({
                "line": exemption.line,
                "advisory": exemption.advisory,
                "crate": exemption.crate_name,
                "version": exemption.version.as_ref().map(ToString::to_string),
                "kind": exemption.kind,
                "reason": exemption.reason,
                "expires": exemption.expires.to_string(),
            })).collect::<Vec<_>>(),
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
            let _ = writeln!(out, "  path        {}", clean(&path.join(" → ")));
        }
        let dependencies = dependency_names(graph, package);
        if !dependencies.is_empty() {
            let _ = writeln!(out, "  depends on  {}", clean(&dependencies.join(", ")));
        }
        let releases = release_facts(&checked, package);
        if let Some(published) = releases.published {
            let _ = writeln!(out, "  published   {}", age(published, request.run.now));
        }
        if let Some(first) = releases.first_published {
            let _ = writeln!(out, "  first       {}", age(first, request.run.now));
        }
        if let Some(code) = package.build_code {
            let _ = writeln!(out, "  build code  {}", code.describe());
        }
        if !releases.lookalikes.is_empty() {
            let _ = writeln!(
                out,
                "  lookalike   one edit from {}",
                clean(&releases.lookalikes.join(", "))
            );
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

/// When a package's version and its crate were first published, and the trusted crates its
/// name is one edit from (for a crate new to the baseline).
struct ReleaseFacts {
    published: Option<i64>,
    first_published: Option<i64>,
    lookalikes: Vec<String>,
}

fn release_facts(checked: &pipeline::Checked, package: &Package) -> ReleaseFacts {
    let entry = checked.facts.index.entry_of(package).ok().flatten();
    let lookalikes = match &checked.workspace.baseline {
        Some(baseline) if crate::arrivals::is_new(package, baseline) => {
            crate::lookalike::lookalikes_of(
                &package.name,
                baseline.crates.keys().map(|(name, _)| name.as_str()),
            )
            .into_iter()
            .map(str::to_owned)
            .collect()
        }
        _ => Vec::new(),
    };
    ReleaseFacts {
        published: entry.and_then(|entry| entry.published_at(&package.version.to_string())),
        first_published: entry.and_then(|entry| entry.first_published()),
        lookalikes,
    }
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
    let status = match &verdict.exemption {
        Some(exemption) => format!(
            "exempted until {} (policy line {})",
            exemption.expires, exemption.line
        ),
        None => verdict.level.to_string(),
    };
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

/// Build code as the baseline writes it: `[]`, `["script"]`, `["proc-macro"]` or both.
fn build_json(code: BuildCode) -> serde_json::Value {
    let mut parts = Vec::new();
    if code.build_script {
        parts.push("script");
    }
    if code.proc_macro {
        parts.push("proc-macro");
    }
    json!(parts)
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
                    "build": entry.build_code.map(build_json),
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
            let build = match entry.build_code {
                Some(code) if code.any() => format!("  runs {}", code.describe()),
                _ => String::new(),
            };
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
