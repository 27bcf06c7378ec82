//! The ecosystem file: PM2's schema in YAML or JSON5, plus systemd-only extensions.

pub mod model;

pub use model::*;
