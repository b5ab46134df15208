//! Infrastructure every stage stands on, knowing nothing of crates, policies or findings.

pub mod cache;
pub mod date;
pub mod diagnostic;
pub mod files;
pub mod git;
pub mod http;
pub mod interrupt;
pub mod network;
pub mod progress;
pub mod similar;
pub mod terminal;
pub mod text;
