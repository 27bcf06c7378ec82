//! Helpers shared by the integration tests.

pub mod apps;
pub mod corpus;
pub mod load;
pub mod owner;
pub mod project_layout;
pub mod sandbox;
pub mod skip;
pub mod watchdog;
