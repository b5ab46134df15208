//! Facts: each source of facts about the graph's crates, fetched and cached.

pub mod advisories;
pub mod code;
pub mod crates;
pub mod index;
pub mod ownership;
