//! Telling systemd about an installed change over D-Bus: reload, stop what was
//! removed, and with `--now` enable and start the group and restart what changed.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context as _, anyhow};

use crate::bundle::{BundleFile, FileKind};
use crate::systemd::manager_calls::{self, JobFailure, UnitCall};
use crate::systemd::{self, BusTarget};

use super::diff::{Action, Diff};

/// How long stop, start and restart jobs may take before install reports them.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);
/// How long systemd may take to answer a call: sd-bus's default, as `systemctl`.
const CALL_TIMEOUT: Duration = Duration::from_secs(25);
/// How long a reload may take: `systemctl daemon-reload`'s limit.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(6 * 60);

/// What to ask of systemd after the files switched.
#[derive(Debug, Clone)]
pub struct Activation<'a> {
    /// The manager to talk to.
    pub bus: &'a BusTarget,
    /// Enable and start the group's target and restart changed units.
    pub now: bool,
    /// Enablement links go to `/run` (a `--runtime` install).
    pub runtime: bool,
}

/// Reloads systemd once (with `now`, after enabling the bundle's units), stops
/// removed units and, with `now`, restarts units whose files changed and starts the
/// bundle's targets. Returns the jobs that failed.
pub async fn activate(
    activation: &Activation<'_>,
    diff: &Diff,
    files: &[&BundleFile],
) -> anyhow::Result<Vec<JobFailure>> {
    let connection = bounded(
        CALL_TIMEOUT,
        &format!("connecting to systemd on {:?}", activation.bus),
        systemd::connect(activation.bus),
    )
    .await?;
    let manager = bounded(CALL_TIMEOUT, "asking for systemd's manager", async {
        systemd::manager(&connection).await
    })
    .await?;
    if activation.now {
        // Enabling reads the unit files from disk, so it goes before the one reload
        // that then loads the units and their new `.wants/` links together.
        let installable: Vec<String> = files
            .iter()
            .filter(|f| f.kind == FileKind::Unit && f.install.is_some())
            .map(|f| f.name.clone())
            .collect();
        let enable = manager_calls::enable(&manager, &installable, activation.runtime);
        bounded(CALL_TIMEOUT, "enabling units", enable).await?;
    }
    bounded(
        RELOAD_TIMEOUT,
        "reloading systemd",
        manager_calls::reload(&manager),
    )
    .await?;

    let removed: Vec<String> = diff
        .with(Action::Remove)
        .filter(|c| c.kind == FileKind::Unit)
        .map(|c| c.name.clone())
        .collect();
    let mut failures = jobs(&manager, UnitCall::Stop, &removed, "stopping removed units").await?;
    manager_calls::forget_failed(&manager, &removed).await;
    if !activation.now {
        return Ok(failures);
    }

    // Changed sockets first: a service restarted at the same time could still be
    // handed the old socket.
    let (sockets, others): (Vec<String>, Vec<String>) = diff
        .units_to_restart(files)
        .into_iter()
        .partition(|unit| unit.ends_with(".socket"));
    for restart in [sockets, others] {
        let what = "restarting changed units";
        failures.extend(jobs(&manager, UnitCall::TryRestart, &restart, what).await?);
    }
    let targets: Vec<String> = files
        .iter()
        .filter(|f| f.kind == FileKind::Unit && f.name.ends_with(".target"))
        .map(|f| f.name.clone())
        .collect();
    failures.extend(
        jobs(
            &manager,
            UnitCall::Start,
            &targets,
            "starting the group target",
        )
        .await?,
    );
    Ok(failures)
}

/// Runs `call` on `units` and waits for their jobs: the calls within [`CALL_TIMEOUT`]
/// each, the jobs within [`JOB_TIMEOUT`] (those still running then are failures).
async fn jobs(
    manager: &systemd::ManagerProxy<'_>,
    call: UnitCall,
    units: &[String],
    what: &str,
) -> anyhow::Result<Vec<JobFailure>> {
    let limit = JOB_TIMEOUT + CALL_TIMEOUT.saturating_mul(units.len().max(1) as u32);
    let run = manager_calls::run_jobs(manager, call, units, JOB_TIMEOUT);
    bounded(limit, what, run).await
}

/// Awaits `future` for at most `limit`: past it, an error naming `what` was waited for,
/// so that install never hangs on a manager or bus that stopped answering.
async fn bounded<T, E>(
    limit: Duration,
    what: &str,
    future: impl Future<Output = Result<T, E>>,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(limit, future).await {
        Ok(answer) => answer.with_context(|| what.to_string()),
        Err(_) => Err(anyhow!(
            "{what}: systemd did not answer within {} s; the unit files are installed, \
             run `systemctl daemon-reload` once systemd answers again",
            limit.as_secs()
        )),
    }
}
