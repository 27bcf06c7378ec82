//! `unit-watchdog run`: observe the fleet over D-Bus, decide by policy, act.

pub mod history;
pub mod policy;
