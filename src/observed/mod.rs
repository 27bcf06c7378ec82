//! What the fleet was seen doing, in the terms both the watchdog and the report use:
//! a unit's last observed state, the evidence of a kill by its memory limit, and the
//! watchdog's history of restarts and crash loops. Pure data and logic, no D-Bus.

pub mod history;
pub mod memory;

/// What systemd last said about a unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// `ActiveState` (`active`, `failed`, `inactive`, `activating`, ...).
    pub active_state: String,
    /// `SubState` (`running`, `auto-restart`, `dead`, ...).
    pub sub_state: String,
    /// The service's `Result` (`success`, `exit-code`, `start-limit-hit`, `oom-kill`, ...).
    pub result: String,
    /// The service's `NRestarts`: automatic restarts since it was last started by hand.
    pub n_restarts: u32,
    /// `ExecMainCode`: how the main process last ended (1 exited, 2 killed, 3 dumped).
    pub exec_main_code: i32,
    /// `ExecMainStatus`: its exit status, or the signal that killed it.
    pub exec_main_status: i32,
    /// Whether a job (start, stop, restart...) is queued or running for the unit.
    pub job_pending: bool,
    /// `MemoryCurrent` in bytes, when known.
    pub memory_current: Option<u64>,
    /// `MemoryMax` in bytes, when the unit has a limit.
    pub memory_max: Option<u64>,
}

impl Observed {
    /// systemd's "unset" value for 64-bit properties (`infinity`, `[not set]`).
    const UNSET: u64 = u64::MAX;

    /// Maps systemd's "unset" (`u64::MAX`) to `None`.
    pub fn bytes(value: u64) -> Option<u64> {
        (value != Self::UNSET).then_some(value)
    }
}
