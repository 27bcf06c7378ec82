//! `unit-watchdog run`: observe the fleet over D-Bus, decide by policy, act.
//!
//! [`run`] owns the connection and the main loop, [`fleet`] the watched units and
//! their state, [`policy`] the pure decisions, [`crate::observed::history`] the state file, [`log`] the
//! structured decision log and [`service`] the sd_notify side.

pub mod fleet;
pub mod log;
pub mod policy;
pub mod run;
pub mod service;
