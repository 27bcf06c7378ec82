//! `install --now` of a change to many running units: the calls that restart them do not
//! wait behind the `JobRemoved` signals of the restarts already made.
//!
//! zbus queues at most 64 messages for a signal stream and stops reading the socket while
//! that queue is full. Install subscribed to `JobRemoved` first (so that no job's end is
//! missed), then made one call per unit and read the stream only after the last: past 64
//! signals, the next call's reply stayed unread in the socket and install waited for it
//! (the `install --now` hang: one thread in `epoll_wait`, a reply and a signal unread).

mod common;
mod install_support;

use std::io::Write as _;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::sandbox::Sandbox;
use ecosystemd::bundle::{Bundle, Scope};
use install_support::*;

const GROUP: &str = "many";
/// Well above zbus's 64 queued messages per stream.
const APPS: usize = 100;
/// Far more than 100 restarts of `sleep` take; far less than the bounded waits (minutes).
const LIMIT: Duration = Duration::from_secs(120);

fn bundle(apps: &[String], exec: &str) -> Bundle {
    let names: Vec<&str> = apps.iter().map(String::as_str).collect();
    let mut files = vec![target(GROUP, &names)];
    files.extend(names.iter().map(|app| service(GROUP, app, exec)));
    Bundle {
        scope: Scope::System,
        ecosystem: GROUP.into(),
        files,
    }
}

/// `gen-units install --now` inside `sandbox`, killed past [`LIMIT`].
fn install_now(sandbox: &Sandbox, bundle: &Bundle) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = sandbox
        .command(&[GEN_UNITS, "install", "--now"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gen-units");
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(bundle.to_text().as_bytes());
    drop(stdin);
    while started.elapsed() < LIMIT && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(100));
    }
    if matches!(child.try_wait(), Ok(None)) {
        eprintln!(
            "install still running after {LIMIT:?}: {}",
            stuck_state(sandbox)
        );
        // nsenter's child is the install; killing nsenter alone would leave it waiting.
        sandbox.exec(&["pkill", "-KILL", "-x", "gen-units"]);
        let _ = child.kill();
    }
    (
        child.wait_with_output().expect("gen-units output"),
        started.elapsed(),
    )
}

/// The stuck install's system call (232: `epoll_wait`), threads, and its sockets' unread bytes.
fn stuck_state(sandbox: &Sandbox) -> String {
    let script = "p=$(pgrep -x gen-units); echo syscall $(cut -d' ' -f1 /proc/$p/syscall), \
                  $(ls /proc/$p/task | wc -l) threads; ss -xpn | grep \"pid=$p,\"";
    let output = sandbox.exec(&["sh", "-c", script]);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn restarting_many_changed_units_does_not_wait_behind_their_signals() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let apps: Vec<String> = (0..APPS).map(|i| format!("app{i}")).collect();
    let (first, _) = install_now(&sandbox, &bundle(&apps, "/bin/sleep infinity"));
    assert_ok(&first, "the first install");
    let last = format!("{GROUP}-app{}.service", APPS - 1);
    wait_property(&sandbox, &last, "ActiveState", "active", LIMIT);
    let before: Vec<String> = [&apps[0], &apps[APPS - 1]]
        .iter()
        .map(|app| sandbox.property(&format!("{GROUP}-{app}.service"), "MainPID"))
        .collect();

    let (second, took) = install_now(&sandbox, &bundle(&apps, "/bin/sleep 86400"));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        took < LIMIT,
        "install --now of {APPS} changed units hung: {stderr}"
    );
    assert_ok(&second, "the install of the change");
    for (app, old) in [&apps[0], &apps[APPS - 1]].iter().zip(&before) {
        let unit = format!("{GROUP}-{app}.service");
        wait_property(&sandbox, &unit, "ActiveState", "active", LIMIT);
        assert_ne!(
            &sandbox.property(&unit, "MainPID"),
            old,
            "{unit} was not restarted"
        );
    }
}
