//! cargo-trustcheck: supply-chain policy for Rust workspaces.
//!
//! A run flows one way:
//!
//! ```text
//! load (workspace: cargo metadata -> graph, policy, lock file, baseline)
//!   -> facts (advisories: the RustSec database; index: registry index entries; fetched and cached)
//!   -> checks (advisories, yanked, licenses, sources) -> Vec<Finding>
//!   -> policy (levels, then exemptions, applied in `policy::evaluate` only)
//!   -> report (human, json, sarif, markdown)
//! ```
#![warn(missing_docs)]

pub mod advisories;
pub mod baseline;
pub mod cache;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod date;
pub mod diagnostic;
pub mod diff;
pub mod error;
pub mod exit;
pub mod files;
pub mod finding;
pub mod graph;
pub mod http;
pub mod index;
pub mod licenses;
pub mod lockfile;
pub mod ownership;
pub mod policy;
pub mod report;
pub mod sources;
pub mod text;
pub mod workspace;
pub mod yanked;
