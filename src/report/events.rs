//! Restarts, kills and crash loops over time, from the watchdog's history or from the
//! journal: what D-Bus cannot say (`NRestarts` is a lifetime count).
//!
//! With `unit-watchdog run` running, its state file has every restart it observed. Without
//! it, systemd's own structured journal messages are read once for all units:
//! "automatic restart scheduled" (`MESSAGE_ID=5eb03494...`), "unit process exited"
//! (`98e32220...`, with `EXIT_CODE=` and `EXIT_STATUS=`) and, on cgroup v2, "killed by the
//! OOM killer" (`fe6faa94...`).

use std::collections::HashMap;
use std::io;
use std::sync::mpsc;

use super::sd_journal::{Entry, Journals, Reader};
use crate::observed::history::History;

/// `SD_MESSAGE_UNIT_RESTART_SCHEDULED`.
const RESTART_SCHEDULED: &str = "5eb03494b6584870a536b337290809b3";
/// `SD_MESSAGE_UNIT_PROCESS_EXIT`.
const PROCESS_EXIT: &str = "98e322203f7a4ed290d09fe03c09fe15";
/// `SD_MESSAGE_UNIT_OUT_OF_MEMORY`.
const OUT_OF_MEMORY: &str = "fe6faa94e7774663a0da52717891d8ef";

/// What happened to one unit, as timestamps in seconds since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitEvents {
    /// Automatic restarts.
    pub restarts: Vec<u64>,
    /// Kills by the memory limit that the source recognised as such.
    pub memory_kills: Vec<u64>,
    /// Main processes killed by SIGKILL (a kill by the memory limit on cgroup v1, when
    /// the unit has one; see [`super::classify`]).
    pub sigkills: Vec<u64>,
    /// Crash-loop episodes the watchdog reported.
    pub crash_loops: Vec<u64>,
}

/// Every unit's events, by unit name.
pub type Events = HashMap<String, UnitEvents>;

/// The events in the watchdog's history.
pub fn from_history(history: &History) -> Events {
    history
        .units
        .iter()
        .map(|(name, unit)| {
            let events = UnitEvents {
                restarts: unit.restarts.clone(),
                memory_kills: unit.oom_kills.clone(),
                sigkills: Vec::new(),
                crash_loops: unit.crash_loops.clone(),
            };
            (name.clone(), events)
        })
        .collect()
}

/// The fields of an entry that [`from_journal`] reads, besides its time.
const READ_FIELDS: [&str; 5] = [
    "MESSAGE_ID",
    "UNIT",
    "USER_UNIT",
    "EXIT_CODE",
    "EXIT_STATUS",
];

/// Reads the events from journal entries with the fields [`READ_FIELDS`].
pub fn from_journal(entries: Vec<Entry>) -> Events {
    let mut events = Events::new();
    for entry in entries {
        let at = entry.realtime_us / 1_000_000;
        let Ok([message_id, unit, user_unit, exit_code, exit_status]) =
            <[Option<String>; 5]>::try_from(entry.fields)
        else {
            continue;
        };
        let Some(unit) = unit.or(user_unit) else {
            continue;
        };
        let unit_events = events.entry(unit).or_default();
        match message_id.as_deref() {
            Some(RESTART_SCHEDULED) => unit_events.restarts.push(at),
            Some(OUT_OF_MEMORY) => unit_events.memory_kills.push(at),
            Some(PROCESS_EXIT)
                if exit_code.as_deref() == Some("killed")
                    && exit_status.as_deref() == Some("9") =>
            {
                unit_events.sigkills.push(at)
            }
            _ => {}
        }
    }
    events
}

/// A query of the local journal for the events since a moment, on a thread of its own
/// while the caller reads from systemd. The thread opens the journal at once
/// ([`JournalQuery::open`]): loading `libsystemd.so.0` and opening the journal's files
/// (a few ms) are done while the caller works out from when to read.
#[derive(Debug)]
pub struct JournalQuery {
    since: mpsc::Sender<u64>,
    reading: std::thread::JoinHandle<io::Result<Vec<Entry>>>,
}

impl JournalQuery {
    /// Opens the local journal (the user's own with `user`, else the system's, for PID 1's
    /// messages) on a thread of its own, which reads once told since when
    /// ([`JournalQuery::start`]).
    pub fn open(user: bool) -> io::Result<Self> {
        let (since, asked) = mpsc::channel::<u64>();
        let reading = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let (journals, mut matches) = if user {
                    (Journals::CurrentUser, Vec::new())
                } else {
                    // Only the manager's own messages: anyone may log a MESSAGE_ID.
                    (Journals::System, vec!["_PID=1".to_string()])
                };
                matches.extend(
                    [RESTART_SCHEDULED, PROCESS_EXIT, OUT_OF_MEMORY]
                        .map(|id| format!("MESSAGE_ID={id}")),
                );
                let reader = Reader::open(journals)?;
                let since = asked
                    .recv()
                    .map_err(|_| io::Error::other("the journal was not queried"))?;
                reader.read(&matches, since.saturating_mul(1_000_000), &READ_FIELDS)
            })?;
        Ok(Self { since, reading })
    }

    /// Reads the events since `since` (seconds since the epoch).
    pub fn start(self, since: u64) -> Self {
        // A thread that failed to open the journal says so when it is joined.
        let _ = self.since.send(since);
        self
    }

    /// Waits for the query and reads its events.
    pub fn finish(self) -> io::Result<Events> {
        drop(self.since);
        let entries = self
            .reading
            .join()
            .map_err(|_| io::Error::other("the journal's reader failed"))??;
        Ok(from_journal(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::history::UnitHistory;

    fn entry(seconds: u64, fields: [Option<&str>; 5]) -> Entry {
        Entry {
            realtime_us: seconds * 1_000_000 + 999,
            fields: fields.map(|field| field.map(str::to_string)).to_vec(),
        }
    }

    #[test]
    fn journal_messages_become_events() {
        let a = Some("a.service");
        let entries = vec![
            entry(
                1_700_000_000,
                [Some(RESTART_SCHEDULED), a, None, None, None],
            ),
            entry(
                1_700_000_005,
                [Some(RESTART_SCHEDULED), a, None, None, None],
            ),
            entry(
                1_700_000_004,
                [Some(PROCESS_EXIT), a, None, Some("killed"), Some("9")],
            ),
            entry(
                1_700_000_006,
                [Some(PROCESS_EXIT), a, None, Some("exited"), Some("9")],
            ),
            entry(
                1_700_000_001,
                [Some(OUT_OF_MEMORY), None, Some("b.service"), None, None],
            ),
            entry(1, [Some(RESTART_SCHEDULED), None, None, None, None]),
            Entry {
                realtime_us: 2,
                fields: vec![Some(RESTART_SCHEDULED.into())],
            },
        ];
        let events = from_journal(entries);
        let a = &events["a.service"];
        assert_eq!(a.restarts, vec![1_700_000_000, 1_700_000_005]);
        assert_eq!(a.sigkills, vec![1_700_000_004]);
        assert!(a.memory_kills.is_empty());
        assert_eq!(events["b.service"].memory_kills, vec![1_700_000_001]);
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn history_events_keep_their_meaning() {
        let mut history = History::default();
        history.units.insert(
            "a.service".into(),
            UnitHistory {
                restarts: vec![1, 2],
                watchdog_starts: vec![3],
                crash_loops: vec![2],
                oom_kills: vec![1],
                health_restarts: vec![],
            },
        );
        let events = from_history(&history);
        assert_eq!(
            events["a.service"],
            UnitEvents {
                restarts: vec![1, 2],
                memory_kills: vec![1],
                sigkills: vec![],
                crash_loops: vec![2],
            }
        );
    }
}
