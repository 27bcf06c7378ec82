//! `units/unit-watchdog.service` as shipped, run by a real systemd: it becomes ready
//! (`Type=notify`), keeps its `WatchdogSec=` with keep-alives, has the rights to start a
//! failed unit despite its hardening, and logs its decisions to the journal where
//! `journalctl -u UNIT` finds them.

mod common;

use std::fs;
use std::time::Duration;

use common::sandbox::Sandbox;
use common::watchdog::TestUnit;

const SERVICE: &str = "unit-watchdog.service";
const VICTIM: &str = "victim.service";

#[test]
fn the_shipped_unit_runs_the_watchdog_hardened_and_supervised() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let unit = include_str!("../units/unit-watchdog.service");
    fs::write(
        sandbox.path(&format!("/run/systemd/system/{SERVICE}")),
        unit,
    )
    .expect("unit");
    // Only what a test needs changed: the binary under test, state under the sandbox's
    // private /run instead of the host's /var/lib, a short WatchdogSec=.
    let dropin = sandbox.path(&format!("/run/systemd/system/{SERVICE}.d"));
    fs::create_dir_all(&dropin).expect("drop-in dir");
    fs::write(
        dropin.join("test.conf"),
        format!(
            "[Service]\nExecStart=\nExecStart=\"{}\" run --state-file /run/unit-watchdog-test/state.json\n\
             StateDirectory=\nRuntimeDirectory=unit-watchdog-test\nWatchdogSec=2s\n",
            env!("CARGO_BIN_EXE_unit-watchdog")
        ),
    )
    .expect("drop-in");
    TestUnit {
        unit: "",
        service: "ExecStart=/bin/sleep 300",
        policy: "WatchdogRestart=auto\nCooldownSec=0",
    }
    .install(&sandbox, "victim");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", VICTIM]);

    let started = sandbox.exec(&["systemctl", "start", SERVICE]);
    let journal = || {
        String::from_utf8_lossy(
            &sandbox
                .exec(&["journalctl", "-u", SERVICE, "--no-pager"])
                .stdout,
        )
        .into_owned()
    };
    assert!(started.status.success(), "start failed: {}", journal());
    assert_eq!(sandbox.property(SERVICE, "ActiveState"), "active");
    sandbox.wait_for("the status line", Duration::from_secs(10), || {
        let status = sandbox.property(SERVICE, "StatusText");
        if status.contains("watching 1 units") {
            Ok(())
        } else {
            Err(status)
        }
    });

    sandbox.systemctl(&["kill", "--signal=SIGKILL", VICTIM]);
    sandbox.wait_for("the victim started again", Duration::from_secs(20), || {
        let restarts = sandbox
            .exec(&["journalctl", "-u", VICTIM, "-o", "cat", "DECISION=restart"])
            .stdout;
        match sandbox.property(VICTIM, "ActiveState") {
            state if state == "active" && !restarts.is_empty() => Ok(()),
            state => Err(format!("{state}; {}", journal())),
        }
    });

    // Three keep-alive periods later it is still the same process, never restarted.
    let pid = sandbox.property(SERVICE, "MainPID");
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        sandbox.property(SERVICE, "ActiveState"),
        "active",
        "{}",
        journal()
    );
    assert_eq!(sandbox.property(SERVICE, "MainPID"), pid);
    assert_eq!(sandbox.property(SERVICE, "NRestarts"), "0");
    assert!(
        fs::metadata(sandbox.path("/run/unit-watchdog-test/state.json")).is_ok(),
        "no state file: {}",
        journal()
    );

    let stopped = sandbox.exec(&["systemctl", "stop", SERVICE]);
    assert!(stopped.status.success());
    assert_eq!(
        sandbox.property(SERVICE, "Result"),
        "success",
        "{}",
        journal()
    );
}
