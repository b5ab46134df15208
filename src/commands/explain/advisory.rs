//! `explain ID`: one advisory in full (by id or alias), and how each package of the graph that
//! it names stands with it.

use std::fmt::Write;

use rustsec::Advisory;
use serde_json::json;

use super::{ExplainFormat, ExplainRequest};
use crate::checks::advisories::{self, advisory_ref, kind_of};
use crate::error::{Error, UsageError};
use crate::facts::advisories::TargetFilter;
use crate::finding::Verdict;
use crate::load::graph::{DependencyPath, Package};
use crate::load::workspace;
use crate::pipeline::{self, AdvisoryScope};
use crate::policy::{DEFAULT_ADVISORY_DB_URL, Policy};
use crate::report::json::JsonFinding;
use crate::support::terminal::Terminal;
use crate::support::text::sanitize_terminal as clean;

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
    packages: Vec<(Package, Standing, Vec<DependencyPath>)>,
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

/// The explanation of an advisory, in the format asked for.
pub(super) fn explain_advisory(
    request: &ExplainRequest,
    terminal: &Terminal,
) -> Result<String, Error> {
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
            "paths": paths.iter().map(DependencyPath::names).collect::<Vec<_>>(),
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
                    let _ = writeln!(out, "  {name}: affected [{}]", super::status(verdict));
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
            let _ = writeln!(out, "    path {}", clean(&path.to_string()));
        }
    }
    out
}
