//! `unit-watchdog top`: its flags, and running it with the terminal checks and the exit
//! status.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::BusArgs;
use crate::cli::unit_watchdog::default_state_file;
use crate::diagnostic::{Causes, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK};
use crate::report::quantity::parse_duration;
use crate::report::table::use_colour;
use crate::top::TopOptions;

/// `unit-watchdog top`'s options.
#[derive(Debug, Clone, Args)]
pub struct TopArgs {
    #[command(flatten)]
    pub bus: BusArgs,
    /// Show only this ecosystem's units.
    #[arg(long, value_name = "GROUP")]
    pub ecosystem: Option<String>,
    /// The watchdog's state file, for restarts within the window (default: the one
    /// `unit-watchdog run` keeps).
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Time between snapshots.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub interval: Duration,
}

impl TopArgs {
    /// The options these flags give, colour decided from `NO_COLOR`.
    pub fn options(&self, no_color: Option<&str>) -> TopOptions {
        TopOptions {
            bus: self.bus.target(),
            ecosystem: self.ecosystem.clone(),
            state_file: self
                .state_file
                .clone()
                .unwrap_or_else(|| default_state_file(self.bus.user)),
            refresh: self.interval.max(Duration::from_millis(100)),
            colour: use_colour(true, no_color),
        }
    }
}

/// Runs `top`; 0 when the person quit, 1 when it failed, 2 without a terminal.
pub fn run(args: &TopArgs) -> i32 {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "unit-watchdog top: needs a terminal (for a one-off snapshot: unit-watchdog report)"
        );
        return EXIT_BAD_INPUT;
    }
    let no_color = std::env::var("NO_COLOR").ok();
    match crate::top::run(args.options(no_color.as_deref())) {
        Ok(()) => EXIT_OK,
        Err(error) => {
            eprintln!("unit-watchdog top: {}", Causes(&error));
            EXIT_FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::unit_watchdog::{UnitWatchdogCli, UnitWatchdogCommand};

    #[test]
    fn flags_and_no_color_build_the_options() {
        let cli = UnitWatchdogCli::try_parse_from([
            "unit-watchdog",
            "top",
            "--ecosystem",
            "agents",
            "--interval",
            "2s",
        ])
        .expect("valid");
        let UnitWatchdogCommand::Top(args) = cli.command else {
            panic!("not top");
        };
        let options = args.options(Some("1"));
        assert_eq!(options.ecosystem.as_deref(), Some("agents"));
        assert_eq!(options.refresh, std::time::Duration::from_secs(2));
        assert!(!options.colour);
        assert!(args.options(None).colour);
    }
}
