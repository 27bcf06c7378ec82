//! `unit-watchdog`: the watchdog (`run`) and the fleet report (`report`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::BusArgs;
use crate::report::quantity::{parse_duration, parse_percent, parse_size};
use crate::watchdog::history::DEFAULT_STATE_FILE;

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
    /// Print the memory and crash-loop report of the managed units (for people, cron
    /// and Prometheus). Exit status: 0 all well, 1 something to look at, 2 bad usage.
    Report(ReportArgs),
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
    /// The watchdog's state file.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_STATE_FILE)]
    pub state_file: PathBuf,
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
