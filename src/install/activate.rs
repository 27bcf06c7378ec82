//! Telling systemd about an installed change over D-Bus: reload, stop what was
//! removed, and with `--now` enable and start the group and restart what changed.

use std::time::Duration;

use anyhow::Context as _;

use crate::bundle::{BundleFile, FileKind};
use crate::systemd::manager_calls::{self, JobFailure, UnitCall};
use crate::systemd::{self, BusTarget};

use super::diff::{Action, Diff};

/// How long stop, start and restart jobs may take before install reports them.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

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

/// Reloads systemd, stops removed units and, with `now`, enables and starts the
/// bundle's targets and restarts units whose files changed. Returns the jobs that
/// failed.
pub async fn activate(
    activation: &Activation<'_>,
    diff: &Diff,
    files: &[&BundleFile],
) -> anyhow::Result<Vec<JobFailure>> {
    let connection = systemd::connect(activation.bus)
        .await
        .with_context(|| format!("connecting to systemd on {:?}", activation.bus))?;
    let manager = systemd::manager(&connection).await?;
    manager_calls::reload(&manager)
        .await
        .context("reloading systemd")?;

    let removed: Vec<String> = diff
        .with(Action::Remove)
        .filter(|c| c.kind == FileKind::Unit)
        .map(|c| c.name.clone())
        .collect();
    let mut failures = manager_calls::run_jobs(&manager, UnitCall::Stop, &removed, JOB_TIMEOUT)
        .await
        .context("stopping removed units")?;
    manager_calls::forget_failed(&manager, &removed).await;
    if !activation.now {
        return Ok(failures);
    }

    let installable: Vec<String> = files
        .iter()
        .filter(|f| f.kind == FileKind::Unit && has_install_section(&f.contents))
        .map(|f| f.name.clone())
        .collect();
    manager_calls::enable(&manager, &installable, activation.runtime)
        .await
        .context("enabling units")?;
    manager_calls::reload(&manager)
        .await
        .context("reloading systemd")?;
    // Changed sockets first: a service restarted at the same time could still be
    // handed the old socket.
    let (sockets, others): (Vec<String>, Vec<String>) = diff
        .units_to_restart(files)
        .into_iter()
        .partition(|unit| unit.ends_with(".socket"));
    for restart in [sockets, others] {
        failures.extend(
            manager_calls::run_jobs(&manager, UnitCall::TryRestart, &restart, JOB_TIMEOUT)
                .await
                .context("restarting changed units")?,
        );
    }
    let targets: Vec<String> = files
        .iter()
        .filter(|f| f.kind == FileKind::Unit && f.name.ends_with(".target"))
        .map(|f| f.name.clone())
        .collect();
    failures.extend(
        manager_calls::run_jobs(&manager, UnitCall::Start, &targets, JOB_TIMEOUT)
            .await
            .context("starting the group target")?,
    );
    Ok(failures)
}

fn has_install_section(contents: &str) -> bool {
    contents.lines().any(|line| line.trim() == "[Install]")
}
