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
use std::process::{Child, Command, Stdio};

use serde::Deserialize;

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

/// The fields of an entry that [`Entry`] reads, besides the timestamp.
const READ_FIELDS: [&str; 5] = [
    "MESSAGE_ID",
    "UNIT",
    "USER_UNIT",
    "EXIT_CODE",
    "EXIT_STATUS",
];

/// One journal entry, as `journalctl --output=json` prints it (only the fields used).
#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(rename = "MESSAGE_ID")]
    message_id: Option<String>,
    #[serde(rename = "UNIT")]
    unit: Option<String>,
    #[serde(rename = "USER_UNIT")]
    user_unit: Option<String>,
    #[serde(rename = "EXIT_CODE")]
    exit_code: Option<String>,
    #[serde(rename = "EXIT_STATUS")]
    exit_status: Option<String>,
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime_us: Option<String>,
}

/// Reads the events from `journalctl --output=json` lines; lines it cannot read are
/// skipped (the journal may hold anything).
pub fn from_journal_json(text: &str) -> Events {
    let mut events = Events::new();
    for line in text.lines() {
        let Ok(entry) = serde_json::from_str::<Entry>(line) else {
            continue;
        };
        let Some(unit) = entry.unit.or(entry.user_unit) else {
            continue;
        };
        let Some(at) = entry
            .realtime_us
            .and_then(|us| us.parse::<u64>().ok())
            .map(|us| us / 1_000_000)
        else {
            continue;
        };
        let unit_events = events.entry(unit).or_default();
        match entry.message_id.as_deref() {
            Some(RESTART_SCHEDULED) => unit_events.restarts.push(at),
            Some(OUT_OF_MEMORY) => unit_events.memory_kills.push(at),
            Some(PROCESS_EXIT)
                if entry.exit_code.as_deref() == Some("killed")
                    && entry.exit_status.as_deref() == Some("9") =>
            {
                unit_events.sigkills.push(at)
            }
            _ => {}
        }
    }
    events
}

/// A `journalctl` query for the events since a moment, running in the background while
/// the caller reads from systemd.
#[derive(Debug)]
pub struct JournalQuery {
    child: Child,
}

impl JournalQuery {
    /// Starts reading the local journal (the user's own with `user`, else PID 1's
    /// messages) since `since` (seconds since the epoch) with one `journalctl` call.
    pub fn start(since: u64, user: bool) -> io::Result<Self> {
        let mut command = Command::new("journalctl");
        if user {
            command.arg("--user");
        } else {
            // Only the manager's own messages: anyone may log a MESSAGE_ID.
            command.arg("_PID=1");
        }
        let child = command
            .args(["--output=json", "--no-pager", "--quiet"])
            // Only the fields read (journalctl adds its own `__REALTIME_TIMESTAMP`): a
            // third of the text of whole entries to write and parse.
            .arg(format!("--output-fields={}", READ_FIELDS.join(",")))
            .arg(format!("--since=@{since}"))
            .args(
                [RESTART_SCHEDULED, PROCESS_EXIT, OUT_OF_MEMORY]
                    .map(|id| format!("MESSAGE_ID={id}")),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        Ok(Self { child })
    }

    /// Waits for the query and reads its events.
    pub fn finish(self) -> io::Result<Events> {
        let output = self.child.wait_with_output()?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "journalctl failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(from_journal_json(&String::from_utf8_lossy(&output.stdout)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::history::UnitHistory;

    #[test]
    fn journal_messages_become_events() {
        let text = [
            r#"{"MESSAGE_ID":"5eb03494b6584870a536b337290809b3","UNIT":"a.service","__REALTIME_TIMESTAMP":"1700000000000000"}"#,
            r#"{"MESSAGE_ID":"5eb03494b6584870a536b337290809b3","UNIT":"a.service","__REALTIME_TIMESTAMP":"1700000005000000"}"#,
            r#"{"MESSAGE_ID":"98e322203f7a4ed290d09fe03c09fe15","UNIT":"a.service","EXIT_CODE":"killed","EXIT_STATUS":"9","__REALTIME_TIMESTAMP":"1700000004000000"}"#,
            r#"{"MESSAGE_ID":"98e322203f7a4ed290d09fe03c09fe15","UNIT":"a.service","EXIT_CODE":"exited","EXIT_STATUS":"9","__REALTIME_TIMESTAMP":"1700000006000000"}"#,
            r#"{"MESSAGE_ID":"fe6faa94e7774663a0da52717891d8ef","USER_UNIT":"b.service","__REALTIME_TIMESTAMP":"1700000001000000"}"#,
            r#"not json"#,
            r#"{"MESSAGE_ID":"5eb03494b6584870a536b337290809b3","__REALTIME_TIMESTAMP":"1"}"#,
        ]
        .join("\n");
        let events = from_journal_json(&text);
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
