//! The fleet's health checks: which running units are due for a probe, and what to do
//! with the results (the probes themselves run apart, see `watchdog::run`).

use super::{Fleet, is_connection_error, now_ms};
use crate::health::HealthCheck;
use crate::health::probe::ProbeResult;
use crate::health::tracker::Change;
use crate::systemd::ManagerProxy;
use crate::watchdog::log;
use crate::watchdog::policy::health::Unhealthy;
use crate::watchdog::policy::{Decision, DecisionKind};

/// Probes to run: each unit's name with its check.
pub type Batch = Vec<(String, HealthCheck)>;

impl Fleet {
    /// The running units whose health check is due now (a unit with a job pending, or
    /// not active, waits; its probes start afresh when it runs again).
    pub fn health_due(&mut self) -> Batch {
        let now = now_ms();
        let mut due = Vec::new();
        for (name, watched) in &mut self.units {
            let Some(check) = &watched.tracker.policy().health else {
                continue;
            };
            let running =
                watched.observed.active_state == "active" && !watched.observed.job_pending;
            if watched.health.due(now, running, check) {
                due.push((name.clone(), check.clone()));
            }
        }
        due
    }

    /// Takes in the results of a batch: judges each unit, and restarts the unhealthy by
    /// their policy.
    pub async fn health_results(
        &mut self,
        manager: &ManagerProxy<'_>,
        results: Vec<(String, ProbeResult)>,
    ) -> zbus::Result<()> {
        for (name, result) in results {
            let Some(decision) = self.judge(&name, &result) else {
                continue;
            };
            log::decision(&name, &decision);
            self.dirty = true;
            if decision.kind != DecisionKind::HealthRestart {
                continue;
            }
            if let Err(error) = restart(manager, &name).await {
                tracing::error!(unit = %name, %error, "could not restart the unhealthy unit");
                if is_connection_error(&error) {
                    return Err(error);
                }
            } else if let Some(watched) = self.units.get_mut(&name) {
                watched.observed.job_pending = true;
                watched.health.restarted();
            }
        }
        Ok(())
    }

    /// The decision a probe's result leads to, if any. A unit that stopped running
    /// while it was probed is not judged.
    fn judge(&mut self, name: &str, result: &ProbeResult) -> Option<Decision> {
        let watched = self.units.get_mut(name)?;
        let check = watched.tracker.policy().health.clone()?;
        if watched.observed.active_state != "active" || watched.observed.job_pending {
            return None;
        }
        tracing::debug!(unit = name, healthy = result.healthy, detail = %result.detail, "probed");
        match watched.health.record(now_ms(), &check, result) {
            Change::None => None,
            Change::Recovered => Some(Decision {
                kind: DecisionKind::Healthy,
                reason: format!("healthy again ({})", result.detail),
                restarts_in_window: 0,
                memory: watched.observed.memory_current,
            }),
            Change::Unhealthy {
                first,
                failures,
                detail,
            } => {
                let history = self.history.units.entry(name.to_string()).or_default();
                let cause = Unhealthy {
                    first,
                    failures,
                    detail,
                };
                watched.tracker.unhealthy(now_ms(), &cause, history)
            }
        }
    }
}

/// Restarts the unit (stop, then start, as one job).
async fn restart(manager: &ManagerProxy<'_>, name: &str) -> zbus::Result<()> {
    manager
        .restart_unit(name.to_string(), "replace".to_string())
        .await?;
    Ok(())
}
