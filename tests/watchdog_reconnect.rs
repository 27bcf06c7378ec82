//! `unit-watchdog run` survives the bus going away: after `systemctl restart dbus` and
//! after `systemctl daemon-reexec` it still acts on the next failure.

mod common;

use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::{TestUnit, Watchdog};

const UNIT: &str = "victim.service";

fn wait_active(sandbox: &Sandbox, what: &str) {
    sandbox.wait_for(what, Duration::from_secs(20), || {
        match sandbox.property(UNIT, "ActiveState") {
            state if state == "active" => Ok(()),
            state => Err(state),
        }
    });
}

/// Kills the unit for good (no `Restart=`) and waits for the watchdog's `nth` start.
fn fail_and_expect_start(sandbox: &Sandbox, watchdog: &Watchdog, nth: usize) {
    sandbox.systemctl(&["kill", "--signal=SIGKILL", UNIT]);
    sandbox.wait_for(
        &format!("the watchdog's start number {nth}"),
        Duration::from_secs(20),
        || match watchdog.decisions(UNIT, "restart").len() {
            n if n >= nth => Ok(()),
            _ => Err(watchdog.log()),
        },
    );
    wait_active(sandbox, "the unit running again");
}

#[test]
fn acts_after_dbus_restarts_and_after_daemon_reexec() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    TestUnit {
        unit: "",
        service: "ExecStart=/bin/sleep 300",
        policy: "WatchdogRestart=auto\nCooldownSec=0\nMaxRestartsPerWindow=10",
    }
    .install(&sandbox, "victim");
    sandbox.systemctl(&["daemon-reload"]);
    let watchdog = Watchdog::start(&sandbox, &[]);
    sandbox.systemctl(&["start", UNIT]);
    wait_active(&sandbox, "the unit started");

    fail_and_expect_start(&sandbox, &watchdog, 1);

    sandbox.systemctl(&["restart", "dbus.service"]);
    watchdog.wait_for_log(
        &sandbox,
        "lost the connection to systemd",
        1,
        Duration::from_secs(20),
    );
    watchdog.wait_for_log(
        &sandbox,
        "synchronised with systemd",
        2,
        Duration::from_secs(30),
    );
    fail_and_expect_start(&sandbox, &watchdog, 2);

    sandbox.systemctl(&["daemon-reexec"]);
    sandbox.wait_for(
        "systemd back after re-executing",
        Duration::from_secs(30),
        || match sandbox.systemctl(&["is-system-running"]) {
            state if state == "running" || state == "degraded" => Ok(()),
            state => Err(state),
        },
    );
    fail_and_expect_start(&sandbox, &watchdog, 3);

    // The history of the whole run survived both.
    assert_eq!(watchdog.history_count(&sandbox, UNIT, "watchdog_starts"), 3);
}
