//! `unit-watchdog report` on the command line: flags into a request, the runtime, the
//! output and the exit status.

use std::io::{self, IsTerminal as _, Write as _};

use anyhow::Context as _;

use crate::cli::unit_watchdog::{ReportArgs, ReportFormat, RestartsFrom};
use crate::diagnostic::{Causes, EXIT_FAILURE, EXIT_OK};
use crate::report::classify::Thresholds;
use crate::report::collect::{EventSource, Request};
use crate::report::model::Report;
use crate::report::{self, Format, output, table};

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

/// The request and thresholds the flags ask for.
pub fn request(args: &ReportArgs) -> (Request, Thresholds) {
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
    let thresholds = Thresholds {
        memory_over: args.memory_over,
        limit_share: args.limit_share,
        window: args.window,
        top: args.top,
    };
    (request, thresholds)
}

/// The library's format for the flag's.
pub fn format(format: ReportFormat) -> Format {
    match format {
        ReportFormat::Table => Format::Table,
        ReportFormat::Json => Format::Json,
        ReportFormat::Prometheus => Format::Prometheus,
    }
}

fn make_and_write(args: &ReportArgs) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (request, thresholds) = request(args);
    let report = runtime.block_on(report::make(&request, &thresholds))?;
    let speak = !args.quiet || report.summary.needs_attention;
    match &args.output {
        Some(path) => {
            output::write_atomically(path, &report::render(&report, format(args.format), false))
                .with_context(|| format!("cannot write {}", path.display()))?;
            if speak {
                print(&table::summary_line(&report))?;
            }
        }
        None if speak => {
            let colour = table::use_colour(
                io::stdout().is_terminal(),
                std::env::var("NO_COLOR").ok().as_deref(),
            );
            print(&report::render(&report, format(args.format), colour))?;
        }
        None => {}
    }
    Ok(report)
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
