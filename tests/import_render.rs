//! Every corpus file, once imported, renders into units that `systemd-analyze verify`
//! accepts: the whole path a PM2 user takes, from ecosystem.config.js to systemd.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ecosystemd::bundle::FileKind;
use ecosystemd::ecosystem::{self, LoadOptions};
use ecosystemd::import::import;
use ecosystemd::render::{RenderOptions, render_bundle};

use common::corpus::*;

/// A fresh folder under the target dir's temporary space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("import-render-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn imported_corpus_renders_units_that_systemd_verifies() {
    let files = corpus_files();
    let node = node();
    let mut verified = 0;
    for file in &files {
        let stem = file
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .replace('.', "-");
        let dir = scratch(&stem);
        let imported = import(file, &node).unwrap_or_else(|e| panic!("{e}"));
        // Read as if beside the original, so relative paths keep their meaning.
        let as_yaml = file.with_file_name(format!("{stem}.yaml"));
        let ecosystem = ecosystem::parse_with_search_path(
            &imported.yaml,
            &as_yaml,
            &LoadOptions::default(),
            &stub_programs(&dir),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let rendered = render_bundle(&ecosystem, &RenderOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let units = dir.join("units");
        std::fs::create_dir_all(&units).expect("units folder");
        let mut to_verify = Vec::new();
        for bundle_file in &rendered.bundle.files {
            if bundle_file.kind != FileKind::Unit {
                continue;
            }
            let path = units.join(&bundle_file.name);
            std::fs::write(&path, &bundle_file.contents).expect("write unit");
            if !bundle_file.name.ends_with(".slice") && !bundle_file.name.ends_with(".target") {
                to_verify.push(path);
            }
        }
        assert!(!to_verify.is_empty(), "{}: no units", file.display());
        let output = Command::new("systemd-analyze")
            .arg("verify")
            .args(&to_verify)
            .env("SYSTEMD_UNIT_PATH", format!("{}:", units.display()))
            .output()
            .expect("systemd-analyze runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // verify exits 0 after "Unknown key" or "Invalid ..., ignoring": any message
        // about our units fails the test.
        let names: Vec<String> = to_verify
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let complaints: Vec<&str> = stderr
            .lines()
            .filter(|line| {
                line.contains(&*units.to_string_lossy())
                    || names.iter().any(|n| line.contains(n.as_str()))
            })
            .collect();
        assert!(
            output.status.success() && complaints.is_empty(),
            "{}: systemd-analyze verify:\n{stderr}",
            file.display()
        );
        verified += to_verify.len();
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
    assert!(verified >= files.len(), "only {verified} units verified");
}
