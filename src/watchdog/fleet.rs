//! The watched fleet: which units are ours, their last known state, their trackers,
//! and the history; it turns bus events into decisions and carries out the starts.
//!
//! A unit is watched when it is a loaded `.service` whose `FragmentPath` file carries an
//! `[X-Ecosystemd]` section (optionally of the selected ecosystems only); its policy is
//! read from that section.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use zbus::{Connection, OwnedObjectPath};

use crate::health::tracker::HealthTracker;
use crate::observed::Observed;
use crate::observed::history::History;
use crate::observed::memory::CgroupMemory;
use crate::systemd::ManagerProxy;
use crate::systemd::cgroup::Hierarchy;
use crate::systemd::watch::{self, BusEvent, PropertyChanges};
use crate::unit_file::UnitFile;
use crate::unit_policy::UnitPolicy;
use crate::watchdog::log;
use crate::watchdog::policy::{Decision, DecisionKind, UnitTracker};

pub mod health;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Whether a D-Bus error means the connection is unusable (reconnect), as opposed to
/// one call failing (a unit that went away, a refused request).
pub fn is_connection_error(error: &zbus::Error) -> bool {
    matches!(
        error,
        zbus::Error::InputOutput(_)
            | zbus::Error::Handshake(_)
            | zbus::Error::Address(_)
            | zbus::Error::Connection(..)
    )
}

/// Keeps going past a per-unit error, stops on a connection error.
fn tolerate(unit: &str, result: zbus::Result<()>) -> zbus::Result<()> {
    match result {
        Err(error) if !is_connection_error(&error) => {
            tracing::debug!(unit, %error, "D-Bus call failed; skipping");
            Ok(())
        }
        other => other,
    }
}

struct Watched {
    path: OwnedObjectPath,
    tracker: UnitTracker,
    observed: Observed,
    health: HealthTracker,
}

/// The units being watched and everything remembered about them.
pub struct Fleet {
    units: HashMap<String, Watched>,
    by_path: HashMap<OwnedObjectPath, String>,
    not_ours: HashSet<String>,
    ecosystems: Vec<String>,
    history: History,
    state_file: PathBuf,
    dirty: bool,
    save_failing: bool,
    cgroup_memory: CgroupMemory,
}

impl Fleet {
    /// An empty fleet that keeps `history` in `state_file`, watching only `ecosystems`
    /// (all when empty).
    pub fn new(history: History, state_file: PathBuf, ecosystems: Vec<String>) -> Self {
        Self {
            cgroup_memory: Hierarchy::detect(Path::new("/sys/fs/cgroup")).into(),
            units: HashMap::new(),
            by_path: HashMap::new(),
            not_ours: HashSet::new(),
            ecosystems,
            history,
            state_file,
            dirty: false,
            save_failing: false,
        }
    }

    /// How many units are watched.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether no unit is watched.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// A one-line summary for the service status.
    pub fn status(&self) -> String {
        let failed = self
            .units
            .values()
            .filter(|w| w.observed.active_state == "failed")
            .count();
        format!("watching {} units, {failed} failed", self.units.len())
    }

    /// Saves the history if it changed since the last save.
    pub fn save_if_dirty(&mut self) {
        if !self.dirty {
            return;
        }
        if let Some(dir) = self.state_file.parent()
            && !dir.as_os_str().is_empty()
            && let Err(error) = std::fs::create_dir_all(dir)
        {
            tracing::warn!(%error, dir = %dir.display(), "cannot create the state directory");
        }
        match self.history.save(&self.state_file) {
            Ok(()) => {
                self.dirty = false;
                self.save_failing = false;
            }
            Err(error) => {
                // Said once per streak of failures, not at every event; kept dirty, so
                // the next change tries again.
                if !self.save_failing {
                    tracing::warn!(
                        %error,
                        state_file = %self.state_file.display(),
                        "cannot save the state file"
                    );
                }
                self.save_failing = true;
            }
        }
    }

    /// The earliest scheduled start, in milliseconds since the epoch.
    pub fn next_due(&self) -> Option<u64> {
        self.units.values().filter_map(|w| w.tracker.due_at()).min()
    }

    /// Re-reads the whole picture: which units are ours, their policies and states.
    pub async fn sync(
        &mut self,
        connection: &Connection,
        manager: &ManagerProxy<'_>,
    ) -> zbus::Result<()> {
        self.not_ours.clear();
        let listed = manager.list_units().await?;
        let mut present = HashSet::new();
        for (name, _, load_state, ..) in &listed {
            if name.ends_with(".service") && load_state == "loaded" {
                present.insert(name.clone());
            }
        }
        for (name, _, _, _, _, _, path, ..) in listed {
            if present.contains(&name) {
                self.consider(connection, &name, &path).await?;
            }
        }
        let gone: Vec<String> = self
            .units
            .keys()
            .filter(|name| !present.contains(*name))
            .cloned()
            .collect();
        for name in gone {
            self.forget(&name);
        }
        Ok(())
    }

    /// Handles one event from the bus.
    pub async fn handle(
        &mut self,
        connection: &Connection,
        manager: &ManagerProxy<'_>,
        event: BusEvent,
    ) -> zbus::Result<()> {
        match event {
            BusEvent::UnitNew { name, path } => {
                // A known unit loaded again keeps its tracker, and is not read here:
                // reading a unit loads it, and systemd unloads an unused inactive unit
                // again at once, which would announce it anew, and so on.
                if name.ends_with(".service")
                    && !self.units.contains_key(&name)
                    && !self.not_ours.contains(&name)
                {
                    self.consider(connection, &name, &path).await?;
                }
            }
            // An unloaded unit is inactive and unused: nothing to do for it, but its
            // tracker stays until a sync no longer lists it.
            BusEvent::UnitRemoved { .. } => {}
            BusEvent::JobNew { unit } => {
                tracing::debug!(unit, "job new");
                if let Some(watched) = self.units.get_mut(&unit) {
                    watched.observed.job_pending = true;
                }
            }
            BusEvent::JobRemoved { unit, result } => {
                if self.units.contains_key(&unit) {
                    tracing::debug!(unit, result, "job finished");
                    let refreshed = self.refresh(connection, &unit).await;
                    tolerate(&unit, refreshed)?;
                }
            }
            BusEvent::Reloading(true) => {}
            BusEvent::Reloading(false) => {
                tracing::info!("systemd reloaded its units: reading policies again");
                self.sync(connection, manager).await?;
            }
            BusEvent::PropertiesChanged { path, changes } => {
                if let Some(name) = self.by_path.get(&path).cloned() {
                    self.changed(connection, &name, &changes).await?;
                }
            }
            BusEvent::SystemdOnBus(false) => {
                tracing::info!("systemd left the bus (re-executing?); waiting for it");
            }
            BusEvent::SystemdOnBus(true) => {
                tracing::info!("systemd is back on the bus: subscribing and resynchronising");
                watch::subscribe(manager).await?;
                self.sync(connection, manager).await?;
            }
        }
        Ok(())
    }

    /// Handles every unit whose tracker is due: reads its state afresh, then lets the
    /// policy confirm a failure or start the unit after its cool-down.
    pub async fn fire_due(
        &mut self,
        connection: &Connection,
        manager: &ManagerProxy<'_>,
    ) -> zbus::Result<()> {
        let now = now_ms();
        let due: Vec<String> = self
            .units
            .iter()
            .filter(|(_, w)| w.tracker.due_at().is_some_and(|at| at <= now))
            .map(|(name, _)| name.clone())
            .collect();
        for name in due {
            let refreshed = self.refresh(connection, &name).await;
            tolerate(&name, refreshed)?;
            let Some(watched) = self.units.get_mut(&name) else {
                continue;
            };
            let history = self.history.units.entry(name.clone()).or_default();
            let Some(decision) = watched.tracker.fire(now_ms(), &watched.observed, history) else {
                continue;
            };
            self.dirty = true;
            log::decision(&name, &decision);
            if decision.kind != DecisionKind::Restart {
                continue;
            }
            match start(manager, &name).await {
                Ok(()) => watched.observed.job_pending = true,
                Err(error) => {
                    tracing::error!(unit = %name, %error, "could not start the unit");
                    watched.tracker.start_failed(now_ms());
                    if is_connection_error(&error) {
                        return Err(error);
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads the memory of the running units and lets the policy look at every unit
    /// again (memory thresholds, crash-loop windows that slid past).
    pub async fn poll(&mut self, connection: &Connection) -> zbus::Result<()> {
        let names: Vec<String> = self.units.keys().cloned().collect();
        for name in names {
            let Some(watched) = self.units.get_mut(&name) else {
                continue;
            };
            if watched.observed.memory_current.is_some()
                || watched.observed.active_state == "active"
            {
                match watch::read_memory(connection, &watched.path).await {
                    Ok(memory) => watched.observed.memory_current = memory,
                    Err(error) => tolerate(&name, Err(error))?,
                }
            }
            self.observe(&name);
        }
        Ok(())
    }

    async fn changed(
        &mut self,
        connection: &Connection,
        name: &str,
        changes: &PropertyChanges,
    ) -> zbus::Result<()> {
        let Some(watched) = self.units.get_mut(name) else {
            return Ok(());
        };
        changes.apply(&mut watched.observed);
        if changes.invalidated {
            let refreshed = self.refresh(connection, name).await;
            return tolerate(name, refreshed);
        }
        self.observe(name);
        Ok(())
    }

    /// Decides whether `name` is ours and, if so, watches it with its policy.
    async fn consider(
        &mut self,
        connection: &Connection,
        name: &str,
        path: &OwnedObjectPath,
    ) -> zbus::Result<()> {
        let unit = watch::unit(connection, path).await?;
        let (fragment, drop_ins) =
            match tokio::try_join!(unit.fragment_path(), unit.drop_in_paths()) {
                Ok(files) => files,
                Err(error) => return tolerate(name, Err(error)),
            };
        let Some(policy) = self.policy_of(name, Path::new(&fragment), &drop_ins) else {
            self.not_ours.insert(name.to_string());
            if self.units.contains_key(name) {
                tracing::info!(
                    unit = name,
                    "no longer an ecosystemd unit: not watched any more"
                );
                self.forget(name);
            }
            return Ok(());
        };
        match self.units.get_mut(name) {
            Some(watched) => watched.tracker.set_policy(policy.watchdog),
            None => {
                tracing::info!(
                    unit = name,
                    ecosystem = %policy.ecosystem,
                    app = %policy.app,
                    "watching"
                );
                self.units.insert(
                    name.to_string(),
                    Watched {
                        path: path.clone(),
                        tracker: UnitTracker::new(policy.watchdog, self.cgroup_memory),
                        observed: Observed::default(),
                        health: HealthTracker::default(),
                    },
                );
                self.by_path.insert(path.clone(), name.to_string());
            }
        }
        let refreshed = self.refresh(connection, name).await;
        tolerate(name, refreshed)
    }

    fn policy_of(&self, name: &str, fragment: &Path, drop_ins: &[String]) -> Option<UnitPolicy> {
        if fragment.as_os_str().is_empty() {
            return None;
        }
        let unit = match UnitFile::read(fragment, drop_ins) {
            Ok(unit) => unit,
            Err(error) => {
                tracing::debug!(unit = name, %error, fragment = %fragment.display(), "unreadable unit file");
                return None;
            }
        };
        let policy = UnitPolicy::from_unit(&unit)?;
        (self.ecosystems.is_empty() || self.ecosystems.contains(&policy.ecosystem))
            .then_some(policy)
    }

    async fn refresh(&mut self, connection: &Connection, name: &str) -> zbus::Result<()> {
        let Some(watched) = self.units.get_mut(name) else {
            return Ok(());
        };
        watched.observed = watch::read_observed(connection, &watched.path).await?;
        self.observe(name);
        Ok(())
    }

    fn observe(&mut self, name: &str) {
        let Some(watched) = self.units.get_mut(name) else {
            return;
        };
        tracing::debug!(unit = name, observed = ?watched.observed, "observed");
        let history = self.history.units.entry(name.to_string()).or_default();
        let before = history.clone();
        let decisions = watched
            .tracker
            .observe(now_ms(), &watched.observed, history);
        self.dirty |= *history != before;
        report(name, &decisions, &mut self.dirty);
    }

    fn forget(&mut self, name: &str) {
        if let Some(watched) = self.units.remove(name) {
            self.by_path.remove(&watched.path);
            tracing::debug!(
                unit = name,
                "unloaded: not watched until it is loaded again"
            );
        }
    }
}

fn report(name: &str, decisions: &[Decision], dirty: &mut bool) {
    for decision in decisions {
        *dirty = true;
        log::decision(name, decision);
    }
}

/// Clears the unit's failed state (and its start-limit counter), then starts it.
async fn start(manager: &ManagerProxy<'_>, name: &str) -> zbus::Result<()> {
    manager.reset_failed_unit(name.to_string()).await?;
    manager
        .start_unit(name.to_string(), "replace".to_string())
        .await?;
    Ok(())
}
