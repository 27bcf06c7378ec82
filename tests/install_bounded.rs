//! `install --now` never hangs on a bus that stopped answering: every wait on systemd is
//! bounded and ends in an error naming what it waited for, with the files in place.

mod common;
mod install_support;

use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

use common::sandbox::Sandbox;
use install_support::*;

#[test]
fn a_bus_that_never_answers_ends_install_with_a_clear_error() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    // A socket that takes connections and never says a word, not even to authenticate.
    let listener = UnixListener::bind(sandbox.path("/run/silent.sock")).expect("bind");
    let held = std::thread::spawn(move || {
        let mut connections = Vec::new();
        for stream in listener.incoming().take(4).flatten() {
            connections.push(stream);
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let bundle = sleepers("mute", &["x"]).to_text();
    let started = Instant::now();
    let mut command = sandbox.command(&[GEN_UNITS, "install", "--now"]);
    command.env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/run/silent.sock");
    let output = run_with_stdin(command, bundle.as_bytes());
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(code(&output), Some(1), "{stderr}");
    assert!(
        stderr.contains("connecting to systemd") && stderr.contains("did not answer within 25 s"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(60), "install took {took:?}");
    // Nothing half-done: the files switched, and systemd takes them once asked.
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", "mute.target"]);
    wait_property(
        &sandbox,
        "mute-x.service",
        "ActiveState",
        "active",
        Duration::from_secs(30),
    );
    drop(held);
}
