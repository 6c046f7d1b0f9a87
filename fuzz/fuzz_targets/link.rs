//! Link stage: header, client link message or server reply (with parse → emit → reparse), and
//! the link result after it. See `check_link` in `fuzz/src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_link(data);
});
