//! Printing the table on stdout without panicking: when stdout is closed (`| head`,
//! `| true`) or full (`> /dev/full`), printing stops quietly and the run goes on to
//! exit 0, its files already written.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Print one line on stdout; after the first failed write, print nothing more.
pub fn line(args: std::fmt::Arguments) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{args}").and_then(|_| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `println!` that never panics (see [`line`]).
macro_rules! say {
    ($($t:tt)*) => {
        $crate::cli::stdout::line(format_args!($($t)*))
    };
}
