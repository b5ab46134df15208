//! Every `git` command the tool runs goes through here.
//!
//! git obeys environment variables that redirect it to another repository: `GIT_DIR`,
//! `GIT_WORK_TREE` and friends, which git exports to hooks and which Git GUIs and some CI
//! runners set. Left in place, `git -C <advisory clone> reset --hard` would reset the *user's*
//! repository instead. So every command here runs with those variables removed, with no
//! terminal prompt and stdin closed, and with a time limit after which it is killed.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The variables that point git at another repository, index or object store (the list
/// cargo-deny clears, and the rest of git's repository-locating variables).
pub const REDIRECTING_VARIABLES: [&str; 8] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
];

/// How long a local git command (no network) may run.
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a git command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The `git` program could not be started.
    #[error("could not run git (is it installed?): {0}")]
    NotRunnable(std::io::Error),
    /// git ran and failed.
    #[error("`git {command}` failed ({status}): {stderr}")]
    Failed {
        /// The subcommand and its arguments.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The user pressed Ctrl-C while git talked to a remote: it was stopped.
    #[error("`git {command}` was stopped: the run was interrupted (Ctrl-C)")]
    Interrupted {
        /// The subcommand and its arguments.
        command: String,
    },
    /// git did not finish in time and was stopped.
    #[error("`git {command}` did not finish within {} s and was stopped", timeout.as_secs())]
    TimedOut {
        /// The subcommand and its arguments.
        command: String,
        /// The time limit.
        timeout: Duration,
    },
}

/// A git command to run: its directory (`-C`), arguments and time limit.
#[derive(Clone, Debug)]
pub struct Git {
    dir: Option<PathBuf>,
    timeout: Duration,
    config: Vec<String>,
    index_file: Option<PathBuf>,
    /// Whether Ctrl-C stops it (a command that talks to a remote; a local one that writes the
    /// clone is left to finish).
    interruptible: bool,
    #[cfg(unix)]
    inherited_lock: Option<std::os::fd::RawFd>,
}

impl Git {
    /// git run in `dir` (`git -C dir ...`), with the local time limit.
    pub fn in_dir(dir: &Path) -> Git {
        Git {
            dir: Some(dir.to_path_buf()),
            timeout: LOCAL_TIMEOUT,
            config: Vec::new(),
            index_file: None,
            interruptible: false,
            #[cfg(unix)]
            inherited_lock: None,
        }
    }

    /// git run in the current directory (for `clone`, which names its own destination).
    pub fn anywhere() -> Git {
        Git {
            dir: None,
            timeout: LOCAL_TIMEOUT,
            config: Vec::new(),
            index_file: None,
            interruptible: false,
            #[cfg(unix)]
            inherited_lock: None,
        }
    }

    /// A command that talks to a remote: stalled transfers are aborted by git itself (below
    /// 1 KiB/s for `stall` seconds), and the whole command is killed after `limit`.
    pub fn over_network(mut self, stall: Duration, limit: Duration) -> Git {
        self.config.push("http.lowSpeedLimit=1024".to_owned());
        self.config
            .push(format!("http.lowSpeedTime={}", stall.as_secs().max(1)));
        self.timeout = limit;
        self.interruptible = true;
        self
    }

    /// git inherits `lock`, so that the lock stays held for as long as git runs, even when this
    /// process is killed first (`kill -9` leaves git running; without the lock, the next run
    /// would work on the same files at the same time).
    pub fn holding(mut self, lock: &crate::support::cache::FileLock) -> Git {
        #[cfg(unix)]
        {
            self.inherited_lock = Some(std::os::fd::AsRawFd::as_raw_fd(lock));
        }
        #[cfg(not(unix))]
        let _ = lock;
        self
    }

    /// git works with an index of the tool's own (`GIT_INDEX_FILE`), never the user's.
    pub fn with_index_file(mut self, path: &Path) -> Git {
        self.index_file = Some(path.to_path_buf());
        self
    }

    fn command(&self, args: &[&OsStr]) -> Command {
        let mut command = Command::new("git");
        for variable in REDIRECTING_VARIABLES {
            command.env_remove(variable);
        }
        if let Some(index) = &self.index_file {
            command.env("GIT_INDEX_FILE", index);
        }
        command
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GCM_INTERACTIVE", "never")
            .env("GIT_ASKPASS", "true")
            .env("SSH_ASKPASS", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &self.dir {
            command.arg("-C").arg(dir);
        }
        for setting in &self.config {
            command.arg("-c").arg(setting);
        }
        command.args(args);
        #[cfg(unix)]
        if let Some(fd) = self.inherited_lock {
            use std::os::unix::process::CommandExt;
            // SAFETY: between fork and exec the closure only calls fcntl(2), which is
            // async-signal-safe, on a descriptor this process owns.
            unsafe {
                command.pre_exec(move || {
                    if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        command
    }

    /// Runs git with `args` and returns its standard output, or why it failed.
    pub fn output<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Vec<u8>, GitError> {
        let args: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
        let shown = args
            .iter()
            .map(|arg| arg.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let child = self.command(&args).spawn().map_err(GitError::NotRunnable)?;
        let (status, stdout, stderr) =
            match wait_with_timeout(child, self.timeout, self.interruptible) {
                Waited::Exited(status, stdout, stderr) => (status, stdout, stderr),
                Waited::TimedOut => {
                    return Err(GitError::TimedOut {
                        command: shown,
                        timeout: self.timeout,
                    });
                }
                Waited::Interrupted => return Err(GitError::Interrupted { command: shown }),
            };
        if status.success() {
            Ok(stdout)
        } else {
            Err(GitError::Failed {
                command: shown,
                status: status.to_string(),
                stderr: String::from_utf8_lossy(&stderr).trim().to_owned(),
            })
        }
    }

    /// Runs git and returns its standard output as text (lossily decoded), trimmed.
    pub fn text<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, GitError> {
        self.output(args)
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
    }

    /// Runs git for its exit status alone: `Ok(true)` on success, `Ok(false)` when git ran and
    /// said no (`cat-file -e` of a missing object).
    pub fn succeeds<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<bool, GitError> {
        match self.output(args) {
            Ok(_) => Ok(true),
            Err(GitError::Failed { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }
}

/// How a wait for git ended.
enum Waited {
    /// git exited: its status, stdout and stderr.
    Exited(ExitStatus, Vec<u8>, Vec<u8>),
    /// The time was up: git was killed.
    TimedOut,
    /// The user pressed Ctrl-C: git was killed.
    Interrupted,
}

/// Waits for `child` for at most `timeout` (and, when `interruptible`, until Ctrl-C),
/// collecting its output; kills it when the wait ends first.
fn wait_with_timeout(mut child: Child, timeout: Duration, interruptible: bool) -> Waited {
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if interruptible && crate::support::interrupt::requested() => {
                let _ = child.kill();
                let _ = child.wait();
                return Waited::Interrupted;
            }
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Waited::TimedOut;
            }
        }
    };
    Waited::Exited(
        status,
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_outlives_its_limit_is_stopped() {
        // A server that accepts the connection and never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/repo.git", listener.local_addr().unwrap());
        let started = Instant::now();
        let result = Git::anywhere()
            .over_network(Duration::from_secs(60), Duration::from_secs(1))
            .output(&["ls-remote", &url]);
        assert!(
            matches!(result, Err(GitError::TimedOut { .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        drop(listener);
    }

    #[test]
    fn redirecting_variables_do_not_reach_git() {
        let dir = tempfile::tempdir().unwrap();
        Git::in_dir(dir.path())
            .output(&["init", "--quiet"])
            .unwrap();
        let command = Git::in_dir(dir.path()).command(&[OsStr::new("status")]);
        let removed: Vec<&OsStr> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name)
            .collect();
        for variable in REDIRECTING_VARIABLES {
            assert!(removed.contains(&OsStr::new(variable)), "{variable}");
        }
    }
}
