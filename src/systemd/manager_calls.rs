//! The Manager calls `install` needs: reload, stop, enable, start, restart, each of
//! the unit calls waiting (bounded) for its job to finish and reporting its result.
//!
//! Race-free job tracking as systemd documents it: `Subscribe()` first, then issue the
//! call, then match the returned job path in `JobRemoved`.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use zbus::OwnedObjectPath;
use zbus::export::futures_core::Stream;

use super::ManagerProxy;

/// The D-Bus error systemd answers for a unit it does not know.
const NO_SUCH_UNIT: &str = "org.freedesktop.systemd1.NoSuchUnit";
/// The D-Bus error of a second `Subscribe()` on the same connection.
const ALREADY_SUBSCRIBED: &str = "org.freedesktop.systemd1.AlreadySubscribed";

/// What a unit call asks of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitCall {
    /// `StartUnit`.
    Start,
    /// `StopUnit`; a unit systemd does not know counts as stopped.
    Stop,
    /// `TryRestartUnit`: restart if running.
    TryRestart,
}

/// A unit job that did not end `done`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    /// The unit.
    pub unit: String,
    /// The job's result (`failed`, `timeout`, `dependency`, ...), or the call's error.
    pub result: String,
}

/// Reloads the manager's configuration (`daemon-reload`).
pub async fn reload(manager: &ManagerProxy<'_>) -> zbus::Result<()> {
    manager.reload().await
}

/// Clears the failed state of `units` so that removed units leave no trace; units
/// that are not failed or not loaded are skipped.
pub async fn forget_failed(manager: &ManagerProxy<'_>, units: &[String]) {
    for unit in units {
        let _ = manager.reset_failed_unit(unit.clone()).await;
    }
}

/// Enables `units` (their `[Install]` sections), in `/run` when `runtime`.
pub async fn enable(
    manager: &ManagerProxy<'_>,
    units: &[String],
    runtime: bool,
) -> zbus::Result<()> {
    if units.is_empty() {
        return Ok(());
    }
    manager
        .enable_unit_files(units.to_vec(), runtime, true)
        .await
        .map(|_| ())
}

/// Issues `call` on every unit, then waits up to `timeout` for all their jobs; returns
/// the jobs that did not end `done` (and those still running at the timeout).
pub async fn run_jobs(
    manager: &ManagerProxy<'_>,
    call: UnitCall,
    units: &[String],
    timeout: Duration,
) -> zbus::Result<Vec<JobFailure>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    match manager.subscribe().await {
        Err(zbus::Error::MethodError(name, _, _)) if name.as_str() == ALREADY_SUBSCRIBED => {}
        other => other?,
    }
    let mut removed = manager.receive_job_removed().await?;
    let mut pending: HashMap<OwnedObjectPath, String> = HashMap::new();
    let mut failures = Vec::new();
    for unit in units {
        let mode = "replace".to_string();
        let answer = match call {
            UnitCall::Start => manager.start_unit(unit.clone(), mode).await,
            UnitCall::Stop => manager.stop_unit(unit.clone(), mode).await,
            UnitCall::TryRestart => manager.try_restart_unit(unit.clone(), mode).await,
        };
        match answer {
            Ok(job) => {
                pending.insert(job, unit.clone());
            }
            Err(zbus::Error::MethodError(name, _, _))
                if name.as_str() == NO_SUCH_UNIT && call != UnitCall::Start => {}
            Err(error) => failures.push(JobFailure {
                unit: unit.clone(),
                result: error.to_string(),
            }),
        }
    }
    let wait = async {
        while !pending.is_empty() {
            let Some(signal) = poll_fn(|cx| Pin::new(&mut removed).poll_next(cx)).await else {
                break;
            };
            let Ok(args) = signal.args() else { continue };
            if let Some(unit) = pending.remove(args.job())
                && args.result() != "done"
                && args.result() != "skipped"
            {
                failures.push(JobFailure {
                    unit,
                    result: args.result().clone(),
                });
            }
        }
    };
    let _ = tokio::time::timeout(timeout, wait).await;
    failures.extend(pending.into_values().map(|unit| JobFailure {
        unit,
        result: format!("still running after {timeout:?}"),
    }));
    Ok(failures)
}
