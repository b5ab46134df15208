//! Where output goes: the report to stdout, everything else to stderr. Every line that reaches
//! stderr is stripped of control and bidi characters (messages carry text from policy files,
//! pull requests and registries), and writing never panics: a closed pipe (`| head -1`) or a
//! full disk on either stream is not a crash.

use std::io::{IsTerminal, Write};

use crate::support::text::sanitize_terminal;

/// When to colour human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// The choice in effect: `--color` when given, else `CARGO_TERM_COLOR`, else `NO_COLOR`
    /// (never), else auto.
    pub fn resolve(flag: Option<ColorChoice>) -> ColorChoice {
        if let Some(choice) = flag {
            return choice;
        }
        match std::env::var("CARGO_TERM_COLOR").as_deref().map(str::trim) {
            Ok("always") => return ColorChoice::Always,
            Ok("never") => return ColorChoice::Never,
            Ok("auto") => return ColorChoice::Auto,
            _ => {}
        }
        if std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty()) {
            return ColorChoice::Never;
        }
        ColorChoice::Auto
    }

    /// Whether to colour a stream that is (or is not) a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var("TERM").map_or(true, |term| term != "dumb")
            }
        }
    }
}

/// How much to say on stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// Warnings, and the steps of long commands.
    #[default]
    Normal,
    /// `-v`: also which way things were done (cache hits, paths taken, timings).
    Verbose,
}

/// The terminal a command writes to.
#[derive(Clone, Copy, Debug)]
pub struct Terminal {
    /// How much to say on stderr.
    pub verbosity: Verbosity,
    /// The colour choice in effect.
    pub color: ColorChoice,
}

impl Terminal {
    /// A terminal with this verbosity and colour choice.
    pub fn new(verbosity: Verbosity, color: ColorChoice) -> Terminal {
        Terminal { verbosity, color }
    }

    /// Whether the report on stdout is coloured.
    pub fn color_stdout(&self) -> bool {
        self.color.enabled(std::io::stdout().is_terminal())
    }

    /// Writes the report to stdout. A closed pipe is not an error; any other failure is.
    pub fn report(&self, text: &str) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// A warning on stderr (`warning: ...`), unless quiet.
    pub fn warn(&self, text: &str) {
        if self.verbosity > Verbosity::Quiet {
            stderr_lines("warning: ", text);
        }
    }

    /// A line of what a command is doing, on stderr, unless quiet.
    pub fn status(&self, text: &str) {
        if self.verbosity > Verbosity::Quiet {
            stderr_lines("", text);
        }
    }

    /// A line only `-v` shows.
    pub fn verbose(&self, text: &str) {
        if self.verbosity >= Verbosity::Verbose {
            stderr_lines("", text);
        }
    }

    /// Text that goes to stderr as it is (annotations for GitHub Actions), each line sanitized.
    pub fn raw_stderr(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        for line in text.lines() {
            let _ = writeln!(stderr, "{}", sanitize_terminal(line));
        }
    }
}

/// A line on stderr that the user asked for by what they did (Ctrl-C), always; sanitized.
pub fn notice(text: &str) {
    stderr_lines("", text);
}

/// An error on stderr (`error: ...`), always; each line sanitized.
pub fn error(text: &str) {
    stderr_lines("error: ", text);
}

/// Writes `prefix` and `text` to stderr, each line stripped of control characters; failures
/// (a closed or full stderr) are ignored.
fn stderr_lines(prefix: &str, text: &str) {
    let mut stderr = std::io::stderr().lock();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let _ = writeln!(stderr, "{prefix}{}", sanitize_terminal(first));
    for line in lines {
        let _ = writeln!(stderr, "{}", sanitize_terminal(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_choice_wins_and_never_and_always_are_absolute() {
        assert_eq!(
            ColorChoice::resolve(Some(ColorChoice::Never)),
            ColorChoice::Never
        );
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
        assert!(!ColorChoice::Auto.enabled(false));
    }
}
