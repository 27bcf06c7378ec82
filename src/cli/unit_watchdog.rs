//! `unit-watchdog`: the watchdog (`run`) and the fleet report (`report`).

use clap::{Parser, Subcommand};

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
pub enum UnitWatchdogCommand {}
