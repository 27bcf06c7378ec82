//! The command lines of both binaries, the one place that knows clap: arguments into
//! the library's typed requests, the Tokio runtime, printing, and exit statuses.
//!
//! They live in the library, not in `src/bin/`, so that one definition of each flag
//! drives the help text, the man pages (clap_mangen) and the shell completions
//! (clap_complete).

pub mod gen_units;
pub mod import;
pub mod install;
pub mod reload;
pub mod report;
pub mod top;
pub mod unit_watchdog;

use clap::Args;

use crate::systemd::BusTarget;

/// Which systemd manager to talk to: shared by every command that uses D-Bus.
#[derive(Debug, Clone, Default, Args)]
pub struct BusArgs {
    /// Talk to the calling user's manager (`systemctl --user`) instead of the system's.
    #[arg(long, conflicts_with = "address")]
    pub user: bool,
    /// Talk to the manager on this D-Bus address (for example a test sandbox's
    /// `unix:path=/proc/PID/root/run/dbus/system_bus_socket`).
    #[arg(long, value_name = "ADDRESS")]
    pub address: Option<String>,
}

impl BusArgs {
    /// The bus these flags select.
    pub fn target(&self) -> BusTarget {
        match (&self.address, self.user) {
            (Some(address), _) => BusTarget::Address(address.clone()),
            (None, true) => BusTarget::User,
            (None, false) => BusTarget::System,
        }
    }
}
