//! Instances under a bounded loopback load, in a real systemd.
//!
//! A cluster app whose 4 instances share one port (each inherits a socket systemd holds)
//! refuses no connection through a rolling reload (`unit-watchdog reload`, which also
//! fails no request of this graceful app), a restart of every instance at once, a
//! SIGKILL and a memory-limit kill of one instance. With ports of their own
//! (`increment_var: PORT`), when one instance is killed (SIGKILL), killed by its memory
//! limit, or crash-loops until its start limit, the other instances refuse nothing and
//! fail nothing, and keep restarting normally.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::apps::{APP_JS, install, wait_serving};
use common::load::{Answer, Load, LoadConfig, LoadStats, parse, run};
use common::sandbox::Sandbox;

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");
const UNIT_WATCHDOG: &str = env!("CARGO_BIN_EXE_unit-watchdog");
const WAIT: Duration = Duration::from_secs(30);
const INSTANCES: u16 = 3;

/// The app's folder under the target folder (the sandbox sees it; a dynamic user reads it).
struct Project(PathBuf);

impl Project {
    /// A 3-instance cluster app `ld-web` on ports `base`, `base + 1`, `base + 2`, with a
    /// 96 MiB memory limit and 3 restarts before it counts as errored.
    fn new(base: u16) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("load-{}-{base}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("project folder");
        std::fs::write(dir.join("app.js"), APP_JS).expect("app.js");
        let yaml = format!(
            "group: ld\napps:\n  - name: web\n    script: ./app.js\n    instances: {INSTANCES}\n    exec_mode: cluster\n    increment_var: PORT\n    max_memory_restart: 96M\n    max_restarts: 3\n    restart_delay: 200\n    env:\n      PORT: '{base}'\n"
        );
        std::fs::write(dir.join("ld.yaml"), yaml).expect("ld.yaml");
        Self(dir)
    }

    /// A 4-instance cluster app `ld-api` sharing port `port`, with a 96 MiB memory limit.
    fn shared(port: u16) -> Self {
        let project = Self::new(port);
        let yaml = format!(
            "group: ld\napps:\n  - name: api\n    script: ./app.js\n    instances: 4\n    exec_mode: cluster\n    max_memory_restart: 96M\n    env:\n      PORT: '{port}'\n"
        );
        std::fs::write(project.0.join("ld.yaml"), yaml).expect("ld.yaml");
        project
    }

    fn touch(&self, name: &str) {
        std::fs::write(self.0.join(name), "").expect("marker file");
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unit(i: u16) -> String {
    format!("ld-web-{i}.service")
}

fn boot_with_app(base: u16) -> Option<(Sandbox, Project)> {
    let sandbox = Sandbox::boot()?;
    let project = Project::new(base);
    install(
        &sandbox,
        &project.0.join("ld.yaml").display().to_string(),
        GEN_UNITS,
    );
    for i in 0..INSTANCES {
        wait_serving(&sandbox, base + i, WAIT);
    }
    Some((sandbox, project))
}

/// Loads on every port but `disturbed`'s, for `duration`, 2 clients each.
fn load_others(
    sandbox: &Sandbox,
    base: u16,
    disturbed: u16,
    duration: Duration,
) -> Vec<(u16, Load)> {
    (0..INSTANCES)
        .filter(|&i| i != disturbed)
        .map(|i| {
            let load = Load::start(LoadConfig {
                network: Some(sandbox.network()),
                port: base + i,
                clients: 2,
                duration,
                max_requests: 40_000,
            });
            (i, load)
        })
        .collect()
}

/// Asserts that every load answered everything, and a fair number of requests.
fn assert_clean(loads: Vec<(u16, Load)>) {
    for (i, load) in loads {
        let stats: LoadStats = load.finish();
        assert_eq!(
            (stats.refused, stats.failed),
            (0, 0),
            "instance {i}: {stats:?}"
        );
        assert!(stats.ok >= 50, "instance {i} answered little: {stats:?}");
        assert_eq!(
            stats.by_instance.keys().collect::<Vec<_>>(),
            [&i.to_string()],
            "{stats:?}"
        );
    }
}

/// Waits until instance `i` runs a main process other than `old` and serves from it.
fn wait_back(sandbox: &Sandbox, base: u16, i: u16, old: &str) -> String {
    sandbox.wait_for(
        &format!("instance {i} back with a new main process"),
        WAIT,
        || {
            let pid = sandbox.property(&unit(i), "MainPID");
            let body = sandbox.in_network(|| common::apps::get(base + i))?;
            if pid != old && pid != "0" && body == format!("{i}\n{pid}\n") {
                Ok(pid)
            } else {
                Err(format!("MainPID {pid}, answer {body:?}"))
            }
        },
    )
}

#[test]
fn replies_are_sorted_into_ok_and_failed() {
    assert_eq!(
        parse(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n1\n42\n"),
        Answer::Ok("1".into())
    );
    assert!(matches!(parse(b""), Answer::Failed(_)));
    assert!(matches!(
        parse(b"HTTP/1.1 502 Bad Gateway\r\n\r\nx"),
        Answer::Failed(_)
    ));
    assert!(matches!(parse(b"HTTP/1.1 200 OK\r\n"), Answer::Failed(_)));
}

#[test]
fn a_closed_port_counts_as_refused_and_the_cap_holds() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let stats = run(LoadConfig {
        network: None,
        port,
        clients: 4,
        duration: Duration::from_secs(5),
        max_requests: 50,
    });
    assert_eq!((stats.refused, stats.total()), (50, 50), "{stats:?}");
}

#[test]
fn a_killed_instance_comes_back_and_the_others_refuse_nothing() {
    const BASE: u16 = 39200;
    let Some((sandbox, _project)) = boot_with_app(BASE) else {
        return;
    };
    let old = sandbox.property(&unit(0), "MainPID");
    let loads = load_others(&sandbox, BASE, 0, Duration::from_secs(4));
    std::thread::sleep(Duration::from_millis(500));
    sandbox.systemctl(&["kill", "--signal=SIGKILL", &unit(0)]);
    wait_back(&sandbox, BASE, 0, &old);
    assert_clean(loads);
    assert_eq!(sandbox.property(&unit(0), "NRestarts"), "1");
}

#[test]
fn a_memory_kill_takes_only_its_instance() {
    const BASE: u16 = 39210;
    let Some((sandbox, project)) = boot_with_app(BASE) else {
        return;
    };
    let old = sandbox.property(&unit(1), "MainPID");
    let loads = load_others(&sandbox, BASE, 1, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(500));
    project.touch("grow-1");
    sandbox.wait_for("the memory kill of instance 1", WAIT, || {
        let pid = sandbox.property(&unit(1), "MainPID");
        if pid != old { Ok(()) } else { Err(pid) }
    });
    std::fs::remove_file(project.0.join("grow-1")).expect("stop the leak");
    wait_back(&sandbox, BASE, 1, &old);
    assert_clean(loads);
    let memory_max = sandbox.property(&unit(1), "MemoryMax");
    assert_eq!(memory_max, (96u64 << 20).to_string());
    assert_eq!(sandbox.property(&unit(1), "NRestarts"), "1");
}

#[test]
fn a_crash_loop_stops_at_its_start_limit_and_the_others_keep_serving_and_restarting() {
    const BASE: u16 = 39220;
    let Some((sandbox, project)) = boot_with_app(BASE) else {
        return;
    };
    let loads = load_others(&sandbox, BASE, 2, Duration::from_secs(8));
    project.touch("fail-2");
    sandbox.systemctl(&["kill", "--signal=SIGKILL", &unit(2)]);
    // Failed for good: still failed with the same restart count after 1.5 s, while it
    // restarted every 200 ms before.
    let mut last = String::new();
    let restarts = sandbox.wait_for("instance 2 at its start limit", 3 * WAIT, || {
        let seen = format!(
            "{} {}",
            sandbox.property(&unit(2), "ActiveState"),
            sandbox.property(&unit(2), "NRestarts")
        );
        let settled = seen == last && seen.starts_with("failed ");
        last = seen.clone();
        std::thread::sleep(Duration::from_millis(1500));
        match seen.split_once(' ') {
            Some((_, restarts)) if settled => Ok(restarts.parse::<u32>().unwrap_or(0)),
            _ => Err(seen),
        }
    });
    assert!(restarts >= 3, "it stopped after {restarts} restarts");
    // A healthy instance still restarts (nothing it shares failed with instance 2).
    let old = sandbox.property(&unit(0), "MainPID");
    let restart = sandbox.exec(&["systemctl", "restart", &unit(0)]);
    assert!(
        restart.status.success(),
        "{}",
        String::from_utf8_lossy(&restart.stderr)
    );
    assert_ne!(sandbox.property(&unit(0), "MainPID"), old);
    // The instance beside it was untouched, and it stays down.
    let old_1 = sandbox.property(&unit(1), "MainPID");
    let stats: Vec<(u16, LoadStats)> = loads.into_iter().map(|(i, l)| (i, l.finish())).collect();
    // Instance 1 refused and failed nothing. (Instance 0, restarted on its own port
    // without a socket held by systemd, refuses connections while it restarts.)
    let (_, beside) = &stats[1];
    assert_eq!(
        (beside.refused, beside.failed),
        (0, 0),
        "instance 1: {beside:?}"
    );
    assert!(stats[0].1.ok > 0, "instance 0: {:?}", stats[0].1);
    assert_eq!(sandbox.property(&unit(1), "MainPID"), old_1);
    assert_eq!(sandbox.property(&unit(2), "ActiveState"), "failed");
    assert_eq!(
        sandbox.property(&unit(2), "NRestarts"),
        restarts.to_string()
    );
}

/// Runs `during` under a load of 8 clients on `port` (bounded to 60 s), ended 1 s after
/// `during` returns; returns what the clients saw.
fn under_load(sandbox: &Sandbox, port: u16, during: impl FnOnce()) -> LoadStats {
    let load = Load::start(LoadConfig {
        network: Some(sandbox.network()),
        port,
        clients: 8,
        duration: Duration::from_secs(60),
        max_requests: 400_000,
    });
    std::thread::sleep(Duration::from_millis(500));
    during();
    std::thread::sleep(Duration::from_secs(1));
    load.stop();
    load.finish()
}

#[test]
fn a_shared_port_refuses_nothing_through_reload_restart_and_kills() {
    const PORT: u16 = 39240;
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let project = Project::shared(PORT);
    install(
        &sandbox,
        &project.0.join("ld.yaml").display().to_string(),
        GEN_UNITS,
    );
    let units: Vec<String> = (0..4).map(|i| format!("ld-api-{i}.service")).collect();
    for unit in &units {
        sandbox.wait_for(&format!("{unit} active"), WAIT, || {
            match sandbox.property(unit, "ActiveState").as_str() {
                "active" => Ok(()),
                other => Err(other.to_string()),
            }
        });
    }
    wait_serving(&sandbox, PORT, WAIT);
    let pids = || -> Vec<String> {
        units
            .iter()
            .map(|u| sandbox.property(u, "MainPID"))
            .collect()
    };

    // The rolling reload: every instance restarted, nothing refused, nothing failed.
    let before = pids();
    let mut reload = None;
    let stats = under_load(&sandbox, PORT, || {
        reload = Some(sandbox.exec(&[UNIT_WATCHDOG, "reload", "ld", "api"]));
    });
    let reload = reload.expect("the reload ran");
    assert_eq!(
        reload.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&reload.stdout),
        String::from_utf8_lossy(&reload.stderr)
    );
    eprintln!("rolling reload under load: {stats:?}");
    assert_eq!((stats.refused, stats.failed), (0, 0), "{stats:?}");
    assert_eq!(stats.by_instance.len(), 4, "{stats:?}");
    let after = pids();
    assert!(
        before.iter().zip(&after).all(|(old, new)| old != new),
        "{before:?} {after:?}"
    );

    // Every instance restarted at once.
    let stats = under_load(&sandbox, PORT, || {
        let mut args = vec!["systemctl", "restart"];
        args.extend(units.iter().map(String::as_str));
        assert!(sandbox.exec(&args).status.success());
    });
    eprintln!("restart of every instance at once under load: {stats:?}");
    assert_eq!(stats.refused, 0, "{stats:?}");
    assert!(stats.ok > 0, "{stats:?}");

    // A SIGKILL of one instance, then a memory-limit kill of another.
    let old = sandbox.property(&units[2], "MainPID");
    let stats = under_load(&sandbox, PORT, || {
        sandbox.systemctl(&["kill", "--signal=SIGKILL", &units[2]]);
        sandbox.wait_for("instance 2 back", WAIT, || {
            let pid = sandbox.property(&units[2], "MainPID");
            let state = sandbox.property(&units[2], "ActiveState");
            if pid != old && state == "active" {
                Ok(())
            } else {
                Err(format!("{state} {pid}"))
            }
        });
    });
    eprintln!("SIGKILL of one instance under load: {stats:?}");
    assert_eq!(stats.refused, 0, "{stats:?}");

    let old = sandbox.property(&units[1], "MainPID");
    let stats = under_load(&sandbox, PORT, || {
        project.touch("grow-1");
        sandbox.wait_for("the memory kill of instance 1", WAIT, || {
            let pid = sandbox.property(&units[1], "MainPID");
            if pid != old { Ok(()) } else { Err(pid) }
        });
        std::fs::remove_file(project.0.join("grow-1")).expect("stop the leak");
        sandbox.wait_for("instance 1 back", WAIT, || {
            match sandbox.property(&units[1], "ActiveState").as_str() {
                "active" => Ok(()),
                other => Err(other.to_string()),
            }
        });
    });
    eprintln!("memory-limit kill of one instance under load: {stats:?}");
    assert_eq!(stats.refused, 0, "{stats:?}");
    assert_eq!(sandbox.property(&units[1], "NRestarts"), "1");
    assert_eq!(sandbox.property(&units[0], "NRestarts"), "0");
}
