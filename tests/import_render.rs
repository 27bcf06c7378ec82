//! Every corpus file, once imported, renders into units that `systemd-analyze verify`
//! accepts: the whole path a PM2 user takes, from ecosystem.config.js to systemd.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ecosystemd::bundle::FileKind;
use ecosystemd::ecosystem::{self, LoadOptions};
use ecosystemd::import::{Format, NodeOptions, import};
use ecosystemd::render::{RenderOptions, render_bundle};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn node_present() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fresh folder under the target dir's temporary space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("import-render-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// A `PATH` with an executable for every program the corpus names, so that the units'
/// `ExecStart=` programs exist for `systemd-analyze verify` on any host.
fn stub_path(dir: &Path) -> OsString {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    for program in ["node", "npm", "dotnet", "python3"] {
        let path = bin.join(program);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").expect("stub");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    bin.into_os_string()
}

#[test]
fn imported_corpus_renders_units_that_systemd_verifies() {
    let with_js = node_present();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("corpus")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file())
        .filter(|path| with_js || Format::of(path) != Some(Format::JavaScript))
        .collect();
    files.sort();
    let node = NodeOptions {
        program: "node".to_owned(),
        timeout: Duration::from_secs(20),
    };
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
            &stub_path(&dir),
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
