//! `unit-watchdog`: the watchdog (`run`) and the fleet report (`report`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::cli::BusArgs;
use crate::watchdog::history::DEFAULT_STATE_FILE;
use crate::watchdog::run::RunConfig;

/// Watch the units of an ecosystem over D-Bus, and report on them.
#[derive(Debug, Parser)]
#[command(name = "unit-watchdog", version, about)]
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
                .unwrap_or_else(|| self.default_state_file()),
            ecosystems: self.ecosystems.clone(),
            memory_interval: Duration::from_secs(self.memory_interval),
            resync_interval: Duration::from_secs(self.resync_interval),
        }
    }

    fn default_state_file(&self) -> PathBuf {
        if !self.bus.user {
            return PathBuf::from(DEFAULT_STATE_FILE);
        }
        let state_home = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state"))
            })
            .unwrap_or_else(|| PathBuf::from("."));
        state_home.join("unit-watchdog/state.json")
    }
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
        #[allow(irrefutable_let_patterns)]
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
    fn zero_intervals_are_refused() {
        assert!(
            UnitWatchdogCli::try_parse_from(["unit-watchdog", "run", "--memory-interval", "0"])
                .is_err()
        );
    }
}
