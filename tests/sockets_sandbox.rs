//! Sockets held by systemd and readiness, against a real systemd: unchanged Node apps
//! rendered from an ecosystem file, started in the sandbox, and asked over loopback.
//!
//! The sandbox shares the host's network, so the ports are fixed in a range unlikely
//! to be in use (39400-39499), one set per test, and checked free first.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::sandbox::Sandbox;
use ecosystemd::bundle::{Bundle, FileKind};
use ecosystemd::ecosystem::{self, LoadOptions};
use ecosystemd::render::{RenderOptions, Rendered, render_bundle};

/// An HTTP server answering with its pid and instance number; it closes on SIGINT
/// (graceful), as PM2 apps are told to.
const SERVER: &str = r#"
const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/grow') globalThis.hog = Buffer.alloc(400 << 20, 1);
  res.setHeader('Connection', 'close');
  res.end(`pid=${process.pid} instance=${process.env.NODE_APP_INSTANCE}\n`);
});
const port = process.env.PORT || process.env.HTTP_PORT;
if (process.env.HTTP_PORT) {
  server.listen({ port: Number(port), host: '0.0.0.0' });
} else {
  server.listen(port, () => console.log(`listening on ${port}`));
}
process.on('SIGINT', () => server.close(() => process.exit(0)));
"#;

/// A fresh folder for one test's apps, readable by the services' dynamic users.
struct AppDir(PathBuf);

impl AppDir {
    fn new(name: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sockets-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.0.join(name);
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Loads and renders `yaml` as the ecosystem file of this folder.
    fn render(&self, yaml: &str) -> Rendered {
        self.write("ecosystem.yaml", yaml);
        let ecosystem =
            ecosystem::load(&self.0.join("ecosystem.yaml"), &LoadOptions::default()).unwrap();
        render_bundle(&ecosystem, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for AppDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Puts a bundle's files where the sandbox's system manager finds them, and starts
/// its target.
fn install_and_start(sandbox: &Sandbox, bundle: &Bundle) {
    for file in &bundle.files {
        let dir = match file.kind {
            FileKind::Unit => "/run/systemd/system",
            FileKind::Env => "/etc/ecosystemd/env",
            FileKind::Lib => "/etc/ecosystemd/lib",
            FileKind::Journald => "/etc/systemd",
        };
        let path = sandbox.path(dir).join(&file.name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        // Open to the apps' users (the preload) as install makes it, whatever the umask.
        fs::set_permissions(path.parent().unwrap(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(&path, &file.contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(file.mode)).unwrap();
    }
    sandbox.systemctl(&["daemon-reload"]);
    let target = bundle
        .files
        .iter()
        .find(|f| f.name.ends_with(".target"))
        .unwrap();
    sandbox.systemctl(&["start", &target.name]);
}

/// One request to the sandbox's `port`; the error kind tells a refused connection from
/// other failures.
fn get(sandbox: &Sandbox, port: u16) -> Result<String, ErrorKind> {
    sandbox.in_network(|| request(port, "/"))
}

/// One request to `port` on the calling thread's network.
fn request(port: u16, path: &str) -> Result<String, ErrorKind> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(5))
            .map_err(|e| e.kind())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.kind())?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .map_err(|e| e.kind())?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| e.kind())?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .ok_or(ErrorKind::InvalidData)?;
    Ok(body)
}

fn serving(sandbox: &Sandbox, port: u16) -> String {
    sandbox.wait_for(
        &format!("port {port} to answer"),
        Duration::from_secs(30),
        || {
            get(sandbox, port).map_err(|e| {
                let journal = sandbox.exec(&["journalctl", "--no-pager", "-n", "20"]);
                format!("{e:?}:\n{}", String::from_utf8_lossy(&journal.stdout))
            })
        },
    )
}

/// The distinct answers (pid and instance) of `count` sequential requests, with how
/// many requests each answered.
fn answers(sandbox: &Sandbox, port: u16, count: usize) -> BTreeMap<String, u32> {
    sandbox.in_network(|| {
        let mut seen = BTreeMap::new();
        for _ in 0..count {
            let answer = request(port, "/").unwrap_or_else(|e| panic!("request to {port}: {e:?}"));
            *seen.entry(answer).or_insert(0) += 1;
        }
        seen
    })
}

fn wait_active(sandbox: &Sandbox, unit: &str) {
    sandbox.wait_for(
        &format!("{unit} to be active"),
        Duration::from_secs(30),
        || match sandbox.property(unit, "ActiveState").as_str() {
            "active" => Ok(()),
            other => Err(other.to_owned()),
        },
    );
}

#[test]
fn cluster_instances_share_one_port_through_port_and_http_port() {
    let ports = [39401, 39402];
    let dir = AppDir::new("cluster");
    dir.write("server.js", SERVER);
    let rendered = dir.render(&format!(
        "group: sockcluster\napps:\n\
         \x20 - name: api\n    script: server.js\n    instances: 4\n    exec_mode: cluster\n    env: {{PORT: {}}}\n\
         \x20 - name: web\n    script: server.js\n    instances: 4\n    env: {{HTTP_PORT: {}}}\n",
        ports[0], ports[1]
    ));
    let sockets = rendered
        .bundle
        .files
        .iter()
        .filter(|f| f.name.ends_with(".socket"))
        .count();
    assert_eq!(sockets, 8);
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    install_and_start(&sandbox, &rendered.bundle);
    for port in ports {
        serving(&sandbox, port);
        let seen = answers(&sandbox, port, 200);
        eprintln!("port {port}: {:?}", seen.values().collect::<Vec<_>>());
        let instances: BTreeSet<&str> = seen
            .keys()
            .filter_map(|a| a.split_whitespace().nth(1))
            .collect();
        assert_eq!(instances.len(), 4, "port {port}: {seen:?}");
        assert_eq!(seen.len(), 4, "one pid per instance on {port}: {seen:?}");
    }
    for index in 0..4 {
        let unit = format!("sockcluster-api-{index}.service");
        assert_eq!(sandbox.property(&unit, "NRestarts"), "0", "{unit}");
        assert_eq!(sandbox.property(&unit, "Type"), "notify", "{unit}");
    }
}

#[test]
fn wait_ready_is_ready_when_the_app_says_so_or_after_listen_timeout() {
    let ports = [39411, 39412, 39413];
    let dir = AppDir::new("ready");
    // Ready 1.5 s after start, listening at once; the other never says it.
    dir.write(
        "ready.js",
        "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT);\n\
         setTimeout(() => process.send('ready'), 1500);\n",
    );
    dir.write(
        "polite.js",
        "process.on('message', (m) => { console.log(`got ${m}`); process.exit(0); });\n\
         setInterval(() => {}, 1000);\n",
    );
    dir.write(
        "quick.js",
        "require('http').createServer((q, r) => r.end('ok'))\n\
         .listen(process.env.PORT, () => process.send('ready'));\n",
    );
    dir.write(
        "silent.js",
        "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT);\n",
    );
    let rendered = dir.render(&format!(
        "group: sockready\napps:\n\
         \x20 - name: ready\n    script: ready.js\n    wait_ready: true\n    listen_timeout: 60000\n    autostart: false\n    env: {{PORT: {}}}\n\
         \x20 - name: silent\n    script: silent.js\n    wait_ready: true\n    listen_timeout: 2500\n    autostart: false\n    env: {{PORT: {}}}\n\
         \x20 - name: quick\n    script: quick.js\n    wait_ready: true\n    max_restarts: 1000\n    listen_timeout: 60000\n    autostart: false\n    env: {{PORT: {}}}\n\
         \x20 - name: polite\n    script: polite.js\n    shutdown_with_message: true\n    kill_timeout: 30000\n",
        ports[0], ports[1], ports[2]
    ));
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    install_and_start(&sandbox, &rendered.bundle);
    for (unit, at_least, below) in [
        ("sockready-ready.service", 1.5, 20.0),
        ("sockready-silent.service", 2.5, 20.0),
    ] {
        let started = Instant::now();
        let out = sandbox.exec(&["systemctl", "start", unit]);
        let took = started.elapsed().as_secs_f64();
        assert!(out.status.success(), "{unit}: {out:?}");
        assert_eq!(sandbox.property(unit, "ActiveState"), "active", "{unit}");
        assert!(
            (at_least..below).contains(&took),
            "{unit} started in {took:.2} s, expected {at_least} to {below}"
        );
    }
    // The ready message is never lost (systemd-notify waits until systemd has read
    // it, with NotifyAccess=all): no restart waits for the 60 s listen_timeout.
    let mut slowest: f64 = 0.0;
    for round in 0..100 {
        let started = Instant::now();
        let out = sandbox.exec(&["systemctl", "restart", "sockready-quick.service"]);
        let took = started.elapsed().as_secs_f64();
        assert!(out.status.success(), "round {round}: {out:?}");
        assert!(took < 10.0, "round {round}: the restart took {took:.2} s");
        slowest = slowest.max(took);
    }
    eprintln!("100 restarts of an app ready at once: the slowest took {slowest:.2} s");
    assert_eq!(get(&sandbox, ports[0]).as_deref(), Ok("ok"));

    // shutdown_with_message: the stop signal arrives as the `shutdown` message, and the
    // app exits by itself long before kill_timeout (30 s).
    wait_active(&sandbox, "sockready-polite.service");
    let started = Instant::now();
    sandbox.systemctl(&["stop", "sockready-polite.service"]);
    let took = started.elapsed().as_secs_f64();
    let journal = sandbox.exec(&[
        "journalctl",
        "--no-pager",
        "-o",
        "cat",
        "-u",
        "sockready-polite.service",
    ]);
    let journal = String::from_utf8_lossy(&journal.stdout);
    assert!(journal.contains("got shutdown"), "{journal}");
    assert!(took < 10.0, "the stop took {took:.2} s");
    assert_eq!(
        sandbox.property("sockready-polite.service", "Result"),
        "success"
    );
}

#[test]
fn a_second_port_of_its_own_is_left_alone_and_a_wrapper_still_serves() {
    let ports = [39421, 39422, 39423];
    let dir = AppDir::new("alone");
    dir.write(
        "two.js",
        &format!(
            "const http = require('http');\n\
             http.createServer((q, r) => r.end('main')).listen(process.env.PORT);\n\
             http.createServer((q, r) => r.end('admin')).listen({}, '127.0.0.1');\n",
            ports[1]
        ),
    );
    dir.write("server.js", SERVER);
    // Like `npm start`: a shell that runs node as its child.
    dir.write(
        "start.sh",
        "#!/bin/sh\n/usr/bin/node \"$(dirname \"$0\")/server.js\"\n",
    );
    let rendered = dir.render(&format!(
        "group: sockalone\napps:\n\
         \x20 - name: two\n    script: two.js\n    env: {{PORT: {}}}\n\
         \x20 - name: wrapped\n    script: start.sh\n    interpreter: none\n    env: {{PORT: {}}}\n",
        ports[0], ports[2]
    ));
    let names: Vec<&str> = rendered
        .bundle
        .files
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert!(names.contains(&"sockalone-two.socket"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains(&ports[1].to_string())),
        "{names:?}"
    );
    assert!(!names.contains(&"sockalone-wrapped.socket"), "{names:?}");
    let warned: Vec<String> = rendered
        .warnings
        .iter()
        .map(ToString::to_string)
        .filter(|w| w.contains("listening socket"))
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("(app wrapped)"), "{}", warned[0]);
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    install_and_start(&sandbox, &rendered.bundle);
    assert_eq!(serving(&sandbox, ports[0]), "main");
    assert_eq!(serving(&sandbox, ports[1]), "admin");
    assert!(serving(&sandbox, ports[2]).starts_with("pid="));
}

/// Requests made by a client loop while `during` runs: (ok, refused, other failures).
fn under_load(sandbox: &Sandbox, port: u16, during: impl FnOnce()) -> (u32, u32, u32) {
    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let stop = Arc::clone(&stop);
        let network = sandbox.network();
        thread::spawn(move || {
            network.enter();
            let (mut ok, mut refused, mut failed) = (0, 0, 0);
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline && ok < 20_000 {
                match request(port, "/") {
                    Ok(_) => ok += 1,
                    Err(ErrorKind::ConnectionRefused) => refused += 1,
                    Err(_) => failed += 1,
                }
            }
            (ok, refused, failed)
        })
    };
    thread::sleep(Duration::from_millis(300));
    during();
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    client.join().unwrap()
}

#[test]
fn restarts_refuse_no_connection_and_a_crash_loop_stays_alone() {
    let ports = [39431, 39432, 39433, 39434];
    let dir = AppDir::new("restart");
    dir.write("server.js", SERVER);
    // Instance 1 crashes at once, every time; the others serve.
    dir.write(
        "flaky.js",
        &format!("if (process.env.NODE_APP_INSTANCE === '1') process.exit(3);\n{SERVER}"),
    );
    let rendered = dir.render(&format!(
        "group: sockrestart\napps:\n\
         \x20 - name: api\n    script: server.js\n    instances: 4\n    env: {{PORT: {}}}\n\
         \x20 - name: solo\n    script: server.js\n    env: {{PORT: {}}}\n\
         \x20 - name: flaky\n    script: flaky.js\n    instances: 3\n    max_restarts: 2\n    restart_delay: 200\n    env: {{PORT: {}}}\n\
         \x20 - name: hog\n    script: server.js\n    instances: 2\n    max_memory_restart: 150M\n    env: {{PORT: {}}}\n",
        ports[0], ports[1], ports[2], ports[3]
    ));
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    install_and_start(&sandbox, &rendered.bundle);
    for port in ports {
        serving(&sandbox, port);
    }

    let restart = |units: &[&str]| {
        let mut args = vec!["systemctl", "restart"];
        args.extend_from_slice(units);
        let out = sandbox.exec(&args);
        assert!(out.status.success(), "{units:?}: {out:?}");
    };
    let (ok, refused, failed) = under_load(&sandbox, ports[1], || {
        restart(&["sockrestart-solo.service"])
    });
    eprintln!("fork-mode restart: {ok} ok, {refused} refused, {failed} failed");
    assert_eq!(refused, 0);
    assert!(ok > 0);

    let all: Vec<String> = (0..4)
        .map(|i| format!("sockrestart-api-{i}.service"))
        .collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let (ok, refused, failed) = under_load(&sandbox, ports[0], || {
        restart(&all);
        for unit in &all {
            wait_active(&sandbox, unit);
        }
        sandbox.systemctl(&["kill", "-s", "SIGKILL", all[2]]);
        thread::sleep(Duration::from_millis(500));
        wait_active(&sandbox, all[2]);
    });
    eprintln!("cluster restart of all and a SIGKILL: {ok} ok, {refused} refused, {failed} failed");
    assert_eq!(refused, 0);
    assert!(ok > 0);

    // The kernel kills an instance at its MemoryMax=; the other one serves meanwhile.
    let hogs = ["sockrestart-hog-0.service", "sockrestart-hog-1.service"];
    let (ok, refused, failed) = under_load(&sandbox, ports[3], || {
        let _ = sandbox.in_network(|| request(ports[3], "/grow"));
        sandbox.wait_for("an instance to be killed", Duration::from_secs(30), || {
            let restarts: Vec<String> = hogs
                .iter()
                .map(|u| sandbox.property(u, "NRestarts"))
                .collect();
            if restarts.iter().any(|n| n == "1") {
                Ok(())
            } else {
                Err(format!("NRestarts {restarts:?}"))
            }
        });
        for unit in hogs {
            wait_active(&sandbox, unit);
        }
    });
    eprintln!("memory-limit kill of one instance: {ok} ok, {refused} refused, {failed} failed");
    assert_eq!(refused, 0);
    assert!(ok > 0);

    // The crash loop ends at the start limit and takes only its own socket down.
    sandbox.wait_for(
        "the crashing instance to fail",
        Duration::from_secs(30),
        || match sandbox
            .property("sockrestart-flaky-1.service", "ActiveState")
            .as_str()
        {
            "failed" => Ok(()),
            other => Err(other.to_owned()),
        },
    );
    thread::sleep(Duration::from_secs(2));
    let flaky = "sockrestart-flaky-1.service";
    assert_eq!(sandbox.property(flaky, "ActiveState"), "failed");
    // max_restarts: 2 is StartLimitBurst=3: three runs; the third restart systemd
    // schedules is the one the start limit refuses.
    assert_eq!(sandbox.property(flaky, "NRestarts"), "3");
    assert_eq!(
        sandbox.property("sockrestart-flaky-1.socket", "Result"),
        "service-start-limit-hit"
    );
    assert_eq!(
        sandbox.property("sockrestart-flaky-1.socket", "ActiveState"),
        "failed"
    );
    let seen = answers(&sandbox, ports[2], 100);
    let instances: BTreeSet<&str> = seen
        .keys()
        .filter_map(|a| a.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        instances,
        BTreeSet::from(["instance=0", "instance=2"]),
        "{seen:?}"
    );
    restart(&["sockrestart-flaky-0.service"]);
    wait_active(&sandbox, "sockrestart-flaky-0.service");
    assert_eq!(
        sandbox.property("sockrestart-flaky-2.socket", "ActiveState"),
        "active"
    );
}

#[test]
fn a_user_manager_gets_the_socket_and_the_preload_from_install() {
    let port = 39451;
    let dir = AppDir::new("user");
    dir.write("server.js", SERVER);
    dir.write(
        "ecosystem.yaml",
        &format!(
            "group: sockuser\napps:\n  - name: web\n    script: server.js\n    instances: 2\n    env: {{PORT: {port}}}\n"
        ),
    );
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    // The user manager's configuration (%E) in the sandbox's private /run, outside
    // the services' private /tmp.
    let config = "/run/sockuser-config";
    let dropin = sandbox.path("/etc/systemd/system/user@0.service.d");
    fs::create_dir_all(&dropin).unwrap();
    fs::write(
        dropin.join("config.conf"),
        format!("[Service]\nEnvironment=XDG_CONFIG_HOME={config}\n"),
    )
    .unwrap();
    sandbox.systemctl(&["daemon-reload"]);
    sandbox.systemctl(&["start", "user@0.service"]);
    wait_active(&sandbox, "user@0.service");
    let gen_units = env!("CARGO_BIN_EXE_gen-units");
    let file = dir.0.join("ecosystem.yaml").display().to_string();
    let pipeline = r#""$0" --user "$1" | "$0" install --user --now"#;
    let output = sandbox.exec(&[
        "/usr/bin/env",
        &format!("XDG_CONFIG_HOME={config}"),
        "XDG_RUNTIME_DIR=/run/user/0",
        "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/0/bus",
        "/bin/sh",
        "-c",
        pipeline,
        gen_units,
        &file,
    ]);
    assert!(output.status.success(), "{output:?}");
    let preload = sandbox.exec(&[
        "cat",
        &format!("{config}/ecosystemd/lib/sockuser.preload.cjs"),
    ]);
    assert!(preload.status.success(), "{preload:?}");
    serving(&sandbox, port);
    let seen = answers(&sandbox, port, 100);
    assert_eq!(seen.len(), 2, "both instances answer: {seen:?}");
}
