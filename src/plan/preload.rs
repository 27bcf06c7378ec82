//! The ecosystemd Node preload: a CommonJS module loaded with `node --require` that
//! lets an unchanged PM2 app run under systemd as it ran under PM2.
//!
//! It maps `listen(PORT)` onto the socket systemd holds (see [`super::sockets`]), turns
//! PM2's `process.send('ready')` into `READY=1` (`wait_ready`), reports a cluster
//! instance ready when it listens (as PM2's reload waits for), counts the app ready
//! after `listen_timeout` at the latest (as PM2 marks it online), and turns SIGINT into
//! the `shutdown` message for `shutdown_with_message`. The unit passes its settings in
//! `ECOSYSTEMD_*` variables, which the preload reads and removes.

use std::time::Duration;

use crate::ecosystem::{App, ExecMode};

use super::cluster::Instance;
use super::{PlanOptions, Section, Value, sockets};

/// The preload's source, as shipped in the package and written by `install`.
pub const SOURCE: &str = include_str!("../../preload/ecosystemd.cjs");

/// Where the package installs the preload (the generator's units use it there).
pub const PACKAGE_PATH: &str = "/usr/lib/ecosystemd/preload.cjs";

/// PM2's `listen_timeout` when none is given (`GRACEFUL_LISTEN_TIMEOUT`).
pub const DEFAULT_LISTEN_TIMEOUT: Duration = Duration::from_millis(3000);

/// How long systemd waits beyond `listen_timeout` before it gives up on a start: the
/// preload reports ready by then, so only a process that hangs before node runs it
/// (or a preload that cannot reach systemd) meets this limit.
const START_MARGIN: Duration = Duration::from_secs(30);

/// When an instance counts as started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// As soon as it runs (`Type=exec`).
    Started,
    /// When the preload sends `READY=1`.
    Preload(ReadyOn),
    /// When the app itself sends `READY=1` (`wait_ready` without the preload).
    App,
}

/// What makes the preload send `READY=1` (or `listen_timeout`, whichever is first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyOn {
    /// The app's `process.send('ready')` (`wait_ready`).
    Message,
    /// The first server that listens (cluster mode).
    Listen,
}

impl ReadyOn {
    fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Listen => "listen",
        }
    }
}

/// Whether `instance` runs with the preload: node runs it, the preload is installed,
/// and it has something to do (a socket, readiness, a shutdown message).
pub fn applies(app: &App, instance: &Instance, options: &PlanOptions) -> bool {
    options.preload
        && sockets::reach(app).is_ok()
        && (instance.sockets
            || app.wait_ready
            || app.exec_mode == ExecMode::Cluster
            || app.shutdown_with_message)
}

/// When an instance of `app` counts as started.
pub fn readiness(app: &App, preloaded: bool) -> Readiness {
    match (app.wait_ready, preloaded, app.exec_mode) {
        (true, true, _) => Readiness::Preload(ReadyOn::Message),
        (true, false, _) => Readiness::App,
        (false, true, ExecMode::Cluster) => Readiness::Preload(ReadyOn::Listen),
        _ => Readiness::Started,
    }
}

/// `TimeoutStartSec=` of a unit the preload reports ready: above `listen_timeout`.
pub fn start_timeout(app: &App) -> Duration {
    app.listen_timeout.unwrap_or(DEFAULT_LISTEN_TIMEOUT) + START_MARGIN
}

/// The preload's settings, as `Environment=` lines (none is secret), with notes.
pub fn settings(app: &App, readiness: Readiness, service: &mut Section, notes: &mut Vec<String>) {
    if let Readiness::Preload(on) = readiness {
        let timeout = app.listen_timeout.unwrap_or(DEFAULT_LISTEN_TIMEOUT);
        service.plain("Environment", format!("ECOSYSTEMD_READY={}", on.as_str()));
        service.plain(
            "Environment",
            format!("ECOSYSTEMD_LISTEN_TIMEOUT={}", timeout.as_millis()),
        );
        notes.push(match on {
            ReadyOn::Message => format!(
                "wait_ready: the ecosystemd preload turns process.send('ready') into READY=1, and sends it anyway after listen_timeout ({} ms), as PM2 marks the app online.",
                timeout.as_millis()
            ),
            ReadyOn::Listen => format!(
                "cluster mode: ready when the app listens (as PM2's reload waits for), or after listen_timeout ({} ms).",
                timeout.as_millis()
            ),
        });
    }
    if app.shutdown_with_message {
        service.plain("Environment", "ECOSYSTEMD_SHUTDOWN_WITH_MESSAGE=1");
        notes.push("shutdown_with_message: the preload turns SIGINT into process.emit('message', 'shutdown'); after kill_timeout systemd sends SIGKILL, as PM2 did.".into());
    }
}

/// The `ExecStart=` value of a preloaded instance.
pub fn command(app: &App) -> Value {
    Value::Preloaded {
        node: app.command.program.clone(),
        args: app.command.args.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::cluster::expand_all;
    use crate::plan::testing::{app, ecosystem};

    fn first_instance(a: App, options: &PlanOptions) -> (App, Instance) {
        let eco = ecosystem(vec![a]);
        let all = expand_all(&eco, options, &mut Vec::new(), &mut Vec::new());
        (eco.apps[0].clone(), all[0][0].clone())
    }

    #[test]
    fn a_plain_app_without_a_port_runs_as_it_is() {
        let (a, i) = first_instance(app("a"), &PlanOptions::default());
        assert!(!applies(&a, &i, &PlanOptions::default()));
        assert_eq!(readiness(&a, false), Readiness::Started);
    }

    #[test]
    fn a_port_wait_ready_or_cluster_mode_loads_the_preload() {
        let mut with_port = app("a");
        with_port.env.insert("PORT".into(), "3000".into());
        let mut waits = app("b");
        waits.wait_ready = true;
        let mut cluster = app("c");
        cluster.exec_mode = ExecMode::Cluster;
        let options = PlanOptions::default();
        for a in [with_port, waits, cluster] {
            let (a, i) = first_instance(a, &options);
            assert!(applies(&a, &i, &options), "{}", a.name);
            let off = PlanOptions {
                preload: false,
                ..PlanOptions::default()
            };
            assert!(!applies(&a, &i, &off), "{}", a.name);
        }
    }

    #[test]
    fn readiness_follows_pm2() {
        let mut a = app("a");
        a.wait_ready = true;
        assert_eq!(readiness(&a, true), Readiness::Preload(ReadyOn::Message));
        assert_eq!(readiness(&a, false), Readiness::App);
        a.wait_ready = false;
        a.exec_mode = ExecMode::Cluster;
        assert_eq!(readiness(&a, true), Readiness::Preload(ReadyOn::Listen));
        a.exec_mode = ExecMode::Fork;
        assert_eq!(readiness(&a, true), Readiness::Started);
    }

    #[test]
    fn the_start_timeout_is_above_listen_timeout() {
        let mut a = app("a");
        assert!(start_timeout(&a) > DEFAULT_LISTEN_TIMEOUT);
        a.listen_timeout = Some(Duration::from_secs(60));
        assert!(start_timeout(&a) > Duration::from_secs(60));
    }
}
