//! `init`: writes a commented `trustcheck.toml` for the workspace, whose license allow list is
//! the licenses the graph uses today and whose `[sources]` lists name, commented out for review,
//! the git repositories and registries the graph uses beyond crates.io; and the first baseline,
//! `trustcheck.lock`. It needs the dependency graph and ownership data (from the cache, else
//! the API unless offline); no advisory database.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use super::{Outcome, print, write_file};
use crate::checks::licenses::{self, Usage};
use crate::checks::sources;
use crate::error::{Error, UsageError};
use crate::facts::crates::sources::RegistryNames;
use crate::load::baseline::{self, BASELINE_FILE, Baseline};
use crate::load::workspace::Reads;
use crate::pipeline::{self, RunOptions};
use crate::policy::{DEFAULT_ALLOWED_LICENSES, DEFAULT_POLICY_FILE, Policy};
use crate::support::terminal::Terminal;
use crate::support::text::{counted, sanitize_terminal as clean};

/// The documented defaults the generated policy starts from.
const EXAMPLE_POLICY: &str = include_str!("../../policy.example.toml");

/// How many crate names a comment lists before saying how many more there are.
const NAMED_CRATES: usize = 8;

/// The widest an allow-list entry is padded for its comment to line up.
const ALIGN_WIDTH: usize = 40;

/// What `init` is asked to do.
#[derive(Clone, Debug)]
pub struct InitRequest {
    /// The run: workspace, network (`--policy` names where the policy is written).
    pub run: RunOptions,
    /// Replace an existing policy and baseline.
    pub force: bool,
}

/// Runs `init`.
pub fn run(request: &InitRequest, terminal: &Terminal) -> Result<Outcome, Error> {
    let workspace = pipeline::load(
        &request.run,
        Reads {
            policy: false,
            baseline: false,
        },
    )?;
    terminal.verbose(&format!("graph: from {}", workspace.graph_source));
    let root = &workspace.root;
    let policy_path: PathBuf = request
        .run
        .workspace
        .policy
        .clone()
        .unwrap_or_else(|| root.join(DEFAULT_POLICY_FILE));
    let baseline_path = root.join(BASELINE_FILE);
    if !request.force {
        for path in [&policy_path, &baseline_path] {
            if path.exists() {
                return Err(UsageError::WouldOverwrite { path: path.clone() }.into());
            }
        }
    }
    let usage = licenses::usage(&workspace.graph, &Policy::default().licenses);
    let source_usage = sources::usage(
        &workspace.graph,
        &Policy::default().sources,
        &RegistryNames::discover(root),
    );
    let policy = policy_text(&usage, &source_usage);
    let mut baseline = Baseline::from_graph(&workspace.graph, None);
    let warnings = pipeline::refresh::fill_baseline_ownership(
        &mut baseline,
        None,
        Policy::default().ownership.requests_per_second,
        request.run.network(),
        request.run.progress(),
    )?;
    write_file(&policy_path, &policy)?;
    write_file(&baseline_path, &baseline::render(&baseline))?;

    let (allowed, review) = split_usage(&usage);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wrote {}: {} allowed{}",
        policy_path.display(),
        counted(allowed.len(), "license"),
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
        "wrote {}: {}, {}",
        baseline_path.display(),
        counted(baseline.crates.len(), "crate"),
        counted(baseline.version_count(), "version")
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
                name_list(crates)
            );
        }
    }
    let from_sources = source_usage.crates();
    if !from_sources.is_empty() {
        let mut sources: Vec<String> = source_usage
            .git
            .keys()
            .map(|url| format!("git {url}"))
            .chain(
                source_usage
                    .registries
                    .keys()
                    .map(|entry| format!("registry {entry}")),
            )
            .collect();
        if !source_usage.unknown.is_empty() {
            sources.push("sources no entry allows".to_owned());
        }
        let _ = writeln!(
            out,
            "note: crates from sources commented out for review in [sources] ({}): {} (from {}); `cargo trustcheck check` denies them until their source is allowed",
            from_sources.len(),
            name_list(&from_sources),
            sources.join(", ")
        );
    }
    if !usage.unlicensed_members.is_empty() {
        let _ = writeln!(
            out,
            "note: workspace members without a license ({}): {}",
            name_list(&usage.unlicensed_members),
            licenses::MEMBER_LICENSE_FIX
        );
    }
    let _ = writeln!(
        out,
        "Review both files, then commit them; `cargo trustcheck check` enforces the policy."
    );
    print(terminal, &clean_lines(&out))?;
    for warning in warnings {
        terminal.warn(&warning);
    }
    Ok(Outcome::Passed)
}

/// Each line of `text` stripped of control characters (crate names and licenses come from
/// the registry).
fn clean_lines(text: &str) -> String {
    text.lines().map(|line| clean(line) + "\n").collect()
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
    let names: Vec<&String> = crates.iter().collect();
    crate::support::text::name_list(&names, NAMED_CRATES)
}

/// Where the `[licenses] allow = [...]` list of the example policy is: (start, end) byte
/// offsets of the whole list, in the body after its header.
fn allow_list_span(body: &str) -> (usize, usize) {
    let licenses = body
        .find("\n[licenses]\n")
        .expect("policy.example.toml has a [licenses] table");
    let start = licenses
        + body[licenses..]
            .find("\nallow = [\n")
            .expect("policy.example.toml's [licenses] has a multi-line allow list")
        + 1;
    let end = start
        + body[start..]
            .find("\n]\n")
            .expect("the allow list of policy.example.toml is closed")
        + 3;
    (start, end)
}

/// An `[sources]` list of the generated policy: `allowed` as the defaults have it, then the
/// entries the graph needs (by the crates that need them), commented out for review.
fn source_list(key: &str, allowed: &[&str], needed: &BTreeMap<String, BTreeSet<String>>) -> String {
    let quoted = |entry: &str| toml::Value::String(entry.to_owned()).to_string();
    if needed.is_empty() {
        let entries: Vec<String> = allowed.iter().map(|entry| quoted(entry)).collect();
        return format!("{key} = [{}]\n", entries.join(", "));
    }
    let width = needed
        .keys()
        .map(|entry| quoted(entry).len() + 1)
        .max()
        .unwrap_or(0)
        .min(ALIGN_WIDTH);
    let mut list = format!("{key} = [\n");
    for entry in allowed {
        let _ = writeln!(list, "    {},", quoted(entry));
    }
    for (entry, crates) in needed {
        let _ = writeln!(
            list,
            "    # {:<width$} # used by {}; uncomment to allow them",
            format!("{},", quoted(entry)),
            name_list(crates)
        );
    }
    list.push_str("]\n");
    list
}

/// `body` with the `[sources]` lists of the example replaced by the ones the graph needs.
fn with_sources(body: &str, usage: &sources::Usage) -> String {
    let defaults = crate::policy::Policy::default().sources;
    let registries: Vec<&str> = defaults
        .allow_registries
        .iter()
        .map(String::as_str)
        .collect();
    let git: Vec<&str> = defaults.allow_git.iter().map(String::as_str).collect();
    let table = body
        .find("\n[sources]\n")
        .expect("policy.example.toml has a [sources] table");
    let (head, tail) = body.split_at(table);
    let tail = replace_line(
        tail,
        "allow-registries = ",
        &source_list("allow-registries", &registries, &usage.registries),
    );
    let tail = replace_line(
        &tail,
        "allow-git = ",
        &source_list("allow-git", &git, &usage.git),
    );
    format!("{head}{tail}")
}

/// `text` with its first line that starts with `start` replaced by `replacement` (which ends
/// with a newline).
fn replace_line(text: &str, start: &str, replacement: &str) -> String {
    let at = text
        .find(&format!("\n{start}"))
        .map(|at| at + 1)
        .expect("policy.example.toml's [sources] has the list");
    let end = text[at..].find('\n').map_or(text.len(), |end| at + end + 1);
    format!("{}{replacement}{}", &text[..at], &text[end..])
}

/// The generated policy: `policy.example.toml` with its own header, an allow list of the
/// licenses in use, and the sources in use that the defaults do not allow, commented out.
pub fn policy_text(usage: &Usage, source_usage: &sources::Usage) -> String {
    let body = EXAMPLE_POLICY
        .find("\n# Levels:")
        .map(|start| &EXAMPLE_POLICY[start + 1..])
        .unwrap_or(EXAMPLE_POLICY);
    let (start, end) = allow_list_span(body);

    let (allowed, review) = split_usage(usage);
    let quoted = |entry: &str| toml::Value::String(entry.to_owned()).to_string();
    let width = usage
        .by_license
        .keys()
        .map(|entry| quoted(entry).len() + 1)
        .max()
        .unwrap_or(0)
        .min(ALIGN_WIDTH);
    // Within `{:<width$}`'s limit (u16::MAX), however long an entry is.
    let comment_width = width.saturating_sub(2);
    let mut allow = String::new();
    if usage.by_license.is_empty() {
        allow.push_str("allow = []   # no dependency declares a license today\n");
    } else {
        allow.push_str("allow = [\n");
        for entry in &allowed {
            let crates = &usage.by_license[entry];
            let _ = writeln!(
                allow,
                "    {:<width$} # {}",
                format!("{},", quoted(entry)),
                counted(crates.len(), "crate")
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
         # the others are commented out for review, with the crates that use them; so are the git\n\
         # repositories and registries beyond crates.io the graph uses, in `[sources]`. Review this\n\
         # file, then commit it together with trustcheck.lock, the baseline. Unknown keys are errors.\n\
         #\n",
    );
    text.push_str(&body[..start]);
    text.push_str(&allow);
    text.push_str(&with_sources(&body[end..], source_usage));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::date::Date;
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
        let text = policy_text(
            &usage(
                &[
                    ("MIT", &["a", "b", "f"]),
                    ("Apache-2.0 WITH LLVM-exception", &["c"]),
                    ("GPL-3.0-only", &["d", "e"]),
                    ("MPL-2.0", &["f"]),
                ],
                &["d", "e"],
            ),
            &sources::Usage::default(),
        );
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
    fn init_wrote_allow_git_empty_in_a_workspace_with_git_packages() {
        let mut sources = sources::Usage::default();
        sources.git.insert(
            "https://github.com/acme/lib".to_owned(),
            ["lib-a".to_owned(), "lib-b".to_owned()].into(),
        );
        sources
            .registries
            .insert("internal".to_owned(), ["private".to_owned()].into());
        let text = policy_text(&Usage::default(), &sources);
        let policy = load(&text);
        assert_eq!(
            policy.sources,
            Policy::default().sources,
            "commented out: the defaults still apply until they are reviewed"
        );
        assert!(
            text.contains(
                "allow-git = [\n    # \"https://github.com/acme/lib\", # used by lib-a, lib-b; uncomment to allow them\n]\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("allow-registries = [\n    \"crates-io\",\n    # \"internal\", # used by private; uncomment to allow them\n]\n"),
            "{text}"
        );
        // Uncommented, they allow what the graph uses.
        let reviewed = load(&text.replace("    # \"", "    \""));
        assert_eq!(reviewed.sources.allow_git, ["https://github.com/acme/lib"]);
        assert_eq!(reviewed.sources.allow_registries, ["crates-io", "internal"]);
        // Without such sources, the lists are the defaults, as written in the example.
        let plain = policy_text(&Usage::default(), &sources::Usage::default());
        assert!(
            plain.contains("\nallow-registries = [\"crates-io\"]\n")
                && plain.contains("\nallow-git = []\n"),
            "{plain}"
        );
    }

    #[test]
    fn a_graph_without_licenses_gets_an_empty_allow_list() {
        let policy = load(&policy_text(&Usage::default(), &sources::Usage::default()));
        assert!(policy.licenses.allow.is_empty());
    }

    #[test]
    fn init_panics_on_a_license_id_over_65535_characters() {
        // `{:<width$}` panics past u16::MAX; the padding width is capped at ALIGN_WIDTH.
        let long = format!("LicenseRef-{}", "x".repeat(70_000));
        let text = policy_text(
            &usage(&[(long.as_str(), &["a"]), ("MIT", &["b"])], &["a"]),
            &sources::Usage::default(),
        );
        assert!(text.contains(&long));
        let mit_line = text
            .lines()
            .find(|line| line.trim_start().starts_with("\"MIT\","))
            .unwrap();
        assert!(mit_line.len() < 80, "{mit_line}");
    }
}
