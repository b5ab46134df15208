//! `diff BASE [HEAD]`: the reviewer's report between two git revisions (HEAD defaults to the
//! working tree). Both sides' root files are read the one way every command reads them; the
//! findings come from the pipeline's checks over each side's lock file.

use std::collections::BTreeSet;

use super::{Outcome, print};
use crate::diff::{self, Diff, Side, render};
use crate::error::Error;
use crate::facts::crates::sources::RegistryNames;
use crate::load::workspace::files::{FileOptions, FileSource, RootFiles};
use crate::load::workspace::guess_root;
use crate::load::workspace::revision::{Repository, Revision};
use crate::pipeline::revision::RevisionFiles;
use crate::pipeline::{self, RunOptions};
use crate::support::terminal::Terminal;

/// The formats `diff` renders in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Text for a terminal.
    #[default]
    Human,
    /// The contract's JSON document.
    Json,
    /// GitHub-flavoured Markdown, for a pull-request comment.
    Markdown,
}

/// What `diff` is asked to do.
#[derive(Clone, Debug)]
pub struct DiffRequest {
    /// The run: workspace, `--policy`, `--advisory-db`.
    pub run: RunOptions,
    /// The base revision.
    pub base: String,
    /// The head revision (`None`: the working tree).
    pub head: Option<String>,
    /// The output format.
    pub format: DiffFormat,
}

/// One side's files, read and parsed.
fn load_side(
    repository: &Repository,
    revision: &Revision,
    options: &FileOptions,
) -> Result<(Side, Option<crate::load::baseline::Baseline>), Error> {
    let source = match revision {
        Revision::WorkingTree => FileSource::WorkingTree {
            root: &repository.workspace_dir,
        },
        Revision::Commit { name, id } => FileSource::Revision {
            repository,
            name,
            id,
        },
    };
    let files = RootFiles::read(source, options);
    Ok((
        Side {
            label: revision.label(),
            policy: files.policy?.unwrap_or_default(),
            lockfile: files.lockfile?.unwrap_or_default(),
        },
        files.baseline?,
    ))
}

/// Keeps of a side's lock file the packages of its graph narrowed as `check` would narrow it
/// (`--target`, `--exclude-dev`, features), so that its findings, dependencies and arrivals
/// are those of the same graph.
fn narrow(
    side: &mut Side,
    repository: &Repository,
    revision: &Revision,
    options: &RunOptions,
) -> Result<(), Error> {
    if side.lockfile.packages.is_empty() {
        return Ok(());
    }
    let graph = crate::load::workspace::graph_at(repository, revision, &options.workspace)?;
    let kept: BTreeSet<(&str, &semver::Version, Option<&str>)> = graph
        .packages()
        .iter()
        .map(|package| {
            (
                package.name.as_str(),
                &package.version,
                package.source.as_deref(),
            )
        })
        .collect();
    side.lockfile = side
        .lockfile
        .restricted_to(|name, version, source| kept.contains(&(name, version, source)));
    Ok(())
}

/// Computes the diff between two revisions of the workspace.
pub fn compute(request: &DiffRequest) -> Result<Diff, Error> {
    let options = &request.run;
    let root = guess_root(options.workspace.manifest_path.as_deref());
    let repository = Repository::discover(&root)?;
    let base_revision = repository.resolve(&request.base)?;
    let head_revision = match &request.head {
        Some(name) => repository.resolve(name)?,
        None => Revision::WorkingTree,
    };
    let file_options = FileOptions {
        policy: options.workspace.policy.clone(),
        read_policy: true,
        read_baseline: true,
        today: options.today,
    };
    // A baseline file, even one that accepts nothing yet, makes every registry crate new to it,
    // as `check` judges; without one, the checks against a baseline do not apply.
    let (mut base, base_baseline_file) = load_side(&repository, &base_revision, &file_options)?;
    let (mut head, head_baseline_file) = load_side(&repository, &head_revision, &file_options)?;
    let base_baseline = base_baseline_file.clone().unwrap_or_default();
    let head_baseline = head_baseline_file.clone().unwrap_or_default();
    if options.workspace.graph.narrows() {
        narrow(&mut base, &repository, &base_revision, options)?;
        narrow(&mut head, &repository, &head_revision, options)?;
    }

    // Every kind at both revisions, from cached facts only (a diff never fetches): the given
    // advisory directory or the cached clone, the caches of crate facts, index entries and
    // ownership data. What no cache held is said.
    let mut database = pipeline::facts::cached_database(
        options.advisory_db.as_deref(),
        &head.policy.advisories.db_url,
    )?;
    if let Some(opened) = &mut database {
        let names: Vec<&str> = base.lockfile.names().chain(head.lockfile.names()).collect();
        opened.database.load_crates(names)?;
    }
    let registries = RegistryNames::discover(&root);
    let findings_at = |side: &Side, baseline: Option<&crate::load::baseline::Baseline>| {
        pipeline::revision::evaluate_revision(
            &RevisionFiles {
                policy: &side.policy,
                lockfile: &side.lockfile,
                baseline,
            },
            &root,
            database.as_ref().map(|opened| &opened.database),
            &registries,
            options,
        )
    };
    let (base_findings, head_findings) = (
        findings_at(&base, base_baseline_file.as_ref()),
        findings_at(&head, head_baseline_file.as_ref()),
    );
    let mut missing = head_findings.missing.clone();
    for line in base_findings.missing {
        if !missing.contains(&line) {
            missing.push(format!("at {}: {line}", base.label));
        }
    }
    let licenses_widened = widened_licenses(&base, &head, |policy| {
        pipeline::revision::evaluate_revision(
            &RevisionFiles {
                policy,
                lockfile: &head.lockfile,
                baseline: head_baseline_file.as_ref(),
            },
            &root,
            None,
            &registries,
            options,
        )
        .verdicts
    });
    let mut findings = diff::diff_findings(base_findings.verdicts, head_findings.verdicts);
    findings.available = database.is_some();
    findings.missing = missing;
    Ok(Diff {
        base: base.label.clone(),
        head: head.label.clone(),
        policy: diff::policy::diff_policies(&base.policy, &head.policy),
        exemptions: diff::diff_exemptions(&base.policy.exemptions, &head.policy.exemptions),
        unrecorded: diff::unrecorded(&head_baseline, &head.lockfile),
        unrecorded_versions: diff::unrecorded_versions(&head_baseline, &head.lockfile),
        licenses_widened,
        baseline: diff::baseline::diff_baselines(&base_baseline, &head_baseline),
        dependencies: diff::diff_dependencies(&base.lockfile, &head.lockfile),
        arrivals: diff::arrivals(
            &base_baseline,
            &head_baseline,
            &base.lockfile,
            &head.lockfile,
        ),
        findings,
    })
}

/// The license ids the head's allow list adds, each with the crates of the head that the
/// base's allow list refused and the head's accepts (`license_findings` runs the checks on the
/// head's files under a policy).
fn widened_licenses(
    base: &Side,
    head: &Side,
    license_findings: impl Fn(&crate::policy::Policy) -> Vec<crate::finding::Verdict>,
) -> Vec<diff::LicenseWidening> {
    let added: Vec<&String> = head
        .policy
        .licenses
        .allow
        .iter()
        .filter(|id| !base.policy.licenses.allow.contains(id))
        .collect();
    if added.is_empty() {
        return Vec::new();
    }
    let refused = |policy: &crate::policy::Policy| -> BTreeSet<(String, String, String)> {
        license_findings(policy)
            .into_iter()
            .filter(|verdict| verdict.finding.kind == crate::finding::FindingKind::License)
            .filter_map(|verdict| {
                let finding = &verdict.finding;
                Some((
                    finding.crate_name()?.to_owned(),
                    finding.version()?.to_string(),
                    finding.message.clone(),
                ))
            })
            .collect()
    };
    let mut with_base_allow = head.policy.clone();
    with_base_allow.licenses.allow = base.policy.licenses.allow.clone();
    let at_head: BTreeSet<(String, String)> = refused(&head.policy)
        .into_iter()
        .map(|(name, version, _)| (name, version))
        .collect();
    let let_in: Vec<(String, String, String)> = refused(&with_base_allow)
        .into_iter()
        .filter(|(name, version, _)| !at_head.contains(&(name.clone(), version.clone())))
        .collect();
    added
        .into_iter()
        .map(|id| diff::LicenseWidening {
            license: id.clone(),
            // The license finding's message names the ids the allow list lacked.
            lets_in: let_in
                .iter()
                .filter(|(_, _, message)| names_id(message, id))
                .map(|(name, version, _)| format!("{name} {version}"))
                .collect(),
        })
        .collect()
}

/// Whether `text` names the SPDX id `id` as a whole word.
fn names_id(text: &str, id: &str) -> bool {
    text.match_indices(id).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        let part = |c: Option<char>| {
            c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '+')
        };
        !part(before) && !part(after)
    })
}

/// Runs `diff`.
pub fn run(request: &DiffRequest, terminal: &Terminal) -> Result<Outcome, Error> {
    let diff = compute(request)?;
    terminal.verbose(&format!(
        "diff: {} against {}: {} dependencies added, {} removed, {} changed; findings {}",
        diff.head,
        diff.base,
        diff.dependencies.added.len(),
        diff.dependencies.removed.len(),
        diff.dependencies.changed.len(),
        if diff.findings.missing.is_empty() {
            "from cached facts".to_owned()
        } else {
            format!(
                "from cached facts, without {}",
                diff.findings.missing.join("; ")
            )
        }
    ));
    let text = match request.format {
        DiffFormat::Json => render::json(&diff),
        DiffFormat::Markdown => render::markdown(&diff),
        DiffFormat::Human => render::human(&diff),
    };
    print(terminal, &text)?;
    Ok(Outcome::Passed)
}
