//! `--format prometheus`: the text exposition format, for node_exporter's textfile
//! collector (`--output DIR/ecosystemd.prom`, written atomically).
//!
//! Per-unit samples carry the labels `unit` and `ecosystem`. A sample whose value
//! systemd does not know (memory of a stopped unit, CPU without `CPUAccounting=`) is left
//! out rather than written as 0.

use std::fmt::Write;

use super::health::HealthStatus;
use super::model::{IssueKind, Report, UnitReport};

/// One metric family: name, type, help, and how to get a unit's value.
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    value: fn(&UnitReport) -> Option<f64>,
}

fn flag(value: bool) -> Option<f64> {
    Some(if value { 1.0 } else { 0.0 })
}

/// The per-unit metric families, in output order.
const UNIT_FAMILIES: &[Family] = &[
    Family {
        name: "ecosystemd_unit_active",
        kind: "gauge",
        help: "Whether the unit is active (ActiveState=active).",
        value: |u| flag(u.active_state == "active"),
    },
    Family {
        name: "ecosystemd_unit_failed",
        kind: "gauge",
        help: "Whether the unit is failed (ActiveState=failed).",
        value: |u| flag(u.active_state == "failed"),
    },
    Family {
        name: "ecosystemd_unit_memory_bytes",
        kind: "gauge",
        help: "Memory used by the unit's cgroup (MemoryCurrent).",
        value: |u| u.memory_bytes.map(|b| b as f64),
    },
    Family {
        name: "ecosystemd_unit_memory_max_bytes",
        kind: "gauge",
        help: "The unit's memory limit (MemoryMax=), when set.",
        value: |u| u.memory_max_bytes.map(|b| b as f64),
    },
    Family {
        name: "ecosystemd_unit_memory_high_bytes",
        kind: "gauge",
        help: "The unit's memory throttling threshold (MemoryHigh=), when set.",
        value: |u| u.memory_high_bytes.map(|b| b as f64),
    },
    Family {
        name: "ecosystemd_unit_cpu_seconds_total",
        kind: "counter",
        help: "CPU time used by the unit (CPUUsageNSec), with CPUAccounting=yes.",
        value: |u| u.cpu_seconds,
    },
    Family {
        name: "ecosystemd_unit_tasks",
        kind: "gauge",
        help: "Tasks in the unit's cgroup (TasksCurrent).",
        value: |u| u.tasks.map(|t| t as f64),
    },
    Family {
        name: "ecosystemd_unit_up_seconds",
        kind: "gauge",
        help: "Seconds since the unit became active, while it is.",
        value: |u| u.uptime_seconds.map(|s| s as f64),
    },
    Family {
        name: "ecosystemd_unit_restarts_total",
        kind: "counter",
        help: "Automatic restarts since the unit was loaded or reset (NRestarts).",
        value: |u| Some(f64::from(u.restarts_total)),
    },
    Family {
        name: "ecosystemd_unit_restarts_window",
        kind: "gauge",
        help: "Automatic restarts within the unit's window (see ecosystemd_unit_window_seconds).",
        value: |u| u.restarts_window.map(|n| n as f64),
    },
    Family {
        name: "ecosystemd_unit_window_seconds",
        kind: "gauge",
        help: "The window restarts and memory kills are counted in.",
        value: |u| Some(u.window_seconds as f64),
    },
    Family {
        name: "ecosystemd_unit_oom_kills",
        kind: "gauge",
        help: "Kills by the unit's memory limit within its window.",
        value: |u| u.memory_kills_window.map(|n| n as f64),
    },
    Family {
        name: "ecosystemd_unit_memory_killed",
        kind: "gauge",
        help: "Whether the unit's last exit was a kill by its memory limit.",
        value: |u| flag(u.memory_kill.is_some()),
    },
    Family {
        name: "ecosystemd_unit_crash_loop",
        kind: "gauge",
        help: "Whether the unit is in a crash loop (restarts within its window or start limit hit).",
        value: |u| flag(u.has(IssueKind::CrashLoop)),
    },
    Family {
        name: "ecosystemd_unit_healthy",
        kind: "gauge",
        help: "Whether the unit's health check passed (1), failed (0); absent without a check or while not running.",
        value: |u| {
            u.health.as_ref().map(|h| {
                if h.status == HealthStatus::Unhealthy {
                    0.0
                } else {
                    1.0
                }
            })
        },
    },
    Family {
        name: "ecosystemd_unit_issues",
        kind: "gauge",
        help: "Findings that need attention for the unit.",
        value: |u| Some(u.issues.iter().filter(|i| i.kind.needs_attention()).count() as f64),
    },
];

/// The report in the Prometheus text exposition format.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let mut scalar = |name: &str, kind: &str, help: &str, value: f64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    scalar(
        "ecosystemd_units",
        "gauge",
        "Units managed by ecosystemd in the report.",
        s.units as f64,
    );
    scalar(
        "ecosystemd_units_active",
        "gauge",
        "Of them, active.",
        s.active as f64,
    );
    scalar(
        "ecosystemd_units_memory_bytes",
        "gauge",
        "Memory used by all of them.",
        s.memory_bytes_total as f64,
    );
    scalar(
        "ecosystemd_units_needing_attention",
        "gauge",
        "Units with at least one finding.",
        report.units.iter().filter(|u| u.needs_attention()).count() as f64,
    );
    scalar(
        "ecosystemd_report_timestamp_seconds",
        "gauge",
        "When the report was made (seconds since the epoch).",
        report.generated_at as f64,
    );
    let _ = writeln!(
        out,
        "# HELP ecosystemd_report_info Where the report's window figures came from.\n\
         # TYPE ecosystemd_report_info gauge\n\
         ecosystemd_report_info{{restarts_source=\"{}\",cgroup_memory=\"{}\"}} 1",
        report.sources.restarts_in_window.as_str(),
        report.sources.cgroup_memory.as_str()
    );
    for family in UNIT_FAMILIES {
        let samples: Vec<(&UnitReport, f64)> = report
            .units
            .iter()
            .filter_map(|u| (family.value)(u).map(|v| (u, v)))
            .collect();
        if samples.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "# HELP {0} {1}\n# TYPE {0} {2}",
            family.name, family.help, family.kind
        );
        for (unit, value) in samples {
            let _ = writeln!(
                out,
                "{}{{unit=\"{}\",ecosystem=\"{}\"}} {value}",
                family.name,
                escape_label(&unit.name),
                escape_label(&unit.ecosystem)
            );
        }
    }
    out
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::*;
    use super::*;

    fn unit(name: &str, memory: Option<u64>) -> UnitReport {
        UnitReport {
            name: name.to_string(),
            ecosystem: "agents".into(),
            app: "a".into(),
            load_state: "loaded".into(),
            active_state: "active".into(),
            sub_state: "running".into(),
            result: "success".into(),
            main_pid: Some(7),
            memory_bytes: memory,
            memory_max_bytes: None,
            memory_high_bytes: None,
            memory_peak_bytes: None,
            cpu_seconds: None,
            tasks: Some(3),
            uptime_seconds: Some(60),
            restarts_total: 2,
            restarts_window: Some(1),
            window_seconds: 300,
            memory_kills_window: None,
            main_exit: None,
            memory_kill: None,
            health: None,
            issues: Vec::new(),
        }
    }

    fn report(units: Vec<UnitReport>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            generated_at: 1_700_000_000,
            sources: Sources {
                restarts_in_window: RestartsSource::WatchdogHistory,
                cgroup_memory: CgroupMemory::V2,
            },
            summary: Summary {
                units: units.len(),
                active: units.len(),
                not_active: 0,
                failed: 0,
                memory_bytes_total: 1024,
                memory_bytes_average: 1024,
                crash_loops: 0,
                memory_kills: 0,
                over_memory: 0,
                needs_attention: false,
            },
            top_memory: Vec::new(),
            units,
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a\x2db"c"#), r#"a\\x2db\"c"#);
        assert_eq!(escape_label("a\nb"), "a\\nb");
    }

    #[test]
    fn families_have_help_type_and_labelled_samples() {
        let text = render(&report(vec![
            unit("agents-a.service", Some(1024)),
            unit("agents-b\\x2d1.service", None),
        ]));
        assert!(text.contains(
            "# HELP ecosystemd_units Units managed by ecosystemd in the report.\n\
             # TYPE ecosystemd_units gauge\n\
             ecosystemd_units 2\n"
        ));
        assert!(text.contains(
            "# TYPE ecosystemd_unit_memory_bytes gauge\n\
             ecosystemd_unit_memory_bytes{unit=\"agents-a.service\",ecosystem=\"agents\"} 1024\n#"
        ));
        // Unknown values are left out, not written as 0.
        assert!(!text.contains("ecosystemd_unit_memory_bytes{unit=\"agents-b"));
        assert!(!text.contains("ecosystemd_unit_cpu_seconds_total"));
        assert!(text.contains(
            "ecosystemd_unit_restarts_total{unit=\"agents-b\\\\x2d1.service\",ecosystem=\"agents\"} 2\n"
        ));
        assert!(text.contains("# TYPE ecosystemd_unit_restarts_total counter\n"));
        assert!(text.contains(
            "ecosystemd_report_info{restarts_source=\"watchdog-history\",cgroup_memory=\"v2\"} 1\n"
        ));
        // Every family is declared once, before its samples.
        for family in UNIT_FAMILIES {
            assert!(text.matches(&format!("# TYPE {} ", family.name)).count() <= 1);
        }
    }

    #[test]
    fn an_empty_fleet_still_has_the_totals() {
        let text = render(&report(Vec::new()));
        assert!(text.contains("ecosystemd_units 0\n"));
        assert!(!text.contains("ecosystemd_unit_"));
    }
}
