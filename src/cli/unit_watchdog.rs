//! `unit-watchdog`: the watchdog (`run`) and the fleet report (`report`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cli::BusArgs;
use crate::observed::history::DEFAULT_STATE_FILE;
use crate::reload::ReloadOptions;
use crate::report::quantity::{parse_duration, parse_percent, parse_size};
use crate::watchdog::run::RunConfig;

/// Watch the units of an ecosystem over D-Bus, and report on them.
#[derive(Debug, Parser)]
#[command(name = "unit-watchdog", version)]
pub struct UnitWatchdogCli {
    /// What to do.
    #[command(subcommand)]
    pub command: UnitWatchdogCommand,
}

/// The subcommands of `unit-watchdog`.
#[derive(Debug, Subcommand)]
pub enum UnitWatchdogCommand {
    /// Watch the ecosystemd units: restart failed ones by policy, report crash loops and
    /// memory, until stopped.
    Run(RunArgs),
    /// Print the memory and crash-loop report of the managed units (for people, cron
    /// and Prometheus). Exit status: 0 all well, 1 something to look at, 2 bad usage.
    Report(ReportArgs),
    /// Restart a group's instances one at a time, each once the one before serves again
    /// (`pm2 reload`); stop at the first that does not. Exit status: 0 all reloaded, 1 an
    /// instance did not come back (the rest are untouched), 2 bad usage.
    Reload(ReloadArgs),
    /// A live view of the managed units: state, memory against MemoryMax=, CPU,
    /// restarts, health and findings, grouped by ecosystem, the selected unit's journal
    /// below, and keys to restart, stop, start or reset it (`?` shows them).
    Top(crate::cli::top::TopArgs),
}

/// `unit-watchdog reload`'s options.
#[derive(Debug, Clone, Args)]
pub struct ReloadArgs {
    /// Which manager the group runs under.
    #[command(flatten)]
    pub bus: BusArgs,
    /// The group (its units' `Ecosystem=`, the name of its target).
    pub group: String,
    /// Only this app's instances; every app of the group, app by app, when omitted.
    pub app: Option<String>,
    /// The longest one instance may take to stop, start and become ready (90s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "90s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Milliseconds a new main process must stay up to count as started (PM2's
    /// `min_uptime`); a `Type=notify` app must also have said it is ready.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub min_uptime: u64,
}

impl ReloadArgs {
    /// The reload's options from these flags.
    pub fn options(&self) -> ReloadOptions {
        ReloadOptions {
            bus: self.bus.target(),
            group: self.group.clone(),
            app: self.app.clone(),
            timeout: self.timeout,
            min_uptime: Duration::from_millis(self.min_uptime),
        }
    }
}

/// Flags of `unit-watchdog run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Which manager to watch.
    #[command(flatten)]
    pub bus: BusArgs,
    /// Watch only the units of this ecosystem (may be repeated); default: every unit
    /// with an `[X-Ecosystemd]` section.
    #[arg(long = "ecosystem", value_name = "GROUP")]
    pub ecosystems: Vec<String>,
    /// Where to keep the history [default: /var/lib/unit-watchdog/state.json; with
    /// --user, $XDG_STATE_HOME/unit-watchdog/state.json].
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Seconds between reads of the watched units' memory (systemd does not signal it).
    #[arg(long, value_name = "SECONDS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub memory_interval: u64,
    /// Seconds between full resynchronisations, a safety net behind the signals.
    #[arg(long, value_name = "SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub resync_interval: u64,
}

impl RunArgs {
    /// The watchdog's configuration from these flags.
    pub fn config(&self) -> RunConfig {
        RunConfig {
            bus: self.bus.target(),
            state_file: self
                .state_file
                .clone()
                .unwrap_or_else(|| default_state_file(self.bus.user)),
            ecosystems: self.ecosystems.clone(),
            memory_interval: Duration::from_secs(self.memory_interval),
            resync_interval: Duration::from_secs(self.resync_interval),
        }
    }
}

/// The watchdog's state file: the system's, or with `--user` the user's
/// (`$XDG_STATE_HOME/unit-watchdog/state.json`).
pub fn default_state_file(user: bool) -> PathBuf {
    if !user {
        return PathBuf::from(DEFAULT_STATE_FILE);
    }
    let state_home = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    state_home.join("unit-watchdog/state.json")
}

/// `unit-watchdog report`'s options.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Which manager to ask.
    #[command(flatten)]
    pub bus: BusArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to FILE atomically (temporary file, then rename), as node_exporter's
    /// textfile collector needs, and print a one-line summary instead.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print only when there is something to look at (for cron: mail only then).
    #[arg(long, short)]
    pub quiet: bool,
    /// Only the units of this ecosystem (`Ecosystem=` in their `[X-Ecosystemd]` section).
    #[arg(long, value_name = "GROUP")]
    pub ecosystem: Option<String>,
    /// How many units the top-by-memory list shows.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Flag units using more memory than SIZE (K, M, G, T: powers of 1024). Default: each
    /// unit's `MemoryWarnBytes=`.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_over: Option<u64>,
    /// Flag units using more than this share of their `MemoryMax=`, such as 90%. Default:
    /// each unit's `MemoryWarnPercent=`.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub limit_share: Option<u8>,
    /// Count restarts and memory kills within this window (90s, 15m, 1h, 1d). Default:
    /// each unit's crash-loop window (`CrashLoopWindowSec=`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub window: Option<Duration>,
    /// Where restarts within the window come from: `auto` takes the watchdog's state file
    /// when it exists, else the journal.
    #[arg(long, value_enum, value_name = "SOURCE", default_value_t = RestartsFrom::Auto)]
    pub restarts_from: RestartsFrom,
    /// The watchdog's state file [default: /var/lib/unit-watchdog/state.json; with
    /// --user, $XDG_STATE_HOME/unit-watchdog/state.json].
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
}

impl ReportArgs {
    /// The watchdog's state file these flags select.
    pub fn state_file(&self) -> PathBuf {
        self.state_file
            .clone()
            .unwrap_or_else(|| default_state_file(self.bus.user))
    }
}

/// The report's output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned columns for people; colour on a terminal unless `NO_COLOR` is set.
    Table,
    /// One JSON document with a `schema_version` (schema in the README).
    Json,
    /// Prometheus text exposition, for node_exporter's textfile collector.
    Prometheus,
}

/// Sources of restarts within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RestartsFrom {
    /// The watchdog's state file when it exists, else the journal.
    Auto,
    /// The watchdog's state file (`--state-file`).
    Watchdog,
    /// systemd's messages in the journal.
    Journal,
    /// Neither: lifetime restart counts only.
    None,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_flags_build_the_config() {
        let cli = UnitWatchdogCli::try_parse_from([
            "unit-watchdog",
            "run",
            "--address",
            "unix:path=/x",
            "--ecosystem",
            "agents",
            "--state-file",
            "/s.json",
        ])
        .unwrap();
        let UnitWatchdogCommand::Run(args) = cli.command else {
            panic!("not run");
        };
        let config = args.config();
        assert_eq!(
            config.bus,
            crate::systemd::BusTarget::Address("unix:path=/x".into())
        );
        assert_eq!(config.ecosystems, ["agents"]);
        assert_eq!(config.state_file, PathBuf::from("/s.json"));
        assert_eq!(config.memory_interval, Duration::from_secs(15));
    }

    #[test]
    fn reload_takes_a_group_an_optional_app_and_its_limits() {
        let cli = UnitWatchdogCli::try_parse_from([
            "unit-watchdog",
            "reload",
            "--user",
            "agents",
            "api",
            "--timeout",
            "2m",
            "--min-uptime",
            "250",
        ])
        .unwrap();
        let UnitWatchdogCommand::Reload(args) = cli.command else {
            panic!("not reload");
        };
        let options = args.options();
        assert_eq!(options.bus, crate::systemd::BusTarget::User);
        assert_eq!(options.group, "agents");
        assert_eq!(options.app.as_deref(), Some("api"));
        assert_eq!(options.timeout, Duration::from_secs(120));
        assert_eq!(options.min_uptime, Duration::from_millis(250));
        assert!(UnitWatchdogCli::try_parse_from(["unit-watchdog", "reload"]).is_err());
    }

    #[test]
    fn zero_intervals_are_refused() {
        assert!(
            UnitWatchdogCli::try_parse_from(["unit-watchdog", "run", "--memory-interval", "0"])
                .is_err()
        );
    }
}
