//! Options written before the subcommand. The shared ones are moved after it before clap
//! parses, so that the subcommand's own definition decides whether it takes them; and when a
//! command refuses an option another command takes, clap's error says why.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory};

use super::args::{Cli, RunArgs};

/// An option written before the subcommand.
struct Leading {
    /// Its tokens in the arguments: `--policy PATH` is two, `--policy=PATH` one.
    tokens: std::ops::Range<usize>,
    /// Whether it is one of the shared options (else one of `check`'s own).
    shared: bool,
    /// How it was written (`--format`, `-q`).
    written: String,
}

/// Where the subcommand is in `args` (after the program name), and the options before it.
/// `None` when no subcommand follows options this reader knows.
fn leading_options(top: &clap::Command, args: &[OsString]) -> Option<(usize, Vec<Leading>)> {
    let shared = RunArgs::augment_args(clap::Command::new("shared"));
    let is_shared = |arg: &clap::Arg| {
        shared
            .get_arguments()
            .any(|known| known.get_id() == arg.get_id())
    };
    let takes_value = |arg: &clap::Arg| arg.get_action().takes_values();
    let mut options = Vec::new();
    let mut index = 1;
    while let Some(token) = args.get(index) {
        let text = token.to_str()?;
        let (arg_shared, value_follows, written) = if let Some(long) = text.strip_prefix("--") {
            let (name, inline_value) = match long.split_once('=') {
                Some((name, _)) => (name, true),
                None => (long, false),
            };
            let arg = top
                .get_arguments()
                .find(|arg| arg.get_long() == Some(name))?;
            (
                is_shared(arg),
                takes_value(arg) && !inline_value,
                format!("--{name}"),
            )
        } else if let Some(shorts) = text.strip_prefix('-').filter(|shorts| !shorts.is_empty()) {
            // A cluster of short options (`-qv`, `-Ffeat`, `-F feat`): the first that takes a
            // value takes the rest of the cluster, or else the next token.
            let mut all_shared = true;
            let mut value_follows = false;
            for (at, short) in shorts.char_indices() {
                let arg = top
                    .get_arguments()
                    .find(|arg| arg.get_short() == Some(short))?;
                all_shared &= is_shared(arg);
                if takes_value(arg) {
                    value_follows = at + short.len_utf8() == shorts.len();
                    break;
                }
            }
            (all_shared, value_follows, text.to_owned())
        } else {
            let subcommand = top.get_subcommands().any(|command| {
                command.get_name() == text || command.get_all_aliases().any(|alias| alias == text)
            });
            return subcommand.then_some((index, options));
        };
        let end = (index + 1 + usize::from(value_follows)).min(args.len());
        options.push(Leading {
            tokens: index..end,
            shared: arg_shared,
            written,
        });
        index = end;
    }
    None
}

/// The arguments as clap is to read them: the shared options written before a subcommand are
/// moved to just after it, so that the subcommand's own definition decides whether it takes
/// them (`--offline fetch` is refused as `fetch --offline` is). `check`'s own options stay
/// where they are, and before another subcommand they are an error that says whose they are.
/// Whatever this reader does not know is left to clap.
pub fn hoist_shared(args: Vec<OsString>) -> Result<Vec<OsString>, clap::Error> {
    let top = Cli::command();
    let Some((subcommand, options)) = leading_options(&top, &args) else {
        return Ok(args);
    };
    let name = args[subcommand].to_string_lossy().into_owned();
    if name != "check"
        && let Some(option) = options.iter().find(|option| !option.shared)
    {
        let takes_it = top.find_subcommand(&name).is_some_and(|command| {
            command.get_arguments().any(|arg| {
                arg.get_long()
                    .is_some_and(|long| option.written == format!("--{long}"))
            })
        });
        let advice = if takes_it {
            format!(
                "`{name}` takes its own after it: `cargo trustcheck {name} {} ...`",
                option.written
            )
        } else {
            format!("`{name}` does not take it")
        };
        return Err(top.clone().error(
            ErrorKind::UnknownArgument,
            format!(
                "unexpected argument '{}' before the subcommand: it is an option of `check`; {advice}",
                option.written
            ),
        ));
    }
    let mut hoisted = vec![args[0].clone()];
    let mut moved = Vec::new();
    for option in &options {
        let tokens = args[option.tokens.clone()].iter().cloned();
        if option.shared {
            moved.extend(tokens);
        } else {
            hoisted.extend(tokens);
        }
    }
    hoisted.push(args[subcommand].clone());
    hoisted.extend(moved);
    hoisted.extend(args[subcommand + 1..].iter().cloned());
    Ok(hoisted)
}

/// Why `command` does not take `option`, when another command does.
fn not_taken_because(command: &str, option: &str) -> Option<String> {
    let option = option.split('=').next().unwrap_or(option);
    let graph_option = [
        "--target",
        "--features",
        "--all-features",
        "--no-default-features",
        "--exclude-dev",
    ]
    .contains(&option)
        || option.starts_with("-F");
    match command {
        "init" | "baseline" if graph_option => Some(format!(
            "`{command}` does not take graph options: the baseline records every registry package of Cargo.lock"
        )),
        "fetch" if option == "--offline" => Some(
            "`fetch` does not take --offline: it fills the caches from the network, for a later `check --offline`"
                .to_owned(),
        ),
        "diff" if option == "--metadata-json" => Some(
            "`diff` does not take --metadata-json: it reads each revision's files from git".to_owned(),
        ),
        _ => None,
    }
}

/// Adds to clap's "unexpected argument" error why the subcommand does not take an option that
/// other commands take.
pub fn explain_refusal(error: &mut clap::Error, args: &[OsString]) {
    if error.kind() != ErrorKind::UnknownArgument {
        return;
    }
    let Some(ContextValue::String(option)) = error.get(ContextKind::InvalidArg).cloned() else {
        return;
    };
    let Some((subcommand, _)) = leading_options(&Cli::command(), args) else {
        return;
    };
    let Some(why) = args[subcommand]
        .to_str()
        .and_then(|command| not_taken_because(command, &option))
    else {
        return;
    };
    let mut tips = vec![why.into()];
    if let Some(ContextValue::StyledStrs(earlier)) = error.get(ContextKind::Suggested) {
        tips.extend(earlier.iter().cloned());
    }
    error.insert(ContextKind::Suggested, ContextValue::StyledStrs(tips));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hoisted(args: &[&str]) -> Vec<String> {
        let args = std::iter::once("cargo-trustcheck")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        hoist_shared(args)
            .unwrap()
            .into_iter()
            .skip(1)
            .map(|arg| arg.into_string().unwrap())
            .collect()
    }

    #[test]
    fn shared_options_before_a_subcommand_are_moved_after_it_with_their_values() {
        assert_eq!(
            hoisted(&[
                "--offline",
                "--policy",
                "check",
                "-qF",
                "x",
                "--target=t",
                "diff",
                "HEAD"
            ]),
            [
                "diff",
                "--offline",
                "--policy",
                "check",
                "-qF",
                "x",
                "--target=t",
                "HEAD"
            ]
        );
        assert_eq!(
            hoisted(&["--format", "json", "-v", "check"]),
            ["--format", "json", "check", "-v"],
            "check's own options stay before `check`"
        );
        assert_eq!(hoisted(&["--offline"]), ["--offline"]);
        assert_eq!(
            hoisted(&["--bogus", "--offline", "fetch"]),
            ["--bogus", "--offline", "fetch"],
            "an option this reader does not know is left to clap"
        );
    }

    #[test]
    fn an_option_of_check_before_another_subcommand_is_refused_saying_whose_it_is() {
        let refused = |args: &[&str]| {
            let args = std::iter::once("cargo-trustcheck")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect();
            hoist_shared(args).unwrap_err().to_string()
        };
        let error = refused(&["--format", "json", "explain", "old"]);
        assert!(
            error.contains("'--format' before the subcommand")
                && error.contains("`cargo trustcheck explain --format ...`"),
            "{error}"
        );
        let error = refused(&["--github-annotations=never", "diff", "HEAD"]);
        assert!(
            error.contains("'--github-annotations' before the subcommand")
                && error.contains("`diff` does not take it"),
            "{error}"
        );
    }

    #[test]
    fn every_command_parses_and_each_refusal_is_explained() {
        Cli::command().debug_assert();
        for (command, option) in [
            ("init", "--target"),
            ("baseline", "--exclude-dev"),
            ("fetch", "--offline"),
            ("diff", "--metadata-json"),
        ] {
            assert!(
                not_taken_because(command, option).is_some(),
                "{command} {option}"
            );
        }
        assert!(not_taken_because("check", "--offline").is_none());
    }
}
