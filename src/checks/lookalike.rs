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

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::index::IndexFacts;
use crate::finding::{Finding, FindingKind};
use crate::load::baseline::Baseline;
use crate::load::graph::DependencyGraph;
use crate::policy::BaselinePolicy;
use crate::support::date::describe_duration;
use crate::support::similar::{NameIndex, fold};

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
    // Indexed once, so each new crate costs a few lookups, not a pass over every trusted name.
    let mut spellings: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for name in &trusted {
        spellings.entry(fold(name)).or_default().push(name);
    }
    let names = NameIndex::new(spellings.keys().cloned());
    let max_age = policy.lookalike_max_age.as_secs();
    let mut findings = Vec::new();
    for package in graph.packages() {
        if !baseline.is_new(package) {
            continue;
        }
        let similar: Vec<&str> = names
            .within_one_edit(&fold(&package.name))
            .into_iter()
            .filter_map(|folded| spellings.get(folded))
            .flatten()
            .copied()
            .collect();
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

    #[test]
    fn three_thousand_new_crates_against_fifty_thousand_accepted_names_take_under_a_second() {
        use crate::load::baseline::{CRATES_IO, CrateRecord};
        use crate::load::graph::Package;
        // Names like the registry's: words, separators, digits.
        let word = |n: usize| {
            let syllables = [
                "ser", "de", "to", "kio", "pro", "c", "ma", "cro", "ra", "nd",
            ];
            let mut name = String::new();
            let mut n = n;
            loop {
                name.push_str(syllables[n % syllables.len()]);
                n /= syllables.len();
                if n == 0 {
                    break;
                }
                if n.is_multiple_of(3) {
                    name.push('-');
                }
            }
            name
        };
        let mut baseline = Baseline::default();
        for n in 0..50_000 {
            baseline.crates.insert(
                (format!("{}{}", word(n), n % 7), CRATES_IO.to_owned()),
                CrateRecord::default(),
            );
        }
        let crates_io = "registry+https://github.com/rust-lang/crates.io-index";
        let packages: Vec<Package> = (0..3_000)
            .map(|n| {
                Package::new(
                    &format!("{}{}x", word(n * 13), n % 5),
                    semver::Version::new(1, 0, 0),
                    Some(crates_io),
                )
            })
            .collect();
        let graph = DependencyGraph::from_parts(std::path::PathBuf::from("/w"), packages, &[]);
        let index = IndexFacts::new(
            crate::facts::index::IndexConfig::with_crates_io("http://127.0.0.1:9"),
            Default::default(),
        );
        let policy = crate::policy::Policy::default().baseline;
        let started = std::time::Instant::now();
        let findings = check(&graph, Some(&baseline), &index, &policy, 0);
        let elapsed = started.elapsed();
        // The bound is for the binary users run (`cargo test --release --lib three_thousand`
        // checks it: about 0.3 s); an unoptimised test build is some ten times slower, and the
        // quadratic scan this replaces took 45 s at this size even optimised.
        let bound = if cfg!(debug_assertions) { 10 } else { 1 };
        assert!(
            elapsed < std::time::Duration::from_secs(bound),
            "the lookalike scan took {elapsed:?}"
        );
        // The scan did find the names one edit away (their age is unknown here: unchecked).
        assert!(!findings.is_empty());
    }
}
