//! Restart policy: `autorestart`, `stop_exit_codes`, `restart_delay`,
//! `exp_backoff_restart_delay`, `max_restarts` and `min_uptime`.
//!
//! - `Restart=always` when `autorestart` (PM2 restarts clean exits too), else `no`.
//! - `RestartSec=` is `restart_delay`, or systemd's own 100 ms where PM2 would
//!   restart at once (a zero delay only makes a crash loop spin faster).
//! - PM2 gives up ("errored") after `max_restarts` restarts that each came less than
//!   `min_uptime` after the start. systemd's start limit counts starts within a
//!   window: `StartLimitBurst=` is `max_restarts + 1` (the first start counts too) and
//!   `StartLimitIntervalSec=` is the time such a loop takes at most, burst x
//!   (`min_uptime` + delay), so the limit trips exactly for loops PM2 would stop and
//!   never for an app that keeps running longer than `min_uptime`.
//! - `exp_backoff_restart_delay`: PM2 multiplies the delay by 1.5 per restart up to
//!   15 s. systemd 254 does the same with `RestartSteps=`/`RestartMaxDelaySec=`; on
//!   older systemd the first delay is used as a fixed delay, with a warning.

use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::ecosystem::{App, Ecosystem};

use super::{Section, app_warning, timespan};

/// systemd's default `RestartSec=`, used where PM2 would restart at once.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(100);
/// PM2's cap on exponential backoff.
pub const BACKOFF_CAP: Duration = Duration::from_secs(15);
/// PM2's backoff factor.
pub const BACKOFF_FACTOR: f64 = 1.5;
/// The first systemd version with `RestartSteps=` and `RestartMaxDelaySec=`.
pub const RESTART_STEPS_VERSION: u32 = 254;

/// The sum of the delays before the first `restarts` restarts: fixed, or PM2's
/// exponential backoff (growing up to [`BACKOFF_CAP`]). Saturates instead of
/// overflowing, whatever the input.
pub fn total_delay(app: &App, restarts: u32) -> Duration {
    match app.restart.exp_backoff {
        Some(first) => {
            let mut delay = first.min(BACKOFF_CAP);
            let mut total = Duration::ZERO;
            let mut counted = 0;
            while counted < restarts && delay < BACKOFF_CAP {
                total = total.saturating_add(delay);
                delay = delay.mul_f64(BACKOFF_FACTOR).min(BACKOFF_CAP);
                counted += 1;
            }
            total.saturating_add(BACKOFF_CAP.saturating_mul(restarts - counted))
        }
        None => app
            .restart
            .delay
            .unwrap_or(DEFAULT_DELAY)
            .saturating_mul(restarts),
    }
}

/// How many steps systemd needs to grow `first` to the cap at PM2's factor.
pub fn backoff_steps(first: Duration) -> u32 {
    if first.is_zero() || first >= BACKOFF_CAP {
        return 0;
    }
    let ratio = BACKOFF_CAP.as_secs_f64() / first.as_secs_f64();
    ratio.log(BACKOFF_FACTOR).ceil() as u32
}

/// `StartLimitBurst=` and `StartLimitIntervalSec=` (rounded up to seconds).
pub fn start_limit(app: &App) -> (u32, Duration) {
    let burst = app.restart.max_restarts.saturating_add(1);
    let total =
        total_delay(app, burst).saturating_add(app.restart.min_uptime.saturating_mul(burst));
    let seconds = u64::try_from(total.as_millis().div_ceil(1000).max(1)).unwrap_or(u64::MAX);
    (burst, Duration::from_secs(seconds))
}

/// Adds the restart directives to `[Unit]` and `[Service]`.
pub fn apply(
    ecosystem: &Ecosystem,
    app: &App,
    systemd_version: u32,
    unit: &mut Section,
    service: &mut Section,
    warnings: &mut Vec<Diagnostic>,
) {
    let policy = &app.restart;
    if !policy.autorestart {
        service.plain("Restart", "no");
        return;
    }
    let (burst, interval) = start_limit(app);
    unit.plain("StartLimitIntervalSec", timespan(interval));
    unit.plain("StartLimitBurst", burst.to_string());
    service.plain("Restart", "always");
    if !policy.stop_exit_codes.is_empty() {
        let codes: Vec<String> = policy.stop_exit_codes.iter().map(i32::to_string).collect();
        service.plain("RestartPreventExitStatus", codes.join(" "));
    }
    match policy.exp_backoff {
        Some(first) if systemd_version >= RESTART_STEPS_VERSION => {
            service.plain("RestartSec", timespan(first));
            let steps = backoff_steps(first);
            if steps > 0 {
                service.plain("RestartSteps", steps.to_string());
                service.plain("RestartMaxDelaySec", timespan(BACKOFF_CAP));
            }
        }
        Some(first) => {
            service.plain("RestartSec", timespan(first));
            warnings.push(
                app_warning(
                    ecosystem,
                    app,
                    format!(
                        "`exp_backoff_restart_delay` needs RestartSteps=/RestartMaxDelaySec= (systemd {RESTART_STEPS_VERSION}); systemd {systemd_version} gets a fixed RestartSec={}",
                        timespan(first)
                    ),
                )
                .with_hint(format!(
                    "pass --systemd-version {RESTART_STEPS_VERSION} or later if the target host has it"
                )),
            );
        }
        None => service.plain(
            "RestartSec",
            timespan(policy.delay.unwrap_or(DEFAULT_DELAY)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing::{app, ecosystem};

    fn render(a: App, version: u32) -> (Section, Section, Vec<Diagnostic>) {
        let eco = ecosystem(vec![a]);
        let (mut unit, mut service, mut warnings) =
            (Section::new("Unit"), Section::new("Service"), Vec::new());
        apply(
            &eco,
            &eco.apps[0],
            version,
            &mut unit,
            &mut service,
            &mut warnings,
        );
        (unit, service, warnings)
    }

    fn get(section: &Section, key: &str) -> Option<String> {
        section.get(key).map(|v| v.display())
    }

    #[test]
    fn pm2_defaults_give_a_limit_that_trips_only_on_fast_loops() {
        let (unit, service, warnings) = render(app("a"), 252);
        assert_eq!(get(&service, "Restart").as_deref(), Some("always"));
        assert_eq!(get(&service, "RestartSec").as_deref(), Some("100ms"));
        // 17 starts x (1 s min_uptime + 100 ms) = 18.7 s -> 19 s.
        assert_eq!(get(&unit, "StartLimitBurst").as_deref(), Some("17"));
        assert_eq!(get(&unit, "StartLimitIntervalSec").as_deref(), Some("19s"));
        assert!(warnings.is_empty());
    }

    #[test]
    fn restart_delay_and_stop_exit_codes() {
        let mut a = app("a");
        a.restart.delay = Some(Duration::from_millis(3000));
        a.restart.max_restarts = 10;
        a.restart.stop_exit_codes = vec![0, 3];
        let (unit, service, _) = render(a, 252);
        assert_eq!(get(&service, "RestartSec").as_deref(), Some("3s"));
        assert_eq!(
            get(&service, "RestartPreventExitStatus").as_deref(),
            Some("0 3")
        );
        assert_eq!(get(&unit, "StartLimitBurst").as_deref(), Some("11"));
        assert_eq!(get(&unit, "StartLimitIntervalSec").as_deref(), Some("44s"));
    }

    #[test]
    fn no_autorestart_means_restart_no_and_no_limit() {
        let mut a = app("a");
        a.restart.autorestart = false;
        let (unit, service, _) = render(a, 252);
        assert_eq!(get(&service, "Restart").as_deref(), Some("no"));
        assert!(unit.directives.is_empty());
    }

    #[test]
    fn exp_backoff_uses_restart_steps_on_254() {
        let mut a = app("a");
        a.restart.exp_backoff = Some(Duration::from_millis(100));
        let (_, service, warnings) = render(a, 254);
        assert_eq!(get(&service, "RestartSec").as_deref(), Some("100ms"));
        // 100 ms x 1.5^13 = 19.5 s >= 15 s > 100 ms x 1.5^12.
        assert_eq!(get(&service, "RestartSteps").as_deref(), Some("13"));
        assert_eq!(get(&service, "RestartMaxDelaySec").as_deref(), Some("15s"));
        assert!(warnings.is_empty());
    }

    #[test]
    fn exp_backoff_falls_back_with_a_warning_before_254() {
        let mut a = app("a");
        a.restart.exp_backoff = Some(Duration::from_millis(500));
        let (_, service, warnings) = render(a, 252);
        assert_eq!(get(&service, "RestartSec").as_deref(), Some("500ms"));
        assert_eq!(get(&service, "RestartSteps"), None);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("fixed RestartSec=500ms"));
    }

    #[test]
    fn backoff_delays_follow_pm2() {
        let mut a = app("a");
        a.restart.exp_backoff = Some(Duration::from_secs(4));
        // 4 + 6 + 9 + 13.5 + 15 (capped) + 15 s.
        assert_eq!(total_delay(&a, 6), Duration::from_millis(62_500));
        assert_eq!(total_delay(&a, 0), Duration::ZERO);
    }

    #[test]
    fn huge_inputs_saturate_instead_of_overflowing() {
        let mut a = app("a");
        a.restart.max_restarts = u32::MAX;
        a.restart.min_uptime = Duration::MAX;
        a.restart.exp_backoff = Some(Duration::MAX);
        let (burst, interval) = start_limit(&a);
        assert_eq!(burst, u32::MAX);
        assert!(interval > Duration::from_secs(1 << 40));
        a.restart.exp_backoff = None;
        a.restart.delay = Some(Duration::MAX);
        let (_, interval) = start_limit(&a);
        assert!(interval > Duration::from_secs(1 << 40));
        let _ = render(a, 254);
    }
}
