//! Talking to the service manager that runs the watchdog (`Type=notify`): readiness,
//! status lines and keep-alives. Without `NOTIFY_SOCKET` every call does nothing.

use std::time::Duration;

use sd_notify::NotifyState;

/// The watchdog's side of the sd_notify protocol.
#[derive(Debug)]
pub struct Notifier {
    keep_alive: Option<Duration>,
    ready: bool,
}

impl Notifier {
    /// Reads `WATCHDOG_USEC` (set by `WatchdogSec=`).
    pub fn from_env() -> Self {
        Self {
            keep_alive: sd_notify::watchdog_enabled(),
            ready: false,
        }
    }

    /// How often to send keep-alives: half of `WatchdogSec=`, if set.
    pub fn keep_alive_interval(&self) -> Option<Duration> {
        self.keep_alive.map(|period| period / 2)
    }

    /// Says a keep-alive (`WATCHDOG=1`).
    pub fn keep_alive(&self) {
        if self.keep_alive.is_some() {
            self.send(&[NotifyState::Watchdog]);
        }
    }

    /// Says `READY=1` the first time (after the first sync), then the status line.
    pub fn ready(&mut self, status: &str) {
        if self.ready {
            self.status(status);
        } else {
            self.ready = true;
            self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
        }
    }

    /// Sets the status line `systemctl status` shows.
    pub fn status(&self, status: &str) {
        self.send(&[NotifyState::Status(status)]);
    }

    /// Says `STOPPING=1`.
    pub fn stopping(&self) {
        self.send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    }

    fn send(&self, states: &[NotifyState]) {
        if let Err(error) = sd_notify::notify(states) {
            tracing::debug!(%error, "sd_notify failed");
        }
    }
}
