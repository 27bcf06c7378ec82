//! Rendered units against systemd itself: the default hardening profile's exposure
//! score, a real Node agent starting and serving under it in the sandbox, and a
//! property test that arbitrary env values, arguments and names either are refused or
//! reach the process exactly as written.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use common::sandbox::Sandbox;
use ecosystemd::bundle::Scope;
use ecosystemd::bundle::{Bundle, FileKind};
use ecosystemd::diagnostic::Location;
use ecosystemd::ecosystem::{
    App, Command, Ecosystem, Hardening, LogSettings, RestartPolicy, Settings,
};
use ecosystemd::plan::PlanOptions;
use ecosystemd::render::{EnvDir, PreloadPlace, RenderOptions, render_bundle};
use ecosystemd::unit_policy::UnitPolicy;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents")
}

fn app(name: &str, program: &str, args: Vec<String>, cwd: &Path) -> App {
    App {
        location: Location::new(1, 1),
        max_memory: Some(256 << 20),
        restart: RestartPolicy {
            delay: Some(Duration::from_secs(1)),
            ..RestartPolicy::default()
        },
        ..App::new(
            name,
            Command {
                program: program.into(),
                args,
                script: None,
            },
            cwd.to_path_buf(),
        )
    }
}

fn ecosystem(group: &str, apps: Vec<App>) -> Ecosystem {
    ecosystem_in(group, apps, examples_dir())
}

/// An ecosystem whose file lies in `base`.
fn ecosystem_in(group: &str, apps: Vec<App>, base: PathBuf) -> Ecosystem {
    Ecosystem {
        source: base.join("ecosystem.yaml"),
        base_dir: base,
        settings: Settings {
            group: group.into(),
            prefix: format!("{group}-"),
            target: group.into(),
            slice: group.into(),
            memory_budget: None,
            logs: LogSettings::default(),
        },
        apps,
        warnings: Vec::new(),
    }
}

/// Puts a bundle's files where a system manager finds them inside the sandbox.
fn install(sandbox: &Sandbox, bundle: &Bundle) {
    for file in &bundle.files {
        let path = match file.kind {
            FileKind::Unit => sandbox.path("/run/systemd/system").join(&file.name),
            FileKind::Env => sandbox.path("/etc/ecosystemd/env").join(&file.name),
            FileKind::Journald => sandbox.path("/etc/systemd").join(&file.name),
            FileKind::Lib => sandbox.path("/etc/ecosystemd/lib").join(&file.name),
        };
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        // Open to the apps' users (the preload) as install makes it, whatever the umask.
        fs::set_permissions(path.parent().unwrap(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(&path, &file.contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(file.mode)).unwrap();
    }
}

/// Where the user-manager test puts the preload (inside the sandbox's own /run).
const USER_PRELOAD: &str = "/run/ecosystemd-user-lib/preload.cjs";

/// A port free on the sandbox's loopback.
fn free_port(sandbox: &Sandbox) -> u16 {
    sandbox.in_network(|| {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    })
}

/// The overall exposure `systemd-analyze security --offline=yes` gives a unit file.
fn exposure(unit: &Path) -> f64 {
    let output = Process::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(unit)
        .output()
        .expect("systemd-analyze runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| {
            panic!(
                "no score in output: {text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let after = line.rsplit_once(": ").unwrap().1;
    after.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn default_profile_scores_at_most_2() {
    // A project in a lasting folder: one in /tmp (a checkout there) renders without
    // PrivateTmp=, on purpose, and scores 2.1.
    let project = PathBuf::from("/srv/agents");
    let mut agent = app("email", "/usr/bin/node", vec!["agent.js".into()], &project);
    agent.env.insert("PORT".into(), "3001".into());
    // The default profile runs the app as its owner.
    assert_eq!(agent.systemd.hardening, Hardening::Standard);
    agent.user = Some("agent".into());
    agent.home = Some("/home/agent".into());
    let rendered = render_bundle(
        &ecosystem_in("agents", vec![agent], project),
        &RenderOptions::default(),
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("exposure");
    fs::create_dir_all(&dir).unwrap();
    let file = rendered
        .bundle
        .files
        .iter()
        .find(|f| f.name == "agents-email.service")
        .unwrap();
    let path = dir.join(&file.name);
    fs::write(&path, &file.contents).unwrap();
    let score = exposure(&path);
    fs::remove_dir_all(&dir).unwrap();
    assert!(
        score <= 2.0,
        "exposure {score} > 2.0 for\n{}",
        file.contents
    );
}

/// `GET /health` on 127.0.0.1:`port` of the calling thread's network.
fn http_get(port: u16) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    Ok(response)
}

#[test]
fn node_agent_starts_and_serves_under_the_strict_profile() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let port = free_port(&sandbox);
    // A dynamic user reads the example only where others may: a copy, whatever the
    // checkout's modes.
    let base = PathBuf::from(sandbox.copy_in(&examples_dir(), "/srv/agents"));
    let mut agent = app(
        "hello agent",
        "/usr/bin/node",
        vec!["agent.js".into()],
        &base,
    );
    agent.env.insert("PORT".into(), port.to_string());
    agent
        .env
        .insert("AGENT_NAME".into(), "hello \"100%\" $agent".into());
    let rendered = render_bundle(
        &ecosystem_in("strict", vec![agent], base),
        &RenderOptions::default(),
    )
    .unwrap();
    install(&sandbox, &rendered.bundle);
    sandbox.systemctl(&["daemon-reload"]);
    let unit = r"strict-hello\x20agent.service";
    sandbox.systemctl(&["start", "strict.target"]);
    let body = sandbox.wait_for("the agent to answer", Duration::from_secs(30), || {
        sandbox.in_network(|| http_get(port)).map_err(|e| {
            let journal = sandbox.exec(&["journalctl", "--no-pager", "-n", "15"]);
            format!(
                "{e}; {unit} is {}:\n{}",
                sandbox.property(unit, "ActiveState"),
                String::from_utf8_lossy(&journal.stdout)
            )
        })
    });
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains(r#""name":"hello \"100%\" $agent""#), "{body}");
    assert_eq!(sandbox.property(unit, "DynamicUser"), "yes");
    assert_eq!(sandbox.property(unit, "NRestarts"), "0");
    sandbox.systemctl(&["stop", "strict.target"]);
    sandbox.wait_for(
        "the agent to stop",
        Duration::from_secs(10),
        || match sandbox.property(unit, "ActiveState").as_str() {
            "inactive" => Ok(()),
            other => Err(other.to_string()),
        },
    );
}

#[test]
fn node_agent_serves_under_the_strict_profile_in_a_user_manager() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    sandbox.systemctl(&["start", "user@0.service"]);
    let port = free_port(&sandbox);
    let mut agent = app(
        "user agent",
        "/usr/bin/node",
        vec!["agent.js".into()],
        &examples_dir(),
    );
    agent.env.insert("PORT".into(), port.to_string());
    let options = RenderOptions {
        plan: PlanOptions {
            scope: Scope::User,
            ..PlanOptions::default()
        },
        // %E is ~/.config in a user manager: keep the test inside the sandbox's /run.
        env_dir: EnvDir::path("/run/ecosystemd-user-env").unwrap(),
        preload: PreloadPlace::Installed(USER_PRELOAD.into()),
        ..RenderOptions::default()
    };
    let preload = sandbox.path(USER_PRELOAD);
    fs::create_dir_all(preload.parent().unwrap()).unwrap();
    fs::write(&preload, ecosystemd::plan::preload::SOURCE).unwrap();
    let rendered = render_bundle(&ecosystem("mine", vec![agent]), &options).unwrap();
    assert_eq!(rendered.bundle.scope, Scope::User);
    for file in &rendered.bundle.files {
        let path = match file.kind {
            FileKind::Unit => sandbox.path("/run/user/0/systemd/user").join(&file.name),
            FileKind::Env => sandbox.path("/run/ecosystemd-user-env").join(&file.name),
            FileKind::Journald => panic!("a user bundle carries no journald files"),
            FileKind::Lib => panic!("the preload is installed, not bundled"),
        };
        assert!(!file.contents.contains("\nUser="), "{}", file.contents);
        assert!(!file.contents.contains("DynamicUser"), "{}", file.contents);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &file.contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(file.mode)).unwrap();
    }
    let user = |args: &[&str]| {
        let mut all = vec!["env", "XDG_RUNTIME_DIR=/run/user/0", "systemctl", "--user"];
        all.extend_from_slice(args);
        let output = sandbox.exec(&all);
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    sandbox.wait_for(
        "the user manager",
        Duration::from_secs(30),
        || match user(&["is-system-running"]).as_str() {
            "running" | "degraded" => Ok(()),
            other => Err(other.to_string()),
        },
    );
    user(&["daemon-reload"]);
    user(&["start", "mine.target"]);
    let unit = r"mine-user\x20agent.service";
    let body = sandbox.wait_for("the user agent to answer", Duration::from_secs(30), || {
        sandbox.in_network(|| http_get(port)).map_err(|e| {
            format!(
                "{e}; {unit}: {}",
                user(&["status", "--no-pager", "-l", unit])
            )
        })
    });
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    user(&["stop", "mine.target"]);
}

/// The program every case runs: writes its arguments and the environment variables
/// named in `$CASE_VARS`, each NUL-terminated, to the file given as first argument.
const DUMPER: &str = r#"import os, sys
out = bytearray()
for a in sys.argv[2:]:
    out += os.fsencode(a) + b"\0"
out += b"--env--\0"
for k in os.environ.get("CASE_VARS", "").split(","):
    if k:
        out += os.environb.get(k.encode(), b"<unset>") + b"\0"
with open(sys.argv[1], "wb") as f:
    f.write(bytes(out))
"#;

/// One generated case: an app name, arguments and environment values.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    args: Vec<String>,
    values: Vec<String>,
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[%$\"'\\\\ \t\n;a-z{}@`#=\\[\\]]{0,12}",
        "[ -~]{0,16}",
    ]
}

fn cases(count: usize) -> Vec<Case> {
    let strategy = (
        tricky_string(),
        proptest::collection::vec(tricky_string(), 0..4),
        proptest::collection::vec(tricky_string(), 0..4),
    );
    let mut runner = TestRunner::deterministic();
    (0..count)
        .map(|_| {
            let (name, args, values) = strategy.new_tree(&mut runner).unwrap().current();
            Case { name, args, values }
        })
        .collect()
}

fn bytes_of(words: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in words {
        out.extend_from_slice(word.as_bytes());
        out.push(0);
    }
    out
}

#[test]
fn arbitrary_values_are_refused_or_reach_the_process_exactly() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let mut expected = Vec::new();
    let mut refused = 0;
    for (index, case) in cases(40).into_iter().enumerate() {
        let group = format!("case{index}");
        let output = format!("/run/dump-{index}");
        let mut args = vec!["-c".to_string(), DUMPER.to_string(), output.clone()];
        args.extend(case.args.iter().cloned());
        let mut agent = app(&case.name, "/usr/bin/python3", args, Path::new("/"));
        agent.restart.autorestart = false;
        agent.systemd.hardening = Hardening::None;
        let names: Vec<String> = (0..case.values.len()).map(|i| format!("V{i}")).collect();
        for (name, value) in names.iter().zip(&case.values) {
            agent.env.insert(name.clone(), value.clone());
        }
        agent.env.insert("CASE_VARS".into(), names.join(","));
        let eco = ecosystem(&group, vec![agent]);
        match render_bundle(&eco, &RenderOptions::default()) {
            Ok(rendered) => {
                install(&sandbox, &rendered.bundle);
                let file = rendered
                    .bundle
                    .files
                    .iter()
                    .find(|f| f.name.ends_with(".service"))
                    .unwrap();
                // The watchdog reads the app's name back from the unit file.
                let policy = UnitPolicy::from_unit_text(&file.contents).unwrap();
                assert_eq!(policy.app, case.name, "{}", file.contents);
                let unit = file.name.clone();
                let mut dump = bytes_of(&case.args);
                dump.extend_from_slice(b"--env--\0");
                dump.extend(bytes_of(&case.values));
                expected.push((case, unit, output, dump));
            }
            Err(rejected) => {
                // Refusals must be about a value that cannot be written.
                let text = rejected.to_string();
                assert!(
                    text.contains("NUL")
                        || text.contains("control character")
                        || text.contains("whitespace")
                        || text.contains("app name is empty"),
                    "{case:?} refused for another reason: {text}"
                );
                refused += 1;
            }
        }
    }
    assert!(
        expected.len() >= 10,
        "only {} of 40 cases accepted",
        expected.len()
    );
    sandbox.systemctl(&["daemon-reload"]);
    for (case, unit, output, dump) in &expected {
        let started = sandbox.exec(&["systemctl", "start", unit]);
        assert!(
            started.status.success(),
            "{case:?}: {unit} did not start: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        let got = sandbox.wait_for("the dump", Duration::from_secs(10), || {
            fs::read(sandbox.path(output)).map_err(|e| e.to_string())
        });
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(dump),
            "{case:?}"
        );
        assert_eq!(&got, dump, "{case:?}");
        let description = sandbox.property(unit, "Description");
        assert!(
            description.starts_with(&case.name),
            "{case:?}: Description={description:?}"
        );
    }
    eprintln!(
        "{} cases reached the process exactly, {refused} refused",
        expected.len()
    );
}
