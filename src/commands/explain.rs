//! `explain ID-or-CRATE`: one advisory in full, or why one crate is in the graph (its dependency
//! paths), which findings and exemptions apply to it, and what the baseline accepted for it.

use std::fmt::Write;

use rustsec::Advisory;
use serde_json::json;

use super::check::{self, CheckRequest};
use crate::advisories::{self, advisory_ref, fetch::Refresh, kind_of};
use crate::baseline::{BASELINE_FILE, Baseline, CRATES_IO, Publisher};
use crate::cache::{CacheDir, FRESH_FOR};
use crate::cli::{ExplainArgs, Outcome, print_stdout};
use crate::error::Error;
use crate::graph::Package;
use crate::report::Format;
use crate::report::json::JsonFinding;
use crate::text::sanitize_terminal as clean;
use crate::workspace::guess_root;

/// Whether the subject names an advisory rather than a crate.
pub fn is_advisory_id(subject: &str) -> bool {
    let upper = subject.to_ascii_uppercase();
    ["RUSTSEC-", "CVE-", "GHSA-"]
        .iter()
        .any(|prefix| upper.starts_with(prefix))
}

/// Runs `explain`.
pub fn run(args: &ExplainArgs) -> anyhow::Result<Outcome> {
    let request = args.workspace.request(&args.graph);
    let text = if is_advisory_id(&args.subject) {
        explain_advisory(&request, &args.subject, args.format)?
    } else {
        explain_crate(&request, &args.subject, args.format)?
    };
    print_stdout(&text)?;
    Ok(Outcome::Passed)
}

fn explain_advisory(request: &CheckRequest, id: &str, format: Format) -> Result<String, Error> {
    let root = guess_root(request.workspace.manifest_path.as_deref());
    let policy = check::policy_only(request, &root)?;
    let refresh = if request.workspace.offline {
        Refresh::Offline
    } else {
        Refresh::IfStale(FRESH_FOR)
    };
    let mut opened = advisories::obtain(
        request.advisory_db.as_deref(),
        &policy.advisories.db_url,
        CacheDir::from_env,
        refresh,
    )?;
    opened.database.load_all()?;
    let advisory = opened.database.find(id).cloned().ok_or_else(|| {
        Error::Usage(format!(
            "no advisory `{id}` in the advisory database at {}",
            opened.location
        ))
    })?;

    // Best effort: which packages of this workspace it affects, when run inside one.
    let affected: Vec<crate::finding::Verdict> =
        if root.join("Cargo.toml").is_file() || request.workspace.metadata_json.is_some() {
            check::run(request)
                .map(|report| {
                    report
                        .verdicts
                        .into_iter()
                        .filter(|verdict| {
                            verdict.finding.advisory_id() == Some(advisory.metadata.id.as_str())
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };

    Ok(match format {
        Format::Json => {
            let reference = advisory_ref(&advisory);
            let document = json!({
                "format-version": 1,
                "advisory": {
                    "id": reference.id,
                    "crate": advisory.metadata.package.as_str(),
                    "kind": kind_of(&advisory),
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
                "findings": affected.iter().map(JsonFinding::of).collect::<Vec<_>>(),
            });
            serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
        }
        _ => render_advisory(&advisory, &affected),
    })
}

fn render_advisory(advisory: &Advisory, affected: &[crate::finding::Verdict]) -> String {
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
    if let Some(affected) = &advisory.affected {
        field("os", affected.os.join(", "));
        field("arch", affected.arch.join(", "));
    }
    if let Some(withdrawn) = &metadata.withdrawn {
        field("withdrawn", withdrawn.as_str().to_owned());
    }
    field("url", reference.url.clone().unwrap_or_default());
    out.push('\n');
    for line in metadata.description.trim().lines() {
        let _ = writeln!(out, "  {}", clean(line));
    }
    if !affected.is_empty() {
        let _ = writeln!(out, "\nIn this workspace:");
        for verdict in affected {
            let finding = &verdict.finding;
            let status = match &verdict.exemption {
                Some(exemption) => format!(
                    "exempted until {} (policy line {})",
                    exemption.expires, exemption.line
                ),
                None => verdict.level.to_string(),
            };
            let _ = writeln!(
                out,
                "  {} {} [{status}]",
                clean(finding.crate_name().unwrap_or("")),
                finding
                    .version()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
            for path in &finding.paths {
                let _ = writeln!(out, "    path {}", clean(&path.join(" → ")));
            }
        }
    }
    out
}

fn explain_crate(request: &CheckRequest, subject: &str, format: Format) -> Result<String, Error> {
    let (name, version) = match subject.split_once('@') {
        Some((name, version)) => (name, Some(version)),
        None => (subject, None),
    };
    let loaded = check::load(request)?;
    let report = check::evaluate(&loaded, request);
    let graph = &loaded.workspace.graph;
    let packages: Vec<&Package> = graph
        .packages_named(name)
        .filter(|package| version.is_none_or(|version| package.version.to_string() == version))
        .collect();
    if packages.is_empty() {
        return Err(Error::Usage(format!(
            "crate `{subject}` is not in the dependency graph of {}",
            loaded.workspace.root.display()
        )));
    }
    let verdicts: Vec<&crate::finding::Verdict> = report
        .verdicts
        .iter()
        .filter(|verdict| verdict.finding.crate_name() == Some(name))
        .filter(|verdict| {
            version.is_none_or(|version| {
                verdict
                    .finding
                    .version()
                    .is_none_or(|found| found.to_string() == version)
            })
        })
        .collect();
    let policy = &loaded.workspace.policy;
    let exemptions: Vec<&crate::policy::Exemption> = policy
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

    if format == Format::Json {
        let document = json!({
            "format-version": 1,
            "crate": name,
            "packages": packages.iter().map(|package| json!({
                "version": package.version.to_string(),
                "source": package.source,
                "license": package.license,
                "workspace-member": package.is_member,
                "paths": graph.paths_to(&package.id),
                "dependencies": graph.dependencies_of(package).iter().map(|dep| format!("{} {}", dep.name, dep.version)).collect::<Vec<_>>(),
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
            "baseline": loaded.workspace.baseline.as_ref().map(|baseline| baseline_json(baseline, name)),
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
        let paths = graph.paths_to(&package.id);
        if package.is_member {
            let _ = writeln!(out, "  in graph    as a workspace member");
        }
        for path in paths.iter().filter(|path| path.len() > 1) {
            let _ = writeln!(out, "  path        {}", clean(&path.join(" → ")));
        }
        let dependencies: Vec<String> = graph
            .dependencies_of(package)
            .iter()
            .map(|dep| format!("{} {}", dep.name, dep.version))
            .collect();
        if !dependencies.is_empty() {
            let _ = writeln!(out, "  depends on  {}", clean(&dependencies.join(", ")));
        }
    }
    let _ = writeln!(out, "\nFindings:");
    if verdicts.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for verdict in &verdicts {
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
        let _ = writeln!(
            out,
            "  [{status}] {}{}: {}",
            finding.kind,
            clean(&advisory),
            clean(&finding.message)
        );
    }
    render_history(&mut out, loaded.workspace.baseline.as_ref(), name);
    let _ = writeln!(out, "\nExemptions:");
    if exemptions.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for exemption in exemptions {
        let _ = writeln!(
            out,
            "  {}:{} {} (until {}): {}",
            policy.display_name(),
            exemption.line,
            clean(&exemption.describe()),
            exemption.expires,
            clean(&exemption.reason)
        );
    }
    Ok(out)
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
                    "published-by": entry.published_by.as_ref().map(publisher_json),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The crate's license history from the baseline: each recorded version and its license.
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
            let _ = writeln!(
                out,
                "  {:<width$}{from}  {license}{publisher}",
                version.to_string()
            );
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
