//! SPDX license expressions: parsing as crates.io writes them, evaluation against an allow list,
//! and a canonical form so that `MIT/Apache-2.0` and `Apache-2.0 OR MIT` compare equal.

use spdx::expression::{ExprNode, Operator};
use spdx::{Expression, LicenseItem, LicenseReq, Licensee, ParseMode};

/// How `[licenses] allow` entries are parsed: SPDX ids, optionally `WITH` an exception, strict
/// except that deprecated ids (`GPL-2.0`) are accepted, since crates still declare them.
pub const ALLOW_ENTRY_MODE: ParseMode = ParseMode {
    allow_deprecated: true,
    ..ParseMode::STRICT
};

/// A license expression that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidExpression {
    /// What is wrong, with the offending term when there is one.
    pub reason: String,
}

/// Parses a manifest's `license` as crates.io accepts it: the deprecated `/` separator for `OR`,
/// `+` (or later), deprecated ids and common imprecise names (`Apache 2.0`).
pub fn parse(text: &str) -> Result<Expression, InvalidExpression> {
    Expression::parse_mode(text.trim(), ParseMode::LAX).map_err(|error| {
        let term = error
            .original
            .get(error.span.clone())
            .filter(|term| !term.trim().is_empty());
        InvalidExpression {
            reason: match term {
                Some(term) => format!("{} at \"{term}\"", error.reason),
                None => error.reason.to_string(),
            },
        }
    })
}

/// The licenses a policy allows, parsed once.
#[derive(Clone, Debug, Default)]
pub struct AllowList {
    licensees: Vec<Licensee>,
}

impl AllowList {
    /// The allow list of `[licenses] allow` (entries were validated when the policy was loaded;
    /// any that do not parse allow nothing).
    pub fn new(entries: &[String]) -> AllowList {
        AllowList {
            licensees: entries
                .iter()
                .filter_map(|entry| Licensee::parse_mode(entry.trim(), ALLOW_ENTRY_MODE).ok())
                .collect(),
        }
    }

    /// Whether one license requirement is allowed.
    pub fn allows(&self, requirement: &LicenseReq) -> bool {
        self.licensees
            .iter()
            .any(|licensee| licensee.satisfies(requirement))
    }

    /// `Ok` when the allowed licenses satisfy the expression; otherwise the requirements that
    /// are not allowed, in the order they are written.
    pub fn evaluate(&self, expression: &Expression) -> Result<(), Vec<String>> {
        expression
            .evaluate_with_failures(|requirement| self.allows(requirement))
            .map_err(|failures| {
                let mut names: Vec<String> = Vec::new();
                for failure in failures {
                    let name = failure.req.to_string();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names
            })
    }
}

/// The license ids an expression names, as `[licenses] allow` entries would allow them
/// (`Apache-2.0+` needs `Apache-2.0`; `Apache-2.0 WITH LLVM-exception` is one entry).
pub fn allow_entries(expression: &Expression) -> Vec<String> {
    let mut entries: Vec<String> = expression
        .requirements()
        .map(|requirement| allow_entry(&requirement.req))
        .collect();
    entries.sort();
    entries.dedup();
    entries
}

fn allow_entry(requirement: &LicenseReq) -> String {
    let license = match &requirement.license {
        LicenseItem::Spdx { id, .. } => id.name.to_owned(),
        other @ LicenseItem::Other(_) => other.to_string(),
    };
    match &requirement.addition {
        Some(addition) => format!("{license} WITH {addition}"),
        None => license,
    }
}

/// An expression as a tree, for the canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    /// One requirement, rendered (`MIT`, `Apache-2.0 WITH LLVM-exception`, `GPL-2.0-or-later`).
    Leaf(String),
    /// Two or more operands joined by one operator, sorted and without duplicates.
    Join(Operator, Vec<Node>),
}

impl Node {
    fn join(operator: Operator, left: Node, right: Node) -> Node {
        let mut operands = Vec::new();
        for operand in [left, right] {
            match operand {
                Node::Join(inner, children) if inner == operator => operands.extend(children),
                other => operands.push(other),
            }
        }
        operands.sort_by_cached_key(Node::render);
        operands.dedup();
        if operands.len() == 1 {
            return operands.remove(0);
        }
        Node::Join(operator, operands)
    }

    /// Renders with `AND`/`OR`/`WITH`, with parentheses only where SPDX precedence needs them
    /// (`WITH` binds tighter than `AND`, which binds tighter than `OR`).
    fn render(&self) -> String {
        match self {
            Node::Leaf(text) => text.clone(),
            Node::Join(operator, operands) => {
                let separator = match operator {
                    Operator::And => " AND ",
                    Operator::Or => " OR ",
                };
                operands
                    .iter()
                    .map(|operand| match operand {
                        Node::Join(Operator::Or, _) if *operator == Operator::And => {
                            format!("({})", operand.render())
                        }
                        _ => operand.render(),
                    })
                    .collect::<Vec<_>>()
                    .join(separator)
            }
        }
    }
}

fn tree(expression: &Expression) -> Option<Node> {
    let mut stack: Vec<Node> = Vec::new();
    for node in expression.iter() {
        match node {
            ExprNode::Req(requirement) => stack.push(Node::Leaf(requirement.req.to_string())),
            ExprNode::Op(operator) => {
                let right = stack.pop()?;
                let left = stack.pop()?;
                stack.push(Node::join(*operator, left, right));
            }
        }
    }
    let root = stack.pop()?;
    stack.is_empty().then_some(root)
}

/// The canonical form of a license expression: same-operator chains flattened, operands sorted
/// and deduplicated, `/` written `OR`. Two expressions are the same license when their
/// canonical forms are equal. Text that does not parse is its own canonical form (trimmed).
pub fn canonical(text: &str) -> String {
    parse(text)
        .ok()
        .and_then(|expression| tree(&expression))
        .map(|node| node.render())
        .unwrap_or_else(|| text.trim().to_owned())
}

/// Whether two licenses (as manifests write them; `None` for no license) are the same license.
pub fn same_license(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => canonical(a) == canonical(b),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(allow: &[&str], expression: &str) -> Result<(), Vec<String>> {
        let allow: Vec<String> = allow.iter().map(|id| (*id).to_owned()).collect();
        AllowList::new(&allow).evaluate(&parse(expression).expect("valid expression"))
    }

    #[test]
    fn or_needs_one_side_and_and_needs_both() {
        assert_eq!(allowed(&["MIT"], "MIT OR Apache-2.0"), Ok(()));
        assert_eq!(allowed(&["Apache-2.0"], "MIT OR Apache-2.0"), Ok(()));
        assert_eq!(
            allowed(&["ISC"], "MIT OR Apache-2.0"),
            Err(vec!["MIT".to_owned(), "Apache-2.0".to_owned()])
        );
        assert_eq!(
            allowed(&["MIT", "BSD-3-Clause"], "MIT AND BSD-3-Clause"),
            Ok(())
        );
        assert_eq!(
            allowed(&["MIT"], "MIT AND BSD-3-Clause"),
            Err(vec!["BSD-3-Clause".to_owned()])
        );
    }

    #[test]
    fn parentheses_group_as_written() {
        let expression = "(MIT OR Apache-2.0) AND Unicode-3.0";
        assert_eq!(allowed(&["Apache-2.0", "Unicode-3.0"], expression), Ok(()));
        assert!(allowed(&["Apache-2.0"], expression).is_err());
        // Without parentheses AND binds tighter: MIT OR (Apache-2.0 AND Unicode-3.0).
        assert_eq!(
            allowed(&["MIT"], "MIT OR Apache-2.0 AND Unicode-3.0"),
            Ok(())
        );
        assert!(allowed(&["MIT"], "(MIT OR Apache-2.0) AND Unicode-3.0").is_err());
    }

    #[test]
    fn with_exceptions_must_be_allowed_with_their_exception() {
        let expression = "Apache-2.0 WITH LLVM-exception";
        assert_eq!(
            allowed(&["Apache-2.0 WITH LLVM-exception"], expression),
            Ok(())
        );
        assert_eq!(
            allowed(&["Apache-2.0"], expression),
            Err(vec!["Apache-2.0 WITH LLVM-exception".to_owned()])
        );
        assert!(allowed(&["Apache-2.0 WITH LLVM-exception"], "Apache-2.0").is_err());
        assert_eq!(
            allowed(&["MIT"], "Apache-2.0 WITH LLVM-exception OR MIT"),
            Ok(())
        );
    }

    #[test]
    fn the_deprecated_slash_is_or() {
        assert_eq!(allowed(&["Apache-2.0"], "MIT/Apache-2.0"), Ok(()));
        assert_eq!(allowed(&["MIT"], "MIT / Apache-2.0"), Ok(()));
        assert!(allowed(&["ISC"], "MIT/Apache-2.0").is_err());
    }

    #[test]
    fn plus_means_this_version_or_later() {
        assert_eq!(allowed(&["Apache-2.0"], "Apache-2.0+"), Ok(()));
        // GNU licenses spell it -or-later: `GPL-2.0+` is GPL-2.0-or-later.
        assert_eq!(allowed(&["GPL-2.0-or-later"], "GPL-2.0+"), Ok(()));
        assert!(allowed(&["GPL-2.0-only"], "GPL-2.0+").is_err());
        assert_eq!(allowed(&["GPL-2.0"], "GPL-2.0"), Ok(()), "deprecated ids");
    }

    #[test]
    fn the_policy_accepts_deprecated_ids_but_not_unknown_ones() {
        let parse_policy = |allow: &str| {
            crate::policy::parse_policy(
                &format!("[licenses]\nallow = [{allow}]\n"),
                std::path::Path::new("trustcheck.toml"),
                crate::support::date::Date::today(),
            )
        };
        assert!(parse_policy("\"GPL-2.0\", \"Apache-2.0 WITH LLVM-exception\"").is_ok());
        assert!(parse_policy("\"Apache-2.0+\"").is_err());
        assert!(
            parse_policy("\"MIT OR ISC\"").is_err(),
            "one license per entry"
        );
        assert!(parse_policy("\"Foo-1.0\"").is_err());
    }

    #[test]
    fn unknown_ids_are_invalid_expressions_naming_the_term() {
        let error = parse("MIT OR Foo-License").unwrap_err();
        assert!(error.reason.contains("Foo-License"), "{error:?}");
        assert!(parse("MIT AND").is_err());
        assert!(parse("").is_err());
        assert!(parse("(MIT").is_err());
        // LicenseRef- is valid SPDX, allowed only when listed.
        assert!(allowed(&["MIT"], "LicenseRef-Proprietary").is_err());
        assert_eq!(
            allowed(&["LicenseRef-Proprietary"], "LicenseRef-Proprietary"),
            Ok(())
        );
    }

    #[test]
    fn canonical_forms_make_equivalent_expressions_equal() {
        for (a, b) in [
            ("MIT/Apache-2.0", "Apache-2.0 OR MIT"),
            ("MIT OR Apache-2.0", "Apache-2.0 OR MIT"),
            ("(MIT OR Apache-2.0) OR ISC", "ISC OR Apache-2.0 OR MIT"),
            ("MIT AND (ISC AND Zlib)", "Zlib AND MIT AND ISC"),
            ("MIT OR MIT", "MIT"),
            ("(MIT AND ISC) OR Zlib", "Zlib OR ISC AND MIT"),
            ("  MIT ", "MIT"),
        ] {
            assert!(same_license(Some(a), Some(b)), "{a} == {b}");
        }
        for (a, b) in [
            ("MIT", "BUSL-1.1"),
            ("MIT OR Apache-2.0", "MIT AND Apache-2.0"),
            ("(MIT OR ISC) AND Zlib", "MIT OR ISC AND Zlib"),
            ("Apache-2.0", "Apache-2.0 WITH LLVM-exception"),
        ] {
            assert!(!same_license(Some(a), Some(b)), "{a} != {b}");
        }
        assert!(same_license(None, None));
        assert!(!same_license(Some("MIT"), None));
        assert_eq!(canonical("MIT/Apache-2.0"), "Apache-2.0 OR MIT");
        assert_eq!(
            canonical("Zlib AND (MIT OR Apache-2.0)"),
            "(Apache-2.0 OR MIT) AND Zlib"
        );
        assert_eq!(
            canonical("Zlib OR (MIT AND Apache-2.0)"),
            "Apache-2.0 AND MIT OR Zlib"
        );
        // Unparsable text compares as written, trimmed.
        assert!(same_license(Some(" Foo or Bar"), Some("Foo or Bar ")));
        assert!(!same_license(Some("Foo or Bar"), Some("Bar or Foo")));
    }

    #[test]
    fn allow_entries_are_what_the_allow_list_needs() {
        let expression =
            parse("(MIT OR Apache-2.0+) AND Apache-2.0 WITH LLVM-exception AND GPL-2.0+").unwrap();
        assert_eq!(
            allow_entries(&expression),
            vec![
                "Apache-2.0",
                "Apache-2.0 WITH LLVM-exception",
                "GPL-2.0-or-later",
                "MIT"
            ]
        );
        for entry in allow_entries(&expression) {
            assert!(
                Licensee::parse_mode(&entry, ALLOW_ENTRY_MODE).is_ok(),
                "{entry}"
            );
        }
    }
}
