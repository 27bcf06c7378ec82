//! The acceptance of `gen-units FILE | gen-units install --now` on a real systemd, from
//! ecosystem files: memory and restart limits, cron and watch restarts, exact
//! environment values, journald namespaces, pruning and broken input.

mod common;
mod install_support;

use std::path::Path;
use std::time::Duration;

use common::sandbox::Sandbox;
use ecosystemd::bundle::Bundle;
use install_support::*;

const WAIT: Duration = Duration::from_secs(60);

/// Renders `ecosystem` with `gen-units` inside the sandbox and installs it `--now`;
/// returns the bundle.
fn render_and_install(sandbox: &Sandbox, ecosystem: &Path) -> Bundle {
    let path = ecosystem.display().to_string();
    let rendered = gen_units(sandbox, &[&path], b"");
    assert_ok(&rendered, "gen-units FILE");
    assert_ok(
        &gen_units(sandbox, &["install", "--now"], &rendered.stdout),
        "install --now",
    );
    Bundle::parse(&String::from_utf8_lossy(&rendered.stdout)).expect("a bundle")
}

fn number(sandbox: &Sandbox, unit: &str, property: &str) -> Result<u64, String> {
    let seen = sandbox.property(unit, property);
    seen.parse().map_err(|_| seen)
}

fn journal(sandbox: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["journalctl", "--no-pager", "-o", "cat"];
    all.extend_from_slice(args);
    String::from_utf8_lossy(&sandbox.exec(&all).stdout).into_owned()
}

#[test]
fn max_memory_restart_kills_at_the_limit_and_systemd_restarts() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-memory");
    scratch.file(
        "grow.js",
        "const held = [];\nsetInterval(() => held.push(Buffer.alloc(4 << 20, 1)), 20);\n",
    );
    let ecosystem = scratch.file(
        "ecosystem.yaml",
        "group: mem\napps:\n  - name: grow\n    script: grow.js\n    max_memory_restart: 60M\n",
    );
    render_and_install(&sandbox, Path::new(&ecosystem));
    assert_eq!(
        sandbox.property("mem-grow.service", "MemoryMax"),
        (60u64 << 20).to_string()
    );
    sandbox.wait_for("mem-grow NRestarts >= 2", WAIT, || {
        number(&sandbox, "mem-grow.service", "NRestarts")
            .and_then(|n| if n >= 2 { Ok(n) } else { Err(n.to_string()) })
    });
    let kernel = String::from_utf8_lossy(&sandbox.exec(&["dmesg"]).stdout).into_owned();
    assert!(
        kernel
            .lines()
            .any(|l| l.contains("oom") && l.contains("mem-grow.service")),
        "no OOM kill of mem-grow.service in the kernel log"
    );
}

#[test]
fn max_restarts_three_ends_failed_after_three_restarts() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-crash");
    let crash = scratch.file("crash.sh", "#!/bin/sh\necho crash run\nsleep 0.3\nexit 3\n");
    std::fs::set_permissions(&crash, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let ecosystem = scratch.file(
        "ecosystem.yaml",
        "group: crash\napps:\n  - name: crash\n    script: crash.sh\n    interpreter: none\n    max_restarts: 3\n",
    );
    render_and_install(&sandbox, Path::new(&ecosystem));
    wait_property(
        &sandbox,
        "crash-crash.service",
        "ActiveState",
        "failed",
        WAIT,
    );
    // PM2's max_restarts: 3 restarts, then errored: the agent ran 1 + 3 times. (systemd's
    // NRestarts also counts the restart the start limit refused.)
    let runs = || {
        journal(&sandbox, &["-u", "crash-crash.service"])
            .lines()
            .filter(|l| *l == "crash run")
            .count()
    };
    let seen = sandbox.wait_for("four runs in the journal", Duration::from_secs(10), || {
        let n = runs();
        if n >= 4 { Ok(n) } else { Err(n.to_string()) }
    });
    assert_eq!(seen, 4, "ran {seen} times");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(runs(), 4);
    assert_eq!(
        sandbox.property("crash-crash.service", "ActiveState"),
        "failed"
    );
}

#[test]
fn cron_restart_and_watch_restart_their_agents() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-cron");
    scratch.file("idle.js", "setInterval(() => {}, 1000);\n");
    let watched = scratch.file("watched.txt", "one\n");
    let ecosystem = scratch.file(
        "ecosystem.yaml",
        "group: cw\napps:\n  - name: cron\n    script: idle.js\n    cron_restart: '*/5 * * * * *'\n  - name: watch\n    script: idle.js\n    watch: [watched.txt]\n",
    );
    render_and_install(&sandbox, Path::new(&ecosystem));
    let running = |unit: &str| {
        number(&sandbox, unit, "MainPID")
            .and_then(|p| if p > 0 { Ok(p) } else { Err(p.to_string()) })
    };
    let first = sandbox.wait_for("cw-cron running", WAIT, || running("cw-cron.service"));
    sandbox.wait_for(
        "cw-cron restarted by its timer",
        Duration::from_secs(30),
        || {
            running("cw-cron.service").and_then(|p| {
                if p != first {
                    Ok(())
                } else {
                    Err(p.to_string())
                }
            })
        },
    );
    let before = sandbox.wait_for("cw-watch running", WAIT, || running("cw-watch.service"));
    std::thread::sleep(Duration::from_secs(1));
    std::fs::write(&watched, "two\n").unwrap();
    sandbox.wait_for(
        "cw-watch restarted on change",
        Duration::from_secs(30),
        || {
            running("cw-watch.service").and_then(|p| {
                if p != before {
                    Ok(())
                } else {
                    Err(p.to_string())
                }
            })
        },
    );
}

#[test]
fn a_tricky_env_value_reaches_the_process_exactly() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-env");
    let value = r#"50% of $HOME is \ and "q" 'sq' ; # x"#;
    scratch.file(
        "probe.js",
        "console.log('VALUE=' + JSON.stringify(process.env.TRICKY));\nsetInterval(() => {}, 1000);\n",
    );
    let yaml_value = value.replace('\'', "''");
    let ecosystem = scratch.file(
        "ecosystem.yaml",
        &format!("group: env\napps:\n  - name: probe\n    script: probe.js\n    env:\n      TRICKY: '{yaml_value}'\n"),
    );
    render_and_install(&sandbox, Path::new(&ecosystem));
    let want = format!("VALUE={}", serde_json::to_string(value).unwrap());
    sandbox.wait_for("the probe's value in the journal", WAIT, || {
        let out = journal(&sandbox, &["-u", "env-probe.service"]);
        if out.lines().any(|l| l == want) {
            Ok(())
        } else {
            Err(out)
        }
    });
}

#[test]
fn log_namespace_holds_the_output_and_the_rotation_limits() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-logs");
    scratch.file(
        "talk.js",
        "console.log('hello from the namespace');\nsetInterval(() => {}, 1000);\n",
    );
    let ecosystem = scratch.file(
        "ecosystem.yaml",
        "group: logs\nlogs:\n  namespace: fleet\n  max_use: 24M\n  max_size: 3M\napps:\n  - name: talk\n    script: talk.js\n",
    );
    render_and_install(&sandbox, Path::new(&ecosystem));
    sandbox.wait_for("output in the fleet namespace", WAIT, || {
        let out = journal(&sandbox, &["--namespace=fleet", "-u", "logs-talk.service"]);
        if out.contains("hello from the namespace") {
            Ok(())
        } else {
            Err(out)
        }
    });
    sandbox.wait_for("the fleet journald's configured limit", WAIT, || {
        let out = journal(&sandbox, &["--namespace=fleet"]);
        if out.contains("max 24.0M") {
            Ok(())
        } else {
            Err(out)
        }
    });

    // New limits: install --now restarts that namespace's journald to apply them.
    scratch.file(
        "ecosystem.yaml",
        "group: logs\nlogs:\n  namespace: fleet\n  max_use: 40M\n  max_size: 3M\napps:\n  - name: talk\n    script: talk.js\n",
    );
    render_and_install(&sandbox, Path::new(&ecosystem));
    sandbox.wait_for("the fleet journald's new limit", WAIT, || {
        let out = journal(&sandbox, &["--namespace=fleet"]);
        if out.contains("max 40.0M") {
            Ok(())
        } else {
            Err(out)
        }
    });
}

#[test]
fn reinstall_without_an_app_prunes_it_and_a_broken_ecosystem_changes_nothing() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-prune");
    scratch.file("idle.js", "setInterval(() => {}, 1000);\n");
    let two = "group: pr\napps:\n  - name: keep\n    script: idle.js\n  - name: drop\n    script: idle.js\n";
    let ecosystem = scratch.file("ecosystem.yaml", two);
    std::fs::create_dir_all(sandbox.path("/etc/systemd/system")).unwrap();
    let foreign = "[Service]\nExecStart=/bin/sleep infinity\n";
    std::fs::write(
        sandbox.path("/etc/systemd/system/pr-foreign.service"),
        foreign,
    )
    .unwrap();
    render_and_install(&sandbox, Path::new(&ecosystem));
    for unit in ["pr-keep.service", "pr-drop.service"] {
        wait_property(&sandbox, unit, "ActiveState", "active", WAIT);
    }

    scratch.file(
        "ecosystem.yaml",
        &two.replace("  - name: drop\n    script: idle.js\n", ""),
    );
    render_and_install(&sandbox, Path::new(&ecosystem));
    assert_eq!(
        sandbox.property("pr-drop.service", "LoadState"),
        "not-found"
    );
    assert_eq!(
        sandbox.property("pr-drop.service", "ActiveState"),
        "inactive"
    );
    assert_eq!(sandbox.property("pr-keep.service", "ActiveState"), "active");
    assert_eq!(
        std::fs::read_to_string(sandbox.path("/etc/systemd/system/pr-foreign.service")).unwrap(),
        foreign
    );

    // `gen-units bad.yaml | gen-units install`: the render fails, install refuses the
    // empty stream, nothing changes.
    let before = resolved(&sandbox, "/etc/systemd/system");
    scratch.file(
        "ecosystem.yaml",
        "group: pr\napps:\n  - name: keep\n    scrpit: idle.js\n",
    );
    let pipeline = r#""$0" "$1" | "$0" install --now"#;
    let output = sandbox.exec(&["/bin/sh", "-c", pipeline, GEN_UNITS, &ecosystem]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(resolved(&sandbox, "/etc/systemd/system"), before);
    assert_eq!(sandbox.property("pr-keep.service", "ActiveState"), "active");
}

#[test]
fn two_projects_named_pm2_json_install_side_by_side_and_never_replace_each_other() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-projects");
    let project = |folder: &str, app: &str| -> String {
        std::fs::create_dir_all(scratch.0.join(folder)).unwrap();
        scratch.file(
            &format!("{folder}/pm2.json"),
            &format!(
                "{{\"apps\": [{{\"name\": \"{app}\", \"script\": \"/bin/sleep\", \"args\": \"1000\", \"interpreter\": \"none\"}}]}}\n"
            ),
        )
    };
    let shop = project("srv/shop", "web");
    let blog = project("srv/blog", "web");
    // Both files are `pm2.json`: each group is named after its project's folder.
    for file in [&shop, &blog] {
        render_and_install(&sandbox, Path::new(file));
    }
    for unit in ["shop-web.service", "blog-web.service"] {
        wait_property(&sandbox, unit, "ActiveState", "active", WAIT);
    }

    // Another checkout also named shop: the same group from another file is refused,
    // and nothing changes.
    let other = project("srv/other/shop", "api");
    let before = resolved(&sandbox, "/etc/systemd/system");
    let rendered = gen_units(&sandbox, &[&other], b"");
    assert_ok(&rendered, "gen-units other/shop/pm2.json");
    let refused = gen_units(&sandbox, &["install", "--now"], &rendered.stdout);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(code(&refused), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("ecosystem shop is installed from {shop}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("rendered from {other}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("--replace") && stderr.contains("`group: NAME`"),
        "{stderr}"
    );
    assert_eq!(resolved(&sandbox, "/etc/systemd/system"), before);
    for unit in ["shop-web.service", "blog-web.service"] {
        assert_eq!(sandbox.property(unit, "ActiveState"), "active", "{unit}");
    }
    assert_eq!(
        sandbox.property("shop-api.service", "LoadState"),
        "not-found"
    );

    // `--replace` says it is meant: the other checkout's group takes over.
    let replaced = gen_units(
        &sandbox,
        &["install", "--now", "--replace"],
        &rendered.stdout,
    );
    assert_ok(&replaced, "install --now --replace");
    wait_property(&sandbox, "shop-api.service", "ActiveState", "active", WAIT);
    assert_eq!(
        sandbox.property("shop-web.service", "LoadState"),
        "not-found"
    );
    assert_eq!(
        sandbox.property("blog-web.service", "ActiveState"),
        "active"
    );
}

#[test]
fn install_writes_the_preload_and_a_redeploy_keeps_the_socket() {
    let port = 39441;
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("eco-socket");
    scratch.file(
        "server.js",
        "require('http').createServer((q, r) => r.end(process.env.GREETING))\n\
         .listen(process.env.PORT);\n",
    );
    let yaml = |greeting: &str| {
        format!(
            "group: so\napps:\n  - name: web\n    script: server.js\n    env: {{PORT: {port}, GREETING: {greeting}}}\n"
        )
    };
    let ecosystem = scratch.file("ecosystem.yaml", &yaml("one"));
    let bundle = render_and_install(&sandbox, Path::new(&ecosystem));
    assert!(
        bundle.files.iter().any(|f| f.name == "so.preload.cjs"),
        "the bundle carries the preload"
    );
    // Read inside: the public entry is an absolute link into the generation.
    let preload = sandbox.exec(&["cat", "/etc/ecosystemd/lib/so.preload.cjs"]);
    assert_ok(&preload, "reading the installed preload");
    let preload = String::from_utf8_lossy(&preload.stdout);
    assert!(preload.starts_with("// Generated by ecosystemd for ecosystem so "));
    let get = || -> Result<String, String> {
        sandbox.in_network(|| {
            let mut stream =
                std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut stream, b"GET / HTTP/1.0\r\n\r\n")
                .map_err(|e| e.to_string())?;
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stream, &mut text).map_err(|e| e.to_string())?;
            Ok(text
                .rsplit("\r\n\r\n")
                .next()
                .unwrap_or_default()
                .to_owned())
        })
    };
    let first = Sandbox::wait_for(&sandbox, "the app to answer", WAIT, get);
    assert_eq!(first, "one");
    let socket_started = sandbox.property("so-web.socket", "ActiveEnterTimestampMonotonic");

    // A deploy that changes the app restarts the service, never the socket.
    scratch.file("ecosystem.yaml", &yaml("two"));
    render_and_install(&sandbox, Path::new(&ecosystem));
    let second = Sandbox::wait_for(&sandbox, "the new app to answer", WAIT, || {
        get().and_then(|body| if body == "two" { Ok(body) } else { Err(body) })
    });
    assert_eq!(second, "two");
    assert_eq!(
        sandbox.property("so-web.socket", "ActiveEnterTimestampMonotonic"),
        socket_started
    );

    let output = gen_units(&sandbox, &["uninstall", "so"], b"");
    assert_ok(&output, "uninstall so");
    assert!(
        std::fs::symlink_metadata(sandbox.path("/etc/ecosystemd/lib/so.preload.cjs")).is_err(),
        "uninstall removed the preload"
    );
    assert_eq!(sandbox.property("so-web.socket", "LoadState"), "not-found");
}
