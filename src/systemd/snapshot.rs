//! A snapshot of many services' state in one pass, asking D-Bus only what systemd alone
//! knows.
//!
//! One `ListUnitsByPatterns` call names the units with their states. For a running
//! service, two property reads (`NRestarts`, `MainPID`: each one `Properties.Get` on the
//! unit's path, with no proxy built per unit) come from systemd (its `Result`
//! is `success` while it runs), and memory, CPU, tasks, limits and the main process's
//! start from the kernel's files (see [`super::cgroup`]), which is where systemd reads them
//! too. Any other service (failed, restarting, stopped), or a running one whose cgroup
//! cannot be read, gets one `Properties.GetAll` of the `Service` interface. All calls are
//! in flight together on one connection (up to [`MAX_IN_FLIGHT`]), while a thread of its
//! own reads the kernel's files; a running service's `MainPID` is asked only when those
//! cannot tell it.
//!
//! Why not `GetAll` for every unit: on 500 hardened units it cost systemd some 0.4 ms of CPU
//! each (about 250 properties, the sandboxing lists and cgroup reads among them), and the
//! report took 240 ms; each round of single `Get`s costs about 20 ms for 500 units through
//! the bus, most of it dbus-daemon relaying the messages, so the fewer the better (and the
//! report uses systemd's private socket where it can, see [`super::connect_direct`]).

use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::{Semaphore, watch};
use zbus::{Connection, DBusError, DeserializeDict, Message, OwnedObjectPath, OwnedVariant, Type};

use super::cgroup::{Hierarchy, Kernel, Usage};

/// systemd's well-known bus name.
const DESTINATION: &str = "org.freedesktop.systemd1";
/// The interface of service units.
const SERVICE_INTERFACE: &str = "org.freedesktop.systemd1.Service";

/// Calls in flight at once: below dbus-daemon's default `max_replies_per_connection`
/// (128 on the system bus), past which it refuses calls with `LimitsExceeded`. On the
/// private socket no such limit applies; the one bound serves both.
const MAX_IN_FLIGHT: usize = 100;

/// The `Result` of a running service: systemd resets it to `success` when the service
/// starts, and any failure takes the service out of `running` (`service_start()` and
/// `service_enter_running()` in systemd's service.c), so it is not asked for.
const RUNNING_RESULT: &str = "success";

/// A unit as `ListUnitsByPatterns` names it, with the states the listing carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUnit {
    /// The unit's name, such as `agents-email.service`.
    pub name: String,
    /// `loaded`, `not-found`, `masked`, ...
    pub load_state: String,
    /// `active`, `failed`, `inactive`, `activating`, ...
    pub active_state: String,
    /// `running`, `auto-restart`, `dead`, ...
    pub sub_state: String,
    /// Its D-Bus object path.
    pub path: OwnedObjectPath,
}

impl ListedUnit {
    /// Whether the listing shows the service running.
    pub fn is_running(&self) -> bool {
        self.active_state == "active" && self.sub_state == "running"
    }
}

/// The `Unit` facts a snapshot keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitProperties {
    /// `LoadState`: `loaded`, `not-found`, `masked`, ...
    pub load_state: String,
    /// `ActiveState`: `active`, `failed`, `inactive`, `activating`, ...
    pub active_state: String,
    /// `SubState`: `running`, `auto-restart`, `dead`, ...
    pub sub_state: String,
}

/// The `org.freedesktop.systemd1.Service` properties a snapshot keeps; `None` where
/// systemd did not say (a property newer than the running systemd).
#[derive(Debug, Clone, Default, PartialEq, Eq, DeserializeDict, Type)]
#[zbus(signature = "a{sv}", rename_all = "PascalCase")]
pub struct ServiceProperties {
    /// Why it last stopped or failed: `success`, `signal`, `oom-kill`, ...
    pub result: Option<String>,
    /// Automatic restarts since the unit was loaded or reset.
    #[zbus(rename = "NRestarts")]
    pub n_restarts: Option<u32>,
    /// The cgroup's memory use in bytes (`UINT64_MAX` = unknown).
    pub memory_current: Option<u64>,
    /// The highest memory use seen: systemd's from version 256 on; for a running service,
    /// its cgroup's own peak since the cgroup was made.
    pub memory_peak: Option<u64>,
    /// `MemoryMax=` in bytes (`UINT64_MAX` = infinity); for a running service, the limit
    /// its cgroup enforces (`None` when unlimited).
    pub memory_max: Option<u64>,
    /// `MemoryHigh=` in bytes (`UINT64_MAX` = infinity); for a running service, the limit
    /// its cgroup applies (`None` when unlimited, and always on cgroup v1, which has none).
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
    /// When the current (or last) main process started, µs since the epoch (0 = never).
    pub exec_main_start_timestamp: Option<u64>,
    /// The main process, 0 when none.
    #[zbus(rename = "MainPID")]
    pub main_pid: Option<u32>,
}

/// One service's state at the moment of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSnapshot {
    /// The unit's name.
    pub name: String,
    /// Its `Unit` facts.
    pub unit: UnitProperties,
    /// Its `Service` properties.
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
            load_state: unit.2,
            active_state: unit.3,
            sub_state: unit.4,
            path: unit.6,
        })
        .collect())
}

/// The manager's unit search path (`UnitPath`), in the order it looks in.
pub async fn unit_search_path(connection: &Connection) -> zbus::Result<Vec<String>> {
    super::manager(connection).await?.unit_path().await
}

/// A unit to read: as listed, and what the caller keeps beside it.
#[derive(Debug, Clone)]
pub struct Wanted<K> {
    /// The unit as `ListUnitsByPatterns` named it.
    pub listed: ListedUnit,
    /// The caller's own data about the unit.
    pub kept: K,
    /// Whether the unit may be a `Type=forking` service, whose main process systemd may
    /// not know (`GuessMainPID=no`) although it runs one: its `MainPID` is always asked.
    pub may_fork: bool,
}

/// Reads every wanted unit's service state, all in flight together (up to
/// [`MAX_IN_FLIGHT`]), with what `reads` (fed the same `units`) brings from the
/// kernel. Units that vanish between the listing and the reads are left out. The result
/// keeps the order of `units`.
pub async fn services<K>(
    connection: &Connection,
    units: Vec<Wanted<K>>,
    kernel: Kernel,
    reads: KernelReads,
) -> zbus::Result<Vec<(ServiceSnapshot, K)>>
where
    K: Send + 'static,
{
    let reader = Reader {
        connection: connection.clone(),
        in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        kernel: Arc::new(kernel),
    };
    let (relay, answers) = watch::channel(None);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, wanted) in units.into_iter().enumerate() {
        let reader = reader.clone();
        let sole = answers.clone();
        tasks.spawn(async move { (index, reader.snapshot(wanted, index, sole).await) });
    }
    let relayed = reads.relay_to(relay);
    let collected = async {
        let mut found = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (index, snapshot) = joined.map_err(|e| zbus::Error::Failure(e.to_string()))?;
            if let Some(snapshot) = snapshot? {
                found.push((index, snapshot));
            }
        }
        zbus::Result::Ok(found)
    };
    let ((), found) = tokio::join!(relayed, collected);
    let mut found = found?;
    found.sort_by_key(|(index, _)| *index);
    Ok(found.into_iter().map(|(_, snapshot)| snapshot).collect())
}

/// What the kernel alone says of a running service: its main process and figures
/// ([`Kernel::sole_process`]), or `None` when the manager must be asked.
type SoleProcess = Option<(u32, Usage)>;

/// The kernel's answers for all units, by their index; `None` until they are read.
type SoleProcesses = watch::Receiver<Option<Arc<Vec<SoleProcess>>>>;

/// A manager's process (as seen from here) and the names of its slices: where
/// [`Kernel::know_manager`] finds its services' cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerSlices {
    /// The manager's PID.
    pub pid: u32,
    /// Its slices, such as `system.slice`.
    pub slices: Vec<String>,
}

/// What the kernel says of the running services, being read on a thread of its own
/// ([`start_kernel`]) for [`services`].
#[derive(Debug)]
pub struct KernelReads {
    answers: SoleProcesses,
}

impl KernelReads {
    /// Hands the answers on to `relay` once they are read: the units' tasks wait there,
    /// on this thread. Woken by the reading thread itself, each task would cost a system
    /// call (an eventfd write, some 500 on that thread at 500 units); one is enough. A
    /// reading thread that failed leaves every unit to the manager.
    async fn relay_to(mut self, relay: watch::Sender<Option<Arc<Vec<SoleProcess>>>>) {
        let answers = match self.answers.wait_for(Option::is_some).await {
            Ok(answers) => answers.clone(),
            Err(_) => Some(Arc::new(Vec::new())),
        };
        // No task left waiting is not an error.
        let _ = relay.send(answers);
    }
}

/// A unit asked of the kernel: its place among the caller's units, and its name.
type Asked = (usize, String);

/// The kernel's reading thread ([`start_kernel`]), fed the units one by one as the caller
/// picks them.
#[derive(Debug)]
pub struct KernelFeed {
    queue: mpsc::Sender<Asked>,
    answers: SoleProcesses,
}

impl KernelFeed {
    /// Asks for `wanted`, the caller's unit at `index`, when it runs and cannot fork.
    pub fn ask<K>(&self, index: usize, wanted: &Wanted<K>) {
        if wanted.listed.is_running() && !wanted.may_fork {
            // A reader gone (it panicked) leaves the unit to the manager.
            let _ = self.queue.send((index, wanted.listed.name.clone()));
        }
    }

    /// Every unit is asked: the answers come once they are read.
    pub fn asked_all(self) -> KernelReads {
        KernelReads {
            answers: self.answers,
        }
    }
}

/// Starts reading, on a thread of its own, [`Kernel::sole_process`] of each unit the
/// feed is given, once `manager`'s slices are walked ([`Kernel::know_manager`]; with no
/// manager, the kernel tells nothing and the manager is asked). So the walk and the
/// thousands of small kernel files (some 40 µs of system time per unit) are read while
/// this thread reads the unit files, starts the journal query and relays the D-Bus calls,
/// and systemd answers them. `running` (the services listed running) says whether a
/// second thread reads too. The answers come all at once, at the end: one wake-up of this
/// thread, where one per unit costs a system call each.
pub fn start_kernel(
    mut kernel: Kernel,
    manager: Option<ManagerSlices>,
    running: usize,
) -> KernelFeed {
    let (queue, asked) = mpsc::channel();
    let (sender, answers) = watch::channel(None);
    tokio::task::spawn_blocking(move || {
        if let Some(manager) = manager {
            kernel.know_manager(manager.pid, &manager.slices);
        }
        let answers = sole_processes(&kernel, asked, running >= SPLIT_FROM);
        // No receiver left means no one waits for the answers.
        let _ = sender.send(Some(Arc::new(answers)));
    });
    KernelFeed { queue, answers }
}

/// Running services from which the kernel's files are read on two threads rather than one.
const SPLIT_FROM: usize = 64;

/// [`Kernel::sole_process`] of each unit `asked` until the feed ends, by the units'
/// places (`None` where not asked). A large fleet is read on two threads (`two`): the
/// files cost system time, one after another, while the manager, answering the D-Bus
/// calls, is mostly waiting on its own. A thread that panicked leaves its units to the
/// manager.
fn sole_processes(kernel: &Kernel, asked: mpsc::Receiver<Asked>, two: bool) -> Vec<SoleProcess> {
    let asked = Mutex::new(asked);
    // Each unit is taken under the lock and read without it.
    let next = || asked.lock().ok()?.recv().ok();
    let read = || {
        let mut found = Vec::new();
        while let Some((index, unit)) = next() {
            found.push((index, kernel.sole_process(&unit)));
        }
        found
    };
    let found = if two {
        std::thread::scope(|scope| {
            let other = scope.spawn(read);
            let mut found = read();
            found.extend(other.join().unwrap_or_default());
            found
        })
    } else {
        read()
    };
    let mut answers = Vec::new();
    for (index, answer) in found {
        if answers.len() <= index {
            answers.resize(index + 1, None);
        }
        answers[index] = answer;
    }
    answers
}

/// How reading a running service's few properties went.
enum Quick {
    /// Read.
    Read(ServiceProperties),
    /// The unit is gone.
    Gone,
    /// Its figures are not where expected: read all of its properties instead.
    AskAll,
}

/// Property reads on one connection, never more than [`MAX_IN_FLIGHT`] at once.
#[derive(Clone)]
struct Reader {
    connection: Connection,
    in_flight: Arc<Semaphore>,
    kernel: Arc<Kernel>,
}

impl Reader {
    /// One unit's reads: `None` when the unit no longer exists. `sole` brings the
    /// kernel's answer for the unit at `index`.
    async fn snapshot<K>(
        &self,
        wanted: Wanted<K>,
        index: usize,
        sole: SoleProcesses,
    ) -> zbus::Result<Option<(ServiceSnapshot, K)>> {
        let listed = &wanted.listed;
        let quick = if listed.is_running() {
            self.running(listed, index, sole).await?
        } else {
            Quick::AskAll
        };
        let service = match quick {
            Quick::Read(service) => service,
            Quick::Gone => return Ok(None),
            Quick::AskAll => match self
                .call(&listed.path, "GetAll", &(SERVICE_INTERFACE,))
                .await?
            {
                Some(reply) => self.as_applied(reply.body().deserialize()?),
                None => return Ok(None),
            },
        };
        let Wanted { listed, kept, .. } = wanted;
        let snapshot = ServiceSnapshot {
            service,
            unit: UnitProperties {
                load_state: listed.load_state,
                active_state: listed.active_state,
                sub_state: listed.sub_state,
            },
            name: listed.name,
        };
        Ok(Some((snapshot, kept)))
    }

    /// A running service: what only systemd knows over D-Bus, the rest from the kernel
    /// (its main process too, when `sole` brings it; else the manager is asked).
    async fn running(
        &self,
        listed: &ListedUnit,
        index: usize,
        mut sole: SoleProcesses,
    ) -> zbus::Result<Quick> {
        let path = &listed.path;
        let kernel_said = async {
            // A reader gone without answering (it panicked) leaves the manager to ask.
            let answers = sole.wait_for(Option::is_some).await.ok()?.clone()?;
            answers.get(index).cloned().flatten()
        };
        let (restarts, sole) = tokio::join!(self.get_u32(path, "NRestarts"), kernel_said);
        let Some(n_restarts) = restarts? else {
            return Ok(Quick::Gone);
        };
        let (main_pid, usage) = match sole {
            Some(found) => found,
            None => {
                let Some(main_pid) = self.get_u32(path, "MainPID").await? else {
                    return Ok(Quick::Gone);
                };
                if main_pid == 0 {
                    return Ok(Quick::AskAll);
                }
                let Some(usage) = self.kernel.usage(&listed.name, main_pid) else {
                    return Ok(Quick::AskAll);
                };
                (main_pid, usage)
            }
        };
        Ok(Quick::Read(running_properties(n_restarts, main_pid, usage)))
    }

    /// systemd's properties with the limits as the kernel applies them: cgroup v1 has no
    /// `MemoryHigh=`, so none is reported there, as for a running service.
    fn as_applied(&self, mut service: ServiceProperties) -> ServiceProperties {
        if self.kernel.hierarchy() == Hierarchy::Legacy {
            service.memory_high = None;
        }
        service
    }

    /// One `u32` property of the `Service` interface, with one `Properties.Get` (no
    /// proxy to build per unit): `None` when the unit is gone.
    async fn get_u32(&self, path: &OwnedObjectPath, property: &str) -> zbus::Result<Option<u32>> {
        let Some(reply) = self
            .call(path, "Get", &(SERVICE_INTERFACE, property))
            .await?
        else {
            return Ok(None);
        };
        let value: OwnedVariant = reply.body().deserialize()?;
        Ok(Some(u32::try_from(value)?))
    }

    /// A `org.freedesktop.DBus.Properties` call on `path`, one of at most
    /// [`MAX_IN_FLIGHT`]: `None` when the unit is gone.
    async fn call<B>(
        &self,
        path: &OwnedObjectPath,
        method: &str,
        body: &B,
    ) -> zbus::Result<Option<Message>>
    where
        B: serde::Serialize + zbus::DynamicType,
    {
        // The semaphore is never closed, so acquiring cannot fail.
        let _permit = self.in_flight.acquire().await.ok();
        let reply = self
            .connection
            .call_method(
                Some(DESTINATION),
                path.as_str(),
                Some("org.freedesktop.DBus.Properties"),
                method,
                body,
            )
            .await;
        match reply {
            Ok(message) => Ok(Some(message)),
            Err(zbus::Error::MethodError(error, _, _)) if is_gone(error.as_str()) => Ok(None),
            Err(zbus::Error::FDO(error)) if is_gone(error.name().as_str()) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A running service's properties from its restart count, main process and figures.
fn running_properties(n_restarts: u32, main_pid: u32, usage: Usage) -> ServiceProperties {
    ServiceProperties {
        result: Some(RUNNING_RESULT.to_string()),
        n_restarts: Some(n_restarts),
        memory_current: usage.memory_current,
        memory_peak: usage.memory_peak,
        memory_max: usage.memory_max,
        memory_high: usage.memory_high,
        cpu_usage_nsec: usage.cpu_usage_nsec,
        tasks_current: usage.tasks_current,
        exec_main_code: None,
        exec_main_status: None,
        exec_main_start_timestamp: Some(usage.main_start_us),
        main_pid: Some(main_pid),
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
