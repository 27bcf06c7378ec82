//! The Manager calls `install` needs: reload, stop, enable, start, restart, each of
//! the unit calls waiting (bounded) for its job to finish and reporting its result.
//!
//! Race-free job tracking as systemd documents it: `Subscribe()` first, then issue the
//! call, then match the returned job path in `JobRemoved`.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::time::Duration;

use zbus::OwnedObjectPath;
use zbus::export::futures_core::Stream;

use super::ManagerProxy;

/// The stream of systemd's `JobRemoved` signals.
type JobRemovedStream = zbus_systemd::systemd1::JobRemovedStream;

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
///
/// `JobRemoved` is read while the calls are made, not only after: zbus queues at most 64
/// messages for a signal stream and stops reading the connection while that queue is full,
/// so a stream left unread behind more jobs than that (ours and any other the manager
/// runs meanwhile) would keep the next call's reply unread, and the call waiting for it.
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
    let mut ended = EndedJobs::default();
    let mut pending: HashMap<OwnedObjectPath, String> = HashMap::new();
    let mut failures = Vec::new();
    for unit in units {
        let answer = ended
            .reading(&mut removed, unit_call(manager, call, unit))
            .await;
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
            failures.extend(ended.settle(&mut pending));
            if pending.is_empty() || !ended.next(&mut removed).await {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(timeout, wait).await;
    failures.extend(ended.settle(&mut pending));
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

/// The results of the jobs `JobRemoved` announced, by job path, until they are matched
/// with the calls that queued them (a job may end before its call's reply is read).
#[derive(Debug, Default)]
struct EndedJobs(HashMap<OwnedObjectPath, String>);

impl EndedJobs {
    /// Awaits `future` while reading `removed`, so that the stream never fills up.
    async fn reading<T>(
        &mut self,
        removed: &mut JobRemovedStream,
        future: impl Future<Output = T>,
    ) -> T {
        let mut future = pin!(future);
        let mut open = true;
        loop {
            tokio::select! {
                biased;
                answer = &mut future => return answer,
                more = self.next(removed), if open => open = more,
            }
        }
    }

    /// Reads one `JobRemoved`; `false` once the stream has ended.
    async fn next(&mut self, removed: &mut JobRemovedStream) -> bool {
        let Some(signal) = poll_fn(|cx| Pin::new(&mut *removed).poll_next(cx)).await else {
            return false;
        };
        if let Ok(args) = signal.args() {
            self.0.insert(args.job().clone(), args.result().clone());
        }
        true
    }

    /// Takes the ended jobs out of `pending`: those that did not end `done` (or
    /// `skipped`) as failures.
    fn settle(&mut self, pending: &mut HashMap<OwnedObjectPath, String>) -> Vec<JobFailure> {
        let mut failures = Vec::new();
        pending.retain(|job, unit| {
            let Some(result) = self.0.remove(job) else {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: u32) -> OwnedObjectPath {
        OwnedObjectPath::try_from(format!("/org/freedesktop/systemd1/job/{n}")).unwrap()
    }

    #[test]
    fn a_job_that_ended_before_its_call_returned_is_settled_with_its_result() {
        let mut ended = EndedJobs::default();
        ended.0.insert(job(1), "done".into());
        ended.0.insert(job(2), "failed".into());
        ended.0.insert(job(9), "done".into());
        let mut pending: HashMap<OwnedObjectPath, String> = [(1, "a"), (2, "b"), (3, "c")]
            .into_iter()
            .map(|(n, unit)| (job(n), unit.to_string()))
            .collect();
        let failures = ended.settle(&mut pending);
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
        assert!(ended.0.contains_key(&job(9)));
    }
}
