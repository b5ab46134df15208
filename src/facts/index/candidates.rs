//! The names a crate's name may imitate: the neighbouring names to ask a registry's index
//! about, most likely first.
//!
//! A typosquat adds to the name it imitates (`tokio-utils` beside `tokio-util`, `faster_log`
//! beside `fast_log`), spells it otherwise (`tokioutil`, `t0kio`, `rnio` for `mio`), or wraps it
//! in an affix (`serde-rs`, `rust-serde`). So the names generated from a crate's name are, in
//! this order:
//!
//! 1. the name spelled otherwise: its separators removed, a confusable digit or pair of letters
//!    read as what it imitates (`0` as `o`, `1` as `l` or `i`, `5` as `s`, `rn` as `m`, `vv` as
//!    `w`: the skeletons of `support::similar`), a squat affix removed (`-rs`, `rs-`, `-rust`,
//!    `rust-`, a trailing `s`);
//! 2. the name with one character deleted (names of 4 characters or more), last character first;
//! 3. the same with its separators the other way (`tokio_utils` imitates `tokio-util`: the index
//!    files them apart, although crates.io forbids both);
//! 4. two adjacent characters deleted (names of 8 or more: `faster_log` → `fast_log`), then the
//!    same with separators swapped;
//! 5. any two characters deleted, then the same with separators swapped.
//!
//! Names are lower-cased (index paths are), never the crate itself under crates.io's rules
//! (case aside, `-` and `_` alike), and only names a registry can hold (a letter first, no
//! separator at either end or twice in a row). Each name appears once, where it first arises.

use std::collections::BTreeSet;

use crate::support::similar::{fold, skeleton};

/// Names from this length on are searched for one deleted character.
pub const ONE_DELETION_FROM: usize = 4;

/// Names from this length on are searched for two deleted characters.
pub const TWO_DELETIONS_FROM: usize = 8;

/// Squat affixes: prefixes and suffixes that say "Rust" around a name that needs none.
const PREFIXES: [&str; 4] = ["rs-", "rs_", "rust-", "rust_"];
const SUFFIXES: [&str; 4] = ["-rs", "_rs", "-rust", "_rust"];

/// What a confusable character or pair of characters may stand for.
const CONFUSABLES: [(&str, &str); 6] = [
    ("0", "o"),
    ("1", "l"),
    ("1", "i"),
    ("5", "s"),
    ("rn", "m"),
    ("vv", "w"),
];

/// The `limit` likeliest neighbouring names of `name` to ask about, most likely first (see the
/// module's doc), and whether there were more. Only as many as needed are made: a long name has
/// thousands of two-character deletions.
pub fn candidates(name: &str, limit: usize) -> (Vec<String>, bool) {
    let name = name.to_ascii_lowercase();
    let mut list = Candidates::new(&name, limit);
    generate(&name, &mut list);
    let more = list.names.len() > limit;
    list.names.truncate(limit);
    (list.names, more)
}

/// Adds the neighbouring names of `name` to `list`, likeliest first, until it is full.
fn generate(name: &str, list: &mut Candidates) {
    let chars: Vec<char> = name.chars().collect();

    // 1. The name spelled otherwise.
    list.push(name.replace(['-', '_'], ""));
    for (from, to) in CONFUSABLES {
        for (at, _) in name.match_indices(from) {
            let spelled = format!("{}{to}{}", &name[..at], &name[at + from.len()..]);
            if skeleton(&spelled) == skeleton(name) {
                list.push(spelled);
            }
        }
        if name.matches(from).count() > 1 {
            list.push(name.replace(from, to));
        }
    }
    for prefix in PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            list.push(rest.to_owned());
        }
    }
    for suffix in SUFFIXES {
        if let Some(rest) = name.strip_suffix(suffix) {
            list.push(rest.to_owned());
        }
    }
    if chars.len() >= ONE_DELETION_FROM
        && let Some(rest) = name.strip_suffix('s')
    {
        list.push(rest.to_owned());
    }

    // 2 and 3. One character deleted, last first; then with the separators swapped.
    if chars.len() >= ONE_DELETION_FROM {
        let one: Vec<String> = (0..chars.len())
            .rev()
            .map(|at| without(&chars, &[at]))
            .collect();
        list.extend_with_swapped(one);
    }
    if chars.len() < TWO_DELETIONS_FROM || list.is_full() {
        return;
    }
    // 4. Two adjacent characters deleted, last first; then swapped.
    let adjacent: Vec<String> = (1..chars.len())
        .rev()
        .map(|second| without(&chars, &[second - 1, second]))
        .collect();
    list.extend_with_swapped(adjacent);
    // 5. Any two characters deleted, a batch at a time (a long name has thousands); then
    // swapped.
    for second in (2..chars.len()).rev() {
        if list.is_full() {
            return;
        }
        let apart: Vec<String> = (0..second - 1)
            .rev()
            .map(|first| without(&chars, &[first, second]))
            .collect();
        list.extend_with_swapped(apart);
    }
}

/// `chars` without the characters at `positions`.
fn without(chars: &[char], positions: &[usize]) -> String {
    chars
        .iter()
        .enumerate()
        .filter(|(at, _)| !positions.contains(at))
        .map(|(_, c)| *c)
        .collect()
}

/// The names gathered so far, in order, each once; one more than the limit at most (to tell
/// that there were more).
struct Candidates {
    /// The crate's own name, folded: never a candidate.
    own: String,
    limit: usize,
    names: Vec<String>,
    seen: BTreeSet<String>,
}

impl Candidates {
    fn new(name: &str, limit: usize) -> Candidates {
        Candidates {
            own: fold(name),
            limit,
            names: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Whether it holds more than the limit: no more names are needed.
    fn is_full(&self) -> bool {
        self.names.len() > self.limit
    }

    /// Adds `name` unless the list is full, or it is the crate itself, was added before, or no
    /// registry could hold it.
    fn push(&mut self, name: String) {
        if !self.is_full()
            && fold(&name) != self.own
            && could_be_a_crate(&name)
            && self.seen.insert(name.clone())
        {
            self.names.push(name);
        }
    }

    /// Adds `names`, then each of them with its separators the other way (all `-`, all `_`).
    fn extend_with_swapped(&mut self, names: Vec<String>) {
        let swapped: Vec<String> = names
            .iter()
            .flat_map(|name| {
                let dashes = name.replace('_', "-");
                let underscores = name.replace('-', "_");
                [dashes, underscores]
            })
            .collect();
        for name in names.into_iter().chain(swapped) {
            self.push(name);
        }
    }
}

/// Whether a registry could hold a crate of this name: a letter first, then letters, digits,
/// `-` and `_`, no separator last or twice in a row, at most 64 characters.
fn could_be_a_crate(name: &str) -> bool {
    let bytes = name.as_bytes();
    let separator = |byte: &u8| matches!(byte, b'-' | b'_');
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && !bytes.last().is_some_and(separator)
        && bytes.len() <= 64
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || separator(byte))
        && !bytes
            .windows(2)
            .any(|pair| separator(&pair[0]) && separator(&pair[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(list: &[String], name: &str) -> Option<usize> {
        list.iter().position(|candidate| candidate == name)
    }

    /// Every candidate of `name`.
    fn candidates(name: &str) -> Vec<String> {
        super::candidates(name, usize::MAX).0
    }

    #[test]
    fn the_names_a_typosquat_imitates_are_generated_most_likely_first() {
        // One deletion, at the end: the first name asked.
        let tokio = candidates("tokio-utils");
        assert_eq!(position(&tokio, "tokio-util"), Some(1), "{tokio:?}");
        assert_eq!(tokio[0], "tokioutils", "separators removed come first");
        // Separators the other way: the index files `tokio_util` and `tokio-util` apart.
        let underscored = candidates("tokio_utils");
        assert!(position(&underscored, "tokio-util").is_some_and(|at| at < 64));
        // Two adjacent deletions, for names of 8 characters or more.
        let faster = candidates("faster_log");
        let fast = position(&faster, "fast_log").expect("fast_log");
        assert!(fast < 64, "fast_log at {fast}: {faster:?}");
        assert!(position(&faster, "fast-log").is_some_and(|at| at < 64));
        assert!(
            candidates("fastr_lg").contains(&"fast_l".to_owned()),
            "two deletions apart too"
        );
        assert!(
            !candidates("serdex").iter().any(|name| name == "serd"),
            "no two deletions under 8 characters"
        );
        assert!(
            candidates("abc").is_empty(),
            "no deletions under 4 characters"
        );
    }

    #[test]
    fn confusables_affixes_and_case_are_read_as_what_they_imitate() {
        let digits = candidates("t0ki0");
        for name in ["toki0", "t0kio", "tokio"] {
            assert!(digits.contains(&name.to_owned()), "{name}: {digits:?}");
        }
        assert_eq!(candidates("rnio")[0], "mio");
        assert!(candidates("seria1").contains(&"serial".to_owned()));
        assert!(
            candidates("Serde-RS").contains(&"serde".to_owned()),
            "case folded"
        );
        assert!(candidates("rust-serde").contains(&"serde".to_owned()));
        assert!(candidates("serde_rust").contains(&"serde".to_owned()));
        assert!(candidates("rs_serde").contains(&"serde".to_owned()));
        assert_eq!(candidates("serdes")[0], "serde", "a trailing s");
    }

    #[test]
    fn candidates_are_distinct_never_the_crate_itself_and_could_be_crates() {
        for name in [
            "tokio-utils",
            "faster_log",
            "a-b_c-d-e",
            "rust_serde_rs",
            "x1y0z5",
        ] {
            let list = candidates(name);
            let distinct: BTreeSet<&String> = list.iter().collect();
            assert_eq!(distinct.len(), list.len(), "{name}: {list:?}");
            for candidate in &list {
                assert_ne!(fold(candidate), fold(name), "{name}: {candidate}");
                assert!(could_be_a_crate(candidate), "{name}: {candidate}");
                assert!(crate::facts::index::is_valid_name(candidate));
            }
        }
        // Deleting the character between two separators, or at the end after one, makes no
        // crate name.
        let list = candidates("a-b-cde");
        assert!(
            !list
                .iter()
                .any(|name| name.contains("--") || name.ends_with('-'))
        );
    }

    #[test]
    fn a_long_name_has_more_candidates_than_the_bound_asks() {
        let list = candidates("wasm-bindgen-macro-support");
        assert!(list.len() > 300, "{}", list.len());
        // Bounded: the likeliest ones, and word that there were more.
        let (bounded, more) = super::candidates("wasm-bindgen-macro-support", 64);
        assert_eq!((bounded.as_slice(), more), (&list[..64], true));
        let all = candidates("faster_log");
        let (bounded, more) = super::candidates("faster_log", all.len());
        assert_eq!((bounded, more), (all, false));
        // The one-deletion names all come before any two-deletion one.
        let one = position(&list, "wasm-bindgen-macro-suppor").unwrap();
        let two = position(&list, "wasm-bindgen-macro-suppo").unwrap();
        assert!(one < two);
    }
}
