//! What restarts an app besides a crash: `cron_restart` (a `.timer`) and `watch` (a
//! `.path` unit). Each activates a oneshot service that runs `systemctl restart` on
//! the app's units (all instances of a cluster app); restarting a stopped unit starts
//! it, which is what a one-shot app (`autorestart: false` with `cron_restart`) needs.
//!
//! A `.path` unit watches the listed paths themselves and the entries directly inside
//! a watched directory, not deeper folders, and has no way to ignore paths: both are
//! said in a warning rather than silently lost.

use crate::bundle::Scope;
use crate::diagnostic::Diagnostic;
use crate::ecosystem::{App, Ecosystem};

use std::time::Duration;

use super::{PlanOptions, Section, Unit, Value, app_warning, cron, hardening, names};

/// Suffix of the timer and its restart service.
pub const CRON_SUFFIX: &str = "-cron";
/// Suffix of the path unit and its restart service.
pub const WATCH_SUFFIX: &str = "-watch";

/// The timer and path units of `app` (and their oneshots), restarting `units`.
pub fn for_app(
    ecosystem: &Ecosystem,
    app: &App,
    units: &[String],
    options: &PlanOptions,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<Unit>, Diagnostic> {
    let stem = names::stem(&ecosystem.settings.prefix, &app.name);
    let target = format!("{}.target", ecosystem.settings.target);
    let mut out = Vec::new();
    if let Some((expression, location)) = &app.cron_restart {
        let schedule = cron::to_on_calendar(expression).map_err(|message| {
            Diagnostic::error(&ecosystem.source, Some(*location), message)
                .with_hint("write five fields (minute hour day month weekday), e.g. `0 3 * * *`")
        })?;
        let shown = expression.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = format!("{stem}{CRON_SUFFIX}");
        let mut unit = Section::new("Unit");
        unit.push(
            "Description",
            Value::Text(format!("Restart {} on schedule {shown}", app.name)),
        );
        unit.plain("PartOf", target.clone());
        let mut notes = vec![format!(
            "cron_restart {shown}: translated to OnCalendar= (systemd.time(7))."
        )];
        for caveat in schedule.caveats {
            warnings.push(app_warning(ecosystem, app, caveat.clone()));
            notes.push(caveat);
        }
        let mut timer = Section::new("Timer");
        timer.plain("OnCalendar", schedule.on_calendar);
        timer.plain("AccuracySec", "1s");
        timer.plain("Unit", format!("{name}.service"));
        let mut install = Section::new("Install");
        install.plain("WantedBy", target.clone());
        out.push(Unit {
            name: format!("{name}.timer"),
            origin: Some(*location),
            notes,
            sections: vec![unit, timer, install],
        });
        out.push(restarter(
            &name,
            format!("Restart {} (cron_restart)", app.name),
            units,
            None,
            app,
            options,
        ));
    }
    if let Some(watch) = &app.watch {
        let name = format!("{stem}{WATCH_SUFFIX}");
        let mut unit = Section::new("Unit");
        unit.push(
            "Description",
            Value::Text(format!("Restart {} when its files change", app.name)),
        );
        unit.plain("PartOf", target.clone());
        let mut path = Section::new("Path");
        for watched in &watch.paths {
            path.push("PathChanged", Value::Path(watched.display().to_string()));
        }
        path.plain("Unit", format!("{name}.service"));
        let mut install = Section::new("Install");
        install.plain("WantedBy", target.clone());
        out.push(Unit {
            name: format!("{name}.path"),
            origin: Some(app.location),
            notes: vec![
                "watch: a .path unit sees the listed paths and the entries directly inside a listed folder, not deeper ones.".into(),
            ],
            sections: vec![unit, path, install],
        });
        out.push(restarter(
            &name,
            format!("Restart {} (watch)", app.name),
            units,
            watch.delay,
            app,
            options,
        ));
        let mut message = String::from(
            "`watch` becomes a .path unit, which is not recursive: changes in subfolders of a watched folder do not restart the app",
        );
        if !watch.ignore.is_empty() {
            message.push_str(&format!(
                "; `ignore_watch` ({}) cannot be expressed and is ignored",
                watch.ignore.join(", ")
            ));
        }
        warnings.push(
            app_warning(ecosystem, app, message)
                .with_hint("list the subfolders that matter in `watch`"),
        );
    }
    Ok(out)
}

/// The first systemd version that looks bare program names up in its own search path.
const BARE_NAMES_VERSION: u32 = 239;

/// How a command line names a system tool: bare where systemd resolves it, else by
/// its `/bin` path (valid with and without a merged `/usr`).
fn tool(name: &str, options: &PlanOptions) -> String {
    if options.systemd_version >= BARE_NAMES_VERSION {
        name.to_string()
    } else {
        format!("/bin/{name}")
    }
}

/// A oneshot `<name>.service` that restarts `units`, after `delay` if given
/// (PM2's `watch_delay`).
fn restarter(
    name: &str,
    description: String,
    units: &[String],
    delay: Option<Duration>,
    app: &App,
    options: &PlanOptions,
) -> Unit {
    let mut unit = Section::new("Unit");
    unit.push("Description", Value::Text(description));
    let mut service = Section::new("Service");
    service.plain("Type", "oneshot");
    hardening::apply_restarter(options.scope, &mut service);
    if let Some(delay) = delay {
        service.push(
            "ExecStartPre",
            Value::Command {
                program: tool("sleep", options),
                args: vec![(delay.as_millis() as f64 / 1000.0).to_string()],
            },
        );
    }
    let mut args = Vec::new();
    if options.scope == Scope::User {
        args.push("--user".to_string());
    }
    args.push("restart".into());
    args.extend(units.iter().cloned());
    service.push(
        "ExecStart",
        Value::Command {
            program: tool("systemctl", options),
            args,
        },
    );
    Unit {
        name: format!("{name}.service"),
        origin: Some(app.location),
        notes: Vec::new(),
        sections: vec![unit, service],
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::diagnostic::Location;
    use crate::ecosystem::Watch;
    use crate::plan::testing::{app, ecosystem};

    #[test]
    fn cron_restart_is_a_timer_and_a_restarting_oneshot() {
        let mut a = app("report");
        a.cron_restart = Some(("0 3 * * *".into(), Location::new(7, 19)));
        let eco = ecosystem(vec![a]);
        let mut w = Vec::new();
        let units = for_app(
            &eco,
            &eco.apps[0],
            &["agents-report.service".into()],
            &PlanOptions::default(),
            &mut w,
        )
        .unwrap();
        assert_eq!(units[0].name, "agents-report-cron.timer");
        assert_eq!(
            units[0].value("Timer", "OnCalendar").as_deref(),
            Some("*-*-* 03:00:00")
        );
        assert_eq!(
            units[0].value("Timer", "Unit").as_deref(),
            Some("agents-report-cron.service")
        );
        assert_eq!(units[1].name, "agents-report-cron.service");
        assert_eq!(
            units[1].value("Service", "ExecStart").as_deref(),
            Some("systemctl restart agents-report.service")
        );
        assert_eq!(
            units[1].value("Service", "Type").as_deref(),
            Some("oneshot")
        );
    }

    #[test]
    fn a_bad_cron_is_an_error_at_its_location() {
        let mut a = app("report");
        a.cron_restart = Some(("@reboot".into(), Location::new(7, 19)));
        let eco = ecosystem(vec![a]);
        let error = for_app(
            &eco,
            &eco.apps[0],
            &[],
            &PlanOptions::default(),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(error.location, Some(Location::new(7, 19)));
    }

    #[test]
    fn watch_is_a_path_unit_with_a_warning() {
        let mut a = app("web");
        a.watch = Some(Watch {
            paths: vec![
                PathBuf::from("/srv/web/src"),
                PathBuf::from("/srv/web/config"),
            ],
            ignore: vec!["node_modules".into()],
            delay: Some(Duration::from_millis(1500)),
        });
        let eco = ecosystem(vec![a]);
        let mut w = Vec::new();
        let options = PlanOptions {
            scope: Scope::User,
            ..PlanOptions::default()
        };
        let units = for_app(
            &eco,
            &eco.apps[0],
            &["agents-web-0.service".into(), "agents-web-1.service".into()],
            &options,
            &mut w,
        )
        .unwrap();
        assert_eq!(units[0].name, "agents-web-watch.path");
        let changed: Vec<String> = units[0]
            .section("Path")
            .unwrap()
            .directives
            .iter()
            .filter(|d| d.key == "PathChanged")
            .map(|d| d.value.display())
            .collect();
        assert_eq!(changed, ["/srv/web/src", "/srv/web/config"]);
        assert_eq!(
            units[1].value("Service", "ExecStart").as_deref(),
            Some("systemctl --user restart agents-web-0.service agents-web-1.service")
        );
        assert_eq!(
            units[1].value("Service", "ExecStartPre").as_deref(),
            Some("sleep 1.5")
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("node_modules"));
    }
}
