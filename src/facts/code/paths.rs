//! Resolving paths through `use` declarations: groups, nested groups, `self`, renames, globs,
//! `extern crate x as y;`, and crate-internal re-exports.
//!
//! The table is role-wide (every `use` of every file of the role), an over-approximation: a name
//! imported in one module resolves the same way in all of them, and `util::Sock` resolves through
//! an alias `Sock` declared anywhere. Only candidates that start with a crate root the rules know
//! (`rules::is_rule_root`) come out, so resolving an ordinary local path is cheap.

use std::collections::{HashMap, HashSet};

use super::lexer::{Tok, Token};
use super::rules::is_rule_root;

/// The `use` declarations of a role.
#[derive(Debug, Default, Clone)]
pub struct Aliases {
    /// Name in scope → the paths it stands for.
    map: HashMap<String, Vec<Vec<String>>>,
    /// Prefixes of glob imports (`use std::net::*;`) under a rule root.
    globs: Vec<Vec<String>>,
    /// A bloom filter of the names in `map` (most identifiers are not names in scope; this
    /// answers them without hashing).
    bloom: [u64; 4],
}

fn bloom_bit(name: &str) -> usize {
    let b = name.as_bytes();
    let (first, last) = (
        b.first().copied().unwrap_or(0),
        b.last().copied().unwrap_or(0),
    );
    (b.len().wrapping_mul(31) ^ usize::from(first).wrapping_mul(7) ^ usize::from(last)) % 256
}

/// Names that a glob never supplies (prelude and keywords): keeps `Ok(…)` from resolving.
const NOT_FROM_GLOB: &[&str] = &[
    "Ok", "Err", "Some", "None", "Box", "Vec", "String", "Option", "Result", "Self", "self",
    "super", "crate", "let", "fn", "if", "match", "return", "mut", "ref", "str", "u8", "usize",
];

impl Aliases {
    /// Adds the `use` and `extern crate` declarations of one file.
    pub fn add_file(&mut self, toks: &[Token]) {
        let mut i = 0;
        while i < toks.len() {
            match &toks[i].tok {
                Tok::Ident(s) if &**s == "use" => {
                    i = self.use_tree(toks, i + 1, &[]);
                }
                Tok::Ident(s) if &**s == "extern" => {
                    if let (Some("crate"), Some(name)) = (ident(toks, i + 1), ident(toks, i + 2))
                        && ident(toks, i + 3) == Some("as")
                        && let Some(alias) = ident(toks, i + 4)
                    {
                        self.add(alias, vec![name.to_string()]);
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }

    fn add(&mut self, name: &str, target: Vec<String>) {
        if name == "_" || (target.len() == 1 && target[0] == name) {
            return;
        }
        let bit = bloom_bit(name);
        self.bloom[bit / 64] |= 1 << (bit % 64);
        let entry = self.map.entry(name.to_string()).or_default();
        if !entry.contains(&target) {
            entry.push(target);
        }
    }

    /// Parses one use tree starting at `i` under `prefix`; returns the index after it.
    fn use_tree(&mut self, toks: &[Token], mut i: usize, prefix: &[String]) -> usize {
        let mut path: Vec<String> = prefix.to_vec();
        loop {
            match toks.get(i).map(|t| &t.tok) {
                Some(Tok::PathSep) => i += 1,
                Some(Tok::Ident(seg)) => {
                    path.push(seg.to_string());
                    i += 1;
                    if matches!(toks.get(i).map(|t| &t.tok), Some(Tok::PathSep)) {
                        i += 1;
                        continue;
                    }
                    if path.last().is_some_and(|s| s == "self") {
                        path.pop();
                    }
                    let name = if ident(toks, i) == Some("as") {
                        i += 2;
                        ident(toks, i - 1).map(str::to_string)
                    } else {
                        path.last().cloned()
                    };
                    if let Some(name) = name {
                        self.add(&name, path);
                    }
                    return i;
                }
                Some(Tok::Punct('*', _)) => {
                    if path.first().is_some_and(|r| is_rule_root(r)) && !self.globs.contains(&path)
                    {
                        self.globs.push(path);
                    }
                    return i + 1;
                }
                Some(Tok::Open('{', end)) => {
                    let end = *end;
                    let mut j = i + 1;
                    while j < end {
                        j = self.use_tree(toks, j, &path);
                        // Skip to after the next comma of this group.
                        while j < end {
                            match &toks[j].tok {
                                Tok::Punct(',', _) => {
                                    j += 1;
                                    break;
                                }
                                Tok::Open(_, e) => j = e + 1,
                                _ => j += 1,
                            }
                        }
                    }
                    return end + 1;
                }
                _ => return i + 1,
            }
        }
    }

    fn may_have(&self, name: &str) -> bool {
        let bit = bloom_bit(name);
        self.bloom[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// The rule-rooted paths `path` may stand for (none when it reaches no known crate root).
    pub fn resolve(&self, path: &[&str]) -> Vec<Vec<String>> {
        let start = strip_relative(path);
        let Some(first) = start.first() else {
            return Vec::new();
        };
        if is_rule_root(first) {
            return vec![start.iter().map(|s| s.to_string()).collect()];
        }
        let aliased = start
            .iter()
            .any(|s| self.may_have(s) && self.map.contains_key(*s));
        let globbed = !self.globs.is_empty() && !NOT_FROM_GLOB.contains(first);
        if !aliased && !globbed {
            return Vec::new();
        }
        let mut out: Vec<Vec<String>> = Vec::new();
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        let mut work: Vec<(Vec<String>, u32)> =
            vec![(start.iter().map(|s| s.to_string()).collect(), 0)];
        while let Some((p, depth)) = work.pop() {
            let p = strip_relative_owned(p);
            if p.is_empty() || !seen.insert(p.clone()) {
                continue;
            }
            if is_rule_root(&p[0]) {
                if !out.contains(&p) {
                    out.push(p);
                }
                continue;
            }
            if depth >= 6 {
                continue;
            }
            // The first segment that is a name in scope: at 0 a plain import, later a re-export
            // reached through internal modules (`util::Sock`).
            if let Some((k, targets)) = p
                .iter()
                .enumerate()
                .find_map(|(k, s)| self.map.get(s).map(|t| (k, t)))
            {
                for t in targets {
                    let mut np = t.clone();
                    np.extend(p[k + 1..].iter().cloned());
                    work.push((np, depth + 1));
                }
                if k == 0 {
                    continue;
                }
            }
            if !NOT_FROM_GLOB.contains(&p[0].as_str()) {
                for g in &self.globs {
                    let mut np = g.clone();
                    np.extend(p.iter().cloned());
                    if !out.contains(&np) {
                        out.push(np);
                    }
                }
            }
        }
        out
    }
}

fn ident(toks: &[Token], i: usize) -> Option<&str> {
    match toks.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn is_relative(s: &str) -> bool {
    matches!(s, "crate" | "self" | "super")
}

fn strip_relative<'a, 'b>(path: &'a [&'b str]) -> &'a [&'b str] {
    let n = path.iter().take_while(|s| is_relative(s)).count();
    &path[n..]
}

fn strip_relative_owned(mut path: Vec<String>) -> Vec<String> {
    let n = path.iter().take_while(|s| is_relative(s)).count();
    path.drain(..n);
    path
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn aliases(src: &str) -> Aliases {
        let mut a = Aliases::default();
        a.add_file(&lex(src).tokens);
        a
    }

    fn resolved(a: &Aliases, path: &str) -> Vec<String> {
        let segs: Vec<&str> = path.split("::").collect();
        a.resolve(&segs).iter().map(|p| p.join("::")).collect()
    }

    #[test]
    fn renames_groups_self_and_nesting() {
        let a = aliases(
            "use std::process::Command as C; use std::{net::{TcpStream as T, self}, env}; \
             use std::os::unix::{self as ux};",
        );
        assert_eq!(resolved(&a, "C::new"), ["std::process::Command::new"]);
        assert_eq!(resolved(&a, "T::connect"), ["std::net::TcpStream::connect"]);
        assert_eq!(
            resolved(&a, "net::UdpSocket::bind"),
            ["std::net::UdpSocket::bind"]
        );
        assert_eq!(resolved(&a, "env::vars"), ["std::env::vars"]);
        assert_eq!(
            resolved(&a, "ux::net::UnixStream"),
            ["std::os::unix::net::UnixStream"]
        );
        assert_eq!(
            resolved(&a, "::std::net::TcpStream"),
            ["std::net::TcpStream"]
        );
        assert!(resolved(&a, "foo::bar").is_empty());
    }

    #[test]
    fn globs_extern_crate_and_reexports() {
        let a = aliases(
            "use std::net::*; extern crate reqwest as r; \
             mod util { pub use std::net::TcpStream as Sock; } use crate::util::Sock;",
        );
        assert_eq!(
            resolved(&a, "TcpStream::connect"),
            ["std::net::TcpStream::connect"]
        );
        assert!(resolved(&a, "Ok").is_empty());
        assert_eq!(resolved(&a, "r::get"), ["reqwest::get"]);
        assert!(
            resolved(&a, "util::Sock::connect").contains(&"std::net::TcpStream::connect".into())
        );
        assert!(resolved(&a, "crate::util::Sock").contains(&"std::net::TcpStream".into()));
        assert!(resolved(&a, "Sock").contains(&"std::net::TcpStream".into()));
    }

    #[test]
    fn alias_cycles_end() {
        let a = aliases("use self::b as a; use self::a as b; use a::x as y;");
        assert!(resolved(&a, "y::z").is_empty());
    }
}
