//! Scenario files: any bytes (lossy UTF-8) through `Scenario::parse`, then the configuration
//! matrix and input plan of whatever validates. See `check_scenario` in `fuzz/src/lib.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spicebench_fuzz::check_scenario(data);
});
