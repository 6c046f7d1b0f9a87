//! One message body behind a two-byte channel/type selector, through the parser an observer
//! would pick and then every body parser, with round trips for the codecs that emit. See
//! `check_message` in `fuzz/src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_message(data);
});
