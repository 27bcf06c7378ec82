//! Restarting one instance and waiting until it serves again: its restart job ends
//! `done` (for `Type=notify`, only once the app said it is ready), the unit is `active`,
//! and its new main process stays up for the minimum uptime.

use std::time::{Duration, Instant};

use zbus::{Connection, OwnedObjectPath};

use super::{NotReady, Outcome};
use crate::systemd::ManagerProxy;
use crate::systemd::jobs::EndedJobs;
use crate::systemd::watch::{service, unit};

/// How often the unit is looked at during its minimum uptime.
const POLL: Duration = Duration::from_millis(50);

/// What a restart waits for, and how long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest one instance may take to stop, start and become ready.
    pub timeout: Duration,
    /// How long its new main process must stay up once active.
    pub min_uptime: Duration,
}

/// The unit's state as far as readiness goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    active_state: String,
    sub_state: String,
    result: String,
    main_pid: u32,
}

/// A connection with systemd's job signals already flowing (subscribed before any call,
/// so no job can end unseen).
pub struct Restarter<'a> {
    /// The connection the unit objects are read on.
    pub connection: &'a Connection,
    /// The manager the restarts are asked of.
    pub manager: &'a ManagerProxy<'static>,
    /// Every job ended since the subscription.
    pub ended: EndedJobs,
}

impl Restarter<'_> {
    /// The main PID of `unit` now (0: none).
    pub async fn main_pid(&self, unit_name: &str) -> zbus::Result<u32> {
        let path = self.manager.get_unit(unit_name.to_string()).await?;
        service(self.connection, &path).await?.main_pid().await
    }

    /// Restarts `unit_name` and waits until it is ready, within `limits`.
    pub async fn restart(&mut self, unit_name: &str, limits: Limits) -> zbus::Result<Outcome> {
        let started = Instant::now();
        let path = self.manager.get_unit(unit_name.to_string()).await?;
        let old_pid = service(self.connection, &path).await?.main_pid().await?;
        let job = match self
            .manager
            .restart_unit(unit_name.to_string(), "replace".into())
            .await
        {
            Ok(job) => job,
            Err(zbus::Error::MethodError(name, text, _)) => {
                let why = NotReady::Refused(text.unwrap_or_else(|| name.to_string()));
                return Ok(Outcome::Failed { old_pid, why });
            }
            Err(error) => return Err(error),
        };
        let waited = tokio::time::timeout(limits.timeout, async {
            let result = self.ended.result_of(&job).await;
            if result != "done" {
                return Ok(Err(NotReady::Job {
                    result,
                    unit_result: self.state(&path).await?.result,
                }));
            }
            self.settle(&path, limits.min_uptime).await
        })
        .await;
        let why = match waited {
            Ok(Ok(Ok(new_pid))) => {
                let took = started.elapsed();
                return Ok(Outcome::Ready {
                    old_pid,
                    new_pid,
                    took,
                });
            }
            Ok(Ok(Err(why))) => why,
            Ok(Err(error)) => return Err(error),
            Err(_) => NotReady::Timeout(limits.timeout),
        };
        Ok(Outcome::Failed { old_pid, why })
    }

    /// Checks that the unit is active and that its main process stays the same for
    /// `min_uptime`: the new main PID, or why not.
    async fn settle(
        &self,
        path: &OwnedObjectPath,
        min_uptime: Duration,
    ) -> zbus::Result<Result<u32, NotReady>> {
        let first = self.state(path).await?;
        if first.active_state != "active" {
            return Ok(Err(NotReady::NotActive(first.describe())));
        }
        let until = Instant::now() + min_uptime;
        while Instant::now() < until {
            tokio::time::sleep(POLL.min(until - Instant::now())).await;
            let now = self.state(path).await?;
            if now.active_state != "active" || now.main_pid != first.main_pid {
                return Ok(Err(NotReady::Exited(now.describe())));
            }
        }
        Ok(Ok(first.main_pid))
    }

    async fn state(&self, path: &OwnedObjectPath) -> zbus::Result<State> {
        let unit = unit(self.connection, path).await?;
        let service = service(self.connection, path).await?;
        let (active_state, sub_state, result, main_pid) = tokio::join!(
            unit.active_state(),
            unit.sub_state(),
            service.result(),
            service.main_pid()
        );
        Ok(State {
            active_state: active_state?,
            sub_state: sub_state?,
            result: result?,
            main_pid: main_pid?,
        })
    }
}

impl State {
    /// `failed (failed, result exit-code)` and the like.
    fn describe(&self) -> String {
        format!(
            "{} ({}, result {})",
            self.active_state, self.sub_state, self.result
        )
    }
}
