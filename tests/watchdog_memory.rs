//! `unit-watchdog run` warns once when a unit's memory is above its threshold, not at
//! every reading (`MemoryCurrent` is polled: systemd does not signal it).

mod common;

use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::{TestUnit, Watchdog};

#[test]
fn memory_above_the_threshold_warns_once() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    // Any running process uses more than 4 KiB; a 1 GiB line is never reached.
    TestUnit {
        unit: "",
        service: "ExecStart=/bin/sleep 300",
        policy: "MemoryWarnBytes=4096",
    }
    .install(&sandbox, "hungry");
    TestUnit {
        unit: "",
        service: "ExecStart=/bin/sleep 300",
        policy: "MemoryWarnBytes=1073741824",
    }
    .install(&sandbox, "modest");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", "hungry.service", "modest.service"]);
    // Memory is read every second here.
    let watchdog = Watchdog::start(&sandbox, &[]);
    watchdog.wait_for_log(
        &sandbox,
        "unit=hungry.service decision=memory-high",
        1,
        Duration::from_secs(10),
    );
    // Several readings later, still one warning.
    std::thread::sleep(Duration::from_secs(4));
    let log = watchdog.log();
    let warnings = watchdog.decisions("hungry.service", "memory-high");
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(warnings[0].contains("WARN"), "{log}");
    assert!(warnings[0].contains("memory="), "{log}");
    assert!(
        watchdog
            .decisions("modest.service", "memory-high")
            .is_empty(),
        "{log}"
    );
}
