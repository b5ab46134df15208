//! `diff BASE [HEAD]`: the reviewer's report between two git revisions (HEAD defaults to the
//! working tree).

use std::path::PathBuf;

use crate::advisories::{self, fetch::Refresh};
use crate::baseline::{BASELINE_FILE, Baseline};
use crate::cache::CacheDir;
use crate::cli::{DiffArgs, Outcome, print_stdout};
use crate::date::Date;
use crate::diff::revision::{Repository, Revision};
use crate::diff::{self, Diff, FindingDiff, Side, render};
use crate::error::Error;
use crate::lockfile::Lockfile;
use crate::policy::{DEFAULT_POLICY_FILE, Policy, parse_policy};
use crate::report::Format;
use crate::sources::RegistryNames;
use crate::workspace::guess_root;

/// One side's files, read and parsed.
struct LoadedSide {
    side: Side,
    baseline: Baseline,
}

fn load_side(
    repository: &Repository,
    revision: &Revision,
    today: Date,
) -> Result<LoadedSide, Error> {
    let label = revision.label();
    let located = |file: &str| match revision {
        Revision::WorkingTree => repository.workspace_dir.join(file),
        Revision::Commit { name, .. } => PathBuf::from(format!("{name}:{file}")),
    };
    let read = |file: &str| {
        repository
            .read(revision, file)
            .map_err(|error| Error::Usage(error.to_string()))
    };
    let policy = match read(DEFAULT_POLICY_FILE)? {
        Some(text) => parse_policy(&text, &located(DEFAULT_POLICY_FILE), today)?,
        None => Policy::default(),
    };
    let lockfile = match read("Cargo.lock")? {
        Some(text) => Lockfile::parse(&text).map_err(|message| {
            Error::Usage(format!(
                "invalid lock file {}: {message}",
                located("Cargo.lock").display()
            ))
        })?,
        None => Lockfile::default(),
    };
    let baseline = match read(BASELINE_FILE)? {
        Some(text) => crate::baseline::parse(&text, &located(BASELINE_FILE))?,
        None => Baseline::default(),
    };
    Ok(LoadedSide {
        side: Side {
            label,
            policy,
            lockfile,
        },
        baseline,
    })
}

/// Computes the diff between two revisions of the workspace at `root`.
pub fn compute(
    root: &std::path::Path,
    base: &str,
    head: Option<&str>,
    advisory_db: Option<&std::path::Path>,
    today: Date,
) -> Result<Diff, Error> {
    let repository = Repository::discover(root).map_err(|error| Error::Usage(error.to_string()))?;
    let base_revision = repository
        .resolve(base)
        .map_err(|error| Error::Usage(error.to_string()))?;
    let head_revision = match head {
        Some(name) => repository
            .resolve(name)
            .map_err(|error| Error::Usage(error.to_string()))?,
        None => Revision::WorkingTree,
    };
    let base_side = load_side(&repository, &base_revision, today)?;
    let head_side = load_side(&repository, &head_revision, today)?;

    // Findings need the advisory database: the given directory, or the cached clone (nothing
    // is fetched for a diff).
    let database = match advisory_db {
        Some(path) => Some(advisories::obtain(
            Some(path),
            "",
            CacheDir::from_env,
            Refresh::Offline,
        )?),
        None => advisories::obtain(
            None,
            &head_side.side.policy.advisories.db_url,
            CacheDir::from_env,
            Refresh::Offline,
        )
        .ok(),
    };
    let findings = match database {
        Some(mut opened) => {
            let names: Vec<&str> = base_side
                .side
                .lockfile
                .names()
                .chain(head_side.side.lockfile.names())
                .collect();
            opened.database.load_crates(names)?;
            let registries = RegistryNames::discover(root);
            let before =
                diff::side_verdicts(&base_side.side, &opened.database, &registries, root, today);
            let after =
                diff::side_verdicts(&head_side.side, &opened.database, &registries, root, today);
            diff::diff_findings(before, after)
        }
        None => FindingDiff::default(),
    };
    Ok(Diff {
        base: base_side.side.label.clone(),
        head: head_side.side.label.clone(),
        exemptions: diff::diff_exemptions(
            &base_side.side.policy.exemptions,
            &head_side.side.policy.exemptions,
        ),
        baseline: diff::baseline::diff_baselines(&base_side.baseline, &head_side.baseline),
        dependencies: diff::diff_dependencies(&base_side.side.lockfile, &head_side.side.lockfile),
        findings,
    })
}

/// Runs `diff`.
pub fn run(args: &DiffArgs) -> anyhow::Result<Outcome> {
    let root = guess_root(args.manifest_path.as_deref());
    let diff = compute(
        &root,
        &args.base,
        args.head.as_deref(),
        args.advisory_db.as_deref(),
        Date::today(),
    )?;
    let text = match args.format {
        Format::Json => render::json(&diff),
        Format::Markdown => render::markdown(&diff),
        Format::Human => render::human(&diff),
        Format::Sarif => {
            return Err(Error::Usage(
                "diff has no SARIF format: use human, json or markdown".to_owned(),
            )
            .into());
        }
    };
    print_stdout(&text)?;
    Ok(Outcome::Passed)
}
