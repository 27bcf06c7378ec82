//! The bundle `gen-units install` reads on stdin: parsing never panics, and a bundle
//! that parses prints back to text that parses to the same bundle.
#![no_main]

use ecosystemd::bundle::Bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bundle) = Bundle::parse(text) {
        let again = Bundle::parse(&bundle.to_text()).expect("a printed bundle parses");
        assert_eq!(again, bundle);
    }
});
