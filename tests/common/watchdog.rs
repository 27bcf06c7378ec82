//! Running `unit-watchdog run` inside a sandbox, and reading what it said and kept.

#![allow(dead_code)] // each test crate uses a different part of the helpers

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::sandbox::Sandbox;

/// Where the watchdog keeps its state, inside the sandbox (its `/run` is private).
pub const STATE_FILE: &str = "/run/unit-watchdog-test/state.json";

/// A unit file carrying an `[X-Ecosystemd]` section, as `gen-units` would write it.
pub struct TestUnit<'a> {
    /// `[Unit]` lines.
    pub unit: &'a str,
    /// `[Service]` lines.
    pub service: &'a str,
    /// `[X-Ecosystemd]` lines besides `Ecosystem=` and `App=`.
    pub policy: &'a str,
}

impl TestUnit<'_> {
    /// Writes `NAME.service` as a runtime unit of the sandbox (call daemon-reload after).
    pub fn install(&self, sandbox: &Sandbox, name: &str) {
        let text = format!(
            "[Unit]\nDescription=test agent {name}\n{}\n[Service]\n{}\n[X-Ecosystemd]\nEcosystem=test\nApp={name}\n{}\n",
            self.unit, self.service, self.policy
        );
        fs::write(
            sandbox.path(&format!("/run/systemd/system/{name}.service")),
            text,
        )
        .expect("write unit");
    }
}

/// A running `unit-watchdog run` inside the sandbox; stopped on drop.
pub struct Watchdog {
    child: Child,
    dir: PathBuf,
}

impl Watchdog {
    /// Starts the watchdog inside `sandbox` with `extra` flags and waits until it has
    /// synchronised with systemd.
    pub fn start(sandbox: &Sandbox, extra: &[&str]) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "watchdog-{}-{}",
            std::process::id(),
            sandbox.pid()
        ));
        fs::create_dir_all(&dir).expect("log dir");
        let log = fs::File::create(dir.join("stderr.log")).expect("log file");
        let mut args = vec![
            env!("CARGO_BIN_EXE_unit-watchdog"),
            "run",
            "--state-file",
            STATE_FILE,
            "--memory-interval",
            "1",
        ];
        args.extend_from_slice(extra);
        let child = sandbox
            .command(&args)
            .env_remove("JOURNAL_STREAM")
            .env_remove("INVOCATION_ID")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env("UNIT_WATCHDOG_LOG", "info,ecosystemd=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start unit-watchdog");
        let watchdog = Self { child, dir };
        watchdog.wait_for_log(
            sandbox,
            "synchronised with systemd",
            1,
            Duration::from_secs(20),
        );
        watchdog
    }

    /// Everything the watchdog logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// Waits until `needle` appears at least `times` times in the log.
    pub fn wait_for_log(&self, sandbox: &Sandbox, needle: &str, times: usize, timeout: Duration) {
        sandbox.wait_for(
            &format!("{times}x {needle:?} in the watchdog's log"),
            timeout,
            || {
                let log = self.log();
                if log.matches(needle).count() >= times {
                    Ok(())
                } else {
                    Err(log)
                }
            },
        );
    }

    /// The log lines with decision `kind` about `unit`.
    pub fn decisions(&self, unit: &str, kind: &str) -> Vec<String> {
        let unit_field = format!("unit={unit} ");
        let kind_field = format!("decision={kind} ");
        self.log()
            .lines()
            .filter(|line| line.contains(&unit_field) && line.contains(&kind_field))
            .map(str::to_string)
            .collect()
    }

    /// The state file, parsed.
    pub fn history(&self, sandbox: &Sandbox) -> serde_json::Value {
        let text = fs::read_to_string(sandbox.path(STATE_FILE)).expect("state file");
        serde_json::from_str(&text).expect("state file is JSON")
    }

    /// How many events of `list` the state file holds for `unit`.
    pub fn history_count(&self, sandbox: &Sandbox, unit: &str, list: &str) -> usize {
        self.history(sandbox)["units"][unit][list]
            .as_array()
            .map_or(0, Vec::len)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // nsenter forks the watchdog into the sandbox's PID namespace: stop that child
        // first, then nsenter itself.
        let children = format!("/proc/{0}/task/{0}/children", self.child.id());
        if let Ok(text) = fs::read_to_string(children) {
            for pid in text
                .split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok())
            {
                // SAFETY: plain kill(2) on a process we started.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `systemctl show OPTIONS UNITS...` in one call: each unit's properties by its `Id`
/// (`OPTIONS` must ask for `Id`, with `-p`).
pub fn show_units(
    sandbox: &Sandbox,
    options: &[&str],
    units: &[String],
) -> HashMap<String, HashMap<String, String>> {
    let mut args = vec!["show"];
    args.extend_from_slice(options);
    args.extend(units.iter().map(String::as_str));
    sandbox
        .systemctl(&args)
        .split("\n\n")
        .map(|block| {
            block
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>()
        })
        .filter_map(|props| Some((props.get("Id")?.clone(), props)))
        .collect()
}

/// Reads `systemctl show` properties of `unit` as `(name, value)` pairs.
pub fn show(sandbox: &Sandbox, unit: &str, properties: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["show", unit];
    for property in properties {
        args.push("-p");
        args.push(property);
    }
    sandbox
        .systemctl(&args)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One property from `show`'s output.
pub fn get<'a>(props: &'a [(String, String)], name: &str) -> &'a str {
    props
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}
