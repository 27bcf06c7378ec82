//! Planning: the validated [`Ecosystem`] becomes a [`UnitSet`], pure data in which
//! every PM2-to-systemd decision has been taken.
//!
//! One module per concern: [`names`] (unit names), [`service`] (one agent's
//! `.service`), [`sockets`] (ports held by systemd), [`preload`] (the Node preload's
//! settings), [`restart`] (restart policy and start limits), [`cluster`] (instances),
//! [`hardening`] (sandboxing profiles), [`triggers`] (cron timers and watch paths),
//! [`group`] (the group's target and slice), [`journald`] (log rotation), [`cron`]
//! (cron to `OnCalendar=`), [`lint`] (warnings) and [`version`] (the target systemd).
//! Values stay unescaped here: [`crate::render`] escapes each according to its
//! [`Value`] kind.

pub mod cluster;
pub mod cron;
pub mod group;
pub mod hardening;
pub mod health;
pub mod journald;
pub mod lint;
pub mod names;
pub mod preload;
pub mod restart;
pub mod service;
pub mod sockets;
pub mod triggers;
pub mod version;

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use crate::bundle::Scope;
use crate::diagnostic::{Diagnostic, Location, Rejected};
use crate::ecosystem::{App, Ecosystem};

/// What planning needs to know beyond the ecosystem itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// The systemd version the units are for (directives newer than it are avoided).
    pub systemd_version: u32,
    /// The system manager or a user's.
    pub scope: Scope,
    /// CPUs of the host, for `instances: max` (PM2 counts them at start).
    pub cpus: u32,
    /// The host's RAM in bytes, for the memory lint.
    pub host_memory: Option<u64>,
    /// Whether units may load the ecosystemd Node preload (sockets held by systemd,
    /// readiness); false where it is not installed.
    pub preload: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            systemd_version: version::FALLBACK_VERSION,
            scope: Scope::System,
            cpus: 1,
            host_memory: None,
            preload: true,
        }
    }
}

/// Everything an ecosystem renders to.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSet {
    /// The ecosystem's group name (the marker's and the bundle's).
    pub ecosystem: String,
    /// The ecosystem file, as an absolute path (for the marker: `install` tells by it
    /// whether an installed group came from the same file).
    pub source: String,
    /// The manager the units are for.
    pub scope: Scope,
    /// Every unit, in a stable order: per app its services, timers and paths, then the
    /// group's target and slice.
    pub units: Vec<Unit>,
    /// The 0600 environment files.
    pub env_files: Vec<EnvFile>,
    /// journald configuration files.
    pub journald: Vec<JournaldFile>,
}

/// One unit file.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// Full unit name (`agents-email.service`).
    pub name: String,
    /// The app entry it comes from, for located errors while rendering.
    pub origin: Option<Location>,
    /// Comment lines explaining choices (written after the marker).
    pub notes: Vec<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// One `[Section]` of a unit file.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The section name, without brackets.
    pub name: Cow<'static, str>,
    /// Its directives, in order.
    pub directives: Vec<Directive>,
}

/// One `Key=value` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    /// The directive's name.
    pub key: Cow<'static, str>,
    /// Its value, tagged with how it must be escaped.
    pub value: Value,
}

/// A directive's value, by the escaping it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Built by planning from checked parts (numbers, keywords, unit names, calendar
    /// expressions): written as it is.
    Plain(Cow<'static, str>),
    /// Free text from the ecosystem: `%` doubled, refused if it cannot be one line.
    Text(String),
    /// An absolute path: as [`Value::Text`], and it must be normalized.
    Path(String),
    /// A command line: the program, then each argument quoted.
    Command {
        /// The executable.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// Node running with the ecosystemd preload: `node --require <preload>` then the
    /// arguments; the renderer knows where the preload is.
    Preloaded {
        /// The node executable.
        node: String,
        /// Its arguments (node's options, the script, the script's arguments).
        args: Vec<String>,
    },
    /// A C-style quoted value of the `[X-Ecosystemd]` section.
    Quoted(String),
    /// A reference to one of the bundle's environment files, by file name; the
    /// renderer puts it in the configured environment directory.
    EnvFile(String),
}

/// A 0600 environment file.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    /// File name (`agents-email.env`).
    pub name: String,
    /// The app entry it comes from.
    pub origin: Option<Location>,
    /// The variables, in order.
    pub vars: Vec<(String, String)>,
}

/// A journald configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct JournaldFile {
    /// Path relative to `/etc/systemd/` (`journald@agents.conf`,
    /// `journald.conf.d/agents.conf`).
    pub name: String,
    /// Lines of explanation.
    pub notes: Vec<String>,
    /// The `[Journal]` directives.
    pub directives: Vec<Directive>,
}

/// The planned units and what planning has to say about them.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The units and files.
    pub units: UnitSet,
    /// Warnings (lints, fallbacks, ignored attributes), one per cause
    /// ([`crate::diagnostic::merge`]).
    pub warnings: Vec<Diagnostic>,
    /// The memory arithmetic of the group.
    pub memory: lint::MemoryMath,
}

impl Section {
    /// An empty section.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            name: name.into(),
            directives: Vec::new(),
        }
    }

    /// Appends `key=value`.
    pub fn push(&mut self, key: impl Into<Cow<'static, str>>, value: Value) {
        self.directives.push(Directive {
            key: key.into(),
            value,
        });
    }

    /// Appends `key=value` with a planner-built value.
    pub fn plain(&mut self, key: &'static str, value: impl Into<Cow<'static, str>>) {
        self.push(key, Value::Plain(value.into()));
    }

    /// The last value of `key`, if set (later lines override earlier ones).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.directives
            .iter()
            .rev()
            .find(|d| d.key == key)
            .map(|d| &d.value)
    }
}

impl Unit {
    /// The section called `name`, if the unit has one.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The last value of `key` in section `section`, as text.
    pub fn value(&self, section: &str, key: &str) -> Option<String> {
        self.section(section)?.get(key).map(Value::display)
    }
}

impl Value {
    /// The value as a person would read it (unescaped), for lints and tests.
    pub fn display(&self) -> String {
        match self {
            Self::Plain(v) => v.to_string(),
            Self::Text(v) | Self::Path(v) | Self::Quoted(v) | Self::EnvFile(v) => v.clone(),
            Self::Command { program, args } => {
                let mut words = vec![program.clone()];
                words.extend(args.iter().cloned());
                words.join(" ")
            }
            Self::Preloaded { node, args } => {
                let mut words = vec![node.clone(), "--require".into(), "<preload>".into()];
                words.extend(args.iter().cloned());
                words.join(" ")
            }
        }
    }
}

/// A systemd time span for a duration: `0`, `1600ms`, `2s`.
pub fn timespan(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms == 0 {
        "0".into()
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// An error about `app` in the ecosystem file.
pub(crate) fn app_error(
    ecosystem: &Ecosystem,
    app: &App,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(&ecosystem.source, Some(app.location), message)
}

/// A warning about `app` in the ecosystem file (naming it: the same warning about
/// several apps is printed once, naming them all).
pub(crate) fn app_warning(
    ecosystem: &Ecosystem,
    app: &App,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic::warning(&ecosystem.source, Some(app.location), message).for_app(app.name.clone())
}

/// The ecosystem file as an absolute path (for `SourcePath=`).
pub(crate) fn absolute_source(ecosystem: &Ecosystem) -> String {
    let source: &Path = &ecosystem.source;
    if source.is_absolute() {
        return source.display().to_string();
    }
    std::path::absolute(source)
        .unwrap_or_else(|_| ecosystem.base_dir.join(source))
        .display()
        .to_string()
}

/// Plans every unit of `ecosystem`: errors refuse it, warnings come with the plan.
pub fn plan(ecosystem: &Ecosystem, options: &PlanOptions) -> Result<Plan, Rejected> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut units = Vec::with_capacity(ecosystem.apps.len() + 2);
    let mut env_files = Vec::with_capacity(ecosystem.apps.len());
    let mut wanted = Vec::new();

    group::check_names(ecosystem, &mut errors);
    for app in &ecosystem.apps {
        if let Err(message) = names::check_app_name(&app.name) {
            errors.push(app_error(ecosystem, app, message));
        }
    }
    if !errors.is_empty() {
        return Err(Rejected(errors));
    }
    let instances = cluster::expand_all(ecosystem, options, &mut errors, &mut warnings);
    for (app, app_instances) in ecosystem.apps.iter().zip(&instances) {
        for instance in app_instances {
            match service::service(ecosystem, app, instance, &instances, options, &mut warnings) {
                Ok((unit, env)) => {
                    if app.autostart {
                        wanted.push(unit.name.clone());
                    }
                    units.push(unit);
                    env_files.extend(env);
                    if instance.sockets {
                        let sockets = sockets::units(ecosystem, app, instance);
                        if app.autostart {
                            wanted.extend(sockets.iter().map(|u| u.name.clone()));
                        }
                        units.extend(sockets);
                    }
                }
                Err(diagnostic) => errors.push(diagnostic),
            }
        }
        let targets: Vec<String> = app_instances.iter().map(|i| i.service_name()).collect();
        match triggers::for_app(ecosystem, app, &targets, options, &mut warnings) {
            Ok(helpers) => {
                // The timers and paths are wanted; their oneshots run when triggered.
                wanted.extend(
                    helpers
                        .iter()
                        .filter(|u| !u.name.ends_with(".service"))
                        .map(|u| u.name.clone()),
                );
                units.extend(helpers);
            }
            Err(diagnostic) => errors.push(diagnostic),
        }
    }
    units.push(group::target(ecosystem, &wanted, options));
    units.push(group::slice(ecosystem));
    let journald = journald::files(ecosystem, options, &mut warnings);

    lint::duplicate_units(ecosystem, &units, &mut errors);
    if !errors.is_empty() {
        return Err(Rejected(errors));
    }
    lint::start_limits(ecosystem, &units, &mut warnings);
    lint::duplicate_ports(ecosystem, &instances, &mut warnings);
    if options.preload {
        sockets::unreachable_warnings(ecosystem, &instances, &mut warnings);
    }
    let memory = lint::memory_math(ecosystem, &instances, options);
    warnings.extend(memory.warning(ecosystem));
    let mut all = ecosystem.warnings.clone();
    all.extend(warnings);
    Ok(Plan {
        units: UnitSet {
            ecosystem: ecosystem.settings.group.clone(),
            source: absolute_source(ecosystem),
            scope: options.scope,
            units,
            env_files,
            journald,
        },
        warnings: crate::diagnostic::merge(all),
        memory,
    })
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::testing::{app, ecosystem};
    use super::*;
    use crate::ecosystem::{Instances, Watch};

    #[test]
    fn warnings_come_once_per_cause_naming_every_app() {
        let watched = |name: &str| {
            let mut a = app(name);
            a.watch = Some(Watch {
                paths: vec!["/srv/agents".into()],
                ignore: vec!["node_modules".into()],
                delay: None,
            });
            a
        };
        // A program node does not run: the preload cannot send READY=1 for it.
        let mut ready = app("ready");
        ready.command.program = "/usr/bin/python3".into();
        ready.wait_ready = true;
        ready.instances = Instances::Fixed(3);
        let apps = vec![watched("a"), watched("b"), watched("c"), ready];
        let plan = plan(&ecosystem(apps), &PlanOptions::default()).unwrap();
        let about = |word: &str| -> Vec<&Diagnostic> {
            plan.warnings
                .iter()
                .filter(|w| w.message.contains(word))
                .collect()
        };
        let ignore = about("ignore_watch");
        assert_eq!(ignore.len(), 1, "{:#?}", plan.warnings);
        assert_eq!(*ignore[0].apps, ["a", "b", "c"]);
        let wait_ready = about("wait_ready");
        assert_eq!(wait_ready.len(), 1, "{:#?}", plan.warnings);
        assert_eq!(*wait_ready[0].apps, ["ready"]);
    }
}
