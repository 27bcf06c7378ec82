//! Health checks: is a running app still answering?
//!
//! [`check`] is the check as configured (`health_check:` in the ecosystem file, carried
//! in the unit's `[X-Ecosystemd]` section), [`probe`] runs probes (HTTP/1.1 GET or TCP
//! connect, bounded in time and in number at once), [`tracker`] judges one unit's probes
//! over time (failures in a row, start period). `unit-watchdog run` restarts a unit
//! that turns unhealthy; the report and `top` show the health.

pub mod check;
pub mod probe;
pub mod tracker;

pub use check::{HealthCheck, StatusMatch, Target};
