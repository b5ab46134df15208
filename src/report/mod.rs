//! Reports: renderers of the same verdicts in human, JSON, SARIF and Markdown form.
//! Renderers never decide policy; they only present what `policy::evaluate` decided.

pub mod annotations;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use std::path::PathBuf;

use crate::date::Date;
use crate::finding::{Summary, Verdict};
use crate::lockfile::Lockfile;

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
        }
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
