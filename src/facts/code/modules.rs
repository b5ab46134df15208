//! Which files belong to a role: from the root (build script or library root) through `mod name;`
//! (with Rust's rules for mod-rs and non-mod-rs files and inline modules), `#[path]`, `include!`,
//! and the data files of `include_bytes!`/`include_str!`. `#[cfg(test)]` modules are left out:
//! only code compiled when the crate is a dependency counts.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use super::CrateFile;
use super::lexer::{Lexed, Tok, Token, lex};
use super::literal::Lit;

/// One file of a role, lexed.
#[derive(Debug, Clone)]
pub struct RoleFile {
    /// Its path, relative to the crate root.
    pub path: String,
    /// Its tokens.
    pub lexed: Rc<Lexed>,
    /// Token ranges (inclusive) the scan skips: `#[cfg(test)] mod … { … }` blocks.
    pub skip: Vec<(usize, usize)>,
}

/// The files of one role, in discovery order from the root.
#[derive(Debug, Clone, Default)]
pub struct RoleTree {
    /// The files read.
    pub files: Vec<RoleFile>,
    /// Files that could not be read, as `path: reason`.
    pub unreadable: Vec<String>,
    /// Files pulled in by `include_bytes!`/`include_str!`.
    pub included: Vec<String>,
}

/// Lexed files by path, shared between roles (a build script may `#[path]` a library module).
#[derive(Debug, Default)]
pub struct LexCache {
    map: HashMap<String, Result<Rc<Lexed>, String>>,
}

/// Normalises a crate-relative path: `\` to `/`, no `./` or empty components.
pub fn clean_path(path: &str) -> String {
    join("", path).unwrap_or_else(|_| path.replace('\\', "/"))
}

/// Joins a relative path to a directory, resolving `.` and `..`; fails on an absolute path or one
/// that escapes the crate root.
pub fn join(dir: &str, rel: &str) -> Result<String, &'static str> {
    let rel = rel.replace('\\', "/");
    let bytes = rel.as_bytes();
    if rel.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
    {
        return Err("absolute path");
    }
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("escapes the crate");
                }
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// The directory of a file (`""` at the crate root).
pub fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Reads and lexes a file once.
fn load(
    files: &BTreeMap<String, &CrateFile>,
    path: &str,
    cache: &mut LexCache,
) -> Result<Rc<Lexed>, String> {
    if let Some(hit) = cache.map.get(path) {
        return hit.clone();
    }
    let result = match files.get(path) {
        None => Err("not found".to_string()),
        Some(f) if f.truncated => Err(format!(
            "truncated at {} of {} bytes",
            f.bytes.len(),
            f.size
        )),
        Some(f) => match std::str::from_utf8(&f.bytes) {
            Err(e) => Err(format!("not UTF-8 (byte {})", e.valid_up_to())),
            Ok(src) => Ok(Rc::new(lex(src.strip_prefix('\u{feff}').unwrap_or(src)))),
        },
    };
    cache.map.insert(path.to_string(), result.clone());
    result
}

/// Follows a role's module tree from its root.
pub fn discover(
    files: &BTreeMap<String, &CrateFile>,
    root: &str,
    cache: &mut LexCache,
) -> RoleTree {
    let mut tree = RoleTree::default();
    let mut seen = HashSet::new();
    // (path, mod_rs: its child modules live in its own directory).
    let mut queue = VecDeque::from([(clean_path(root), true)]);
    while let Some((path, mod_rs)) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let lexed = match load(files, &path, cache) {
            Ok(lexed) => lexed,
            Err(reason) => {
                tree.unreadable.push(format!("{path}: {reason}"));
                continue;
            }
        };
        let items = items(&lexed.tokens);
        let dir = dir_of(&path);
        let child_base = if mod_rs {
            dir.to_string()
        } else {
            let stem = path.rsplit('/').next().unwrap_or(&path);
            let stem = stem.strip_suffix(".rs").unwrap_or(stem);
            if dir.is_empty() {
                stem.to_string()
            } else {
                format!("{dir}/{stem}")
            }
        };
        for m in &items.mods {
            let mut base = child_base.clone();
            for name in &m.inline {
                base = if base.is_empty() {
                    name.clone()
                } else {
                    format!("{base}/{name}")
                };
            }
            match &m.path_attr {
                Some(attr) => {
                    let attr_dir = if m.inline.is_empty() {
                        dir
                    } else {
                        base.as_str()
                    };
                    match join(attr_dir, attr) {
                        Ok(p) => queue.push_back((p, true)),
                        Err(why) => tree.unreadable.push(format!("{attr}: {why}")),
                    }
                }
                None => {
                    let flat = join(&base, &format!("{}.rs", m.name)).unwrap_or_default();
                    let nested = join(&base, &format!("{}/mod.rs", m.name)).unwrap_or_default();
                    if files.contains_key(&flat) {
                        queue.push_back((flat, false));
                    } else if files.contains_key(&nested) {
                        queue.push_back((nested, true));
                    } else {
                        let name = &m.name;
                        tree.unreadable
                            .push(format!("{flat}: module `{name}` not found (nor {nested})"));
                    }
                }
            }
        }
        for (arg, code) in &items.includes {
            let target = match arg {
                PathArg::Relative(rel) => join(dir, rel),
                PathArg::CrateRoot(rel) => join("", rel),
                PathArg::Unknown => continue,
            };
            match target {
                Err(why) => tree.unreadable.push(format!("{}: {why}", arg.shown())),
                Ok(p) if *code => queue.push_back((p, true)),
                Ok(p) if files.contains_key(&p) => tree.included.push(p),
                Ok(p) => tree
                    .unreadable
                    .push(format!("{p}: included file not found")),
            }
        }
        tree.files.push(RoleFile {
            path,
            lexed,
            skip: items.skip,
        });
    }
    tree
}

/// A `mod name;` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModDecl {
    name: String,
    path_attr: Option<String>,
    /// The inline modules (`mod a { … }`) it sits in, outermost first.
    inline: Vec<String>,
}

/// The path argument of `include!`-like macros.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathArg {
    /// Literal(s), relative to the including file's directory.
    Relative(String),
    /// `concat!(env!("CARGO_MANIFEST_DIR"), "…")`: relative to the crate root.
    CrateRoot(String),
    /// Not a literal, or a generated file (`OUT_DIR`).
    Unknown,
}

impl PathArg {
    fn shown(&self) -> &str {
        match self {
            PathArg::Relative(p) | PathArg::CrateRoot(p) => p,
            PathArg::Unknown => "?",
        }
    }
}

/// What one file declares: modules, includes (`true` for `include!` of code) and skipped ranges.
#[derive(Debug, Default)]
struct Items {
    mods: Vec<ModDecl>,
    includes: Vec<(PathArg, bool)>,
    skip: Vec<(usize, usize)>,
}

fn ident_at(toks: &[Token], i: usize) -> Option<&str> {
    match toks.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn punct_at(toks: &[Token], i: usize, c: char) -> bool {
    matches!(toks.get(i).map(|t| &t.tok), Some(Tok::Punct(p, _)) if *p == c)
}

fn items(toks: &[Token]) -> Items {
    let mut out = Items::default();
    let mut attrs: Vec<usize> = Vec::new(); // start index of each pending outer attribute's body
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        while inline.last().is_some_and(|(end, _)| i >= *end) {
            inline.pop();
        }
        if punct_at(toks, i, '#')
            && let Some(Tok::Open('[', end)) = toks.get(i + 1).map(|t| &t.tok)
        {
            attrs.push(i + 2);
            i = end + 1;
            continue;
        }
        match ident_at(toks, i) {
            Some("pub") => {
                i += 1;
                if let Some(Tok::Open('(', end)) = toks.get(i).map(|t| &t.tok) {
                    i = end + 1;
                }
                continue;
            }
            Some("mod") => {
                if let Some(name) = ident_at(toks, i + 1) {
                    let is_test = attrs.iter().any(|&a| is_cfg_test(toks, a));
                    match toks.get(i + 2).map(|t| &t.tok) {
                        Some(Tok::Punct(';', _)) if !is_test => out.mods.push(ModDecl {
                            name: name.to_string(),
                            path_attr: attrs.iter().find_map(|&a| path_attr(toks, a)),
                            inline: inline.iter().map(|(_, n)| n.clone()).collect(),
                        }),
                        Some(Tok::Open('{', end)) if is_test => {
                            out.skip.push((i, *end));
                            attrs.clear();
                            i = end + 1;
                            continue;
                        }
                        Some(Tok::Open('{', end)) => inline.push((*end, name.to_string())),
                        _ => {}
                    }
                }
            }
            Some(mac @ ("include" | "include_bytes" | "include_str"))
                if punct_at(toks, i + 1, '!') =>
            {
                if let Some(Tok::Open(_, end)) = toks.get(i + 2).map(|t| &t.tok) {
                    let arg = path_arg(toks, i + 3, *end);
                    out.includes.push((arg, mac == "include"));
                }
            }
            _ => {}
        }
        attrs.clear();
        i += 1;
    }
    out
}

/// `cfg(test)` at `a`.
fn is_cfg_test(toks: &[Token], a: usize) -> bool {
    ident_at(toks, a) == Some("cfg")
        && matches!(toks.get(a + 1).map(|t| &t.tok), Some(Tok::Open('(', _)))
        && ident_at(toks, a + 2) == Some("test")
        && matches!(toks.get(a + 3).map(|t| &t.tok), Some(Tok::Close(')')))
}

/// `path = "…"` at `a`.
fn path_attr(toks: &[Token], a: usize) -> Option<String> {
    if ident_at(toks, a) != Some("path") || !punct_at(toks, a + 1, '=') {
        return None;
    }
    match toks.get(a + 2).map(|t| &t.tok) {
        Some(Tok::Lit(Lit::Str(s))) => Some(s.clone()),
        _ => None,
    }
}

/// Evaluates the argument tokens `from..end` of an `include!`-like macro: string literals, possibly
/// in `concat!`, possibly after `env!("CARGO_MANIFEST_DIR")`.
fn path_arg(toks: &[Token], from: usize, end: usize) -> PathArg {
    let mut text = String::new();
    let mut crate_root = false;
    let mut i = from;
    while i < end.min(toks.len()) {
        match &toks[i].tok {
            Tok::Lit(Lit::Str(s)) => text.push_str(s),
            Tok::Ident(m) if &**m == "concat" && punct_at(toks, i + 1, '!') => i += 1,
            Tok::Ident(m) if &**m == "env" && punct_at(toks, i + 1, '!') => {
                let var = match toks.get(i + 3).map(|t| &t.tok) {
                    Some(Tok::Lit(Lit::Str(s))) => s.as_str(),
                    _ => "",
                };
                if var != "CARGO_MANIFEST_DIR" || !text.is_empty() {
                    return PathArg::Unknown;
                }
                crate_root = true;
                if let Some(Tok::Open(_, close)) = toks.get(i + 2).map(|t| &t.tok) {
                    i = *close;
                }
            }
            Tok::Open(..) | Tok::Close(_) | Tok::Punct(',', _) => {}
            _ => return PathArg::Unknown,
        }
        i += 1;
    }
    if crate_root {
        PathArg::CrateRoot(text.trim_start_matches(['/', '\\']).to_string())
    } else if text.is_empty() {
        PathArg::Unknown
    } else {
        PathArg::Relative(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, src: &str) -> CrateFile {
        CrateFile {
            path: path.into(),
            size: src.len() as u64,
            bytes: src.into(),
            truncated: false,
        }
    }

    fn tree(files: &[CrateFile], root: &str) -> RoleTree {
        let map = files.iter().map(|f| (clean_path(&f.path), f)).collect();
        discover(&map, root, &mut LexCache::default())
    }

    fn paths(t: &RoleTree) -> Vec<&str> {
        t.files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn joins_resolve_dots_and_refuse_escapes() {
        assert_eq!(join("src/a", "../b/./c.rs"), Ok("src/b/c.rs".to_string()));
        assert_eq!(join("src", "../../x"), Err("escapes the crate"));
        assert_eq!(join("src", "/etc/passwd"), Err("absolute path"));
        assert_eq!(join("src", "C:\\x"), Err("absolute path"));
        assert_eq!(clean_path("./src\\lib.rs"), "src/lib.rs");
    }

    #[test]
    fn follows_mod_rs_and_non_mod_rs_rules() {
        let files = [
            file(
                "src/lib.rs",
                "mod a; pub(crate) mod net; mod inl { mod deep; }",
            ),
            file("src/a.rs", "mod b;"),
            file("src/a/b.rs", ""),
            file("src/b.rs", "// not reached: b is a's child"),
            file("src/net/mod.rs", "mod tcp;"),
            file("src/net/tcp.rs", ""),
            file("src/inl/deep.rs", ""),
        ];
        let t = tree(&files, "src/lib.rs");
        let mut got = paths(&t);
        got.sort();
        assert_eq!(
            got,
            [
                "src/a.rs",
                "src/a/b.rs",
                "src/inl/deep.rs",
                "src/lib.rs",
                "src/net/mod.rs",
                "src/net/tcp.rs"
            ]
        );
        assert!(t.unreadable.is_empty(), "{:?}", t.unreadable);
    }

    #[test]
    fn path_attributes_includes_and_cycles() {
        let files = [
            file(
                "build.rs",
                "#[path = \"build/helper.rs\"] mod helper; include!(\"gen.rs\");",
            ),
            file(
                "build/helper.rs",
                "#[path = \"../build.rs\"] mod again; mod sub;",
            ),
            file(
                "build/sub.rs",
                "const B: &[u8] = include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/data/x.bin\"));",
            ),
            file(
                "gen.rs",
                "include!(concat!(env!(\"OUT_DIR\"), \"/out.rs\")); static S: &str = include_str!(\"missing.txt\");",
            ),
            file("data/x.bin", "x"),
        ];
        let t = tree(&files, "build.rs");
        let mut got = paths(&t);
        got.sort();
        assert_eq!(
            got,
            ["build.rs", "build/helper.rs", "build/sub.rs", "gen.rs"]
        );
        assert_eq!(t.included, ["data/x.bin"]);
        assert_eq!(t.unreadable, ["missing.txt: included file not found"]);
    }

    #[test]
    fn missing_escaping_and_test_modules() {
        let files = [file(
            "src/lib.rs",
            "mod gone;\n#[cfg(test)] mod tests;\n#[cfg(test)]\nmod inline { fn f() {} }\n#[path = \"../../etc.rs\"] mod up;",
        )];
        let t = tree(&files, "src/lib.rs");
        assert_eq!(
            t.unreadable,
            [
                "src/gone.rs: module `gone` not found (nor src/gone/mod.rs)",
                "../../etc.rs: escapes the crate"
            ]
        );
        assert_eq!(t.files[0].skip.len(), 1);
        let none = tree(&files, "src/main.rs");
        assert_eq!(none.unreadable, ["src/main.rs: not found"]);
    }

    #[test]
    fn truncated_and_non_utf8_files_are_unreadable() {
        let mut big = file("src/lib.rs", "fn f() {}");
        big.truncated = true;
        big.size = 100;
        assert_eq!(
            tree(&[big], "src/lib.rs").unreadable,
            ["src/lib.rs: truncated at 9 of 100 bytes"]
        );
        let bad = CrateFile {
            path: "build.rs".into(),
            size: 2,
            bytes: vec![b'a', 0xff],
            truncated: false,
        };
        assert_eq!(
            tree(&[bad], "build.rs").unreadable,
            ["build.rs: not UTF-8 (byte 1)"]
        );
    }
}
