//! Health in the report: each running unit with a health check is probed once while
//! the report is made (all at once, bounded), and an unhealthy one is a finding.

use serde::Serialize;

use super::classify::UnitFacts;
use super::model::{Issue, IssueKind};
use crate::health::probe::{self, ProbeResult};

/// A unit's health as the report saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitHealth {
    /// `healthy`, `unhealthy`, or `starting` (failing within its start period).
    pub status: HealthStatus,
    /// What was probed (the URL or `HOST:PORT`).
    pub check: String,
    /// What the probe saw.
    pub detail: String,
}

/// The report's judgement of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealthStatus {
    /// The probe passed.
    Healthy,
    /// The probe failed after the start period.
    Unhealthy,
    /// The probe failed within the start period: not counted yet.
    Starting,
}

impl HealthStatus {
    /// The name used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Starting => "starting",
        }
    }
}

/// Probes the running units with a health check that `wanted` picks, all at once (at
/// most [`probe::DEFAULT_CONCURRENCY`]), and stores each result in its facts.
pub async fn probe_units(facts: &mut [UnitFacts], wanted: impl Fn(&UnitFacts) -> bool) {
    let mut picked = Vec::new();
    let mut checks = Vec::new();
    for (index, unit) in facts.iter().enumerate() {
        if let Some(check) = &unit.policy.watchdog.health
            && unit.snapshot.unit.active_state == "active"
            && wanted(unit)
        {
            picked.push(index);
            checks.push(check.clone());
        }
    }
    let results = probe::probe_all(checks, probe::DEFAULT_CONCURRENCY).await;
    for (index, result) in picked.into_iter().zip(results) {
        facts[index].health = Some(result);
    }
}

/// The unit's health from its probe, given its uptime: failures within the check's
/// start period count as `starting`. Units not running are not judged.
pub fn judge(facts: &UnitFacts, uptime_seconds: Option<u64>) -> Option<UnitHealth> {
    let check = facts.policy.watchdog.health.as_ref()?;
    let result: &ProbeResult = facts.health.as_ref()?;
    if facts.snapshot.unit.active_state != "active" {
        return None;
    }
    let status = if result.healthy {
        HealthStatus::Healthy
    } else if uptime_seconds.is_some_and(|up| up < check.start_period.as_secs()) {
        HealthStatus::Starting
    } else {
        HealthStatus::Unhealthy
    };
    Some(UnitHealth {
        status,
        check: check.target.text().to_string(),
        detail: result.detail.clone(),
    })
}

/// The finding for an unhealthy unit.
pub fn issue(health: &UnitHealth) -> Option<Issue> {
    (health.status == HealthStatus::Unhealthy).then(|| Issue {
        kind: IssueKind::Unhealthy,
        message: format!("health check {} failed: {}", health.check, health.detail),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::health::{HealthCheck, Target};
    use crate::report::classify::tests::facts;

    fn probed(healthy: bool, start_period: u64) -> UnitFacts {
        let mut unit = facts("agents-api.service", "active", "success");
        unit.policy.watchdog.health = Some(HealthCheck {
            start_period: Duration::from_secs(start_period),
            ..HealthCheck::new(Target::Tcp {
                address: "127.0.0.1:3000".into(),
            })
        });
        unit.health = Some(ProbeResult {
            healthy,
            detail: if healthy { "connected" } else { "refused" }.into(),
            elapsed: Duration::ZERO,
        });
        unit
    }

    #[test]
    fn a_failing_probe_is_a_finding_after_the_start_period() {
        let sick = judge(&probed(false, 60), Some(600)).expect("judged");
        assert_eq!(sick.status, HealthStatus::Unhealthy);
        let found = issue(&sick).expect("issue");
        assert_eq!(found.kind, IssueKind::Unhealthy);
        assert!(
            found.message.contains("127.0.0.1:3000 failed: refused"),
            "{}",
            found.message
        );
        let young = judge(&probed(false, 60), Some(10)).expect("judged");
        assert_eq!(young.status, HealthStatus::Starting);
        assert_eq!(issue(&young), None);
        let well = judge(&probed(true, 0), Some(600)).expect("judged");
        assert_eq!((well.status, issue(&well)), (HealthStatus::Healthy, None));
        let mut stopped = probed(false, 0);
        stopped.snapshot.unit.active_state = "inactive".into();
        assert_eq!(judge(&stopped, None), None);
    }
}
