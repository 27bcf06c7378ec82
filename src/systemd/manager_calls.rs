//! The Manager calls `install` needs: reload, stop, enable, start, restart, each of
//! the unit calls waiting (bounded) for its job to finish and reporting its result.
//!
//! Race-free job tracking as systemd documents it: `Subscribe()` first, then issue the
//! call, then match the returned job path in `JobRemoved`.

use std::collections::HashMap;
use std::time::Duration;

use zbus::OwnedObjectPath;

use super::ManagerProxy;
use super::jobs::EndedJobs;

/// The D-Bus error systemd answers for a unit it does not know.
const NO_SUCH_UNIT: &str = "org.freedesktop.systemd1.NoSuchUnit";

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
/// the jobs that did not end `done` (and those still running at the timeout). The jobs'
/// ends are followed from before the first call ([`EndedJobs`]).
pub async fn run_jobs(
    manager: &ManagerProxy<'_>,
    call: UnitCall,
    units: &[String],
    timeout: Duration,
) -> zbus::Result<Vec<JobFailure>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let mut ended = EndedJobs::follow(manager).await?;
    let mut pending: HashMap<OwnedObjectPath, String> = HashMap::new();
    let mut failures = Vec::new();
    for unit in units {
        match unit_call(manager, call, unit).await {
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
            failures.extend(settle(|job| ended.take(job), &mut pending));
            if pending.is_empty() || !ended.next().await {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(timeout, wait).await;
    failures.extend(settle(|job| ended.take(job), &mut pending));
    failures.extend(pending.into_values().map(|unit| JobFailure {
        unit,
        result: format!("still running after {timeout:?}"),
    }));
    Ok(failures)
}

/// `call` on `unit`: the job systemd queued for it.
async fn unit_call(
    manager: &ManagerProxy<'_>,
    call: UnitCall,
    unit: &str,
) -> zbus::Result<OwnedObjectPath> {
    let mode = "replace".to_string();
    match call {
        UnitCall::Start => manager.start_unit(unit.to_string(), mode).await,
        UnitCall::Stop => manager.stop_unit(unit.to_string(), mode).await,
        UnitCall::TryRestart => manager.try_restart_unit(unit.to_string(), mode).await,
    }
}

/// Takes the ended jobs out of `pending`: those that did not end `done` (or `skipped`)
/// as failures.
fn settle(
    mut take: impl FnMut(&OwnedObjectPath) -> Option<String>,
    pending: &mut HashMap<OwnedObjectPath, String>,
) -> Vec<JobFailure> {
    let mut failures = Vec::new();
    pending.retain(|job, unit| {
        let Some(result) = take(job) else {
            return true;
        };
        if result != "done" && result != "skipped" {
            failures.push(JobFailure {
                unit: unit.clone(),
                result,
            });
        }
        false
    });
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: u32) -> OwnedObjectPath {
        OwnedObjectPath::try_from(format!("/org/freedesktop/systemd1/job/{n}")).unwrap()
    }

    #[test]
    fn a_job_that_ended_before_its_call_returned_is_settled_with_its_result() {
        let mut ended: HashMap<OwnedObjectPath, String> = [(1, "done"), (2, "failed"), (9, "done")]
            .into_iter()
            .map(|(n, result)| (job(n), result.to_string()))
            .collect();
        let mut pending: HashMap<OwnedObjectPath, String> = [(1, "a"), (2, "b"), (3, "c")]
            .into_iter()
            .map(|(n, unit)| (job(n), unit.to_string()))
            .collect();
        let failures = settle(|job| ended.remove(job), &mut pending);
        assert_eq!(
            failures,
            vec![JobFailure {
                unit: "b".into(),
                result: "failed".into()
            }]
        );
        assert_eq!(
            pending.into_values().collect::<Vec<_>>(),
            vec!["c".to_string()]
        );
        // Jobs of others stay until they are matched or the wait ends.
        assert!(ended.contains_key(&job(9)));
    }
}
