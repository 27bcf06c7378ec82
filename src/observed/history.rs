//! The watchdog's history: what it saw and did, kept in a small state file.
//!
//! `unit-watchdog run` appends to it and saves it atomically; `unit-watchdog report`
//! reads it for restarts within a window and crash-loop episodes. It survives a restart
//! of the watchdog. Timestamps are seconds since the Unix epoch.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Where the system watchdog keeps its state (`StateDirectory=unit-watchdog`).
pub const DEFAULT_STATE_FILE: &str = "/var/lib/unit-watchdog/state.json";

/// Oldest entries are dropped past this many per unit and list.
const MAX_EVENTS_PER_UNIT: usize = 256;

/// Everything the watchdog remembers, per unit name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Format version of the file.
    pub version: u32,
    /// Per unit (`agents-email.service`), its events.
    pub units: BTreeMap<String, UnitHistory>,
}

/// What happened to one unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitHistory {
    /// When systemd restarted it (each observed increase of `NRestarts`).
    #[serde(default)]
    pub restarts: Vec<u64>,
    /// When the watchdog itself started it again after a failure.
    #[serde(default)]
    pub watchdog_starts: Vec<u64>,
    /// When a crash-loop episode began.
    #[serde(default)]
    pub crash_loops: Vec<u64>,
    /// When it was killed at its memory limit.
    #[serde(default)]
    pub oom_kills: Vec<u64>,
    /// When the watchdog restarted it because its health check failed.
    #[serde(default)]
    pub health_restarts: Vec<u64>,
}

impl UnitHistory {
    /// How many of `events` fall within `window_secs` before `now`.
    pub fn count_within(events: &[u64], now: u64, window_secs: u64) -> usize {
        events
            .iter()
            .filter(|&&t| t <= now && now - t <= window_secs)
            .count()
    }

    /// Appends `at` to `events`, dropping the oldest past the per-unit cap.
    pub fn record(events: &mut Vec<u64>, at: u64) {
        events.push(at);
        if events.len() > MAX_EVENTS_PER_UNIT {
            let excess = events.len() - MAX_EVENTS_PER_UNIT;
            events.drain(..excess);
        }
    }
}

impl History {
    /// Reads the state file; a missing file is an empty history.
    pub fn load(path: &Path) -> io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self {
                version: 1,
                ..Self::default()
            }),
            Err(e) => Err(e),
        }
    }

    /// Writes the state file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, json)?;
        std::fs::rename(&temporary, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_only_recent_events() {
        let events = [100, 200, 290, 300];
        assert_eq!(UnitHistory::count_within(&events, 300, 15), 2);
        assert_eq!(UnitHistory::count_within(&events, 300, 1000), 4);
    }

    #[test]
    fn record_caps_the_list() {
        let mut events = Vec::new();
        for t in 0..(MAX_EVENTS_PER_UNIT as u64 + 10) {
            UnitHistory::record(&mut events, t);
        }
        assert_eq!(events.len(), MAX_EVENTS_PER_UNIT);
        assert_eq!(events[0], 10);
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = std::env::temp_dir().join(format!("ecosystemd-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("state.json");
        let mut history = History {
            version: 1,
            ..History::default()
        };
        history
            .units
            .entry("a.service".into())
            .or_default()
            .restarts
            .push(5);
        history.save(&path).expect("save");
        assert_eq!(History::load(&path).expect("load"), history);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
