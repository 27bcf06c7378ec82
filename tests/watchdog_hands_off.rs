//! `unit-watchdog run` leaves alone what is not its to restart: a `restart: manual`
//! unit stays failed, and a unit a person stopped stays stopped.

mod common;

use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::{TestUnit, Watchdog};

#[test]
fn manual_units_stay_failed_and_stopped_units_stay_stopped() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    TestUnit {
        unit: "",
        service: "ExecStart=/bin/false",
        policy: "WatchdogRestart=manual\nCooldownSec=0",
    }
    .install(&sandbox, "manual");
    TestUnit {
        unit: "",
        service: "ExecStart=/bin/sleep 300",
        policy: "WatchdogRestart=auto\nCooldownSec=0",
    }
    .install(&sandbox, "stopped");
    sandbox.systemctl(&["daemon-reload"]);
    let watchdog = Watchdog::start(&sandbox, &[]);

    sandbox.systemctl(&["start", "manual.service", "stopped.service"]);
    sandbox.wait_for(
        "stopped.service active",
        Duration::from_secs(10),
        || match sandbox.property("stopped.service", "ActiveState") {
            state if state == "active" => Ok(()),
            state => Err(state),
        },
    );
    sandbox.systemctl(&["stop", "stopped.service"]);

    watchdog.wait_for_log(
        &sandbox,
        "unit=manual.service decision=left-down",
        1,
        Duration::from_secs(10),
    );
    watchdog.wait_for_log(
        &sandbox,
        "unit=stopped.service decision=left-alone",
        1,
        Duration::from_secs(10),
    );
    // Well past any cool-down: still as they were left.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sandbox.property("manual.service", "ActiveState"), "failed");
    assert_eq!(
        sandbox.property("stopped.service", "ActiveState"),
        "inactive"
    );
    let log = watchdog.log();
    assert!(!log.contains("decision=restart"), "{log}");
    for unit in ["manual.service", "stopped.service"] {
        assert_eq!(
            watchdog.history_count(&sandbox, unit, "watchdog_starts"),
            0,
            "{log}"
        );
    }
    let left_down = watchdog.decisions("manual.service", "left-down");
    assert_eq!(left_down.len(), 1, "said once: {log}");
    assert!(left_down[0].contains("restart: manual"), "{log}");
}

#[test]
fn a_drop_in_can_take_a_unit_out_of_the_watchdogs_hands() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    TestUnit {
        unit: "",
        service: "ExecStart=/bin/false",
        policy: "WatchdogRestart=auto\nCooldownSec=0",
    }
    .install(&sandbox, "edited");
    // What `systemctl edit edited.service` leaves: a drop-in that overrides the policy.
    let folder = sandbox.path("/etc/systemd/system/edited.service.d");
    std::fs::create_dir_all(&folder).expect("drop-in folder");
    std::fs::write(
        folder.join("override.conf"),
        "[X-Ecosystemd]\nWatchdogRestart=manual\n",
    )
    .expect("drop-in");
    sandbox.systemctl(&["daemon-reload"]);
    let watchdog = Watchdog::start(&sandbox, &[]);

    sandbox.systemctl(&["start", "edited.service"]);
    watchdog.wait_for_log(
        &sandbox,
        "unit=edited.service decision=left-down",
        1,
        Duration::from_secs(10),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sandbox.property("edited.service", "ActiveState"), "failed");
    let log = watchdog.log();
    assert!(!log.contains("decision=restart"), "{log}");
    assert!(
        watchdog.decisions("edited.service", "left-down")[0].contains("restart: manual"),
        "{log}"
    );
}
