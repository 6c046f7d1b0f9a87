//! Writing to standard output and standard error without ever panicking.
//!
//! `println!` panics when its stream is closed or broken (`spicebench run … | head -2`, a
//! terminal that went away): the panic would end a run between configurations, with no
//! report. These macros write the same text and, when the stream is gone, drop it and
//! remember so: the run goes on, its results and report are written, and the end of the run
//! can say on the other stream where to read what could not be shown.

use std::fmt::Arguments;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_LOST: AtomicBool = AtomicBool::new(false);
static STDERR_LOST: AtomicBool = AtomicBool::new(false);

/// Writes `args` to standard output; a failure is remembered, never a panic.
pub fn write_stdout(args: Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        STDOUT_LOST.store(true, Ordering::Relaxed);
    }
}

/// Writes `args` to standard error; a failure is remembered, never a panic.
pub fn write_stderr(args: Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    if err.write_fmt(args).is_err() {
        STDERR_LOST.store(true, Ordering::Relaxed);
    }
}

/// Whether something written to standard output was lost.
pub fn stdout_lost() -> bool {
    STDOUT_LOST.load(Ordering::Relaxed)
}

/// Whether something written to standard error was lost.
pub fn stderr_lost() -> bool {
    STDERR_LOST.load(Ordering::Relaxed)
}

/// `print!` that never panics.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::write_stdout(format_args!($($arg)*)) };
}

/// `println!` that never panics.
#[macro_export]
macro_rules! outln {
    () => { $crate::console::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::console::write_stderr(format_args!("{}\n", format_args!($($arg)*))) };
}
