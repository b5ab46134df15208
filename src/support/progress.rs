//! Progress of the long network steps (index entries, crates.io requests), on stderr.
//!
//! On a terminal it is a bar. Without one (CI, a pipe), a step that is long enough says when it
//! starts and then writes a line at most every `LINE_INTERVAL` ("ownership: 180/554 crates.io
//! requests, 6 minutes left at 1 request/s"), so that a log never goes silent for minutes and
//! never fills with a line per crate. `-q` silences both.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::date::describe_duration;
use crate::support::terminal::Verbosity;

/// How often a progress line is written without a terminal, at most.
pub const LINE_INTERVAL: Duration = Duration::from_secs(10);

/// How progress is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar, redrawn in place (stderr is a terminal and `CI` is unset).
    Bar,
    /// A line when a long step starts, then one at most every `LINE_INTERVAL`.
    Lines,
    /// Nothing (`-q`, or tests of the library).
    #[default]
    Silent,
}

impl ProgressMode {
    /// The mode for stderr as it is, at this verbosity.
    pub fn for_stderr(verbosity: Verbosity) -> ProgressMode {
        ProgressMode::choose(
            verbosity,
            std::io::stderr().is_terminal(),
            std::env::var_os("CI").is_some(),
        )
    }

    fn choose(verbosity: Verbosity, stderr_is_terminal: bool, ci: bool) -> ProgressMode {
        if verbosity == Verbosity::Quiet {
            ProgressMode::Silent
        } else if stderr_is_terminal && !ci {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

/// The progress of one step.
pub struct Progress {
    what: String,
    unit: String,
    total: usize,
    rate: Option<f64>,
    done: AtomicUsize,
    started: Instant,
    last_line: Mutex<Instant>,
    lines: bool,
    bar: Option<indicatif::ProgressBar>,
    /// Keeps the bar's clearing registered for Ctrl-C while the step runs.
    _cleanup: Option<crate::support::interrupt::CleanupGuard>,
}

fn line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

impl Progress {
    /// Starts showing a step of `total` units (a bar, or a first line when the step has at
    /// least `long_from` units); `rate` is the requests per second it is limited to, if any.
    /// The first line says "{what}: {total} {unit} to make".
    pub fn start(
        mode: ProgressMode,
        what: &str,
        unit: &str,
        total: usize,
        long_from: usize,
        rate: Option<f64>,
    ) -> Progress {
        Progress::start_saying(mode, what, unit, total, long_from, rate, None)
    }

    /// `start`, with the first line's words after "{what}: " given (`opening`), for a step
    /// that is not a count of things to make ("537 crate versions to read (12 to download)").
    pub fn start_saying(
        mode: ProgressMode,
        what: &str,
        unit: &str,
        total: usize,
        long_from: usize,
        rate: Option<f64>,
        opening: Option<&str>,
    ) -> Progress {
        let long = total >= long_from.max(1);
        let bar = (mode == ProgressMode::Bar && long).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{elapsed}}, ~{{eta}} left)"
            )) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(what.to_owned());
            // Drawn now, so that a step whose first request hangs shows that it started.
            bar.tick();
            bar
        });
        // Ctrl-C clears the bar at once, before the run says it is stopping.
        let cleanup = bar
            .clone()
            .map(|bar| crate::support::interrupt::on_interrupt(move || bar.finish_and_clear()));
        let lines = mode == ProgressMode::Lines && long;
        if lines {
            let pace = rate
                .map(|rate| {
                    format!(
                        ", about {} at {}",
                        describe_duration((total as f64 / rate).ceil() as u64),
                        pace(rate)
                    )
                })
                .unwrap_or_default();
            match opening {
                Some(opening) => line(&format!("{what}: {opening}{pace}")),
                None => line(&format!("{what}: {total} {unit} to make{pace}")),
            }
        }
        Progress {
            what: what.to_owned(),
            unit: unit.to_owned(),
            total,
            rate,
            done: AtomicUsize::new(0),
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
            lines,
            bar,
            _cleanup: cleanup,
        }
    }

    /// One more unit done.
    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if crate::support::interrupt::requested() {
            // Stopping: the bar was cleared and the last line said; nothing more is drawn.
            return;
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if !self.lines {
            return;
        }
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() < LINE_INTERVAL || done >= self.total {
            return;
        }
        *last = Instant::now();
        line(&format!(
            "{}: {done}/{} {}, {}",
            self.what,
            self.total,
            self.unit,
            self.remaining(done)
        ));
    }

    fn remaining(&self, done: usize) -> String {
        let left = self.total.saturating_sub(done);
        match self.rate {
            Some(rate) => format!(
                "{} left at {}",
                describe_duration((left as f64 / rate).ceil() as u64),
                pace(rate)
            ),
            None => {
                let per_unit = self.started.elapsed().as_secs_f64() / done.max(1) as f64;
                format!(
                    "about {} left",
                    describe_duration((per_unit * left as f64).ceil() as u64)
                )
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A request rate as the progress lines give it: `1 request/s`, `0.5 requests/s`.
fn pace(rate: f64) -> String {
    format!("{rate} request{}/s", if rate == 1.0 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_only_on_a_terminal_outside_ci_lines_otherwise_nothing_when_quiet() {
        assert_eq!(
            ProgressMode::choose(Verbosity::Normal, true, false),
            ProgressMode::Bar
        );
        assert_eq!(
            ProgressMode::choose(Verbosity::Normal, true, true),
            ProgressMode::Lines
        );
        assert_eq!(
            ProgressMode::choose(Verbosity::Normal, false, false),
            ProgressMode::Lines
        );
        assert_eq!(
            ProgressMode::choose(Verbosity::Quiet, true, false),
            ProgressMode::Silent
        );
    }

    #[test]
    fn the_remaining_time_comes_from_the_rate_limit_when_there_is_one() {
        let progress = Progress::start(
            ProgressMode::Silent,
            "ownership",
            "requests",
            600,
            5,
            Some(1.0),
        );
        assert_eq!(progress.remaining(60), "9 minutes left at 1 request/s");
        let progress = Progress::start(
            ProgressMode::Silent,
            "ownership",
            "requests",
            100,
            5,
            Some(2.0),
        );
        assert_eq!(progress.remaining(0), "50 seconds left at 2 requests/s");
    }
}
