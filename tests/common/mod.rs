//! Helpers shared by the integration tests.

pub mod corpus;
pub mod sandbox;
pub mod watchdog;
