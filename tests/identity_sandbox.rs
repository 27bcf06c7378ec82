//! A PM2 project as it really lies on a server, put live with default options: a normal
//! user's project under a `0700` home, the ecosystem file in `config/`, node from nvm,
//! an app that writes into its own folder and one on port 80.
//! `gen-units config/ecosystem.yaml | gen-units install --now` must run every app as PM2
//! did: as the owner, from the project's folder, with the owner's node, able to bind
//! port 80. Under `hardening: strict` (a dynamic user) they cannot reach the project:
//! the render warns, and the apps fail as warned.

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::Output;
use std::time::Duration;

use common::owner::Owner;
use common::sandbox::Sandbox;

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");
const UID: u32 = 4242;
const NODE_VERSION: &str = "v20.99.0";

/// Every app serves its name and uid on its port and writes its uid into
/// `data/<name>.txt` beside its code.
const SERVER: &str = r#"const fs = require('fs'), path = require('path'), http = require('http');
const name = process.env.APP;
fs.mkdirSync(path.join(__dirname, 'data'), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'data', name + '.txt'), String(process.getuid()));
fs.writeFileSync(path.join(__dirname, 'data', name + '.path'), process.env.PATH);
http.createServer((q, s) => s.end(name + ' ' + process.getuid() + '\n')).listen(Number(process.env.PORT));
"#;

/// As PM2 users write them: paths relative to the project's top, where `pm2 start
/// config/ecosystem.yaml` ran; `bin/www` without an extension (PM2 runs it with node).
const ECOSYSTEM: &str = "apps:
  - name: web
    script: server.js
    env: { APP: web, PORT: 8480 }
  - name: front
    script: server.js
    env: { APP: front, PORT: 80 }
  - name: www
    script: bin/www
    node_args: --max-old-space-size=64
    env: { APP: www, PORT: 8481 }
  - name: npm
    script: npm
    args: start
    env: { APP: npm, PORT: 8482 }
";

const APPS: &[(&str, u16)] = &[("web", 8480), ("front", 80), ("www", 8481), ("npm", 8482)];

fn project(sandbox: &Sandbox) -> Owner {
    let ana = Owner::create(sandbox, "ana", UID);
    ana.dir(&format!(".nvm/versions/node/{NODE_VERSION}/bin"), 0o755);
    ana.symlink(
        "/usr/bin/node",
        &format!(".nvm/versions/node/{NODE_VERSION}/bin/node"),
    );
    ana.file(".nvm/alias/default", "20\n", 0o644);
    ana.file(
        "shop/package.json",
        "{\"name\": \"shop\", \"scripts\": {\"start\": \"node server.js\"}}\n",
        0o644,
    );
    ana.file("shop/server.js", SERVER, 0o644);
    ana.file(
        "shop/bin/www",
        "#!/usr/bin/env node\nrequire('../server.js');\n",
        0o755,
    );
    ana.file("shop/config/ecosystem.yaml", ECOSYSTEM, 0o644);
    ana
}

/// Renders and installs from the project's folder, as its owner would type it.
fn render_and_install(sandbox: &Sandbox) -> Output {
    let pipeline = r#"cd /home/ana/shop && "$0" config/ecosystem.yaml | "$0" install --now"#;
    sandbox.exec(&["/bin/sh", "-c", pipeline, GEN_UNITS])
}

/// The installed service of `app` (found by its `[X-Ecosystemd]` App= line, whatever
/// the group is called).
fn service_of(sandbox: &Sandbox, app: &str) -> String {
    let found = sandbox.exec(&[
        "/bin/sh",
        "-c",
        &format!("grep -l '^App=\"{app}\"$' /etc/systemd/system/*.service"),
    ]);
    let text = String::from_utf8_lossy(&found.stdout);
    let path = text
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no unit for {app}"));
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

fn unit_text(sandbox: &Sandbox, unit: &str) -> String {
    // Read inside, where install's symlinks resolve.
    let output = sandbox.exec(&["cat", &format!("/etc/systemd/system/{unit}")]);
    assert!(output.status.success(), "{unit}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn get(sandbox: &Sandbox, port: u16) -> Result<String, String> {
    let url = format!("http://127.0.0.1:{port}/");
    let output = sandbox.exec(&["curl", "-sS", "--max-time", "2", &url]);
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn a_users_project_runs_as_pm2_ran_it_and_strict_fails_as_warned() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let ana = project(&sandbox);

    // `check` says where each command was found: nvm's node of the owner.
    let check = r#"cd /home/ana/shop && "$0" check config/ecosystem.yaml"#;
    let checked = sandbox.exec(&["/bin/sh", "-c", check, GEN_UNITS]);
    let stderr = String::from_utf8_lossy(&checked.stderr).into_owned();
    assert!(checked.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "info: web: node: /home/ana/.nvm/versions/node/{NODE_VERSION}/bin/node (nvm's node {NODE_VERSION})"
        )),
        "{stderr}"
    );

    let installed = render_and_install(&sandbox);
    let stderr = String::from_utf8_lossy(&installed.stderr).into_owned();
    assert!(installed.status.success(), "{stderr}");
    assert!(!stderr.contains("dynamic user"), "{stderr}");

    let node = format!("/home/ana/.nvm/versions/node/{NODE_VERSION}/bin/node");
    for (app, port) in APPS {
        let unit = service_of(&sandbox, app);
        let text = unit_text(&sandbox, &unit);
        assert!(text.contains("\nUser=ana\n"), "{unit}:\n{text}");
        assert!(!text.contains("DynamicUser"), "{unit}:\n{text}");
        // npm too runs with the owner's node, as PM2 ran it (npm is a node script).
        assert!(
            text.contains(&format!("ExecStart=\"{node}\"")),
            "{unit}:\n{text}"
        );
        assert!(
            text.contains("WorkingDirectory=/home/ana/shop\n"),
            "{unit}:\n{text}"
        );
        let capability = text.contains("AmbientCapabilities=CAP_NET_BIND_SERVICE");
        assert_eq!(capability, *port < 1024, "{unit}:\n{text}");

        let answer = sandbox.wait_for(
            &format!("{app} to answer on port {port}"),
            Duration::from_secs(30),
            || get(&sandbox, *port),
        );
        assert_eq!(answer, format!("{app} {UID}"));
        let written = ana.outside(&format!("shop/data/{app}.txt"));
        let meta = std::fs::metadata(&written).expect("the app wrote into its folder");
        assert_eq!(meta.uid(), UID, "{}", written.display());
        // The owner's search path, as PM2 passed the shell's PATH on (npm puts its
        // own folders first).
        let path = std::fs::read_to_string(ana.outside(&format!("shop/data/{app}.path")))
            .expect("PATH written");
        let nvm_bin = format!("/home/ana/.nvm/versions/node/{NODE_VERSION}/bin");
        assert!(path.split(':').any(|dir| dir == nvm_bin), "{app}: {path}");
    }

    // The same project under `strict`: a dynamic user cannot enter the 0700 home.
    let strict = format!("hardening: strict\n{ECOSYSTEM}");
    ana.file("shop/config/ecosystem.yaml", &strict, 0o644);
    let installed = render_and_install(&sandbox);
    let stderr = String::from_utf8_lossy(&installed.stderr).into_owned();
    let warned = "a dynamic user cannot enter /home/ana";
    // One line for the cause, naming every app, with its fix.
    assert_eq!(stderr.matches(warned).count(), 1, "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains(warned))
        .unwrap_or_default();
    for (app, _) in APPS {
        assert!(
            line.split(|c: char| !c.is_alphanumeric())
                .any(|w| w == *app),
            "{app} not named: {line}"
        );
    }
    assert!(stderr.contains("hardening: standard"), "{stderr}");
    for (app, _) in APPS {
        let unit = service_of(&sandbox, app);
        assert!(unit_text(&sandbox, &unit).contains("DynamicUser=yes"));
        let status = sandbox.wait_for(
            &format!("{unit} to fail under strict"),
            Duration::from_secs(30),
            || {
                let status = sandbox.property(&unit, "ExecMainStatus");
                match status.as_str() {
                    // 200/CHDIR: the working folder; 203/EXEC: nvm's node.
                    "200" | "203" => Ok(status),
                    _ => Err(format!(
                        "{} {} status {status}",
                        sandbox.property(&unit, "ActiveState"),
                        sandbox.property(&unit, "SubState")
                    )),
                }
            },
        );
        eprintln!("under strict, {unit} fails with status {status}");
    }
}
