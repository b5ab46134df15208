//! Ctrl-C (SIGINT): the run says at once, on stderr, that it is stopping and what it keeps,
//! clears its progress bars, and stops: a request in flight is abandoned (`wait_for`, which the
//! HTTP client and git commands that talk to a remote wait through), the long steps stop at the
//! next crate, what they fetched stays in the cache (every cache entry is written whole), and the
//! run ends saying how to resume. A second Ctrl-C ends the process at once.
//!
//! The signal handler only sets a flag and writes a byte to a pipe (both async-signal-safe); a
//! thread waiting on that pipe does the talking and the clearing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often a wait looks whether the user asked the run to stop: a hung request is abandoned
/// within this of Ctrl-C.
pub const POLL: Duration = Duration::from_millis(50);

/// What the run says on stderr as soon as it is interrupted.
pub const STOPPING: &str = "stopping (Ctrl-C): what was fetched so far stays in the cache, each entry written whole (nothing is left half-written); press Ctrl-C again to end at once";

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// What is to be cleared from the terminal when the run is interrupted (progress bars), by the
/// id `on_interrupt` gave it.
type Cleanup = Box<dyn Fn() + Send>;
static CLEANUPS: Mutex<Vec<(u64, Cleanup)>> = Mutex::new(Vec::new());
static NEXT_CLEANUP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Whether the user asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Registers `cleanup` (clearing a progress bar) to run when the run is interrupted, until the
/// returned guard is dropped.
pub fn on_interrupt(cleanup: impl Fn() + Send + 'static) -> CleanupGuard {
    let id = NEXT_CLEANUP.fetch_add(1, Ordering::Relaxed);
    CLEANUPS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((id, Box::new(cleanup)));
    CleanupGuard(id)
}

/// Keeps a cleanup registered; dropping it forgets the cleanup.
#[derive(Debug)]
pub struct CleanupGuard(u64);

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        CLEANUPS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _)| *id != self.0);
    }
}

/// Why a wait ended without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The user pressed Ctrl-C.
    Interrupted,
    /// The sender went away without answering.
    Abandoned,
}

/// Waits for the answer on `receiver`, giving up within `POLL` of Ctrl-C: the work that would
/// have answered is abandoned (it ends on its own time limit, or with the process).
pub fn wait_for<T>(receiver: &Receiver<T>) -> Result<T, Stopped> {
    loop {
        // An answer that came is taken, even after Ctrl-C: what it brings is kept.
        match receiver.try_recv() {
            Ok(answer) => return Ok(answer),
            Err(TryRecvError::Disconnected) => return Err(Stopped::Abandoned),
            Err(TryRecvError::Empty) => {}
        }
        if requested() {
            return Err(Stopped::Interrupted);
        }
        match receiver.recv_timeout(POLL) {
            Ok(answer) => return Ok(answer),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Err(Stopped::Abandoned),
        }
    }
}

/// Sleeps for `duration`, or less when the user presses Ctrl-C; returns whether they did.
pub fn sleep(duration: Duration) -> bool {
    let until = Instant::now() + duration;
    loop {
        if requested() {
            return true;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(POLL));
    }
}

/// Says that the run is stopping, after clearing what is drawn in place (progress bars).
fn announce() {
    for (_, cleanup) in CLEANUPS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        cleanup();
    }
    crate::support::terminal::notice(STOPPING);
}

#[cfg(unix)]
mod signal {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    use std::sync::atomic::{AtomicI32, Ordering};

    use super::REQUESTED;

    /// The write end of the pipe the handler wakes the announcing thread through.
    static WAKE: AtomicI32 = AtomicI32::new(-1);

    extern "C" fn on_interrupt(_: libc::c_int) {
        if REQUESTED.swap(true, Ordering::Relaxed) {
            // The second Ctrl-C: the user means it.
            // SAFETY: _exit is async-signal-safe.
            unsafe { libc::_exit(130) };
        }
        let fd = WAKE.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = 1u8;
            // SAFETY: write(2) is async-signal-safe; the buffer is a live local byte.
            unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
        }
    }

    pub fn install() {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe(2) fills the two descriptors of a live array.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } == 0 {
            // SAFETY: the read end is ours alone, owned by the File from here on.
            let mut wake = unsafe { std::fs::File::from_raw_fd(fds[0]) };
            let spawned = std::thread::Builder::new()
                .name("interrupt".to_owned())
                .spawn(move || {
                    let mut byte = [0u8; 1];
                    if wake.read_exact(&mut byte).is_ok() {
                        super::announce();
                    }
                });
            if spawned.is_ok() {
                WAKE.store(fds[1], Ordering::Relaxed);
            }
        }
        let handler = on_interrupt as extern "C" fn(libc::c_int);
        // SAFETY: the handler only stores to atomics, writes to a pipe, or calls _exit: all
        // async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        }
    }
}

/// Installs the handler (once, at the start of the binary).
pub fn install() {
    #[cfg(unix)]
    signal::install();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_ends_with_its_answer_or_when_the_sender_is_gone() {
        let (sender, receiver) = std::sync::mpsc::channel();
        sender.send(7).unwrap();
        assert_eq!(wait_for(&receiver), Ok(7));
        drop(sender);
        assert_eq!(wait_for::<i32>(&receiver), Err(Stopped::Abandoned));
        assert!(!sleep(Duration::from_millis(1)));
    }
}
