//! `gen-units install` and `uninstall` against a real systemd: --now starts the group,
//! a re-install prunes what left the bundle while foreign units stay untouched, and
//! broken input changes nothing.

mod common;
mod install_support;

use std::time::Duration;

use common::sandbox::Sandbox;
use install_support::*;

const UNIT_DIR: &str = "/etc/systemd/system";
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
    let broken_inputs: [&[u8]; 4] = [
        b"",
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
