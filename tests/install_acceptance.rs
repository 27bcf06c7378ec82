//! What installed units do on a real systemd: memory limits, restart limits, cron and
//! watch restarts, exact environment values, journald namespaces.

mod common;
mod install_support;

use std::time::Duration;

use common::sandbox::Sandbox;
use ecosystemd::bundle::{Bundle, FileKind, Scope};
use install_support::*;

const WAIT: Duration = Duration::from_secs(60);

fn unit(name: &str, body: &str) -> ecosystemd::bundle::BundleFile {
    owned_file("agents", FileKind::Unit, name, 0o644, body)
}

fn install_now(sandbox: &Sandbox, bundle: &Bundle) {
    assert_ok(
        &gen_units(sandbox, &["install", "--now"], bundle.to_text().as_bytes()),
        "install --now",
    );
}

fn journal(sandbox: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["journalctl", "--no-pager", "-o", "cat"];
    all.extend_from_slice(args);
    String::from_utf8_lossy(&sandbox.exec(&all).stdout).into_owned()
}

fn number(sandbox: &Sandbox, unit: &str, property: &str) -> Result<u64, String> {
    let seen = sandbox.property(unit, property);
    seen.parse().map_err(|_| seen)
}

#[test]
fn memory_limit_kills_and_systemd_restarts() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("memory");
    let grow = scratch.file(
        "grow.py",
        "import time\nheld = []\nwhile True:\n    held.append(b'x' * (4 << 20))\n    time.sleep(0.02)\n",
    );
    let bundle = Bundle {
        scope: Scope::System,
        ecosystem: "agents".into(),
        files: vec![
            target("agents", &["grow"]),
            unit(
                "agents-grow.service",
                &format!(
                    "[Service]\nExecStart=/usr/bin/python3 {grow}\nMemoryMax=60M\nRestart=always\nRestartSec=0.2\n"
                ),
            ),
        ],
    };
    install_now(&sandbox, &bundle);
    sandbox.wait_for("agents-grow NRestarts >= 2", WAIT, || {
        number(&sandbox, "agents-grow.service", "NRestarts")
            .and_then(|n| if n >= 2 { Ok(n) } else { Err(n.to_string()) })
    });
    assert_eq!(
        sandbox.property("agents-grow.service", "MemoryMax"),
        (60u64 << 20).to_string()
    );
    // The kill itself is the kernel's: its log names the unit's cgroup.
    let kernel = String::from_utf8_lossy(&sandbox.exec(&["dmesg"]).stdout).into_owned();
    assert!(
        kernel
            .lines()
            .any(|l| l.contains("oom") && l.contains("agents-grow.service")),
        "no OOM kill of agents-grow.service in the kernel log"
    );
}

#[test]
fn restart_limit_ends_failed_after_three_restarts() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let bundle = Bundle {
        scope: Scope::System,
        ecosystem: "agents".into(),
        files: vec![
            target("agents", &["crash"]),
            unit(
                "agents-crash.service",
                "[Unit]\nStartLimitIntervalSec=60\nStartLimitBurst=3\n\n[Service]\nExecStart=/bin/sh -c 'sleep 0.3; exit 3'\nRestart=always\nRestartSec=0.5\n",
            ),
        ],
    };
    install_now(&sandbox, &bundle);
    wait_property(
        &sandbox,
        "agents-crash.service",
        "ActiveState",
        "failed",
        WAIT,
    );
    assert_eq!(number(&sandbox, "agents-crash.service", "NRestarts"), Ok(3));
}

#[test]
fn exact_environment_values_reach_the_process() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("env");
    let value = r#"50% of $HOME is \ and "q" 'sq' ; # x"#;
    let probe = scratch.file(
        "probe.py",
        "import os, time\nopen('/run/probe-value', 'w').write(os.environ['TRICKY'])\ntime.sleep(3600)\n",
    );
    let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
    let bundle = Bundle {
        scope: Scope::System,
        ecosystem: "agents".into(),
        files: vec![
            target("agents", &["env"]),
            unit(
                "agents-env.service",
                &format!(
                    "[Service]\nEnvironmentFile=%E/ecosystemd/env/agents-env.env\nExecStart=/usr/bin/python3 {probe}\n"
                ),
            ),
            owned_file(
                "agents",
                FileKind::Env,
                "agents-env.env",
                0o600,
                &format!("TRICKY=\"{quoted}\"\n"),
            ),
        ],
    };
    install_now(&sandbox, &bundle);
    let seen = sandbox.wait_for("the probe's value", WAIT, || {
        std::fs::read_to_string(sandbox.path("/run/probe-value")).map_err(|e| e.to_string())
    });
    assert_eq!(seen, value);
    // Absolute links resolve against the caller's root: follow this one by hand.
    let link = std::fs::read_link(sandbox.path("/etc/ecosystemd/env/agents-env.env")).unwrap();
    let meta = std::fs::metadata(sandbox.path(&link.display().to_string())).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
}

#[test]
fn cron_timer_and_watch_path_restart_their_agents() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("cron");
    let watched = scratch.file("watched.txt", "one\n");
    let bundle = Bundle {
        scope: Scope::System,
        ecosystem: "agents".into(),
        files: vec![
            owned_file(
                "agents",
                FileKind::Unit,
                "agents.target",
                0o644,
                "[Unit]\nWants=agents-cron.service agents-cron-restart.timer agents-watch.service agents-watch-restart.path\n\n[Install]\nWantedBy=multi-user.target\n",
            ),
            unit(
                "agents-cron.service",
                "[Service]\nExecStart=/bin/sleep infinity\n",
            ),
            unit(
                "agents-cron-restart.service",
                "[Service]\nType=oneshot\nExecStart=/bin/systemctl try-restart agents-cron.service\n",
            ),
            unit(
                "agents-cron-restart.timer",
                "[Timer]\nOnCalendar=*-*-* *:*:0/5\nAccuracySec=1s\n",
            ),
            unit(
                "agents-watch.service",
                "[Service]\nExecStart=/bin/sleep infinity\n",
            ),
            unit(
                "agents-watch-restart.service",
                "[Service]\nType=oneshot\nExecStart=/bin/systemctl try-restart agents-watch.service\n",
            ),
            unit(
                "agents-watch-restart.path",
                &format!("[Path]\nPathModified={watched}\n"),
            ),
        ],
    };
    install_now(&sandbox, &bundle);
    let first = sandbox.wait_for("agents-cron running", WAIT, || {
        number(&sandbox, "agents-cron.service", "MainPID")
            .and_then(|p| if p > 0 { Ok(p) } else { Err(p.to_string()) })
    });
    sandbox.wait_for(
        "agents-cron restarted by its timer",
        Duration::from_secs(30),
        || {
            number(&sandbox, "agents-cron.service", "MainPID").and_then(|p| {
                if p > 0 && p != first {
                    Ok(())
                } else {
                    Err(p.to_string())
                }
            })
        },
    );

    let before = sandbox.wait_for("agents-watch running", WAIT, || {
        number(&sandbox, "agents-watch.service", "MainPID")
            .and_then(|p| if p > 0 { Ok(p) } else { Err(p.to_string()) })
    });
    wait_property(
        &sandbox,
        "agents-watch-restart.path",
        "ActiveState",
        "active",
        WAIT,
    );
    std::fs::write(&watched, "two\n").unwrap();
    sandbox.wait_for(
        "agents-watch restarted on change",
        Duration::from_secs(30),
        || {
            number(&sandbox, "agents-watch.service", "MainPID").and_then(|p| {
                if p > 0 && p != before {
                    Ok(())
                } else {
                    Err(p.to_string())
                }
            })
        },
    );
}

#[test]
fn log_namespace_output_and_rotation_limits() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let bundle = Bundle {
        scope: Scope::System,
        ecosystem: "agents".into(),
        files: vec![
            target("agents", &["talk"]),
            unit(
                "agents-talk.service",
                "[Service]\nLogNamespace=agents\nSyslogIdentifier=agents-talk\nExecStart=/bin/sh -c 'echo hello from the namespace; exec sleep infinity'\n",
            ),
            owned_file(
                "agents",
                FileKind::Journald,
                "journald@agents.conf",
                0o644,
                "[Journal]\nStorage=persistent\nSystemMaxUse=24M\nSystemMaxFileSize=3M\nMaxRetentionSec=2day\n",
            ),
        ],
    };
    install_now(&sandbox, &bundle);
    sandbox.wait_for("output in the agents namespace", WAIT, || {
        let out = journal(&sandbox, &["--namespace=agents", "-t", "agents-talk"]);
        if out.contains("hello from the namespace") {
            Ok(())
        } else {
            Err(out)
        }
    });
    // journald reports its space limits at start in the namespace's own journal.
    sandbox.wait_for("the namespace journald's configured limit", WAIT, || {
        let all = journal(&sandbox, &["--namespace=agents"]);
        if all.contains("max 24.0M") {
            Ok(())
        } else {
            Err(all)
        }
    });

    // New limits: install --now restarts that namespace's journald to apply them.
    let mut changed = bundle.clone();
    if let Some(conf) = changed
        .files
        .iter_mut()
        .find(|f| f.kind == FileKind::Journald)
    {
        conf.contents = conf
            .contents
            .replace("SystemMaxUse=24M", "SystemMaxUse=40M");
    }
    install_now(&sandbox, &changed);
    sandbox.wait_for("the namespace journald's new limit", WAIT, || {
        let all = journal(&sandbox, &["--namespace=agents"]);
        if all.contains("max 40.0M") {
            Ok(())
        } else {
            Err(all)
        }
    });
}
