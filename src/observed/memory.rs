//! How a unit's last exit is read: how its main process ended and whether that was a
//! kill by its memory limit, on which evidence. The watchdog and the report both decide
//! with these, so they always agree.
//!
//! On cgroup v2 systemd says so itself (`Result=oom-kill`). On cgroup v1 the memcg OOM
//! killer sends SIGKILL and the unit ends with `Result=signal`, `ExecMainCode=killed`,
//! `ExecMainStatus=9`: a bare SIGKILL of a unit with a memory limit counts as a kill by
//! that limit there (systemd itself stops with SIGTERM, and SIGKILL only after a stop
//! timeout, which ends with `Result=timeout`).

use serde::Serialize;

/// SIGKILL's number.
const SIGKILL: i32 = 9;

/// Which cgroup hierarchy the memory controller is on: it decides how a kill by the
/// memory limit shows (see this module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CgroupMemory {
    /// Legacy or hybrid hierarchy: a memory kill is a plain SIGKILL to systemd.
    V1,
    /// Unified hierarchy: systemd reports `Result=oom-kill`.
    V2,
    /// Could not tell.
    Unknown,
}

impl CgroupMemory {
    /// The name used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
            Self::Unknown => "unknown",
        }
    }
}

/// How a main process ended (`ExecMainCode`, `ExecMainStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MainExit {
    /// `exited`, `killed` or `dumped`.
    pub code: ExitCode,
    /// The exit status, or the signal number for `killed` and `dumped`.
    pub status: i32,
}

/// The kind of a main process's end (`si_code` of its `SIGCHLD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExitCode {
    /// It exited by itself (`CLD_EXITED`).
    Exited,
    /// A signal killed it (`CLD_KILLED`).
    Killed,
    /// A signal killed it and it dumped core (`CLD_DUMPED`).
    Dumped,
}

/// Why a unit's last exit counts as a kill by its memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemoryKillEvidence {
    /// systemd says so: `Result=oom-kill` (cgroup v2).
    OomKillResult,
    /// cgroup v1: `Result=signal`, killed by SIGKILL, and a `MemoryMax=` is set.
    SigkillWithMemoryLimit,
}

impl MemoryKillEvidence {
    /// The name used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OomKillResult => "oom-kill-result",
            Self::SigkillWithMemoryLimit => "sigkill-with-memory-limit",
        }
    }
}

/// How the main process last ended, from `ExecMainCode` and `ExecMainStatus`.
pub fn main_exit(code: Option<i32>, status: Option<i32>) -> Option<MainExit> {
    let code = match code? {
        1 => ExitCode::Exited,
        2 => ExitCode::Killed,
        3 => ExitCode::Dumped,
        _ => return None,
    };
    Some(MainExit {
        code,
        status: status.unwrap_or(0),
    })
}

/// Whether the unit's last exit was a kill by its memory limit, and on what evidence
/// (see the module's documentation).
pub fn memory_kill_evidence(
    result: &str,
    main_exit: Option<MainExit>,
    memory_max: Option<u64>,
    cgroup_memory: CgroupMemory,
) -> Option<MemoryKillEvidence> {
    if result == "oom-kill" {
        return Some(MemoryKillEvidence::OomKillResult);
    }
    let sigkilled = main_exit
        == Some(MainExit {
            code: ExitCode::Killed,
            status: SIGKILL,
        });
    (result == "signal" && sigkilled && sigkill_means_memory_kill(cgroup_memory, memory_max))
        .then_some(MemoryKillEvidence::SigkillWithMemoryLimit)
}

/// On cgroup v1 (or where the version is unknown), a SIGKILL of a unit with a memory
/// limit is taken as a kill by that limit; on v2 systemd would have said `oom-kill`.
pub fn sigkill_means_memory_kill(cgroup_memory: CgroupMemory, memory_max: Option<u64>) -> bool {
    cgroup_memory != CgroupMemory::V2 && memory_max.is_some()
}
