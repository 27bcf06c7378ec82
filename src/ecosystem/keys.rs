//! The keys of an app entry: PM2's whole schema with its aliases, and what each one
//! becomes. Keys without a systemd meaning are accepted and reported once, with why.

/// What an app key sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppKey {
    /// `name`.
    Name,
    /// `script` (alias `exec`).
    Script,
    /// `cwd`.
    Cwd,
    /// `args`.
    Args,
    /// `interpreter` / `exec_interpreter`.
    Interpreter,
    /// `node_args` / `interpreter_args` / `interpreterArgs`.
    InterpreterArgs,
    /// `instances`.
    Instances,
    /// `exec_mode`.
    ExecMode,
    /// `watch`.
    Watch,
    /// `ignore_watch`.
    IgnoreWatch,
    /// `watch_delay`.
    WatchDelay,
    /// `max_memory_restart`.
    MaxMemoryRestart,
    /// `env` (the `env_<NAME>` blocks are matched by prefix).
    Env,
    /// `autorestart`.
    Autorestart,
    /// `autostart`.
    Autostart,
    /// `max_restarts`.
    MaxRestarts,
    /// `min_uptime`.
    MinUptime,
    /// `restart_delay`.
    RestartDelay,
    /// `exp_backoff_restart_delay`.
    ExpBackoffRestartDelay,
    /// `stop_exit_codes`.
    StopExitCodes,
    /// `kill_timeout`.
    KillTimeout,
    /// `listen_timeout`.
    ListenTimeout,
    /// `wait_ready`.
    WaitReady,
    /// `shutdown_with_message`.
    ShutdownWithMessage,
    /// `listen_port` (ecosystemd's own).
    ListenPort,
    /// `cron_restart` / `cron`.
    CronRestart,
    /// `uid` / `user`.
    User,
    /// `gid`.
    Group,
    /// `namespace`.
    Namespace,
    /// `instance_var`.
    InstanceVar,
    /// `increment_var`.
    IncrementVar,
    /// `port`.
    Port,
    /// `out_file` and its aliases.
    OutFile,
    /// `error_file` and its aliases.
    ErrorFile,
    /// `log_file` / `log`.
    LogFile,
    /// `disable_logs`.
    DisableLogs,
    /// `treekill`.
    Treekill,
    /// `append_env_to_name`.
    AppendEnvToName,
    /// `systemd:` (ecosystemd's own).
    Systemd,
    /// `watchdog:` (ecosystemd's own).
    Watchdog,
    /// `hosts:` (ecosystemd's own): where the app runs.
    Hosts,
    /// `health_check:` (as pm3 spells it).
    HealthCheck,
    /// Accepted, without a systemd meaning: reported once with the reason.
    Ignored(&'static str),
}

const JOURNAL: &str = "journald replaces log files; read with journalctl -u UNIT";
const MONITORING: &str =
    "PM2's monitoring agent (pmx/Keymetrics) has no systemd counterpart; see unit-watchdog report";

/// Every key an app entry may hold, aliases included, with what it sets.
pub const APP_KEYS: &[(&str, AppKey)] = &[
    ("name", AppKey::Name),
    ("script", AppKey::Script),
    ("exec", AppKey::Script),
    // PM2 (verifyConfs) takes `cmd` and `command` for `script` when it is not given.
    ("cmd", AppKey::Script),
    ("command", AppKey::Script),
    ("cwd", AppKey::Cwd),
    ("args", AppKey::Args),
    // PM2's schema name first: it wins over its alias when both are given.
    ("exec_interpreter", AppKey::Interpreter),
    ("interpreter", AppKey::Interpreter),
    ("node_args", AppKey::InterpreterArgs),
    ("interpreter_args", AppKey::InterpreterArgs),
    ("interpreterArgs", AppKey::InterpreterArgs),
    ("instances", AppKey::Instances),
    ("exec_mode", AppKey::ExecMode),
    ("watch", AppKey::Watch),
    ("ignore_watch", AppKey::IgnoreWatch),
    ("watch_delay", AppKey::WatchDelay),
    ("max_memory_restart", AppKey::MaxMemoryRestart),
    ("env", AppKey::Env),
    ("autorestart", AppKey::Autorestart),
    ("autostart", AppKey::Autostart),
    ("max_restarts", AppKey::MaxRestarts),
    ("min_uptime", AppKey::MinUptime),
    ("restart_delay", AppKey::RestartDelay),
    ("exp_backoff_restart_delay", AppKey::ExpBackoffRestartDelay),
    ("stop_exit_codes", AppKey::StopExitCodes),
    ("kill_timeout", AppKey::KillTimeout),
    ("listen_timeout", AppKey::ListenTimeout),
    ("wait_ready", AppKey::WaitReady),
    ("shutdown_with_message", AppKey::ShutdownWithMessage),
    ("listen_port", AppKey::ListenPort),
    ("hosts", AppKey::Hosts),
    ("cron_restart", AppKey::CronRestart),
    ("cron", AppKey::CronRestart),
    ("uid", AppKey::User),
    ("user", AppKey::User),
    ("gid", AppKey::Group),
    ("namespace", AppKey::Namespace),
    ("instance_var", AppKey::InstanceVar),
    ("increment_var", AppKey::IncrementVar),
    ("port", AppKey::Port),
    ("out_file", AppKey::OutFile),
    ("out", AppKey::OutFile),
    ("output", AppKey::OutFile),
    ("out_log", AppKey::OutFile),
    ("error_file", AppKey::ErrorFile),
    ("error", AppKey::ErrorFile),
    ("err", AppKey::ErrorFile),
    ("err_file", AppKey::ErrorFile),
    ("err_log", AppKey::ErrorFile),
    ("log_file", AppKey::LogFile),
    ("log", AppKey::LogFile),
    ("disable_logs", AppKey::DisableLogs),
    ("treekill", AppKey::Treekill),
    ("append_env_to_name", AppKey::AppendEnvToName),
    ("systemd", AppKey::Systemd),
    ("watchdog", AppKey::Watchdog),
    ("health_check", AppKey::HealthCheck),
    (
        "merge_logs",
        AppKey::Ignored(
            "journald keeps every instance's lines under its own unit; read them together with journalctl -u 'UNIT*'",
        ),
    ),
    (
        "combine_logs",
        AppKey::Ignored(
            "journald keeps every instance's lines under its own unit; read them together with journalctl -u 'UNIT*'",
        ),
    ),
    (
        "log_date_format",
        AppKey::Ignored(
            "journald timestamps every line; choose the format when reading, e.g. journalctl -o short-iso",
        ),
    ),
    (
        "time",
        AppKey::Ignored(
            "journald timestamps every line; choose the format when reading, e.g. journalctl -o short-iso",
        ),
    ),
    (
        "log_type",
        AppKey::Ignored(
            "journald stores structured entries; read them as JSON with journalctl -o json",
        ),
    ),
    (
        "pid_file",
        AppKey::Ignored("systemd tracks the main process itself (MainPID); no pid file is written"),
    ),
    (
        "pid",
        AppKey::Ignored("systemd tracks the main process itself (MainPID); no pid file is written"),
    ),
    (
        "vizion",
        AppKey::Ignored("PM2's version-control metadata has no systemd counterpart"),
    ),
    ("pmx", AppKey::Ignored(MONITORING)),
    ("automation", AppKey::Ignored(MONITORING)),
    ("trace", AppKey::Ignored(MONITORING)),
    ("disable_trace", AppKey::Ignored(MONITORING)),
    ("deep_monitoring", AppKey::Ignored(MONITORING)),
    ("v8", AppKey::Ignored(MONITORING)),
    ("event_loop_inspector", AppKey::Ignored(MONITORING)),
    ("io", AppKey::Ignored(MONITORING)),
    (
        "source_map_support",
        AppKey::Ignored(
            "PM2 injects source-map-support into Node; add --enable-source-maps to node_args instead",
        ),
    ),
    (
        "disable_source_map_support",
        AppKey::Ignored(
            "PM2 injects source-map-support into Node; add --enable-source-maps to node_args instead",
        ),
    ),
    (
        "force",
        AppKey::Ignored("systemd never runs a unit twice; there is nothing to force"),
    ),
    (
        "post_update",
        AppKey::Ignored("commands run by PM2 after a Keymetrics update are not run by systemd"),
    ),
    (
        "kill_retry_time",
        AppKey::Ignored("systemd sends SIGKILL once after kill_timeout (TimeoutStopSec=)"),
    ),
    (
        "filter_env",
        AppKey::Ignored(
            "systemd services start with a clean environment: nothing of the caller's leaks in",
        ),
    ),
    (
        "watch_options",
        AppKey::Ignored("chokidar options do not apply to systemd .path units"),
    ),
    (
        "name_prefix",
        AppKey::Ignored("use the top-level `prefix` setting for unit names"),
    ),
    (
        "install_url",
        AppKey::Ignored("PM2 module installation has no systemd counterpart"),
    ),
    (
        "execute_command",
        AppKey::Ignored("PM2-internal flag without a systemd counterpart"),
    ),
    (
        "write",
        AppKey::Ignored("PM2-internal flag without a systemd counterpart"),
    ),
    (
        "username",
        AppKey::Ignored("PM2 records who started the app; use `user` to run it as someone"),
    ),
    ("windowsHide", AppKey::Ignored("a Windows-only option")),
];

/// What `key` sets, if it is a known app key (`env_<NAME>` blocks excluded). As in
/// PM2 (lib/tools/Config.js), every key may also be written in camelCase:
/// `maxMemoryRestart` is `max_memory_restart`.
pub fn app_key(key: &str) -> Option<AppKey> {
    exact_app_key(key).or_else(|| {
        let snake = snake_case(key)?;
        exact_app_key(&snake).filter(|_| camel_case(&snake) == key)
    })
}

fn exact_app_key(key: &str) -> Option<AppKey> {
    APP_KEYS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, what)| *what)
}

/// The name PM2 prefers when two names of one attribute are given: the first in
/// [`APP_KEYS`] order (the schema's own name before its aliases), and a camelCase
/// spelling after all of them (PM2 tries it last).
pub fn preferred<'k>(a: &'k str, b: &'k str) -> &'k str {
    let rank = |key: &str| {
        APP_KEYS
            .iter()
            .position(|(known, _)| *known == key)
            .unwrap_or(usize::MAX)
    };
    if rank(b) < rank(a) { b } else { a }
}

/// `maxMemoryRestart` → `max_memory_restart`; `None` when `key` is not camelCase.
fn snake_case(key: &str) -> Option<String> {
    if key.contains('_') || !key.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let mut snake = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    Some(snake)
}

/// PM2's camelCase alias of a schema key: each part after the first, if longer than
/// one character, capitalised.
fn camel_case(key: &str) -> String {
    key.split('_')
        .enumerate()
        .map(|(index, part)| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) if index > 0 && part.len() > 1 => {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                }
                _ => part.to_owned(),
            }
        })
        .collect()
}

/// The warning for an app key PM2 does not know: PM2 keeps only its schema's keys
/// (lib/tools/Config.js validateJSON) and drops the others silently, so the app runs
/// without it; gen-units does the same, and says so. Returns the message and a hint.
pub fn unknown_app_key(key: &str) -> (String, Option<String>) {
    const DROPPED: &str = "PM2 ignores it, and so does gen-units";
    let shown = super::node::shown(key);
    if key.starts_with('-') || key.contains('-') {
        let flag = key.trim_start_matches('-');
        let (negated, name) = match flag.strip_prefix("no-") {
            Some(rest) => (true, rest),
            None => (false, flag),
        };
        let name = name.replace('-', "_");
        let hint = app_key(&name).map(|_| match negated {
            true => format!("in a file, write `{name}: false`"),
            false => format!("in a file, write `{name}:`"),
        });
        let message = format!(
            "`{shown}` is written like a pm2 command-line flag, not an ecosystem key: {DROPPED}"
        );
        return (message, hint);
    }
    // `Env_production`: PM2 matches env blocks by `^env_\S*$`, case-sensitive.
    if let Some(rest) = key
        .get(..4)
        .filter(|prefix| prefix.eq_ignore_ascii_case("env_"))
        .map(|_| &key[4..])
    {
        let message =
            format!("unknown field `{shown}` in app (keys are case-sensitive): {DROPPED}");
        let hint = format!("did you mean `env_{}`?", super::node::shown(rest));
        return (message, Some(hint));
    }
    let near = super::suggest::closest(key, APP_KEYS.iter().map(|(name, _)| *name));
    let case_only = near.is_some_and(|near| near.eq_ignore_ascii_case(key));
    let message = match case_only {
        true => format!("unknown field `{shown}` in app (keys are case-sensitive): {DROPPED}"),
        false => format!("unknown field `{shown}` in app: {DROPPED}"),
    };
    (message, near.map(|near| format!("did you mean `{near}`?")))
}

/// The reason journald stands in for PM2's log files.
pub const LOG_FILES_REASON: &str = JOURNAL;

/// Top-level keys beside `apps`.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "apps",
    "base_dir",
    "deploy",
    "group",
    "prefix",
    "target",
    "slice",
    "memory_budget",
    "logs",
    "hardening",
    "systemd",
    "watchdog",
    "hosts",
    "health_check",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_key_is_listed_once() {
        let mut seen = HashSet::new();
        for (name, _) in APP_KEYS {
            assert!(seen.insert(*name), "{name} listed twice");
        }
    }

    #[test]
    fn aliases_resolve_to_the_same_attribute() {
        assert_eq!(app_key("exec_interpreter"), app_key("interpreter"));
        assert_eq!(app_key("interpreter_args"), app_key("node_args"));
        assert_eq!(app_key("err_log"), Some(AppKey::ErrorFile));
        assert_eq!(app_key("output"), Some(AppKey::OutFile));
        assert_eq!(app_key("cron"), Some(AppKey::CronRestart));
        assert_eq!(app_key("user"), Some(AppKey::User));
        assert_eq!(app_key("Exec_mode"), None);
        assert_eq!(app_key("command"), Some(AppKey::Script));
    }

    #[test]
    fn camel_case_spellings_are_pm2_aliases() {
        assert_eq!(app_key("maxMemoryRestart"), Some(AppKey::MaxMemoryRestart));
        assert_eq!(app_key("execMode"), Some(AppKey::ExecMode));
        assert_eq!(app_key("killTimeout"), Some(AppKey::KillTimeout));
        assert_eq!(app_key("ExecMode"), None);
        assert_eq!(app_key("exec_Mode"), None);
        assert_eq!(preferred("exec", "script"), "script");
        assert_eq!(
            preferred("nodeArgs", "interpreter_args"),
            "interpreter_args"
        );
        assert_eq!(preferred("node_args", "nodeArgs"), "node_args");
    }

    #[test]
    fn unknown_keys_say_pm2_ignores_them_with_a_hint() {
        let (message, hint) = unknown_app_key("Exec_mode");
        assert!(message.contains("case-sensitive"), "{message}");
        assert!(message.contains("PM2 ignores it"), "{message}");
        assert_eq!(hint.as_deref(), Some("did you mean `exec_mode`?"));
        let (message, hint) = unknown_app_key("max_memmory_restart");
        assert!(!message.contains("case-sensitive"), "{message}");
        assert_eq!(hint.as_deref(), Some("did you mean `max_memory_restart`?"));
        assert_eq!(unknown_app_key("favourite_colour").1, None);
        let (message, hint) = unknown_app_key("--no-autorestart");
        assert!(message.contains("command-line flag"), "{message}");
        assert_eq!(
            hint.as_deref(),
            Some("in a file, write `autorestart: false`")
        );
        assert_eq!(
            unknown_app_key("watch-delay").1.as_deref(),
            Some("in a file, write `watch_delay:`")
        );
        let (message, hint) = unknown_app_key("no-daemon");
        assert!(message.contains("command-line flag"), "{message}");
        assert_eq!(hint, None);
        assert_eq!(
            unknown_app_key("Env_production").1.as_deref(),
            Some("did you mean `env_production`?")
        );
    }
}
