//! `unit-watchdog run` against a real systemd: a unit that hits its start limit is
//! started again within 2 s of failing, until its per-window cap, then left down with an
//! alert.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::{TestUnit, Watchdog, get, show};

const UNIT: &str = "crashloop.service";

#[test]
fn start_limit_hit_is_restarted_within_2s_until_the_cap_then_left_down() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    TestUnit {
        unit: "StartLimitIntervalSec=60\nStartLimitBurst=3",
        service: "ExecStart=/bin/sh -c 'sleep 0.5; exit 1'\nRestart=on-failure\nRestartSec=300ms",
        policy: "WatchdogRestart=auto\nCrashLoopRestarts=100\nCrashLoopWindowSec=300\nCooldownSec=1\nMaxRestartsPerWindow=3",
    }
    .install(&sandbox, "crashloop");
    sandbox.systemctl(&["daemon-reload"]);
    let watchdog = Watchdog::start(&sandbox, &[]);
    sandbox.systemctl(&["start", UNIT]);

    // The failures the unit rests in (seen `failed`, by when it entered that state), and
    // when it left each of them: nothing but the watchdog starts it, so that is the
    // failure-to-start latency, from systemd's own timestamps. (Between its automatic
    // restarts the unit passes through `failed` for microseconds only; polling sees the
    // failures that last.)
    let mut failures: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    let props = [
        "ActiveState",
        "InactiveEnterTimestampMonotonic",
        "InactiveExitTimestampMonotonic",
    ];
    sandbox.wait_for(
        "three watchdog starts, then a fourth failure",
        Duration::from_secs(90),
        || {
            let p = show(&sandbox, UNIT, &props);
            let entered: u64 = get(&p, props[1]).parse().unwrap_or(0);
            let exited: u64 = get(&p, props[2]).parse().unwrap_or(0);
            if get(&p, "ActiveState") == "failed" {
                failures.entry(entered).or_insert(None);
            }
            for (failed_at, left_at) in failures.iter_mut() {
                if left_at.is_none() && exited > *failed_at {
                    *left_at = Some(exited);
                }
            }
            let starts = failures.values().filter(|left| left.is_some()).count();
            if starts >= 3 && failures.len() >= 4 {
                Ok(())
            } else {
                Err(format!("{p:?}, failures so far {failures:?}"))
            }
        },
    );
    let latencies: Vec<u64> = failures
        .iter()
        .filter_map(|(failed_at, left_at)| Some(left_at.as_ref()? - failed_at))
        .collect();
    for latency in &latencies {
        assert!(
            (1_000_000..2_000_000).contains(latency),
            "a start came {latency} µs after the failure (cool-down 1 s): {latencies:?}"
        );
    }
    assert_eq!(latencies.len(), 3, "{latencies:?}");

    // The cap is reached: an alert, and the unit stays down.
    watchdog.wait_for_log(&sandbox, "decision=cap-reached", 1, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(sandbox.property(UNIT, "ActiveState"), "failed");
    assert_eq!(
        watchdog.decisions(UNIT, "restart").len(),
        3,
        "{}",
        watchdog.log()
    );
    assert_eq!(
        watchdog.decisions(UNIT, "cap-reached").len(),
        1,
        "{}",
        watchdog.log()
    );
    assert_eq!(watchdog.history_count(&sandbox, UNIT, "watchdog_starts"), 3);
}
