//! The report as data: what every format prints, and the JSON schema (version
//! [`SCHEMA_VERSION`]). Fields are only ever added within a schema version; renaming or
//! removing one bumps it.

use serde::Serialize;

pub use crate::observed::memory::{CgroupMemory, ExitCode, MainExit, MemoryKillEvidence};

/// The JSON schema's version.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When the snapshot was taken, in seconds since the Unix epoch.
    pub generated_at: u64,
    /// Where the figures that D-Bus cannot give came from.
    pub sources: Sources,
    /// Fleet-wide totals.
    pub summary: Summary,
    /// The names of the top units by memory, largest first.
    pub top_memory: Vec<String>,
    /// Every unit, sorted by name.
    pub units: Vec<UnitReport>,
}

/// Where restarts within the window and memory kills were counted from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sources {
    /// `watchdog-history`, `journal` or `none`.
    pub restarts_in_window: RestartsSource,
    /// The cgroup version of the memory controller: `v1`, `v2` or `unknown`.
    pub cgroup_memory: CgroupMemory,
}

/// Where restarts within the window come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartsSource {
    /// `unit-watchdog run`'s state file.
    WatchdogHistory,
    /// systemd's own journal messages (restart scheduled, process exited, OOM).
    Journal,
    /// Neither was available: only lifetime counts (`NRestarts`) are known.
    None,
}

impl RestartsSource {
    /// The name used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WatchdogHistory => "watchdog-history",
            Self::Journal => "journal",
            Self::None => "none",
        }
    }
}

/// Fleet-wide totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Units in the report.
    pub units: usize,
    /// Of them, active.
    pub active: usize,
    /// Of them, not active (failed, inactive, activating, ...; stopped ones included).
    pub not_active: usize,
    /// Of them, failed.
    pub failed: usize,
    /// Sum of the memory of units whose memory is known.
    pub memory_bytes_total: u64,
    /// That sum divided by the number of units whose memory is known (0 when none).
    pub memory_bytes_average: u64,
    /// Units in a crash loop.
    pub crash_loops: usize,
    /// Units killed by their memory limit (now or within their window).
    pub memory_kills: usize,
    /// Units over a memory threshold or over their share of `MemoryMax=`.
    pub over_memory: usize,
    /// Whether anything needs a person's attention (exit status 1).
    pub needs_attention: bool,
}

/// One unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitReport {
    /// The unit's name, such as `agents-email.service`.
    pub name: String,
    /// Its ecosystem (`Ecosystem=` of its `[X-Ecosystemd]` section).
    pub ecosystem: String,
    /// The app's name in the ecosystem file.
    pub app: String,
    /// systemd's `LoadState`.
    pub load_state: String,
    /// systemd's `ActiveState`.
    pub active_state: String,
    /// systemd's `SubState`.
    pub sub_state: String,
    /// systemd's `Result` (why it last stopped).
    pub result: String,
    /// The main process, when there is one.
    pub main_pid: Option<u32>,
    /// `MemoryCurrent`, when known.
    pub memory_bytes: Option<u64>,
    /// `MemoryMax=` as the kernel enforces it, when set.
    pub memory_max_bytes: Option<u64>,
    /// `MemoryHigh=` as the kernel applies it, when set (never on cgroup v1, which has
    /// no such limit).
    pub memory_high_bytes: Option<u64>,
    /// The most memory used: the cgroup's own peak while the unit runs, else systemd's
    /// `MemoryPeak` (version 256 and later), when known.
    pub memory_peak_bytes: Option<u64>,
    /// `CPUUsageNSec` in seconds, when accounted.
    pub cpu_seconds: Option<f64>,
    /// `TasksCurrent`, when known.
    pub tasks: Option<u64>,
    /// Seconds since its main process started, when active.
    pub uptime_seconds: Option<u64>,
    /// `NRestarts`: automatic restarts since it was loaded or reset.
    pub restarts_total: u32,
    /// Restarts within the window (`None` when no source could tell).
    pub restarts_window: Option<u64>,
    /// The window, in seconds.
    pub window_seconds: u64,
    /// Kills by the memory limit within the window (`None` when no source could tell).
    pub memory_kills_window: Option<u64>,
    /// How the main process last ended, when it has.
    pub main_exit: Option<MainExit>,
    /// Why the last exit counts as a kill by the memory limit, when it does.
    pub memory_kill: Option<MemoryKillEvidence>,
    /// Its health check's last result, when it has one and runs.
    pub health: Option<super::health::UnitHealth>,
    /// What needs attention, empty when all is well.
    pub issues: Vec<Issue>,
}

/// Something about a unit that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// What kind of problem.
    pub kind: IssueKind,
    /// A one-line explanation for people.
    pub message: String,
}

/// The kinds of [`Issue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueKind {
    /// `ActiveState=failed`.
    Failed,
    /// Not active for another reason (activating, an auto-restart pending, inactive after
    /// an unclean end, ...).
    NotActive,
    /// Inactive after a clean end: stopped by a person, or a job that ran and ended.
    /// Listed, but not something to look at (it does not set exit status 1).
    Stopped,
    /// Restarts within the window reached the unit's crash-loop threshold, or it hit its
    /// start limit.
    CrashLoop,
    /// Killed by its memory limit, now or within the window.
    MemoryKill,
    /// Memory above the absolute threshold.
    MemoryOver,
    /// Memory above the given share of `MemoryMax=`.
    MemoryLimitShare,
    /// Running, but its health check fails.
    Unhealthy,
}

impl IssueKind {
    /// The name used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::NotActive => "not-active",
            Self::Stopped => "stopped",
            Self::CrashLoop => "crash-loop",
            Self::MemoryKill => "memory-kill",
            Self::MemoryOver => "memory-over",
            Self::MemoryLimitShare => "memory-limit-share",
            Self::Unhealthy => "unhealthy",
        }
    }
}

impl IssueKind {
    /// Whether this kind is something to look at (exit status 1, `--quiet` speaks).
    pub fn needs_attention(self) -> bool {
        self != Self::Stopped
    }
}

impl UnitReport {
    /// Whether the unit has an issue of `kind`.
    pub fn has(&self, kind: IssueKind) -> bool {
        self.issues.iter().any(|issue| issue.kind == kind)
    }

    /// Whether any of its issues is something to look at.
    pub fn needs_attention(&self) -> bool {
        self.issues.iter().any(|issue| issue.kind.needs_attention())
    }
}
