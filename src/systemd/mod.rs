//! The D-Bus client for systemd: connections and typed proxies.
//!
//! Proxies come from `zbus_systemd` (generated from systemd's own introspection data);
//! this module only decides which bus to talk to.

pub mod cgroup;
pub mod unit_files;
pub mod watch;
pub mod whole_file;

use zbus::Connection;

pub use zbus_systemd::systemd1::{ManagerProxy, ServiceProxy, UnitProxy};

/// Which systemd manager to reach, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusTarget {
    /// The system bus (PID 1), or `DBUS_SYSTEM_BUS_ADDRESS` when set.
    System,
    /// The calling user's session bus (`systemctl --user`).
    User,
    /// An explicit D-Bus address, such as `unix:path=/run/dbus/system_bus_socket`.
    Address(String),
}

/// Opens a connection to the chosen bus.
pub async fn connect(target: &BusTarget) -> zbus::Result<Connection> {
    match target {
        BusTarget::System => Connection::system().await,
        BusTarget::User => Connection::session().await,
        BusTarget::Address(address) => {
            zbus::connection::Builder::address(address.as_str())
                .build()
                .await
        }
    }
}

/// A connection to `target`'s manager for a burst of calls: straight to systemd on its
/// private socket when it takes the caller there (root for the system manager, the user
/// for their own, as `systemctl` does), so that no dbus-daemon relays each call and reply;
/// else through the bus, as [`connect`]. Carries calls and their replies only: watching
/// signals is the bus's job.
pub async fn connect_direct(target: &BusTarget) -> zbus::Result<Connection> {
    let private = private_socket::path(
        target,
        std::env::var_os("DBUS_SYSTEM_BUS_ADDRESS").as_deref(),
        std::env::var_os("XDG_RUNTIME_DIR").as_deref(),
    );
    if let Some(path) = private {
        match private_socket::connect(&path).await {
            Ok(connection) => return Ok(connection),
            Err(error) => tracing::debug!(
                socket = %path.display(),
                %error,
                "systemd's private socket does not take this caller; calling through the bus"
            ),
        }
    }
    connect(target).await
}

/// The manager's process on a connection from [`connect_direct`] to its private socket
/// (from the socket's credentials, as seen from here); `None` through a bus, whose
/// socket's peer is the bus.
pub async fn manager_process(connection: &Connection) -> Option<u32> {
    if connection.is_bus() {
        return None;
    }
    connection.peer_creds().await.ok()?.process_id()
}

/// A proxy for systemd's Manager object on `connection`, reading properties afresh when
/// asked: no `GetAll` of every `Manager` property and no subscription to their changes
/// behind the first read, as a caching proxy would make.
pub async fn manager(connection: &Connection) -> zbus::Result<ManagerProxy<'static>> {
    ManagerProxy::builder(connection)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
}

/// Job results from `JobRemoved`, followed on a task of their own.
pub mod jobs;
pub mod manager_calls;

/// Batched property reads for many units at once.
pub mod snapshot;

/// systemd's private socket as a peer-to-peer connection.
mod private_socket;
