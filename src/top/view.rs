//! The screen as lines: header, column titles, the grouped list, the selected unit's
//! journal, and a status line; or the key help. Pure (state and size in, styled lines
//! out), so what a person sees is tested without a terminal. Colours only when asked
//! (never under `NO_COLOR`); the selection is shown reversed either way.

use super::keys::HELP;
use super::state::{Entry, Row, TopState};
use super::styled::{Color, Line, Span, Style};
use crate::report::health::HealthStatus;
use crate::report::human;

/// The smallest list that is still useful; below it the journal gives way.
const MIN_LIST: usize = 5;

/// How the lines of a screen of `height` are shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Lines for the list (after the header and column titles).
    pub list: usize,
    /// Lines for the journal (after its title); 0 when there is no room.
    pub journal: usize,
}

impl Layout {
    /// The layout of a screen `height` lines tall.
    pub fn for_height(height: usize) -> Self {
        let body = height.saturating_sub(3); // header, column titles, status
        let journal = (height / 4).clamp(3, 12);
        if body > MIN_LIST + journal {
            Self {
                list: body - journal - 1,
                journal,
            }
        } else {
            Self {
                list: body,
                journal: 0,
            }
        }
    }
}

/// The columns shown at a given width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    unit: usize,
    bar: usize,
    tasks: bool,
    uptime: bool,
    wide_health: bool,
}

const STATE_W: usize = 9;
const BYTES_W: usize = 6;
const CPU_W: usize = 6;
const TASKS_W: usize = 5;
const UP_W: usize = 7;
const RESTARTS_W: usize = 7;

impl Columns {
    fn fit(width: usize, longest_name: usize) -> Self {
        let mut columns = Self {
            unit: longest_name.clamp(12, 40),
            bar: 10,
            tasks: true,
            uptime: true,
            wide_health: true,
        };
        // Give way in this order until the fixed columns leave room for findings.
        let steps: [fn(&mut Self); 4] = [
            |c| c.tasks = false,
            |c| c.uptime = false,
            |c| c.wide_health = false,
            |c| c.bar = 6,
        ];
        for step in steps {
            if columns.fixed() + 12 <= width {
                break;
            }
            step(&mut columns);
        }
        if columns.fixed() > width {
            let over = columns.fixed() - width;
            columns.unit = columns.unit.saturating_sub(over).max(12);
        }
        columns
    }

    fn health_w(self) -> usize {
        if self.wide_health { 9 } else { 5 }
    }

    /// The width of everything but the findings.
    fn fixed(self) -> usize {
        let mut w = self.unit + 1 + STATE_W + 1 + BYTES_W + 1 + self.bar + 1 + BYTES_W + 1;
        w += CPU_W + 1 + RESTARTS_W + 1 + self.health_w() + 1;
        if self.tasks {
            w += TASKS_W + 1;
        }
        if self.uptime {
            w += UP_W + 1;
        }
        w
    }
}

/// The whole screen: exactly `height` lines, none wider than `width`.
pub fn render(state: &TopState, width: usize, height: usize, colour: bool) -> Vec<Line> {
    let paint = Painter { colour };
    let layout = Layout::for_height(height);
    let longest = state
        .rows
        .iter()
        .map(|r| r.unit.name.len())
        .max()
        .unwrap_or(12);
    let columns = Columns::fit(width, longest);
    let mut lines = vec![header(state, width, paint)];
    if state.help {
        lines.extend(help(width));
    } else {
        lines.push(Line::from(Span::styled(
            fit(&titles(columns), width),
            paint.style(true, None),
        )));
        lines.extend(list(state, columns, width, layout.list, paint));
        if layout.journal > 0 {
            lines.extend(journal(state, width, layout.journal, paint));
        }
    }
    lines.truncate(height.saturating_sub(1));
    while lines.len() + 1 < height {
        lines.push(Line::from(""));
    }
    if height > 0 {
        lines.push(status(state, width, paint));
    }
    lines
}

#[derive(Clone, Copy)]
struct Painter {
    colour: bool,
}

impl Painter {
    fn style(self, bold: bool, colour: Option<Color>) -> Style {
        let style = if bold {
            Style::PLAIN.bold()
        } else {
            Style::PLAIN
        };
        match colour {
            Some(c) if self.colour => style.fg(c),
            _ => style,
        }
    }
}

fn header(state: &TopState, width: usize, paint: Painter) -> Line {
    let (units, active, failed, unhealthy) = state.counts();
    let mut text = format!(
        "unit-watchdog top  {units} units: {active} active, {failed} failed, {unhealthy} unhealthy  sort: {}",
        state.sort.as_str()
    );
    if !state.filter.is_empty() {
        text.push_str(&format!("  filter: {}", state.filter));
    }
    if state.stale {
        text.push_str("  (snapshot failed: showing the last one)");
    }
    text.push_str("  ? keys");
    Line::from(Span::styled(fit(&text, width), paint.style(true, None)))
}

fn titles(c: Columns) -> String {
    let mut t = format!(
        "{:<uw$} {:<STATE_W$} {:>BYTES_W$} {:<bw$} {:>BYTES_W$} {:>CPU_W$} ",
        "UNIT",
        "STATE",
        "MEM",
        "",
        "MAX",
        "CPU",
        uw = c.unit,
        bw = c.bar
    );
    if c.tasks {
        t.push_str(&format!("{:>TASKS_W$} ", "TASKS"));
    }
    if c.uptime {
        t.push_str(&format!("{:>UP_W$} ", "UP"));
    }
    t.push_str(&format!(
        "{:>RESTARTS_W$} {:<hw$} FINDINGS",
        "RST/WIN",
        "HEALTH",
        hw = c.health_w()
    ));
    t
}

fn list(
    state: &TopState,
    columns: Columns,
    width: usize,
    height: usize,
    paint: Painter,
) -> Vec<Line> {
    let entries = state.entries();
    if entries.is_empty() {
        let text = if state.rows.is_empty() {
            "No managed units (services whose unit file has an [X-Ecosystemd] section)."
        } else {
            "No unit matches the filter."
        };
        return vec![Line::from(fit(text, width))];
    }
    entries
        .iter()
        .skip(state.scroll)
        .take(height)
        .map(|entry| match entry {
            Entry::Group(name, count) => Line::from(Span::styled(
                fit(&format!("{name} ({count})"), width),
                paint.style(true, Some(Color::Cyan)),
            )),
            Entry::Unit(row) => {
                let selected = state.selected.as_ref() == Some(&row.unit.name);
                unit_line(row, columns, width, selected, paint)
            }
        })
        .collect()
}

fn unit_line(row: &Row, c: Columns, width: usize, selected: bool, paint: Painter) -> Line {
    let u = &row.unit;
    let state_word = if u.active_state == "active" {
        u.sub_state.clone()
    } else {
        u.active_state.clone()
    };
    let state_colour = match u.active_state.as_str() {
        "active" => None,
        "failed" => Some(Color::Red),
        _ => Some(Color::Yellow),
    };
    let bytes = |b: Option<u64>| b.map_or("-".to_string(), compact_bytes);
    let (bar, bar_colour) = bar(u.memory_bytes, u.memory_max_bytes, c.bar);
    let cpu = row.cpu_percent.map_or("-".into(), |p| format!("{p:.1}%"));
    let mut spans = vec![
        Span::raw(format!("{:<w$} ", cut(&u.name, c.unit), w = c.unit)),
        Span::styled(
            format!("{:<STATE_W$} ", cut(&state_word, STATE_W)),
            paint.style(false, state_colour),
        ),
        Span::raw(format!("{:>BYTES_W$} ", bytes(u.memory_bytes))),
        Span::styled(format!("{bar} "), paint.style(false, bar_colour)),
        Span::raw(format!(
            "{:>BYTES_W$} {cpu:>CPU_W$} ",
            bytes(u.memory_max_bytes)
        )),
    ];
    if c.tasks {
        let tasks = u.tasks.map_or("-".into(), |t| t.to_string());
        spans.push(Span::raw(format!("{tasks:>TASKS_W$} ")));
    }
    if c.uptime {
        let up = u.uptime_seconds.map_or("-".into(), human::duration);
        spans.push(Span::raw(format!("{:>UP_W$} ", up.replace(' ', ""))));
    }
    let window = u.restarts_window.map_or("-".into(), |n| n.to_string());
    spans.push(Span::raw(format!(
        "{:>RESTARTS_W$} ",
        format!("{}/{window}", u.restarts_total)
    )));
    let (health, health_colour) = health_word(row, c.wide_health);
    spans.push(Span::styled(
        format!("{health:<w$} ", w = c.health_w()),
        paint.style(false, health_colour),
    ));
    let findings = row.findings().join(",");
    spans.push(Span::styled(findings, paint.style(true, Some(Color::Red))));
    let mut line = clip(Line::from(spans), width);
    if selected {
        line = line.style(Style::PLAIN.reversed());
    }
    line
}

/// A bar of `width` cells: memory's share of the limit; blank without a limit.
fn bar(memory: Option<u64>, max: Option<u64>, width: usize) -> (String, Option<Color>) {
    let (Some(memory), Some(max)) = (memory, max.filter(|&m| m > 0)) else {
        return (" ".repeat(width), None);
    };
    let share = memory as f64 / max as f64;
    let inner = width.saturating_sub(2);
    let filled = ((share * inner as f64).round() as usize).min(inner);
    let colour = match share {
        s if s >= 0.9 => Color::Red,
        s if s >= 0.7 => Color::Yellow,
        _ => Color::Green,
    };
    (
        format!("[{}{}]", "#".repeat(filled), ".".repeat(inner - filled)),
        Some(colour),
    )
}

fn health_word(row: &Row, wide: bool) -> (&'static str, Option<Color>) {
    match row.unit.health.as_ref().map(|h| h.status) {
        None => ("-", None),
        Some(HealthStatus::Healthy) => (if wide { "healthy" } else { "ok" }, Some(Color::Green)),
        Some(HealthStatus::Starting) => {
            (if wide { "starting" } else { "start" }, Some(Color::Yellow))
        }
        Some(HealthStatus::Unhealthy) => {
            (if wide { "UNHEALTHY" } else { "SICK" }, Some(Color::Red))
        }
    }
}

fn journal(state: &TopState, width: usize, height: usize, paint: Painter) -> Vec<Line> {
    let title = match &state.selected {
        Some(unit) => format!("-- journal: {unit} (following) "),
        None => "-- journal ".to_string(),
    };
    let title = format!("{title}{}", "-".repeat(width.saturating_sub(title.len())));
    let mut lines = vec![Line::from(Span::styled(
        fit(&title, width),
        paint.style(true, None),
    ))];
    let start = state.journal.len().saturating_sub(height);
    lines.extend(
        state.journal[start..]
            .iter()
            .map(|l| Line::from(fit(l, width))),
    );
    lines.extend((lines.len()..=height).map(|_| Line::from("")));
    lines
}

fn status(state: &TopState, width: usize, paint: Painter) -> Line {
    let (text, style) = if let Some((action, unit)) = &state.confirm {
        (
            format!("{} {unit}? y: yes, any other key: no", action.as_str()),
            paint.style(true, Some(Color::Yellow)),
        )
    } else if state.editing_filter {
        (format!("filter: {}_", state.filter), Style::PLAIN)
    } else if let Some(message) = &state.message {
        (message.clone(), paint.style(true, None))
    } else if let Some(row) = state.selected_row() {
        (selected_detail(row), Style::PLAIN)
    } else {
        ("? keys  q quit".to_string(), Style::PLAIN)
    };
    Line::from(Span::styled(fit(&text, width), style))
}

fn selected_detail(row: &Row) -> String {
    let u = &row.unit;
    let mut text = u.name.clone();
    if let Some(pid) = u.main_pid {
        text.push_str(&format!("  pid {pid}"));
    }
    for issue in u.issues.iter().filter(|i| i.kind.needs_attention()) {
        text.push_str(&format!("  {}", issue.message));
    }
    if let Some(health) = &u.health {
        text.push_str(&format!(
            "  health: {} ({})",
            health.status.as_str(),
            health.detail
        ));
    }
    text
}

fn help(width: usize) -> Vec<Line> {
    let mut lines = vec![Line::from(fit("Keys (any key closes this help)", width))];
    lines.extend(
        HELP.iter()
            .map(|(key, what)| Line::from(fit(&format!("  {key:<22} {what}"), width))),
    );
    lines
}

/// `48.2M`: a size in at most 6 characters.
pub fn compact_bytes(value: u64) -> String {
    const UNITS: [char; 5] = ['K', 'M', 'G', 'T', 'P'];
    if value < 1024 {
        return format!("{value}B");
    }
    let mut scaled = value as f64 / 1024.0;
    let mut unit = 0;
    while scaled >= 1000.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    if scaled >= 100.0 {
        format!("{scaled:.0}{}", UNITS[unit])
    } else {
        format!("{scaled:.1}{}", UNITS[unit])
    }
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('~');
    out
}

fn fit(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// Cuts a line's spans to `width` characters.
fn clip(line: Line, width: usize) -> Line {
    let mut left = width;
    let spans = line
        .spans
        .into_iter()
        .filter_map(|span| {
            if left == 0 {
                return None;
            }
            let text: String = span.content.chars().take(left).collect();
            left -= text.chars().count();
            Some(Span::styled(text, span.style))
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::health::UnitHealth;
    use crate::report::model::{Issue, IssueKind};
    use crate::top::state::tests::{report, unit};

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(Line::text).collect()
    }

    fn fleet(n: usize) -> TopState {
        let mut units: Vec<_> = (0..n)
            .map(|i| {
                unit(
                    &format!("agents-agent-{i:02}.service"),
                    "agents",
                    (20 + i as u64) << 20,
                )
            })
            .collect();
        units[1].active_state = "failed".into();
        units[1].memory_bytes = None;
        units[1].issues = vec![Issue {
            kind: IssueKind::Failed,
            message: "failed: Result=exit-code, exited with status 3".into(),
        }];
        units[2].health = Some(UnitHealth {
            status: HealthStatus::Unhealthy,
            check: "http://127.0.0.1:3002/health".into(),
            detail: "no answer within 5000 ms".into(),
        });
        units[2].issues = vec![Issue {
            kind: IssueKind::Unhealthy,
            message: "health check failed".into(),
        }];
        let mut state = TopState::default();
        state.update(report(units), 0);
        state.journal = vec!["Dec 05 08:00:00 agent-00[42]: listening on 3000".into()];
        state
    }

    #[test]
    fn every_line_fits_80_by_24_and_keeps_the_essentials() {
        let state = fleet(30);
        let lines = text(&render(&state, 80, 24, false));
        assert_eq!(lines.len(), 24);
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{lines:#?}");
        assert!(
            lines[0].contains("30 units: 29 active, 1 failed, 1 unhealthy"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("UNIT") && lines[1].contains("MEM") && lines[1].contains("MAX")
        );
        assert_eq!(lines[2], "agents (30)");
        let first = &lines[3];
        assert!(first.contains("agents-agent-00.service"), "{first}");
        assert!(first.contains("20.0M") && first.contains("100M"), "{first}");
        assert!(first.contains("[#"), "a bar: {first}");
        let failed = &lines[4];
        assert!(failed.contains("failed"), "{failed}");
        assert!(lines[5].contains("SICK"), "{}", lines[5]);
        let journal_at = lines
            .iter()
            .position(|l| l.starts_with("-- journal: agents-agent-00"))
            .expect("journal title");
        assert!(lines[journal_at + 1].contains("listening on 3000"));
        assert!(
            lines[23].starts_with("agents-agent-00.service  pid 7"),
            "{}",
            lines[23]
        );
    }

    #[test]
    fn a_wide_screen_shows_every_column_and_the_findings() {
        let state = fleet(3);
        let lines = text(&render(&state, 160, 40, false));
        assert!(
            lines[1].contains("TASKS") && lines[1].contains("UP") && lines[1].contains("FINDINGS")
        );
        assert!(lines[4].ends_with("failed"), "{}", lines[4]);
        assert!(
            lines[5].contains("UNHEALTHY") && lines[5].contains("unhealthy"),
            "{}",
            lines[5]
        );
    }

    #[test]
    fn colour_only_when_asked_and_the_selection_is_reversed() {
        let state = fleet(3);
        let plain = render(&state, 120, 30, false);
        let any_colour = |lines: &[Line]| {
            lines
                .iter()
                .flat_map(|l| &l.spans)
                .any(|s| s.style.fg.is_some())
        };
        assert!(!any_colour(&plain));
        assert!(any_colour(&render(&state, 120, 30, true)));
        assert!(plain[3].style.reversed);
        assert!(!plain[4].style.reversed);
    }

    #[test]
    fn confirmations_help_and_tiny_screens() {
        let mut state = fleet(3);
        state.confirm = Some((
            super::super::state::Action::Restart,
            "agents-agent-00.service".into(),
        ));
        let lines = text(&render(&state, 80, 24, false));
        assert_eq!(
            lines[23],
            "restart agents-agent-00.service? y: yes, any other key: no"
        );
        state.confirm = None;
        state.help = true;
        let lines = text(&render(&state, 80, 24, false));
        assert!(
            lines
                .iter()
                .any(|l| l.contains("restart the selected unit"))
        );
        let tiny = render(&state, 10, 3, false);
        assert_eq!(tiny.len(), 3);
        assert_eq!(
            Layout::for_height(24),
            Layout {
                list: 14,
                journal: 6
            }
        );
        assert_eq!(Layout::for_height(10).journal, 0);
    }

    #[test]
    fn sizes_and_bars() {
        assert_eq!(compact_bytes(512), "512B");
        assert_eq!(compact_bytes(50 << 20), "50.0M");
        assert_eq!(compact_bytes(512 << 20), "512M");
        assert_eq!(compact_bytes(1000 << 20), "1.0G");
        assert_eq!(bar(Some(50), Some(100), 10).0, "[####....]");
        assert_eq!(bar(Some(95), Some(100), 10).1, Some(Color::Red));
        assert_eq!(bar(Some(1), None, 6).0, "      ");
    }
}
