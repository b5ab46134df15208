//! Ctrl-C (SIGINT): long steps stop at the next crate, what they fetched stays in the cache, and
//! the run says so and how to resume, instead of dying in silence. A second Ctrl-C ends the
//! process at once.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether the user asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

#[cfg(unix)]
extern "C" fn on_interrupt(_: libc::c_int) {
    if REQUESTED.swap(true, Ordering::Relaxed) {
        // The second Ctrl-C: the user means it.
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(130) };
    }
}

/// Installs the handler (once, at the start of the binary).
pub fn install() {
    #[cfg(unix)]
    {
        let handler = on_interrupt as extern "C" fn(libc::c_int);
        // SAFETY: the handler only stores to an atomic, or calls _exit: both async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        }
    }
}
