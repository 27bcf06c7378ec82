//! Helpers shared by the integration tests.

pub mod corpus;
pub mod project_layout;
pub mod sandbox;
pub mod watchdog;
