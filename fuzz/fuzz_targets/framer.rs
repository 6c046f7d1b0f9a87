//! A message stream fed to `Framer` in pseudo-random chunks (mini and full headers), compared
//! with framing it in one piece, each message then parsed as if on every channel. See
//! `check_framer` in `fuzz/src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_framer(data);
});
