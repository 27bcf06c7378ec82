//! `--format table`: the report for people, in aligned columns.
//!
//! Colour (red for failures, yellow for other findings) only when asked for: the caller
//! decides from the terminal and `NO_COLOR`, see [`use_colour`].

use std::fmt::Write;

use super::human;
use super::model::{IssueKind, Report, UnitReport};

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Whether to colour: only on a terminal, and never when `NO_COLOR` is set and not empty
/// (<https://no-color.org>).
pub fn use_colour(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

/// The report as text.
pub fn render(report: &Report, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} units: {} active, {} not active; memory {} total, {} average",
        s.units,
        s.active,
        s.not_active,
        human::bytes(s.memory_bytes_total),
        human::bytes(s.memory_bytes_average),
    );
    let _ = writeln!(
        out,
        "restarts in window from: {}; cgroup memory controller: {}",
        report.sources.restarts_in_window.as_str(),
        report.sources.cgroup_memory.as_str()
    );

    if !report.top_memory.is_empty() {
        let _ = writeln!(out, "\n{}", paint(BOLD, "TOP BY MEMORY"));
        let header = [
            "UNIT", "MEMORY", "MAX", "CPU", "RESTARTS", "WINDOW", "TOTAL", "UPTIME",
        ];
        let rows: Vec<Vec<String>> = report
            .top_memory
            .iter()
            .filter_map(|name| report.units.iter().find(|u| &u.name == name))
            .map(top_row)
            .collect();
        out.push_str(&columns(&header, &rows));
    }

    if s.units == 0 {
        let _ = writeln!(
            out,
            "\nNo managed units found (services whose unit file has an [X-Ecosystemd] section)."
        );
        return out;
    }
    let rows_of = |attention: bool| -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for unit in &report.units {
            for issue in unit.issues.iter() {
                if issue.kind.needs_attention() != attention {
                    continue;
                }
                let kind = issue.kind.as_str();
                let kind = match issue.kind {
                    IssueKind::Failed | IssueKind::MemoryKill | IssueKind::CrashLoop => {
                        paint(RED, kind)
                    }
                    _ => paint(YELLOW, kind),
                };
                rows.push(vec![unit.name.clone(), kind, issue.message.clone()]);
            }
        }
        rows
    };
    let stopped = rows_of(false);
    if !stopped.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(BOLD, "STOPPED (cleanly, not counted as a problem)")
        );
        out.push_str(&columns(&["UNIT", "STATE", "DETAIL"], &stopped));
    }
    let rows = rows_of(true);
    if rows.is_empty() {
        let _ = writeln!(out, "\nAll {} units well.", s.units);
        return out;
    }
    let _ = writeln!(
        out,
        "\n{} ({} failed, {} crash loops, {} memory kills, {} over memory)",
        paint(BOLD, "NEEDS ATTENTION"),
        s.failed,
        s.crash_loops,
        s.memory_kills,
        s.over_memory
    );
    out.push_str(&columns(&["UNIT", "ISSUE", "DETAIL"], &rows));
    out
}

/// One line for logs and the journal: the totals and the units that need attention.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut line = format!(
        "{} units: {} active, {} failed, {} not active, {} crash loops, {} memory kills, \
         {} over memory; memory {} total",
        s.units,
        s.active,
        s.failed,
        s.not_active - s.failed,
        s.crash_loops,
        s.memory_kills,
        s.over_memory,
        human::bytes(s.memory_bytes_total),
    );
    let troubled: Vec<String> = report
        .units
        .iter()
        .filter(|u| u.needs_attention())
        .map(|u| {
            let kinds: Vec<&str> = u
                .issues
                .iter()
                .filter(|i| i.kind.needs_attention())
                .map(|i| i.kind.as_str())
                .collect();
            format!("{} ({})", u.name, kinds.join(", "))
        })
        .collect();
    if troubled.is_empty() {
        line.push_str("; all well");
    } else {
        let _ = write!(line, "; needs attention: {}", troubled.join(", "));
    }
    line.push('\n');
    line
}

fn top_row(unit: &UnitReport) -> Vec<String> {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_string());
    vec![
        unit.name.clone(),
        or_dash(unit.memory_bytes.map(human::bytes)),
        or_dash(unit.memory_max_bytes.map(human::bytes)),
        or_dash(unit.cpu_seconds.map(|s| format!("{s:.1}s"))),
        or_dash(unit.restarts_window.map(|n| n.to_string())),
        human::duration(unit.window_seconds),
        unit.restarts_total.to_string(),
        or_dash(unit.uptime_seconds.map(human::duration)),
    ]
}

/// Aligns `rows` under `header`, left-aligned, two spaces apart. Widths ignore colour
/// escapes.
fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(visible_width(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = width - visible_width(cell) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// Characters that show, leaving out ANSI colour escapes.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::model::*;
    use super::*;

    pub(crate) fn sample_unit(name: &str, memory: Option<u64>, issues: Vec<Issue>) -> UnitReport {
        UnitReport {
            name: name.to_string(),
            ecosystem: "agents".into(),
            app: name.trim_end_matches(".service").into(),
            load_state: "loaded".into(),
            active_state: if issues.is_empty() {
                "active"
            } else {
                "failed"
            }
            .into(),
            sub_state: "running".into(),
            result: "success".into(),
            main_pid: Some(7),
            memory_bytes: memory,
            memory_max_bytes: Some(100 << 20),
            memory_high_bytes: None,
            memory_peak_bytes: None,
            cpu_seconds: Some(1.25),
            tasks: Some(7),
            uptime_seconds: Some(3700),
            restarts_total: 4,
            restarts_window: Some(1),
            window_seconds: 3600,
            memory_kills_window: Some(0),
            main_exit: None,
            memory_kill: None,
            health: None,
            issues,
        }
    }

    pub(crate) fn sample(issues: Vec<Issue>) -> Report {
        let units = vec![
            sample_unit("agents-a.service", Some(30 << 20), Vec::new()),
            sample_unit("agents-longer-name.service", Some(60 << 20), issues),
        ];
        let needs_attention = units.iter().any(UnitReport::needs_attention);
        Report {
            schema_version: SCHEMA_VERSION,
            generated_at: 1_700_000_000,
            sources: Sources {
                restarts_in_window: RestartsSource::Journal,
                cgroup_memory: CgroupMemory::V1,
            },
            summary: Summary {
                units: 2,
                active: 2,
                not_active: 0,
                failed: 0,
                memory_bytes_total: 90 << 20,
                memory_bytes_average: 45 << 20,
                crash_loops: 0,
                memory_kills: 0,
                over_memory: 0,
                needs_attention,
            },
            top_memory: vec![
                "agents-longer-name.service".into(),
                "agents-a.service".into(),
            ],
            units,
        }
    }

    #[test]
    fn columns_line_up() {
        let text = render(&sample(Vec::new()), false);
        let expected = "\
2 units: 2 active, 0 not active; memory 90.0 MiB total, 45.0 MiB average
restarts in window from: journal; cgroup memory controller: v1

TOP BY MEMORY
UNIT                        MEMORY    MAX        CPU   RESTARTS  WINDOW  TOTAL  UPTIME
agents-longer-name.service  60.0 MiB  100.0 MiB  1.2s  1         1h      4      1h 1m
agents-a.service            30.0 MiB  100.0 MiB  1.2s  1         1h      4      1h 1m

All 2 units well.
";
        assert_eq!(text, expected);
    }

    #[test]
    fn findings_are_listed_and_coloured_only_when_asked() {
        let issues = vec![Issue {
            kind: IssueKind::Failed,
            message: "failed: Result=signal".into(),
        }];
        let plain = render(&sample(issues.clone()), false);
        assert!(plain.contains(
            "UNIT                        ISSUE   DETAIL\n\
             agents-longer-name.service  failed  failed: Result=signal\n"
        ));
        assert!(!plain.contains('\x1b'));
        let coloured = render(&sample(issues), true);
        assert!(coloured.contains(&format!("{RED}failed{RESET}  failed: Result=signal")));
    }

    #[test]
    fn the_summary_line_names_what_needs_attention() {
        assert!(summary_line(&sample(Vec::new())).ends_with("memory 90.0 MiB total; all well\n"));
        let issues = vec![Issue {
            kind: IssueKind::CrashLoop,
            message: "x".into(),
        }];
        assert!(
            summary_line(&sample(issues))
                .ends_with("; needs attention: agents-longer-name.service (crash-loop)\n")
        );
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("")));
        assert!(!use_colour(true, Some("1")));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn escapes_take_no_width() {
        assert_eq!(visible_width(&format!("{RED}failed{RESET}")), 6);
    }
}
