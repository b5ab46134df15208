//! `baseline`: rewrites `trustcheck.lock` from the current graph (versions no longer in it are
//! pruned), or with `--accept CRATE` updates only that crate's entries; prints what changed.

use std::fmt::Write as _;

use std::collections::BTreeSet;

use super::write_file;
use crate::baseline::{self, BASELINE_FILE, Baseline, BaselineError, Change};
use crate::cache::CacheDir;
use crate::cli::{BaselineArgs, Outcome, print_stdout};
use crate::date::Date;
use crate::error::Error;
use crate::http::HttpClient;
use crate::ownership::api::{ApiClient, api_url_from_env};
use crate::ownership::cache::OwnershipCache;
use crate::ownership::check::ApiAccess;
use crate::ownership::refresh;
use crate::policy::{DEFAULT_POLICY_FILE, Policy};
use crate::text::sanitize_terminal as clean;
use crate::workspace::load_graph;

/// Above this many changes, the summary gives counts only.
const LISTED_CHANGES: usize = 50;

/// Runs `baseline`.
pub fn run(args: &BaselineArgs) -> anyhow::Result<Outcome> {
    let graph = load_graph(&args.graph_source.options())?;
    let path = graph.workspace_root.join(BASELINE_FILE);
    let existing_text = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(Error::Baseline(BaselineError::unreadable(&path, &error)).into()),
    };
    let previous = existing_text
        .as_deref()
        .map(|text| baseline::parse(text, &path))
        .transpose()
        .map_err(Error::Baseline)?;

    let mut updated = if args.accept.is_empty() {
        Baseline::from_graph(&graph, previous.as_ref())
    } else {
        let Some(mut updated) = previous.clone() else {
            return Err(Error::Usage(format!(
                "there is no baseline to accept into: {} does not exist (create it with `cargo trustcheck init` or `cargo trustcheck baseline`)",
                path.display()
            ))
            .into());
        };
        for name in &args.accept {
            updated.accept(name, &graph).map_err(Error::Accept)?;
        }
        updated
    };

    let only: Option<BTreeSet<String>> =
        (!args.accept.is_empty()).then(|| args.accept.iter().cloned().collect());
    let policy = Policy::load(
        &graph.workspace_root.join(DEFAULT_POLICY_FILE),
        false,
        Date::today(),
    )
    .map_err(Error::Policy)?;
    let warnings = fill_ownership(
        &mut updated,
        only.as_ref(),
        policy.ownership.requests_per_second,
        args.graph_source.offline,
    )?;
    let text = baseline::render(&updated);
    if existing_text.as_deref() != Some(text.as_str()) {
        write_file(&path, &text)?;
    }
    let changes = updated.changes_since(&previous.unwrap_or_default());
    print_stdout(&summary(&path, &updated, &changes, existing_text.is_none()))?;
    for warning in warnings {
        eprintln!("warning: {}", clean(&warning));
    }
    Ok(Outcome::Passed)
}

/// Fills the owners and publishers of the baseline's crates.io crates (only those in `only`,
/// when given) from the ownership cache, asking the crates.io API (unless `offline`) for what
/// the cache lacks. Returns warnings about what could not be obtained.
pub fn fill_ownership(
    baseline: &mut Baseline,
    only: Option<&BTreeSet<String>>,
    requests_per_second: f64,
    offline: bool,
) -> Result<Vec<String>, Error> {
    let client = ApiClient::new(&api_url_from_env(), HttpClient::new(), requests_per_second);
    let cache = OwnershipCache::open(&CacheDir::from_env()?, client.base())?;
    let access = if offline {
        ApiAccess::Offline
    } else {
        ApiAccess::Online(&client)
    };
    let report = refresh::fill_baseline(baseline, only, &cache, access)?;
    Ok(refresh::describe_problems(&report))
}

/// What a rewrite changed, in a few lines.
fn summary(
    path: &std::path::Path,
    baseline: &Baseline,
    changes: &[Change],
    created: bool,
) -> String {
    let mut out = String::new();
    let totals = format!(
        "{} crate{}, {} version{}",
        baseline.crates.len(),
        if baseline.crates.len() == 1 { "" } else { "s" },
        baseline.version_count(),
        if baseline.version_count() == 1 {
            ""
        } else {
            "s"
        }
    );
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "{} is up to date ({totals}); nothing changed",
            path.display()
        );
        return out;
    }
    let count = |wanted: fn(&baseline::ChangeKind) -> bool| {
        changes.iter().filter(|change| wanted(&change.kind)).count()
    };
    let mut parts = Vec::new();
    for (number, label) in [
        (
            count(|kind| matches!(kind, baseline::ChangeKind::Added { .. })),
            "added",
        ),
        (
            count(|kind| matches!(kind, baseline::ChangeKind::Removed)),
            "removed",
        ),
        (
            count(|kind| matches!(kind, baseline::ChangeKind::License { .. })),
            "relicensed",
        ),
    ] {
        if number > 0 {
            parts.push(format!(
                "{number} version{} {label}",
                if number == 1 { "" } else { "s" }
            ));
        }
    }
    let other = count(|kind| {
        matches!(
            kind,
            baseline::ChangeKind::Owners | baseline::ChangeKind::Other
        )
    });
    if other > 0 {
        parts.push(format!(
            "{other} owner or publisher change{}",
            if other == 1 { "" } else { "s" }
        ));
    }
    let _ = writeln!(
        out,
        "{} {}: {} ({totals})",
        if created { "created" } else { "updated" },
        path.display(),
        parts.join(", ")
    );
    if changes.len() <= LISTED_CHANGES {
        for change in changes {
            let _ = writeln!(out, "  {}", clean(&change.to_string()));
        }
    }
    out
}
