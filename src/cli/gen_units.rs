//! `gen-units`: render an ecosystem file, check it, install or remove its units.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
pub enum GenUnitsCommand {
    /// Convert a PM2 ecosystem file into an annotated ecosystem.yaml.
    ///
    /// Reads ecosystem.config.js (also .cjs and .mjs), .json, .json5 or .yaml and
    /// writes the same apps as YAML, with a comment above each attribute whose meaning
    /// changes under systemd.
    Import(ImportArgs),
}

/// Arguments of `gen-units import`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "JavaScript files are evaluated with Node.js, as `pm2 start` does: \
    in the file's folder, without network (a network namespace of their own) and with a \
    time limit. JSON and YAML files are read directly."
)]
pub struct ImportArgs {
    /// The PM2 ecosystem file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write the YAML to this file instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// The Node.js program that evaluates JavaScript files.
    #[arg(long, value_name = "PROGRAM", default_value = "node")]
    pub node: String,
    /// Stop evaluating a JavaScript file after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
}
