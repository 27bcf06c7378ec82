//! `unit-watchdog run` with 20 units failing at once: each is started again within its
//! cap, and no more: no restart storm.

mod common;

use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::{TestUnit, Watchdog};

const UNITS: usize = 20;
const CAP: usize = 2;

fn names() -> Vec<String> {
    (1..=UNITS)
        .map(|i| format!("storm{i:02}.service"))
        .collect()
}

fn states(sandbox: &Sandbox) -> Vec<String> {
    let mut args = vec!["show", "-p", "ActiveState", "--value"];
    let names = names();
    args.extend(names.iter().map(String::as_str));
    sandbox
        .systemctl(&args)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

fn wait_all(sandbox: &Sandbox, state: &str, what: &str) {
    sandbox.wait_for(what, Duration::from_secs(30), || {
        let states = states(sandbox);
        if states.len() == UNITS && states.iter().all(|s| s == state) {
            Ok(())
        } else {
            Err(format!("{states:?}"))
        }
    });
}

fn kill_all(sandbox: &Sandbox) {
    let names = names();
    let mut args = vec!["kill", "--signal=SIGKILL"];
    args.extend(names.iter().map(String::as_str));
    sandbox.systemctl(&args);
}

fn restarts(watchdog: &Watchdog) -> Vec<usize> {
    names()
        .iter()
        .map(|name| watchdog.decisions(name, "restart").len())
        .collect()
}

#[test]
fn twenty_units_failing_at_once_are_restarted_within_the_cap() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    for name in names() {
        TestUnit {
            unit: "",
            service: "ExecStart=/bin/sleep 300",
            policy: &format!(
                "WatchdogRestart=auto\nCooldownSec=1\nMaxRestartsPerWindow={CAP}\nCrashLoopWindowSec=300"
            ),
        }
        .install(&sandbox, name.trim_end_matches(".service"));
    }
    sandbox.systemctl(&["daemon-reload"]);
    let watchdog = Watchdog::start(&sandbox, &[]);
    let names = names();
    let mut start = vec!["start"];
    start.extend(names.iter().map(String::as_str));
    sandbox.systemctl(&start);
    wait_all(&sandbox, "active", "all units started");

    for round in 1..=CAP {
        kill_all(&sandbox);
        sandbox.wait_for(
            &format!("round {round}: every unit started again once more"),
            Duration::from_secs(30),
            || {
                let counts = restarts(&watchdog);
                if counts.iter().all(|&n| n == round) {
                    Ok(())
                } else {
                    Err(format!("{counts:?}"))
                }
            },
        );
        wait_all(&sandbox, "active", "all units running again");
    }

    // Over the cap: all left down, each with one alert, none started again.
    kill_all(&sandbox);
    watchdog.wait_for_log(
        &sandbox,
        "decision=cap-reached",
        UNITS,
        Duration::from_secs(30),
    );
    std::thread::sleep(Duration::from_secs(3));
    wait_all(&sandbox, "failed", "all units left down");
    assert_eq!(restarts(&watchdog), vec![CAP; UNITS], "{}", watchdog.log());
    for name in &names {
        assert_eq!(watchdog.decisions(name, "cap-reached").len(), 1, "{name}");
        assert_eq!(
            watchdog.history_count(&sandbox, name, "watchdog_starts"),
            CAP,
            "{name}"
        );
    }
}
