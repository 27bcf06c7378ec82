//! Watching systemd: its signals as typed events, and the few property reads the
//! watchdog needs for one unit.
//!
//! Signals are read through the types generated from the interfaces (zbus_systemd's
//! `UnitNew`, `JobRemoved`, ..., zbus's `PropertiesChanged` and `NameOwnerChanged`), in
//! the order they arrive on one stream; one that does not match its interface is logged
//! and skipped. One match rule takes every signal systemd sends (Manager signals and the
//! `PropertiesChanged` of unit objects, which it only sends to subscribed clients, see
//! [`subscribe`]); a second one follows who owns `org.freedesktop.systemd1`, which
//! changes when systemd re-executes.

use std::collections::HashMap;
use std::future::poll_fn;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::Poll;

use futures_core::Stream;
use zbus::message::Type;
use zbus::proxy::CacheProperties;
use zbus::{Connection, Message, MessageStream};
use zbus::{OwnedObjectPath, OwnedVariant as OwnedValue};

use zbus::fdo::{NameOwnerChanged, PropertiesChanged};
use zbus_systemd::systemd1::{JobNew, JobRemoved, Reloading, UnitNew, UnitRemoved};

use super::{ManagerProxy, ServiceProxy, UnitProxy};
use crate::observed::Observed;

/// systemd's bus name.
pub const SYSTEMD_BUS_NAME: &str = "org.freedesktop.systemd1";

/// Signals queued before the watchdog reads them; a burst of units changing at once
/// waits in the socket beyond this rather than being dropped.
const QUEUE: usize = 4096;

/// Something systemd (or the bus) told us.
#[derive(Debug, Clone, PartialEq)]
pub enum BusEvent {
    /// A unit was loaded.
    UnitNew {
        /// Its name.
        name: String,
        /// Its object path.
        path: OwnedObjectPath,
    },
    /// A unit was unloaded (stopped and no longer referenced).
    UnitRemoved {
        /// Its name.
        name: String,
    },
    /// A job was queued for a unit.
    JobNew {
        /// The unit's name.
        unit: String,
    },
    /// A unit's job finished.
    JobRemoved {
        /// The unit's name.
        unit: String,
        /// `done`, `failed`, `canceled`, ...
        result: String,
    },
    /// `daemon-reload` began (`true`) or finished (`false`).
    Reloading(bool),
    /// Some properties of a unit object changed.
    PropertiesChanged {
        /// The unit's object path.
        path: OwnedObjectPath,
        /// What changed, of what the watchdog follows.
        changes: PropertyChanges,
    },
    /// systemd's bus name got a new owner (`true`: systemd is back, after a
    /// re-execution) or lost it (`false`).
    SystemdOnBus(bool),
}

/// The changed properties the watchdog follows; `None` where the signal did not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertyChanges {
    /// `ActiveState`.
    pub active_state: Option<String>,
    /// `SubState`.
    pub sub_state: Option<String>,
    /// `Result`.
    pub result: Option<String>,
    /// `NRestarts`.
    pub n_restarts: Option<u32>,
    /// `ExecMainCode`: how the main process last ended.
    pub exec_main_code: Option<i32>,
    /// `ExecMainStatus`: its exit status or signal.
    pub exec_main_status: Option<i32>,
    /// `Job`: whether one is pending.
    pub job_pending: Option<bool>,
    /// Whether a followed property was invalidated without a value (read it again).
    pub invalidated: bool,
}

impl PropertyChanges {
    /// Whether anything the watchdog follows changed.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Applies the changes to a unit's last known state.
    pub fn apply(&self, observed: &mut Observed) {
        if let Some(state) = &self.active_state {
            observed.active_state.clone_from(state);
            if state != "active" && state != "reloading" && state != "deactivating" {
                observed.memory_current = None;
            }
        }
        if let Some(state) = &self.sub_state {
            observed.sub_state.clone_from(state);
        }
        if let Some(result) = &self.result {
            observed.result.clone_from(result);
        }
        if let Some(n) = self.n_restarts {
            observed.n_restarts = n;
        }
        if let Some(code) = self.exec_main_code {
            observed.exec_main_code = code;
        }
        if let Some(status) = self.exec_main_status {
            observed.exec_main_status = status;
        }
        if let Some(pending) = self.job_pending {
            observed.job_pending = pending;
        }
    }
}

/// The signal streams of one connection.
pub struct Watcher {
    systemd: MessageStream,
    owner: MessageStream,
}

impl Watcher {
    /// Adds the match rules on `connection`. Call [`subscribe`] after this, so that no
    /// signal falls between the two.
    pub async fn new(connection: &Connection) -> zbus::Result<Self> {
        let queue = NonZeroUsize::new(QUEUE);
        let systemd = MessageStream::for_match_rule(
            format!("type='signal',sender='{SYSTEMD_BUS_NAME}'").as_str(),
            connection,
            queue,
        )
        .await?;
        let owner = MessageStream::for_match_rule(
            format!(
                "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',\
                 member='NameOwnerChanged',arg0='{SYSTEMD_BUS_NAME}'"
            )
            .as_str(),
            connection,
            queue,
        )
        .await?;
        Ok(Self { systemd, owner })
    }

    /// The next event the watchdog cares about; `None` when the connection is gone.
    pub async fn next(&mut self) -> zbus::Result<Option<BusEvent>> {
        loop {
            let message = poll_fn(|cx| {
                if let Poll::Ready(item) = Pin::new(&mut self.owner).poll_next(cx) {
                    return Poll::Ready(item);
                }
                Pin::new(&mut self.systemd).poll_next(cx)
            })
            .await;
            let message = match message {
                None => return Ok(None),
                Some(message) => message?,
            };
            if let Some(event) = parse(&message) {
                return Ok(Some(event));
            }
        }
    }
}

/// Asks systemd to send its signals to this connection. Subscribing twice is fine.
pub async fn subscribe(manager: &ManagerProxy<'_>) -> zbus::Result<()> {
    match manager.subscribe().await {
        Err(zbus::Error::MethodError(name, _, _))
            if name.as_str() == "org.freedesktop.systemd1.AlreadySubscribed" =>
        {
            Ok(())
        }
        other => other,
    }
}

/// The event a signal tells, through the signal types generated from systemd's and
/// the bus's interfaces; `None` for signals the watchdog does not follow. A signal
/// whose arguments do not match its interface is logged and skipped.
fn parse(message: &Message) -> Option<BusEvent> {
    if message.message_type() != Type::Signal {
        return None;
    }
    match decode(message) {
        Ok(event) => event,
        Err(error) => {
            let header = message.header();
            tracing::warn!(
                interface = header.interface().map(|i| i.to_string()),
                member = header.member().map(|m| m.to_string()),
                path = header.path().map(|p| p.to_string()),
                %error,
                "a malformed signal was skipped"
            );
            None
        }
    }
}

fn decode(message: &Message) -> zbus::Result<Option<BusEvent>> {
    let event = if let Some(signal) = UnitNew::from_message(message.clone()) {
        let args = signal.args()?;
        BusEvent::UnitNew {
            name: args.id,
            path: args.unit,
        }
    } else if let Some(signal) = UnitRemoved::from_message(message.clone()) {
        BusEvent::UnitRemoved {
            name: signal.args()?.id,
        }
    } else if let Some(signal) = JobNew::from_message(message.clone()) {
        BusEvent::JobNew {
            unit: signal.args()?.unit,
        }
    } else if let Some(signal) = JobRemoved::from_message(message.clone()) {
        let args = signal.args()?;
        BusEvent::JobRemoved {
            unit: args.unit,
            result: args.result,
        }
    } else if let Some(signal) = Reloading::from_message(message.clone()) {
        BusEvent::Reloading(signal.args()?.active)
    } else if let Some(signal) = PropertiesChanged::from_message(message.clone()) {
        return unit_properties_changed(message, &signal);
    } else if let Some(signal) = NameOwnerChanged::from_message(message.clone()) {
        BusEvent::SystemdOnBus(signal.args()?.new_owner.is_some())
    } else {
        return Ok(None);
    };
    Ok(Some(event))
}

/// The followed properties a unit object's `PropertiesChanged` changes, if any.
fn unit_properties_changed(
    message: &Message,
    signal: &PropertiesChanged,
) -> zbus::Result<Option<BusEvent>> {
    let header = message.header();
    let Some(path) = header.path() else {
        return Ok(None);
    };
    if !path.as_str().starts_with("/org/freedesktop/systemd1/unit/") {
        return Ok(None);
    }
    let args = signal.args()?;
    let changed = args
        .changed_properties
        .iter()
        .map(|(name, value)| Ok((name.to_string(), OwnedValue::try_from(value)?)))
        .collect::<zbus::Result<HashMap<String, OwnedValue>>>()?;
    let invalidated: Vec<String> = args
        .invalidated_properties
        .iter()
        .map(|name| name.to_string())
        .collect();
    let changes = property_changes(changed, &invalidated);
    Ok((!changes.is_empty()).then(|| BusEvent::PropertiesChanged {
        path: OwnedObjectPath::from(path.to_owned()),
        changes,
    }))
}

fn property_changes(
    changed: HashMap<String, OwnedValue>,
    invalidated: &[String],
) -> PropertyChanges {
    let mut changes = PropertyChanges::default();
    for (name, value) in changed {
        match name.as_str() {
            "ActiveState" => changes.active_state = String::try_from(value).ok(),
            "SubState" => changes.sub_state = String::try_from(value).ok(),
            "Result" => changes.result = String::try_from(value).ok(),
            "NRestarts" => changes.n_restarts = u32::try_from(value).ok(),
            "ExecMainCode" => changes.exec_main_code = i32::try_from(value).ok(),
            "ExecMainStatus" => changes.exec_main_status = i32::try_from(value).ok(),
            "Job" => {
                changes.job_pending = <(u32, OwnedObjectPath)>::try_from(value)
                    .ok()
                    .map(|(id, _)| id != 0)
            }
            _ => {}
        }
    }
    changes.invalidated = invalidated.iter().any(|name| {
        matches!(
            name.as_str(),
            "ActiveState"
                | "SubState"
                | "Result"
                | "NRestarts"
                | "ExecMainCode"
                | "ExecMainStatus"
                | "Job"
        )
    });
    changes
}

/// A uncached proxy for the unit object at `path`.
pub async fn unit(
    connection: &Connection,
    path: &OwnedObjectPath,
) -> zbus::Result<UnitProxy<'static>> {
    UnitProxy::builder(connection)
        .path(path.clone())
        .cache_properties(CacheProperties::No)
        .build()
        .await
}

/// A uncached proxy for the service object at `path`.
pub async fn service(
    connection: &Connection,
    path: &OwnedObjectPath,
) -> zbus::Result<ServiceProxy<'static>> {
    ServiceProxy::builder(connection)
        .path(path.clone())
        .cache_properties(CacheProperties::No)
        .build()
        .await
}

/// Reads everything the policy looks at for the service at `path`, reads in flight
/// together.
pub async fn read_observed(
    connection: &Connection,
    path: &OwnedObjectPath,
) -> zbus::Result<Observed> {
    let unit = unit(connection, path).await?;
    let service = service(connection, path).await?;
    let (
        active_state,
        sub_state,
        job,
        result,
        n_restarts,
        exec_main_code,
        exec_main_status,
        memory_current,
        memory_max,
    ) = tokio::join!(
        unit.active_state(),
        unit.sub_state(),
        unit.job(),
        service.result(),
        service.n_restarts(),
        service.exec_main_code(),
        service.exec_main_status(),
        service.memory_current(),
        service.memory_max(),
    );
    let active_state = active_state?;
    let running = matches!(
        active_state.as_str(),
        "active" | "reloading" | "deactivating"
    );
    Ok(Observed {
        active_state,
        sub_state: sub_state?,
        result: result?,
        n_restarts: n_restarts?,
        exec_main_code: exec_main_code?,
        exec_main_status: exec_main_status?,
        job_pending: job?.0 != 0,
        memory_current: Observed::bytes(memory_current?).filter(|_| running),
        memory_max: Observed::bytes(memory_max?),
    })
}

/// Reads a running service's `MemoryCurrent`; `None` when unknown.
pub async fn read_memory(
    connection: &Connection,
    path: &OwnedObjectPath,
) -> zbus::Result<Option<u64>> {
    Ok(Observed::bytes(
        service(connection, path).await?.memory_current().await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::{ObjectPath, Variant as Value};

    #[test]
    fn property_changes_keep_what_the_watchdog_follows() {
        let mut changed = HashMap::new();
        changed.insert(
            "ActiveState".to_string(),
            OwnedValue::try_from(Value::from("failed")).unwrap(),
        );
        changed.insert("NRestarts".to_string(), OwnedValue::from(3u32));
        changed.insert("CPUUsageNSec".to_string(), OwnedValue::from(7u64));
        let job = Value::from((0u32, ObjectPath::try_from("/").unwrap()));
        changed.insert("Job".to_string(), OwnedValue::try_from(job).unwrap());
        let changes = property_changes(changed, &["Result".to_string()]);
        assert_eq!(changes.active_state.as_deref(), Some("failed"));
        assert_eq!(changes.n_restarts, Some(3));
        assert_eq!(changes.job_pending, Some(false));
        assert!(changes.invalidated);
        let mut observed = Observed {
            memory_current: Some(5),
            ..Observed::default()
        };
        changes.apply(&mut observed);
        assert_eq!(observed.active_state, "failed");
        assert_eq!(observed.n_restarts, 3);
        assert_eq!(observed.memory_current, None);
    }
}
