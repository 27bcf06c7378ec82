//! Rolling reload (`unit-watchdog reload`), PM2's `pm2 reload` done with systemd: an
//! app's instances (or every app of a group, app by app) are restarted one at a time,
//! each only once the one before serves again, and the reload stops at the first that
//! does not, leaving the rest untouched and serving.
//!
//! The group's services are found through systemd: the loaded services whose unit file
//! carries `Ecosystem=GROUP` in its `[X-Ecosystemd]` section (see
//! [`crate::report::collect::managed_units`]), with `App=` naming their app. Instances a
//! person stopped (`inactive`) are left alone, as the watchdog leaves them.

pub mod instance;
pub mod order;

use std::time::Duration;

use thiserror::Error;

use crate::systemd::jobs::EndedJobs;
use crate::systemd::{self, BusTarget};
use instance::{Limits, Restarter};
use order::Member;

/// What to reload, where, and how long to wait.
#[derive(Debug, Clone)]
pub struct ReloadOptions {
    /// The manager the group runs under.
    pub bus: BusTarget,
    /// The group (`Ecosystem=` of its units).
    pub group: String,
    /// Only this app's instances; every app of the group when `None`.
    pub app: Option<String>,
    /// The longest one instance may take to stop, start and become ready.
    pub timeout: Duration,
    /// How long a new main process must stay up to count as started (PM2's
    /// `min_uptime`); a `Type=notify` app is ready only once it says so, before that.
    pub min_uptime: Duration,
}

/// Why an instance did not come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// systemd refused the restart (its message).
    Refused(String),
    /// The restart job ended other than `done` (`failed`, `timeout`, `canceled`, ...),
    /// with the unit's `Result`.
    Job {
        /// The job's result.
        result: String,
        /// The unit's `Result` after it.
        unit_result: String,
    },
    /// The job was done but the unit was not active (its state).
    NotActive(String),
    /// The new main process ended within the minimum uptime (the unit's state then).
    Exited(String),
    /// Still not ready after this long.
    Timeout(Duration),
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(message) => write!(f, "systemd refused the restart: {message}"),
            Self::Job {
                result,
                unit_result,
            } => write!(
                f,
                "its restart job ended `{result}` (unit result `{unit_result}`)"
            ),
            Self::NotActive(state) => write!(f, "not active once started: {state}"),
            Self::Exited(state) => write!(
                f,
                "its new main process did not stay up for the minimum uptime: {state}"
            ),
            Self::Timeout(limit) => write!(f, "not ready after {} s", limit.as_secs_f64()),
        }
    }
}

/// What happened to one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Restarted and ready again.
    Ready {
        /// The main PID before (0: none).
        old_pid: u32,
        /// The new main PID.
        new_pid: u32,
        /// From the restart call until it counted as ready.
        took: Duration,
    },
    /// Restarted, and it did not become ready: the reload stopped here.
    Failed {
        /// The main PID before the restart (0: none).
        old_pid: u32,
        /// Why it is not ready.
        why: NotReady,
    },
    /// Not restarted because an earlier instance failed; still running as it was.
    Untouched {
        /// Its main PID (0: none).
        pid: u32,
    },
    /// Stopped (`inactive`) when the reload began: left stopped.
    Stopped,
}

/// One instance's line of the reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The unit.
    pub unit: String,
    /// Its app.
    pub app: String,
    /// What happened.
    pub outcome: Outcome,
}

/// The reload, instance by instance, in the order it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Every instance considered, in reload order.
    pub steps: Vec<Step>,
}

impl ReloadReport {
    /// Whether every instance that was restarted became ready.
    pub fn succeeded(&self) -> bool {
        !self
            .steps
            .iter()
            .any(|step| matches!(step.outcome, Outcome::Failed { .. }))
    }
}

/// Why a reload could not run at all.
#[derive(Debug, Error)]
pub enum ReloadError {
    /// No loaded service belongs to the group.
    #[error(
        "no loaded service of the group `{0}` (no unit with Ecosystem={0} in its [X-Ecosystemd] section)"
    )]
    NoGroup(String),
    /// The group has no app of that name.
    #[error("the group `{group}` has no app `{app}`; its apps: {}", known.join(", "))]
    NoApp {
        /// The group.
        group: String,
        /// The app asked for.
        app: String,
        /// The group's apps.
        known: Vec<String>,
    },
    /// systemd could not be reached or answered an error.
    #[error("systemd: {0}")]
    Bus(#[from] zbus::Error),
}

/// Runs the reload; `progress` is called with each step as it ends (and with every
/// instance left untouched after a failure).
pub async fn reload(
    options: &ReloadOptions,
    mut progress: impl FnMut(&Step),
) -> Result<ReloadReport, ReloadError> {
    let connection = systemd::connect(&options.bus).await?;
    let manager = systemd::manager(&connection).await?;
    let members = members(&connection, &options.group).await?;
    let known = order::apps(&members);
    let planned = order::plan(members, options.app.as_deref());
    if let (true, Some(app)) = (planned.is_empty(), &options.app) {
        return Err(ReloadError::NoApp {
            group: options.group.clone(),
            app: app.clone(),
            known,
        });
    }
    let mut restarter = Restarter {
        connection: &connection,
        manager: &manager,
        ended: EndedJobs::follow(&manager).await?,
    };
    let limits = Limits {
        timeout: options.timeout,
        min_uptime: options.min_uptime,
    };
    let mut steps = Vec::new();
    let mut failed = false;
    for member in planned {
        let outcome = if member.active_state == "inactive" {
            Outcome::Stopped
        } else if failed {
            Outcome::Untouched {
                pid: restarter.main_pid(&member.unit).await?,
            }
        } else {
            restarter.restart(&member.unit, limits).await?
        };
        failed |= matches!(outcome, Outcome::Failed { .. });
        let step = Step {
            unit: member.unit,
            app: member.app,
            outcome,
        };
        progress(&step);
        steps.push(step);
    }
    Ok(ReloadReport { steps })
}

/// The group's loaded services with their apps.
async fn members(connection: &zbus::Connection, group: &str) -> Result<Vec<Member>, ReloadError> {
    let managed = crate::report::collect::managed_units(connection, Some(group)).await?;
    if managed.is_empty() {
        return Err(ReloadError::NoGroup(group.to_string()));
    }
    Ok(managed
        .into_iter()
        .map(|wanted| Member {
            unit: wanted.listed.name,
            app: wanted.kept.app,
            active_state: wanted.listed.active_state,
        })
        .collect())
}
