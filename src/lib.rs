//! cargo-trustcheck: supply-chain policy for Rust workspaces.
//!
//! A run flows one way, through `pipeline`, which every command calls:
//!
//! ```text
//! load   (load: the workspace's files, Cargo.lock or cargo metadata -> graph; policy; baseline)
//!   -> facts  (facts: the RustSec database; registry index entries; crate files;
//!              owners and publishers; fetched and cached)
//!   -> checks (checks: one module per check, none importing another) -> Vec<Finding>
//!   -> policy (levels, then exemptions, applied in `policy::evaluate` only)
//!   -> report (human, json, sarif, markdown, annotations)
//! ```
//!
//! `cli` parses arguments into plain requests for `commands`, which call `pipeline`, which
//! calls the stages; `support` holds what every stage stands on. Nothing points back up
//! (`tests/layout.rs` holds the shape).
#![warn(missing_docs)]

pub mod checks;
pub mod cli;
pub mod commands;
pub mod diff;
pub mod error;
pub mod exit;
pub mod facts;
pub mod finding;
pub mod load;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod support;
