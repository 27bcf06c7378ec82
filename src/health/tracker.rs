//! One unit's health between probes: when the next probe is due, failures in a row, the
//! grace after a start, and the moments it turns unhealthy or healthy again. Pure logic;
//! times are milliseconds since the epoch.

use super::check::HealthCheck;
use super::probe::ProbeResult;

/// A unit's health as last judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    /// No probe counted yet (not running, or in its start period).
    #[default]
    Unknown,
    /// The last probe passed.
    Healthy,
    /// Failing, but fewer times in a row than `retries`.
    Failing,
    /// `retries` probes in a row failed.
    Unhealthy,
}

impl Health {
    /// The name used in logs, reports and `top`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Healthy => "healthy",
            Self::Failing => "failing",
            Self::Unhealthy => "unhealthy",
        }
    }
}

/// What a probe's result changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Nothing worth acting on.
    None,
    /// `retries` failures in a row: `first` on the probe that made it so, false while
    /// it stays unhealthy. The detail is the last probe's.
    Unhealthy {
        /// Whether this probe made it unhealthy.
        first: bool,
        /// Failures in a row.
        failures: u32,
        /// What the last probe saw.
        detail: String,
    },
    /// Healthy again after being unhealthy.
    Recovered,
}

/// Follows one unit's probes.
#[derive(Debug, Clone, Default)]
pub struct HealthTracker {
    health: Health,
    failures: u32,
    last_probe: Option<u64>,
    active_since: Option<u64>,
    last_detail: String,
}

impl HealthTracker {
    /// The current judgement.
    pub fn health(&self) -> Health {
        self.health
    }

    /// What the last probe saw.
    pub fn detail(&self) -> &str {
        &self.last_detail
    }

    /// Whether a probe is due at `now` (and if so, it counts as started then), given
    /// whether the unit is running (and no job is pending). A unit that is not running
    /// forgets its probes: the next start begins afresh, with its start period.
    pub fn due(&mut self, now: u64, running: bool, check: &HealthCheck) -> bool {
        if !running {
            *self = Self::default();
            return false;
        }
        self.active_since.get_or_insert(now);
        // Intervals run from one probe's start to the next, as Docker has them.
        let due = self.interval_passed(now, check);
        if due {
            self.last_probe = Some(now);
        }
        due
    }

    fn interval_passed(&self, now: u64, check: &HealthCheck) -> bool {
        self.last_probe
            .is_none_or(|last| now >= last + check.interval.as_millis() as u64)
    }

    /// Takes in a probe's result at `now`.
    pub fn record(&mut self, now: u64, check: &HealthCheck, result: &ProbeResult) -> Change {
        self.last_detail = result.detail.clone();
        if result.healthy {
            self.failures = 0;
            let was = std::mem::replace(&mut self.health, Health::Healthy);
            return if was == Health::Unhealthy {
                Change::Recovered
            } else {
                Change::None
            };
        }
        let since = self.active_since.unwrap_or(now);
        let in_start_period =
            self.health == Health::Unknown && now < since + check.start_period.as_millis() as u64;
        if in_start_period {
            return Change::None;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures < check.retries.max(1) {
            self.health = Health::Failing;
            return Change::None;
        }
        let first = self.health != Health::Unhealthy;
        self.health = Health::Unhealthy;
        Change::Unhealthy {
            first,
            failures: self.failures,
            detail: result.detail.clone(),
        }
    }

    /// The unit is being restarted: its next life starts afresh.
    pub fn restarted(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::health::check::Target;

    fn check(retries: u32, start_period_ms: u64) -> HealthCheck {
        HealthCheck {
            interval: Duration::from_secs(10),
            retries,
            start_period: Duration::from_millis(start_period_ms),
            ..HealthCheck::new(Target::Tcp {
                address: "127.0.0.1:1".into(),
            })
        }
    }

    fn result(healthy: bool) -> ProbeResult {
        ProbeResult {
            healthy,
            detail: if healthy { "HTTP 200" } else { "timed out" }.into(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn unhealthy_after_retries_failures_in_a_row_then_recovers() {
        let c = check(3, 0);
        let mut t = HealthTracker::default();
        assert!(t.due(0, true, &c));
        assert_eq!(t.record(0, &c, &result(true)), Change::None);
        assert!(!t.due(5_000, true, &c), "interval not over");
        assert!(t.due(10_000, true, &c));
        assert_eq!(t.record(10_000, &c, &result(false)), Change::None);
        assert_eq!(t.health(), Health::Failing);
        assert_eq!(t.record(20_000, &c, &result(false)), Change::None);
        let third = t.record(30_000, &c, &result(false));
        assert_eq!(
            third,
            Change::Unhealthy {
                first: true,
                failures: 3,
                detail: "timed out".into()
            }
        );
        assert!(matches!(
            t.record(40_000, &c, &result(false)),
            Change::Unhealthy { first: false, .. }
        ));
        assert_eq!(t.record(50_000, &c, &result(true)), Change::Recovered);
        assert_eq!(t.health(), Health::Healthy);
    }

    #[test]
    fn failures_in_the_start_period_do_not_count_and_stopping_forgets() {
        let c = check(1, 30_000);
        let mut t = HealthTracker::default();
        assert!(t.due(0, true, &c));
        assert_eq!(t.record(0, &c, &result(false)), Change::None);
        assert_eq!(t.health(), Health::Unknown);
        assert!(matches!(
            t.record(31_000, &c, &result(false)),
            Change::Unhealthy { first: true, .. }
        ));
        assert!(!t.due(40_000, false, &c));
        assert_eq!(t.health(), Health::Unknown);
        assert!(t.due(41_000, true, &c));
        assert_eq!(t.record(41_000, &c, &result(false)), Change::None);
    }
}
