//! Health checks against a real systemd: an agent that stays alive but stops answering
//! HTTP is restarted by `unit-watchdog run` within interval x retries (plus a probe's
//! timeout, the watchdog's one-second look and the restart itself); an agent a person
//! stopped is left alone; `unit-watchdog report` flags an unhealthy agent and exits 1.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::apps::{install, wait_serving};
use common::sandbox::Sandbox;
use common::watchdog::{Watchdog, get, show};

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");
const UNIT_WATCHDOG: &str = env!("CARGO_BIN_EXE_unit-watchdog");
const WAIT: Duration = Duration::from_secs(30);
const PORT_A: u16 = 39471;
const PORT_B: u16 = 39472;
const HUNG: &str = "hc-hung.service";
const STOPPED: &str = "hc-stopped.service";

/// Probes every second, 400 ms each, 3 failures in a row.
const INTERVAL: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_millis(400);
const RETRIES: u32 = 3;

/// An HTTP agent that answers `/health` until a file `hang` lies beside it; then it
/// stays alive but never answers again (a deadlocked handler, a lost pool).
const AGENT_JS: &str = r#"'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const server = http.createServer((request, response) => {
  if (fs.existsSync(path.join(__dirname, 'hang'))) return;
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end(`${process.pid}\n`);
});
server.listen(Number(process.env.PORT));
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
"#;

struct Project(PathBuf);

impl Project {
    fn new() -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("health-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("project folder");
        std::fs::write(dir.join("agent.js"), AGENT_JS).expect("agent.js");
        let yaml = format!(
            "group: hc\n\
             health_check:\n  url: http://127.0.0.1:{{port}}/health\n  interval: {}ms\n  timeout: {}ms\n  retries: {RETRIES}\n\
             apps:\n\
             \x20 - name: hung\n    script: ./agent.js\n    env:\n      PORT: '{PORT_A}'\n\
             \x20 - name: stopped\n    script: ./agent.js\n    env:\n      PORT: '{PORT_B}'\n",
            INTERVAL.as_millis(),
            TIMEOUT.as_millis()
        );
        std::fs::write(dir.join("hc.yaml"), yaml).expect("hc.yaml");
        Self(dir)
    }

    fn file(&self) -> String {
        self.0.join("hc.yaml").display().to_string()
    }

    fn hang(&self, on: bool) {
        let path = self.0.join("hang");
        if on {
            std::fs::write(path, "").expect("hang file");
        } else {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn main_pid(sandbox: &Sandbox, unit: &str) -> String {
    get(&show(sandbox, unit, &["MainPID"]), "MainPID").to_string()
}

#[test]
fn a_hung_agent_is_restarted_a_stopped_one_left_alone_and_the_report_flags_it() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let project = Project::new();
    install(&sandbox, &project.file(), GEN_UNITS);
    wait_serving(&sandbox, PORT_A, WAIT);
    wait_serving(&sandbox, PORT_B, WAIT);
    // Read inside: install's symlinks resolve there.
    let unit_file = String::from_utf8_lossy(
        &sandbox
            .exec(&["cat", &format!("/etc/systemd/system/{HUNG}")])
            .stdout,
    )
    .to_string();
    assert!(
        unit_file.contains(&format!("HealthUrl=\"http://127.0.0.1:{PORT_A}/health\"")),
        "{{port}} is filled in: {unit_file}"
    );

    let watchdog = Watchdog::start(&sandbox, &[]);
    // A person stops one agent: it is never probed, so never restarted.
    sandbox.systemctl(&["stop", STOPPED]);

    let before = main_pid(&sandbox, HUNG);
    project.hang(true);
    let hung_at = Instant::now();
    // interval x retries, a probe's timeout, the watchdog's one-second look, and the
    // restart itself (stop, then start until the agent runs again).
    let bound = INTERVAL * RETRIES + TIMEOUT + Duration::from_secs(1) + Duration::from_secs(5);
    let after = sandbox.wait_for("the hung agent restarted", bound, || {
        let pid = main_pid(&sandbox, HUNG);
        if pid != before && pid != "0" {
            Ok(pid)
        } else {
            Err(format!("MainPID {pid}\n{}", watchdog.log()))
        }
    });
    let took = hung_at.elapsed();
    project.hang(false);
    eprintln!("hung agent restarted after {took:?} (MainPID {before} -> {after})");
    let restarts = watchdog.decisions(HUNG, "health-restart");
    assert_eq!(restarts.len(), 1, "{}", watchdog.log());
    assert!(
        restarts[0].contains(&format!("{RETRIES} failed health checks in a row")),
        "{}",
        restarts[0]
    );
    wait_serving(&sandbox, PORT_A, WAIT);
    watchdog.wait_for_log(&sandbox, "health-restart", 1, WAIT);
    assert_eq!(watchdog.history_count(&sandbox, HUNG, "health_restarts"), 1);
    assert_eq!(watchdog.history_count(&sandbox, HUNG, "watchdog_starts"), 1);

    // The stopped agent, given the same time again, is still stopped and untouched.
    std::thread::sleep(bound);
    let stopped = show(&sandbox, STOPPED, &["ActiveState", "NRestarts"]);
    assert_eq!(get(&stopped, "ActiveState"), "inactive");
    assert!(watchdog.decisions(STOPPED, "health-restart").is_empty());
    assert!(watchdog.decisions(STOPPED, "unhealthy").is_empty());
    drop(watchdog);

    // With no watchdog to restart it, the report sees the hung agent and exits 1.
    project.hang(true);
    let output = sandbox.exec(&[
        UNIT_WATCHDOG,
        "report",
        "--format",
        "json",
        "--ecosystem",
        "hc",
        "--restarts-from",
        "none",
    ]);
    project.hang(false);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let unit = json["units"]
        .as_array()
        .and_then(|units| units.iter().find(|u| u["name"] == HUNG))
        .expect("the hung agent in the report");
    assert_eq!(unit["health"]["status"], "unhealthy", "{unit}");
    assert!(
        unit["health"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no answer within 400 ms")),
        "{unit}"
    );
    let kinds: Vec<&str> = unit["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["unhealthy"]);

    let prometheus = sandbox.exec(&[
        UNIT_WATCHDOG,
        "report",
        "--format",
        "prometheus",
        "--ecosystem",
        "hc",
        "--restarts-from",
        "none",
    ]);
    let text = String::from_utf8_lossy(&prometheus.stdout);
    assert!(
        text.contains(&format!(
            "ecosystemd_unit_healthy{{unit=\"{HUNG}\",ecosystem=\"hc\"}} 1\n"
        )),
        "answering again: {text}"
    );
    assert!(!text.contains(&format!("ecosystemd_unit_healthy{{unit=\"{STOPPED}\"")));
}
