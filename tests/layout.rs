//! The layout of `src/` is part of the design: `ls src` shows the pipeline (load, facts, checks,
//! policy, report), checks are siblings that never import each other, what sits below the checks
//! never imports them, commands never import each other, and no two modules import each other
//! through any chain. These tests read the source's `crate::`, `super::` and `self::` paths, so a
//! change that breaks the shape fails here, naming the file and the path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The folders that hold a stage (or its support); their children are the units of the rules.
const STAGES: [&str; 9] = [
    "checks", "commands", "diff", "facts", "load", "pipeline", "policy", "report", "support",
];

/// What `src/` holds at its root: the stages, and the few files every stage shares.
const ROOT: [&str; 15] = [
    "checks", "cli", "commands", "diff", "error.rs", "exit.rs", "facts", "finding", "lib.rs",
    "load", "main.rs", "pipeline", "policy", "report", "support",
];

/// Units that sit below the checks: they may be imported by the checks, never import them.
fn is_below_checks(unit: &[String]) -> bool {
    matches!(
        unit.first().map(String::as_str),
        Some("support" | "load" | "facts" | "policy" | "finding" | "exit")
    )
}

/// Units that sit above (or beside) the checks and read their findings.
fn is_above_checks(unit: &[String]) -> bool {
    matches!(
        unit.first().map(String::as_str),
        Some("checks" | "report" | "diff" | "pipeline" | "commands" | "cli" | "error")
    )
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
}

/// Whether a file holds only tests (`tests.rs`, or anything under a `tests/` folder).
fn is_test_file(path: &Path) -> bool {
    let relative = path.strip_prefix(src()).unwrap_or(path);
    relative.file_name().is_some_and(|name| name == "tests.rs")
        || relative
            .components()
            .any(|part| part.as_os_str() == "tests")
}

/// The module path of a file: `src/load/graph/mod.rs` is `load::graph`.
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The unit a module belongs to: `checks::yanked`, `facts::index`, `support::http`, `finding`.
fn unit_of(module: &[String]) -> Vec<String> {
    let depth = match module.first() {
        Some(first) if STAGES.contains(&first.as_str()) => 2,
        _ => 1,
    };
    module.iter().take(depth).cloned().collect()
}

/// The text the rules read: without comments, and without the `#[cfg(test)]` module at the end.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path a file names, resolved from `crate::`, `super::` and `self::`, including the
/// members of `use crate::{a, b::c}` groups.
fn imports_of(module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let is_word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    for start in 0..bytes.len() {
        if start > 0 && (is_word(bytes[start - 1]) || bytes[start - 1] == b':') {
            continue;
        }
        if !code.is_char_boundary(start) {
            continue;
        }
        let rest = &code[start..];
        let Some(head) = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|head| rest.starts_with(head))
        else {
            continue;
        };
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut parts: Vec<&str> = path.split("::").filter(|part| !part.is_empty()).collect();
        let mut base: Vec<String> = if head == "crate::" {
            parts.remove(0);
            Vec::new()
        } else {
            module.to_vec()
        };
        while let Some(first) = parts.first() {
            match *first {
                "super" => {
                    base.pop();
                }
                "self" => {}
                _ => break,
            }
            parts.remove(0);
        }
        let mut target = base.clone();
        target.extend(parts.iter().map(|part| (*part).to_owned()));
        found.insert(target);
        // `crate::{a, b::c}`: each member of the group.
        if path.ends_with("::") && rest[path.len()..].starts_with('{') {
            let group = &rest[path.len() + 1..];
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for member in group.split(',') {
                let member: Vec<String> = member
                    .trim()
                    .split("::")
                    .filter(|part| !part.is_empty() && *part != "self")
                    .map(str::to_owned)
                    .collect();
                let mut target = base.clone();
                target.extend(parts.iter().map(|part| (*part).to_owned()));
                target.extend(member);
                found.insert(target);
            }
        }
    }
    found
}

/// The modules that exist, so that `crate::load::graph::Package` resolves to `load::graph`.
fn modules() -> BTreeSet<Vec<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.iter().map(|file| module_of(file)).collect()
}

/// The longest existing module a path starts with.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

/// Each non-test source file, its unit, and the units it imports (with the path that does).
struct Import {
    file: String,
    from: Vec<String>,
    to: Vec<String>,
    path: String,
}

fn imports() -> Vec<Import> {
    let modules = modules();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut imports = Vec::new();
    for file in files.iter().filter(|file| !is_test_file(file)) {
        let module = module_of(file);
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for path in imports_of(&module, &code) {
            let target = resolve(&path, &modules);
            let (from, to) = (unit_of(&module), unit_of(&target));
            if from != to && !to.is_empty() {
                imports.push(Import {
                    file: file.strip_prefix(src()).unwrap().display().to_string(),
                    from,
                    to,
                    path: path.join("::"),
                });
            }
        }
    }
    imports
}

/// Whether one unit is the other's ancestor (a module and its parent may name each other).
fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

fn violations(rule: impl Fn(&Import) -> bool) -> Vec<String> {
    imports()
        .into_iter()
        .filter(|import| rule(import))
        .map(|import| {
            format!(
                "src/{} ({}) names {}",
                import.file,
                import.from.join("::"),
                import.path
            )
        })
        .collect()
}

#[test]
fn ls_src_shows_the_pipeline() {
    let mut entries: Vec<String> = std::fs::read_dir(src())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries, ROOT,
        "src/ holds the stages and the shared files only"
    );
}

#[test]
fn checks_never_import_each_other() {
    let found = violations(|import| {
        import.from.first().is_some_and(|stage| stage == "checks")
            && import.to.first().is_some_and(|stage| stage == "checks")
            && import.from.len() == 2
            && import.to.len() == 2
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn what_sits_below_the_checks_never_imports_them_or_anything_above() {
    let found = violations(|import| is_below_checks(&import.from) && is_above_checks(&import.to));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn support_imports_nothing_but_support() {
    let found = violations(|import| {
        import.from.first().is_some_and(|stage| stage == "support")
            && import.to.first().is_none_or(|stage| stage != "support")
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn commands_never_import_each_other() {
    let found = violations(|import| {
        import.from.first().is_some_and(|stage| stage == "commands")
            && import.to.first().is_some_and(|stage| stage == "commands")
            && import.from.len() == 2
            && import.to.len() == 2
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn reports_never_import_checks_commands_or_the_pipeline() {
    let found = violations(|import| {
        import.from.first().is_some_and(|stage| stage == "report")
            && import.to.first().is_some_and(|stage| {
                matches!(stage.as_str(), "checks" | "commands" | "pipeline" | "cli")
            })
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn no_import_cycle_between_modules() {
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut witness: BTreeMap<(Vec<String>, Vec<String>), String> = BTreeMap::new();
    for import in imports() {
        if related(&import.from, &import.to) {
            continue;
        }
        witness
            .entry((import.from.clone(), import.to.clone()))
            .or_insert_with(|| format!("src/{} names {}", import.file, import.path));
        edges.entry(import.from).or_default().insert(import.to);
    }
    // A unit is on a cycle when it reaches itself.
    let mut cycles = Vec::new();
    for start in edges.keys() {
        let mut stack: Vec<(Vec<String>, Vec<Vec<String>>)> = vec![(start.clone(), Vec::new())];
        let mut seen = BTreeSet::new();
        while let Some((unit, trail)) = stack.pop() {
            for next in edges.get(&unit).into_iter().flatten() {
                let mut trail = trail.clone();
                trail.push(unit.clone());
                if next == start {
                    trail.push(next.clone());
                    let steps: Vec<String> = trail
                        .windows(2)
                        .map(|pair| witness[&(pair[0].clone(), pair[1].clone())].clone())
                        .collect();
                    cycles.push(steps);
                } else if seen.insert(next.clone()) {
                    stack.push((next.clone(), trail));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn no_source_file_is_over_600_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter(|file| !is_test_file(file))
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).unwrap().lines().count();
            (lines > 600).then(|| format!("{}: {lines} lines", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let undocumented: Vec<String> = files
        .iter()
        .filter(|file| !std::fs::read_to_string(file).unwrap().starts_with("//!"))
        .map(|file| file.display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "{undocumented:#?}");
}

#[test]
fn the_rules_see_imports_through_groups_super_and_self() {
    let module: Vec<String> = vec!["checks".into(), "yanked".into()];
    let code = "use crate::{facts::index, checks::releases::age};\nuse super::bans;\nfn f() { self::g(); }";
    let found: BTreeSet<String> = imports_of(&module, code)
        .into_iter()
        .map(|path| path.join("::"))
        .collect();
    for expected in [
        "facts::index",
        "checks::releases::age",
        "checks::bans",
        "checks::yanked::g",
    ] {
        assert!(found.contains(expected), "{expected} in {found:?}");
    }
}
