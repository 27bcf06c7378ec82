//! From facts to findings: which units need attention, and why. Pure logic, no I/O.
//!
//! # Kills by the memory limit
//!
//! On cgroup v2 the kernel counts OOM kills per cgroup (`memory.events`) and systemd
//! reports them as `Result=oom-kill`: that is taken as is. On cgroup v1 (legacy or hybrid
//! hierarchy, as on Debian 12 hosts booted that way) systemd cannot tell: the kernel's
//! memcg OOM killer sends SIGKILL, and the unit ends with `Result=signal`,
//! `ExecMainCode=killed`, `ExecMainStatus=9`. There the report counts a SIGKILL as a kill
//! by the memory limit when the unit has a `MemoryMax=`: ecosystemd's units are stopped
//! with SIGINT/SIGTERM and SIGKILL only after their stop timeout (which ends with
//! `Result=timeout`, not `signal`), so a bare SIGKILL of a memory-limited unit is almost
//! always the memcg OOM killer. A person's `kill -9` would be counted too; the evidence
//! is named in the output (`sigkill-with-memory-limit`) so it can be weighed. The same
//! rule applies to SIGKILL exits read from the journal; the watchdog's history and
//! systemd's OOM journal message are taken as they are. The rule is
//! [`crate::observed::memory`]'s, which the watchdog decides with too.

use std::time::Duration;

use super::events::UnitEvents;
use super::human;
use super::model::{
    CgroupMemory, ExitCode, Issue, IssueKind, MainExit, MemoryKillEvidence, Report, RestartsSource,
    SCHEMA_VERSION, Sources, Summary, UnitReport,
};
use crate::ecosystem::WatchdogPolicy;
use crate::observed::memory::{main_exit, memory_kill_evidence, sigkill_means_memory_kill};
use crate::systemd::snapshot::{ServiceSnapshot, set};
use crate::unit_policy::UnitPolicy;

/// What the report looks for, from the command line; `None` defers to each unit's policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// Flag units using more memory than this.
    pub memory_over: Option<u64>,
    /// Flag units using more than this share (percent) of their `MemoryMax=`.
    pub limit_share: Option<u8>,
    /// Count restarts within this window instead of each unit's crash-loop window.
    pub window: Option<Duration>,
    /// How many units the top-by-memory list names.
    pub top: usize,
}

/// The moment and the setting of the snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context {
    /// The snapshot's time, in microseconds since the epoch.
    pub now_us: u64,
    /// The cgroup version of the memory controller.
    pub cgroup_memory: CgroupMemory,
    /// Where `events` came from.
    pub restarts_source: RestartsSource,
}

/// Everything known about one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFacts {
    /// Its properties from D-Bus.
    pub snapshot: ServiceSnapshot,
    /// Its `[X-Ecosystemd]` section.
    pub policy: UnitPolicy,
    /// Its history, when a source was available (`None` under `RestartsSource::None`).
    pub events: Option<UnitEvents>,
    /// Its health check's probe, when it was probed.
    pub health: Option<crate::health::probe::ProbeResult>,
}

/// Builds the report for `units`.
pub fn report(units: &[UnitFacts], thresholds: &Thresholds, context: &Context) -> Report {
    let mut reports: Vec<UnitReport> = units
        .iter()
        .map(|facts| unit(facts, thresholds, context))
        .collect();
    reports.sort_by(|a, b| a.name.cmp(&b.name));
    let summary = summary(&reports);
    let top_memory = top_by_memory(&reports, thresholds.top);
    Report {
        schema_version: SCHEMA_VERSION,
        generated_at: context.now_us / 1_000_000,
        sources: Sources {
            restarts_in_window: context.restarts_source,
            cgroup_memory: context.cgroup_memory,
        },
        summary,
        top_memory,
        units: reports,
    }
}

/// The names of the `n` units using the most memory, largest first (ties by name).
pub fn top_by_memory(units: &[UnitReport], n: usize) -> Vec<String> {
    let mut known: Vec<&UnitReport> = units.iter().filter(|u| u.memory_bytes.is_some()).collect();
    known.sort_by(|a, b| {
        b.memory_bytes
            .cmp(&a.memory_bytes)
            .then(a.name.cmp(&b.name))
    });
    known.into_iter().take(n).map(|u| u.name.clone()).collect()
}

fn summary(units: &[UnitReport]) -> Summary {
    let memories: Vec<u64> = units.iter().filter_map(|u| u.memory_bytes).collect();
    let memory_bytes_total: u64 = memories.iter().fold(0, |sum, &m| sum.saturating_add(m));
    let count = |kinds: &[IssueKind]| {
        units
            .iter()
            .filter(|u| kinds.iter().any(|&kind| u.has(kind)))
            .count()
    };
    let active = units.iter().filter(|u| u.active_state == "active").count();
    Summary {
        units: units.len(),
        active,
        not_active: units.len() - active,
        failed: count(&[IssueKind::Failed]),
        memory_bytes_total,
        memory_bytes_average: memory_bytes_total
            .checked_div(memories.len() as u64)
            .unwrap_or(0),
        crash_loops: count(&[IssueKind::CrashLoop]),
        memory_kills: count(&[IssueKind::MemoryKill]),
        over_memory: count(&[IssueKind::MemoryOver, IssueKind::MemoryLimitShare]),
        needs_attention: units.iter().any(UnitReport::needs_attention),
    }
}

/// One unit's report.
pub fn unit(facts: &UnitFacts, thresholds: &Thresholds, context: &Context) -> UnitReport {
    let unit = &facts.snapshot.unit;
    let service = &facts.snapshot.service;
    let policy = &facts.policy.watchdog;

    let active_state = unit.active_state.clone();
    let sub_state = unit.sub_state.clone();
    let result = service.result.clone().unwrap_or_default();
    let memory_bytes = set(service.memory_current);
    let memory_max_bytes = set(service.memory_max);
    let main_exit = main_exit(service.exec_main_code, service.exec_main_status);
    let window = thresholds.window.unwrap_or(policy.crash_loop_window);
    let window_seconds = window.as_secs();
    let now = context.now_us / 1_000_000;
    let within = |events: &[u64]| {
        events
            .iter()
            .filter(|&&t| t <= now && now - t <= window_seconds)
            .count() as u64
    };
    let restarts_window = facts.events.as_ref().map(|e| within(&e.restarts));
    let memory_kills_window = facts.events.as_ref().map(|e| {
        let sigkills = if sigkill_means_memory_kill(context.cgroup_memory, memory_max_bytes) {
            within(&e.sigkills)
        } else {
            0
        };
        within(&e.memory_kills) + sigkills
    });
    let crash_loops_window = facts.events.as_ref().map_or(0, |e| within(&e.crash_loops));
    let memory_kill =
        memory_kill_evidence(&result, main_exit, memory_max_bytes, context.cgroup_memory);
    let uptime_seconds = match service.exec_main_start_timestamp {
        Some(since) if active_state == "active" && since > 0 => {
            Some(context.now_us.saturating_sub(since) / 1_000_000)
        }
        _ => None,
    };

    let mut issues = Vec::new();
    if active_state != "active" {
        issues.push(not_active(&active_state, &sub_state, &result, main_exit));
    }
    let window = Window {
        seconds: window_seconds,
        restarts: restarts_window,
        memory_kills: memory_kills_window,
        crash_loops: crash_loops_window,
    };
    issues.extend(crash_loop(&result, &window, policy.crash_loop_restarts));
    issues.extend(memory_kill_issue(memory_kill, memory_max_bytes, &window));
    issues.extend(memory_use(
        memory_bytes,
        memory_max_bytes,
        thresholds,
        policy,
    ));
    let health = super::health::judge(facts, uptime_seconds);
    issues.extend(health.as_ref().and_then(super::health::issue));

    UnitReport {
        name: facts.snapshot.name.clone(),
        ecosystem: facts.policy.ecosystem.clone(),
        app: facts.policy.app.clone(),
        load_state: unit.load_state.clone(),
        active_state,
        sub_state,
        result,
        main_pid: service.main_pid.filter(|&pid| pid != 0),
        memory_bytes,
        memory_max_bytes,
        memory_high_bytes: set(service.memory_high),
        memory_peak_bytes: set(service.memory_peak),
        cpu_seconds: set(service.cpu_usage_nsec).map(|ns| ns as f64 / 1e9),
        tasks: set(service.tasks_current),
        uptime_seconds,
        restarts_total: service.n_restarts.unwrap_or(0),
        restarts_window,
        window_seconds,
        memory_kills_window,
        main_exit,
        memory_kill,
        health,
        issues,
    }
}

/// What happened within the report's window.
struct Window {
    seconds: u64,
    restarts: Option<u64>,
    memory_kills: Option<u64>,
    crash_loops: u64,
}

/// A unit that is not active: failed, stopped, or on its way.
fn not_active(
    active_state: &str,
    sub_state: &str,
    result: &str,
    main_exit: Option<MainExit>,
) -> Issue {
    let why = why_not_active(result, main_exit);
    let kind = match (active_state, result) {
        ("failed", _) => IssueKind::Failed,
        // Stopped cleanly: by a person, or a job that ran and ended.
        ("inactive", "success") => IssueKind::Stopped,
        _ => IssueKind::NotActive,
    };
    let state = if kind == IssueKind::Failed {
        "failed".to_string()
    } else {
        format!("{active_state} ({sub_state})")
    };
    Issue {
        kind,
        message: format!("{state}: {why}"),
    }
}

/// A crash loop: the start limit hit, restarts past the policy's threshold, or one the
/// watchdog saw.
fn crash_loop(result: &str, window: &Window, crash_loop_restarts: u32) -> Option<Issue> {
    let threshold = crash_loop_restarts.max(1);
    let message = if result == "start-limit-hit" {
        "hit its start limit (StartLimitBurst= within StartLimitIntervalSec=)".to_string()
    } else if window.restarts.is_some_and(|n| n >= u64::from(threshold)) {
        format!(
            "{} restarts within {} (crash loop from {threshold})",
            window.restarts.unwrap_or(0),
            human::duration(window.seconds)
        )
    } else if window.crash_loops > 0 {
        format!(
            "the watchdog saw a crash loop within {}",
            human::duration(window.seconds)
        )
    } else {
        return None;
    };
    Some(Issue {
        kind: IssueKind::CrashLoop,
        message,
    })
}

/// A kill by the memory limit: the last exit, or kills within the window.
fn memory_kill_issue(
    memory_kill: Option<MemoryKillEvidence>,
    memory_max_bytes: Option<u64>,
    window: &Window,
) -> Option<Issue> {
    let message = if let Some(evidence) = memory_kill {
        let limit = memory_max_bytes.map_or("its limit".to_string(), human::bytes);
        let how = match evidence {
            MemoryKillEvidence::OomKillResult => "Result=oom-kill".to_string(),
            MemoryKillEvidence::SigkillWithMemoryLimit => {
                "SIGKILL with a memory limit on cgroup v1".to_string()
            }
        };
        format!("killed at MemoryMax={limit} ({how})")
    } else if let Some(kills @ 1..) = window.memory_kills {
        format!(
            "killed by its memory limit {kills} time(s) within {}",
            human::duration(window.seconds)
        )
    } else {
        return None;
    };
    Some(Issue {
        kind: IssueKind::MemoryKill,
        message,
    })
}

/// Memory use over the flagged size, or over the flagged share of `MemoryMax=`.
fn memory_use(
    memory_bytes: Option<u64>,
    memory_max_bytes: Option<u64>,
    thresholds: &Thresholds,
    policy: &WatchdogPolicy,
) -> Vec<Issue> {
    let mut issues = Vec::new();
    if let (Some(memory), Some(over)) = (
        memory_bytes,
        thresholds.memory_over.or(policy.memory_warn_bytes),
    ) && memory > over
    {
        issues.push(Issue {
            kind: IssueKind::MemoryOver,
            message: format!(
                "memory {} over {}",
                human::bytes(memory),
                human::bytes(over)
            ),
        });
    }
    if let (Some(memory), Some(limit), Some(share)) = (
        memory_bytes,
        memory_max_bytes,
        thresholds.limit_share.or(policy.memory_warn_percent),
    ) && limit > 0
        && u128::from(memory) * 100 > u128::from(limit) * u128::from(share)
    {
        issues.push(Issue {
            kind: IssueKind::MemoryLimitShare,
            message: format!(
                "memory {} is {}% of MemoryMax={} (over {share}%)",
                human::bytes(memory),
                u128::from(memory) * 100 / u128::from(limit),
                human::bytes(limit)
            ),
        });
    }
    issues
}

/// Why a unit is not active, in words: its `Result=` and how its main process ended.
fn why_not_active(result: &str, main_exit: Option<MainExit>) -> String {
    let exit = match main_exit {
        Some(MainExit {
            code: ExitCode::Exited,
            status,
        }) => format!(", main process exited with status {status}"),
        Some(MainExit { code, status }) => format!(
            ", main process {} by signal {status}",
            if code == ExitCode::Dumped {
                "dumped core, killed"
            } else {
                "killed"
            }
        ),
        None => String::new(),
    };
    let result = if result.is_empty() { "unknown" } else { result };
    format!("Result={result}{exit}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ecosystem::WatchdogPolicy;
    use crate::systemd::snapshot::{ServiceProperties, UnitProperties};

    const NOW: u64 = 1_700_000_000;

    fn context(cgroup_memory: CgroupMemory) -> Context {
        Context {
            now_us: NOW * 1_000_000,
            cgroup_memory,
            restarts_source: RestartsSource::WatchdogHistory,
        }
    }

    pub(crate) fn facts(name: &str, active: &str, result: &str) -> UnitFacts {
        UnitFacts {
            snapshot: ServiceSnapshot {
                name: name.to_string(),
                unit: UnitProperties {
                    load_state: "loaded".into(),
                    active_state: active.into(),
                    sub_state: if active == "active" {
                        "running"
                    } else {
                        "dead"
                    }
                    .into(),
                },
                service: ServiceProperties {
                    result: Some(result.into()),
                    n_restarts: Some(0),
                    memory_current: Some(if active == "active" {
                        40 << 20
                    } else {
                        u64::MAX
                    }),
                    memory_max: Some(u64::MAX),
                    memory_high: Some(u64::MAX),
                    cpu_usage_nsec: Some(u64::MAX),
                    tasks_current: Some(7),
                    main_pid: Some(if active == "active" { 42 } else { 0 }),
                    exec_main_code: Some(0),
                    exec_main_status: Some(0),
                    exec_main_start_timestamp: Some((NOW - 3600) * 1_000_000),
                    ..ServiceProperties::default()
                },
            },
            policy: UnitPolicy {
                ecosystem: "agents".into(),
                app: name.trim_end_matches(".service").into(),
                watchdog: WatchdogPolicy {
                    memory_warn_percent: None,
                    ..WatchdogPolicy::default()
                },
            },
            events: Some(UnitEvents::default()),
            health: None,
        }
    }

    fn kinds(report: &UnitReport) -> Vec<IssueKind> {
        report.issues.iter().map(|i| i.kind).collect()
    }

    #[test]
    fn a_running_unit_is_well_and_has_its_figures() {
        let report = unit(
            &facts("a.service", "active", "success"),
            &Thresholds::default(),
            &context(CgroupMemory::V1),
        );
        assert!(report.issues.is_empty(), "{:?}", report.issues);
        assert_eq!(report.memory_bytes, Some(40 << 20));
        assert_eq!(report.memory_max_bytes, None);
        assert_eq!(report.cpu_seconds, None);
        assert_eq!(report.uptime_seconds, Some(3600));
        assert_eq!(report.main_pid, Some(42));
        assert_eq!(report.window_seconds, 300);
        assert_eq!(report.main_exit, None);
    }

    #[test]
    fn failed_and_inactive_units_say_why() {
        let mut failed = facts("f.service", "failed", "exit-code");
        failed.snapshot.service.exec_main_code = Some(1);
        failed.snapshot.service.exec_main_status = Some(3);
        let report = unit(&failed, &Thresholds::default(), &context(CgroupMemory::V1));
        assert_eq!(kinds(&report), vec![IssueKind::Failed]);
        assert_eq!(
            report.issues[0].message,
            "failed: Result=exit-code, main process exited with status 3"
        );
        assert_eq!(report.uptime_seconds, None);

        let stopped = unit(
            &facts("s.service", "inactive", "success"),
            &Thresholds::default(),
            &context(CgroupMemory::V1),
        );
        assert_eq!(kinds(&stopped), vec![IssueKind::Stopped]);
        assert!(!IssueKind::Stopped.needs_attention());

        let mut restarting = facts("r.service", "activating", "exit-code");
        restarting.snapshot.unit.sub_state = "auto-restart".into();
        let report = unit(
            &restarting,
            &Thresholds::default(),
            &context(CgroupMemory::V1),
        );
        assert_eq!(kinds(&report), vec![IssueKind::NotActive]);
        assert_eq!(
            report.issues[0].message,
            "activating (auto-restart): Result=exit-code"
        );
        let unclean = unit(
            &facts("u.service", "inactive", "exit-code"),
            &Thresholds::default(),
            &context(CgroupMemory::V1),
        );
        assert_eq!(kinds(&unclean), vec![IssueKind::NotActive]);
        assert_eq!(stopped.issues[0].message, "inactive (dead): Result=success");
    }

    #[test]
    fn oom_kill_result_is_a_memory_kill_on_v2() {
        let mut facts = facts("m.service", "failed", "oom-kill");
        facts.snapshot.service.memory_max = Some(50 << 20);
        let report = unit(&facts, &Thresholds::default(), &context(CgroupMemory::V2));
        assert_eq!(report.memory_kill, Some(MemoryKillEvidence::OomKillResult));
        assert_eq!(
            kinds(&report),
            vec![IssueKind::Failed, IssueKind::MemoryKill]
        );
    }

    #[test]
    fn sigkill_with_a_limit_is_a_memory_kill_on_v1_only() {
        let killed = MainExit {
            code: ExitCode::Killed,
            status: 9,
        };
        let limit = Some(50 << 20);
        assert_eq!(
            memory_kill_evidence("signal", Some(killed), limit, CgroupMemory::V1),
            Some(MemoryKillEvidence::SigkillWithMemoryLimit)
        );
        // On v2 systemd would have said oom-kill: a SIGKILL is something else.
        assert_eq!(
            memory_kill_evidence("signal", Some(killed), limit, CgroupMemory::V2),
            None
        );
        // Without a limit there is no memory limit to be killed by.
        assert_eq!(
            memory_kill_evidence("signal", Some(killed), None, CgroupMemory::V1),
            None
        );
        // SIGTERM is not the OOM killer; a stop timeout's SIGKILL is Result=timeout.
        let terminated = MainExit {
            status: 15,
            ..killed
        };
        assert_eq!(
            memory_kill_evidence("signal", Some(terminated), limit, CgroupMemory::V1),
            None
        );
        assert_eq!(
            memory_kill_evidence("timeout", Some(killed), limit, CgroupMemory::V1),
            None
        );
    }

    #[test]
    fn sigkills_in_the_journal_count_as_memory_kills_only_with_a_limit_on_v1() {
        let mut with_limit = facts("k.service", "active", "success");
        with_limit.snapshot.service.memory_max = Some(50 << 20);
        with_limit.events = Some(UnitEvents {
            sigkills: vec![NOW - 10, NOW - 20, NOW - 10_000],
            ..UnitEvents::default()
        });
        let v1 = unit(
            &with_limit,
            &Thresholds::default(),
            &context(CgroupMemory::V1),
        );
        assert_eq!(v1.memory_kills_window, Some(2));
        assert_eq!(kinds(&v1), vec![IssueKind::MemoryKill]);
        let v2 = unit(
            &with_limit,
            &Thresholds::default(),
            &context(CgroupMemory::V2),
        );
        assert_eq!(v2.memory_kills_window, Some(0));
        assert!(v2.issues.is_empty());
    }

    #[test]
    fn crash_loops_count_restarts_within_the_window() {
        let mut looping = facts("l.service", "active", "success");
        // Policy: 5 restarts within 300 s.
        looping.events = Some(UnitEvents {
            restarts: vec![
                NOW - 10,
                NOW - 60,
                NOW - 120,
                NOW - 200,
                NOW - 290,
                NOW - 400,
            ],
            ..UnitEvents::default()
        });
        let report = unit(&looping, &Thresholds::default(), &context(CgroupMemory::V1));
        assert_eq!(report.restarts_window, Some(5));
        assert_eq!(kinds(&report), vec![IssueKind::CrashLoop]);

        // A shorter window from the command line sees fewer restarts: no crash loop.
        let short = Thresholds {
            window: Some(Duration::from_secs(100)),
            ..Thresholds::default()
        };
        let report = unit(&looping, &short, &context(CgroupMemory::V1));
        assert_eq!(report.restarts_window, Some(2));
        assert_eq!(report.window_seconds, 100);
        assert!(report.issues.is_empty());

        // Events from the future (clock skew) do not count.
        looping.events = Some(UnitEvents {
            restarts: vec![NOW + 10; 9],
            ..UnitEvents::default()
        });
        let report = unit(&looping, &Thresholds::default(), &context(CgroupMemory::V1));
        assert_eq!(report.restarts_window, Some(0));
    }

    #[test]
    fn start_limit_hit_is_a_crash_loop_even_without_history() {
        let mut facts = facts("s.service", "failed", "start-limit-hit");
        facts.events = None;
        let report = unit(&facts, &Thresholds::default(), &context(CgroupMemory::V1));
        assert_eq!(report.restarts_window, None);
        assert_eq!(
            kinds(&report),
            vec![IssueKind::Failed, IssueKind::CrashLoop]
        );
    }

    #[test]
    fn memory_thresholds_from_flags_or_policy() {
        let mut big = facts("b.service", "active", "success");
        big.snapshot.service.memory_current = Some(130 << 20);
        big.snapshot.service.memory_max = Some(140 << 20);
        let none = unit(&big, &Thresholds::default(), &context(CgroupMemory::V1));
        assert!(none.issues.is_empty());

        let flags = Thresholds {
            memory_over: Some(120 << 20),
            limit_share: Some(90),
            ..Thresholds::default()
        };
        let report = unit(&big, &flags, &context(CgroupMemory::V1));
        assert_eq!(
            kinds(&report),
            vec![IssueKind::MemoryOver, IssueKind::MemoryLimitShare]
        );
        assert_eq!(
            report.issues[1].message,
            "memory 130.0 MiB is 92% of MemoryMax=140.0 MiB (over 90%)"
        );

        // The unit's own policy applies when no flag is given; a flag overrides it.
        big.policy.watchdog.memory_warn_percent = Some(95);
        let policy = unit(&big, &Thresholds::default(), &context(CgroupMemory::V1));
        assert!(policy.issues.is_empty());
        big.policy.watchdog.memory_warn_percent = Some(50);
        let policy = unit(&big, &Thresholds::default(), &context(CgroupMemory::V1));
        assert_eq!(kinds(&policy), vec![IssueKind::MemoryLimitShare]);
        big.policy.watchdog.memory_warn_bytes = Some(200 << 20);
        let policy = unit(&big, &flags, &context(CgroupMemory::V1));
        assert_eq!(
            kinds(&policy),
            vec![IssueKind::MemoryOver, IssueKind::MemoryLimitShare]
        );
    }

    #[test]
    fn the_report_sums_sorts_and_ranks() {
        let mut units = vec![
            facts("c.service", "active", "success"),
            facts("a.service", "active", "success"),
            facts("b.service", "failed", "exit-code"),
        ];
        units[0].snapshot.service.memory_current = Some(100 << 20);
        units[1].snapshot.service.memory_current = Some(20 << 20);
        let thresholds = Thresholds {
            top: 1,
            ..Thresholds::default()
        };
        let report = report(&units, &thresholds, &context(CgroupMemory::V1));
        let names: Vec<&str> = report.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["a.service", "b.service", "c.service"]);
        assert_eq!(report.top_memory, vec!["c.service".to_string()]);
        let s = &report.summary;
        assert_eq!((s.units, s.active, s.not_active, s.failed), (3, 2, 1, 1));
        assert_eq!(s.memory_bytes_total, 120 << 20);
        assert_eq!(s.memory_bytes_average, 60 << 20);
        assert!(s.needs_attention);
        assert_eq!(report.generated_at, NOW);
    }

    #[test]
    fn an_empty_fleet_is_well() {
        let report = report(&[], &Thresholds::default(), &context(CgroupMemory::V2));
        assert_eq!(report.summary.units, 0);
        assert_eq!(report.summary.memory_bytes_average, 0);
        assert!(!report.summary.needs_attention);
    }
}
