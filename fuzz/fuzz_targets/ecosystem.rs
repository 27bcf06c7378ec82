//! An ecosystem file, YAML or JSON5 by its first byte: parsing never panics, and a file
//! that parses plans and renders without panicking (a refusal is fine).
#![no_main]

use std::path::Path;

use ecosystemd::ecosystem::{self, LoadOptions};
use ecosystemd::render::{RenderOptions, render_bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let file = if first % 2 == 0 {
        "/srv/app/ecosystem.yaml"
    } else {
        "/srv/app/ecosystem.json5"
    };
    let options = LoadOptions {
        env: Some("production".into()),
        ..LoadOptions::default()
    };
    if let Ok(parsed) =
        ecosystem::parse_with_search_path(text, Path::new(file), &options, "".as_ref())
    {
        let _ = render_bundle(&parsed, &RenderOptions::default());
    }
});
