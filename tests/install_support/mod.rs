//! Helpers for the install tests: bundles built in Rust, running `gen-units` inside a
//! sandbox, and snapshots of what the unit folders resolve to.

#![allow(dead_code)] // each test crate uses a different part of these helpers

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ecosystemd::bundle::{Bundle, BundleFile, FileKind, Scope};
use ecosystemd::marker::Marker;

use crate::common::sandbox::Sandbox;

/// The path of the binary under test.
pub const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");

/// A file of ecosystem `group` with its marker line first.
pub fn owned_file(group: &str, kind: FileKind, name: &str, mode: u32, body: &str) -> BundleFile {
    let marker = Marker {
        ecosystem: group.into(),
        source: "/srv/agents/ecosystem.yaml".into(),
    };
    BundleFile::new(
        kind,
        name.into(),
        mode,
        format!("{}\n{body}", marker.line()),
    )
}

/// A long-running service of `group`, wanted by its target.
pub fn service(group: &str, app: &str, exec: &str) -> BundleFile {
    owned_file(
        group,
        FileKind::Unit,
        &format!("{group}-{app}.service"),
        0o644,
        &format!(
            "[Unit]\nDescription={app}\nPartOf={group}.target\n\n[Service]\nExecStart={exec}\n\n[Install]\nWantedBy={group}.target\n"
        ),
    )
}

/// The group's target, wanting `apps` and enabled into multi-user.target.
pub fn target(group: &str, apps: &[&str]) -> BundleFile {
    let wants: Vec<String> = apps
        .iter()
        .map(|a| format!("{group}-{a}.service"))
        .collect();
    owned_file(
        group,
        FileKind::Unit,
        &format!("{group}.target"),
        0o644,
        &format!(
            "[Unit]\nDescription={group}\nWants={}\n\n[Install]\nWantedBy=multi-user.target\n",
            wants.join(" ")
        ),
    )
}

/// A system bundle of `group` with one sleeping service per app.
pub fn sleepers(group: &str, apps: &[&str]) -> Bundle {
    let mut files = vec![target(group, apps)];
    files.extend(
        apps.iter()
            .map(|a| service(group, a, "/bin/sleep infinity")),
    );
    Bundle {
        scope: Scope::System,
        ecosystem: group.into(),
        files,
    }
}

/// Runs `gen-units ARGS` inside the sandbox with `stdin` piped in.
pub fn gen_units(sandbox: &Sandbox, args: &[&str], stdin: &[u8]) -> Output {
    let mut all = vec![GEN_UNITS];
    all.extend_from_slice(args);
    run_with_stdin(sandbox.command(&all), stdin)
}

/// Runs `command` with `stdin` piped in; returns its output.
pub fn run_with_stdin(mut command: Command, stdin: &[u8]) -> Output {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn gen-units");
    let mut pipe = child.stdin.take().expect("stdin");
    // A failing writer (the child exited early) is fine: the exit status tells.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child.wait_with_output().expect("gen-units output")
}

/// Asserts a run succeeded, printing its output otherwise.
pub fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed with {}:\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The exit code of a run.
pub fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// Waits until `unit`'s `property` equals `want`.
pub fn wait_property(sandbox: &Sandbox, unit: &str, property: &str, want: &str, timeout: Duration) {
    sandbox.wait_for(&format!("{unit} {property}={want}"), timeout, || {
        let seen = sandbox.property(unit, property);
        if seen == want { Ok(()) } else { Err(seen) }
    });
}

/// What a folder inside the sandbox resolves to: every entry's name and the contents
/// reached through it (following links inside the sandbox), sorted.
pub fn resolved(sandbox: &Sandbox, inside: &str) -> Vec<(String, Option<String>)> {
    resolved_under(&sandbox.root(), inside)
}

/// Like [`resolved`], for any root folder (a sandbox's or an offline `--root`).
pub fn resolved_under(root: &Path, inside: &str) -> Vec<(String, Option<String>)> {
    let host = |p: &Path| -> PathBuf { root.join(p.strip_prefix("/").unwrap_or(p)) };
    let dir = host(Path::new(inside));
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    for entry in entries {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().expect("type").is_dir() {
            continue;
        }
        let mut path = entry.path();
        for _ in 0..8 {
            match std::fs::read_link(&path) {
                Ok(target) if target.is_absolute() => path = host(&target),
                Ok(target) => path = path.parent().expect("parent").join(target),
                Err(_) => break,
            }
        }
        out.push((name, std::fs::read_to_string(&path).ok()));
    }
    out.sort();
    out
}

/// Only the entries that resolve to a file: what systemd would load.
pub fn live(entries: Vec<(String, Option<String>)>) -> Vec<(String, String)> {
    entries
        .into_iter()
        .filter_map(|(name, contents)| Some((name, contents?)))
        .collect()
}

/// A scratch folder under the target dir (visible inside the sandbox), removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh, empty folder named after `name`.
    pub fn new(name: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("acceptance-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    /// Writes `contents` to `name` in the folder; returns its path.
    pub fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write scratch file");
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
