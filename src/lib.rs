//! cargo-trustcheck: supply-chain policy for Rust workspaces.
//!
//! A run flows one way, through `pipeline`, which every command calls:
//!
//! ```text
//! load   (workspace: Cargo.lock or cargo metadata -> graph; policy, Cargo.lock, baseline;
//!         crates: the facts of registry crate versions for the graph read from Cargo.lock)
//!   -> facts  (advisories: the RustSec database; index: registry index entries;
//!              ownership: owners and publishers; fetched and cached)
//!   -> checks (advisories, yanked, licenses, ownership, sources) -> Vec<Finding>
//!   -> policy (levels, then exemptions, applied in `policy::evaluate` only)
//!   -> report (human, json, sarif, markdown, annotations)
//! ```
//!
//! `cli` parses arguments into plain requests for `commands`, which call `pipeline`, which
//! calls the stages; nothing points back up.
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
