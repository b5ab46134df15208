//! Lookalike names: a crate whose name is one edit away from a crate the workspace already
//! trusts (`proc-macro1` beside `proc-macro2`) is how typosquatting gets in.
//!
//! Names are compared as crates.io compares them for uniqueness: case-insensitively, with `-`
//! and `_` alike. One edit is one insertion, deletion, substitution or transposition of two
//! adjacent characters (the optimal string alignment distance is exactly 1).
//!
//! The check looks at crates new to the baseline that were first published recently
//! (`[baseline] lookalike-max-age`): established pairs such as `libm` beside `libc` are years
//! old and are not reported.

use std::collections::BTreeSet;

use crate::facts::index::IndexFacts;
use crate::finding::{Finding, FindingKind};
use crate::load::baseline::Baseline;
use crate::load::graph::DependencyGraph;
use crate::policy::BaselinePolicy;
use crate::support::date::describe_duration;

/// A name as crates.io compares names: lower-case, `_` as `-`.
pub fn normalized(name: &str) -> Vec<char> {
    name.chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Whether two names are exactly one edit apart (after `normalized`).
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (normalized(a), normalized(b));
    if a == b {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        // One insertion: `long` is `short` with one character added.
        1 => {
            let first = short
                .iter()
                .zip(long.iter())
                .position(|(x, y)| x != y)
                .unwrap_or(short.len());
            short[first..] == long[first + 1..]
        }
        // One substitution, or one transposition of adjacent characters.
        0 => {
            let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match differing[..] {
                [_] => true,
                [i, j] => j == i + 1 && a[i] == b[j] && a[j] == b[i],
                _ => false,
            }
        }
        _ => false,
    }
}

/// The names of `known` that `name` is one edit away from, sorted and without repeats.
pub fn lookalikes_of<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut found: Vec<&str> = known
        .into_iter()
        .filter(|candidate| one_edit_apart(name, candidate))
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The `lookalike` check: every registry crate new to the baseline, first published less
/// than `lookalike-max-age` ago, whose name is one edit from a crate the workspace already
/// trusts (accepted in the baseline, or a workspace member or local crate of the graph).
pub fn check(
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    index: &IndexFacts,
    policy: &BaselinePolicy,
    now: i64,
) -> Vec<Finding> {
    let Some(baseline) = baseline else {
        return Vec::new();
    };
    let trusted: BTreeSet<&str> = baseline
        .crates
        .keys()
        .map(|(name, _)| name.as_str())
        .chain(
            graph
                .packages()
                .iter()
                .filter(|package| !package.source_kind.is_registry())
                .map(|package| package.name.as_str()),
        )
        .collect();
    let max_age = policy.lookalike_max_age.as_secs();
    let mut findings = Vec::new();
    for package in graph.packages() {
        if !baseline.is_new(package) {
            continue;
        }
        let similar = lookalikes_of(&package.name, trusted.iter().copied());
        if similar.is_empty() {
            continue;
        }
        let first = match index.entry_of(package) {
            Ok(Some(entry)) => entry.first_published(),
            _ => None,
        };
        let Some(first) = first else {
            findings.push(Finding::not_checked(
                package.to_ref(),
                &[FindingKind::Lookalike],
                "lookalike name",
                crate::support::text::Phrase::new(
                    "its first publish time is not known, so whether a name one edit from a trusted crate's is new cannot be told",
                    "their first publish times are not known, so whether names one edit from a trusted crate's are new cannot be told",
                ),
            ));
            continue;
        };
        let age = now - first;
        if age >= max_age {
            continue;
        }
        findings.push(Finding::for_package(
            FindingKind::Lookalike,
            package.to_ref(),
            format!(
                "{} is one edit away from {}, which the workspace already trusts, and was first published {} ago: a lookalike of a trusted crate is how typosquatting gets in; make sure {} is the crate that was meant",
                package.name,
                similar.join(", "),
                describe_duration(u64::try_from(age).unwrap_or(0)),
                package.name
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_is_an_insertion_a_deletion_a_substitution_or_a_transposition() {
        assert!(one_edit_apart("proc-macro1", "proc-macro2"), "substitution");
        assert!(one_edit_apart("serde", "serdee"), "insertion");
        assert!(one_edit_apart("serdee", "serde"), "deletion");
        assert!(one_edit_apart("tokio", "tokoi"), "transposition");
        assert!(one_edit_apart("xserde", "serde"), "insertion at the start");
        assert!(one_edit_apart("libc", "libm"));
    }

    #[test]
    fn separators_and_case_do_not_count_and_more_than_one_edit_is_not_a_lookalike() {
        assert!(
            !one_edit_apart("proc_macro2", "proc-macro2"),
            "the same crate name"
        );
        assert!(!one_edit_apart("Serde", "serde"));
        assert!(one_edit_apart("proc_macro1", "proc-macro2"));
        assert!(!one_edit_apart("serde", "serde-json"), "two insertions");
        assert!(!one_edit_apart("tokio", "tikoi"), "two substitutions");
        assert!(!one_edit_apart("abc", "cba"), "not adjacent");
        assert!(!one_edit_apart("rand", "rand"));
        assert!(!one_edit_apart("", "ab"));
        assert!(one_edit_apart("", "a"));
    }

    #[test]
    fn lookalikes_are_listed_once_in_order() {
        assert_eq!(
            lookalikes_of(
                "proc-macro1",
                ["serde", "proc-macro2", "proc_macro2", "proc-macro"]
            ),
            vec!["proc-macro", "proc-macro2", "proc_macro2"]
        );
    }
}
