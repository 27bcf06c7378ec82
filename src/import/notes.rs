//! What changes under systemd: the comment written above each attribute of an imported
//! app whose meaning is not the same as under PM2.

use super::doc::Doc;

/// The note for attribute `key` of an app, given its value and the whole app entry.
pub fn app_attribute(key: &str, value: &Doc, app: &Doc) -> Option<String> {
    if let Some(kind) = value.unrepresentable() {
        return Some(unrepresentable(kind));
    }
    let note = match canonical(key) {
        "max_memory_restart" => {
            "MemoryMax=: the kernel enforces the limit at once, on the whole service (child \
             processes included), and the service is killed and restarted; PM2 polled the \
             main process's RSS every 30 s and reloaded it gracefully."
        }
        "autorestart" if is_false(value) => {
            "Restart=no: systemd never starts it again by itself, after a crash either \
             (a one-shot job; pair it with cron_restart for a timer)."
        }
        "autorestart" => {
            "Restart=always: as under PM2, clean exits restart too (stop_exit_codes \
             become RestartPreventExitStatus=)."
        }
        "max_restarts" | "min_uptime" => {
            "StartLimitBurst=/StartLimitIntervalSec=: systemd counts every start in the \
             window, manual ones included, and a unit over the limit stays failed until \
             `systemctl reset-failed`; PM2 counted only restarts shorter than min_uptime."
        }
        "exp_backoff_restart_delay" => {
            "RestartSteps=/RestartMaxDelaySec= need systemd 254; on older systemd the \
             delay stays fixed (gen-units warns)."
        }
        "kill_timeout" => {
            "TimeoutStopSec=: after the stop signal (SIGINT, as PM2) and this delay, \
             systemd sends SIGKILL to every process of the service."
        }
        "wait_ready" if !is_false(value) => {
            "Type=notify: for a node app the ecosystemd preload turns \
             process.send('ready') into READY=1, and sends it anyway after listen_timeout, \
             as PM2 marks the app online; any other program must send READY=1 itself."
        }
        "listen_timeout" => {
            "after this delay the app counts as ready even without process.send('ready') \
             (wait_ready), or without listening (cluster mode), as under PM2."
        }
        "out_file" | "error_file" | "log_file" => {
            "journald replaces log files: read the output with journalctl -u UNIT; \
             rotation is the top-level `logs:` setting."
        }
        "merge_logs" | "log_date_format" | "log_type" => {
            "journald stores and timestamps every line itself: ignored \
             (journalctl -o short-iso or -o json choose the format when reading)."
        }
        "watch" if !is_false(value) => {
            "a .path unit restarts the service when a watched path changes; .path units \
             are not recursive: changes inside subfolders are not seen."
        }
        "ignore_watch" => ".path units cannot exclude files: ignored.",
        "watch_options" => "chokidar options do not apply to .path units: ignored.",
        "instances" | "exec_mode" if is_cluster(app) => {
            "cluster mode: each instance becomes a unit of its own (NAME-0, NAME-1, ...) \
             with its own MemoryMax= and restarts; they share the app's port as under PM2 \
             through one systemd socket each (ReusePort=yes) when node runs the script \
             and an env variable (PORT, HTTP_PORT, ...) or `listen_port` names the port."
        }
        "cron_restart" => {
            "a .timer (OnCalendar=) restarts the service; check the schedule with \
             systemd-analyze calendar."
        }
        "env" => {
            "written to a 0600 environment file beside the units, not inline: inline \
             Environment= is visible to every local user."
        }
        "user" | "gid" => "User=/Group=: the account must exist when the unit starts.",
        "shutdown_with_message" => {
            "the ecosystemd preload turns systemd's stop signal (SIGINT) into the \
             'shutdown' message; SIGKILL follows after kill_timeout, as under PM2."
        }
        "pid_file" => "systemd tracks the main process itself: no pid file is written.",
        "vizion"
        | "pmx"
        | "automation"
        | "trace"
        | "disable_trace"
        | "deep_monitoring"
        | "source_map_support"
        | "disable_source_map_support"
        | "force"
        | "post_update"
        | "treekill"
        | "kill_retry_time"
        | "filter_env"
        | "append_env_to_name" => "no systemd counterpart: ignored.",
        name if name.starts_with("env_") => {
            return Some(format!(
                "applied over env by `gen-units --env {}`, as by `pm2 start --env {}`.",
                &name[4..],
                &name[4..]
            ));
        }
        _ => return None,
    };
    Some(note.to_owned())
}

/// The note for a top-level key beside `apps`.
pub fn top_level(key: &str, value: &Doc) -> Option<String> {
    if let Some(kind) = value.unrepresentable() {
        return Some(unrepresentable(kind));
    }
    (key == "deploy").then(|| "pm2 deploy has no systemd counterpart: ignored.".to_owned())
}

/// The note for a value JSON cannot hold, which the import leaves out.
pub fn unrepresentable(kind: &str) -> String {
    match kind {
        "undefined" => "was undefined when the file was evaluated (an unset environment \
                        variable?): left out."
            .to_owned(),
        other => format!("a JavaScript {other} has no YAML form: left out."),
    }
}

/// PM2's name for an attribute that has aliases.
fn canonical(key: &str) -> &str {
    match key {
        "cron" => "cron_restart",
        "uid" => "user",
        "out" | "output" | "out_log" => "out_file",
        "error" | "err" | "err_file" | "err_log" => "error_file",
        "log" => "log_file",
        "combine_logs" => "merge_logs",
        "time" => "log_date_format",
        "pid" => "pid_file",
        other => other,
    }
}

fn is_false(value: &Doc) -> bool {
    matches!(value, Doc::Bool(false) | Doc::Null)
        || matches!(value, Doc::Str(text) if text == "false")
}

/// Whether the app runs in PM2's cluster mode.
fn is_cluster(app: &Doc) -> bool {
    match app.get("exec_mode").and_then(Doc::as_str) {
        Some(mode) => mode.starts_with("cluster"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(entries: &[(&str, Doc)]) -> Doc {
        Doc::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn autorestart_note_follows_its_value() {
        let off = app_attribute("autorestart", &Doc::Bool(false), &Doc::Null).expect("note");
        assert!(off.starts_with("Restart=no"));
        let on = app_attribute("autorestart", &Doc::Bool(true), &Doc::Null).expect("note");
        assert!(on.starts_with("Restart=always"));
    }

    #[test]
    fn aliases_get_the_note_of_their_attribute() {
        let note = app_attribute("err_log", &Doc::Str("/var/log/a.log".into()), &Doc::Null);
        assert!(note.is_some_and(|n| n.contains("journalctl")));
        assert_eq!(
            app_attribute("cron", &Doc::Str("0 3 * * *".into()), &Doc::Null),
            app_attribute("cron_restart", &Doc::Str("0 3 * * *".into()), &Doc::Null)
        );
    }

    #[test]
    fn instances_note_only_in_cluster_mode() {
        let cluster = app(&[("exec_mode", Doc::Str("cluster_mode".into()))]);
        let fork = app(&[("exec_mode", Doc::Str("fork".into()))]);
        assert!(app_attribute("instances", &Doc::Number("4".into()), &cluster).is_some());
        assert!(app_attribute("instances", &Doc::Number("4".into()), &fork).is_none());
    }

    #[test]
    fn unchanged_attributes_have_no_note() {
        assert_eq!(
            app_attribute("name", &Doc::Str("api".into()), &Doc::Null),
            None
        );
        assert_eq!(
            app_attribute("restart_delay", &Doc::Number("100".into()), &Doc::Null),
            None
        );
    }

    #[test]
    fn env_blocks_name_their_flag() {
        let note = app_attribute("env_production", &Doc::Map(vec![]), &Doc::Null).expect("note");
        assert!(note.contains("--env production"));
    }
}
