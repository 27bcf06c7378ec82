//! `unit-watchdog reload` against a real systemd: a 3-instance cluster app (rendered and
//! installed by `gen-units`) is restarted one instance at a time, each only once the one
//! before is active again; a broken instance stops the reload with exit status 1, and
//! the instances after it keep their processes and keep serving.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::apps::{APP_JS, install, wait_serving};
use common::sandbox::Sandbox;
use common::watchdog::{get, show};

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");
const UNIT_WATCHDOG: &str = env!("CARGO_BIN_EXE_unit-watchdog");
const WAIT: Duration = Duration::from_secs(30);
/// The instances' first port (instance i listens on BASE + i).
const BASE: u16 = 39110;
const UNITS: [&str; 3] = ["rl-web-0.service", "rl-web-1.service", "rl-web-2.service"];

/// The project folder: the app and its ecosystem file (under the target folder, which
/// the sandbox sees and a dynamic user can read).
struct Project(PathBuf);

impl Project {
    fn new(base: u16) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("reload-{}-{base}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("project folder");
        std::fs::write(dir.join("app.js"), APP_JS).expect("app.js");
        let yaml = format!(
            "group: rl\napps:\n  - name: web\n    script: ./app.js\n    instances: 3\n    exec_mode: cluster\n    increment_var: PORT\n    env:\n      PORT: '{base}'\n"
        );
        std::fs::write(dir.join("rl.yaml"), yaml).expect("rl.yaml");
        Self(dir)
    }

    fn file(&self) -> String {
        self.0.join("rl.yaml").display().to_string()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn boot_with_app(base: u16) -> Option<(Sandbox, Project)> {
    let sandbox = Sandbox::boot()?;
    let project = Project::new(base);
    install(&sandbox, &project.file(), GEN_UNITS);
    for i in 0..3 {
        wait_serving(&sandbox, base + i, WAIT);
    }
    Some((sandbox, project))
}

fn reload(sandbox: &Sandbox, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec![UNIT_WATCHDOG, "reload"];
    all.extend_from_slice(args);
    let output = sandbox.exec(&all);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn main_pids(sandbox: &Sandbox) -> Vec<String> {
    UNITS
        .iter()
        .map(|unit| sandbox.property(unit, "MainPID"))
        .collect()
}

/// A monotonic timestamp property, in µs.
fn stamp(sandbox: &Sandbox, unit: &str, property: &str) -> u64 {
    let props = show(sandbox, unit, &[property]);
    get(&props, property).parse().unwrap_or(0)
}

#[test]
fn instances_restart_one_after_another_each_once_the_previous_is_active() {
    let Some((sandbox, _project)) = boot_with_app(BASE) else {
        return;
    };
    let before = main_pids(&sandbox);

    let (code, stdout, stderr) = reload(&sandbox, &["rl", "web", "--min-uptime", "500"]);
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (line, unit) in lines.iter().zip(UNITS) {
        assert!(line.starts_with(&format!("{unit}: ready in ")), "{stdout}");
    }
    assert!(
        stderr.contains("reloaded 3 of 3 running instances of rl"),
        "{stderr}"
    );

    let after = main_pids(&sandbox);
    for (i, (old, new)) in before.iter().zip(&after).enumerate() {
        assert_ne!(old, new, "instance {i} kept its main process");
        assert!(
            stdout.contains(&format!("main PID {old} -> {new}")),
            "{stdout}"
        );
        let body = wait_serving(&sandbox, BASE + i as u16, WAIT);
        assert_eq!(body, format!("{i}\n{new}\n"));
    }
    // Each instance was stopped only after the one before had been active for the
    // minimum uptime (systemd's own timestamps).
    for pair in UNITS.windows(2) {
        let ready = stamp(&sandbox, pair[0], "ActiveEnterTimestampMonotonic");
        let stopped = stamp(&sandbox, pair[1], "ActiveExitTimestampMonotonic");
        assert!(
            stopped >= ready + 500_000,
            "{} began stopping at {stopped} µs, {} was active at {ready} µs",
            pair[1],
            pair[0]
        );
    }

    // The whole group (no app named), and names that do not exist.
    let (code, stdout, stderr) = reload(&sandbox, &["rl", "--min-uptime", "200"]);
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    let (code, _, stderr) = reload(&sandbox, &["rl", "api"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("has no app `api`; its apps: web"),
        "{stderr}"
    );
    let (code, _, stderr) = reload(&sandbox, &["nosuch"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn a_broken_instance_stops_the_reload_and_the_rest_keep_serving() {
    let Some((sandbox, project)) = boot_with_app(BASE + 10) else {
        return;
    };
    let before = main_pids(&sandbox);
    std::fs::write(project.0.join("fail-1"), "").expect("break instance 1");

    let (code, stdout, stderr) = reload(&sandbox, &["rl", "web", "--timeout", "20s"]);
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with("rl-web-0.service: ready in "),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("rl-web-1.service: NOT READY: "),
        "{stdout}"
    );
    assert_eq!(
        lines[2],
        format!(
            "rl-web-2.service: not restarted, still serving (main PID {})",
            before[2]
        )
    );
    assert!(
        stderr.contains("reload of rl stopped at rl-web-1.service: 1 reloaded, 1 not restarted"),
        "{stderr}"
    );
    let after = main_pids(&sandbox);
    assert_ne!(after[0], before[0]);
    assert_eq!(
        after[2], before[2],
        "the instance after the broken one was restarted"
    );
    assert_eq!(
        wait_serving(&sandbox, BASE + 12, WAIT),
        format!("2\n{}\n", before[2])
    );
}

/// While the reload waits out an instance's minimum uptime, the manager finishes
/// hundreds of other jobs: their `JobRemoved` signals must not fill the reload's signal
/// queue (zbus then stops reading the connection, and the next reply never arrives).
#[test]
fn other_jobs_of_the_manager_do_not_hold_up_a_reload() {
    let Some((sandbox, _project)) = boot_with_app(BASE + 20) else {
        return;
    };
    let noise = "for i in $(seq 300); do systemd-run --quiet --no-block \
                 --unit=noise-$i /bin/true; done";
    let mut burst = sandbox
        .command(&["sh", "-c", noise])
        .spawn()
        .expect("start the burst of jobs");
    // Bounded from outside: a reload stuck on an unread reply never ends by itself.
    let output = sandbox.exec(&[
        "timeout",
        "--signal=KILL",
        "120",
        UNIT_WATCHDOG,
        "reload",
        "rl",
        "web",
        "--min-uptime",
        "3000",
        "--timeout",
        "30s",
    ]);
    let code = output.status.code();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let burst = burst.wait().expect("the burst of jobs");
    assert!(burst.success(), "the burst of jobs failed: {burst}");
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
}
