//! `unit-watchdog reload`: runs the rolling reload and prints a line per instance.

use std::io::Write as _;

use crate::cli::unit_watchdog::ReloadArgs;
use crate::diagnostic::{EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK};
use crate::reload::{self, Outcome, ReloadError, ReloadReport, Step};

/// Runs the reload of `args` and returns the exit status: 0 every instance came back,
/// 1 one did not (or systemd could not be reached), 2 no such group or app.
pub fn run(args: &ReloadArgs) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("unit-watchdog reload: cannot start the async runtime: {error}");
            return EXIT_FAILURE;
        }
    };
    let options = args.options();
    let outcome = runtime.block_on(reload::reload(&options, |step| {
        println!("{}", line(step));
        let _ = std::io::stdout().flush();
    }));
    match outcome {
        Ok(report) => {
            eprintln!("{}", summary(&options.group, &report));
            if report.succeeded() {
                EXIT_OK
            } else {
                EXIT_FAILURE
            }
        }
        Err(error @ (ReloadError::NoGroup(_) | ReloadError::NoApp { .. })) => {
            eprintln!("unit-watchdog reload: {error}");
            EXIT_BAD_INPUT
        }
        Err(error) => {
            eprintln!("unit-watchdog reload: {error}");
            EXIT_FAILURE
        }
    }
}

/// One instance's line.
pub fn line(step: &Step) -> String {
    let what = match &step.outcome {
        Outcome::Ready {
            old_pid,
            new_pid,
            took,
        } => format!(
            "ready in {:.1} s (main PID {} -> {new_pid})",
            took.as_secs_f64(),
            pid(*old_pid)
        ),
        Outcome::Failed { old_pid, why } => format!(
            "NOT READY: {why} (main PID before: {}); the reload stops here",
            pid(*old_pid)
        ),
        Outcome::Untouched { pid: 0 } => "not restarted (not running)".to_string(),
        Outcome::Untouched { pid } => format!("not restarted, still serving (main PID {pid})"),
        Outcome::Stopped => "stopped: left alone".to_string(),
    };
    format!("{}: {what}", step.unit)
}

/// The closing line: how many instances were reloaded, and where the reload stopped.
pub fn summary(group: &str, report: &ReloadReport) -> String {
    let count = |want: fn(&Outcome) -> bool| {
        report
            .steps
            .iter()
            .filter(|step| want(&step.outcome))
            .count()
    };
    let ready = count(|o| matches!(o, Outcome::Ready { .. }));
    let running = count(|o| !matches!(o, Outcome::Stopped));
    match report
        .steps
        .iter()
        .find(|step| matches!(step.outcome, Outcome::Failed { .. }))
    {
        None => format!("reloaded {ready} of {running} running instances of {group}"),
        Some(failed) => format!(
            "reload of {group} stopped at {}: {ready} reloaded, {} not restarted",
            failed.unit,
            count(|o| matches!(o, Outcome::Untouched { .. }))
        ),
    }
}

fn pid(pid: u32) -> String {
    if pid == 0 {
        "none".to_string()
    } else {
        pid.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::reload::NotReady;

    fn step(unit: &str, outcome: Outcome) -> Step {
        Step {
            unit: unit.into(),
            app: "api".into(),
            outcome,
        }
    }

    #[test]
    fn a_stopped_reload_names_where_and_what_is_left() {
        let steps = vec![
            step(
                "g-api-0.service",
                Outcome::Ready {
                    old_pid: 10,
                    new_pid: 20,
                    took: Duration::from_millis(1250),
                },
            ),
            step(
                "g-api-1.service",
                Outcome::Failed {
                    old_pid: 11,
                    why: NotReady::Job {
                        result: "failed".into(),
                        unit_result: "exit-code".into(),
                    },
                },
            ),
            step("g-api-2.service", Outcome::Untouched { pid: 12 }),
            step("g-api-3.service", Outcome::Stopped),
        ];
        let lines: Vec<String> = steps.iter().map(line).collect();
        assert_eq!(
            lines[0],
            "g-api-0.service: ready in 1.2 s (main PID 10 -> 20)"
        );
        assert!(
            lines[1]
                .contains("NOT READY: its restart job ended `failed` (unit result `exit-code`)"),
            "{}",
            lines[1]
        );
        assert_eq!(
            lines[2],
            "g-api-2.service: not restarted, still serving (main PID 12)"
        );
        assert_eq!(lines[3], "g-api-3.service: stopped: left alone");
        let report = ReloadReport { steps };
        assert!(!report.succeeded());
        assert_eq!(
            summary("g", &report),
            "reload of g stopped at g-api-1.service: 1 reloaded, 1 not restarted"
        );
    }

    #[test]
    fn a_full_reload_counts_the_running_instances() {
        let report = ReloadReport {
            steps: vec![
                step(
                    "g-api.service",
                    Outcome::Ready {
                        old_pid: 1,
                        new_pid: 2,
                        took: Duration::ZERO,
                    },
                ),
                step("g-web.service", Outcome::Stopped),
            ],
        };
        assert!(report.succeeded());
        assert_eq!(
            summary("g", &report),
            "reloaded 1 of 1 running instances of g"
        );
    }
}
