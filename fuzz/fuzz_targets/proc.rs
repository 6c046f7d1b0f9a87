//! `/proc/<pid>/stat` and `/proc/stat` text, parsed as the CPU accounting reads it. See
//! `check_proc` in `fuzz/src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_proc(data);
});
