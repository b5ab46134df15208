//! Reports: renderers of the same verdicts in human, JSON, SARIF and Markdown form.
//! Renderers never decide policy; they only present what `policy::evaluate` decided.

pub mod annotations;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use std::path::PathBuf;

use crate::finding::{Level, NotChecked, Summary, Verdict};
use crate::load::lockfile::Lockfile;
use crate::support::date::Date;

/// The formats `check` renders a report in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// Grouped, coloured text for a terminal.
    #[default]
    Human,
    /// The JSON document of the contract.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub-flavoured Markdown, for pull-request comments.
    Markdown,
}

/// What is known about the advisory database used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseInfo {
    /// Where it was read from (a directory or the URL it was cloned from).
    pub location: String,
    /// When it was last updated, if known.
    pub last_updated: Option<Date>,
    /// Its age in days on the day of the run.
    pub age_days: Option<i64>,
}

/// A finished check: the verdicts and what a reader needs to interpret them.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every verdict, in report order.
    pub verdicts: Vec<Verdict>,
    /// Counts of verdicts.
    pub summary: Summary,
    /// Warnings about the run itself (stale database, a fetch that fell back to the cache).
    pub notes: Vec<String>,
    /// The workspace root.
    pub workspace_root: PathBuf,
    /// The policy file, when there is one.
    pub policy_path: Option<PathBuf>,
    /// The workspace's lock file, for locating packages.
    pub lockfile: Option<Lockfile>,
    /// How many packages the graph held.
    pub package_count: usize,
    /// The advisory database used.
    pub database: Option<DatabaseInfo>,
    /// The git repository holding the workspace, whose root SARIF and annotations locate
    /// files from (a workspace nested in a larger repository is not at its root).
    pub repository_root: Option<PathBuf>,
}

impl Report {
    /// A report of these verdicts with no context; callers fill in the rest.
    pub fn new(verdicts: Vec<Verdict>, workspace_root: PathBuf) -> Report {
        Report {
            summary: Summary::of(&verdicts),
            verdicts,
            notes: Vec::new(),
            workspace_root,
            policy_path: None,
            lockfile: None,
            package_count: 0,
            database: None,
            repository_root: None,
        }
    }

    /// The directory report files are located from: the git repository's root, else the
    /// workspace root.
    pub fn source_root(&self) -> &std::path::Path {
        self.repository_root
            .as_deref()
            .unwrap_or(&self.workspace_root)
    }

    /// Whether a finding at level deny remains after exemptions.
    pub fn denies(&self) -> bool {
        self.summary.deny > 0
    }

    /// Renders the report in a format.
    pub fn render(&self, format: CheckFormat, color: bool) -> String {
        match format {
            CheckFormat::Human => human::render(self, color),
            CheckFormat::Json => json::render(self),
            CheckFormat::Sarif => sarif::render(self),
            CheckFormat::Markdown => markdown::render(self),
        }
    }
}

/// How human and Markdown reports list verdicts: alone, or one line for every verdict that
/// shares a kind, a level and a cause (checks not done for 537 crates because the run was
/// offline). JSON and SARIF keep one entry per crate.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry<'a> {
    /// A verdict of its own.
    Single(&'a Verdict),
    /// Verdicts that share a level and a cause.
    Group(CauseGroup<'a>),
}

/// Verdicts of checks not done, for the same reason.
#[derive(Clone, Debug, PartialEq)]
pub struct CauseGroup<'a> {
    /// Their level.
    pub level: Level,
    /// What was not checked, and why.
    pub not_checked: &'a NotChecked,
    /// The verdicts, in report order.
    pub verdicts: Vec<&'a Verdict>,
}

impl CauseGroup<'_> {
    /// The group in one sentence: "yanked status not checked for 537 crate versions: CAUSE"
    /// (the cause as said of many: "their index entries ...").
    pub fn sentence(&self) -> String {
        format!(
            "{} not checked for {}: {}",
            self.not_checked.what,
            crate::support::text::counted(self.verdicts.len(), "crate version"),
            self.not_checked.cause.many
        )
    }

    /// The crates of the group, `name version` each.
    pub fn crates(&self) -> Vec<String> {
        self.verdicts
            .iter()
            .map(|verdict| {
                let finding = &verdict.finding;
                match (finding.crate_name(), finding.version()) {
                    (Some(name), Some(version)) => format!("{name} {version}"),
                    (Some(name), None) => name.to_owned(),
                    _ => String::new(),
                }
            })
            .collect()
    }
}

/// The entries of `verdicts` (in report order): verdicts of checks not done that share a level
/// and a cause with another one are grouped where the first of them stood.
pub fn entries<'a>(verdicts: &[&'a Verdict]) -> Vec<Entry<'a>> {
    fn key(verdict: &Verdict) -> Option<(Level, &NotChecked)> {
        verdict
            .finding
            .unchecked
            .as_ref()
            .filter(|_| verdict.exemption.is_none())
            .map(|not_checked| (verdict.level, not_checked))
    }
    let mut counts: std::collections::HashMap<(Level, &NotChecked), usize> =
        std::collections::HashMap::new();
    for verdict in verdicts {
        if let Some(key) = key(verdict) {
            *counts.entry(key).or_default() += 1;
        }
    }
    let mut entries: Vec<Entry<'a>> = Vec::new();
    let mut group_at: std::collections::HashMap<(Level, &NotChecked), usize> =
        std::collections::HashMap::new();
    for verdict in verdicts {
        match key(verdict) {
            Some(key) if counts[&key] > 1 => match group_at.get(&key) {
                Some(&index) => {
                    if let Entry::Group(group) = &mut entries[index] {
                        group.verdicts.push(verdict);
                    }
                }
                None => {
                    group_at.insert(key, entries.len());
                    entries.push(Entry::Group(CauseGroup {
                        level: key.0,
                        not_checked: key.1,
                        verdicts: vec![verdict],
                    }));
                }
            },
            _ => entries.push(Entry::Single(verdict)),
        }
    }
    entries
}
