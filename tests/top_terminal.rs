//! `unit-watchdog top`'s terminal handling, in tmux, with no systemd to read (it shows
//! why and keeps running): Ctrl-C leaves the terminal as it was; a lost terminal (the
//! tmux session killed: SIGHUP) ends it; without a terminal it refuses with exit 2.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::skip::tmux_or_skip;

const UNIT_WATCHDOG: &str = env!("CARGO_BIN_EXE_unit-watchdog");
/// An address nothing listens on: every snapshot fails, visibly.
const NOWHERE: &str = "unix:path=/nonexistent/ecosystemd-top-test";

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Option<Self> {
        if !tmux_or_skip() {
            return None;
        }
        let tmux = Self {
            socket: format!("ecosystemd-{name}-{}", std::process::id()),
        };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "100",
            "-y",
            "30",
            command,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).to_string()
    }

    fn wait_for(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if test(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn ctrl_c_restores_the_terminal() {
    let command =
        format!("'{UNIT_WATCHDOG}' top --address {NOWHERE}; echo TOP-EXITED $?; stty -a; sleep 60");
    let Some(tmux) = Tmux::start("ctrl-c", &command) else {
        return;
    };
    tmux.wait_for("top's screen", |s| {
        s.contains("unit-watchdog top") && s.contains("cannot reach systemd")
    });
    let out = tmux.run(&["send-keys", "-t", "t", "C-c"]);
    assert!(out.status.success());
    let after = tmux.wait_for("top to exit", |s| {
        s.contains("TOP-EXITED") && s.contains("echoctl")
    });
    assert!(after.contains("TOP-EXITED 0"), "{after}");
    let modes: Vec<&str> = after.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(modes.contains(&mode), "{mode} not restored:\n{after}");
    }
    assert!(
        !after.contains("unit-watchdog top "),
        "still on the alternate screen:\n{after}"
    );
}

#[test]
fn a_lost_terminal_ends_top() {
    let marker = format!("ecosystemd-top-hup-{}", std::process::id());
    // The marker in its arguments finds the process afterwards.
    let command = format!("'{UNIT_WATCHDOG}' top --address {NOWHERE}-{marker}");
    let Some(tmux) = Tmux::start("hup", &command) else {
        return;
    };
    tmux.wait_for("top's screen", |s| s.contains("unit-watchdog top"));
    let running = || {
        std::fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .any(|cmdline| String::from_utf8_lossy(&cmdline).contains(&marker))
    };
    assert!(running(), "top runs");
    let out = tmux.run(&["kill-session", "-t", "t"]);
    assert!(out.status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while running() {
        assert!(
            Instant::now() < deadline,
            "top still runs after its terminal went away"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn without_a_terminal_top_refuses() {
    let out = Command::new(UNIT_WATCHDOG)
        .args(["top", "--address", NOWHERE])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
}
