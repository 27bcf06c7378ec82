//! The PM2 corpus in `tests/corpus/` and what importing it needs.

#![allow(dead_code)] // each test crate uses a different part of the helpers

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ecosystemd::import::{Format, NodeOptions};

/// The corpus folder.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// How the tests run Node.js for `import`.
pub fn node() -> NodeOptions {
    NodeOptions {
        program: "node".to_owned(),
        timeout: Duration::from_secs(20),
    }
}

/// Whether Node.js is installed.
pub fn node_present() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The corpus files, JavaScript ones only where Node.js is installed (under CI it must be).
pub fn corpus_files() -> Vec<PathBuf> {
    let with_js = node_present();
    if !with_js {
        super::skip::skip("its JavaScript corpus files only: Node.js is not installed");
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("corpus folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file())
        .filter(|path| with_js || Format::of(path) != Some(Format::JavaScript))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "corpus too small: {files:?}");
    files
}

/// A `PATH` folder under `dir` holding an executable stub for every program the corpus
/// names, so that program lookup, and `systemd-analyze verify`, give the same answers on
/// any host.
pub fn stub_programs(dir: &Path) -> OsString {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    for program in ["node", "npm", "dotnet", "python3"] {
        let path = bin.join(program);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").expect("stub");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    bin.into_os_string()
}
