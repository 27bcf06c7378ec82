//! `unit-watchdog report` over the 74-agent example (examples/agents), put live in a real
//! systemd by `gen-units FILE | gen-units install --now`: every agent is listed as `systemctl show`
//! sees it, a failed one is flagged, and the exit status says whether all is well.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::show_units;
use serde_json::Value;

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");
const REPORT: &str = env!("CARGO_BIN_EXE_unit-watchdog");

fn show(sandbox: &Sandbox, units: &[String]) -> HashMap<String, HashMap<String, String>> {
    let properties = "Id,ActiveState,SubState,Result,NRestarts,MemoryCurrent,MemoryMax,MainPID,\
                      TasksCurrent,ExecMainStartTimestamp";
    show_units(sandbox, &["--timestamp=unix", "-p", properties], units)
}

fn report(sandbox: &Sandbox) -> (Option<i32>, Value) {
    let output = sandbox.exec(&[
        REPORT,
        "report",
        "--format",
        "json",
        "--ecosystem",
        "agents",
        "--restarts-from",
        "watchdog",
        "--state-file",
        "/tmp/state.json",
    ]);
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), json)
}

#[test]
fn the_example_fleet_is_reported_as_systemctl_sees_it() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let agents = common::apps::put_example_live(&sandbox, GEN_UNITS);
    assert!(agents.len() >= 74, "{} agents rendered", agents.len());
    // Every agent runs, except jobs that ran and ended cleanly (no autorestart).
    sandbox.wait_for("every agent started", Duration::from_secs(180), || {
        let seen = show(&sandbox, &agents);
        let waiting: Vec<String> = agents
            .iter()
            .filter_map(|a| {
                let p = seen.get(a)?;
                let settled = p["ActiveState"] == "active"
                    || (p["ActiveState"] == "inactive" && p["Result"] == "success");
                (!settled).then(|| format!("{a}: {} {}", p["ActiveState"], p["Result"]))
            })
            .collect();
        if waiting.is_empty() {
            Ok(())
        } else {
            Err(format!("{waiting:?}"))
        }
    });

    // One agent fails: its program is replaced by one that exits 1.
    let victim = &agents[0];
    sandbox.systemctl(&["stop", victim]);
    std::fs::write(
        sandbox
            .path(&format!("/run/systemd/system/{victim}.d/broken.conf"))
            .parent()
            .map(|d| {
                std::fs::create_dir_all(d).expect("drop-in dir");
                d.join("broken.conf")
            })
            .expect("drop-in path"),
        "[Service]\nExecStart=\nExecStart=/bin/false\nRestart=no\n",
    )
    .expect("drop-in");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", victim]);
    sandbox.wait_for("the victim failed", Duration::from_secs(30), || {
        let state = sandbox.property(victim, "ActiveState");
        if state == "failed" {
            Ok(())
        } else {
            Err(state)
        }
    });

    let (status, json) = report(&sandbox);
    let seen = show(&sandbox, &agents);
    assert_eq!(json["summary"]["units"].as_u64(), Some(agents.len() as u64));
    let reported: Vec<&str> = json["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(
        reported,
        agents.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for unit in json["units"].as_array().expect("units") {
        let name = unit["name"].as_str().expect("name");
        let systemctl = &seen[name];
        assert_eq!(
            unit["active_state"],
            systemctl["ActiveState"].as_str(),
            "{name}"
        );
        assert_eq!(unit["sub_state"], systemctl["SubState"].as_str(), "{name}");
        assert_eq!(unit["result"], systemctl["Result"].as_str(), "{name}");
        assert_eq!(
            unit["restarts_total"].to_string(),
            systemctl["NRestarts"],
            "{name}"
        );
        assert_eq!(
            unit["memory_max_bytes"].as_u64(),
            systemctl["MemoryMax"].parse::<u64>().ok(),
            "{name}"
        );
        let main_pid = systemctl["MainPID"]
            .parse::<u64>()
            .ok()
            .filter(|&pid| pid != 0);
        assert_eq!(unit["main_pid"].as_u64(), main_pid, "{name}");
        assert_eq!(
            unit["tasks"].as_u64(),
            systemctl["TasksCurrent"].parse::<u64>().ok(),
            "{name}"
        );
        // Uptime from the kernel's start time of the main process, against systemd's own
        // timestamp of it (whole seconds apart at most).
        let started = systemctl["ExecMainStartTimestamp"]
            .strip_prefix('@')
            .and_then(|s| s.parse::<u64>().ok());
        if let (Some(uptime), Some(started)) = (unit["uptime_seconds"].as_u64(), started) {
            let expected = json["generated_at"].as_u64().expect("generated_at") - started;
            assert!(
                uptime.abs_diff(expected) <= 2,
                "{name}: uptime {uptime}, expected {expected}"
            );
        } else {
            assert_ne!(
                unit["active_state"], "active",
                "{name}: an active unit has an uptime"
            );
        }
        // Node's memory moves between two reads; within 2 MiB is the same moment.
        match (
            unit["memory_bytes"].as_u64(),
            systemctl["MemoryCurrent"].parse::<u64>().ok(),
        ) {
            (Some(a), Some(b)) => assert!(a.abs_diff(b) < 2 << 20, "{name}: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "{name} memory"),
        }
    }
    let failed: Vec<&str> = json["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter(|u| {
            u["issues"]
                .as_array()
                .is_some_and(|i| i.iter().any(|i| i["kind"] == "failed"))
        })
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(failed, [victim.as_str()]);
    assert_eq!(status, Some(1));

    // Mended, all is well again.
    std::fs::remove_dir_all(sandbox.path(&format!("/run/systemd/system/{victim}.d")))
        .expect("remove drop-in");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["restart", victim]);
    sandbox.wait_for("the victim active", Duration::from_secs(30), || {
        let state = sandbox.property(victim, "ActiveState");
        if state == "active" {
            Ok(())
        } else {
            Err(state)
        }
    });
    let (status, json) = report(&sandbox);
    assert_eq!(
        json["summary"]["needs_attention"],
        false,
        "{:#}",
        json["units"]
            .as_array()
            .map(|u| u
                .iter()
                .filter(|u| u["issues"] != Value::Array(vec![]))
                .cloned()
                .collect::<Vec<_>>())
            .unwrap_or_default()
            .iter()
            .map(|u| format!("{} {}", u["name"], u["issues"]))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(status, Some(0));
}
