//! An install killed part-way leaves the old set or the new set, never a mix.
//!
//! Offline (`--root`), the install is stopped at every one of its checkpoints in turn
//! (`ECOSYSTEMD_INSTALL_CRASH_AT=N` exits as if killed right after step N); live, in a
//! sandbox, it is SIGKILLed at pseudo-random moments. After each interruption the unit
//! and env folders must resolve exactly to one of the two sets, and a following install
//! must complete and clean up.

mod common;
mod install_support;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::sandbox::Sandbox;
use ecosystemd::bundle::{Bundle, FileKind};
use install_support::*;

type FileSet = Vec<(String, String)>;

/// Old: apps a, b, c; new: a changed, b removed, c unchanged, d added; each with an env file.
fn bundles() -> (Bundle, Bundle) {
    let build = |apps: &[(&str, &str)]| {
        let names: Vec<&str> = apps.iter().map(|(a, _)| *a).collect();
        let mut bundle = sleepers("agents", &names);
        for (app, version) in apps {
            if let Some(file) = bundle
                .files
                .iter_mut()
                .find(|f| f.name == format!("agents-{app}.service"))
            {
                file.contents.push_str(&format!("# version {version}\n"));
            }
            bundle.files.push(owned_file(
                "agents",
                FileKind::Env,
                &format!("agents-{app}.env"),
                0o600,
                &format!("VERSION={version}\n"),
            ));
        }
        bundle
    };
    (
        build(&[("a", "1"), ("b", "1"), ("c", "1")]),
        build(&[("a", "2"), ("c", "1"), ("d", "2")]),
    )
}

fn expected(bundle: &Bundle, kind: FileKind) -> FileSet {
    let mut set: FileSet = bundle
        .files
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| (f.name.clone(), f.contents.clone()))
        .collect();
    set.sort();
    set
}

/// Which of the two bundles `root`'s folders resolve to; panics on a mix.
fn which_set(root: &Path, old: &Bundle, new: &Bundle, context: &str) -> &'static str {
    let units = live(resolved_under(root, "/etc/systemd/system"));
    let envs = live(resolved_under(root, "/etc/ecosystemd/env"));
    let seen = (units, envs);
    let old_set = (expected(old, FileKind::Unit), expected(old, FileKind::Env));
    let new_set = (expected(new, FileKind::Unit), expected(new, FileKind::Env));
    if seen == old_set {
        "old"
    } else if seen == new_set {
        "new"
    } else {
        panic!("{context}: a mix of old and new: {seen:#?}")
    }
}

fn offline_install(root: &Path, bundle: &Bundle, crash_at: Option<u64>) -> Option<i32> {
    let mut command = Command::new(GEN_UNITS);
    command
        .args(["install", "--root"])
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(n) = crash_at {
        command.env("ECOSYSTEMD_INSTALL_CRASH_AT", n.to_string());
    }
    let mut child = command.spawn().expect("spawn");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bundle.to_text().as_bytes())
        .expect("write bundle");
    child.wait().expect("wait").code()
}

#[test]
fn interrupted_at_every_step_leaves_old_or_new_and_the_next_install_cleans_up() {
    let (old, new) = bundles();
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-interrupted");
    let _ = std::fs::remove_dir_all(&base);
    let mut outcomes = Vec::new();
    for step in 1..200 {
        let root = base.join(step.to_string());
        std::fs::create_dir_all(&root).unwrap();
        assert_eq!(offline_install(&root, &old, None), Some(0));
        let status = offline_install(&root, &new, Some(step));
        let set = which_set(&root, &old, &new, &format!("killed after step {step}"));
        outcomes.push(set);
        // The next install completes from whatever was left and leaves no debris.
        assert_eq!(offline_install(&root, &new, None), Some(0));
        assert_eq!(which_set(&root, &old, &new, "after recovery"), "new");
        let dangling: Vec<_> = resolved_under(&root, "/etc/systemd/system")
            .into_iter()
            .filter(|(_, contents)| contents.is_none())
            .collect();
        assert!(
            dangling.is_empty(),
            "dangling links after recovery: {dangling:?}"
        );
        let generations: BTreeSet<String> =
            std::fs::read_dir(root.join("etc/ecosystemd/generations/agents"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect();
        assert_eq!(generations.len(), 2, "{generations:?}"); // one number, `current`
        std::fs::remove_dir_all(&root).unwrap();
        if status == Some(0) {
            break;
        }
        assert_eq!(status, Some(137), "step {step}");
    }
    let _ = std::fs::remove_dir_all(&base);
    // Both sides of the switch were reached, and every run ended on one of them.
    assert!(
        outcomes.contains(&"old") && outcomes.contains(&"new"),
        "{outcomes:?}"
    );
    assert!(outcomes.len() > 10, "too few checkpoints: {outcomes:?}");
}

#[test]
fn sigkill_at_random_moments_against_live_systemd_never_mixes() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let (old, new) = bundles();
    let root = sandbox.root();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut seen = Vec::new();
    for round in 0..24 {
        let (from, to) = if round % 2 == 0 {
            (&old, &new)
        } else {
            (&new, &old)
        };
        // Start from a complete `from` set; its duration bounds the kill delays.
        let started = Instant::now();
        assert_ok(
            &gen_units(&sandbox, &["install"], from.to_text().as_bytes()),
            "install",
        );
        let span = started.elapsed().as_micros().max(1_000) as u64;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // The switch comes early; the D-Bus reload after it takes most of the time. Half
        // the rounds kill within the first thirtieth, so some land before the switch.
        let window = if round % 4 < 2 { span / 30 } else { span / 3 };
        let delay = Duration::from_micros(seed % window.max(1));
        let mut child = sandbox.command(&[GEN_UNITS, "install"]);
        child
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = child.spawn().expect("spawn");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(to.to_text().as_bytes()).expect("write");
        }
        let started = Instant::now();
        while started.elapsed() < delay && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_micros(200));
        }
        let killed = kill_forked_child(&mut child);
        let set = which_set(&root, &old, &new, &format!("round {round}, {delay:?}"));
        let switched = std::ptr::eq(if set == "old" { &old } else { &new }, to);
        seen.push(match (killed, switched) {
            (false, _) => "finished",
            (true, true) => "killed after the switch",
            (true, false) => "killed before the switch",
        });
        sandbox.systemctl(&["daemon-reload"]);
        let loaded = sandbox.systemctl(&[
            "list-unit-files",
            "--no-legend",
            "--plain",
            "agents-*.service",
        ]);
        let names: BTreeSet<&str> = loaded
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let want = if set == "old" { &old } else { &new };
        let want: BTreeSet<&str> = want
            .files
            .iter()
            .filter(|f| f.name.ends_with(".service"))
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(
            names, want,
            "round {round}: systemd sees another set than the files"
        );
    }
    eprintln!("outcomes: {seen:?}");
    // The kills must have landed on both sides of the switch, or the rounds proved
    // nothing about one of them.
    for side in ["killed before the switch", "killed after the switch"] {
        assert!(seen.contains(&side), "no install was {side}: {seen:?}");
    }
}

/// SIGKILLs what nsenter forked (gen-units inside the sandbox; nsenter must fork to
/// enter a PID namespace, so killing nsenter alone would let the install finish), then
/// reaps nsenter. Returns whether the install was still running when killed.
fn kill_forked_child(nsenter: &mut std::process::Child) -> bool {
    let children = format!("/proc/{0}/task/{0}/children", nsenter.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && matches!(nsenter.try_wait(), Ok(None)) {
        let pids: Vec<i32> = std::fs::read_to_string(&children)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if !pids.is_empty() {
            let mut killed = false;
            for pid in pids {
                // SAFETY: kill(2) on a child of a process this test started.
                killed |= unsafe { libc::kill(pid, libc::SIGKILL) } == 0;
            }
            let status = nsenter.wait();
            // nsenter passes on its child's end (dying of the same signal, or 128 + it)
            // when the kill landed, and the install's own status when it had finished.
            return killed
                && status
                    .is_ok_and(|s| s.signal() == Some(libc::SIGKILL) || s.code() == Some(137));
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    let _ = nsenter.wait();
    false
}
