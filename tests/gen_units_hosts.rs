//! `gen-units --host NAME --inventory FILE`: one host's bundle of a fleet file, its
//! lints computed for that host alone, and placement errors (exit 2, nothing written).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ecosystemd::bundle::Bundle;

const FLEET: &str = "group: shop
hosts: [web]
apps:
  - name: api
    script: /usr/bin/true
    env: {PORT: 3000}
  - name: worker
    script: /usr/bin/true
    env: {PORT: 3000}
    hosts: [db1]
  - name: cron
    script: /usr/bin/true
    hosts: web2
";

/// As `ansible-inventory -i hosts.ini --list` prints it.
const INVENTORY: &str = r#"{"_meta": {"hostvars": {}},
  "all": {"children": ["ungrouped", "web"]},
  "ungrouped": {"hosts": ["db1"]},
  "web": {"hosts": ["web1", "web2"]}}"#;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs gen-units in `dir` (which holds fleet.yaml and inventory.json) with `args`.
fn gen_units(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen-units"))
        .current_dir(dir)
        .args(args)
        .args(["--systemd-version", "252", "--portable"])
        .output()
        .expect("gen-units runs")
}

fn fleet(name: &str, text: &str) -> PathBuf {
    let dir = scratch(name);
    fs::write(dir.join("fleet.yaml"), text).unwrap();
    fs::write(dir.join("inventory.json"), INVENTORY).unwrap();
    dir
}

fn services(output: &Output) -> Vec<String> {
    let bundle = Bundle::parse(&String::from_utf8_lossy(&output.stdout)).unwrap();
    bundle
        .files
        .into_iter()
        .map(|f| f.name)
        .filter(|n| n.ends_with(".service"))
        .collect()
}

#[test]
fn each_host_gets_its_own_apps_and_its_own_lints() {
    let dir = fleet("hosts-bundles", FLEET);
    let host = |name| {
        gen_units(
            &dir,
            &[
                "--inventory",
                "inventory.json",
                "--host",
                name,
                "fleet.yaml",
            ],
        )
    };
    let web2 = host("web2");
    let stderr = String::from_utf8_lossy(&web2.stderr);
    assert_eq!(web2.status.code(), Some(0), "{stderr}");
    assert_eq!(services(&web2), ["shop-api.service", "shop-cron.service"]);
    assert_eq!(services(&host("web1")), ["shop-api.service"]);
    let db1 = host("db1");
    assert_eq!(services(&db1), ["shop-worker.service"]);
    // api and worker share port 3000, on different hosts: no lint on either.
    for output in [&web2, &db1] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("3000"), "{stderr}");
    }
    // Every app on one host (no --host): the lint is there, with a warning about hosts.
    let all = gen_units(&dir, &["fleet.yaml"]);
    let stderr = String::from_utf8_lossy(&all.stderr);
    assert_eq!(services(&all).len(), 3);
    assert!(stderr.contains("3000"), "{stderr}");
    assert!(stderr.contains("no host was chosen"), "{stderr}");
}

#[test]
fn check_with_the_inventory_checks_every_host() {
    let dir = fleet("hosts-check", FLEET);
    let output = gen_units(
        &dir,
        &["check", "--inventory", "inventory.json", "fleet.yaml"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    for line in [
        "host db1: ok: 1 apps",
        "host web1: ok: 1 apps",
        "host web2: ok: 2 apps",
    ] {
        assert!(stdout.contains(line), "{line} missing from {stdout}");
    }
}

#[test]
fn unknown_names_and_unknown_hosts_exit_2_and_print_no_bundle() {
    let dir = fleet(
        "hosts-unknown",
        &FLEET.replace("hosts: web2", "hosts: webb2"),
    );
    let output = gen_units(
        &dir,
        &[
            "--inventory",
            "inventory.json",
            "--host",
            "web1",
            "fleet.yaml",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains(
            "fleet.yaml:13:12: error: `hosts`: the inventory holds no host or group named `webb2`"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `web2`?"), "{stderr}");

    let dir = fleet("hosts-no-host", FLEET);
    let output = gen_units(
        &dir,
        &[
            "--inventory",
            "inventory.json",
            "--host",
            "web9",
            "fleet.yaml",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--host web9: the inventory holds no such host"),
        "{stderr}"
    );
    let output = gen_units(
        &dir,
        &["check", "--inventory", "missing.json", "fleet.yaml"],
    );
    assert_eq!(output.status.code(), Some(2));
}
