//! `diff BASE [HEAD]`: the reviewer's report between two git revisions (HEAD defaults to the
//! working tree). Both sides' root files are read the one way every command reads them; the
//! findings come from the pipeline's checks over each side's lock file.

use std::collections::BTreeSet;

use super::{Outcome, print};
use crate::diff::{self, Diff, FindingDiff, Side, render};
use crate::error::Error;
use crate::facts::crates::sources::RegistryNames;
use crate::load::workspace::files::{FileOptions, FileSource, RootFiles};
use crate::load::workspace::guess_root;
use crate::load::workspace::revision::{Repository, Revision};
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
) -> Result<(Side, crate::load::baseline::Baseline), Error> {
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
        files.baseline?.unwrap_or_default(),
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
    let (mut base, base_baseline) = load_side(&repository, &base_revision, &file_options)?;
    let (mut head, head_baseline) = load_side(&repository, &head_revision, &file_options)?;
    if options.workspace.graph.narrows() {
        narrow(&mut base, &repository, &base_revision, options)?;
        narrow(&mut head, &repository, &head_revision, options)?;
    }

    // Findings need the advisory database: the given directory, or the cached clone (nothing
    // is fetched for a diff).
    let findings = match pipeline::facts::cached_database(
        options.advisory_db.as_deref(),
        &head.policy.advisories.db_url,
    )? {
        Some(mut opened) => {
            let names: Vec<&str> = base.lockfile.names().chain(head.lockfile.names()).collect();
            opened.database.load_crates(names)?;
            let registries = RegistryNames::discover(&root);
            let verdicts = |side: &Side| {
                let graph = diff::lock_graph(&side.lockfile, &root);
                pipeline::evaluate_lock_graph(
                    &graph,
                    &side.policy,
                    &opened.database,
                    &registries,
                    options.today,
                )
                .into_iter()
                .filter(|verdict| !verdict.finding.kind.is_about_exemptions())
                .collect()
            };
            diff::diff_findings(verdicts(&base), verdicts(&head))
        }
        None => FindingDiff::default(),
    };
    Ok(Diff {
        base: base.label.clone(),
        head: head.label.clone(),
        policy: diff::policy::diff_policies(&base.policy, &head.policy),
        exemptions: diff::diff_exemptions(&base.policy.exemptions, &head.policy.exemptions),
        unrecorded: diff::unrecorded(&head_baseline, &head.lockfile),
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
        if diff.findings.available {
            "from the advisory database"
        } else {
            "not compared (no advisory database in the cache)"
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
