//! ecosystemd: render PM2 ecosystem files into hardened systemd units, install them
//! safely, and watch the running fleet over D-Bus.
//!
//! The modules follow the data flow: [`ecosystem`] parses and validates a file,
//! [`plan`] turns it into units, [`render`] writes them through templates into a
//! [`bundle`], and [`install`] puts a bundle live. [`systemd`] is the D-Bus client that
//! [`watchdog`] and [`report`] observe the fleet through; what both read of it lives
//! below them in [`observed`], and [`unit_file`] is the one reader of unit text.
//!
//! The library takes typed options and returns typed results; only [`cli`] knows clap,
//! builds runtimes, prints and picks exit statuses. No module imports a higher one
//! (`tests/layering.rs` checks it).

pub mod bundle;
pub mod cli;
pub mod diagnostic;
pub mod ecosystem;
pub mod generator;
pub mod health;
pub mod import;
pub mod install;
pub mod marker;
pub mod observed;
pub mod plan;
pub mod reload;
pub mod render;
pub mod report;
pub mod systemd;
pub mod top;
pub mod unit_file;
pub mod unit_policy;
pub mod watchdog;
