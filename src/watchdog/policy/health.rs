//! The policy for a unit whose health check fails: restart it, under the same cap and
//! back-off as the watchdog's starts after failures, or leave it to a person.

use super::{Decision, DecisionKind, UnitTracker, backoff};
use crate::ecosystem::WatchdogRestart;
use crate::observed::history::UnitHistory;

/// What made a running unit unhealthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unhealthy {
    /// Whether this probe made it unhealthy (false while it stays so).
    pub first: bool,
    /// Failed probes in a row.
    pub failures: u32,
    /// What the last probe saw.
    pub detail: String,
}

impl UnitTracker {
    /// Decides about a running unit whose health check failed `failures` times in a row:
    /// [`DecisionKind::HealthRestart`] (recorded as a watchdog start and a health
    /// restart), [`DecisionKind::Unhealthy`] once per episode when it is left alone
    /// (`restart: manual`, or the cap reached), or nothing while the back-off holds.
    pub fn unhealthy(
        &mut self,
        now_ms: u64,
        cause: &Unhealthy,
        history: &mut UnitHistory,
    ) -> Option<Decision> {
        let now = now_ms / 1000;
        let restarts_in_window = self.restarts_in_window(now, history);
        let what = format!(
            "unhealthy: {} failed health checks in a row ({})",
            cause.failures, cause.detail
        );
        let decide = |kind, reason| {
            Some(Decision {
                kind,
                reason,
                restarts_in_window,
                memory: None,
            })
        };
        if self.policy.restart == WatchdogRestart::Manual {
            return cause.first.then_some(()).and_then(|()| {
                decide(
                    DecisionKind::Unhealthy,
                    format!("{what}; restart: manual, left for a person"),
                )
            });
        }
        let starts = self.starts_in_window(now, history);
        let cap = self.policy.max_restarts_per_window as usize;
        if starts >= cap {
            return cause.first.then_some(()).and_then(|()| {
                decide(
                    DecisionKind::Unhealthy,
                    format!("{what}; {}", self.cap_reason(starts)),
                )
            });
        }
        let earliest = self.last_start(history).map_or(0, |last| {
            last + backoff(&self.policy, starts).as_millis() as u64
        });
        if now_ms < earliest {
            return None;
        }
        UnitHistory::record(&mut history.watchdog_starts, now);
        UnitHistory::record(&mut history.health_restarts, now);
        self.last_watchdog_start = Some(now_ms);
        self.starting = true;
        decide(
            DecisionKind::HealthRestart,
            format!(
                "{what}; restart ({} of {cap} within {}s)",
                starts + 1,
                self.policy.crash_loop_window.as_secs()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ecosystem::WatchdogPolicy;
    use crate::report::model::CgroupMemory;

    const T0: u64 = 1_700_000_000_000;

    fn cause(first: bool) -> Unhealthy {
        Unhealthy {
            first,
            failures: 3,
            detail: "no answer within 5000 ms".into(),
        }
    }

    fn tracker(restart: WatchdogRestart) -> UnitTracker {
        let policy = WatchdogPolicy {
            restart,
            cooldown: Duration::from_secs(1),
            max_restarts_per_window: 2,
            crash_loop_window: Duration::from_secs(60),
            ..WatchdogPolicy::default()
        };
        UnitTracker::new(policy, CgroupMemory::V2)
    }

    #[test]
    fn restarts_with_back_off_up_to_the_cap() {
        let mut t = tracker(WatchdogRestart::Auto);
        let mut history = UnitHistory::default();
        let first = t
            .unhealthy(T0, &cause(true), &mut history)
            .expect("restart");
        assert_eq!(first.kind, DecisionKind::HealthRestart);
        assert!(
            first.reason.contains("3 failed health checks"),
            "{}",
            first.reason
        );
        assert_eq!(history.health_restarts.len(), 1);
        assert_eq!(history.watchdog_starts.len(), 1);
        // The back-off after one start is the cool-down (1 s).
        assert_eq!(t.unhealthy(T0 + 500, &cause(true), &mut history), None);
        let second = t.unhealthy(T0 + 1_000, &cause(true), &mut history);
        assert_eq!(second.map(|d| d.kind), Some(DecisionKind::HealthRestart));
        let capped = t
            .unhealthy(T0 + 10_000, &cause(true), &mut history)
            .expect("cap");
        assert_eq!(capped.kind, DecisionKind::Unhealthy);
        assert!(
            capped.reason.contains("reached the cap of 2"),
            "{}",
            capped.reason
        );
        assert_eq!(
            t.unhealthy(T0 + 20_000, &cause(false), &mut history),
            None,
            "said once"
        );
        assert_eq!(history.health_restarts.len(), 2);
    }

    #[test]
    fn manual_units_are_left_for_a_person() {
        let mut t = tracker(WatchdogRestart::Manual);
        let mut history = UnitHistory::default();
        let left = t.unhealthy(T0, &cause(true), &mut history).expect("said");
        assert_eq!(left.kind, DecisionKind::Unhealthy);
        assert_eq!(t.unhealthy(T0 + 10_000, &cause(false), &mut history), None);
        assert!(history.health_restarts.is_empty());
    }
}
