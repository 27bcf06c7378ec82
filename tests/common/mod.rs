//! Helpers shared by the integration tests.

pub mod corpus;
pub mod owner;
pub mod sandbox;
pub mod watchdog;
