//! The harness itself: a sandbox boots, runs a unit, and leaves nothing behind; it sees
//! the project wherever the checkout lives, and has a network of its own.

mod common;

use std::time::Duration;

use common::sandbox::Sandbox;

#[test]
fn sandbox_boots_runs_a_unit_and_is_gone_after_drop() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let unit = sandbox.path("/run/systemd/system/probe.service");
    std::fs::write(&unit, "[Service]\nExecStart=/bin/sleep 300\n").expect("write unit");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", "probe.service"]);
    sandbox.wait_for("probe.service active", Duration::from_secs(10), || {
        let state = sandbox.property("probe.service", "ActiveState");
        if state == "active" {
            Ok(())
        } else {
            Err(state)
        }
    });
    let pid = sandbox.pid();
    drop(sandbox);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "systemd {pid} still running after drop"
    );
}

#[test]
fn the_project_is_visible_inside_and_the_network_is_the_sandboxs_own() {
    use std::net::{TcpListener, TcpStream};
    let host = TcpListener::bind("127.0.0.1:0").expect("a listener on the host");
    let port = host.local_addr().expect("address").port();
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    // The binaries run inside, wherever the checkout and its target folder live.
    let version = sandbox.exec(&[env!("CARGO_BIN_EXE_gen-units"), "--version"]);
    assert!(version.status.success(), "{version:?}");
    // An unprivileged user inside reads the checkout (even under a 0700 /root).
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let read = sandbox.exec(&[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "cat",
        manifest,
    ]);
    assert!(read.status.success(), "nobody reads {manifest}: {read:?}");
    // The host's port is not reachable inside, and is free there.
    sandbox.in_network(|| {
        let refused = TcpStream::connect(("127.0.0.1", port)).map(|_| ());
        assert_eq!(
            refused.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::ConnectionRefused),
            "the host's port {port} answered inside the sandbox"
        );
        TcpListener::bind(("127.0.0.1", port)).expect("the port is free inside");
    });
    // Nothing beyond the loopback: no route out.
    let out = sandbox.exec(&["ip", "route", "show"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "", "{out:?}");
    drop(sandbox);
    // The boot (its tmpfiles cleaning /tmp included) left the checkout alone.
    assert!(std::path::Path::new(manifest).exists());
    assert!(std::path::Path::new(env!("CARGO_BIN_EXE_gen-units")).exists());
}
