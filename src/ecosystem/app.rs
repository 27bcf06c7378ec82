//! One app entry of the file, read into a validated [`App`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::command::Interpreter;
use super::host::{self, Lookups, Resolver};
use super::keys::{self, AppKey, LOG_FILES_REASON};
use super::model::{
    App, DEFAULT_INSTANCE_VAR, DEFAULT_KILL_TIMEOUT, DEFAULT_MAX_RESTARTS, DEFAULT_MIN_UPTIME,
    ExecMode, Hardening, Instances, Output, Placement, RestartPolicy, SystemdOptions, Watch,
    WatchdogPolicy,
};
use super::node::{Entry, Node, Value, shown};
use super::placement::{self, Placed, Written};
use super::reader::{Reader, as_bool};
use super::{systemd_options, watchdog_policy};
use crate::diagnostic::Location;

/// What every app is read against.
pub struct Context<'a> {
    /// The folders relative `script` and `cwd` are tried against, in order.
    pub bases: &'a [PathBuf],
    /// `--env NAME`.
    pub env_name: Option<&'a str>,
    /// Who apps run as, and where their programs are found.
    pub host: &'a Resolver,
    /// Top-level `systemd:` defaults.
    pub systemd: &'a SystemdOptions,
    /// Top-level `watchdog:` defaults.
    pub watchdog: &'a WatchdogPolicy,
    /// Top-level `hosts:` default.
    pub hosts: Option<&'a Placement>,
}

/// An app, with the locations of its `depends_on` names for checking them later.
pub struct ReadApp {
    /// The app.
    pub app: App,
    /// Where each of `app.systemd.depends_on` was written.
    pub depends_on_at: Vec<Location>,
}

/// Reads one app entry. Returns `None` when it has errors (recorded in `reader`).
pub fn read(reader: &mut Reader<'_>, node: &Node, cx: &Context<'_>) -> Option<ReadApp> {
    let errors_before = reader.errors.len();
    let entries = reader.map(node, "app")?;
    let (fields, env_blocks) = sort_entries(reader, &entries);
    let fields = Fields(fields);

    let (script_node, script) = read_script(reader, node, &fields, &entries);
    let name = read_name(reader, node, &fields, cx, script.as_deref());
    let written_cwd = fields
        .get(AppKey::Cwd)
        .and_then(|cwd| reader.optional_string(cwd, "cwd"));
    let mut program = read_program(reader, node, &fields, cx, script_node, script.as_deref())
        .with_cwd(written_cwd.as_deref());
    let (instances, exec_mode, placed) = read_mode(reader, &fields, cx, &mut program);
    let environment = read_environment(
        reader,
        node,
        &fields,
        cx,
        &env_blocks,
        program.who.as_ref(),
        placed.as_ref(),
    );
    let lifecycle = read_lifecycle(reader, &fields);
    let watch_base = placed
        .as_ref()
        .map_or_else(|| cx.bases[0].clone(), |p| p.cwd.clone());
    let watch = read_watching(reader, &fields, &watch_base);
    let (stdout, stderr) = read_logs(reader, &fields);
    let group = fields
        .get(AppKey::Group)
        .and_then(|n| reader.account_name(n, "gid"));
    let namespace = fields
        .get(AppKey::Namespace)
        .and_then(|n| reader.optional_string(n, "namespace"));
    let (systemd, depends_on_at) = match fields.get(AppKey::Systemd) {
        Some(n) => systemd_options::read_for_app(reader, n, cx.systemd),
        None => (cx.systemd.clone(), Vec::new()),
    };
    let mut watchdog = match fields.get(AppKey::Watchdog) {
        Some(n) => watchdog_policy::read(reader, n, cx.watchdog),
        None => cx.watchdog.clone(),
    };
    if let Some(n) = fields.get(AppKey::HealthCheck) {
        watchdog.health = super::health::read(reader, n, cx.watchdog.health.as_ref());
    }

    if reader.errors.len() > errors_before {
        return None;
    }
    let (Some(name), Some(placed), Some(exec_mode), Some(who)) =
        (name, placed, exec_mode, program.who)
    else {
        return None;
    };
    let Placed {
        resolved,
        cwd,
        found,
        hidden_from_others,
    } = placed;
    identity_warnings(reader, cx, &who, systemd.hardening, program.user_at);
    // `strict` runs under a dynamic user unless `user:` names one.
    let who = if systemd.hardening == Hardening::Strict && program.user.is_none() {
        host::Who {
            user: None,
            account: None,
            ..who
        }
    } else {
        who
    };
    Some(ReadApp {
        app: App {
            name,
            location: node.at,
            command: resolved.command,
            cwd,
            env: environment.env,
            port: environment.port,
            instances,
            exec_mode,
            instance_var: environment.instance_var,
            increment_var: environment.increment_var,
            max_memory: lifecycle.max_memory,
            restart: lifecycle.restart,
            kill_timeout: lifecycle.kill_timeout,
            listen_timeout: lifecycle.listen_timeout,
            wait_ready: lifecycle.wait_ready,
            shutdown_with_message: lifecycle.shutdown_with_message,
            listen_ports: lifecycle.listen_ports,
            autostart: lifecycle.autostart,
            treekill: lifecycle.treekill,
            stdout,
            stderr,
            cron_restart: lifecycle.cron_restart,
            watch,
            user: who.user,
            // A home that does not exist (`/nonexistent`) cannot be bound.
            home: who.account.map(|a| a.home).filter(|home| home.is_dir()),
            found_programs: found,
            hidden_from_others,
            group,
            namespace,
            systemd,
            watchdog,
            hosts: super::hosts::for_app(reader, fields.get(AppKey::Hosts), cx.hosts),
        },
        depends_on_at,
    })
}

/// An app's entries by the attribute they set.
struct Fields<'n>(HashMap<AppKey, &'n Entry>);

impl<'n> Fields<'n> {
    /// The value given for `key`, if any.
    fn get(&self, key: AppKey) -> Option<&'n Node> {
        self.0.get(&key).map(|entry| &entry.value)
    }
}

/// What to run, as written: the `script` node and its text.
fn read_script<'n>(
    reader: &mut Reader<'_>,
    node: &Node,
    fields: &Fields<'n>,
    entries: &[&Entry],
) -> (Option<&'n Node>, Option<String>) {
    let script_node = fields.get(AppKey::Script);
    if script_node.is_none() {
        reader.missing(
            node.at,
            "app has no `script`",
            "add `script: path/to/app.js` (or a command line)",
            "script",
            entries.iter().copied(),
        );
    }
    let script = script_node.and_then(|script| reader.string(script, "script"));
    (script_node, script)
}

/// The app's name: `name`, else PM2's default from the script; `-ENV` appended when
/// `append_env_to_name` asks for it.
fn read_name(
    reader: &mut Reader<'_>,
    node: &Node,
    fields: &Fields<'_>,
    cx: &Context<'_>,
    script: Option<&str>,
) -> Option<String> {
    let name_node = fields.get(AppKey::Name);
    let mut name = match name_node {
        Some(name) => reader.string(name, "name"),
        // PM2: the script's file name without its extension.
        None => script.map(default_name),
    };
    if let Some(n) = &name {
        if n.trim().is_empty() {
            reader.error(name_node.map_or(node.at, |n| n.at), "`name` is empty");
        } else if n.contains(['\0', '\n', '\r']) {
            reader.error(
                name_node.map_or(node.at, |n| n.at),
                "`name` holds a control character",
            );
        }
    }
    if let (Some(append), Some(env_name)) = (fields.get(AppKey::AppendEnvToName), cx.env_name)
        && reader.bool(append, "append_env_to_name") == Some(true)
    {
        name = name.map(|n| format!("{n}-{env_name}"));
    }
    name
}

/// Who runs the app and with what command line, as written and as found.
struct Program<'t> {
    /// `user:` as written.
    user: Option<String>,
    /// Where `user:` was written (the app's start without it).
    user_at: Location,
    /// Who the app runs as; `None` after an error.
    who: Option<host::Who>,
    /// The command line as written.
    written: Option<Written<'t>>,
    /// Where `script` was written.
    script_at: Location,
}

impl<'t> Program<'t> {
    /// The same, with `cwd` as written.
    fn with_cwd(mut self, cwd: Option<&'t str>) -> Self {
        if let Some(written) = &mut self.written {
            written.cwd = cwd;
        }
        self
    }
}

/// The app's identity and command line as written (`user`, `interpreter`,
/// `node_args`, `args`; `cwd` is added by [`Program::with_cwd`]).
fn read_program<'t>(
    reader: &mut Reader<'_>,
    node: &Node,
    fields: &Fields<'_>,
    cx: &Context<'_>,
    script_node: Option<&Node>,
    script: Option<&'t str>,
) -> Program<'t> {
    let user = fields
        .get(AppKey::User)
        .and_then(|n| reader.account_name(n, "user"));
    let user_at = fields.get(AppKey::User).map_or(node.at, |n| n.at);
    let who = identity(reader, cx, user.as_deref(), user_at);
    let interpreter = match fields.get(AppKey::Interpreter) {
        None => Interpreter::Default,
        Some(node) => match &node.value {
            Value::Null => Interpreter::None,
            _ => match reader.string(node, "interpreter") {
                Some(name) if name.trim().is_empty() => Interpreter::Default,
                Some(name) if name.trim() == "none" => Interpreter::None,
                Some(name) => Interpreter::Named(name.trim().to_owned()),
                None => Interpreter::Default,
            },
        },
    };
    let interpreter_args = fields
        .get(AppKey::InterpreterArgs)
        .and_then(|n| reader.words(n, "node_args"))
        .unwrap_or_default();
    let args = fields
        .get(AppKey::Args)
        .and_then(|n| reader.words(n, "args"))
        .unwrap_or_default();
    let written = script.map(|script| Written {
        script,
        cwd: None,
        interpreter,
        interpreter_args,
        args,
    });
    Program {
        user,
        user_at,
        who,
        written,
        script_at: script_node.map_or(node.at, |n| n.at),
    }
}

/// Where the command and its folder are found, for `program` as it is written.
fn place(reader: &mut Reader<'_>, cx: &Context<'_>, program: &Program<'_>) -> Option<Placed> {
    let who = program.who.as_ref()?;
    let written = program.written.as_ref()?;
    placement::place(
        reader,
        cx.bases,
        cx.host.lookups(),
        who,
        written,
        program.script_at,
    )
}

/// How many instances, in which mode, and the command placed for that mode (cluster
/// mode runs the script with node, as PM2 does).
fn read_mode(
    reader: &mut Reader<'_>,
    fields: &Fields<'_>,
    cx: &Context<'_>,
    program: &mut Program<'_>,
) -> (Instances, Option<ExecMode>, Option<Placed>) {
    let mut placed = place(reader, cx, program);
    let instances = fields
        .get(AppKey::Instances)
        .and_then(|n| read_instances(reader, n));
    // PM2 uses cluster mode for node (and bun) apps only.
    let node_like = placed
        .as_ref()
        .and_then(|p| p.resolved.interpreter.as_deref())
        .is_some_and(|i| i.contains("node") || i.contains("bun"));
    let exec_mode = match fields.get(AppKey::ExecMode) {
        Some(mode_node) => match read_exec_mode(reader, mode_node) {
            Some(ExecMode::Cluster) if !node_like => {
                reader.warn(
                    mode_node.at,
                    "cluster mode needs Node's cluster module; this app runs as separate processes (fork mode)",
                    Some("PM2 runs only node (and bun) apps in cluster mode".to_owned()),
                );
                Some(ExecMode::Fork)
            }
            mode => mode,
        },
        // PM2: `instances` without `exec_mode` means cluster mode.
        None if instances.is_some() && node_like => Some(ExecMode::Cluster),
        None => Some(ExecMode::Fork),
    };
    let instances = instances.unwrap_or(Instances::Single);
    // PM2's cluster mode forks node with the script, whatever `interpreter` says
    // (lib/God/ClusterMode.js: cluster.fork of ProcessContainer.js).
    if exec_mode == Some(ExecMode::Cluster)
        && let Some(p) = placed.as_ref()
        && let Some(ignored) = p.resolved.interpreter.clone().filter(|i| !is_plain_node(i))
        && let Some(w) = program.written.as_mut()
    {
        reader.warn(
            fields
                .get(AppKey::Interpreter)
                .map_or(program.script_at, |n| n.at),
            format!("cluster mode runs the script with node, as PM2 does: `interpreter: {ignored}` is ignored"),
            Some("use fork mode (`exec_mode: fork`) to run it with that interpreter".to_owned()),
        );
        w.interpreter = Interpreter::Named("node".to_owned());
        placed = place(reader, cx, program);
    }
    (instances, exec_mode, placed)
}

/// The app's environment and what is read from it: the port and instance variables.
struct Environment {
    env: BTreeMap<String, String>,
    port: Option<u16>,
    instance_var: String,
    increment_var: Option<String>,
}

/// `env`, the `env_NAME` block `--env` selects (the others checked too), `port`, what
/// PM2 adds (`PYTHONUNBUFFERED`, its `PATH`), `instance_var` and `increment_var`.
fn read_environment(
    reader: &mut Reader<'_>,
    node: &Node,
    fields: &Fields<'_>,
    cx: &Context<'_>,
    env_blocks: &[&Entry],
    who: Option<&host::Who>,
    placed: Option<&Placed>,
) -> Environment {
    let mut env = BTreeMap::new();
    if let Some(block) = fields.get(AppKey::Env) {
        read_env(reader, block, "env", &mut env);
    }
    read_env_blocks(reader, node, cx, env_blocks, &mut env);
    let port = match fields.get(AppKey::Port) {
        Some(port_node) => {
            let port = read_port(reader, port_node, "port");
            if let Some(port) = port {
                // PM2: `port` is a shortcut for PORT in the environment.
                env.insert("PORT".to_owned(), port.to_string());
            }
            port
        }
        None => env
            .get("PORT")
            .and_then(|p| p.trim().parse::<u16>().ok())
            .filter(|p| *p > 0),
    };
    if placed
        .and_then(|p| p.resolved.interpreter.as_deref())
        .is_some_and(|i| i.contains("python"))
    {
        // PM2 sets this for python apps so their output reaches the logs line by line.
        env.entry("PYTHONUNBUFFERED".to_owned())
            .or_insert_with(|| "1".to_owned());
    }
    // PM2 passed its own environment, the shell's `PATH` included, to every app: the
    // commands an app runs itself (`npm start` running `node`) are found as there.
    if *cx.host.lookups() == Lookups::Host
        && let Some(path) = who.and_then(|w| host::path_value(&w.search))
    {
        env.entry("PATH".to_owned()).or_insert(path);
    }
    let instance_var = fields
        .get(AppKey::InstanceVar)
        .and_then(|n| {
            let fallback = format!("gen-units sets the instance number in {DEFAULT_INSTANCE_VAR}");
            read_var_name(reader, n, "instance_var", &fallback)
        })
        .unwrap_or_else(|| DEFAULT_INSTANCE_VAR.to_owned());
    let increment_var = fields.get(AppKey::IncrementVar).and_then(|n| {
        read_var_name(
            reader,
            n,
            "increment_var",
            "gen-units increments no variable",
        )
    });
    Environment {
        env,
        port,
        instance_var,
        increment_var,
    }
}

/// The `env_NAME` block `--env NAME` selects, over `env`; the other blocks are
/// checked too, so a typo there is not silent.
fn read_env_blocks(
    reader: &mut Reader<'_>,
    node: &Node,
    cx: &Context<'_>,
    env_blocks: &[&Entry],
    env: &mut BTreeMap<String, String>,
) {
    let env_block_names: Vec<&str> = env_blocks.iter().map(|entry| &entry.key[4..]).collect();
    if let Some(env_name) = cx.env_name {
        match env_blocks.iter().find(|entry| &entry.key[4..] == env_name) {
            Some(entry) => read_env(reader, &entry.value, &entry.key, env),
            None if !env_blocks.is_empty() => reader.warn(
                node.at,
                format!("no `env_{env_name}` block; only `env` applies"),
                Some(format!(
                    "its blocks are: {}",
                    env_block_names
                        .iter()
                        .map(|n| format!("env_{}", shown(n)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
            None => {}
        }
    }
    for entry in env_blocks {
        if Some(&entry.key[4..]) != cx.env_name {
            let mut scratch = BTreeMap::new();
            read_env(reader, &entry.value, &entry.key, &mut scratch);
        }
    }
}

/// Limits, restarts, readiness and start-up of one app.
struct Lifecycle {
    max_memory: Option<u64>,
    restart: RestartPolicy,
    kill_timeout: std::time::Duration,
    listen_timeout: Option<std::time::Duration>,
    wait_ready: bool,
    shutdown_with_message: bool,
    listen_ports: Vec<u16>,
    autostart: bool,
    treekill: bool,
    cron_restart: Option<(String, Location)>,
}

/// Limits and restarts, readiness, stopping and starting.
fn read_lifecycle(reader: &mut Reader<'_>, fields: &Fields<'_>) -> Lifecycle {
    let get = |key| fields.get(key);
    // PM2 treats 0 as "no limit".
    let max_memory = get(AppKey::MaxMemoryRestart)
        .and_then(|n| reader.size(n, "max_memory_restart"))
        .filter(|bytes| *bytes > 0);
    let restart = RestartPolicy {
        autorestart: get(AppKey::Autorestart)
            .and_then(|n| reader.bool(n, "autorestart"))
            .unwrap_or(true),
        stop_exit_codes: get(AppKey::StopExitCodes)
            .map(|n| read_exit_codes(reader, n))
            .unwrap_or_default(),
        delay: get(AppKey::RestartDelay).and_then(|n| reader.duration(n, "restart_delay")),
        exp_backoff: get(AppKey::ExpBackoffRestartDelay)
            .and_then(|n| reader.duration(n, "exp_backoff_restart_delay"))
            .filter(|d| !d.is_zero()),
        max_restarts: get(AppKey::MaxRestarts)
            .and_then(|n| reader.ranged(n, "max_restarts", 0, i128::from(u32::MAX)))
            .unwrap_or(DEFAULT_MAX_RESTARTS),
        min_uptime: get(AppKey::MinUptime)
            .and_then(|n| reader.duration(n, "min_uptime"))
            .unwrap_or(DEFAULT_MIN_UPTIME),
    };
    Lifecycle {
        max_memory,
        restart,
        kill_timeout: get(AppKey::KillTimeout)
            .and_then(|n| reader.duration(n, "kill_timeout"))
            .unwrap_or(DEFAULT_KILL_TIMEOUT),
        listen_timeout: get(AppKey::ListenTimeout)
            .and_then(|n| reader.duration(n, "listen_timeout")),
        wait_ready: get(AppKey::WaitReady)
            .and_then(|n| reader.bool(n, "wait_ready"))
            .unwrap_or(false),
        shutdown_with_message: get(AppKey::ShutdownWithMessage)
            .and_then(|n| reader.bool(n, "shutdown_with_message"))
            .unwrap_or(false),
        listen_ports: get(AppKey::ListenPort)
            .map(|n| read_ports(reader, n))
            .unwrap_or_default(),
        autostart: get(AppKey::Autostart)
            .and_then(|n| reader.bool(n, "autostart"))
            .unwrap_or(true),
        treekill: get(AppKey::Treekill)
            .and_then(|n| reader.bool(n, "treekill"))
            .unwrap_or(true),
        cron_restart: get(AppKey::CronRestart).and_then(|n| read_cron(reader, n)),
    }
}

/// `watch`, `ignore_watch` and `watch_delay`; relative paths against `base`.
fn read_watching(reader: &mut Reader<'_>, fields: &Fields<'_>, base: &Path) -> Option<Watch> {
    let watch = fields
        .get(AppKey::Watch)
        .and_then(|n| read_watch(reader, n, base));
    let ignore = fields
        .get(AppKey::IgnoreWatch)
        .and_then(|n| reader.string_list(n, "ignore_watch"))
        .unwrap_or_default();
    let delay = fields
        .get(AppKey::WatchDelay)
        .and_then(|n| reader.duration(n, "watch_delay"));
    watch.map(|paths| Watch {
        paths,
        ignore,
        delay,
    })
}

/// Logs: the journal, or nothing (`out_file`, `error_file`; `log_file` is ignored).
fn read_logs(reader: &mut Reader<'_>, fields: &Fields<'_>) -> (Output, Output) {
    let disable_logs = fields
        .get(AppKey::DisableLogs)
        .and_then(|n| reader.bool(n, "disable_logs"))
        .unwrap_or(false);
    let stdout = log_target(
        reader,
        fields.get(AppKey::OutFile),
        "out_file",
        disable_logs,
    );
    let stderr = log_target(
        reader,
        fields.get(AppKey::ErrorFile),
        "error_file",
        disable_logs,
    );
    if let Some(log) = fields.get(AppKey::LogFile) {
        let discarded = matches!(&log.value, Value::Bool(false) | Value::Null)
            || matches!(&log.value, Value::Str(s) if is_null_device(s));
        if !discarded {
            reader.warn(
                log.at,
                "`log_file` is ignored".to_owned(),
                Some(LOG_FILES_REASON.to_owned()),
            );
        }
    }
    (stdout, stderr)
}

/// Sorts an app's entries by what they set. Keys PM2 drops (unknown, miscased,
/// written as command-line flags) are dropped with a warning; of two names of one
/// attribute, the one PM2 prefers is kept, with a warning.
fn sort_entries<'n>(
    reader: &mut Reader<'_>,
    entries: &[&'n Entry],
) -> (HashMap<AppKey, &'n Entry>, Vec<&'n Entry>) {
    let mut fields: HashMap<AppKey, &Entry> = HashMap::new();
    let mut env_blocks: Vec<&Entry> = Vec::new();
    for &entry in entries {
        if entry.key.starts_with("env_") && entry.key.len() > 4 {
            env_blocks.push(entry);
            continue;
        }
        match keys::app_key(&entry.key) {
            Some(AppKey::Ignored(reason)) => ignored(reader, entry, reason),
            Some(key) => match fields.get(&key) {
                Some(first) => {
                    let kept = keys::preferred(&first.key, &entry.key);
                    let dropped = if kept == first.key { entry } else { *first };
                    reader.warn(
                        dropped.key_at,
                        format!(
                            "`{}` and `{}` set the same attribute: PM2 takes `{kept}`, and so does gen-units",
                            shown(&first.key),
                            shown(&entry.key),
                        ),
                        Some(format!("remove `{}`", shown(&dropped.key))),
                    );
                    if kept == entry.key {
                        fields.insert(key, entry);
                    }
                }
                None => {
                    fields.insert(key, entry);
                }
            },
            None => {
                let (message, hint) = keys::unknown_app_key(&entry.key);
                reader.warn(entry.key_at, message, hint);
            }
        }
    }
    (fields, env_blocks)
}

/// Who the app runs as (see [`host`]), with the warnings the choice deserves.
fn identity(
    reader: &mut Reader<'_>,
    cx: &Context<'_>,
    user: Option<&str>,
    at: Location,
) -> Option<host::Who> {
    let who = match cx.host.who(user) {
        Ok(who) => who,
        Err(message) => {
            reader.error_hint(
                at,
                message,
                "create the user, or render for another host with --portable",
            );
            return None;
        }
    };
    Some(who)
}

/// The warnings an app's identity deserves: none under `strict`, which asks for a
/// dynamic user; else once when the owner is root or unknown.
fn identity_warnings(
    reader: &mut Reader<'_>,
    cx: &Context<'_>,
    who: &host::Who,
    hardening: Hardening,
    at: Location,
) {
    if who.user.is_none() && matches!(hardening, Hardening::Standard) {
        match (cx.host.lookups(), cx.host.owner()) {
            (Lookups::Host, Some(owner)) if owner.uid == 0 => reader.warn(
                at,
                format!("the project {} {}", cx.bases.last().map_or(String::new(), |b| b.display().to_string()), host::ROOT_OWNER),
                Some(host::ROOT_OWNER_FIX.to_owned()),
            ),
            (Lookups::Host | Lookups::Portable, _) => reader.warn(
                at,
                "no `user:` and no owner known: the apps run under a dynamic user (the `strict` profile)".to_owned(),
                Some("write `user: NAME` (the user who ran `pm2 start`)".to_owned()),
            ),
            _ => {}
        }
    }
}

/// Whether `interpreter` is node itself (a path or name ending in `node`, not
/// `ts-node`).
fn is_plain_node(interpreter: &str) -> bool {
    Path::new(interpreter)
        .file_name()
        .is_some_and(|n| n == "node")
}

/// The name an app entry declares (or PM2 derives from its script), read without
/// checks: for cross-references between apps, refused ones included.
pub fn declared_name(node: &Node, env_name: Option<&str>) -> Option<String> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    // A repeated key: the last one counts, as in PM2.
    let find = |keys: &[&str]| {
        entries
            .iter()
            .rev()
            .find(|e| keys.contains(&e.key.as_str()))
    };
    let name = match find(&["name"]) {
        Some(entry) => entry.value.scalar_text()?,
        None => default_name(
            &find(&["script", "exec", "cmd", "command"])?
                .value
                .scalar_text()?,
        ),
    };
    let append = find(&["append_env_to_name"]).is_some_and(|e| as_bool(&e.value) == Some(true));
    Some(match env_name {
        Some(env_name) if append => format!("{name}-{env_name}"),
        _ => name,
    })
}

fn ignored(reader: &mut Reader<'_>, entry: &Entry, reason: &str) {
    reader.warn(
        entry.key_at,
        format!("`{}` has no systemd counterpart and is ignored", entry.key),
        Some(reason.to_owned()),
    );
}

/// PM2's default name: the script's file name without its extension.
fn default_name(script: &str) -> String {
    let first_word = script.split_whitespace().next().unwrap_or(script);
    let path = Path::new(first_word);
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| first_word.to_owned())
}

fn read_instances(reader: &mut Reader<'_>, node: &Node) -> Option<Instances> {
    let count = match &node.value {
        Value::Str(s) if s.trim().eq_ignore_ascii_case("max") => 0,
        Value::Int(_) | Value::Str(_) | Value::Float(_) => {
            let parsed = match &node.value {
                Value::Str(s) => s.trim().parse::<i128>().ok(),
                Value::Int(i) => Some(*i),
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e9 => Some(*f as i128),
                _ => None,
            };
            match (parsed, &node.value) {
                (Some(count), _) => count,
                // PM2 (verifyConfs): `parseInt(instances) || 0`, so any other text
                // counts as its leading number, or as 0: one instance per CPU.
                (None, Value::Str(text)) => {
                    let count = leading_integer(text).unwrap_or(0);
                    reader.warn(
                        node.at,
                        format!(
                            "`instances`: \"{}\" is not a number: PM2 reads it as {count}{}, and so does gen-units",
                            shown(text),
                            if count == 0 { " (one per CPU)" } else { "" }
                        ),
                        Some("use a number of processes, \"max\" (one per CPU) or -1 (one per CPU but one)".to_owned()),
                    );
                    count
                }
                (None, _) => {
                    reader.error_hint(
                        node.at,
                        format!("`instances`: expected a number or \"max\", found {}", describe(node)),
                        "use a number of processes, \"max\" (one per CPU) or -1 (one per CPU but one)",
                    );
                    return None;
                }
            }
        }
        Value::Null => return None,
        _ => {
            reader.expected(node, "instances", "a number or \"max\"");
            return None;
        }
    };
    match count {
        1 => Some(Instances::Single),
        2..=4096 => u32::try_from(count).ok().map(Instances::Fixed),
        0 => Some(Instances::PerCpu { reserve: 0 }),
        -1024..=-1 => u32::try_from(-count)
            .ok()
            .map(|reserve| Instances::PerCpu { reserve }),
        _ => {
            reader.error(
                node.at,
                format!("`instances`: {count} is out of range (-1024 to 4096)"),
            );
            None
        }
    }
}

/// The integer JavaScript's `parseInt` reads at the start of `text`, if any.
fn leading_integer(text: &str) -> Option<i128> {
    let text = text.trim_start();
    let digits_from = usize::from(text.starts_with(['-', '+']));
    let end = text[digits_from..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(text.len(), |at| at + digits_from);
    text[..end].parse().ok()
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("\"{}\"", shown(s)),
        _ => node.kind().to_owned(),
    }
}

fn read_exec_mode(reader: &mut Reader<'_>, node: &Node) -> Option<ExecMode> {
    let text = match &node.value {
        Value::Null => return Some(ExecMode::Fork),
        _ => reader.string(node, "exec_mode")?,
    };
    match text.trim() {
        "" | "fork" | "fork_mode" => Some(ExecMode::Fork),
        "cluster" | "cluster_mode" => Some(ExecMode::Cluster),
        other => {
            let message = format!("`exec_mode`: unknown mode \"{}\"", shown(other));
            match super::suggest::closest(other, ["fork", "fork_mode", "cluster", "cluster_mode"]) {
                Some(near) => {
                    reader.error_hint(node.at, message, format!("did you mean `{near}`?"))
                }
                None => reader.error_hint(node.at, message, "use fork or cluster"),
            }
            None
        }
    }
}

/// Whether `name` can be an environment variable's name.
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A variable name for `what`. PM2 sets a variable of any name in the app's
/// environment; systemd passes only valid names, so another one is ignored with a
/// warning saying what happens instead (`fallback`).
fn read_var_name(
    reader: &mut Reader<'_>,
    node: &Node,
    what: &str,
    fallback: &str,
) -> Option<String> {
    let name = reader.string(node, what)?;
    if is_var_name(&name) {
        return Some(name);
    }
    reader.warn(
        node.at,
        format!(
            "`{what}`: `{}` is not a valid variable name: PM2 set it in the app's environment anyway, systemd cannot pass it; {fallback}",
            shown(&name)
        ),
        Some("use letters, digits and _, not starting with a digit, and read that name in the app".to_owned()),
    );
    None
}

fn read_env(reader: &mut Reader<'_>, node: &Node, what: &str, env: &mut BTreeMap<String, String>) {
    if matches!(node.value, Value::Null) {
        return;
    }
    let Some(entries) = reader.map(node, what) else {
        return;
    };
    for entry in entries {
        if !is_var_name(&entry.key) {
            reader.warn(
                entry.key_at,
                format!(
                    "`{what}`: `{}` is not a valid variable name: PM2 passed it to the app, systemd cannot; gen-units leaves it out",
                    shown(&entry.key)
                ),
                Some("names are letters, digits and _, not starting with a digit".to_owned()),
            );
            continue;
        }
        let value = match &entry.value.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                entry.value.scalar_text().unwrap_or_default()
            }
            _ => {
                reader.expected(
                    &entry.value,
                    &format!("{what}.{}", shown(&entry.key)),
                    "a string, number or boolean",
                );
                continue;
            }
        };
        if value.contains('\0') {
            reader.error(
                entry.value.at,
                format!("`{what}.{}` holds a NUL character", shown(&entry.key)),
            );
            continue;
        }
        env.insert(entry.key.clone(), value);
    }
}

fn read_port(reader: &mut Reader<'_>, node: &Node, what: &str) -> Option<u16> {
    let port = reader.integer(node, what)?;
    match u16::try_from(port) {
        Ok(port) if port > 0 => Some(port),
        _ => {
            reader.error(
                node.at,
                format!("`{what}`: port {port} is out of range (1 to 65535)"),
            );
            None
        }
    }
}

/// The items of a value written as one item or a list of them (null: none).
fn one_or_many(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        _ => vec![node],
    }
}

/// `listen_port`: one port or a list of them.
fn read_ports(reader: &mut Reader<'_>, node: &Node) -> Vec<u16> {
    one_or_many(node)
        .into_iter()
        .filter_map(|item| read_port(reader, item, "listen_port"))
        .collect()
}

fn read_exit_codes(reader: &mut Reader<'_>, node: &Node) -> Vec<i32> {
    one_or_many(node)
        .into_iter()
        .filter_map(|item| reader.ranged(item, "stop_exit_codes", 0, 255))
        .collect()
}

fn read_cron(reader: &mut Reader<'_>, node: &Node) -> Option<(String, Location)> {
    match &node.value {
        Value::Null | Value::Bool(false) => None,
        // PM2: 0 disables the cron restart.
        Value::Int(0) => None,
        Value::Str(s) if s.trim().is_empty() || s.trim() == "0" => None,
        Value::Str(s) => Some((s.trim().to_owned(), node.at)),
        _ => {
            reader.expected(
                node,
                "cron_restart",
                "a cron expression such as \"0 3 * * *\"",
            );
            None
        }
    }
}

fn read_watch(reader: &mut Reader<'_>, node: &Node, cwd: &Path) -> Option<Vec<std::path::PathBuf>> {
    if let Some(on) = as_bool(node) {
        return on.then(|| vec![cwd.to_path_buf()]);
    }
    match &node.value {
        Value::Null => None,
        Value::Str(_) | Value::Seq(_) => {
            let paths = reader.string_list(node, "watch")?;
            if paths.is_empty() {
                return None;
            }
            Some(
                paths
                    .iter()
                    .map(|p| super::command::absolute(cwd, p))
                    .collect(),
            )
        }
        _ => {
            reader.expected(node, "watch", "true, false, a path or a list of paths");
            None
        }
    }
}

fn is_null_device(path: &str) -> bool {
    matches!(path.trim(), "/dev/null" | "NULL")
}

fn log_target(reader: &mut Reader<'_>, node: Option<&Node>, what: &str, disabled: bool) -> Output {
    if disabled {
        return Output::Null;
    }
    let Some(node) = node else {
        return Output::Journal;
    };
    match &node.value {
        Value::Str(path) if is_null_device(path) => Output::Null,
        Value::Null => Output::Journal,
        Value::Str(_) => {
            reader.warn(
                node.at,
                format!("`{what}` is ignored: output goes to the journal"),
                Some(LOG_FILES_REASON.to_owned()),
            );
            Output::Journal
        }
        _ => {
            reader.expected(node, what, "a file path");
            Output::Journal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_drop_the_extension() {
        assert_eq!(default_name("./dist/server.js"), "server");
        assert_eq!(default_name("npm run start"), "npm");
        assert_eq!(default_name("worker"), "worker");
    }

    #[test]
    fn leading_integers_as_javascript_reads_them() {
        assert_eq!(leading_integer("4 workers"), Some(4));
        assert_eq!(leading_integer(" -2x"), Some(-2));
        assert_eq!(leading_integer("lots"), None);
        assert_eq!(leading_integer("-"), None);
    }

    #[test]
    fn cluster_mode_runs_node_whatever_the_interpreter_says() {
        let text = "apps:\n  - name: api\n    script: /srv/api/main.ts\n    interpreter: ts-node\n    node_args: [--require, ts-node/register]\n    exec_mode: cluster\n    instances: 2\n";
        let eco = crate::ecosystem::parse_with_search_path(
            text,
            Path::new("/srv/api/ecosystem.yaml"),
            &crate::ecosystem::LoadOptions::default(),
            "/usr/bin:/bin".as_ref(),
        )
        .unwrap();
        let app = &eco.apps[0];
        assert_eq!(app.exec_mode, ExecMode::Cluster);
        assert!(
            app.command.program.ends_with("node"),
            "{}",
            app.command.program
        );
        assert!(!app.command.program.ends_with("ts-node"));
        assert_eq!(
            app.command.args,
            ["--require", "ts-node/register", "/srv/api/main.ts"]
        );
        assert!(
            eco.warnings
                .iter()
                .any(|w| w.message.contains("`interpreter: ts-node` is ignored")),
            "{:?}",
            eco.warnings
        );
        assert!(is_plain_node("/usr/bin/node") && !is_plain_node("ts-node"));
    }

    #[test]
    fn variable_names() {
        assert!(is_var_name("PORT"));
        assert!(is_var_name("_x1"));
        assert!(!is_var_name("1X"));
        assert!(!is_var_name("A-B"));
        assert!(!is_var_name(""));
    }
}
