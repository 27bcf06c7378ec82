//! `unit-watchdog report`: the memory and crash-loop report of the managed units.
//!
//! The flow: [`collect`] takes one snapshot over D-Bus (all reads in flight together)
//! plus the events from the watchdog's history or the journal; [`classify`] turns the
//! facts into a [`model::Report`]; [`table`], [`json`] and [`prometheus`] print it;
//! [`output`] writes it to stdout or atomically to a file.

pub mod classify;
pub mod collect;
#[cfg(test)]
mod dashboard_check;
pub mod events;
pub mod health;
pub mod human;
pub mod json;
pub mod model;
pub mod output;
pub mod prometheus;
pub mod quantity;
pub mod table;

use std::io::IsTerminal;

use anyhow::Context as _;

use crate::cli::unit_watchdog::{ReportArgs, ReportFormat, RestartsFrom};
use crate::diagnostic::{Causes, EXIT_FAILURE, EXIT_OK};
use classify::Thresholds;
use collect::{EventSource, Request};
use model::Report;

/// Runs `unit-watchdog report` and returns its exit status: 0 all well, 1 something to
/// look at (or the report could not be made; the reason goes to stderr).
pub fn run(args: &ReportArgs) -> i32 {
    match make_and_write(args) {
        Ok(report) if report.summary.needs_attention => EXIT_FAILURE,
        Ok(_) => EXIT_OK,
        Err(e) => {
            eprintln!("unit-watchdog report: {}", Causes(&e));
            EXIT_FAILURE
        }
    }
}

fn make_and_write(args: &ReportArgs) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let request = Request {
        bus: args.bus.target(),
        ecosystem: args.ecosystem.clone(),
        events: match args.restarts_from {
            RestartsFrom::Auto => EventSource::Auto,
            RestartsFrom::Watchdog => EventSource::WatchdogHistory,
            RestartsFrom::Journal => EventSource::Journal,
            RestartsFrom::None => EventSource::None,
        },
        state_file: args.state_file(),
        window: args.window,
        probe_health: true,
    };
    let (facts, context) = runtime.block_on(collect::collect(&request))?;
    let thresholds = Thresholds {
        memory_over: args.memory_over,
        limit_share: args.limit_share,
        window: args.window,
        top: args.top,
    };
    let report = classify::report(&facts, &thresholds, &context);
    let speak = !args.quiet || report.summary.needs_attention;
    match &args.output {
        Some(path) => {
            output::write_atomically(path, &render(&report, args.format, false))
                .with_context(|| format!("cannot write {}", path.display()))?;
            if speak {
                output::print(&table::summary_line(&report))?;
            }
        }
        None if speak => {
            let colour = table::use_colour(
                std::io::stdout().is_terminal(),
                std::env::var("NO_COLOR").ok().as_deref(),
            );
            output::print(&render(&report, args.format, colour))?;
        }
        None => {}
    }
    Ok(report)
}

/// The report in `format`.
pub fn render(report: &Report, format: ReportFormat, colour: bool) -> String {
    match format {
        ReportFormat::Table => table::render(report, colour),
        ReportFormat::Json => json::render(report),
        ReportFormat::Prometheus => prometheus::render(report),
    }
}
