//! The owner corpus (`tests/corpus/real/`) against a real systemd, as PM2 users would move
//! to ecosystemd: each project is laid out as its owner has it (a normal user, a home of
//! mode 0700/0750/0755, node through nvm, tools in `~/.local/bin`, files owned by the
//! user), its ecosystem file is rendered by the owner (`gen-units import` first for
//! JavaScript) and installed by root (`gen-units FILE | sudo gen-units install --now`),
//! all projects side by side in one sandbox.
//!
//! Default profile: every app that PM2 would run serves on its port as its owner (HTTP
//! GET from inside the sandbox), or is active when it has none; a job has run. Then the
//! same files with `hardening: strict`: the test records which apps that profile stops
//! and asserts that rendering warned about each of them.
//!
//! Each fixture names the features it waits for (`@needs`); the table printed on stderr
//! shows them beside each result (`cargo test --test corpus_owner -- --nocapture`).

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::project_layout::{self, Check, Project};
use common::sandbox::{Options, Sandbox};

const GEN_UNITS: &str = env!("CARGO_BIN_EXE_gen-units");
/// How long all apps together get to answer on their ports (under the strict profile
/// many never do: they get less).
const SETTLE: Duration = Duration::from_secs(30);
const SETTLE_STRICT: Duration = Duration::from_secs(20);
/// How long units may stay activating or deactivating after that.
const SETTLE_UNITS: Duration = Duration::from_secs(10);
/// sudo's PATH (secure_path), for the root side of an install.
const ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// systemd properties by unit name, then by property name.
type States = BTreeMap<String, BTreeMap<String, String>>;

/// The hardening a run renders with.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Profile {
    /// What the file says, i.e. the default profile.
    Default,
    /// `hardening: strict` added at the top level of the file.
    Strict,
}

/// One project rendered and installed.
struct Deployment {
    /// Why it did not get installed, if it did not.
    error: Option<String>,
    /// Warnings of the render (stderr).
    warnings: String,
    /// The group, from the bundle.
    group: Option<String>,
    /// `(unit, app)` of every app service in the bundle.
    services: Vec<(String, String)>,
    /// The group's targets, from the bundle.
    targets: Vec<String>,
    /// The bundle text.
    bundle: String,
}

/// One expectation and what was seen.
struct Row {
    fixture: String,
    app: String,
    expected: String,
    observed: String,
    pass: bool,
    needs: String,
    warned: bool,
}

#[test]
fn every_app_pm2_runs_serves_as_its_owner_had_it() {
    let projects = project_layout::projects();
    assert!(projects.len() >= 40, "corpus: {} files", projects.len());
    let build = TempDir::new("ecosystemd-shims");
    let shims = match project_layout::compile_shims(&build.0) {
        Ok(path) => path,
        Err(why) => panic!("cannot build the uv/dotnet stand-in: {why}"),
    };
    let options = Options {
        users: project_layout::sandbox_users(),
    };
    let Some(sandbox) = Sandbox::boot_with(&options) else {
        return;
    };
    let started = Instant::now();
    project_layout::lay_out(&sandbox.root(), &projects, &shims);
    drop(build);

    let deployed = deploy_all(&sandbox, &projects, Profile::Default);
    eprintln!("laid out and deployed: {:?}", started.elapsed());
    let rows = check_all(&sandbox, &projects, &deployed, Profile::Default);
    print_table("default profile", &rows);
    eprintln!("default run: {:?}", started.elapsed());
    uninstall_all(&sandbox, &deployed);
    eprintln!("uninstalled: {:?}", started.elapsed());

    let strict = deploy_all(&sandbox, &projects, Profile::Strict);
    let strict_rows = check_all(&sandbox, &projects, &strict, Profile::Strict);
    print_table(
        "strict profile (stopped apps and their warnings)",
        &strict_rows,
    );
    eprintln!("both runs: {:?}", started.elapsed());

    let failed: Vec<String> = rows.iter().filter(|r| !r.pass).map(row_line).collect();
    let unwarned: Vec<String> = strict_rows
        .iter()
        .filter(|r| !r.pass && !r.warned)
        .map(row_line)
        .collect();
    let not_strict = not_strict_services(&strict);
    assert!(
        failed.is_empty() && unwarned.is_empty() && not_strict.is_empty(),
        "{} of {} apps do not run as PM2 ran them under the default profile:\n{}\n\n\
         {} apps stopped by the strict profile without a render-time warning naming them:\n{}\n\n\
         strict renders without DynamicUser=yes: {not_strict:?}",
        failed.len(),
        rows.len(),
        failed.join("\n"),
        unwarned.len(),
        unwarned.join("\n"),
    );
}

/// Renders (as the owner) and installs (as root) every project, in order.
fn deploy_all(sandbox: &Sandbox, projects: &[Project], profile: Profile) -> Vec<Deployment> {
    let deployed: Vec<Deployment> = projects
        .iter()
        .map(|project| deploy(sandbox, project, profile))
        .collect();
    if profile == Profile::Strict {
        let mut start = vec!["start", "--no-block"];
        start.extend(
            deployed
                .iter()
                .filter(|d| d.error.is_none())
                .flat_map(|d| d.targets.iter().map(String::as_str)),
        );
        sandbox.systemctl(&start);
    }
    deployed
}

/// The names of the bundle's units ending in `suffix`.
fn units_of_kind(bundle: &str, suffix: &str) -> Vec<String> {
    bundle
        .lines()
        .filter_map(|l| l.strip_prefix("#--- unit ")?.split_whitespace().next())
        .filter(|name| name.ends_with(suffix))
        .map(str::to_owned)
        .collect()
}

fn deploy(sandbox: &Sandbox, project: &Project, profile: Profile) -> Deployment {
    let mut deployment = Deployment {
        error: None,
        warnings: String::new(),
        group: None,
        services: Vec::new(),
        targets: Vec::new(),
        bundle: String::new(),
    };
    let source = match source_file(sandbox, project, profile) {
        Ok(source) => source,
        Err(why) => {
            deployment.error = Some(why);
            return deployment;
        }
    };
    let mut args: Vec<&str> = project.start.iter().map(String::as_str).collect();
    args.push(&source);
    let render = as_owner(sandbox, project, &args);
    deployment.warnings = String::from_utf8_lossy(&render.stderr).into_owned();
    if !render.status.success() {
        deployment.error = Some(format!("render: {}", first_error(&render)));
        return deployment;
    }
    deployment.bundle = String::from_utf8_lossy(&render.stdout).into_owned();
    (deployment.group, deployment.services) = parse_bundle(&deployment.bundle);
    deployment.targets = units_of_kind(&deployment.bundle, ".target");
    // The strict run installs everything before starting anything: most of its apps
    // crash-loop, which would slow every later install down.
    let install_args: &[&str] = match profile {
        Profile::Default => &["install", "--now"],
        Profile::Strict => &["install"],
    };
    let install = as_root(sandbox, install_args, &render.stdout);
    if !install.status.success() {
        deployment.error = Some(format!("install: {}", first_error(&install)));
    }
    deployment
}

/// The file gen-units reads: the fixture itself, or the YAML `gen-units import` writes
/// beside a JavaScript one; for the strict run, that file with `hardening: strict` added.
fn source_file(sandbox: &Sandbox, project: &Project, profile: Profile) -> Result<String, String> {
    let mut source = project.config.clone();
    if is_javascript(&project.config) {
        source = imported_name(&project.config);
        if profile == Profile::Default {
            let import = as_owner(
                sandbox,
                project,
                &["import", &project.config, "-o", &source],
            );
            if !import.status.success() {
                return Err(format!("import: {}", first_error(&import)));
            }
        }
    }
    if profile == Profile::Strict {
        let path = sandbox.path(&format!("{}/{source}", project.root_dir()));
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{source}: {e}"))?;
        std::fs::write(&path, with_strict(&source, &text)).map_err(|e| e.to_string())?;
    }
    Ok(source)
}

fn is_javascript(config: &str) -> bool {
    [".js", ".cjs", ".mjs"]
        .iter()
        .any(|ext| config.ends_with(ext))
}

/// `ecosystem.config.js` -> `ecosystem.yaml`, as the README's migration does.
fn imported_name(config: &str) -> String {
    let stem = config.rsplit_once('.').map_or(config, |(stem, _)| stem);
    let stem = stem.strip_suffix(".config").unwrap_or(stem);
    format!("{stem}.yaml")
}

/// The file's text with the top-level `hardening: strict` added (YAML or JSON5).
fn with_strict(source: &str, text: &str) -> String {
    if source.ends_with(".yaml") || source.ends_with(".yml") {
        return format!("{text}\nhardening: strict\n");
    }
    let start = text
        .lines()
        .scan(0, |offset, line| {
            let at = *offset;
            *offset += line.len() + 1;
            Some((at, line))
        })
        .find(|(_, line)| line.starts_with('{') || line.starts_with('['));
    match start {
        Some((at, line)) if line.starts_with('{') => {
            format!(
                "{}{{\"hardening\": \"strict\", {}",
                &text[..at],
                &text[at + 1..]
            )
        }
        Some((at, _)) => format!(
            "{}{{\"hardening\": \"strict\", \"apps\":\n{}\n}}\n",
            &text[..at],
            &text[at..]
        ),
        None => text.to_owned(),
    }
}

/// Runs `gen-units ARGS` as the project's owner, from the project root, with the
/// environment of the owner's interactive shell (nvm loaded).
fn as_owner(sandbox: &Sandbox, project: &Project, args: &[&str]) -> Output {
    sandbox
        .ensure_accounts()
        .unwrap_or_else(|e| panic!("the sandbox's users: {e}"));
    let owner = project_layout::owner(&project.owner).expect("owner");
    let uid = owner.uid.to_string();
    let env = [
        format!("HOME={}", owner.home),
        format!("USER={}", owner.name),
        format!("LOGNAME={}", owner.name),
        format!("PATH={}", owner.shell_path()),
        format!("NVM_DIR={}/.nvm", owner.home),
        "SHELL=/bin/bash".to_owned(),
        "LANG=C.UTF-8".to_owned(),
    ];
    let root = project.root_dir();
    let mut all = vec![
        "setpriv",
        "--reuid",
        &uid,
        "--regid",
        &uid,
        "--init-groups",
        "env",
        "-i",
    ];
    all.extend(env.iter().map(String::as_str));
    all.extend(["sh", "-c", "cd \"$0\" && exec \"$@\"", &root, GEN_UNITS]);
    all.extend_from_slice(args);
    sandbox.exec(&all)
}

/// Runs `gen-units ARGS` as root (as sudo would), with `stdin` piped in.
fn as_root(sandbox: &Sandbox, args: &[&str], stdin: &[u8]) -> Output {
    let path = format!("PATH={ROOT_PATH}");
    let mut all = vec!["env", "-i", &path, GEN_UNITS];
    all.extend_from_slice(args);
    let mut child = sandbox
        .command(&all)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gen-units in the sandbox");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write bundle");
    child.wait_with_output().expect("gen-units output")
}

fn first_error(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("error"))
        .or_else(|| stderr.lines().next())
        .unwrap_or("");
    format!("exit {:?}: {line}", output.status.code())
}

/// The group and the `(unit, app)` pairs of the app services in a bundle.
fn parse_bundle(bundle: &str) -> (Option<String>, Vec<(String, String)>) {
    let group = bundle
        .lines()
        .next()
        .and_then(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("ecosystem="))
        })
        .map(str::to_owned);
    let mut services = Vec::new();
    for part in bundle.split("\n#--- unit ").skip(1) {
        let unit = part.split_whitespace().next().unwrap_or_default();
        let app = part
            .lines()
            .find_map(|l| l.strip_prefix("App="))
            .map(|a| a.trim_matches('"').to_owned());
        if let (true, Some(app)) = (unit.ends_with(".service"), app) {
            services.push((unit.to_owned(), app));
        }
    }
    (group, services)
}

fn uninstall_all(sandbox: &Sandbox, deployed: &[Deployment]) {
    let mut groups: Vec<&str> = deployed.iter().filter_map(|d| d.group.as_deref()).collect();
    groups.sort_unstable();
    groups.dedup();
    for group in groups {
        let output = as_root(sandbox, &["uninstall", group], b"");
        assert!(
            output.status.success(),
            "uninstall {group}: {}",
            first_error(&output)
        );
    }
}

/// Waits for every expectation of every project and returns one row per expectation.
fn check_all(
    sandbox: &Sandbox,
    projects: &[Project],
    deployed: &[Deployment],
    profile: Profile,
) -> Vec<Row> {
    let ports: Vec<u16> = projects
        .iter()
        .zip(deployed)
        .filter(|(_, d)| d.error.is_none())
        .flat_map(|(p, _)| p.expects.iter())
        .filter_map(|e| match e.check {
            Check::Http { port, .. } => Some(port),
            _ => None,
        })
        .collect();
    let settle = match profile {
        Profile::Default => SETTLE,
        Profile::Strict => SETTLE_STRICT,
    };
    let answers = http_poll(sandbox, &ports, settle);
    let units: Vec<&str> = deployed
        .iter()
        .flat_map(|d| d.services.iter().map(|(u, _)| u.as_str()))
        .collect();
    let states = settled_states(sandbox, &units);
    let mut rows = Vec::new();
    for (project, deployment) in projects.iter().zip(deployed) {
        for expect in &project.expects {
            let mut row = judge(project, deployment, expect, &answers, &states, profile);
            row.warned = warned(&deployment.warnings, &expect.app, deployment);
            rows.push(row);
        }
    }
    rows
}

/// One expectation against what was seen.
fn judge(
    project: &Project,
    deployment: &Deployment,
    expect: &project_layout::Expect,
    answers: &BTreeMap<u16, String>,
    states: &States,
    profile: Profile,
) -> Row {
    let owner_uid = project_layout::owner(&project.owner).expect("owner").uid;
    let units: Vec<&str> = deployment
        .services
        .iter()
        .filter(|(_, app)| is_app(app, &expect.app))
        .map(|(unit, _)| unit.as_str())
        .collect();
    let unit_states: Vec<String> = units
        .iter()
        .map(|u| describe_state(u, states.get(*u)))
        .collect();
    let all_active = !units.is_empty() && unit_states.iter().all(|s| s.ends_with("=active"));
    let (expected, mut observed, mut pass) = match &expect.check {
        Check::Http { port, contains } => {
            let uid = (profile == Profile::Default).then_some(owner_uid);
            let (want, seen, ok) = check_http(*port, contains.as_deref(), uid, answers);
            (want, seen, ok && all_active)
        }
        Check::Active { count } => (
            format!("{count} unit(s) active"),
            String::new(),
            all_active && units.len() >= *count,
        ),
        Check::Ran => (
            "ran (exit 0) or active".to_owned(),
            String::new(),
            job_ran(&units, states),
        ),
    };
    if let Some(error) = &deployment.error {
        observed = error.clone();
        pass = false;
    } else if units.is_empty() {
        observed = format!("no unit for app {:?}; {observed}", expect.app);
        pass = false;
    } else {
        observed = format!("{} {observed}", unit_states.join(" "));
    }
    Row {
        fixture: project.fixture.clone(),
        app: expect.app.clone(),
        expected,
        observed,
        pass,
        needs: project.needs.join(","),
        warned: false,
    }
}

/// Whether a unit's `App=` is the app `name` of the file, or its repetition numbered
/// for a unit of its own (`queue`, `queue-2`: PM2 ran both under one name).
fn is_app(unit_app: &str, name: &str) -> bool {
    unit_app == name
        || unit_app
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// `(expected, seen, pass)` of an HTTP expectation: the port answered, with the text
/// wanted, as `uid` when given.
fn check_http(
    port: u16,
    contains: Option<&str>,
    uid: Option<u32>,
    answers: &BTreeMap<u16, String>,
) -> (String, String, bool) {
    let answer = answers
        .get(&port)
        .cloned()
        .unwrap_or_else(|| "not polled".into());
    let uid_ok = uid.is_none_or(|uid| answer_uid(&answer) == Some(uid));
    let text_ok = contains.is_none_or(|c| answer.contains(c));
    let mut want = format!("http {port}");
    if let Some(uid) = uid {
        want.push_str(&format!(" uid {uid}"));
    }
    if let Some(c) = contains {
        want.push_str(&format!(" with {c:?}"));
    }
    let pass = answer.starts_with("OK") && uid_ok && text_ok;
    (want, shorten(&answer), pass)
}

/// Whether every unit of a job is active or has run to a clean exit.
fn job_ran(units: &[&str], states: &States) -> bool {
    !units.is_empty()
        && units.iter().all(|u| {
            states.get(*u).is_some_and(|s| {
                let get = |k: &str| s.get(k).map(String::as_str).unwrap_or("");
                get("ActiveState") == "active"
                    || (get("Result") == "success"
                        && get("ExecMainStatus") == "0"
                        && get("ExecMainStartTimestampMonotonic") != "0")
            })
        })
}

/// The `uid` field of an app's JSON answer.
fn answer_uid(answer: &str) -> Option<u32> {
    let json = answer.strip_prefix("OK ")?;
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    value.get("uid")?.as_u64().map(|u| u as u32)
}

fn describe_state(unit: &str, state: Option<&BTreeMap<String, String>>) -> String {
    let get = |k: &str| state.and_then(|s| s.get(k)).map_or("?", String::as_str);
    let mut text = format!("{unit}={}", get("ActiveState"));
    if get("ActiveState") != "active" {
        text = format!(
            "{unit}[{} {} status={}]={}",
            get("SubState"),
            get("Result"),
            get("ExecMainStatus"),
            get("ActiveState")
        );
    }
    text
}

fn shorten(text: &str) -> String {
    let text = text.replace('\n', " ");
    match text.char_indices().nth(160) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// Whether a render-time warning names `app` (or one of its units).
fn warned(warnings: &str, app: &str, deployment: &Deployment) -> bool {
    let units: Vec<&str> = deployment
        .services
        .iter()
        .filter(|(_, a)| is_app(a, app))
        .map(|(u, _)| u.trim_end_matches(".service"))
        .collect();
    let mut in_warning = false;
    warnings.lines().any(|line| {
        if line.contains("warning:") {
            in_warning = true;
        } else if line.contains("error:") || !line.starts_with(' ') {
            in_warning = false;
        }
        in_warning
            && (line.contains(&format!("`{app}`"))
                || line.contains(&format!("{app:?}"))
                || line
                    .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
                    .any(|word| word == app)
                || units.iter().any(|u| line.contains(u)))
    })
}

/// Polls every port from inside the sandbox until it answers or `settle` passes;
/// `OK BODY` or `ERR WHY` per port.
fn http_poll(sandbox: &Sandbox, ports: &[u16], settle: Duration) -> BTreeMap<u16, String> {
    const POLL: &str = r#"
import json, sys, time, urllib.request
deadline = time.time() + float(sys.argv[1])
pending = set(int(p) for p in sys.argv[2:])
seen = {}
while pending and time.time() < deadline:
    for port in sorted(pending):
        try:
            body = urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2).read()
            seen[port] = "OK " + body.decode().strip()
            pending.discard(port)
        except Exception as e:
            seen[port] = "ERR " + str(e)
    time.sleep(0.3)
print(json.dumps(seen))
"#;
    let timeout = settle.as_secs().to_string();
    let port_args: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut args = vec!["/usr/bin/python3", "-c", POLL, &timeout];
    args.extend(port_args.iter().map(String::as_str));
    let output = sandbox.exec(&args);
    let text = String::from_utf8_lossy(&output.stdout);
    let seen: BTreeMap<String, String> = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "http poll: {e}: {text} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    seen.into_iter()
        .filter_map(|(port, answer)| Some((port.parse().ok()?, answer)))
        .collect()
}

/// The units' states once they have settled: read until none is activating or
/// deactivating (or [`SETTLE_UNITS`] passes), then again 2 s later; a unit counts as active
/// only if it was active both times with the same main process (a crash loop is not).
fn settled_states(sandbox: &Sandbox, units: &[&str]) -> States {
    let deadline = Instant::now() + SETTLE_UNITS;
    let mut first = unit_states(sandbox, units);
    while Instant::now() < deadline
        && first.values().any(|s| {
            s.get("ActiveState")
                .is_some_and(|a| a == "activating" || a == "deactivating")
        })
    {
        std::thread::sleep(Duration::from_millis(500));
        first = unit_states(sandbox, units);
    }
    std::thread::sleep(Duration::from_secs(2));
    let mut second = unit_states(sandbox, units);
    for (unit, state) in second.iter_mut() {
        let before = first.get(unit);
        let same = |key: &str| before.and_then(|b| b.get(key)) == state.get(key);
        if !(same("ActiveState") && same("MainPID")) {
            state.insert("ActiveState".into(), "unstable".into());
        }
    }
    second
}

/// `systemctl show` of many units at once, by unit name.
fn unit_states(sandbox: &Sandbox, units: &[&str]) -> States {
    let mut states = BTreeMap::new();
    for chunk in units.chunks(100) {
        let mut args = vec![
            "show",
            "-p",
            "Id,ActiveState,SubState,Result,ExecMainStatus,MainPID,ExecMainStartTimestampMonotonic",
        ];
        args.extend_from_slice(chunk);
        let text = sandbox.systemctl(&args);
        for block in text.split("\n\n") {
            let state: BTreeMap<String, String> = block
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            if let Some(id) = state.get("Id") {
                states.insert(id.clone(), state);
            }
        }
    }
    states
}

/// Services of strict renders that do not run under a dynamic user (the harness's own
/// check that the strict profile was applied).
fn not_strict_services(deployed: &[Deployment]) -> Vec<String> {
    deployed
        .iter()
        .filter(|d| d.error.is_none())
        .flat_map(|d| d.bundle.split("\n#--- unit ").skip(1))
        .filter(|unit| unit.contains("\nApp=") && !unit.contains("\nDynamicUser=yes"))
        .map(|unit| {
            unit.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn row_line(row: &Row) -> String {
    format!(
        "{:<44} {:<14} {:<5} {:<4} needs[{}] want {} | seen {}",
        row.fixture,
        row.app,
        if row.pass { "PASS" } else { "FAIL" },
        if row.warned { "warn" } else { "-" },
        row.needs,
        row.expected,
        row.observed
    )
}

fn print_table(title: &str, rows: &[Row]) {
    let passed = rows.iter().filter(|r| r.pass).count();
    eprintln!("\n== {title}: {passed} of {} pass", rows.len());
    for row in rows {
        eprintln!("{}", row_line(row));
    }
}

/// A folder of the host's temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The corpus is whole: enough fixtures, every header complete, known features only,
/// and no two apps on one port (they all run side by side).
#[test]
fn fixtures_describe_their_projects() {
    let projects = project_layout::projects();
    assert!(projects.len() >= 40, "{} fixtures", projects.len());
    let mut ports = BTreeMap::new();
    for project in &projects {
        assert!(
            !project.pattern.is_empty(),
            "{}: no @pattern",
            project.fixture
        );
        assert!(
            !project.strict.is_empty(),
            "{}: no @strict",
            project.fixture
        );
        for need in &project.needs {
            assert!(
                ["lenient", "identity", "sockets"].contains(&need.as_str()),
                "{}: unknown feature {need}",
                project.fixture
            );
        }
        for expect in &project.expects {
            if let Check::Http { port, .. } = expect.check {
                let first = ports.insert(port, project.fixture.clone());
                assert!(
                    first.is_none(),
                    "port {port}: {first:?} and {}",
                    project.fixture
                );
            }
        }
    }
    assert!(ports.contains_key(&80), "one app serves on port 80");
}

/// `hardening: strict` lands at the top level of every YAML and JSON fixture, whatever
/// its shape (a map with `apps`, or a bare list).
#[test]
fn strict_is_added_at_the_top_level() {
    for project in project_layout::projects() {
        if is_javascript(&project.config) {
            continue;
        }
        let text = with_strict(&project.config, &project.text);
        let path = std::path::Path::new(&project.config);
        let tree = ecosystemd::ecosystem::syntax_tree(&text, path)
            .unwrap_or_else(|e| panic!("{}: {e:?}\n{text}", project.fixture));
        let ecosystemd::ecosystem::Value::Map(entries) = &tree.value else {
            panic!("{}: not a map at the top", project.fixture);
        };
        let hardening = entries.iter().find(|e| e.key == "hardening");
        assert!(
            hardening.is_some_and(
                |e| e.value.value == ecosystemd::ecosystem::Value::Str("strict".into())
            ),
            "{}: {text}",
            project.fixture
        );
        assert!(
            entries.iter().any(|e| e.key == "apps"),
            "{}",
            project.fixture
        );
    }
    assert_eq!(imported_name("ecosystem.config.js"), "ecosystem.yaml");
    assert_eq!(imported_name("config/pm2.config.cjs"), "config/pm2.yaml");
}
