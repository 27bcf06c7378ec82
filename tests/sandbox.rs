//! The harness itself: a sandbox boots, runs a unit, and leaves nothing behind.

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
