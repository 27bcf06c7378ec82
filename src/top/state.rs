//! What `top` shows and where the person is in it: the units from the latest report
//! (with CPU use from the difference of two snapshots), the order, the filter, the
//! selected unit, a pending confirmation, the journal lines. Pure: no terminal, no bus.

use std::collections::HashMap;

use crate::report::health::HealthStatus;
use crate::report::model::{IssueKind, Report, UnitReport};

/// The order of units within each ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// By name.
    #[default]
    Name,
    /// Most memory first.
    Memory,
    /// Most CPU first.
    Cpu,
    /// Most restarts within the window first (then in total).
    Restarts,
}

impl Sort {
    /// The name shown in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Memory => "memory",
            Self::Cpu => "cpu",
            Self::Restarts => "restarts",
        }
    }
}

/// What a key may ask systemd to do with the selected unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `RestartUnit`.
    Restart,
    /// `StopUnit`.
    Stop,
    /// `StartUnit`.
    Start,
    /// `ResetFailedUnit`.
    ResetFailed,
}

impl Action {
    /// The verb, as `systemctl` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restart => "restart",
            Self::Stop => "stop",
            Self::Start => "start",
            Self::ResetFailed => "reset-failed",
        }
    }
}

/// One unit as `top` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The report's view of the unit.
    pub unit: UnitReport,
    /// CPU use since the previous snapshot, in percent of one core.
    pub cpu_percent: Option<f64>,
}

impl Row {
    /// The findings that need attention, by name (`failed`, `crash-loop`, ...).
    pub fn findings(&self) -> Vec<&'static str> {
        self.unit
            .issues
            .iter()
            .filter(|issue| issue.kind.needs_attention())
            .map(|issue| issue.kind.as_str())
            .collect()
    }

    /// Whether the unit is failed.
    pub fn failed(&self) -> bool {
        self.unit.has(IssueKind::Failed)
    }
}

/// One line of the list: an ecosystem's heading or a unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    /// An ecosystem and how many of its units are shown.
    Group(&'a str, usize),
    /// A unit.
    Unit(&'a Row),
}

/// Everything `top` shows.
#[derive(Debug, Clone, Default)]
pub struct TopState {
    /// The units of the latest snapshot, by name.
    pub rows: Vec<Row>,
    /// The order within each ecosystem.
    pub sort: Sort,
    /// Only units whose name contains this (case-insensitive).
    pub filter: String,
    /// Whether keys are typed into the filter.
    pub editing_filter: bool,
    /// The selected unit's name.
    pub selected: Option<String>,
    /// An action waiting for `y`.
    pub confirm: Option<(Action, String)>,
    /// Whether the key help is shown.
    pub help: bool,
    /// A one-line message (an action's outcome, a snapshot's error).
    pub message: Option<String>,
    /// The selected unit's journal, oldest first.
    pub journal: Vec<String>,
    /// The first list line shown (kept so the selection stays in view).
    pub scroll: usize,
    /// Whether the snapshot could not be read the last time.
    pub stale: bool,
    previous_cpu: HashMap<String, (f64, u64)>,
}

impl TopState {
    /// Takes in a new report, made at `now_ms` (a monotonic clock).
    pub fn update(&mut self, report: Report, now_ms: u64) {
        let mut cpu = HashMap::new();
        self.rows = report
            .units
            .into_iter()
            .map(|unit| {
                let cpu_percent = unit.cpu_seconds.and_then(|seconds| {
                    cpu.insert(unit.name.clone(), (seconds, now_ms));
                    let (before, at) = *self.previous_cpu.get(&unit.name)?;
                    let elapsed = now_ms.checked_sub(at).filter(|&ms| ms > 0)? as f64 / 1000.0;
                    Some(((seconds - before) / elapsed * 100.0).max(0.0))
                });
                Row { unit, cpu_percent }
            })
            .collect();
        self.previous_cpu = cpu;
        self.stale = false;
        let visible = self.visible_units();
        let keep = self
            .selected
            .as_ref()
            .is_some_and(|name| visible.iter().any(|row| &row.unit.name == name));
        if !keep {
            self.selected = visible.first().map(|row| row.unit.name.clone());
        }
    }

    /// The list as shown: ecosystems by name, each heading followed by its units in
    /// the chosen order, only those matching the filter.
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let units = self.visible_units();
        let mut entries = Vec::with_capacity(units.len() + 4);
        let mut index = 0;
        while index < units.len() {
            let ecosystem = units[index].unit.ecosystem.as_str();
            let count = units[index..]
                .iter()
                .take_while(|row| row.unit.ecosystem == ecosystem)
                .count();
            entries.push(Entry::Group(ecosystem, count));
            entries.extend(
                units[index..index + count]
                    .iter()
                    .map(|row| Entry::Unit(row)),
            );
            index += count;
        }
        entries
    }

    /// The units shown, in list order.
    pub fn visible_units(&self) -> Vec<&Row> {
        let filter = self.filter.to_lowercase();
        let mut units: Vec<&Row> = self
            .rows
            .iter()
            .filter(|row| filter.is_empty() || row.unit.name.to_lowercase().contains(&filter))
            .collect();
        let key = |row: &Row| -> (u64, u64) {
            match self.sort {
                Sort::Name => (0, 0),
                Sort::Memory => (row.unit.memory_bytes.unwrap_or(0), 0),
                Sort::Cpu => ((row.cpu_percent.unwrap_or(0.0) * 1000.0) as u64, 0),
                Sort::Restarts => (
                    row.unit.restarts_window.unwrap_or(0),
                    u64::from(row.unit.restarts_total),
                ),
            }
        };
        units.sort_by(|a, b| {
            a.unit
                .ecosystem
                .cmp(&b.unit.ecosystem)
                .then_with(|| key(b).cmp(&key(a)))
                .then_with(|| a.unit.name.cmp(&b.unit.name))
        });
        units
    }

    /// The selected unit's row.
    pub fn selected_row(&self) -> Option<&Row> {
        let name = self.selected.as_ref()?;
        self.rows.iter().find(|row| &row.unit.name == name)
    }

    /// Moves the selection by `delta` units (negative: up), staying within the list.
    pub fn move_selection(&mut self, delta: isize) {
        let units = self.visible_units();
        if units.is_empty() {
            return;
        }
        let current = self
            .selected
            .as_ref()
            .and_then(|name| units.iter().position(|row| &row.unit.name == name))
            .unwrap_or(0);
        let next = current.saturating_add_signed(delta).min(units.len() - 1);
        self.selected = Some(units[next].unit.name.clone());
    }

    /// Keeps the selected unit within a list window of `height` lines, moving
    /// [`scroll`](Self::scroll) as little as possible.
    pub fn follow_selection(&mut self, height: usize) {
        let entries = self.entries();
        let total = entries.len();
        let found = entries.iter().position(|entry| {
            matches!(entry, Entry::Unit(row) if Some(&row.unit.name) == self.selected.as_ref())
        });
        // Its ecosystem's heading is shown with the first unit.
        let heading_before = |at: usize| at > 0 && matches!(entries[at - 1], Entry::Group(..));
        let Some((at, top)) = found.map(|at| (at, at - usize::from(heading_before(at)))) else {
            self.scroll = 0;
            return;
        };
        if top < self.scroll {
            self.scroll = top;
        } else if height > 0 && at >= self.scroll + height {
            self.scroll = at + 1 - height;
        }
        self.scroll = self.scroll.min(total.saturating_sub(height.max(1)));
    }

    /// Counts for the header: units, active, failed, unhealthy.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let active = self
            .rows
            .iter()
            .filter(|row| row.unit.active_state == "active")
            .count();
        let failed = self.rows.iter().filter(|row| row.failed()).count();
        let unhealthy = self
            .rows
            .iter()
            .filter(|row| {
                row.unit
                    .health
                    .as_ref()
                    .is_some_and(|h| h.status == HealthStatus::Unhealthy)
            })
            .count();
        (self.rows.len(), active, failed, unhealthy)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::model::Issue;

    pub(crate) fn unit(name: &str, ecosystem: &str, memory: u64) -> UnitReport {
        let mut unit = crate::report::table::tests::sample_unit(name, Some(memory), Vec::new());
        unit.ecosystem = ecosystem.into();
        unit
    }

    pub(crate) fn report(units: Vec<UnitReport>) -> Report {
        let mut report = crate::report::table::tests::sample(Vec::new());
        report.units = units;
        report
    }

    #[test]
    fn units_are_grouped_sorted_and_filtered() {
        let mut state = TopState::default();
        state.update(
            report(vec![
                unit("web-a.service", "web", 10),
                unit("agents-b.service", "agents", 30),
                unit("agents-a.service", "agents", 20),
            ]),
            0,
        );
        let names = |state: &TopState| -> Vec<String> {
            state
                .entries()
                .iter()
                .map(|entry| match entry {
                    Entry::Group(name, n) => format!("[{name} {n}]"),
                    Entry::Unit(row) => row.unit.name.clone(),
                })
                .collect()
        };
        assert_eq!(
            names(&state),
            [
                "[agents 2]",
                "agents-a.service",
                "agents-b.service",
                "[web 1]",
                "web-a.service"
            ]
        );
        assert_eq!(state.selected.as_deref(), Some("agents-a.service"));
        state.sort = Sort::Memory;
        assert_eq!(names(&state)[1], "agents-b.service");
        state.filter = "WEB".into();
        assert_eq!(names(&state), ["[web 1]", "web-a.service"]);
    }

    #[test]
    fn cpu_is_the_difference_of_two_snapshots() {
        let mut state = TopState::default();
        let mut a = unit("a.service", "agents", 1);
        a.cpu_seconds = Some(10.0);
        state.update(report(vec![a.clone()]), 1_000);
        assert_eq!(state.rows[0].cpu_percent, None);
        a.cpu_seconds = Some(10.5);
        state.update(report(vec![a]), 3_000);
        assert_eq!(state.rows[0].cpu_percent, Some(25.0));
    }

    #[test]
    fn the_selection_moves_within_the_list_and_stays_in_view() {
        let mut state = TopState::default();
        let units = (0..10)
            .map(|i| unit(&format!("u{i}.service"), "agents", i))
            .collect();
        state.update(report(units), 0);
        state.move_selection(-1);
        assert_eq!(state.selected.as_deref(), Some("u0.service"));
        state.move_selection(7);
        state.follow_selection(4);
        assert_eq!(state.selected.as_deref(), Some("u7.service"));
        // Entries: heading, u0..u9; u7 is entry 8: the window of 4 ends there.
        assert_eq!(state.scroll, 5);
        state.move_selection(100);
        assert_eq!(state.selected.as_deref(), Some("u9.service"));
        state.move_selection(-100);
        state.follow_selection(4);
        assert_eq!(state.scroll, 0, "the heading shows with the first unit");
    }

    #[test]
    fn counts_and_findings() {
        let mut state = TopState::default();
        let mut failed = unit("f.service", "agents", 0);
        failed.active_state = "failed".into();
        failed.issues = vec![Issue {
            kind: IssueKind::Failed,
            message: "failed".into(),
        }];
        state.update(report(vec![failed, unit("a.service", "agents", 1)]), 0);
        assert_eq!(state.counts(), (2, 1, 1, 0));
        let failed = state
            .rows
            .iter()
            .find(|row| row.failed())
            .expect("failed row");
        assert_eq!(failed.findings(), ["failed"]);
    }
}
