//! `gen-units install` run by a root whose umask is `077`: the folders it creates stay
//! open to the apps' users (who read the Node preload through them), and each file
//! keeps the mode the bundle gives it.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents/ecosystem.yaml")
}

/// Every folder and file under `dir`, as `(path, is_dir, mode)`; symlinks left out.
fn walk(dir: &Path, found: &mut Vec<(PathBuf, bool, u32)>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        let meta = fs::symlink_metadata(&path).expect("metadata");
        if meta.file_type().is_symlink() {
            continue;
        }
        found.push((
            path.clone(),
            meta.is_dir(),
            meta.permissions().mode() & 0o7777,
        ));
        if meta.is_dir() {
            walk(&path, found);
        }
    }
}

#[test]
fn folders_made_under_umask_077_are_open_to_the_apps_users() {
    let render = Command::new(GEN_UNITS)
        .args(["--systemd-version", "252", "--portable"])
        .arg(example())
        .output()
        .expect("gen-units runs");
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("install-umask-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).expect("scratch root");

    let mut install = Command::new("/bin/sh")
        .args([
            "-c",
            r#"umask 077 && exec "$0" install --root "$1""#,
            GEN_UNITS,
        ])
        .arg(&root)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("install runs");
    install
        .stdin
        .take()
        .expect("stdin")
        .write_all(&render.stdout)
        .expect("bundle to install");
    let output = install.wait_with_output().expect("install ends");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut found = Vec::new();
    walk(&root, &mut found);
    let folders: Vec<_> = found.iter().filter(|(_, is_dir, _)| *is_dir).collect();
    assert!(
        folders
            .iter()
            .any(|(path, _, _)| path.ends_with("etc/ecosystemd/lib")),
        "no lib folder in {found:?}"
    );
    let closed: Vec<_> = folders
        .iter()
        .filter(|(_, _, mode)| *mode != 0o755)
        .collect();
    assert!(closed.is_empty(), "folders not 0755: {closed:?}");
    let mode_of = |suffix: &str| {
        found
            .iter()
            .find(|(path, is_dir, _)| !is_dir && path.ends_with(suffix))
            .map(|(_, _, mode)| *mode)
            .unwrap_or_else(|| panic!("no {suffix} in {found:?}"))
    };
    assert_eq!(mode_of("lib/agents.preload.cjs"), 0o644);
    assert_eq!(mode_of("unit/agents-email.service"), 0o644);
    assert_eq!(mode_of("env/agents-email.env"), 0o600);
    fs::remove_dir_all(&root).expect("clean up");
}
