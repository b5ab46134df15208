//! `init`: writes a commented `trustcheck.toml` for the workspace, whose license allow list is
//! the licenses the graph uses today, and the first baseline, `trustcheck.lock`. It needs only
//! the dependency graph: no advisory database, no network.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::write_file;
use crate::baseline::{self, BASELINE_FILE, Baseline};
use crate::cli::{InitArgs, Outcome, print_stdout};
use crate::error::Error;
use crate::licenses::{self, Usage};
use crate::policy::{DEFAULT_ALLOWED_LICENSES, DEFAULT_POLICY_FILE, Policy};
use crate::workspace::load_graph;

/// The documented defaults the generated policy starts from.
const EXAMPLE_POLICY: &str = include_str!("../../policy.example.toml");

/// How many crate names a comment lists before saying how many more there are.
const NAMED_CRATES: usize = 8;

/// Runs `init`.
pub fn run(args: &InitArgs) -> anyhow::Result<Outcome> {
    let graph = load_graph(&args.graph_source.options())?;
    let root = &graph.workspace_root;
    let policy_path = root.join(DEFAULT_POLICY_FILE);
    let baseline_path = root.join(BASELINE_FILE);
    if !args.force {
        for path in [&policy_path, &baseline_path] {
            if path.exists() {
                return Err(Error::Usage(format!(
                    "{} already exists; `init` does not overwrite it (pass --force to replace both files, \
                     or run `cargo trustcheck baseline` to refresh only the baseline)",
                    path.display()
                ))
                .into());
            }
        }
    }
    let usage = licenses::usage(&graph, &Policy::default().licenses);
    let policy = policy_text(&usage).ok_or_else(|| {
        Error::Usage("the built-in policy template has no `[licenses] allow` list".to_owned())
    })?;
    let mut baseline = Baseline::from_graph(&graph, None);
    let warnings = super::baseline::fill_ownership(
        &mut baseline,
        None,
        Policy::default().ownership.requests_per_second,
        args.graph_source.offline,
    )?;
    write_file(&policy_path, &policy)?;
    write_file(&baseline_path, &baseline::render(&baseline))?;

    let (allowed, review) = split_usage(&usage);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wrote {}: {} license{} allowed{}",
        policy_path.display(),
        allowed.len(),
        plural(allowed.len()),
        if review.is_empty() {
            String::new()
        } else {
            format!(
                ", {} commented out for review ({})",
                review.len(),
                review.join(", ")
            )
        }
    );
    let _ = writeln!(
        out,
        "wrote {}: {} crate{}, {} version{}",
        baseline_path.display(),
        baseline.crates.len(),
        plural(baseline.crates.len()),
        baseline.version_count(),
        plural(baseline.version_count())
    );
    for (what, crates) in [
        (
            "crates that need a license commented out for review",
            &usage.not_allowed,
        ),
        (
            "crates that declare no license the policy can evaluate",
            &usage.unlicensed,
        ),
        (
            "crates whose license is not a valid SPDX expression",
            &usage.invalid,
        ),
    ] {
        if !crates.is_empty() {
            let _ = writeln!(
                out,
                "note: {what} ({}): {}; `cargo trustcheck check` denies them",
                crates.len(),
                crate::text::sanitize_terminal(&name_list(crates))
            );
        }
    }
    let _ = writeln!(
        out,
        "Review both files, then commit them; `cargo trustcheck check` enforces the policy."
    );
    print_stdout(&out)?;
    for warning in warnings {
        eprintln!("warning: {}", crate::text::sanitize_terminal(&warning));
    }
    Ok(Outcome::Passed)
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The allow entries of the common permissive set, and the others (for review).
fn split_usage(usage: &Usage) -> (Vec<String>, Vec<String>) {
    usage
        .by_license
        .keys()
        .cloned()
        .partition(|entry| DEFAULT_ALLOWED_LICENSES.contains(&entry.as_str()))
}

fn name_list(crates: &BTreeSet<String>) -> String {
    let names: Vec<&str> = crates
        .iter()
        .map(String::as_str)
        .take(NAMED_CRATES)
        .collect();
    let mut list = names.join(", ");
    let more = crates.len().saturating_sub(NAMED_CRATES);
    if more > 0 {
        let _ = write!(list, " and {more} more");
    }
    list
}

/// The generated policy: `policy.example.toml` with its own header and an allow list of the
/// licenses in use. `None` if the template has no allow list to replace.
pub fn policy_text(usage: &Usage) -> Option<String> {
    let body = EXAMPLE_POLICY
        .find("\n# Levels:")
        .map(|start| &EXAMPLE_POLICY[start + 1..])
        .unwrap_or(EXAMPLE_POLICY);
    let licenses = body.find("\n[licenses]\n")?;
    let start = licenses + body[licenses..].find("\nallow = [\n")? + 1;
    let end = start + body[start..].find("\n]\n")? + 3;

    let (allowed, review) = split_usage(usage);
    let quoted = |entry: &str| toml::Value::String(entry.to_owned()).to_string();
    let width = usage
        .by_license
        .keys()
        .map(|entry| quoted(entry).len() + 1)
        .max()
        .unwrap_or(0);
    let mut allow = String::new();
    if usage.by_license.is_empty() {
        allow.push_str("allow = []   # no dependency declares a license today\n");
    } else {
        allow.push_str("allow = [\n");
        for entry in &allowed {
            let crates = &usage.by_license[entry];
            let _ = writeln!(
                allow,
                "    {:<width$} # {} crate{}",
                format!("{},", quoted(entry)),
                crates.len(),
                plural(crates.len())
            );
        }
        for entry in &review {
            let crates = &usage.by_license[entry];
            let needed_by: BTreeSet<String> =
                crates.intersection(&usage.not_allowed).cloned().collect();
            let note = if needed_by.is_empty() {
                format!(
                    "only an alternative for {} (allowed without it)",
                    name_list(crates)
                )
            } else {
                format!("needed by {}", name_list(&needed_by))
            };
            let _ = writeln!(
                allow,
                "    # {:<comment_width$} # not in the common permissive set; {note}",
                format!("{},", quoted(entry)),
                comment_width = width.saturating_sub(2)
            );
        }
        allow.push_str("]\n");
    }
    let unused: Vec<&str> = DEFAULT_ALLOWED_LICENSES
        .iter()
        .copied()
        .filter(|entry| !usage.by_license.contains_key(*entry))
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(
            allow,
            "# Not used today, from the common permissive set: {}.\n",
            unused.join(", ")
        );
    }

    let mut text = String::from(
        "# trustcheck.toml: the supply-chain policy of this workspace, read by `cargo trustcheck`.\n\
         #\n\
         # Written by `cargo trustcheck init` from the documented defaults. `[licenses] allow` lists\n\
         # the licenses the dependency graph uses today: the common permissive ones are allowed,\n\
         # the others are commented out for review, with the crates that use them. Review this\n\
         # file, then commit it together with trustcheck.lock, the baseline. Unknown keys are errors.\n\
         #\n",
    );
    text.push_str(&body[..start]);
    text.push_str(&allow);
    text.push_str(&body[end..]);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use std::path::Path;

    fn usage(entries: &[(&str, &[&str])], not_allowed: &[&str]) -> Usage {
        let mut usage = Usage::default();
        for (entry, crates) in entries {
            usage.by_license.insert(
                (*entry).to_owned(),
                crates.iter().map(|name| (*name).to_owned()).collect(),
            );
        }
        usage.not_allowed = not_allowed.iter().map(|name| (*name).to_owned()).collect();
        usage
    }

    fn load(text: &str) -> Policy {
        crate::policy::parse_policy(text, Path::new("trustcheck.toml"), Date::today())
            .unwrap_or_else(|error| panic!("{error}\n{text}"))
    }

    #[test]
    fn the_generated_policy_allows_the_permissive_licenses_in_use_and_comments_out_the_rest() {
        let text = policy_text(&usage(
            &[
                ("MIT", &["a", "b", "f"]),
                ("Apache-2.0 WITH LLVM-exception", &["c"]),
                ("GPL-3.0-only", &["d", "e"]),
                ("MPL-2.0", &["f"]),
            ],
            &["d", "e"],
        ))
        .expect("the template has an allow list");
        let policy = load(&text);
        assert_eq!(
            policy.licenses.allow,
            vec![
                "Apache-2.0 WITH LLVM-exception".to_owned(),
                "MIT".to_owned()
            ]
        );
        let defaults = Policy::default();
        assert_eq!(
            Policy {
                path: None,
                licenses: defaults.licenses.clone(),
                ..policy
            },
            defaults,
            "everything else is the documented defaults"
        );
        assert!(
            text.contains("# \"GPL-3.0-only\",") && text.contains("needed by d, e"),
            "{text}"
        );
        assert!(
            text.contains("# \"MPL-2.0\",")
                && text.contains("only an alternative for f (allowed without it)"),
            "{text}"
        );
        assert!(
            text.contains("\"MIT\",   ") && text.contains("# 3 crates"),
            "{text}"
        );
        assert!(text.contains("Not used today, from the common permissive set: Apache-2.0,"));
        assert!(!text.contains("Every key below is shown with its built-in default"));
    }

    #[test]
    fn a_graph_without_licenses_gets_an_empty_allow_list() {
        let policy = load(&policy_text(&Usage::default()).unwrap());
        assert!(policy.licenses.allow.is_empty());
    }

    #[test]
    fn long_crate_lists_are_shortened() {
        let crates: BTreeSet<String> = (0..11).map(|n| format!("c{n:02}")).collect();
        assert_eq!(
            name_list(&crates),
            "c00, c01, c02, c03, c04, c05, c06, c07 and 3 more"
        );
    }
}
