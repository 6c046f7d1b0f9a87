//! A whole capture file (pcap or pcapng) through the reader, the TCP decoder and the SPICE
//! analyser. See `check_capture` in `fuzz/src/lib.rs`; seeds are small real captures.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_capture(data);
});
