//! `unit-watchdog run` reports a crash loop once, with the number of restarts within
//! its window, and keeps the restarts it saw in its state file.

mod common;

use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::{TestUnit, Watchdog};

#[test]
fn a_crash_loop_is_reported_once_with_the_count_for_its_window() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    // Both restart 4 times, then stay failed (restart: manual): one crosses its
    // threshold of 3, the other's threshold of 10 is never reached.
    let service = "ExecStart=/bin/sh -c 'sleep 0.2; exit 3'\nRestart=on-failure\nRestartSec=100ms";
    let unit = "StartLimitIntervalSec=60\nStartLimitBurst=5";
    TestUnit {
        unit,
        service,
        policy: "WatchdogRestart=manual\nCrashLoopRestarts=3\nCrashLoopWindowSec=60",
    }
    .install(&sandbox, "looping");
    TestUnit {
        unit,
        service,
        policy: "WatchdogRestart=manual\nCrashLoopRestarts=10\nCrashLoopWindowSec=60",
    }
    .install(&sandbox, "tolerated");
    sandbox.systemctl(&["daemon-reload"]);
    let watchdog = Watchdog::start(&sandbox, &[]);
    sandbox.systemctl(&["start", "looping.service", "tolerated.service"]);
    for unit in ["looping.service", "tolerated.service"] {
        watchdog.wait_for_log(
            &sandbox,
            &format!("unit={unit} decision=left-down"),
            1,
            Duration::from_secs(30),
        );
    }

    let log = watchdog.log();
    let loops = watchdog.decisions("looping.service", "crash-loop");
    assert_eq!(loops.len(), 1, "reported once per episode: {log}");
    assert!(loops[0].contains("restarts_in_window=3"), "{log}");
    assert!(
        watchdog
            .decisions("tolerated.service", "crash-loop")
            .is_empty(),
        "{log}"
    );

    for unit in ["looping.service", "tolerated.service"] {
        let n_restarts: usize = sandbox
            .property(unit, "NRestarts")
            .parse()
            .expect("NRestarts");
        assert!(n_restarts >= 3, "{unit} restarted {n_restarts} times");
        assert_eq!(
            watchdog.history_count(&sandbox, unit, "restarts"),
            n_restarts,
            "{unit}: {log}"
        );
    }
    assert_eq!(
        watchdog.history_count(&sandbox, "looping.service", "crash_loops"),
        1
    );
    assert_eq!(
        watchdog.history_count(&sandbox, "tolerated.service", "crash_loops"),
        0
    );
}
