//! The shipped Grafana dashboard (`packaging/grafana/ecosystemd-units.json`, installed as
//! `/usr/share/ecosystemd/grafana-dashboard.json`) against the Prometheus output: every
//! PromQL expression passes `promtool check rules`, and every metric it names is one
//! that `--format prometheus` writes for a report in which every field is known.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::classify::{Context, Thresholds, report, tests::facts};
use super::model::{CgroupMemory, RestartsSource};
use super::prometheus;
use crate::health::probe::ProbeResult;
use crate::health::{HealthCheck, Target};

const DASHBOARD: &str = include_str!("../../packaging/grafana/ecosystemd-units.json");

/// Grafana's variables, as a query would see them.
const VARIABLES: &[(&str, &str)] = &[
    ("$__rate_interval", "5m"),
    ("$__interval", "1m"),
    ("$ecosystem", ".*"),
    ("$unit", ".*"),
];

/// PromQL words that are not metric names.
const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
];

/// Aggregation operators (`sum by (x) (...)`: not always followed by a parenthesis).
const AGGREGATIONS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];

/// Every expression of the dashboard: panel targets, and the selectors of the
/// templating queries (`label_values(SELECTOR, label)`).
fn expressions(dashboard: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_exprs(&dashboard["panels"], &mut found);
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(query) = variable["query"]["query"].as_str()
            && let Some(inner) = query.strip_prefix("label_values(")
            && let Some((selector, _label)) = inner.rsplit_once(',')
        {
            found.push(selector.to_string());
        }
    }
    found
        .into_iter()
        .map(|e| {
            VARIABLES
                .iter()
                .fold(e, |e, (name, value)| e.replace(name, value))
        })
        .collect()
}

fn collect_exprs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, found)),
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr", Value::String(expr)) => found.push(expr.clone()),
                    _ => collect_exprs(v, found),
                }
            }
        }
        _ => {}
    }
}

/// The metric names an expression refers to: identifiers outside strings, label
/// matchers, grouping lists and ranges that are neither functions nor keywords.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let chars: Vec<char> = expr.chars().collect();
    let (mut i, mut depth_braces, mut grouping) = (0, 0, false);
    let mut in_string = false;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            in_string = c != '"' || chars[i - 1] == '\\';
            i += 1;
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth_braces += 1,
            '}' => depth_braces -= 1,
            '[' => {
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
            }
            ')' => grouping = false,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let next = chars[i..].iter().find(|c| !c.is_whitespace());
                if KEYWORDS.contains(&word.as_str()) {
                    grouping = next == Some(&'(') && word != "bool";
                } else if depth_braces == 0
                    && !grouping
                    && next != Some(&'(')
                    && !AGGREGATIONS.contains(&word.as_str())
                {
                    names.insert(word);
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// The families `--format prometheus` writes when every figure is known.
fn emitted_metrics() -> BTreeSet<String> {
    let mut unit = facts("agents-api.service", "active", "success");
    unit.snapshot.service.cpu_usage_nsec = Some(2_000_000_000);
    unit.snapshot.service.memory_max = Some(100 << 20);
    unit.snapshot.service.memory_high = Some(90 << 20);
    unit.policy.watchdog.health = Some(HealthCheck::new(Target::Tcp {
        address: "127.0.0.1:3000".into(),
    }));
    unit.health = Some(ProbeResult {
        healthy: false,
        detail: "refused".into(),
        elapsed: Duration::ZERO,
    });
    let context = Context {
        now_us: 1_700_000_000_000_000,
        cgroup_memory: CgroupMemory::V2,
        restarts_source: RestartsSource::WatchdogHistory,
    };
    let text = prometheus::render(&report(&[unit], &Thresholds::default(), &context));
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn metric_names_are_read_past_labels_functions_and_groupings() {
    let names = metric_names(
        r#"sum by (ecosystem) (rate(a_total{unit=~"x{y}"}[5m])) / on(unit) b > bool 0"#,
    );
    assert_eq!(names, BTreeSet::from(["a_total".into(), "b".into()]));
}

#[test]
fn the_dashboard_uses_only_emitted_metrics() {
    let dashboard: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let exprs = expressions(&dashboard);
    assert!(exprs.len() >= 10, "only {} expressions found", exprs.len());
    let emitted = emitted_metrics();
    assert!(emitted.contains("ecosystemd_unit_healthy"), "{emitted:?}");
    let mut used = BTreeSet::new();
    for expr in &exprs {
        for name in metric_names(expr) {
            assert!(
                emitted.contains(&name),
                "`{expr}` uses {name}, not emitted: {emitted:?}"
            );
            used.insert(name);
        }
    }
    for wanted in [
        "ecosystemd_unit_memory_max_bytes",
        "ecosystemd_unit_restarts_total",
        "ecosystemd_unit_crash_loop",
        "ecosystemd_unit_oom_kills",
        "ecosystemd_unit_healthy",
    ] {
        assert!(used.contains(wanted), "the dashboard shows no {wanted}");
    }
}

#[test]
fn every_dashboard_expression_passes_promtool() {
    let Ok(version) = Command::new("promtool").arg("--version").output() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "promtool is missing (apt-get install prometheus)"
        );
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
        return;
    };
    assert!(version.status.success());
    let dashboard: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (index, expr) in expressions(&dashboard).iter().enumerate() {
        let quoted = serde_json::to_string(expr).expect("a string");
        rules.push_str(&format!(
            "      - record: dashboard:expr_{index}\n        expr: {quoted}\n"
        ));
    }
    let dir = std::env::temp_dir().join(format!("ecosystemd-dashboard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("rules.yml");
    std::fs::write(&file, &rules).expect("rules file");
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool runs");
    std::fs::remove_dir_all(&dir).expect("cleanup");
    assert!(
        out.status.success(),
        "promtool check rules:\n{}{}\n{rules}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
