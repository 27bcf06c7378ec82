//! `--format json`: the report as one JSON document (schema in the README; its version
//! is [`super::model::SCHEMA_VERSION`]).

use super::model::Report;

/// The report as pretty-printed JSON, ending with a newline.
pub fn render(report: &Report) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::super::model::*;
    use super::*;

    /// A report with every field set, once with values and once empty.
    fn sample() -> Report {
        let failed = UnitReport {
            name: "agents-api.service".into(),
            ecosystem: "agents".into(),
            app: "api".into(),
            load_state: "loaded".into(),
            active_state: "failed".into(),
            sub_state: "failed".into(),
            result: "signal".into(),
            main_pid: None,
            memory_bytes: None,
            memory_max_bytes: Some(52_428_800),
            memory_high_bytes: None,
            memory_peak_bytes: None,
            cpu_seconds: None,
            tasks: None,
            uptime_seconds: None,
            restarts_total: 3,
            restarts_window: Some(3),
            window_seconds: 300,
            memory_kills_window: Some(1),
            main_exit: Some(MainExit {
                code: ExitCode::Killed,
                status: 9,
            }),
            memory_kill: Some(MemoryKillEvidence::SigkillWithMemoryLimit),
            health: None,
            issues: vec![
                Issue {
                    kind: IssueKind::Failed,
                    message: "failed: Result=signal, main process killed by signal 9".into(),
                },
                Issue {
                    kind: IssueKind::MemoryKill,
                    message: "killed at MemoryMax=50.0 MiB".into(),
                },
            ],
        };
        let running = UnitReport {
            name: "agents-web.service".into(),
            app: "web".into(),
            active_state: "active".into(),
            sub_state: "running".into(),
            result: "success".into(),
            main_pid: Some(4242),
            memory_bytes: Some(41_943_040),
            memory_max_bytes: Some(104_857_600),
            memory_high_bytes: Some(94_371_840),
            memory_peak_bytes: Some(50_000_000),
            cpu_seconds: Some(1.5),
            tasks: Some(11),
            uptime_seconds: Some(3600),
            restarts_total: 0,
            restarts_window: Some(0),
            memory_kills_window: Some(0),
            main_exit: None,
            memory_kill: None,
            health: Some(crate::report::health::UnitHealth {
                status: crate::report::health::HealthStatus::Healthy,
                check: "http://127.0.0.1:3000/health".into(),
                detail: "HTTP 200".into(),
            }),
            issues: Vec::new(),
            ..failed.clone()
        };
        Report {
            schema_version: SCHEMA_VERSION,
            generated_at: 1_700_000_000,
            sources: Sources {
                restarts_in_window: RestartsSource::WatchdogHistory,
                cgroup_memory: CgroupMemory::V1,
            },
            summary: Summary {
                units: 2,
                active: 1,
                not_active: 1,
                failed: 1,
                memory_bytes_total: 41_943_040,
                memory_bytes_average: 41_943_040,
                crash_loops: 0,
                memory_kills: 1,
                over_memory: 0,
                needs_attention: true,
            },
            top_memory: vec!["agents-web.service".into()],
            units: vec![failed, running],
        }
    }

    /// The schema is a contract with scripts and dashboards: this pins every name, type
    /// and nesting of version 1. Changing it means bumping `SCHEMA_VERSION`.
    #[test]
    fn schema_version_1_is_pinned() {
        assert_eq!(SCHEMA_VERSION, 1);
        let expected = r#"{
  "schema_version": 1,
  "generated_at": 1700000000,
  "sources": {
    "restarts_in_window": "watchdog-history",
    "cgroup_memory": "v1"
  },
  "summary": {
    "units": 2,
    "active": 1,
    "not_active": 1,
    "failed": 1,
    "memory_bytes_total": 41943040,
    "memory_bytes_average": 41943040,
    "crash_loops": 0,
    "memory_kills": 1,
    "over_memory": 0,
    "needs_attention": true
  },
  "top_memory": [
    "agents-web.service"
  ],
  "units": [
    {
      "name": "agents-api.service",
      "ecosystem": "agents",
      "app": "api",
      "load_state": "loaded",
      "active_state": "failed",
      "sub_state": "failed",
      "result": "signal",
      "main_pid": null,
      "memory_bytes": null,
      "memory_max_bytes": 52428800,
      "memory_high_bytes": null,
      "memory_peak_bytes": null,
      "cpu_seconds": null,
      "tasks": null,
      "uptime_seconds": null,
      "restarts_total": 3,
      "restarts_window": 3,
      "window_seconds": 300,
      "memory_kills_window": 1,
      "main_exit": {
        "code": "killed",
        "status": 9
      },
      "memory_kill": "sigkill-with-memory-limit",
      "health": null,
      "issues": [
        {
          "kind": "failed",
          "message": "failed: Result=signal, main process killed by signal 9"
        },
        {
          "kind": "memory-kill",
          "message": "killed at MemoryMax=50.0 MiB"
        }
      ]
    },
    {
      "name": "agents-web.service",
      "ecosystem": "agents",
      "app": "web",
      "load_state": "loaded",
      "active_state": "active",
      "sub_state": "running",
      "result": "success",
      "main_pid": 4242,
      "memory_bytes": 41943040,
      "memory_max_bytes": 104857600,
      "memory_high_bytes": 94371840,
      "memory_peak_bytes": 50000000,
      "cpu_seconds": 1.5,
      "tasks": 11,
      "uptime_seconds": 3600,
      "restarts_total": 0,
      "restarts_window": 0,
      "window_seconds": 300,
      "memory_kills_window": 0,
      "main_exit": null,
      "memory_kill": null,
      "health": {
        "status": "healthy",
        "check": "http://127.0.0.1:3000/health",
        "detail": "HTTP 200"
      },
      "issues": []
    }
  ]
}
"#;
        assert_eq!(render(&sample()), expected);
    }

    #[test]
    fn every_enum_value_has_its_schema_name() {
        let names = |values: Vec<serde_json::Value>| -> Vec<String> {
            values
                .iter()
                .map(|v| v.as_str().unwrap_or("?").to_string())
                .collect()
        };
        assert_eq!(
            names(vec![
                serde_json::json!(RestartsSource::WatchdogHistory),
                serde_json::json!(RestartsSource::Journal),
                serde_json::json!(RestartsSource::None),
            ]),
            ["watchdog-history", "journal", "none"]
        );
        assert_eq!(
            names(vec![
                serde_json::json!(CgroupMemory::V1),
                serde_json::json!(CgroupMemory::V2),
                serde_json::json!(CgroupMemory::Unknown),
            ]),
            ["v1", "v2", "unknown"]
        );
        assert_eq!(
            names(vec![
                serde_json::json!(MemoryKillEvidence::OomKillResult),
                serde_json::json!(MemoryKillEvidence::SigkillWithMemoryLimit),
            ]),
            ["oom-kill-result", "sigkill-with-memory-limit"]
        );
        assert_eq!(
            names(vec![
                serde_json::json!(ExitCode::Exited),
                serde_json::json!(ExitCode::Killed),
                serde_json::json!(ExitCode::Dumped),
            ]),
            ["exited", "killed", "dumped"]
        );
        let kinds = [
            IssueKind::Failed,
            IssueKind::NotActive,
            IssueKind::Stopped,
            IssueKind::CrashLoop,
            IssueKind::MemoryKill,
            IssueKind::MemoryOver,
            IssueKind::MemoryLimitShare,
        ];
        for kind in kinds {
            // The JSON name and the name in the other formats agree.
            assert_eq!(serde_json::json!(kind), kind.as_str());
        }
    }
}
