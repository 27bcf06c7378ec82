//! `unit-watchdog`: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use ecosystemd::cli::unit_watchdog::{UnitWatchdogCli, UnitWatchdogCommand};
use ecosystemd::diagnostic::{Causes, EXIT_FAILURE};

fn main() -> ExitCode {
    let cli = UnitWatchdogCli::parse();
    ecosystemd::watchdog::log::init();
    let outcome = match cli.command {
        UnitWatchdogCommand::Run(args) => ecosystemd::watchdog::run::run_blocking(args.config()),
        UnitWatchdogCommand::Report(args) => {
            return ExitCode::from(ecosystemd::cli::report::run(&args) as u8);
        }
        UnitWatchdogCommand::Top(args) => {
            return ExitCode::from(ecosystemd::cli::top::run(&args) as u8);
        }
        UnitWatchdogCommand::Reload(args) => {
            return ExitCode::from(ecosystemd::cli::reload::run(&args) as u8);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{}", Causes(&error));
            ExitCode::from(EXIT_FAILURE as u8)
        }
    }
}
