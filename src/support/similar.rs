//! How alike two names are, as a person reading them would confuse them: case and `-`/`_`
//! folded, characters that look alike (`0`/`o`, `1`/`l`/`i`, `rn`/`m`, `vv`/`w`, `5`/`s`)
//! reduced to one skeleton, and the optimal string alignment distance (insertions, deletions,
//! substitutions and transpositions of adjacent characters), computed only up to a bound.
//! For crate names and account logins alike; it knows nothing of either.

/// A name folded as crates.io folds names for uniqueness: lower-case, `_` as `-`.
pub fn fold(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The name's skeleton: folded, separators dropped, and characters that look alike reduced
/// to one (`rn` → `m`, `vv` → `w`, `0` → `o`, `1`/`i`/`|` → `l`, `5` → `s`). Two different
/// names with the same skeleton read the same at a glance: `dtolnay` and `dto1nay`,
/// `serde-json` and `serdejson`.
pub fn skeleton(name: &str) -> String {
    let folded: String = fold(name).chars().filter(|c| *c != '-').collect();
    let folded = folded.replace("rn", "m").replace("vv", "w");
    folded
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '5' => 's',
            c => c,
        })
        .collect()
}

/// The optimal string alignment distance between `a` and `b` when it is at most `max`
/// (`None` beyond). Linear in the names' length times `max`: rows are cut to the band where
/// a distance within `max` can be.
pub fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let beyond = max + 1;
    // Three rows of the dynamic programme: two back (for transpositions), previous, current.
    let mut before: Vec<usize> = vec![beyond; width];
    let mut previous: Vec<usize> = (0..width).map(|j| j.min(beyond)).collect();
    let mut current: Vec<usize> = vec![beyond; width];
    for i in 1..=a.len() {
        current.fill(beyond);
        current[0] = i.min(beyond);
        let low = i.saturating_sub(max).max(1);
        let high = (i + max).min(b.len());
        let mut best = current[0];
        for j in low..=high {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j - 1] + cost)
                .min(previous[j] + 1)
                .min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(before[j - 2] + 1);
            }
            current[j] = value.min(beyond);
            best = best.min(current[j]);
        }
        if best > max {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[b.len()];
    (distance <= max).then_some(distance)
}

/// Names indexed for "which of them is within one edit of this name?", without comparing a
/// name with every indexed one: each name is filed under the hash of itself and of each of its
/// one-character deletions, and a query looks up the same keys of the query name. Two names are
/// within one edit (insertion, deletion, substitution, transposition) only if they share a key;
/// the few that share one are then compared. Names are given folded (see `fold`). The keys are
/// one sorted array (no allocation per key), searched by bisection.
#[derive(Debug, Default)]
pub struct NameIndex {
    names: Vec<String>,
    keys: Vec<(u64, u32)>,
}

/// The multiplier of the polynomial hash (odd, so that no bit is lost modulo 2^64).
const P: u64 = 0x0000_0100_0000_01b3;

/// The keys of a name: the polynomial hash of itself and of each deletion of one character,
/// each computed in constant time from prefix and suffix hashes.
fn keys_of(name: &str, keys: &mut Vec<u64>) {
    let chars: Vec<u64> = name.chars().map(|c| u64::from(c) + 1).collect();
    let n = chars.len();
    // prefix[i]: hash of chars[..i]; suffix[i]: hash of chars[i..]; power[k] = P^k.
    let mut prefix = vec![0u64; n + 1];
    let mut power = vec![1u64; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i].wrapping_mul(P).wrapping_add(chars[i]);
        power[i + 1] = power[i].wrapping_mul(P);
    }
    let mut suffix = vec![0u64; n + 1];
    for i in (0..n).rev() {
        suffix[i] = chars[i]
            .wrapping_mul(power[n - 1 - i])
            .wrapping_add(suffix[i + 1]);
    }
    keys.clear();
    keys.push(prefix[n]);
    for i in 0..n {
        keys.push(
            prefix[i]
                .wrapping_mul(power[n - 1 - i])
                .wrapping_add(suffix[i + 1]),
        );
    }
    keys.sort_unstable();
    keys.dedup();
}

impl NameIndex {
    /// Indexes `names` (folded).
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> NameIndex {
        let mut index = NameIndex::default();
        let mut keys = Vec::new();
        for name in names {
            let name = name.into();
            let number = u32::try_from(index.names.len()).unwrap_or(u32::MAX);
            keys_of(&name, &mut keys);
            index.keys.extend(keys.iter().map(|&key| (key, number)));
            index.names.push(name);
        }
        index.keys.sort_unstable();
        index
    }

    /// The indexed names within one edit of `name` (folded), itself excluded; sorted.
    pub fn within_one_edit(&self, name: &str) -> Vec<&str> {
        let mut keys = Vec::new();
        keys_of(name, &mut keys);
        let mut found: Vec<&str> = Vec::new();
        for key in keys {
            let from = self.keys.partition_point(|&(other, _)| other < key);
            for &(_, number) in self.keys[from..]
                .iter()
                .take_while(|(other, _)| *other == key)
            {
                if let Some(candidate) = self.names.get(number as usize)
                    && candidate != name
                    && distance_within(name, candidate, 1).is_some()
                {
                    found.push(candidate);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_exactly_the_names_one_edit_away() {
        let index = NameIndex::new(["proc-macro2", "serde", "tokio", "libc", "proc-macro"]);
        assert_eq!(
            index.within_one_edit("proc-macro1"),
            ["proc-macro", "proc-macro2"]
        );
        assert_eq!(index.within_one_edit("tokoi"), ["tokio"]);
        assert_eq!(index.within_one_edit("serdee"), ["serde"]);
        assert_eq!(index.within_one_edit("libm"), ["libc"]);
        assert!(index.within_one_edit("serde").is_empty());
        assert!(index.within_one_edit("tikoi").is_empty());
    }

    #[test]
    fn distances_count_insertions_deletions_substitutions_and_transpositions() {
        assert_eq!(distance_within("dtolney", "dtolnay", 2), Some(1));
        assert_eq!(distance_within("faster-log", "fast-log", 2), Some(2));
        assert_eq!(distance_within("faster-log", "fast-log", 1), None);
        assert_eq!(distance_within("tokio", "tokoi", 1), Some(1));
        assert_eq!(distance_within("serde", "serde", 0), Some(0));
        assert_eq!(distance_within("", "ab", 2), Some(2));
        assert_eq!(distance_within("abc", "xyz", 2), None);
        assert_eq!(distance_within("tokio-utils", "tokio-util", 1), Some(1));
    }

    #[test]
    fn confusable_spellings_share_a_skeleton() {
        assert_eq!(skeleton("dto1nay"), skeleton("dtolnay"));
        assert_eq!(skeleton("DTOLNAY"), skeleton("dtolnay"));
        assert_eq!(skeleton("rnodule"), skeleton("module"));
        assert_eq!(skeleton("serde_json"), skeleton("serdejson"));
        assert_eq!(skeleton("b0x"), skeleton("box"));
        assert_ne!(skeleton("dtolney"), skeleton("dtolnay"));
    }
}
