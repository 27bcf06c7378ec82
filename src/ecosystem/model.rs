//! The validated ecosystem: what parsing produces and planning consumes.
//!
//! Everything here is already normalised: PM2 aliases resolved, `--env NAME` applied,
//! sizes in bytes, durations as [`Duration`], paths absolute, defaults filled in. Each
//! app keeps the [`Location`] of its entry so later stages can report located
//! diagnostics. Planning never needs to look at the raw file again.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::diagnostic::{Diagnostic, Location};

/// A parsed, validated ecosystem file.
#[derive(Debug, Clone, PartialEq)]
pub struct Ecosystem {
    /// The file as given on the command line (used in markers and `SourcePath=`).
    pub source: PathBuf,
    /// The project root (see [`crate::ecosystem::project`]): the folder relative `cwd`
    /// and `script` resolve against (the file's own folder is tried first), whose
    /// owner the apps run as, and which the `standard` profile keeps writable.
    pub base_dir: PathBuf,
    /// Group-wide, systemd-only settings.
    pub settings: Settings,
    /// The apps, in file order.
    pub apps: Vec<App>,
    /// Warnings found while parsing (ignored PM2 attributes, near misses, ...).
    pub warnings: Vec<Diagnostic>,
}

/// Group-wide settings (top-level keys beside `apps`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The group name: stem of the `.target` and `.slice`, and of the marker.
    pub group: String,
    /// Prefix of every service unit's name (`<prefix><app>.service`).
    pub prefix: String,
    /// Name of the group target, without `.target`.
    pub target: String,
    /// Name of the group slice, without `.slice`.
    pub slice: String,
    /// `MemoryMax=` of the slice: the budget for the whole group, in bytes.
    pub memory_budget: Option<u64>,
    /// journald rotation and namespace.
    pub logs: LogSettings,
}

/// journald settings for the group (`logs:`), mapped from pm2-logrotate's options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogSettings {
    /// Largest size of one journal file (`SystemMaxFileSize=`), bytes.
    pub max_file_size: Option<u64>,
    /// Total size the journal may use (`SystemMaxUse=`), bytes.
    pub max_use: Option<u64>,
    /// How many archived journal files to keep (`SystemMaxFiles=`).
    pub max_files: Option<u32>,
    /// Compress archived entries (`Compress=`).
    pub compress: Option<bool>,
    /// Drop entries older than this (`MaxRetentionSec=`).
    pub max_age: Option<Duration>,
    /// A journald namespace of the group's own (`LogNamespace=`), with its own limits.
    pub namespace: Option<String>,
}

/// One agent, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The name as written in the file (may hold spaces or `/`; planning escapes it).
    pub name: String,
    /// Where the app's entry starts in the file.
    pub location: Location,
    /// What to run.
    pub command: Command,
    /// `WorkingDirectory=`, absolute.
    pub cwd: PathBuf,
    /// The environment (`env`, then `env_<NAME>` for `--env NAME`), in key order.
    pub env: BTreeMap<String, String>,
    /// The port the agent listens on, if known (`port`, or `PORT` in env).
    pub port: Option<u16>,
    /// How many processes, and how they share work.
    pub instances: Instances,
    /// PM2's `exec_mode`, as PM2 decides it: cluster when asked for, or when
    /// `instances` is given without an `exec_mode`; only ever for node (or bun) apps.
    pub exec_mode: ExecMode,
    /// Env variable holding the instance number (PM2 `instance_var`, default `NODE_APP_INSTANCE`).
    pub instance_var: String,
    /// Env variable incremented per instance (PM2 `increment_var`, e.g. `PORT`).
    pub increment_var: Option<String>,
    /// `max_memory_restart`, bytes, per process.
    pub max_memory: Option<u64>,
    /// Restart behaviour.
    pub restart: RestartPolicy,
    /// `kill_timeout` (PM2 default 1600 ms).
    pub kill_timeout: Duration,
    /// `listen_timeout`, if set.
    pub listen_timeout: Option<Duration>,
    /// `wait_ready`: the app signals readiness itself.
    pub wait_ready: bool,
    /// `shutdown_with_message`: stop by a `shutdown` message instead of SIGINT.
    pub shutdown_with_message: bool,
    /// `listen_port` (ecosystemd's own): ports the app's code listens on that no
    /// environment variable names.
    pub listen_ports: Vec<u16>,
    /// `autostart` (PM2 default true): start with the group; false leaves the unit
    /// installed but not wanted by the group's target.
    pub autostart: bool,
    /// `treekill` (PM2 default true): stop every process of the app, not only the
    /// main one (false: `KillMode=process`).
    pub treekill: bool,
    /// Where standard output goes (`out_file: /dev/null` discards it).
    pub stdout: Output,
    /// Where standard error goes (`error_file: /dev/null` discards it).
    pub stderr: Output,
    /// `cron_restart`, as written, with its location.
    pub cron_restart: Option<(String, Location)>,
    /// `watch` and its options.
    pub watch: Option<Watch>,
    /// `User=`: `user` / `uid`, else the project's owner; `None` for a dynamic user
    /// (or a user manager's own).
    pub user: Option<String>,
    /// That user's home, when looked up (for the `standard` profile).
    pub home: Option<PathBuf>,
    /// One line per program found on this host, saying where (`node: /usr/bin/node
    /// (/usr/bin)`).
    pub found_programs: Vec<String>,
    /// The first folder above the working folder or script that only "others" bits
    /// let in and that is closed to them (a dynamic user cannot enter it), or the
    /// script when they may not read it, when looked up.
    pub hidden_from_others: Option<PathBuf>,
    /// `gid`.
    pub group: Option<String>,
    /// PM2 `namespace`, kept for descriptions and lints.
    pub namespace: Option<String>,
    /// systemd-only knobs.
    pub systemd: SystemdOptions,
    /// The watchdog's policy for this app.
    pub watchdog: WatchdogPolicy,
    /// `hosts:` (ecosystemd's own, per app or as the file's default): the hosts and
    /// inventory groups the app runs on; `None` runs it everywhere.
    pub hosts: Option<Placement>,
}

/// Where an app runs: host and inventory group names, as written (see
/// [`crate::ecosystem::hosts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Host or group names, in file order, each once.
    pub names: Vec<String>,
    /// Where the list was written (the app's entry, or the top-level default).
    pub at: Location,
}

/// PM2's `kill_timeout` default.
pub const DEFAULT_KILL_TIMEOUT: Duration = Duration::from_millis(1600);
/// PM2's `max_restarts` default.
pub const DEFAULT_MAX_RESTARTS: u32 = 16;
/// PM2's `min_uptime` default.
pub const DEFAULT_MIN_UPTIME: Duration = Duration::from_millis(1000);
/// PM2's `instance_var` default.
pub const DEFAULT_INSTANCE_VAR: &str = "NODE_APP_INSTANCE";

impl App {
    /// An app that runs `command` in `cwd`, with PM2's defaults for everything else
    /// (one process, autorestart, no memory limit, the journal for output).
    pub fn new(name: impl Into<String>, command: Command, cwd: PathBuf) -> Self {
        Self {
            name: name.into(),
            location: Location::default(),
            command,
            cwd,
            env: BTreeMap::new(),
            port: None,
            instances: Instances::Single,
            exec_mode: ExecMode::Fork,
            instance_var: DEFAULT_INSTANCE_VAR.to_owned(),
            increment_var: None,
            max_memory: None,
            restart: RestartPolicy::default(),
            kill_timeout: DEFAULT_KILL_TIMEOUT,
            listen_timeout: None,
            wait_ready: false,
            shutdown_with_message: false,
            listen_ports: Vec::new(),
            autostart: true,
            treekill: true,
            stdout: Output::Journal,
            stderr: Output::Journal,
            cron_restart: None,
            watch: None,
            user: None,
            home: None,
            found_programs: Vec::new(),
            hidden_from_others: None,
            group: None,
            namespace: None,
            systemd: SystemdOptions::default(),
            watchdog: WatchdogPolicy::default(),
            hosts: None,
        }
    }
}

impl Default for RestartPolicy {
    /// PM2's defaults: restart on every exit, 16 unstable restarts, 1 s minimum uptime.
    fn default() -> Self {
        Self {
            autorestart: true,
            stop_exit_codes: Vec::new(),
            delay: None,
            exp_backoff: None,
            max_restarts: DEFAULT_MAX_RESTARTS,
            min_uptime: DEFAULT_MIN_UPTIME,
        }
    }
}

/// The program and its arguments, with the interpreter resolved as PM2 would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The executable: an absolute path where it could be resolved, else a bare name
    /// (systemd then looks it up in its own fixed search path).
    pub program: String,
    /// Arguments after the program: interpreter args, the script, then `args`.
    pub args: Vec<String>,
    /// The script file, absolute, when there is one (for lints and `watch`).
    pub script: Option<PathBuf>,
}

/// `instances` and `exec_mode` together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instances {
    /// One process (fork mode, or cluster with one instance).
    Single,
    /// A fixed number of cluster instances.
    Fixed(u32),
    /// One per CPU less `reserve` (`max`, `0` and `-1` in PM2's terms).
    PerCpu {
        /// CPUs left free (`-1` reserves one).
        reserve: u32,
    },
}

/// PM2's `exec_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecMode {
    /// Separate processes (`fork`, `fork_mode`, or empty).
    #[default]
    Fork,
    /// Node's cluster module shares one port between the instances (`cluster`,
    /// `cluster_mode`).
    Cluster,
}

/// Where one of an app's output streams goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Output {
    /// The journal (replaces PM2's log files).
    #[default]
    Journal,
    /// Discarded (`/dev/null` in PM2).
    Null,
}

/// Restart behaviour, from PM2's restart attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct RestartPolicy {
    /// `autorestart` (PM2 default true): restart on every exit, clean ones too.
    pub autorestart: bool,
    /// `stop_exit_codes`: exits that never restart.
    pub stop_exit_codes: Vec<i32>,
    /// `restart_delay`.
    pub delay: Option<Duration>,
    /// `exp_backoff_restart_delay`: the first delay of an exponential backoff.
    pub exp_backoff: Option<Duration>,
    /// `max_restarts` (PM2 default 16).
    pub max_restarts: u32,
    /// `min_uptime` (PM2 default 1 s).
    pub min_uptime: Duration,
}

/// `watch` and friends.
#[derive(Debug, Clone, PartialEq)]
pub struct Watch {
    /// Absolute paths to watch (`watch: true` means the app's cwd).
    pub paths: Vec<PathBuf>,
    /// `ignore_watch` patterns (not expressible in a `.path` unit: linted).
    pub ignore: Vec<String>,
    /// `watch_delay`.
    pub delay: Option<Duration>,
}

/// The hardening profile of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hardening {
    /// Sandboxing around the app's owner: runs as them, their home and the project
    /// writable, the rest of the system read-only (default).
    #[default]
    Standard,
    /// Full sandboxing under a dynamic user, with what interpreters need.
    Strict,
    /// Sandboxing that keeps the host's filesystem readable and writable where usual.
    Relaxed,
    /// No sandboxing directives at all.
    None,
}

/// systemd-only settings of an app (top-level defaults merged with `systemd:` per app).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SystemdOptions {
    /// The hardening profile.
    pub hardening: Hardening,
    /// `MemoryHigh=`, bytes; by default planning derives one below `MemoryMax=`.
    pub memory_high: Option<u64>,
    /// `CPUQuota=`, percent of one CPU.
    pub cpu_quota: Option<u32>,
    /// `TasksMax=`.
    pub tasks_max: Option<u64>,
    /// `Nice=`.
    pub nice: Option<i32>,
    /// Other apps of this ecosystem to start after (`After=` + `Wants=`), by app name.
    pub depends_on: Vec<String>,
    /// Other units to order after.
    pub after: Vec<String>,
    /// Other units wanted.
    pub wants: Vec<String>,
    /// Raw directives for what the schema does not model, validated by name.
    pub raw: Vec<RawDirective>,
}

/// One raw `Section.Key = value` passthrough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDirective {
    /// `Unit`, `Service` or `Install`.
    pub section: String,
    /// The directive's name, checked against the known ones.
    pub key: String,
    /// The value, escaped on rendering like any other.
    pub value: String,
    /// systemd reads the value without expanding `%` specifiers (a checked number, size,
    /// time span, ...): it is written exactly, not escaped.
    pub verbatim: bool,
    /// Where it was written.
    pub location: Location,
}

/// What `unit-watchdog run` does for this app (top-level `watchdog:` merged with the app's).
///
/// Planning writes it into the service's `[X-Ecosystemd]` section (systemd ignores
/// `X-` sections), where the watchdog reads it back: one source of truth.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchdogPolicy {
    /// `auto`: a failed unit is reset and started again; `manual`: left for a person.
    pub restart: WatchdogRestart,
    /// Restarts within `crash_loop_window` that make a crash loop.
    pub crash_loop_restarts: u32,
    /// The sliding window for crash loops.
    pub crash_loop_window: Duration,
    /// Wait this long after a failure before starting the unit again.
    pub cooldown: Duration,
    /// At most this many watchdog restarts per `crash_loop_window`.
    pub max_restarts_per_window: u32,
    /// Warn above this many bytes.
    pub memory_warn_bytes: Option<u64>,
    /// Warn above this share (percent) of the unit's `MemoryMax=`.
    pub memory_warn_percent: Option<u8>,
    /// `health_check:`: probe the running app, restart it when unhealthy.
    pub health: Option<crate::health::HealthCheck>,
}

/// The watchdog's restart mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchdogRestart {
    /// Start failed units again, within the policy's caps.
    #[default]
    Auto,
    /// Never start them; say so.
    Manual,
}

impl Default for WatchdogPolicy {
    fn default() -> Self {
        Self {
            restart: WatchdogRestart::Auto,
            crash_loop_restarts: 5,
            crash_loop_window: Duration::from_secs(300),
            cooldown: Duration::from_secs(1),
            max_restarts_per_window: 3,
            memory_warn_bytes: None,
            memory_warn_percent: Some(90),
            health: None,
        }
    }
}
