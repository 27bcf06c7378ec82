//! `unit-watchdog`: argument parsing and dispatch; the work is in the library.

use clap::Parser;
use ecosystemd::cli::unit_watchdog::{UnitWatchdogCli, UnitWatchdogCommand};

fn main() {
    let cli = UnitWatchdogCli::parse();
    let status = match cli.command {
        UnitWatchdogCommand::Report(args) => ecosystemd::report::run(&args),
    };
    std::process::exit(status);
}
