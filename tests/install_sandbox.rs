//! `gen-units install` and `uninstall` against a real systemd: --now starts the group,
//! a re-install prunes what left the bundle while foreign units stay untouched, and
//! broken input changes nothing.

mod common;
mod install_support;

use std::time::Duration;

use common::sandbox::Sandbox;
use install_support::*;

const UNIT_DIR: &str = "/etc/systemd/system";
const UNIT_WATCHDOG: &str = env!("CARGO_BIN_EXE_unit-watchdog");
const WAIT: Duration = Duration::from_secs(30);

#[test]
fn install_now_prunes_spares_foreign_units_and_refuses_broken_input() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let foreign = "[Service]\nExecStart=/bin/sleep infinity\n";
    std::fs::create_dir_all(sandbox.path(UNIT_DIR)).expect("unit folder");
    std::fs::write(sandbox.path("/etc/systemd/system/foreign.service"), foreign)
        .expect("write foreign unit");

    let first = sleepers("agents", &["a", "b"]).to_text();
    assert_ok(
        &gen_units(&sandbox, &["install", "--now"], first.as_bytes()),
        "install",
    );
    for unit in ["agents-a.service", "agents-b.service", "agents.target"] {
        wait_property(&sandbox, unit, "ActiveState", "active", WAIT);
    }
    assert_eq!(
        sandbox.systemctl(&["is-enabled", "agents.target"]),
        "enabled"
    );
    assert_eq!(
        sandbox.property("agents-a.service", "FragmentPath"),
        "/etc/systemd/system/agents-a.service"
    );

    let second = sleepers("agents", &["a"]).to_text();
    let dry = gen_units(&sandbox, &["install", "--dry-run"], second.as_bytes());
    assert_ok(&dry, "dry run");
    let dry_out = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry_out.contains("remove /etc/systemd/system/agents-b.service"),
        "{dry_out}"
    );
    assert!(
        dry_out.contains("change /etc/systemd/system/agents.target"),
        "{dry_out}"
    );
    assert_eq!(
        sandbox.property("agents-b.service", "ActiveState"),
        "active"
    );

    assert_ok(
        &gen_units(&sandbox, &["install", "--now"], second.as_bytes()),
        "re-install",
    );
    assert_eq!(
        sandbox.property("agents-b.service", "ActiveState"),
        "inactive"
    );
    assert_eq!(
        sandbox.property("agents-b.service", "LoadState"),
        "not-found"
    );
    assert_eq!(
        sandbox.property("agents-a.service", "ActiveState"),
        "active"
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.path("/etc/systemd/system/foreign.service")).unwrap(),
        foreign
    );

    let before = resolved(&sandbox, UNIT_DIR);
    let broken_inputs: [&[u8]; 5] = [
        b"",
        b"# ecosystemd bundle 1 scope=system ecosystem=agents\n#--- end 0 files\n",
        &second.as_bytes()[..second.len() / 2],
        b"error: ecosystem.yaml:3:1: unknown field\n",
        &first.as_bytes()[..first.len() - 1],
    ];
    for broken in broken_inputs {
        let output = gen_units(&sandbox, &["install", "--now"], broken);
        assert_eq!(
            code(&output),
            Some(2),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(resolved(&sandbox, UNIT_DIR), before);
    }
    assert_eq!(
        sandbox.property("agents-a.service", "ActiveState"),
        "active"
    );

    // A unit the tool does not own, named like one of the bundle's: refused up front.
    let clash = sleepers("agents", &["a", "foreign-twin"]);
    std::fs::write(
        sandbox.path("/etc/systemd/system/agents-foreign-twin.service"),
        foreign,
    )
    .unwrap();
    let before = resolved(&sandbox, UNIT_DIR);
    let output = gen_units(&sandbox, &["install"], clash.to_text().as_bytes());
    assert_eq!(code(&output), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("agents-foreign-twin.service"));
    assert_eq!(resolved(&sandbox, UNIT_DIR), before);

    let before = resolved(&sandbox, UNIT_DIR);
    let dry = gen_units(&sandbox, &["uninstall", "--dry-run", "agents"], b"");
    assert_ok(&dry, "uninstall --dry-run");
    let dry_out = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry_out.contains("remove /etc/systemd/system/agents-a.service"),
        "{dry_out}"
    );
    assert!(!dry_out.contains("foreign"), "{dry_out}");
    assert_eq!(resolved(&sandbox, UNIT_DIR), before);
    assert_eq!(
        sandbox.property("agents-a.service", "ActiveState"),
        "active"
    );

    assert_ok(
        &gen_units(&sandbox, &["uninstall", "agents"], b""),
        "uninstall",
    );
    assert_eq!(
        sandbox.property("agents-a.service", "ActiveState"),
        "inactive"
    );
    assert_eq!(sandbox.property("agents.target", "LoadState"), "not-found");
    assert_eq!(
        std::fs::read_to_string(sandbox.path("/etc/systemd/system/foreign.service")).unwrap(),
        foreign
    );
    assert!(!sandbox.path("/etc/ecosystemd/generations/agents").exists());
    assert!(
        !sandbox
            .path("/etc/systemd/system/multi-user.target.wants/agents.target")
            .exists()
    );
}

#[test]
fn runtime_install_lives_in_run_and_uninstalls() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("runtime");
    let bundle = scratch.file("fleet.bundle", &sleepers("fleet", &["x"]).to_text());
    let missing = gen_units(
        &sandbox,
        &["install", "--runtime", "--from", "/nonexistent"],
        b"",
    );
    assert_eq!(code(&missing), Some(2));
    assert_ok(
        &gen_units(
            &sandbox,
            &["install", "--runtime", "--now", "--from", &bundle],
            b"",
        ),
        "install --runtime --from",
    );
    wait_property(&sandbox, "fleet-x.service", "ActiveState", "active", WAIT);
    assert_eq!(
        sandbox.property("fleet-x.service", "FragmentPath"),
        "/run/systemd/system/fleet-x.service"
    );
    assert!(
        sandbox
            .path("/run/ecosystemd/generations/fleet/current")
            .exists()
    );
    assert!(!sandbox.path("/etc/systemd/system/fleet-x.service").exists());
    assert_ok(
        &gen_units(&sandbox, &["uninstall", "--runtime", "fleet"], b""),
        "uninstall --runtime",
    );
    assert_eq!(
        sandbox.property("fleet-x.service", "LoadState"),
        "not-found"
    );
}

#[test]
fn user_install_reaches_the_user_manager_and_refuses_system_bundles() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    // Keep the user manager's configuration inside the sandbox's private /tmp.
    let dropin = sandbox.path("/etc/systemd/system/user@0.service.d");
    std::fs::create_dir_all(&dropin).unwrap();
    std::fs::write(
        dropin.join("config.conf"),
        "[Service]\nEnvironment=XDG_CONFIG_HOME=/tmp/user-config\n",
    )
    .unwrap();
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", "user@0.service"]);
    wait_property(&sandbox, "user@0.service", "ActiveState", "active", WAIT);

    let env = [
        "/usr/bin/env",
        "XDG_CONFIG_HOME=/tmp/user-config",
        "XDG_RUNTIME_DIR=/run/user/0",
        "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/0/bus",
    ];
    let run = |args: &[&str], stdin: &[u8]| {
        let mut all: Vec<&str> = env.to_vec();
        all.push(GEN_UNITS);
        all.extend_from_slice(args);
        let mut command = sandbox.command(&all);
        command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("spawn");
        {
            use std::io::Write as _;
            let _ = child.stdin.take().expect("stdin").write_all(stdin);
        }
        child.wait_with_output().expect("output")
    };

    let system = sleepers("mine", &["x"]);
    let refused = run(&["install", "--user"], system.to_text().as_bytes());
    assert_eq!(code(&refused), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--user"));

    let mut user = sleepers("mine", &["x"]);
    user.scope = ecosystemd::bundle::Scope::User;
    if let Some(target) = user.files.iter_mut().find(|f| f.name == "mine.target") {
        target.contents = target
            .contents
            .replace("multi-user.target", "default.target");
    }
    // Managed, as gen-units writes it: the report below lists it.
    if let Some(service) = user.files.iter_mut().find(|f| f.name == "mine-x.service") {
        service
            .contents
            .push_str("\n[X-Ecosystemd]\nEcosystem=mine\nApp=x\n");
    }
    user.files.push(owned_file(
        "mine",
        ecosystemd::bundle::FileKind::Journald,
        "journald@mine.conf",
        0o644,
        "[Journal]\n",
    ));
    let output = run(&["install", "--user", "--now"], user.to_text().as_bytes());
    assert_ok(&output, "install --user");
    assert!(String::from_utf8_lossy(&output.stderr).contains("journald@mine.conf: not installed"));
    let user_property = |property: &str| {
        let mut all: Vec<&str> = env.to_vec();
        all.extend([
            "systemctl",
            "--user",
            "show",
            "-P",
            property,
            "mine-x.service",
        ]);
        String::from_utf8_lossy(&sandbox.exec(&all).stdout)
            .trim()
            .to_string()
    };
    sandbox.wait_for("mine-x.service active in the user manager", WAIT, || {
        let state = user_property("ActiveState");
        if state == "active" {
            Ok(())
        } else {
            Err(state)
        }
    });
    assert_eq!(
        user_property("FragmentPath"),
        "/tmp/user-config/systemd/user/mine-x.service"
    );
    // `unit-watchdog report --user` finds the unit on the user manager's search path and
    // reads its main process and cgroup.
    let mut report: Vec<&str> = env.to_vec();
    report.extend([UNIT_WATCHDOG, "report", "--user", "--format", "json"]);
    report.extend(["--restarts-from", "none"]);
    let output = sandbox.exec(&report);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "report --user is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let units = json["units"].as_array().expect("units");
    assert_eq!(units.len(), 1, "{json:#}");
    let unit = &units[0];
    assert_eq!(unit["name"], "mine-x.service");
    assert_eq!(unit["active_state"], "active");
    assert_eq!(
        unit["main_pid"].as_u64(),
        user_property("MainPID").parse::<u64>().ok()
    );
    assert_eq!(unit["restarts_total"], 0);
    assert!(unit["uptime_seconds"].is_u64(), "{unit:#}");
    assert_eq!(output.status.code(), Some(0), "{json:#}");
    // It talks to the user manager on its private socket, as `systemctl --user` does: the
    // same answer with no session bus to go through.
    let mut direct = report.clone();
    direct[3] = "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/0/no-such-bus";
    let direct_output = sandbox.exec(&direct);
    let direct_json: serde_json::Value = serde_json::from_slice(&direct_output.stdout)
        .unwrap_or_else(|e| {
            panic!(
                "report --user without a session bus is not JSON ({e}): {}",
                String::from_utf8_lossy(&direct_output.stderr)
            )
        });
    assert_eq!(
        direct_json["units"][0]["main_pid"], unit["main_pid"],
        "{direct_json:#}"
    );
    assert!(!sandbox.path("/etc/systemd/journald@mine.conf").exists());

    // `unit-watchdog reload --user` restarts the group in the user manager.
    let old_pid = user_property("MainPID");
    let mut reload: Vec<&str> = env.to_vec();
    reload.extend([
        UNIT_WATCHDOG,
        "reload",
        "--user",
        "mine",
        "--min-uptime",
        "200",
    ]);
    let output = sandbox.exec(&reload);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let new_pid = user_property("MainPID");
    assert_ne!(new_pid, old_pid);
    assert!(
        stdout.starts_with("mine-x.service: ready in ")
            && stdout.contains(&format!("main PID {old_pid} -> {new_pid})")),
        "{stdout}"
    );

    assert_ok(
        &run(&["uninstall", "--user", "mine"], b""),
        "uninstall --user",
    );
    sandbox.wait_for("mine-x.service gone from the user manager", WAIT, || {
        let state = user_property("LoadState");
        if state == "not-found" {
            Ok(())
        } else {
            Err(state)
        }
    });
    assert!(
        !sandbox
            .path("/tmp/user-config/ecosystemd/generations/mine")
            .exists()
    );
}
