//! The `[X-Ecosystemd]` section read back from unit files: never panics.
#![no_main]

use ecosystemd::unit_policy::UnitPolicy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = UnitPolicy::from_unit_text(text);
    }
});
