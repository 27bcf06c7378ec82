//! Helpers shared by the integration tests.

pub mod sandbox;
pub mod watchdog;
