//! Where `top`'s figures come from: a thread of its own takes a snapshot with the
//! report's collection and classification every refresh, probes health checks at their
//! own intervals (not at every refresh), and carries out the actions asked for.

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::TopOptions;
use super::state::Action;
use crate::diagnostic::Causes;
use crate::health::probe::ProbeResult;
use crate::report::classify::{self, Thresholds, UnitFacts};
use crate::report::collect::{self, EventSource, Request};
use crate::report::health::probe_units;
use crate::report::model::Report;

/// What the source sends back.
#[derive(Debug)]
pub enum Update {
    /// A fresh snapshot.
    Report(Report),
    /// The snapshot could not be taken.
    Failed(String),
    /// The outcome of an action, in words.
    Done(String),
}

/// The running source: send it actions, read its updates. Dropping it stops it.
pub struct Source {
    /// Actions to carry out, on a unit by name.
    pub actions: UnboundedSender<(Action, String)>,
    /// Snapshots and outcomes.
    pub updates: mpsc::Receiver<Update>,
    thread: Option<JoinHandle<()>>,
}

impl Source {
    /// Starts the source thread.
    pub fn spawn(options: TopOptions) -> std::io::Result<Self> {
        let (actions, mut asked) = unbounded_channel();
        let (send, updates) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("top-source".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    let _ = send.send(Update::Failed("cannot start the async runtime".into()));
                    return;
                };
                runtime.block_on(async move {
                    let mut probes = HashMap::new();
                    let mut kept = collect::Kept::default();
                    loop {
                        let update = match snapshot(&options, &mut probes, &mut kept).await {
                            Ok(report) => Update::Report(report),
                            Err(error) => Update::Failed(Causes(&error).to_string()),
                        };
                        if send.send(update).is_err() {
                            return;
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(options.refresh) => {}
                            asked = asked.recv() => {
                                let Some((action, unit)) = asked else { return };
                                let unit: String = unit;
                                let outcome = act(&options, action, &unit).await;
                                if send.send(Update::Done(outcome)).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            })?;
        Ok(Self {
            actions,
            updates,
            thread: Some(thread),
        })
    }

    /// Stops the thread (it ends at its next step, once the channels are gone).
    pub fn stop(mut self) {
        let thread = self.thread.take();
        drop(self);
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// The last probe of each unit, and when it was made.
type Probes = HashMap<String, (Instant, ProbeResult)>;

/// One snapshot: the report's collection (events from the watchdog's history only: the
/// journal is too slow for every second; the unit files scanned again only when they can
/// have changed), health from probes at least one interval old or made afresh, then the
/// report's classification.
async fn snapshot(
    options: &TopOptions,
    probes: &mut Probes,
    kept: &mut collect::Kept,
) -> anyhow::Result<Report> {
    let request = Request {
        bus: options.bus.clone(),
        ecosystem: options.ecosystem.clone(),
        events: EventSource::WatchdogHistory,
        state_file: options.state_file.clone(),
        window: None,
        probe_health: false,
    };
    let (mut facts, context) = collect::collect_again(&request, kept).await?;
    let due = |unit: &UnitFacts| {
        let interval = unit.policy.watchdog.health.as_ref().map(|c| c.interval);
        match (probes.get(&unit.snapshot.name), interval) {
            (Some((at, _)), Some(interval)) => at.elapsed() >= interval,
            _ => true,
        }
    };
    let due_names: Vec<String> = facts
        .iter()
        .filter(|unit| due(unit))
        .map(|unit| unit.snapshot.name.clone())
        .collect();
    probe_units(&mut facts, |unit| due_names.contains(&unit.snapshot.name)).await;
    for unit in &mut facts {
        match &unit.health {
            Some(result) => {
                probes.insert(unit.snapshot.name.clone(), (Instant::now(), result.clone()));
            }
            None if unit.snapshot.unit.active_state == "active" => {
                unit.health = probes.get(&unit.snapshot.name).map(|(_, r)| r.clone());
            }
            None => {
                probes.remove(&unit.snapshot.name);
            }
        }
    }
    Ok(classify::report(&facts, &Thresholds::default(), &context))
}

/// Carries out `action` on `unit` over D-Bus: the same calls as `systemctl`, so the
/// same rights apply (root, or what polkit allows).
async fn act(options: &TopOptions, action: Action, unit: &str) -> String {
    let outcome = async {
        let connection = crate::systemd::connect_direct(&options.bus).await?;
        let manager = crate::systemd::manager(&connection).await?;
        let (name, mode) = (unit.to_string(), "replace".to_string());
        match action {
            Action::Restart => manager.restart_unit(name, mode).await.map(drop),
            Action::Stop => manager.stop_unit(name, mode).await.map(drop),
            Action::Start => manager.start_unit(name, mode).await.map(drop),
            Action::ResetFailed => manager.reset_failed_unit(name).await,
        }
    }
    .await;
    match outcome {
        Ok(()) => format!("{} {unit}: done", action.as_str()),
        Err(error) => format!("{} {unit}: {error}", action.as_str()),
    }
}
