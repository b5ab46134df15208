//! Load: the workspace's own files and its resolved graph.

pub mod baseline;
pub mod graph;
pub mod lockfile;
pub mod workspace;
