//! A fleet of 74 Node HTTP agents installed with `--now` under a strict hardening set:
//! every unit becomes active and every agent answers on its port.

mod common;
mod install_support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use common::sandbox::Sandbox;
use ecosystemd::bundle::{Bundle, FileKind, Scope};
use install_support::*;

const AGENTS: u16 = 74;
const HARDENING: &str = "DynamicUser=yes\nProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes\nPrivateUsers=yes\nProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectControlGroups=yes\nProtectClock=yes\nProtectHostname=yes\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\nRestrictNamespaces=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\nLockPersonality=yes\nNoNewPrivileges=yes\nSystemCallArchitectures=native\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\nCapabilityBoundingSet=\n";

fn answer(port: u16) -> Result<String, String> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))
            .map_err(|e| format!("port {port}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .map_err(|e| format!("port {port}: {e}"))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| format!("port {port}: {e}"))?;
    Ok(reply)
}

#[test]
fn seventy_four_node_agents_start_and_answer_under_hardening() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("fleet");
    let agent = scratch.file(
        "agent.js",
        "const port = Number(process.env.PORT);\nrequire('http').createServer((q, s) => s.end(`agent ${process.env.AGENT} on ${port}\\n`)).listen(port, '127.0.0.1');\n",
    );
    // A port range of its own, so parallel test runs on one host rarely collide.
    let base = 40_000 + (std::process::id() % 200) as u16 * 100;
    let names: Vec<String> = (1..=AGENTS).map(|i| format!("a{i:02}")).collect();
    let apps: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut files = vec![target("fleet", &apps)];
    for (i, app) in apps.iter().enumerate() {
        let port = base + i as u16;
        files.push(owned_file(
            "fleet",
            FileKind::Unit,
            &format!("fleet-{app}.service"),
            0o644,
            &format!(
                "[Unit]\nPartOf=fleet.target\n\n[Service]\nEnvironmentFile=%E/ecosystemd/env/fleet-{app}.env\nExecStart=/usr/bin/node {agent}\nMemoryMax=200M\nRestart=always\n{HARDENING}\n[Install]\nWantedBy=fleet.target\n",
            ),
        ));
        files.push(owned_file(
            "fleet",
            FileKind::Env,
            &format!("fleet-{app}.env"),
            0o600,
            &format!("PORT={port}\nAGENT={app}\n"),
        ));
    }
    let bundle = Bundle {
        scope: Scope::System,
        ecosystem: "fleet".into(),
        files,
    };
    assert_ok(
        &gen_units(&sandbox, &["install", "--now"], bundle.to_text().as_bytes()),
        "install --now",
    );
    for (i, app) in apps.iter().enumerate() {
        let unit = format!("fleet-{app}.service");
        let port = base + i as u16;
        let reply = sandbox.wait_for(
            &format!("{unit} answering on {port}"),
            Duration::from_secs(90),
            || {
                let state = sandbox.property(&unit, "ActiveState");
                if state != "active" {
                    return Err(format!("{unit} is {state}"));
                }
                answer(port)
            },
        );
        assert!(reply.contains(&format!("agent {app} on {port}")), "{reply}");
    }
}
