//! Gathering the facts: the managed services over D-Bus, each with the policy from its
//! unit file, and their events from the watchdog's history or the journal.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

use super::classify::{Context, UnitFacts};
use super::events::{self, Events, JournalQuery};
use super::model::RestartsSource;
use crate::diagnostic::Causes;
use crate::observed::history::History;
use crate::systemd::BusTarget;
use crate::systemd::cgroup::Kernel;
use crate::systemd::snapshot::{self, ListedUnit, ManagerSlices, Wanted};
use crate::systemd::unit_files::{UnitFileReader, UnitFiles, UnitFilesCache};
use crate::unit_file::UnitFile;
use crate::unit_policy::UnitPolicy;

/// Where to take restarts within the window from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    /// The watchdog's state file when it exists, else the journal, else none.
    Auto,
    /// Only the watchdog's state file.
    WatchdogHistory,
    /// Only the journal.
    Journal,
    /// Neither: lifetime counts only.
    None,
}

/// What to collect.
#[derive(Debug, Clone)]
pub struct Request {
    /// The manager to ask.
    pub bus: BusTarget,
    /// Only this ecosystem's units, when set.
    pub ecosystem: Option<String>,
    /// Where restarts within the window come from.
    pub events: EventSource,
    /// The watchdog's state file.
    pub state_file: PathBuf,
    /// The window given on the command line, if any (for how far back to read).
    pub window: Option<Duration>,
    /// Whether to probe the health checks of the running units (once each).
    pub probe_health: bool,
}

/// What a caller taking snapshot after snapshot (`top`) keeps from one to the next.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    /// The unit files on the manager's search path, scanned again only when they can
    /// have changed.
    unit_files: UnitFilesCache,
}

/// The managed services with their policies and events, and the snapshot's context. The
/// events (the watchdog's history or a journal query) are read while the services' reads
/// are in flight.
pub async fn collect(request: &Request) -> anyhow::Result<(Vec<UnitFacts>, Context)> {
    collect_again(request, &mut Kept::default()).await
}

/// [`collect`], with what the last snapshots left in `kept`.
pub async fn collect_again(
    request: &Request,
    kept: &mut Kept,
) -> anyhow::Result<(Vec<UnitFacts>, Context)> {
    let user = request.bus == BusTarget::User;
    let history_exists = request.state_file.exists();
    let journal =
        may_read_journal(request.events, history_exists).then(|| JournalQuery::open(user));
    let connection = crate::systemd::connect_direct(&request.bus)
        .await
        .with_context(|| format!("cannot reach systemd on {}", describe(&request.bus)))?;
    let now_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let kernel = Kernel::host(now_us);
    let manager = crate::systemd::manager_process(&connection).await;
    let slices = async {
        match manager {
            Some(_) => snapshot::list_units(&connection, &["*.slice".to_string()]).await,
            None => Ok(Vec::new()),
        }
    };
    let (services, slices) = tokio::join!(list_services(&connection, &mut kept.unit_files), slices);
    let (listed, unit_files) = services.context("cannot read the units from systemd")?;
    let manager = match manager {
        Some(pid) => Some(ManagerSlices {
            pid,
            slices: slices
                .context("cannot read the slices from systemd")?
                .into_iter()
                .map(|slice| slice.name)
                .collect(),
        }),
        None => None,
    };
    // The kernel's files are read on threads of their own, fed each running unit as its
    // unit file shows it managed, and the journal on another (opened above): all of them
    // while systemd is asked.
    let running = listed.iter().filter(|unit| unit.is_running()).count();
    let feed = snapshot::start_kernel(kernel.clone(), manager, running);
    let wanted = select_managed(listed, unit_files, request.ecosystem.as_deref(), |i, w| {
        feed.ask(i, w)
    });
    let reads = feed.asked_all();
    let since = window_start(request.window, &wanted, now_us);
    let pending = start_events(
        request.events,
        &request.state_file,
        history_exists,
        since,
        journal,
        user,
    )?;
    let hierarchy = kernel.hierarchy();
    let services = snapshot::services(&connection, wanted, kernel, reads)
        .await
        .context("cannot read the units from systemd")?;
    let (source, mut events) = finish_events(pending)?;
    let mut facts: Vec<UnitFacts> = services
        .into_iter()
        .map(|(snapshot, policy)| {
            let unit_events = (source != RestartsSource::None)
                .then(|| events.remove(&snapshot.name).unwrap_or_default());
            UnitFacts {
                snapshot,
                policy,
                events: unit_events,
                health: None,
            }
        })
        .collect();
    if request.probe_health {
        super::health::probe_units(&mut facts, |_| true).await;
    }
    let context = Context {
        now_us,
        cgroup_memory: hierarchy.into(),
        restarts_source: source,
    };
    Ok((facts, context))
}

/// Where the longest window of the `wanted` units starts (`window` when given, else
/// each unit's crash-loop window), in seconds since the epoch.
fn window_start(window: Option<Duration>, wanted: &[Wanted<UnitPolicy>], now_us: u64) -> u64 {
    let longest = wanted
        .iter()
        .map(|unit| window.unwrap_or(unit.kept.watchdog.crash_loop_window))
        .max()
        .unwrap_or(Duration::ZERO);
    (now_us / 1_000_000).saturating_sub(longest.as_secs())
}

/// Every loaded service whose unit file has an `[X-Ecosystemd]` section (of `ecosystem`
/// when given), with that policy, drop-ins applied: one listing, and the unit files found
/// on the manager's search path ([`select_managed`]).
pub async fn managed_units(
    connection: &zbus::Connection,
    ecosystem: Option<&str>,
) -> zbus::Result<Vec<Wanted<UnitPolicy>>> {
    let mut cache = UnitFilesCache::new();
    let (listed, unit_files) = list_services(connection, &mut cache).await?;
    Ok(select_managed(listed, unit_files, ecosystem, |_, _| {}))
}

/// The manager's services, and the unit files on its search path (from `cache` when they
/// cannot have changed): the search path's folders are listed while systemd lists its
/// services.
async fn list_services<'c>(
    connection: &zbus::Connection,
    cache: &'c mut UnitFilesCache,
) -> zbus::Result<(Vec<ListedUnit>, &'c UnitFiles)> {
    let unit_files = async {
        let search_path = snapshot::unit_search_path(connection).await?;
        zbus::Result::Ok(cache.look(&search_path))
    };
    let patterns = ["*.service".to_string()];
    let (unit_files, listed) =
        tokio::join!(unit_files, snapshot::list_units(connection, &patterns));
    Ok((listed?, unit_files?))
}

/// The services of `listed` whose unit file in `unit_files` has an `[X-Ecosystemd]`
/// section (of `ecosystem` when given), with that policy, drop-ins applied; each is
/// handed to `picked` with its place among them as soon as it is known. A unit without
/// drop-ins is read for its policy section alone, and may fork when any section of its
/// file says `Type=forking`.
fn select_managed(
    listed: Vec<ListedUnit>,
    unit_files: &UnitFiles,
    ecosystem: Option<&str>,
    mut picked: impl FnMut(usize, &Wanted<UnitPolicy>),
) -> Vec<Wanted<UnitPolicy>> {
    let mut wanted = Vec::new();
    let mut reader = UnitFileReader::default();
    for listed in listed {
        let Some((policy, may_fork)) = read_policy(unit_files, &mut reader, &listed.name) else {
            continue;
        };
        if ecosystem.is_some_and(|wanted| wanted != policy.ecosystem) {
            continue;
        }
        let unit = Wanted {
            listed,
            kept: policy,
            may_fork,
        };
        picked(wanted.len(), &unit);
        wanted.push(unit);
    }
    wanted
}

/// The policy in `unit`'s file with its drop-ins, and whether it may fork; `None` when
/// it has no file or no policy.
fn read_policy(
    unit_files: &UnitFiles,
    reader: &mut UnitFileReader,
    unit: &str,
) -> Option<(UnitPolicy, bool)> {
    let text = reader.read(unit_files.fragment(unit)?)?;
    let drop_ins = unit_files.drop_ins(unit);
    if drop_ins.is_empty() {
        let policy = UnitPolicy::from_unit_text(text)?;
        return Some((policy, UnitFile::assigns(text, "Type", "forking")));
    }
    let unit = UnitFile::with_drop_ins(text, &drop_ins);
    let policy = UnitPolicy::from_unit(&unit)?;
    let may_fork = unit.value("Service", "Type") == Some("forking");
    Some((policy, may_fork))
}

/// Events on their way: read already, or a journal query still running.
enum PendingEvents {
    /// Read, from this source.
    Ready(RestartsSource, Events),
    /// A journal query; when it fails, `required` makes that an error, else the report
    /// goes on without events.
    Journal {
        query: std::io::Result<JournalQuery>,
        required: bool,
    },
}

/// Whether the events may come from the journal, which is then opened ahead of the query;
/// `history_exists` says whether the watchdog's state file is there.
fn may_read_journal(wanted: EventSource, history_exists: bool) -> bool {
    match wanted {
        EventSource::Journal => true,
        EventSource::Auto => !history_exists,
        EventSource::WatchdogHistory | EventSource::None => false,
    }
}

/// Reads the watchdog's history (`state_file`, there when `history_exists`), or starts the
/// journal query (on `journal` when it was opened ahead), as `wanted` says.
fn start_events(
    wanted: EventSource,
    state_file: &Path,
    history_exists: bool,
    since: u64,
    journal: Option<std::io::Result<JournalQuery>>,
    user: bool,
) -> anyhow::Result<PendingEvents> {
    let history = || -> anyhow::Result<Events> {
        let history = History::load(state_file).with_context(|| {
            format!(
                "cannot read the watchdog's history {}",
                state_file.display()
            )
        })?;
        Ok(events::from_history(&history))
    };
    let journal = |required| PendingEvents::Journal {
        query: journal
            .unwrap_or_else(|| JournalQuery::open(user))
            .map(|query| query.start(since)),
        required,
    };
    Ok(match wanted {
        EventSource::WatchdogHistory => {
            PendingEvents::Ready(RestartsSource::WatchdogHistory, history()?)
        }
        EventSource::Journal => journal(true),
        EventSource::None => PendingEvents::Ready(RestartsSource::None, Events::new()),
        EventSource::Auto if history_exists => match history() {
            Ok(events) => PendingEvents::Ready(RestartsSource::WatchdogHistory, events),
            Err(e) => {
                eprintln!(
                    "unit-watchdog report: {}; reading the journal instead",
                    Causes(&e)
                );
                journal(false)
            }
        },
        EventSource::Auto => journal(false),
    })
}

/// The events, once the journal query (if any) has finished, and which source answered.
fn finish_events(pending: PendingEvents) -> anyhow::Result<(RestartsSource, Events)> {
    match pending {
        PendingEvents::Ready(source, events) => Ok((source, events)),
        PendingEvents::Journal { query, required } => match query.and_then(JournalQuery::finish) {
            Ok(events) => Ok((RestartsSource::Journal, events)),
            Err(e) if required => Err(anyhow::Error::new(e).context("cannot read the journal")),
            Err(e) => {
                eprintln!("unit-watchdog report: no restarts within the window: {e}");
                Ok((RestartsSource::None, Events::new()))
            }
        },
    }
}

fn describe(target: &BusTarget) -> String {
    match target {
        BusTarget::System => "the system bus".to_string(),
        BusTarget::User => "the user bus".to_string(),
        BusTarget::Address(address) => format!("the D-Bus address {address}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_events(
        wanted: EventSource,
        state_file: &Path,
        since: u64,
        user: bool,
    ) -> anyhow::Result<(RestartsSource, Events)> {
        let exists = state_file.exists();
        finish_events(start_events(wanted, state_file, exists, since, None, user)?)
    }

    #[test]
    fn a_missing_history_is_an_error_only_when_asked_for() {
        let missing = Path::new("/nonexistent/ecosystemd/state.json");
        // History::load treats a missing file as empty: asked for, it is an empty history.
        let (source, events) =
            read_events(EventSource::WatchdogHistory, missing, 0, false).expect("empty");
        assert_eq!(source, RestartsSource::WatchdogHistory);
        assert!(events.is_empty());
        let (source, _) = read_events(EventSource::None, missing, 0, false).expect("none");
        assert_eq!(source, RestartsSource::None);
    }

    #[test]
    fn a_corrupt_history_is_an_error_when_asked_for_and_skipped_in_auto() {
        let dir = std::env::temp_dir().join(format!("ecosystemd-corrupt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let state = dir.join("state.json");
        std::fs::write(&state, "{ not json").expect("corrupt file");
        assert!(read_events(EventSource::WatchdogHistory, &state, 0, false).is_err());
        let (source, _) = read_events(EventSource::Auto, &state, 0, false).expect("auto");
        assert_ne!(source, RestartsSource::WatchdogHistory);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
