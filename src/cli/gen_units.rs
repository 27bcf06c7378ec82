//! `gen-units`: render an ecosystem file, check it, install or remove its units.

use clap::{Parser, Subcommand};

/// Render a PM2 ecosystem file into hardened systemd units.
#[derive(Debug, Parser)]
#[command(
    name = "gen-units",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct GenUnitsCli {
    /// What to do; without a subcommand, render FILE as a bundle on stdout.
    #[command(subcommand)]
    pub command: Option<GenUnitsCommand>,
}

/// The subcommands of `gen-units`.
#[derive(Debug, Subcommand)]
pub enum GenUnitsCommand {}
