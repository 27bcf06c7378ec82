//! The watchdog's main loop: connect, subscribe, sync, then react to events, timers
//! and signals; reconnect with backoff when the bus goes away, keeping the fleet's
//! memory and history.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::{Instant, interval_at, sleep, timeout};

use tokio::sync::mpsc::Sender;

use crate::diagnostic::Causes;
use crate::health::HealthCheck;
use crate::health::probe::{self, ProbeResult};
use crate::observed::history::History;
use crate::systemd::watch::{self, Watcher};
use crate::systemd::{BusTarget, connect};
use crate::watchdog::fleet::health::Batch;
use crate::watchdog::fleet::{Fleet, now_ms};
use crate::watchdog::service::Notifier;

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long connecting, or handling one event, may take before the connection is
/// given up as stuck.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the health checks' due times are looked at.
const HEALTH_TICK: Duration = Duration::from_secs(1);
/// Timer period standing in for "never" when there is no keep-alive to send.
const NEVER: Duration = Duration::from_secs(24 * 3600);

/// What `unit-watchdog run` needs to know.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Which manager to watch.
    pub bus: BusTarget,
    /// Where the history is kept.
    pub state_file: PathBuf,
    /// Watch only units of these ecosystems; all when empty.
    pub ecosystems: Vec<String>,
    /// How often to read `MemoryCurrent` of running units (systemd does not signal it).
    pub memory_interval: Duration,
    /// How often to re-read everything, as a safety net behind the signals.
    pub resync_interval: Duration,
}

/// Runs the watchdog on a single-threaded runtime until SIGTERM or SIGINT.
pub fn run_blocking(config: RunConfig) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(run(config))
}

/// Runs the watchdog until SIGTERM or SIGINT.
pub async fn run(config: RunConfig) -> anyhow::Result<()> {
    let history = match History::load(&config.state_file) {
        Ok(history) => history,
        Err(error) => {
            tracing::warn!(
                %error,
                state_file = %config.state_file.display(),
                "cannot read the state file: starting with an empty history"
            );
            History {
                version: 1,
                ..History::default()
            }
        }
    };
    let mut fleet = Fleet::new(
        history,
        config.state_file.clone(),
        config.ecosystems.clone(),
    );
    let mut notifier = Notifier::from_env();
    let mut stop = Stop::new()?;
    let mut backoff = MIN_BACKOFF;
    loop {
        let outcome = session(&config, &mut fleet, &mut notifier, &mut stop, &mut backoff).await;
        fleet.save_if_dirty();
        match outcome {
            Ok(()) => {
                tracing::info!("stopping");
                notifier.stopping();
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(
                    error = %Causes(&error),
                    retry_in_ms = backoff.as_millis() as u64,
                    "lost the connection to systemd; reconnecting"
                );
                notifier.status(&format!("reconnecting to the bus: {}", Causes(&error)));
                notifier.keep_alive();
                tokio::select! {
                    _ = sleep(backoff) => {}
                    _ = stop.recv() => {
                        notifier.stopping();
                        return Ok(());
                    }
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// One connection's lifetime: `Ok` when asked to stop, `Err` when the bus went away.
async fn session(
    config: &RunConfig,
    fleet: &mut Fleet,
    notifier: &mut Notifier,
    stop: &mut Stop,
    backoff: &mut Duration,
) -> anyhow::Result<()> {
    let (connection, manager, mut watcher) = timeout(STEP_TIMEOUT, async {
        let connection = connect(&config.bus)
            .await
            .context("cannot connect to the bus")?;
        let manager = crate::systemd::manager(&connection).await?;
        // Match rules first, then Subscribe, then read: no change falls in between.
        let watcher = Watcher::new(&connection).await?;
        watch::subscribe(&manager).await.context("Subscribe")?;
        fleet
            .sync(&connection, &manager)
            .await
            .context("first sync")?;
        anyhow::Ok((connection, manager, watcher))
    })
    .await
    .context("connecting and syncing timed out")??;
    fleet.save_if_dirty();
    *backoff = MIN_BACKOFF;
    tracing::info!(units = fleet.len(), "synchronised with systemd");
    notifier.ready(&fleet.status());

    let start = Instant::now();
    let mut poll = interval_at(start + config.memory_interval, config.memory_interval);
    let mut resync = interval_at(start + config.resync_interval, config.resync_interval);
    let keep_alive_period = notifier.keep_alive_interval().unwrap_or(NEVER);
    let mut keep_alive = interval_at(start, keep_alive_period);
    let mut health_tick = interval_at(start + HEALTH_TICK, HEALTH_TICK);
    // Probes run apart from the loop (one batch at a time), so events are never held up.
    let (probed_tx, mut probed) = tokio::sync::mpsc::channel(1);
    let mut probing = false;
    loop {
        let due_in = fleet
            .next_due()
            .map(|at| Duration::from_millis(at.saturating_sub(now_ms())));
        tokio::select! {
            event = watcher.next() => {
                let Some(event) = event? else {
                    bail!("the bus closed the connection");
                };
                timeout(STEP_TIMEOUT, fleet.handle(&connection, &manager, event))
                    .await
                    .context("handling an event timed out")??;
            }
            _ = sleep(due_in.unwrap_or(NEVER)), if due_in.is_some() => {
                timeout(STEP_TIMEOUT, fleet.fire_due(&connection, &manager))
                    .await
                    .context("starting units timed out")??;
                notifier.status(&fleet.status());
            }
            _ = poll.tick() => {
                timeout(STEP_TIMEOUT, fleet.poll(&connection))
                    .await
                    .context("reading memory timed out")??;
            }
            _ = resync.tick() => {
                timeout(STEP_TIMEOUT, fleet.sync(&connection, &manager))
                    .await
                    .context("resync timed out")??;
                notifier.status(&fleet.status());
            }
            _ = health_tick.tick(), if !probing => {
                let batch = fleet.health_due();
                if !batch.is_empty() {
                    probing = true;
                    tokio::spawn(probe_batch(batch, probed_tx.clone()));
                }
            }
            Some(results) = probed.recv() => {
                probing = false;
                timeout(STEP_TIMEOUT, fleet.health_results(&manager, results))
                    .await
                    .context("restarting unhealthy units timed out")??;
            }
            _ = keep_alive.tick() => notifier.keep_alive(),
            _ = stop.recv() => return Ok(()),
        }
        fleet.save_if_dirty();
    }
}

/// Probes a batch, at most [`probe::DEFAULT_CONCURRENCY`] at once, and sends back the
/// results by unit name.
async fn probe_batch(batch: Batch, results: Sender<Vec<(String, ProbeResult)>>) {
    let (names, checks): (Vec<String>, Vec<HealthCheck>) = batch.into_iter().unzip();
    let probed = probe::probe_all(checks, probe::DEFAULT_CONCURRENCY).await;
    let _ = results.send(names.into_iter().zip(probed).collect()).await;
}

/// SIGTERM (systemctl stop) and SIGINT (Ctrl-C).
struct Stop {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl Stop {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("SIGINT handler")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}
