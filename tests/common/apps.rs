//! Test apps rendered by `gen-units` and installed live in a sandbox.

#![allow(dead_code)] // each test crate uses a different part of the helpers

use std::time::Duration;

use super::sandbox::Sandbox;

/// A Node HTTP app as PM2 runs one: it listens on `PORT`, answers `200` with its
/// instance id (`NODE_APP_INSTANCE`) on the first line of the body and its PID on the
/// second, closes gracefully on SIGINT (PM2's and the units' stop signal), exits 1 at
/// start when a file `fail-<instance>` lies beside it (a broken deploy), and grows its
/// memory by 8 MiB every 50 ms while a file `grow-<instance>` does (a leak).
pub const APP_JS: &str = r#"'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const instance = process.env.NODE_APP_INSTANCE || '-';
if (fs.existsSync(path.join(__dirname, `fail-${instance}`))) {
  console.error(`instance ${instance}: told to fail`);
  process.exit(1);
}
const server = http.createServer((request, response) => {
  const body = `${instance}\n${process.pid}\n`;
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  response.end(body);
});
server.listen(Number(process.env.PORT));
const leak = [];
setInterval(() => {
  if (fs.existsSync(path.join(__dirname, `grow-${instance}`))) {
    leak.push(Buffer.alloc(8 << 20, 1));
  }
}, 50);
process.on('SIGINT', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
"#;

/// Renders the ecosystem file at `file` with `gen-units` inside `sandbox` and installs
/// it with `--now`; panics with their output when either fails.
pub fn install(sandbox: &Sandbox, file: &str, gen_units: &str) {
    let render = sandbox.exec(&[gen_units, file]);
    assert!(
        render.status.success(),
        "gen-units {file}: {}",
        String::from_utf8_lossy(&render.stderr)
    );
    let mut install = sandbox.command(&[gen_units, "install", "--now"]);
    install
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = install.spawn().expect("gen-units install");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&render.stdout).expect("bundle to install");
    }
    let output = child.wait_with_output().expect("gen-units install output");
    assert!(
        output.status.success(),
        "gen-units install --now: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One `GET /` on 127.0.0.1:`port` of the calling thread's network (see
/// [`Sandbox::in_network`]): the body, or why there is none.
pub fn get(port: u16) -> Result<String, String> {
    use std::io::{Read as _, Write as _};
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| e.to_string())?;
    match reply.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_string()),
        _ => Err(format!("bad reply {reply:?}")),
    }
}

/// Waits until 127.0.0.1:`port` of the sandbox's network answers, and returns the body.
pub fn wait_serving(sandbox: &Sandbox, port: u16, timeout: Duration) -> String {
    sandbox.wait_for(&format!("an answer on port {port}"), timeout, || {
        sandbox.in_network(|| get(port))
    })
}

/// The example `examples/agents`, copied into the sandbox (see [`Sandbox::copy_in`]);
/// returns its ecosystem file as seen inside.
pub fn copy_example_in(sandbox: &Sandbox) -> String {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents");
    format!(
        "{}/ecosystem.yaml",
        sandbox.copy_in(&example, "/srv/agents")
    )
}

/// `gen-units examples/agents/ecosystem.yaml | gen-units install --now`, inside the
/// sandbox, from a copy of the example (see [`copy_example_in`]); returns the installed
/// services that carry the `[X-Ecosystemd]` section (the agents), read inside, where
/// install's symlinks resolve.
pub fn put_example_live(sandbox: &Sandbox, gen_units: &str) -> Vec<String> {
    let example = copy_example_in(sandbox);
    let pipeline = r#""$0" "$1" | "$0" install --now"#;
    let output = sandbox.exec(&["/bin/sh", "-c", pipeline, gen_units, &example]);
    assert!(
        output.status.success(),
        "{pipeline}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = sandbox.exec(&[
        "/bin/sh",
        "-c",
        "grep -l '^\\[X-Ecosystemd\\]' /etc/systemd/system/*.service",
    ]);
    let mut agents: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|path| path.rsplit('/').next().map(String::from))
        .collect();
    agents.sort();
    agents
}
