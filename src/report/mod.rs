//! `unit-watchdog report`: the memory and crash-loop report of the managed units.
//!
//! The flow: [`collect`] takes one snapshot over D-Bus (all reads in flight together)
//! plus the events from the watchdog's history or the journal; [`classify`] turns the
//! facts into a [`model::Report`]; [`table`], [`json`] and [`prometheus`] print it;
//! [`output`] writes it atomically to a file. The command line (`cli::report`)
//! runs it and prints.

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
pub mod sd_journal;
pub mod table;

use classify::Thresholds;
use collect::Request;
use model::Report;

/// The report's output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people, coloured or not.
    Table,
    /// One JSON document with a `schema_version`.
    Json,
    /// Prometheus text exposition, for node_exporter's textfile collector.
    Prometheus,
}

/// Takes one snapshot of the fleet (with its events) and classifies it.
pub async fn make(request: &Request, thresholds: &Thresholds) -> anyhow::Result<Report> {
    let (facts, context) = collect::collect(request).await?;
    Ok(classify::report(&facts, thresholds, &context))
}

/// The report in `format`.
pub fn render(report: &Report, format: Format, colour: bool) -> String {
    match format {
        Format::Table => table::render(report, colour),
        Format::Json => json::render(report),
        Format::Prometheus => prometheus::render(report),
    }
}
