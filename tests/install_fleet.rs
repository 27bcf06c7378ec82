//! The 74-agent example with real Node HTTP agents, rendered by `gen-units` and
//! installed with `--now`: every agent's unit is active and answers on its port, under
//! the default (strict) hardening profile.

mod common;
mod install_support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use common::sandbox::Sandbox;
use ecosystemd::bundle::{Bundle, FileKind};
use install_support::*;

/// `GET /` on `port` of the calling thread's network.
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
    if reply.starts_with("HTTP/1.") {
        Ok(reply)
    } else {
        Err(format!("port {port}: {reply:?}"))
    }
}

#[test]
fn the_74_agent_example_runs_and_answers_under_default_hardening() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let path = common::apps::copy_example_in(&sandbox);
    let rendered = gen_units(&sandbox, &[&path], b"");
    assert_ok(&rendered, "gen-units examples/agents/ecosystem.yaml");
    assert_ok(
        &gen_units(&sandbox, &["install", "--now"], &rendered.stdout),
        "install --now",
    );
    let bundle = Bundle::parse(&String::from_utf8_lossy(&rendered.stdout)).expect("a bundle");
    // Every agent with a port (each cluster instance has its own): its service, from
    // its environment file's name, must be active and answer as itself.
    let mut agents = Vec::new();
    for env in bundle.files.iter().filter(|f| f.kind == FileKind::Env) {
        let value = |key: &str| {
            env.contents.lines().find_map(|line| {
                let value = line.strip_prefix(key)?.strip_prefix('=')?;
                Some(value.trim_matches('"').to_string())
            })
        };
        if let (Some(port), Some(name)) = (value("PORT"), value("AGENT_NAME")) {
            let unit = format!("{}.service", env.name.trim_end_matches(".env"));
            agents.push((unit, port.parse::<u16>().expect("numeric PORT"), name));
        }
    }
    assert!(
        agents.len() >= 74,
        "only {} agents with a port",
        agents.len()
    );
    for (unit, port, name) in &agents {
        let reply = sandbox.wait_for(
            &format!("{unit} answering on {port}"),
            Duration::from_secs(120),
            || {
                let state = sandbox.property(unit, "ActiveState");
                if state != "active" {
                    return Err(format!("{unit} is {state}"));
                }
                sandbox.in_network(|| answer(*port))
            },
        );
        assert!(
            reply.contains(&format!("\"name\":\"{name}\"")),
            "{unit}: {reply}"
        );
    }
    // The default profile: strict hardening on every agent.
    let (unit, _, _) = &agents[0];
    assert_eq!(sandbox.property(unit, "ProtectSystem"), "strict");
    assert_eq!(sandbox.property(unit, "DynamicUser"), "yes");
}
