//! The watchdog's own logs: to the journal under systemd, to stderr otherwise, and
//! every decision as one event with structured fields.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use crate::watchdog::policy::Decision;

/// The environment variable that overrides the log filter (`RUST_LOG` syntax).
pub const FILTER_VARIABLE: &str = "UNIT_WATCHDOG_LOG";

/// Sets up logging once for the process: tracing-journald when systemd started us
/// (`JOURNAL_STREAM` or `INVOCATION_ID` set) and the journal is reachable, stderr
/// otherwise. Fields keep their names in the journal (`UNIT=`, `REASON=`, ...).
pub fn init() {
    let filter = || {
        EnvFilter::try_from_env(FILTER_VARIABLE)
            .unwrap_or_else(|_| EnvFilter::new("info,zbus=warn"))
    };
    let under_systemd =
        std::env::var_os("JOURNAL_STREAM").is_some() || std::env::var_os("INVOCATION_ID").is_some();
    if under_systemd && let Ok(journald) = tracing_journald::layer() {
        tracing_subscriber::registry()
            .with(filter())
            .with(journald.with_field_prefix(None))
            .init();
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Logs one decision about `unit` with its fields: a warning when a person should look,
/// information otherwise. In the journal `OBJECT_SYSTEMD_UNIT=` names the unit, so
/// `journalctl -u UNIT` shows the watchdog's decisions beside the unit's own lines.
pub fn decision(unit: &str, decision: &Decision) {
    let Decision {
        kind,
        reason,
        restarts_in_window,
        memory,
    } = decision;
    if kind.is_alert() {
        tracing::warn!(
            unit = %unit,
            decision = %kind,
            reason = %reason,
            restarts_in_window,
            memory,
            object_systemd_unit = %unit,
            "{unit}: {reason}"
        );
    } else {
        tracing::info!(
            unit = %unit,
            decision = %kind,
            reason = %reason,
            restarts_in_window,
            memory,
            object_systemd_unit = %unit,
            "{unit}: {reason}"
        );
    }
}
