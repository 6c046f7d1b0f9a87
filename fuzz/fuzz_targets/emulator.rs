//! The link emulator driven by bytes: a profile, then pushes and pops at times that may go
//! backwards. See `check_emulator` in `fuzz/src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_emulator(data);
});
