//! A snapshot of many services' properties in one pass over D-Bus.
//!
//! One `ListUnitsByPatterns` call names the candidate units; then, for every unit at
//! once, `org.freedesktop.DBus.Properties.GetAll` reads its `Unit` interface and, for the
//! units the caller keeps, its `Service` interface. All these calls are in flight
//! together on one connection, so the time is a few round trips, not one per property or
//! per unit. Values systemd reports as unset (`UINT64_MAX`, empty strings) become `None`.

use std::sync::Arc;

use zbus::{Connection, DeserializeDict, OwnedObjectPath, Type};

/// systemd's well-known bus name.
const DESTINATION: &str = "org.freedesktop.systemd1";
/// The interface every unit object has.
const UNIT_INTERFACE: &str = "org.freedesktop.systemd1.Unit";
/// The interface of service units.
const SERVICE_INTERFACE: &str = "org.freedesktop.systemd1.Service";

/// A unit as `ListUnitsByPatterns` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUnit {
    /// The unit's name, such as `agents-email.service`.
    pub name: String,
    /// Its D-Bus object path.
    pub path: OwnedObjectPath,
}

/// The `org.freedesktop.systemd1.Unit` properties a snapshot keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, DeserializeDict, Type)]
#[zbus(signature = "a{sv}", rename_all = "PascalCase")]
pub struct UnitProperties {
    /// `loaded`, `not-found`, `masked`, ...
    pub load_state: Option<String>,
    /// `active`, `failed`, `inactive`, `activating`, ...
    pub active_state: Option<String>,
    /// `running`, `auto-restart`, `dead`, ...
    pub sub_state: Option<String>,
    /// The unit file systemd loaded the unit from.
    pub fragment_path: Option<String>,
    /// When the unit last entered the active state (µs since the epoch; 0 = never).
    pub active_enter_timestamp: Option<u64>,
    /// When the unit last changed state (µs since the epoch; 0 = never).
    pub state_change_timestamp: Option<u64>,
}

/// The `org.freedesktop.systemd1.Service` properties a snapshot keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, DeserializeDict, Type)]
#[zbus(signature = "a{sv}", rename_all = "PascalCase")]
pub struct ServiceProperties {
    /// Why the service last stopped or failed: `success`, `signal`, `oom-kill`, ...
    pub result: Option<String>,
    /// Automatic restarts since the unit was loaded or reset.
    #[zbus(rename = "NRestarts")]
    pub n_restarts: Option<u32>,
    /// The cgroup's memory use in bytes (`UINT64_MAX` = unknown).
    pub memory_current: Option<u64>,
    /// The highest memory use seen (systemd 256 and later only).
    pub memory_peak: Option<u64>,
    /// `MemoryMax=` in bytes (`UINT64_MAX` = infinity).
    pub memory_max: Option<u64>,
    /// `MemoryHigh=` in bytes (`UINT64_MAX` = infinity).
    pub memory_high: Option<u64>,
    /// CPU time used, in ns (`UINT64_MAX` without `CPUAccounting=yes`).
    #[zbus(rename = "CPUUsageNSec")]
    pub cpu_usage_nsec: Option<u64>,
    /// Tasks in the cgroup (`UINT64_MAX` = unknown).
    pub tasks_current: Option<u64>,
    /// How the main process last ended: 1 exited, 2 killed, 3 dumped core (`si_code`).
    pub exec_main_code: Option<i32>,
    /// Its exit status, or the signal that killed it.
    pub exec_main_status: Option<i32>,
    /// The main process, 0 when none.
    #[zbus(rename = "MainPID")]
    pub main_pid: Option<u32>,
    /// The unit's cgroup path, such as `/system.slice/agents-email.service`.
    pub control_group: Option<String>,
}

/// One service's state at the moment of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSnapshot {
    /// The unit's name.
    pub name: String,
    /// Its `Unit` interface properties.
    pub unit: UnitProperties,
    /// Its `Service` interface properties.
    pub service: ServiceProperties,
}

/// Turns systemd's "unset" marker (`UINT64_MAX`) into `None`.
pub fn set(value: Option<u64>) -> Option<u64> {
    value.filter(|&v| v != u64::MAX)
}

/// Lists the units matching `patterns` (globs such as `*.service`), in any state.
pub async fn list_units(
    connection: &Connection,
    patterns: &[String],
) -> zbus::Result<Vec<ListedUnit>> {
    let manager = super::manager(connection).await?;
    let units = manager
        .list_units_by_patterns(Vec::new(), patterns.to_vec())
        .await?;
    Ok(units
        .into_iter()
        .map(|unit| ListedUnit {
            name: unit.0,
            path: unit.6,
        })
        .collect())
}

/// Reads every listed unit's `Unit` properties, asks `keep` whether it is wanted (`Some`
/// with whatever the caller wants to keep beside it), and reads the `Service` properties
/// of those kept; all units' calls in flight together. Units that vanish between the
/// listing and the reads are left out. The result keeps the order of `units`.
pub async fn services<F, K>(
    connection: &Connection,
    units: Vec<ListedUnit>,
    keep: F,
) -> zbus::Result<Vec<(ServiceSnapshot, K)>>
where
    F: Fn(&str, &UnitProperties) -> Option<K> + Send + Sync + 'static,
    K: Send + 'static,
{
    let keep = Arc::new(keep);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, listed) in units.into_iter().enumerate() {
        let connection = connection.clone();
        let keep = Arc::clone(&keep);
        tasks.spawn(async move {
            let snapshot = snapshot_one(&connection, listed, keep.as_ref()).await;
            (index, snapshot)
        });
    }
    let mut found = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, snapshot) = joined.map_err(|e| zbus::Error::Failure(e.to_string()))?;
        if let Some(snapshot) = snapshot? {
            found.push((index, snapshot));
        }
    }
    found.sort_by_key(|(index, _)| *index);
    Ok(found.into_iter().map(|(_, snapshot)| snapshot).collect())
}

/// One unit's reads: `None` when the unit is not kept or no longer exists.
async fn snapshot_one<F, K>(
    connection: &Connection,
    listed: ListedUnit,
    keep: &F,
) -> zbus::Result<Option<(ServiceSnapshot, K)>>
where
    F: Fn(&str, &UnitProperties) -> Option<K>,
{
    let Some(unit) = get_all::<UnitProperties>(connection, &listed.path, UNIT_INTERFACE).await?
    else {
        return Ok(None);
    };
    let Some(kept) = keep(&listed.name, &unit) else {
        return Ok(None);
    };
    let Some(service) =
        get_all::<ServiceProperties>(connection, &listed.path, SERVICE_INTERFACE).await?
    else {
        return Ok(None);
    };
    let snapshot = ServiceSnapshot {
        name: listed.name,
        unit,
        service,
    };
    Ok(Some((snapshot, kept)))
}

/// `Properties.GetAll(interface)` on `path`; `None` when the object is gone.
async fn get_all<T>(
    connection: &Connection,
    path: &OwnedObjectPath,
    interface: &str,
) -> zbus::Result<Option<T>>
where
    T: for<'de> serde::Deserialize<'de> + Type,
{
    let reply = connection
        .call_method(
            Some(DESTINATION),
            path.as_str(),
            Some("org.freedesktop.DBus.Properties"),
            "GetAll",
            &(interface,),
        )
        .await;
    match reply {
        Ok(message) => message.body().deserialize().map(Some),
        Err(zbus::Error::MethodError(name, _, _)) if is_gone(name.as_str()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Errors that mean the unit was unloaded between the listing and the read.
fn is_gone(error_name: &str) -> bool {
    matches!(
        error_name,
        "org.freedesktop.DBus.Error.UnknownObject"
            | "org.freedesktop.DBus.Error.UnknownInterface"
            | "org.freedesktop.systemd1.NoSuchUnit"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_values_become_none() {
        assert_eq!(set(Some(u64::MAX)), None);
        assert_eq!(set(Some(42)), Some(42));
        assert_eq!(set(None), None);
    }

    #[test]
    fn vanished_units_are_recognised() {
        assert!(is_gone("org.freedesktop.DBus.Error.UnknownObject"));
        assert!(!is_gone("org.freedesktop.DBus.Error.AccessDenied"));
    }
}
