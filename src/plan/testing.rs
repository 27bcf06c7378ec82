//! Ecosystems built in Rust for the planner's unit tests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::diagnostic::Location;
use crate::ecosystem::{
    App, Command, Ecosystem, ExecMode, Instances, LogSettings, Output, RestartPolicy, Settings,
    SystemdOptions, WatchdogPolicy,
};

/// An app with PM2's defaults, running `node /srv/agents/<name>.js`.
pub fn app(name: &str) -> App {
    App {
        name: name.into(),
        location: Location::new(3, 5),
        command: Command {
            program: "/usr/bin/node".into(),
            args: vec![format!("/srv/agents/{name}.js")],
            script: Some(PathBuf::from(format!("/srv/agents/{name}.js"))),
        },
        cwd: PathBuf::from("/srv/agents"),
        env: BTreeMap::new(),
        port: None,
        instances: Instances::Single,
        exec_mode: ExecMode::Fork,
        instance_var: "NODE_APP_INSTANCE".into(),
        increment_var: None,
        max_memory: None,
        restart: RestartPolicy {
            autorestart: true,
            stop_exit_codes: Vec::new(),
            delay: None,
            exp_backoff: None,
            max_restarts: 16,
            min_uptime: Duration::from_secs(1),
        },
        kill_timeout: Duration::from_millis(1600),
        listen_timeout: None,
        wait_ready: false,
        autostart: true,
        treekill: true,
        stdout: Output::Journal,
        stderr: Output::Journal,
        cron_restart: None,
        watch: None,
        user: None,
        group: None,
        namespace: None,
        systemd: SystemdOptions::default(),
        watchdog: WatchdogPolicy::default(),
    }
}

/// An ecosystem `agents` at `/srv/agents/ecosystem.yaml` holding `apps`.
pub fn ecosystem(apps: Vec<App>) -> Ecosystem {
    Ecosystem {
        source: PathBuf::from("/srv/agents/ecosystem.yaml"),
        base_dir: PathBuf::from("/srv/agents"),
        settings: Settings {
            group: "agents".into(),
            prefix: "agents-".into(),
            target: "agents".into(),
            slice: "agents".into(),
            memory_budget: None,
            logs: LogSettings::default(),
        },
        apps,
        warnings: Vec::new(),
    }
}
