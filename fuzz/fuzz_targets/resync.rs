//! The search for message boundaries after a capture hole and the channel guess for a
//! connection captured from its middle. See `check_resync` in `fuzz/src/lib.rs`; seeds are
//! the framer's real message streams behind a seed byte.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_resync(data);
});
