//! The watchdog's policy: from what systemd says about one unit, what to do and why.
//!
//! Pure logic, no D-Bus: [`UnitTracker::observe`] takes the unit's latest [`Observed`]
//! state and returns [`Decision`]s; [`UnitTracker::fire`] returns the start that a
//! cool-down scheduled, once it is due and still wanted. Windows are kept in the unit's
//! [`UnitHistory`], so they survive a restart of the watchdog. Times are milliseconds
//! since the Unix epoch (the history keeps seconds).

use std::fmt;
use std::time::Duration;

use crate::ecosystem::{WatchdogPolicy, WatchdogRestart};
use crate::observed::Observed;
use crate::observed::history::UnitHistory;
use crate::observed::memory::{self, CgroupMemory};

pub mod health;

/// The longest spacing the watchdog's own backoff puts between two starts of a unit.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// A memory warning re-arms only once usage falls below this share (percent) of the
/// threshold, so a unit hovering at the line warns once.
const MEMORY_REARM_PERCENT: u64 = 90;

/// How long a start that could not be sent waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// How long after `failed` was seen the state is read again before deciding: systemd
/// 252 passes through `failed` for an instant before each of its automatic restarts (a
/// fresh read, answered after that instant, tells); the short wait also batches the
/// signals of many units failing together.
pub const SETTLE: Duration = Duration::from_millis(20);

/// What a decision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// Reset the unit's failed state and start it now.
    Restart,
    /// A start is scheduled after the cool-down and backoff.
    RestartScheduled,
    /// `restart: manual`: the failed unit is left down for a person.
    LeftDown,
    /// The per-window cap of watchdog starts is reached: left down, with an alert.
    CapReached,
    /// Not touched: stopped by a person, or started by someone else meanwhile.
    LeftAlone,
    /// A crash loop began (once per episode).
    CrashLoop,
    /// The crash loop's window no longer holds enough restarts.
    CrashLoopOver,
    /// Memory above the warning threshold (once, until it falls back below).
    MemoryHigh,
    /// Memory back below the re-arm line.
    MemoryNormal,
    /// Its health check failed `retries` times in a row: restart it now.
    HealthRestart,
    /// Unhealthy, and `restart: manual` (or a start is held): left for a person.
    Unhealthy,
    /// Its health check passes again.
    Healthy,
}

impl DecisionKind {
    /// A stable name for logs and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restart => "restart",
            Self::RestartScheduled => "restart-scheduled",
            Self::LeftDown => "left-down",
            Self::CapReached => "cap-reached",
            Self::LeftAlone => "left-alone",
            Self::CrashLoop => "crash-loop",
            Self::CrashLoopOver => "crash-loop-over",
            Self::MemoryHigh => "memory-high",
            Self::MemoryNormal => "memory-normal",
            Self::HealthRestart => "health-restart",
            Self::Unhealthy => "unhealthy",
            Self::Healthy => "healthy",
        }
    }

    /// Whether a person should look at it (logged as a warning).
    pub fn is_alert(self) -> bool {
        matches!(
            self,
            Self::LeftDown
                | Self::CapReached
                | Self::CrashLoop
                | Self::MemoryHigh
                | Self::HealthRestart
                | Self::Unhealthy
        )
    }
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One decision about one unit, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What was decided.
    pub kind: DecisionKind,
    /// Why, in words.
    pub reason: String,
    /// systemd's restarts of the unit within its crash-loop window.
    pub restarts_in_window: usize,
    /// The unit's memory when decided, if known.
    pub memory: Option<u64>,
}

/// The watchdog's memory of one unit between observations.
#[derive(Debug, Clone)]
pub struct UnitTracker {
    policy: WatchdogPolicy,
    seen_restarts: Option<u32>,
    last_state: Option<String>,
    failure_handled: bool,
    failed_since: Option<u64>,
    confirm_at: Option<u64>,
    pending_start: Option<u64>,
    last_watchdog_start: Option<u64>,
    starting: bool,
    stop_reported: bool,
    in_crash_loop: bool,
    memory_warned: bool,
    cgroup_memory: CgroupMemory,
    death_recorded: bool,
}

impl UnitTracker {
    /// A tracker for a unit with this policy on a host whose memory controller is on
    /// `cgroup_memory`, nothing seen yet.
    pub fn new(policy: WatchdogPolicy, cgroup_memory: CgroupMemory) -> Self {
        Self {
            policy,
            cgroup_memory,
            death_recorded: false,
            seen_restarts: None,
            last_state: None,
            failure_handled: false,
            failed_since: None,
            confirm_at: None,
            pending_start: None,
            last_watchdog_start: None,
            starting: false,
            stop_reported: false,
            in_crash_loop: false,
            memory_warned: false,
        }
    }

    /// The unit's policy.
    pub fn policy(&self) -> &WatchdogPolicy {
        &self.policy
    }

    /// Replaces the policy (the unit file changed); the memory of the unit stays.
    pub fn set_policy(&mut self, policy: WatchdogPolicy) {
        self.policy = policy;
    }

    /// When the tracker wants [`fire`](Self::fire) called next (with the unit's state
    /// read afresh): to confirm a failure, or for a scheduled start.
    pub fn due_at(&self) -> Option<u64> {
        match (self.confirm_at, self.pending_start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes in the unit's latest state and decides.
    pub fn observe(
        &mut self,
        now_ms: u64,
        observed: &Observed,
        history: &mut UnitHistory,
    ) -> Vec<Decision> {
        let now = now_ms / 1000;
        let mut decisions = Vec::new();
        let memory = observed.memory_current;

        let new_restarts = match self.seen_restarts {
            // A count lower than before was reset by a start by hand (or ours).
            Some(seen) if observed.n_restarts < seen => observed.n_restarts,
            Some(seen) => observed.n_restarts - seen,
            None => 0,
        };
        self.seen_restarts = Some(observed.n_restarts);
        for _ in 0..new_restarts {
            UnitHistory::record(&mut history.restarts, now);
        }
        self.record_memory_kill(now, new_restarts, observed, history);
        let restarts_in_window = self.restarts_in_window(now, history);
        let decide = |kind, reason: String| Decision {
            kind,
            reason,
            restarts_in_window,
            memory,
        };

        let loop_threshold = self.policy.crash_loop_restarts.max(1) as usize;
        if restarts_in_window >= loop_threshold && !self.in_crash_loop {
            self.in_crash_loop = true;
            UnitHistory::record(&mut history.crash_loops, now);
            decisions.push(decide(
                DecisionKind::CrashLoop,
                format!(
                    "crash loop: {restarts_in_window} restarts within {}s (threshold {loop_threshold})",
                    self.policy.crash_loop_window.as_secs()
                ),
            ));
        } else if restarts_in_window < loop_threshold && self.in_crash_loop {
            self.in_crash_loop = false;
            decisions.push(decide(
                DecisionKind::CrashLoopOver,
                format!(
                    "crash loop over: {restarts_in_window} restarts within {}s",
                    self.policy.crash_loop_window.as_secs()
                ),
            ));
        }

        match observed.active_state.as_str() {
            "failed" => {
                if !self.failure_handled && !observed.job_pending && self.confirm_at.is_none() {
                    self.failed_since.get_or_insert(now_ms);
                    self.confirm_at = Some(now_ms + SETTLE.as_millis() as u64);
                }
            }
            "inactive" => {
                self.failure_handled = false;
                self.confirm_at = None;
                self.failed_since = None;
                if self.pending_start.take().is_some() {
                    decisions.push(decide(
                        DecisionKind::LeftAlone,
                        "stopped by a person (inactive without failure): scheduled start dropped"
                            .into(),
                    ));
                } else if !observed.job_pending
                    && !self.starting
                    && !self.stop_reported
                    && self.last_state.is_some()
                {
                    self.stop_reported = true;
                    decisions.push(decide(
                        DecisionKind::LeftAlone,
                        "stopped (inactive without failure): left alone".into(),
                    ));
                }
            }
            _ => {
                self.failure_handled = false;
                self.confirm_at = None;
                self.failed_since = None;
                self.starting = false;
                self.stop_reported = false;
                if self.pending_start.take().is_some() {
                    decisions.push(decide(
                        DecisionKind::LeftAlone,
                        format!(
                            "{} again without the watchdog: scheduled start dropped",
                            observed.active_state
                        ),
                    ));
                }
            }
        }
        self.last_state = Some(observed.active_state.clone());

        if let Some(decision) = self.memory_check(observed, restarts_in_window) {
            decisions.push(decision);
        }
        decisions
    }

    /// Records a kill by the memory limit once per death of the main process: when the
    /// unit is seen dead (failed, or waiting for its automatic restart) and the same rule
    /// as the report's ([`memory::memory_kill_evidence`]: `Result=oom-kill`, or on
    /// cgroup v1 a SIGKILL of a unit with `MemoryMax=`) says the kill was the limit's.
    fn record_memory_kill(
        &mut self,
        now: u64,
        new_restarts: u32,
        observed: &Observed,
        history: &mut UnitHistory,
    ) {
        if new_restarts > 0 || observed.active_state == "active" {
            // A new life: its death is yet to come.
            self.death_recorded = false;
        }
        let dead = observed.active_state == "failed" || observed.sub_state == "auto-restart";
        if !dead || self.death_recorded {
            return;
        }
        self.death_recorded = true;
        let main_exit = memory::main_exit(
            Some(observed.exec_main_code),
            Some(observed.exec_main_status),
        );
        let evidence = memory::memory_kill_evidence(
            &observed.result,
            main_exit,
            observed.memory_max,
            self.cgroup_memory,
        );
        if evidence.is_some() {
            UnitHistory::record(&mut history.oom_kills, now);
        }
    }

    /// What is due at `now_ms`, given the unit's state read afresh: the decision about a
    /// failure that held, or the start a cool-down scheduled if it is still wanted.
    pub fn fire(
        &mut self,
        now_ms: u64,
        observed: &Observed,
        history: &mut UnitHistory,
    ) -> Option<Decision> {
        if self.confirm_at.is_some_and(|at| now_ms >= at) {
            self.confirm_at = None;
            if observed.active_state != "failed" || observed.job_pending || self.failure_handled {
                return None;
            }
            self.failure_handled = true;
            let failed_at = self.failed_since.take().unwrap_or(now_ms);
            let (kind, reason) = self.on_failure(now_ms, failed_at, observed, history);
            return Some(Decision {
                kind,
                reason,
                restarts_in_window: self.restarts_in_window(now_ms / 1000, history),
                memory: observed.memory_current,
            });
        }
        let due = self.pending_start?;
        if now_ms < due {
            return None;
        }
        self.pending_start = None;
        let now = now_ms / 1000;
        let restarts_in_window = self.restarts_in_window(now, history);
        if observed.active_state != "failed" || self.policy.restart != WatchdogRestart::Auto {
            return None;
        }
        if observed.job_pending {
            // Someone queued a job meanwhile: that job decides; look again after it.
            self.failure_handled = false;
            return None;
        }
        let starts = self.starts_in_window(now, history);
        let cap = self.policy.max_restarts_per_window as usize;
        if starts >= cap {
            return Some(Decision {
                kind: DecisionKind::CapReached,
                reason: self.cap_reason(starts),
                restarts_in_window,
                memory: observed.memory_current,
            });
        }
        UnitHistory::record(&mut history.watchdog_starts, now);
        self.last_watchdog_start = Some(now_ms);
        // Our start resets systemd's restart counter, and whatever state follows is new.
        self.seen_restarts = Some(0);
        self.failure_handled = false;
        self.starting = true;
        Some(Decision {
            kind: DecisionKind::Restart,
            reason: format!(
                "{}; cool-down over: reset-failed and start ({} of {cap} within {}s)",
                failure_reason(observed),
                starts + 1,
                self.policy.crash_loop_window.as_secs()
            ),
            restarts_in_window,
            memory: observed.memory_current,
        })
    }

    /// The start could not be sent (the bus went away): try it again shortly.
    pub fn start_failed(&mut self, now_ms: u64) {
        self.pending_start = Some(now_ms + RETRY_AFTER.as_millis() as u64);
        self.failure_handled = true;
        self.starting = false;
    }

    fn on_failure(
        &mut self,
        now_ms: u64,
        failed_at: u64,
        observed: &Observed,
        history: &UnitHistory,
    ) -> (DecisionKind, String) {
        let failure = failure_reason(observed);
        if self.policy.restart == WatchdogRestart::Manual {
            return (
                DecisionKind::LeftDown,
                format!("{failure}; restart: manual, left down for a person"),
            );
        }
        let now = now_ms / 1000;
        let starts = self.starts_in_window(now, history);
        if starts >= self.policy.max_restarts_per_window as usize {
            return (DecisionKind::CapReached, self.cap_reason(starts));
        }
        let after_cooldown = failed_at + self.policy.cooldown.as_millis() as u64;
        let after_backoff = self.last_start(history).map_or(0, |last| {
            last + backoff(&self.policy, starts).as_millis() as u64
        });
        let at = after_cooldown.max(after_backoff);
        self.pending_start = Some(at);
        (
            DecisionKind::RestartScheduled,
            format!("{failure}; start in {} ms", at.saturating_sub(now_ms)),
        )
    }

    fn cap_reason(&self, starts: usize) -> String {
        format!(
            "{starts} watchdog starts within {}s reached the cap of {}: left down",
            self.policy.crash_loop_window.as_secs(),
            self.policy.max_restarts_per_window
        )
    }

    fn last_start(&self, history: &UnitHistory) -> Option<u64> {
        self.last_watchdog_start
            .or_else(|| history.watchdog_starts.last().map(|s| s * 1000))
    }

    fn restarts_in_window(&self, now: u64, history: &UnitHistory) -> usize {
        let window = self.policy.crash_loop_window.as_secs();
        UnitHistory::count_within(&history.restarts, now, window)
    }

    fn starts_in_window(&self, now: u64, history: &UnitHistory) -> usize {
        let window = self.policy.crash_loop_window.as_secs();
        UnitHistory::count_within(&history.watchdog_starts, now, window)
    }

    fn memory_check(&mut self, observed: &Observed, restarts_in_window: usize) -> Option<Decision> {
        let Some(memory) = observed.memory_current else {
            // Not running: nothing to measure; warn afresh next time.
            self.memory_warned = false;
            return None;
        };
        let (threshold, what) = memory_threshold(&self.policy, observed.memory_max)?;
        let decision = |kind, reason| {
            Some(Decision {
                kind,
                reason,
                restarts_in_window,
                memory: Some(memory),
            })
        };
        if !self.memory_warned && memory > threshold {
            self.memory_warned = true;
            return decision(
                DecisionKind::MemoryHigh,
                format!("memory {memory} bytes above the warning threshold {threshold} ({what})"),
            );
        }
        let rearm = threshold / 100 * MEMORY_REARM_PERCENT;
        if self.memory_warned && memory < rearm {
            self.memory_warned = false;
            return decision(
                DecisionKind::MemoryNormal,
                format!(
                    "memory {memory} bytes back below {rearm} ({MEMORY_REARM_PERCENT}% of the threshold)"
                ),
            );
        }
        None
    }
}

/// The watchdog's spacing before its `starts_so_far + 1`-th start of a unit within the
/// window: the cool-down (at least 1 s) doubled for every start already made.
fn backoff(policy: &WatchdogPolicy, starts_so_far: usize) -> Duration {
    if starts_so_far == 0 {
        return Duration::ZERO;
    }
    let base = policy.cooldown.max(Duration::from_secs(1));
    let factor = 1u32 << (starts_so_far - 1).min(16);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// The lowest configured warning line, and how it was derived.
fn memory_threshold(policy: &WatchdogPolicy, memory_max: Option<u64>) -> Option<(u64, String)> {
    let absolute = policy
        .memory_warn_bytes
        .map(|bytes| (bytes, "MemoryWarnBytes".to_string()));
    let share = match (policy.memory_warn_percent, memory_max) {
        (Some(percent), Some(max)) => Some((
            max / 100 * u64::from(percent),
            format!("{percent}% of MemoryMax {max}"),
        )),
        _ => None,
    };
    match (absolute, share) {
        (Some(a), Some(s)) => Some(if a.0 <= s.0 { a } else { s }),
        (a, s) => a.or(s),
    }
}

/// Why a failed unit is failed, in words.
fn failure_reason(observed: &Observed) -> String {
    match observed.result.as_str() {
        "start-limit-hit" => format!(
            "start limit hit after {} restarts (Result=start-limit-hit)",
            observed.n_restarts
        ),
        "oom-kill" => "killed at its memory limit (Result=oom-kill)".into(),
        result => format!("failed with Result={result} and no automatic restart left"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn policy() -> WatchdogPolicy {
        WatchdogPolicy {
            restart: WatchdogRestart::Auto,
            crash_loop_restarts: 3,
            crash_loop_window: Duration::from_secs(60),
            cooldown: Duration::from_secs(1),
            max_restarts_per_window: 2,
            memory_warn_bytes: None,
            memory_warn_percent: None,
            health: None,
        }
    }

    fn state(active: &str, result: &str, n_restarts: u32) -> Observed {
        Observed {
            active_state: active.into(),
            sub_state: String::new(),
            result: result.into(),
            n_restarts,
            exec_main_code: 0,
            exec_main_status: 0,
            job_pending: false,
            memory_current: None,
            memory_max: None,
        }
    }

    const SETTLED: u64 = SETTLE.as_millis() as u64;

    /// Observes a failure and confirms it once settled, as the fleet does.
    fn fail(
        tracker: &mut UnitTracker,
        now: u64,
        failed: &Observed,
        history: &mut UnitHistory,
    ) -> Vec<Decision> {
        let mut decisions = tracker.observe(now, failed, history);
        assert_eq!(tracker.due_at(), Some(now + SETTLED));
        decisions.extend(tracker.fire(now + SETTLED, failed, history));
        decisions
    }

    fn kinds(decisions: &[Decision]) -> Vec<DecisionKind> {
        decisions.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn start_limit_hit_is_restarted_after_the_cooldown() {
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V2);
        let mut history = UnitHistory::default();
        tracker.observe(T0, &state("active", "success", 0), &mut history);
        let failed = state("failed", "start-limit-hit", 0);
        let decisions = fail(&mut tracker, T0 + 10, &failed, &mut history);
        assert_eq!(kinds(&decisions), [DecisionKind::RestartScheduled]);
        assert_eq!(tracker.due_at(), Some(T0 + 1010));
        assert_eq!(tracker.fire(T0 + 1009, &failed, &mut history), None);
        let start = tracker.fire(T0 + 1010, &failed, &mut history).unwrap();
        assert_eq!(start.kind, DecisionKind::Restart);
        assert!(start.reason.contains("start limit hit"), "{}", start.reason);
        assert_eq!(history.watchdog_starts.len(), 1);
    }

    #[test]
    fn the_cap_per_window_leaves_the_unit_down_with_an_alert() {
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V2);
        let mut history = UnitHistory::default();
        let failed = state("failed", "start-limit-hit", 0);
        let mut now = T0;
        for round in 0..2 {
            let d = fail(&mut tracker, now, &failed, &mut history);
            assert!(
                kinds(&d).contains(&DecisionKind::RestartScheduled),
                "round {round}: {d:?}"
            );
            now = tracker.due_at().unwrap();
            assert_eq!(
                tracker.fire(now, &failed, &mut history).unwrap().kind,
                DecisionKind::Restart
            );
            tracker.observe(now + 100, &state("active", "success", 0), &mut history);
            now += 5_000;
        }
        let d = fail(&mut tracker, now, &failed, &mut history);
        assert_eq!(kinds(&d), [DecisionKind::CapReached]);
        assert!(d[0].kind.is_alert());
        assert_eq!(tracker.due_at(), None);
        // Reported once, not on every observation.
        assert!(tracker.observe(now + 100, &failed, &mut history).is_empty());
        assert_eq!(tracker.due_at(), None);
        // Past the window the cap frees up again.
        tracker.observe(now + 61_000, &state("inactive", "success", 0), &mut history);
        let d = fail(&mut tracker, now + 62_000, &failed, &mut history);
        assert_eq!(kinds(&d), [DecisionKind::RestartScheduled]);
    }

    #[test]
    fn backoff_spaces_the_watchdogs_own_starts() {
        let mut tracker = UnitTracker::new(
            WatchdogPolicy {
                max_restarts_per_window: 5,
                ..policy()
            },
            CgroupMemory::V2,
        );
        let mut history = UnitHistory::default();
        let failed = state("failed", "exit-code", 0);
        fail(&mut tracker, T0, &failed, &mut history);
        let first = tracker.due_at().unwrap();
        tracker.fire(first, &failed, &mut history).unwrap();
        tracker.observe(first + 10, &state("activating", "success", 0), &mut history);
        // Fails again at once: the second start waits 1 s after the first...
        fail(&mut tracker, first + 20, &failed, &mut history);
        assert_eq!(tracker.due_at(), Some(first + 1_020));
        let second = tracker.due_at().unwrap();
        tracker.fire(second, &failed, &mut history).unwrap();
        tracker.observe(
            second + 10,
            &state("activating", "success", 0),
            &mut history,
        );
        // ...and the third 2 s after the second, not 1 s after the failure.
        fail(&mut tracker, second + 20, &failed, &mut history);
        assert_eq!(tracker.due_at(), Some(second + 2_000));
    }

    #[test]
    fn manual_units_are_left_down_and_said_so_once() {
        let mut tracker = UnitTracker::new(
            WatchdogPolicy {
                restart: WatchdogRestart::Manual,
                ..policy()
            },
            CgroupMemory::V2,
        );
        let mut history = UnitHistory::default();
        let failed = state("failed", "exit-code", 0);
        let d = fail(&mut tracker, T0, &failed, &mut history);
        assert_eq!(kinds(&d), [DecisionKind::LeftDown]);
        assert!(d[0].reason.contains("manual"));
        assert!(tracker.observe(T0 + 500, &failed, &mut history).is_empty());
        assert_eq!(tracker.due_at(), None);
    }

    #[test]
    fn a_unit_stopped_by_a_person_is_never_started() {
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V2);
        let mut history = UnitHistory::default();
        tracker.observe(T0, &state("active", "success", 0), &mut history);
        let d = tracker.observe(T0 + 1, &state("inactive", "success", 0), &mut history);
        assert_eq!(kinds(&d), [DecisionKind::LeftAlone]);
        assert_eq!(tracker.due_at(), None);
        // Failed, then stopped by a person during the cool-down: the start is dropped.
        fail(
            &mut tracker,
            T0 + 2,
            &state("failed", "exit-code", 0),
            &mut history,
        );
        assert!(tracker.due_at().is_some());
        let d = tracker.observe(T0 + 300, &state("inactive", "success", 0), &mut history);
        assert_eq!(kinds(&d), [DecisionKind::LeftAlone]);
        assert_eq!(
            tracker.fire(T0 + 5_000, &state("inactive", "success", 0), &mut history),
            None
        );
    }

    #[test]
    fn a_unit_with_a_job_in_progress_is_not_touched() {
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V2);
        let mut history = UnitHistory::default();
        let mut failed = state("failed", "exit-code", 0);
        failed.job_pending = true;
        assert!(tracker.observe(T0, &failed, &mut history).is_empty());
        assert_eq!(tracker.due_at(), None);
        // A job queued during the cool-down also wins.
        failed.job_pending = false;
        fail(&mut tracker, T0 + 1, &failed, &mut history);
        failed.job_pending = true;
        assert_eq!(tracker.fire(T0 + 2_000, &failed, &mut history), None);
        assert!(history.watchdog_starts.is_empty());
    }

    #[test]
    fn crash_loops_count_restarts_in_a_sliding_window_once_per_episode() {
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V2);
        let mut history = UnitHistory::default();
        tracker.observe(T0, &state("active", "success", 10), &mut history);
        // Restarts before the watchdog looked are not counted.
        assert!(history.restarts.is_empty());
        tracker.observe(
            T0 + 1_000,
            &state("activating", "exit-code", 11),
            &mut history,
        );
        // Two restarts seen in one signal count twice.
        let d = tracker.observe(
            T0 + 2_000,
            &state("activating", "exit-code", 13),
            &mut history,
        );
        assert_eq!(kinds(&d), [DecisionKind::CrashLoop]);
        assert_eq!(d[0].restarts_in_window, 3);
        let d = tracker.observe(
            T0 + 3_000,
            &state("activating", "exit-code", 14),
            &mut history,
        );
        assert!(d.is_empty(), "one report per episode: {d:?}");
        assert_eq!(history.crash_loops.len(), 1);
        // 61 s after the last of them, the window is empty again: the episode is over.
        let d = tracker.observe(T0 + 64_000, &state("active", "success", 14), &mut history);
        assert_eq!(kinds(&d), [DecisionKind::CrashLoopOver]);
        // A counter reset by a start by hand is not a negative count.
        tracker.observe(T0 + 65_000, &state("active", "success", 1), &mut history);
        assert_eq!(history.restarts.len(), 5);
    }

    #[test]
    fn memory_warnings_have_hysteresis() {
        let mut tracker = UnitTracker::new(
            WatchdogPolicy {
                memory_warn_percent: Some(80),
                ..policy()
            },
            CgroupMemory::V2,
        );
        let mut history = UnitHistory::default();
        let mut running = state("active", "success", 0);
        running.memory_max = Some(1000);
        let mut at = |tracker: &mut UnitTracker, memory| {
            running.memory_current = Some(memory);
            kinds(&tracker.observe(T0, &running, &mut history))
        };
        assert_eq!(at(&mut tracker, 700), []);
        assert_eq!(at(&mut tracker, 850), [DecisionKind::MemoryHigh]);
        assert_eq!(at(&mut tracker, 790), []);
        assert_eq!(at(&mut tracker, 830), []);
        assert_eq!(at(&mut tracker, 719), [DecisionKind::MemoryNormal]);
        assert_eq!(at(&mut tracker, 801), [DecisionKind::MemoryHigh]);
    }

    #[test]
    fn the_lower_of_absolute_and_share_thresholds_applies() {
        let p = WatchdogPolicy {
            memory_warn_bytes: Some(500),
            memory_warn_percent: Some(90),
            ..policy()
        };
        assert_eq!(memory_threshold(&p, Some(1000)).unwrap().0, 500);
        assert_eq!(memory_threshold(&p, Some(400)).unwrap().0, 360);
        assert_eq!(memory_threshold(&p, None).unwrap().0, 500);
        let none = WatchdogPolicy {
            memory_warn_bytes: None,
            ..p
        };
        assert_eq!(memory_threshold(&none, None), None);
    }

    /// Dead and waiting for systemd's automatic restart.
    fn restarting(result: &str, n_restarts: u32) -> Observed {
        Observed {
            sub_state: "auto-restart".into(),
            ..state("activating", result, n_restarts)
        }
    }

    #[test]
    fn oom_kills_are_recorded() {
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V2);
        let mut history = UnitHistory::default();
        tracker.observe(T0, &state("active", "success", 0), &mut history);
        // systemd 252 shows `failed` for an instant, then waits to restart: one kill.
        tracker.observe(T0 + 1, &state("failed", "oom-kill", 0), &mut history);
        tracker.observe(T0 + 2, &restarting("oom-kill", 0), &mut history);
        assert_eq!(history.oom_kills.len(), 1);
        // Restarted (the count rises as the start begins) and killed again, for good.
        tracker.observe(T0 + 3, &state("activating", "success", 1), &mut history);
        tracker.observe(T0 + 4, &state("failed", "oom-kill", 1), &mut history);
        assert_eq!(history.oom_kills.len(), 2);
        // Still failed, seen again: the same kill.
        tracker.observe(T0 + 5, &state("failed", "oom-kill", 1), &mut history);
        assert_eq!(history.oom_kills.len(), 2);
        // Other deaths are no memory kills.
        tracker.observe(T0 + 6, &state("active", "success", 0), &mut history);
        tracker.observe(T0 + 7, &restarting("exit-code", 0), &mut history);
        assert_eq!(history.oom_kills.len(), 2);
    }

    #[test]
    fn on_cgroup_v1_a_sigkill_at_a_memory_limit_is_a_memory_kill() {
        let sigkilled = |n_restarts| Observed {
            exec_main_code: 2,
            exec_main_status: 9,
            memory_max: Some(50 << 20),
            ..restarting("signal", n_restarts)
        };
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V1);
        let mut history = UnitHistory::default();
        tracker.observe(T0, &state("active", "success", 0), &mut history);
        tracker.observe(T0 + 1, &sigkilled(0), &mut history);
        assert_eq!(history.oom_kills.len(), 1);
        tracker.observe(T0 + 2, &state("active", "success", 1), &mut history);
        // Without a memory limit, a SIGKILL is somebody's `kill -9`.
        let unlimited = Observed {
            memory_max: None,
            ..sigkilled(1)
        };
        tracker.observe(T0 + 3, &unlimited, &mut history);
        assert_eq!(history.oom_kills.len(), 1);
        // On cgroup v2 systemd would have said `oom-kill`: a SIGKILL is not one.
        let mut v2 = UnitTracker::new(policy(), CgroupMemory::V2);
        v2.observe(T0, &state("active", "success", 0), &mut history);
        v2.observe(T0 + 1, &sigkilled(0), &mut history);
        assert_eq!(history.oom_kills.len(), 1);
    }

    #[test]
    fn a_failed_state_that_does_not_hold_is_no_failure() {
        let mut tracker = UnitTracker::new(policy(), CgroupMemory::V2);
        let mut history = UnitHistory::default();
        tracker.observe(T0, &state("active", "success", 0), &mut history);
        // systemd 252 passes through `failed` before each automatic restart...
        assert!(
            tracker
                .observe(T0 + 1, &state("failed", "exit-code", 0), &mut history)
                .is_empty()
        );
        let restarting = state("activating", "exit-code", 0);
        assert!(
            tracker
                .observe(T0 + 2, &restarting, &mut history)
                .is_empty()
        );
        assert_eq!(tracker.due_at(), None);
        assert_eq!(tracker.fire(T0 + 100, &restarting, &mut history), None);
        // ...and the restart job passes through `inactive`: not a stop by a person.
        let mut restart_job = state("inactive", "success", 0);
        restart_job.job_pending = true;
        assert!(
            tracker
                .observe(T0 + 3, &restart_job, &mut history)
                .is_empty()
        );
    }
}
