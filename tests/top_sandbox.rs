//! `unit-watchdog top` in tmux against the 74 agents of examples/agents, put live in a
//! real systemd: the screen shows every agent with its memory and limit, a failed one
//! flagged, the selected agent's journal; `R` then `y` restarts the selected agent (its
//! MainPID changes); at 80x24 it stays readable; `q` leaves the terminal as it was.

mod common;

use std::collections::HashMap;
use std::process::{Command, Output};
use std::time::Duration;

use common::sandbox::{Sandbox, shell_quote};
use common::skip::tmux_or_skip;
use common::watchdog::{get, show, show_units};
use ecosystemd::top::view::compact_bytes;

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");
const UNIT_WATCHDOG: &str = env!("CARGO_BIN_EXE_unit-watchdog");

/// `ActiveState`, `Result` and `MemoryMax` of every agent, in one `systemctl show`.
fn states(sandbox: &Sandbox, agents: &[String]) -> HashMap<String, HashMap<String, String>> {
    show_units(sandbox, &["-p", "Id,ActiveState,Result,MemoryMax"], agents)
}

/// A tmux server of the test's own (its own socket, no configuration); killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A server of its own per call: the tests of this file run in parallel in one process.
    fn new() -> Self {
        static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self {
            socket: format!("ecosystemd-top-{}-{n}", std::process::id()),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "top"]).stdout).to_string()
    }

    fn keys(&self, keys: &str) {
        let out = self.run(&["send-keys", "-t", "top", keys]);
        assert!(out.status.success(), "send-keys {keys}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// `command` as one shell line (each word single-quoted).
fn shell_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| format!("'{}'", word.to_string_lossy().replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `unit-watchdog top --ecosystem ECOSYSTEM` inside `sandbox`, in a tmux terminal of
/// `size` (columns, rows) of a server of its own; `then` is the shell run after it.
fn top_in_tmux(sandbox: &Sandbox, ecosystem: &str, then: &str, size: (u32, u32)) -> Tmux {
    let inner = sandbox.command(&[
        "/bin/sh",
        "-c",
        &format!(
            "TERM=xterm-256color NO_COLOR=1 {} top --ecosystem {ecosystem} \
             --state-file /run/no-watchdog.json; {then}",
            shell_quote(UNIT_WATCHDOG)
        ),
    ]);
    let tmux = Tmux::new();
    let (columns, rows) = (size.0.to_string(), size.1.to_string());
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "top",
        "-x",
        &columns,
        "-y",
        &rows,
        &shell_line(&inner),
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    tmux
}

/// The screen's line that shows `unit`.
fn line_of<'a>(screen: &'a str, unit: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|line| line.split_whitespace().next() == Some(unit))
}

#[test]
fn top_shows_the_agents_and_restarts_the_selected_one() {
    if !tmux_or_skip() {
        return;
    }
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let agents = common::apps::put_example_live(&sandbox, GEN_UNITS);
    assert!(agents.len() >= 74, "{} agents", agents.len());
    sandbox.wait_for("every agent started", Duration::from_secs(180), || {
        let seen = states(&sandbox, &agents);
        let waiting: Vec<&String> = agents
            .iter()
            .filter(|a| {
                seen.get(*a).is_none_or(|p| {
                    p["ActiveState"] != "active"
                        && !(p["ActiveState"] == "inactive" && p["Result"] == "success")
                })
            })
            .collect();
        if waiting.is_empty() {
            Ok(())
        } else {
            Err(format!("{waiting:?}"))
        }
    });
    // The last agent fails: its program is replaced by one that exits 1.
    let victim = agents.last().expect("agents").clone();
    sandbox.systemctl(&["stop", &victim]);
    let dropin = sandbox.path(&format!("/run/systemd/system/{victim}.d/broken.conf"));
    std::fs::create_dir_all(dropin.parent().expect("drop-in dir")).expect("drop-in dir");
    std::fs::write(
        &dropin,
        "[Service]\nExecStart=\nExecStart=/bin/false\nRestart=no\n",
    )
    .expect("drop-in");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", &victim]);
    sandbox.wait_for(
        "the victim failed",
        Duration::from_secs(30),
        || match sandbox.property(&victim, "ActiveState").as_str() {
            "failed" => Ok(()),
            other => Err(other.to_string()),
        },
    );

    // top in a terminal of 220x110, then whatever the terminal is left as.
    let tmux = top_in_tmux(
        &sandbox,
        "agents",
        "echo TOP-EXITED $?; stty -a; sleep 600",
        (220, 110),
    );

    let limits = states(&sandbox, &agents);
    let screen = sandbox.wait_for("every agent on the screen", Duration::from_secs(30), || {
        let screen = tmux.screen();
        let missing: Vec<&String> = agents
            .iter()
            .filter(|a| line_of(&screen, a).is_none())
            .collect();
        if missing.is_empty() {
            Ok(screen)
        } else {
            Err(format!("{missing:?}\n{screen}"))
        }
    });
    for agent in &agents {
        let line = line_of(&screen, agent).expect("listed");
        let words: Vec<&str> = line.split_whitespace().collect();
        let max = limits[agent]["MemoryMax"]
            .parse::<u64>()
            .ok()
            .map(compact_bytes);
        if let Some(max) = max {
            assert!(
                words.contains(&max.as_str()),
                "{agent}: limit {max} in {line:?}"
            );
        }
        if limits[agent]["ActiveState"] == "active" {
            assert!(
                words
                    .get(2)
                    .is_some_and(|m| m.ends_with('M') || m.ends_with('K')),
                "{agent}: memory in {line:?}"
            );
        }
    }
    let victim_line = line_of(&screen, &victim).expect("victim listed");
    assert!(victim_line.contains("failed"), "{victim_line:?}");

    // The first agent is selected: its journal follows below the list.
    let selected = &agents[0];
    let app = selected
        .trim_start_matches("agents-")
        .trim_end_matches(".service");
    sandbox.wait_for(
        "the selected agent's journal",
        Duration::from_secs(20),
        || {
            let screen = tmux.screen();
            let lines: Vec<&str> = screen.lines().collect();
            let title = lines
                .iter()
                .position(|l| l.starts_with(&format!("-- journal: {selected}")))
                .ok_or_else(|| screen.clone())?;
            if lines[title..]
                .iter()
                .any(|l| l.contains(&format!("{app} listening on")))
            {
                Ok(())
            } else {
                Err(screen)
            }
        },
    );

    // R, then y: the selected agent is restarted.
    let before = get(&show(&sandbox, selected, &["MainPID"]), "MainPID").to_string();
    tmux.keys("R");
    sandbox.wait_for("the confirmation", Duration::from_secs(10), || {
        let screen = tmux.screen();
        if screen.contains(&format!("restart {selected}? y: yes")) {
            Ok(())
        } else {
            Err(screen)
        }
    });
    tmux.keys("y");
    sandbox.wait_for("a new MainPID", Duration::from_secs(30), || {
        let pid = get(&show(&sandbox, selected, &["MainPID"]), "MainPID").to_string();
        if pid != before && pid != "0" {
            Ok(())
        } else {
            Err(format!("MainPID {pid}"))
        }
    });

    // 80x24: every line within 80 columns, titles and a unit row still there.
    let resized = tmux.run(&["resize-window", "-t", "top", "-x", "80", "-y", "24"]);
    assert!(
        resized.status.success(),
        "{}",
        String::from_utf8_lossy(&resized.stderr)
    );
    let small = sandbox.wait_for("the 80x24 screen", Duration::from_secs(10), || {
        let screen = tmux.screen();
        let lines: Vec<&str> = screen.lines().collect();
        let ok = lines.len() <= 24
            && lines.iter().all(|l| l.chars().count() <= 80)
            && lines.first().is_some_and(|l| l.contains("units:"))
            && lines
                .iter()
                .any(|l| l.starts_with("UNIT") && l.contains("MEM") && l.contains("MAX"))
            && line_of(&screen, selected).is_some_and(|l| l.contains('['))
            && lines.iter().any(|l| l.starts_with("-- journal:"));
        if ok { Ok(screen) } else { Err(screen) }
    });
    eprintln!("80x24:\n{small}");

    // q: top exits 0 and the terminal is back in its normal (cooked, echoing) mode.
    tmux.keys("q");
    let after = sandbox.wait_for("top to exit", Duration::from_secs(10), || {
        let screen = tmux.screen();
        // `stty -a` has printed its settings (its last line names `echoctl`).
        if screen.contains("TOP-EXITED") && screen.contains("echoctl") {
            Ok(screen)
        } else {
            Err(screen)
        }
    });
    assert!(after.contains("TOP-EXITED 0"), "{after}");
    let modes: Vec<&str> = after.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig", "icrnl"] {
        assert!(modes.contains(&mode), "{mode} not restored: {after}");
    }
    assert!(
        !after.contains("UNIT "),
        "the alternate screen is left: {after}"
    );
}

/// A unit of the ecosystem `late` that sleeps.
fn late_unit(app: &str) -> String {
    format!(
        "[Unit]\nDescription=late {app}\n[Service]\nExecStart=/bin/sleep infinity\n\
         [X-Ecosystemd]\nEcosystem=late\nApp={app}\n"
    )
}

/// `top` keeps the scan of the unit files between refreshes: units installed while it
/// runs still appear, after a reload (as `gen-units install` does it) and when systemd
/// loads a new file on demand, without one.
#[test]
fn units_installed_while_top_runs_appear() {
    if !tmux_or_skip() {
        return;
    }
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let put = |app: &str| {
        let path = sandbox.path(&format!("/run/systemd/system/late-{app}.service"));
        std::fs::write(&path, late_unit(app)).expect("unit file");
    };
    put("first");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", "late-first.service"]);

    let tmux = top_in_tmux(&sandbox, "late", "sleep 600", (160, 40));
    let on_screen = |unit: &str| {
        sandbox.wait_for(
            &format!("{unit} on the screen"),
            Duration::from_secs(30),
            || {
                let screen = tmux.screen();
                match line_of(&screen, unit) {
                    Some(line) if line.contains("running") => Ok(()),
                    _ => Err(screen),
                }
            },
        )
    };
    on_screen("late-first.service");

    put("second");
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", "late-second.service"]);
    on_screen("late-second.service");

    // Some seconds later (the folder's time no longer that of the last scan), a file
    // systemd loads on demand, with no reload.
    std::thread::sleep(Duration::from_secs(3));
    on_screen("late-first.service");
    put("third");
    sandbox.systemctl(&["start", "late-third.service"]);
    on_screen("late-third.service");
    tmux.keys("q");
}
