//! `unit-watchdog top`: a live terminal view of the managed units, refreshed about once a
//! second from the report's own snapshot ([`crate::report::collect`]).
//!
//! [`state`] holds what is shown and where the person is, [`keys`] what each key does,
//! [`view`] draws the state as lines: the three are pure and tested without a terminal.
//! [`source`] takes the snapshots and carries out actions (its own thread), [`journal`]
//! follows the selected unit's journal (`journalctl -f`), [`terminal`] owns the screen.

pub mod journal;
pub mod keys;
pub mod source;
pub mod state;
pub mod styled;
pub mod terminal;
pub mod view;

use std::path::PathBuf;
use std::time::Duration;

use crate::systemd::BusTarget;

/// What `top` watches and how.
#[derive(Debug, Clone)]
pub struct TopOptions {
    /// The manager to watch.
    pub bus: BusTarget,
    /// Only this ecosystem's units, when set.
    pub ecosystem: Option<String>,
    /// The watchdog's state file (restarts within the window).
    pub state_file: PathBuf,
    /// Time between snapshots.
    pub refresh: Duration,
    /// Whether to colour (off under `NO_COLOR`).
    pub colour: bool,
}

pub use terminal::run;
