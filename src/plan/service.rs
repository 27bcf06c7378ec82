//! One agent process as a `.service`: the rows of the PM2-to-systemd mapping.
//!
//! | PM2 | here |
//! |---|---|
//! | name, namespace | unit name (see [`super::names`]), `Description=`, `SyslogIdentifier=` |
//! | script, interpreter, args | `ExecStart=` (each word quoted when rendered) |
//! | cwd | `WorkingDirectory=` |
//! | env, env_NAME, port | a 0600 `EnvironmentFile=` (never `Environment=`, which any local user can read over D-Bus) |
//! | max_memory_restart | `MemoryMax=`, with `MemoryHigh=` at 90 % of it unless set |
//! | autorestart, restart_delay, ... | see [`super::restart`] |
//! | kill_timeout, listen_timeout | `TimeoutStopSec=`, `TimeoutStartSec=`, `KillSignal=SIGINT` |
//! | wait_ready, listen_timeout, shutdown_with_message | `Type=notify`, `NotifyAccess=all` and the Node preload (see [`super::preload`]) |
//! | a known port | `Sockets=` (see [`super::sockets`]) |
//! | user / uid, gid | `User=`, `Group=` |
//! | out_file, error_file, ... | the journal, under `SyslogIdentifier=` |

use crate::bundle::Scope;
use crate::diagnostic::Diagnostic;
use crate::ecosystem::{App, Ecosystem, Output, RawDirective, WatchdogPolicy};
use crate::unit_policy::{SECTION as POLICY_SECTION, UnitPolicy};

use super::cluster::Instance;
use super::preload::{self, Readiness};
use super::{
    EnvFile, PlanOptions, Section, Unit, Value, absolute_source, app_error, app_warning, hardening,
    restart, sockets, timespan,
};

/// `MemoryHigh=` as a share of `MemoryMax=` when the ecosystem sets none.
pub const MEMORY_HIGH_PERCENT: u64 = 90;
/// The first systemd version with `Type=exec`.
const TYPE_EXEC_VERSION: u32 = 240;
/// The first systemd version with `LogNamespace=`.
pub const LOG_NAMESPACE_VERSION: u32 = 245;

/// The service unit of one instance of `app`, and its environment file.
pub fn service(
    ecosystem: &Ecosystem,
    app: &App,
    instance: &Instance,
    all_instances: &[Vec<Instance>],
    options: &PlanOptions,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(Unit, Option<EnvFile>), Diagnostic> {
    let settings = &ecosystem.settings;
    let target = format!("{}.target", settings.target);
    let mut notes = Vec::new();
    let mut unit = unit_section(ecosystem, app, instance, all_instances, options, &target)?;
    let mut service = Section::new("Service");
    service.directives.reserve(56);
    let mut install = Section::new("Install");

    let cx = Cx {
        ecosystem,
        app,
        instance,
        options,
    };
    let readiness = start(&cx, &mut service, &mut notes, warnings);
    let env_file = placement(&cx, &mut service);
    restart::apply(
        ecosystem,
        app,
        options.systemd_version,
        &mut unit,
        &mut service,
        warnings,
    );
    stopping(app, readiness, &mut service);
    resources(app, &mut service, &mut notes);
    let profile = hardening::Target {
        profile: app.systemd.hardening,
        scope: options.scope,
        user: app.user.as_deref(),
        home: app.home.as_deref(),
        root: &ecosystem.base_dir,
        cwd: &app.cwd,
        low_port: hardening::low_port(app),
        systemd_version: options.systemd_version,
    };
    hardening::apply(&profile, &mut service, &mut notes);
    hardening::check(ecosystem, app, &profile, warnings);
    if let Some(index) = instance.index {
        notes.push(format!(
            "Cluster instance {index}: PM2's cluster workers become one unit each, with their own memory limit and restarts."
        ));
    }

    if app.autostart {
        install.plain("WantedBy", target);
    } else {
        notes.push("autostart: false, so the group's target does not start this unit; start it by hand or from its timer.".into());
    }

    let mut sections = vec![unit, service, install];
    add_raw(ecosystem, app, &mut sections)?;
    let watchdog = super::health::policy(ecosystem, app, instance, warnings)?;
    sections.push(policy_section(ecosystem, app, watchdog));
    Ok((
        Unit {
            name: instance.service_name(),
            origin: Some(app.location),
            notes,
            sections,
        },
        env_file,
    ))
}

/// What the parts of one service are planned from.
struct Cx<'a> {
    ecosystem: &'a Ecosystem,
    app: &'a App,
    instance: &'a Instance,
    options: &'a PlanOptions,
}

/// `[Unit]`: the description, the source, and the order among the group's units.
fn unit_section(
    ecosystem: &Ecosystem,
    app: &App,
    instance: &Instance,
    all_instances: &[Vec<Instance>],
    options: &PlanOptions,
    target: &str,
) -> Result<Section, Diagnostic> {
    let settings = &ecosystem.settings;
    let mut unit = Section::new("Unit");
    let mut description = format!("{} ({} ecosystem", app.name, settings.group);
    if let Some(namespace) = &app.namespace {
        description.push_str(&format!(", PM2 namespace {namespace}"));
    }
    if let Some(index) = instance.index {
        description.push_str(&format!(", instance {index}"));
    }
    description.push(')');
    unit.push("Description", Value::Text(description));
    unit.push("SourcePath", Value::Path(absolute_source(ecosystem)));
    if options.scope == Scope::System {
        unit.plain("After", "network.target");
    }
    unit.plain("PartOf", target.to_owned());
    for dependency in &app.systemd.depends_on {
        let index = ecosystem
            .apps
            .iter()
            .position(|other| &other.name == dependency)
            .ok_or_else(|| {
                app_error(
                    ecosystem,
                    app,
                    format!(
                        "`depends_on` names `{dependency}`, which is not an app of this ecosystem"
                    ),
                )
            })?;
        for other in all_instances.get(index).into_iter().flatten() {
            unit.plain("After", other.service_name());
            unit.plain("Wants", other.service_name());
        }
    }
    for after in &app.systemd.after {
        unit.push("After", Value::Text(after.clone()));
    }
    for wants in &app.systemd.wants {
        unit.push("Wants", Value::Text(wants.clone()));
    }
    Ok(unit)
}

/// How the service starts and says it is ready: `Type=`, `ExecStart=` (through the
/// preload where it applies) and its sockets.
fn start(
    cx: &Cx<'_>,
    service: &mut Section,
    notes: &mut Vec<String>,
    warnings: &mut Vec<Diagnostic>,
) -> Readiness {
    let (app, instance) = (cx.app, cx.instance);
    let preloaded = preload::applies(app, instance, cx.options);
    let readiness = preload::readiness(app, preloaded);
    match readiness {
        Readiness::Started if cx.options.systemd_version >= TYPE_EXEC_VERSION => {
            service.plain("Type", "exec");
        }
        Readiness::Started => service.plain("Type", "simple"),
        Readiness::Preload(_) | Readiness::App => {
            service.plain("Type", "notify");
            service.plain("NotifyAccess", "all");
        }
    }
    if readiness == Readiness::App {
        notes.push(
            "wait_ready: Type=notify, so the app must send READY=1 to systemd (sd_notify, or `systemd-notify --ready`); PM2's process.send('ready') does not reach systemd.".into(),
        );
        warnings.push(app_warning(
            cx.ecosystem,
            app,
            "`wait_ready` becomes Type=notify and this app is not run by node, so the ecosystemd preload cannot turn process.send('ready') into READY=1: the app must notify systemd itself (sd_notify or `systemd-notify --ready`)",
        ));
    }
    if preloaded {
        service.push("ExecStart", preload::command(app));
        preload::settings(app, readiness, service, notes);
    } else {
        service.push(
            "ExecStart",
            Value::Command {
                program: app.command.program.clone(),
                args: app.command.args.clone(),
            },
        );
    }
    if instance.sockets {
        let names: Vec<String> = instance
            .listen
            .iter()
            .enumerate()
            .map(|(position, listen)| sockets::socket_name(instance, position, listen))
            .collect();
        service.plain("Sockets", names.join(" "));
    }
    readiness
}

/// Where and as whom the service runs: its folder, environment file, log identifier,
/// user, group and slice. Returns the environment file, if the instance has one.
fn placement(cx: &Cx<'_>, service: &mut Section) -> Option<EnvFile> {
    let (app, instance, options) = (cx.app, cx.instance, cx.options);
    let settings = &cx.ecosystem.settings;
    service.push(
        "WorkingDirectory",
        Value::Path(app.cwd.display().to_string()),
    );
    let env_file = (!instance.env.is_empty()).then(|| EnvFile {
        name: format!("{}.env", instance.stem),
        origin: Some(app.location),
        vars: instance
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    if let Some(file) = &env_file {
        service.push("EnvironmentFile", Value::EnvFile(file.name.clone()));
    }
    service.plain("SyslogIdentifier", instance.stem.clone());
    if let Some(namespace) = &settings.logs.namespace
        && options.scope == Scope::System
        && options.systemd_version >= LOG_NAMESPACE_VERSION
    {
        service.plain("LogNamespace", namespace.clone());
    }
    if options.scope == Scope::System {
        if let Some(user) = &app.user {
            service.push("User", Value::Text(user.clone()));
        }
        if let Some(group) = &app.group {
            service.push("Group", Value::Text(group.clone()));
        }
    }
    service.plain("Slice", format!("{}.slice", settings.slice));
    env_file
}

/// Start and stop timeouts, how the service is stopped, and discarded output.
fn stopping(app: &App, readiness: Readiness, service: &mut Section) {
    match readiness {
        Readiness::Preload(_) => {
            service.plain("TimeoutStartSec", timespan(preload::start_timeout(app)));
        }
        _ => {
            if let Some(timeout) = app.listen_timeout {
                service.plain("TimeoutStartSec", timespan(timeout));
            }
        }
    }
    service.plain("TimeoutStopSec", timespan(app.kill_timeout));
    service.plain("KillSignal", "SIGINT");
    if !app.treekill {
        service.plain("KillMode", "process");
    }
    if app.stdout == Output::Null {
        service.plain("StandardOutput", "null");
    }
    if app.stderr == Output::Null {
        service.plain("StandardError", "null");
    }
}

/// Memory, CPU, task and priority limits.
fn resources(app: &App, service: &mut Section, notes: &mut Vec<String>) {
    let high = app.systemd.memory_high.or_else(|| {
        app.max_memory
            .map(|max| max / 100 * MEMORY_HIGH_PERCENT + max % 100 * MEMORY_HIGH_PERCENT / 100)
    });
    if let Some(high) = high {
        service.plain("MemoryHigh", high.to_string());
    }
    if let Some(max) = app.max_memory {
        service.plain("MemoryMax", max.to_string());
        notes.push(
            "max_memory_restart: PM2 checks the RSS of the main process every 30 s and reloads; here the kernel enforces MemoryMax= on the whole unit at once, and Restart= starts it again.".into(),
        );
    }
    if let Some(quota) = app.systemd.cpu_quota {
        service.plain("CPUQuota", format!("{quota}%"));
    }
    if let Some(tasks) = app.systemd.tasks_max {
        service.plain("TasksMax", tasks.to_string());
    }
    if let Some(nice) = app.systemd.nice {
        service.plain("Nice", nice.to_string());
    }
}

/// The watchdog's policy for the app, in the `[X-Ecosystemd]` section.
fn policy_section(ecosystem: &Ecosystem, app: &App, watchdog: WatchdogPolicy) -> Section {
    let policy = UnitPolicy {
        ecosystem: ecosystem.settings.group.clone(),
        app: app.name.clone(),
        watchdog,
    };
    let mut x_policy = Section::new(POLICY_SECTION);
    for (key, value) in policy.directives() {
        let value = if crate::unit_policy::is_text(key) {
            Value::Quoted(value)
        } else {
            Value::Plain(value.into())
        };
        x_policy.push(key, value);
    }
    x_policy
}

/// The app's raw directives, each appended to its section.
fn add_raw(ecosystem: &Ecosystem, app: &App, sections: &mut [Section]) -> Result<(), Diagnostic> {
    for raw in &app.systemd.raw {
        match sections.iter_mut().find(|s| s.name == raw.section) {
            Some(section) => section.push(raw.key.clone(), raw_value(raw)),
            None => {
                return Err(Diagnostic::error(
                    &ecosystem.source,
                    Some(raw.location),
                    format!(
                        "raw directive section `{}` is not one of Unit, Service, Install",
                        raw.section
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A raw directive's value: exactly as written where systemd expands no specifiers in it
/// (`MemoryLow=10%`), else escaped as any text.
fn raw_value(raw: &RawDirective) -> Value {
    if raw.verbatim {
        Value::Plain(raw.value.clone().into())
    } else {
        Value::Text(raw.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::diagnostic::Location;
    use crate::ecosystem::Hardening;
    use crate::plan::cluster::expand_all;
    use crate::plan::testing::{app, ecosystem};

    fn plan_one(a: App, options: &PlanOptions) -> (Unit, Option<EnvFile>, Vec<Diagnostic>) {
        let eco = ecosystem(vec![a]);
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        let all = expand_all(&eco, options, &mut errors, &mut warnings);
        assert!(errors.is_empty(), "{errors:?}");
        let (unit, env) =
            service(&eco, &eco.apps[0], &all[0][0], &all, options, &mut warnings).unwrap();
        (unit, env, warnings)
    }

    fn get(unit: &Unit, section: &str, key: &str) -> Option<String> {
        unit.value(section, key)
    }

    #[test]
    fn name_script_cwd_and_identity() {
        let (unit, _, _) = plan_one(app("my app"), &PlanOptions::default());
        assert_eq!(unit.name, r"agents-my\x20app.service");
        assert_eq!(
            get(&unit, "Service", "ExecStart").as_deref(),
            Some("/usr/bin/node /srv/agents/my app.js")
        );
        assert_eq!(
            get(&unit, "Service", "WorkingDirectory").as_deref(),
            Some("/srv/agents")
        );
        assert_eq!(
            get(&unit, "Service", "SyslogIdentifier").as_deref(),
            Some(r"agents-my\x20app")
        );
        assert_eq!(
            get(&unit, "Unit", "Description").as_deref(),
            Some("my app (agents ecosystem)")
        );
        assert_eq!(
            get(&unit, "Unit", "SourcePath").as_deref(),
            Some("/srv/agents/ecosystem.yaml")
        );
        assert_eq!(
            get(&unit, "Service", "Slice").as_deref(),
            Some("agents.slice")
        );
        assert_eq!(
            get(&unit, "Unit", "PartOf").as_deref(),
            Some("agents.target")
        );
        assert_eq!(
            get(&unit, "Install", "WantedBy").as_deref(),
            Some("agents.target")
        );
        assert_eq!(get(&unit, "X-Ecosystemd", "App").as_deref(), Some("my app"));
        assert_eq!(
            get(&unit, "X-Ecosystemd", "Ecosystem").as_deref(),
            Some("agents")
        );
    }

    #[test]
    fn env_goes_to_a_file_never_inline() {
        let mut a = app("a");
        a.env.insert("SECRET".into(), "s3cr%t$".into());
        a.port = Some(3001);
        let (unit, env, _) = plan_one(a, &PlanOptions::default());
        let env = env.unwrap();
        assert_eq!(env.name, "agents-a.env");
        assert_eq!(
            env.vars,
            vec![
                ("PORT".into(), "3001".into()),
                ("SECRET".into(), "s3cr%t$".into())
            ]
        );
        assert_eq!(
            get(&unit, "Service", "EnvironmentFile").as_deref(),
            Some("agents-a.env")
        );
        assert!(get(&unit, "Service", "Environment").is_none());
    }

    #[test]
    fn no_env_means_no_environment_file() {
        let (unit, env, _) = plan_one(app("a"), &PlanOptions::default());
        assert!(env.is_none());
        assert!(get(&unit, "Service", "EnvironmentFile").is_none());
    }

    #[test]
    fn memory_max_with_memory_high_below() {
        let mut a = app("a");
        a.max_memory = Some(200 << 20);
        let (unit, _, _) = plan_one(a, &PlanOptions::default());
        assert_eq!(
            get(&unit, "Service", "MemoryMax").as_deref(),
            Some("209715200")
        );
        assert_eq!(
            get(&unit, "Service", "MemoryHigh").as_deref(),
            Some("188743680")
        );
    }

    #[test]
    fn explicit_memory_high_wins() {
        let mut a = app("a");
        a.max_memory = Some(1000);
        a.systemd.memory_high = Some(500);
        let (unit, _, _) = plan_one(a, &PlanOptions::default());
        assert_eq!(get(&unit, "Service", "MemoryHigh").as_deref(), Some("500"));
    }

    #[test]
    fn stop_and_start_timeouts_and_sigint() {
        let mut a = app("a");
        a.kill_timeout = Duration::from_secs(5);
        a.listen_timeout = Some(Duration::from_millis(8000));
        let (unit, _, _) = plan_one(a, &PlanOptions::default());
        assert_eq!(
            get(&unit, "Service", "TimeoutStopSec").as_deref(),
            Some("5s")
        );
        assert_eq!(
            get(&unit, "Service", "TimeoutStartSec").as_deref(),
            Some("8s")
        );
        assert_eq!(
            get(&unit, "Service", "KillSignal").as_deref(),
            Some("SIGINT")
        );
    }

    #[test]
    fn default_kill_timeout_is_pm2s() {
        let (unit, _, _) = plan_one(app("a"), &PlanOptions::default());
        assert_eq!(
            get(&unit, "Service", "TimeoutStopSec").as_deref(),
            Some("1600ms")
        );
        assert_eq!(get(&unit, "Service", "Type").as_deref(), Some("exec"));
    }

    #[test]
    fn treekill_autostart_and_null_outputs() {
        let mut a = app("a");
        a.treekill = false;
        a.autostart = false;
        a.stdout = Output::Null;
        a.stderr = Output::Null;
        let (unit, _, _) = plan_one(a, &PlanOptions::default());
        assert_eq!(
            get(&unit, "Service", "KillMode").as_deref(),
            Some("process")
        );
        assert_eq!(
            get(&unit, "Service", "StandardOutput").as_deref(),
            Some("null")
        );
        assert_eq!(
            get(&unit, "Service", "StandardError").as_deref(),
            Some("null")
        );
        assert!(get(&unit, "Install", "WantedBy").is_none());
        let (unit, _, _) = plan_one(app("b"), &PlanOptions::default());
        assert!(get(&unit, "Service", "KillMode").is_none());
        assert!(get(&unit, "Service", "StandardOutput").is_none());
    }

    #[test]
    fn wait_ready_is_notify_through_the_preload() {
        let mut a = app("a");
        a.wait_ready = true;
        let (unit, _, warnings) = plan_one(a.clone(), &PlanOptions::default());
        assert_eq!(get(&unit, "Service", "Type").as_deref(), Some("notify"));
        assert_eq!(
            get(&unit, "Service", "NotifyAccess").as_deref(),
            Some("all")
        );
        assert!(
            get(&unit, "Service", "ExecStart")
                .unwrap()
                .starts_with("/usr/bin/node --require <preload> ")
        );
        let env: Vec<String> = unit
            .section("Service")
            .unwrap()
            .directives
            .iter()
            .filter(|d| d.key == "Environment")
            .map(|d| d.value.display())
            .collect();
        assert_eq!(
            env,
            ["ECOSYSTEMD_READY=message", "ECOSYSTEMD_LISTEN_TIMEOUT=3000"]
        );
        assert_eq!(
            get(&unit, "Service", "TimeoutStartSec").as_deref(),
            Some("33s")
        );
        assert!(warnings.is_empty(), "{warnings:?}");

        a.command.program = "/usr/bin/python3".into();
        let (unit, _, warnings) = plan_one(a, &PlanOptions::default());
        assert_eq!(get(&unit, "Service", "Type").as_deref(), Some("notify"));
        assert!(get(&unit, "Service", "Environment").is_none());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn a_known_port_is_a_socket_of_the_instance() {
        let mut a = app("a");
        a.env.insert("HTTP_PORT".into(), "39100".into());
        a.instances = crate::ecosystem::Instances::Fixed(2);
        a.exec_mode = crate::ecosystem::ExecMode::Cluster;
        let (unit, _, warnings) = plan_one(a, &PlanOptions::default());
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(unit.name, "agents-a-0.service");
        assert_eq!(
            get(&unit, "Service", "Sockets").as_deref(),
            Some("agents-a-0.socket")
        );
        assert_eq!(get(&unit, "Service", "Type").as_deref(), Some("notify"));
        assert_eq!(
            get(&unit, "Service", "Environment").as_deref(),
            Some("ECOSYSTEMD_LISTEN_TIMEOUT=3000")
        );
    }

    #[test]
    fn user_and_group() {
        let mut a = app("a");
        a.user = Some("deploy".into());
        a.group = Some("www-data".into());
        let (unit, _, _) = plan_one(a.clone(), &PlanOptions::default());
        assert_eq!(get(&unit, "Service", "User").as_deref(), Some("deploy"));
        assert_eq!(get(&unit, "Service", "Group").as_deref(), Some("www-data"));
        assert!(get(&unit, "Service", "DynamicUser").is_none());
        let user = PlanOptions {
            scope: Scope::User,
            ..PlanOptions::default()
        };
        let (unit, _, _) = plan_one(a, &user);
        assert!(get(&unit, "Service", "User").is_none());
        assert!(get(&unit, "Unit", "After").is_none());
    }

    #[test]
    fn systemd_options_and_raw_directives() {
        let mut a = app("a");
        a.systemd.cpu_quota = Some(50);
        a.systemd.tasks_max = Some(64);
        a.systemd.nice = Some(5);
        a.systemd.hardening = Hardening::None;
        a.systemd.after = vec!["postgresql.service".into()];
        a.systemd.raw = vec![RawDirective {
            section: "Service".into(),
            key: "LimitNOFILE".into(),
            value: "65536".into(),
            verbatim: true,
            location: Location::new(9, 7),
        }];
        let (unit, _, _) = plan_one(a, &PlanOptions::default());
        assert_eq!(get(&unit, "Service", "CPUQuota").as_deref(), Some("50%"));
        assert_eq!(get(&unit, "Service", "TasksMax").as_deref(), Some("64"));
        assert_eq!(get(&unit, "Service", "Nice").as_deref(), Some("5"));
        assert_eq!(
            get(&unit, "Service", "LimitNOFILE").as_deref(),
            Some("65536")
        );
        assert_eq!(
            get(&unit, "Unit", "After").as_deref(),
            Some("postgresql.service")
        );
        assert!(get(&unit, "Service", "ProtectSystem").is_none());
    }

    #[test]
    fn depends_on_orders_and_wants_the_other_app() {
        let mut b = app("b");
        b.systemd.depends_on = vec!["a".into()];
        let eco = ecosystem(vec![app("a"), b]);
        let options = PlanOptions::default();
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        let all = expand_all(&eco, &options, &mut errors, &mut warnings);
        let (unit, _) = service(
            &eco,
            &eco.apps[1],
            &all[1][0],
            &all,
            &options,
            &mut warnings,
        )
        .unwrap();
        let section = unit.section("Unit").unwrap();
        let wants: Vec<String> = section
            .directives
            .iter()
            .filter(|d| d.key == "Wants")
            .map(|d| d.value.display())
            .collect();
        assert_eq!(wants, ["agents-a.service"]);
    }

    #[test]
    fn depends_on_an_unknown_app_is_an_error() {
        let mut b = app("b");
        b.systemd.depends_on = vec!["nope".into()];
        let eco = ecosystem(vec![b]);
        let options = PlanOptions::default();
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        let all = expand_all(&eco, &options, &mut errors, &mut warnings);
        let error = service(
            &eco,
            &eco.apps[0],
            &all[0][0],
            &all,
            &options,
            &mut warnings,
        )
        .unwrap_err();
        assert!(error.message.contains("nope"));
        assert_eq!(error.location, Some(Location::new(3, 5)));
    }

    #[test]
    fn log_namespace_needs_245_and_the_system_manager() {
        let mut eco_app = app("a");
        eco_app.name = "a".into();
        let mut eco = ecosystem(vec![eco_app]);
        eco.settings.logs.namespace = Some("agents".into());
        for (version, scope, expected) in [
            (252, Scope::System, Some("agents")),
            (244, Scope::System, None),
            (252, Scope::User, None),
        ] {
            let options = PlanOptions {
                systemd_version: version,
                scope,
                ..PlanOptions::default()
            };
            let (mut errors, mut warnings) = (Vec::new(), Vec::new());
            let all = expand_all(&eco, &options, &mut errors, &mut warnings);
            let (unit, _) = service(
                &eco,
                &eco.apps[0],
                &all[0][0],
                &all,
                &options,
                &mut warnings,
            )
            .unwrap();
            assert_eq!(get(&unit, "Service", "LogNamespace").as_deref(), expected);
        }
    }
}
