//! Rendering: a planned [`UnitSet`] becomes the files of a [`Bundle`], through the
//! askama templates in `templates/`, with every value escaped by [`escape`] for the
//! place it goes.
//!
//! [`render_bundle`] is the whole pipeline from a validated ecosystem (plan, lint,
//! render) that `gen-units`, `install` and the generator share.

pub mod escape;
pub mod files;
mod kinds;

use std::borrow::Cow;

use askama::Template;

use crate::bundle::{Bundle, BundleFile, FileKind, Install, Scope};
use crate::diagnostic::{Diagnostic, Rejected, Severity};
use crate::ecosystem::Ecosystem;
use crate::marker::Marker;
use crate::plan::lint::MemoryMath;
use crate::plan::{self, PlanOptions, Section, Unit, UnitSet, Value};

use kinds::{Kind, Notes, Parts, Sections};

use escape::EscapeError;

/// Mode of unit and journald files.
pub const PUBLIC_MODE: u32 = 0o644;
/// Mode of environment files: readable by root (and systemd) only.
pub const SECRET_MODE: u32 = 0o600;

/// Where units find their environment files, as written in `EnvironmentFile=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvDir(String);

impl EnvDir {
    /// `%E/ecosystemd/env`: `/etc/ecosystemd/env` for the system manager,
    /// `~/.config/ecosystemd/env` for a user's (what `install` writes to).
    pub fn configuration() -> Self {
        Self("%E/ecosystemd/env".into())
    }

    /// A fixed absolute folder (a generator puts env files beside its units).
    pub fn path(path: &str) -> Result<Self, EscapeError> {
        let escaped = escape::path("the environment directory", path)?;
        Ok(Self(escape::glob(escaped.trim_end_matches('/'))))
    }

    /// The folder as written into unit files (specifiers and glob characters already
    /// escaped: systemd expands `EnvironmentFile=` as a glob).
    pub fn as_unit_value(&self) -> &str {
        &self.0
    }
}

impl Default for EnvDir {
    fn default() -> Self {
        Self::configuration()
    }
}

/// Where units load the Node preload from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PreloadPlace {
    /// A copy in the bundle, which `install` writes to `%E/ecosystemd/lib/`
    /// (`/etc/ecosystemd/lib`, or `~/.config/ecosystemd/lib` for a user's manager):
    /// readable by every unit, with or without the package.
    #[default]
    Bundled,
    /// A file already installed (the package's, for the generator).
    Installed(String),
}

impl PreloadPlace {
    /// The file name of an ecosystem's bundled preload.
    pub fn file_name(ecosystem: &str) -> String {
        let stem: String = ecosystem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}.preload.cjs", stem.trim_start_matches('.'))
    }

    /// The preload's path as one `ExecStart=` word.
    fn command_word(&self, ecosystem: &str) -> Result<String, EscapeError> {
        match self {
            Self::Bundled => {
                let name = escape::command_word("the preload", &Self::file_name(ecosystem))?;
                Ok(format!("\"%E/ecosystemd/lib/{}", &name[1..]))
            }
            Self::Installed(path) => escape::command_word("the preload", path),
        }
    }
}

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// Planning options (systemd version, scope, host facts).
    pub plan: PlanOptions,
    /// Turn every warning into an error.
    pub strict: bool,
    /// Where `EnvironmentFile=` points.
    pub env_dir: EnvDir,
    /// Where the Node preload is.
    pub preload: PreloadPlace,
}

impl RenderOptions {
    /// The options for rendering on this host: its systemd version (unless `version`
    /// says which), its CPUs and memory, the configuration folder for environment files
    /// and the preload in the bundle. Notes about them (a guessed systemd version) are
    /// returned for the caller to show.
    pub fn for_host(version: Option<u32>, scope: Scope, strict: bool) -> (Self, Vec<String>) {
        let mut notes = Vec::new();
        let systemd_version = version.unwrap_or_else(|| {
            let (version, note) = plan::version::host_version();
            notes.extend(note);
            version
        });
        let host_memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| plan::lint::parse_meminfo(&text));
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1);
        let options = Self {
            plan: PlanOptions {
                systemd_version,
                scope,
                cpus,
                host_memory,
                preload: true,
            },
            strict,
            env_dir: EnvDir::configuration(),
            preload: PreloadPlace::Bundled,
        };
        (options, notes)
    }
}

/// Where rendered values point to: environment files and the preload.
struct Places<'a> {
    env_dir: &'a EnvDir,
    /// The preload's path, already an `ExecStart=` word.
    preload: String,
}

/// A rendered ecosystem and what was found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The files.
    pub bundle: Bundle,
    /// Warnings, each once (empty under `strict`, which refuses instead).
    pub warnings: Vec<Diagnostic>,
    /// The group's memory arithmetic, for a summary line.
    pub memory: MemoryMath,
}

/// Plans, lints and renders `ecosystem`: the bundle, or every reason it is refused.
pub fn render_bundle(ecosystem: &Ecosystem, options: &RenderOptions) -> Result<Rendered, Rejected> {
    let plan = plan::plan(ecosystem, &options.plan)?;
    if options.strict && !plan.warnings.is_empty() {
        return Err(Rejected(
            plan.warnings
                .into_iter()
                .map(|w| Diagnostic {
                    severity: Severity::Error,
                    ..w
                })
                .collect(),
        ));
    }
    let bundle = render_units(
        &plan.units,
        &ecosystem.source,
        &options.env_dir,
        &options.preload,
    )?;
    Ok(Rendered {
        bundle,
        warnings: plan.warnings,
        memory: plan.memory,
    })
}

#[derive(Template)]
#[template(path = "env.txt", escape = "none")]
struct EnvTemplate<'a> {
    marker: &'a str,
    unit: &'a str,
    /// The `NAME="value"` lines, escaped.
    lines: Vec<String>,
}

/// A rendered unit: its text and its `[Install]` section.
struct RenderedUnit {
    contents: String,
    install: Option<Install>,
}

/// Renders every file of `units`; `source` is the ecosystem file, for diagnostics.
pub fn render_units(
    units: &UnitSet,
    source: &std::path::Path,
    env_dir: &EnvDir,
    preload: &PreloadPlace,
) -> Result<Bundle, Rejected> {
    let owner = Marker {
        ecosystem: units.ecosystem.clone(),
        source: units.source.clone(),
    };
    let marker = owner.line();
    let mut errors = Vec::new();
    let places = Places {
        env_dir,
        preload: preload
            .command_word(&units.ecosystem)
            .map_err(|error| Rejected(vec![Diagnostic::error(source, None, error.to_string())]))?,
    };
    let mut files =
        Vec::with_capacity(units.units.len() + units.env_files.len() + units.journald.len());
    for unit in &units.units {
        match render_unit(unit, Kind::of_unit(&unit.name), &marker, &places) {
            Ok(rendered) => files.push(BundleFile {
                kind: FileKind::Unit,
                name: unit.name.clone(),
                mode: PUBLIC_MODE,
                contents: rendered.contents,
                install: rendered.install,
            }),
            Err(error) => errors.push(
                Diagnostic::error(source, unit.origin, format!("{}: {error}", unit.name))
                    .with_hint(hint(&error)),
            ),
        }
    }
    for env in &units.env_files {
        let lines: Result<Vec<String>, EscapeError> = env
            .vars
            .iter()
            .map(|(key, value)| escape::env_assignment(key, value))
            .collect();
        match lines {
            Ok(lines) => {
                let unit = env.name.trim_end_matches(".env");
                files.push(BundleFile {
                    kind: FileKind::Env,
                    name: env.name.clone(),
                    mode: SECRET_MODE,
                    contents: finish(&EnvTemplate {
                        marker: &marker,
                        unit,
                        lines,
                    }),
                    install: None,
                });
            }
            Err(error) => errors.push(
                Diagnostic::error(source, env.origin, format!("env: {error}"))
                    .with_hint(hint(&error)),
            ),
        }
    }
    for journald in &units.journald {
        let mut section = Section::new("Journal");
        section.directives = journald.directives.clone();
        let unit = Unit {
            name: journald.name.clone(),
            origin: None,
            notes: journald.notes.clone(),
            sections: vec![section],
        };
        match render_unit(&unit, Some(Kind::Journald), &marker, &places) {
            Ok(rendered) => files.push(BundleFile {
                kind: FileKind::Journald,
                name: journald.name.clone(),
                mode: PUBLIC_MODE,
                contents: rendered.contents,
                install: None,
            }),
            Err(error) => errors.push(Diagnostic::error(
                source,
                None,
                format!("{}: {error}", journald.name),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(Rejected(errors));
    }
    if *preload == PreloadPlace::Bundled && units.units.iter().any(loads_preload) {
        files.push(BundleFile {
            kind: FileKind::Lib,
            name: PreloadPlace::file_name(&units.ecosystem),
            mode: PUBLIC_MODE,
            contents: format!("{}\n{}", owner.js_line(), plan::preload::SOURCE),
            install: None,
        });
    }
    Ok(Bundle {
        scope: units.scope,
        ecosystem: units.ecosystem.clone(),
        files,
    })
}

fn loads_preload(unit: &Unit) -> bool {
    unit.sections.iter().any(|section| {
        section
            .directives
            .iter()
            .any(|d| matches!(d.value, Value::Preloaded { .. }))
    })
}

fn hint(error: &EscapeError) -> String {
    match error {
        EscapeError::Control { .. } | EscapeError::Nul { .. } => {
            "remove the control characters (line breaks cannot be part of this value)".into()
        }
        EscapeError::EdgeWhitespace { .. } => "remove the leading or trailing spaces".into(),
        EscapeError::TrailingBackslash { .. } => "remove the trailing backslash".into(),
        EscapeError::BadPath { .. } => "write an absolute path without `.`, `..` or `//`".into(),
        EscapeError::EnvName { .. } => "rename the variable".into(),
        _ => "change the value".into(),
    }
}

/// Renders `template` into a buffer sized for a typical unit, ending with one line
/// break.
fn finish(template: &impl Template) -> String {
    let mut text = String::with_capacity(4096);
    // The templates take only strings; writing them into a String cannot fail.
    let _ = template.render_into(&mut text);
    text.push('\n');
    text
}

/// Escapes one value for its place in a unit file.
fn unit_value<'a>(
    key: &str,
    value: &'a Value,
    places: &Places<'_>,
) -> Result<Cow<'a, str>, EscapeError> {
    match value {
        Value::Plain(text) => {
            if let Some(character) = text.chars().find(|c| c.is_control()) {
                return Err(EscapeError::Control {
                    what: key.to_string(),
                    character,
                });
            }
            Ok(Cow::Borrowed(text))
        }
        Value::Text(text) => escape::text(key, text),
        Value::Path(path) => escape::path(key, path),
        Value::Command { program, args } => escape::command_line(program, args).map(Cow::Owned),
        Value::Preloaded { node, args } => {
            let mut line = escape::command_line(node, &[])?;
            line.push_str(" \"--require\" ");
            line.push_str(&places.preload);
            for arg in args {
                line.push(' ');
                line.push_str(&escape::command_word("an argument", arg)?);
            }
            Ok(Cow::Owned(line))
        }
        Value::Quoted(text) => escape::policy_value(key, text).map(Cow::Owned),
        Value::EnvFile(name) => {
            let name = escape::glob(&escape::specifiers(name));
            Ok(Cow::Owned(
                [places.env_dir.as_unit_value(), &name].join("/"),
            ))
        }
    }
}

/// Escapes every directive of `unit`, section by section.
fn escaped_sections<'a>(unit: &'a Unit, places: &Places<'_>) -> Result<Sections<'a>, EscapeError> {
    let lines = unit.sections.iter().map(|s| s.directives.len()).sum();
    let mut sections = Sections::with_capacity(unit.sections.len(), lines);
    for section in &unit.sections {
        sections.begin(&section.name);
        for directive in &section.directives {
            sections.push(
                &directive.key,
                &unit_value(&directive.key, &directive.value, places)?,
            );
        }
    }
    Ok(sections)
}

/// Renders `unit` through its kind's template.
fn render_unit(
    unit: &Unit,
    kind: Option<Kind>,
    marker: &str,
    places: &Places<'_>,
) -> Result<RenderedUnit, EscapeError> {
    let sections = escaped_sections(unit, places)?;
    let install = sections
        .find("Install")
        .map(|section| Install::from_entries(section.entries()));
    let parts = Parts {
        marker,
        notes: Notes(&unit.notes),
        sections: &sections,
    };
    Ok(RenderedUnit {
        contents: kinds::render(kind, &parts),
        install,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecosystem::App;
    use crate::plan::testing::{app, ecosystem};

    fn rendered(eco: &Ecosystem) -> Rendered {
        render_bundle(eco, &RenderOptions::default()).unwrap()
    }

    fn file<'a>(bundle: &'a Bundle, name: &str) -> &'a BundleFile {
        bundle
            .files
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn a_service_file_reads_as_expected() {
        let mut a = app("email");
        a.env
            .insert("GREETING".into(), "100% \"sure\" $HOME".into());
        a.command.args.push("--tag=50%$x".into());
        let out = rendered(&ecosystem(vec![a]));
        let service = &file(&out.bundle, "agents-email.service").contents;
        assert!(service.starts_with(
            "# Generated by ecosystemd for ecosystem agents from /srv/agents/ecosystem.yaml."
        ));
        assert!(service.contains("\n[Unit]\nDescription=email (agents ecosystem)\n"));
        assert!(service.contains(
            "\nExecStart=\"/usr/bin/node\" \"/srv/agents/email.js\" \"--tag=50%%$$x\"\n"
        ));
        assert!(service.contains("\nEnvironmentFile=%E/ecosystemd/env/agents-email.env\n"));
        assert!(service.contains("\n[X-Ecosystemd]\nEcosystem=agents\nApp=\"email\"\n"));
        assert!(service.ends_with("MemoryWarnPercent=90\n"), "{service}");
        assert!(!service.contains("\nEnvironment="));
        let env = file(&out.bundle, "agents-email.env");
        assert_eq!(env.mode, 0o600);
        assert!(
            env.contents
                .ends_with("\nGREETING=\"100% \\\"sure\\\" \\$HOME\"\n")
        );
    }

    #[test]
    fn the_env_dir_is_an_option() {
        let mut a = app("email");
        a.env.insert("A".into(), "b".into());
        let options = RenderOptions {
            env_dir: EnvDir::path("/run/systemd/generator/100%").unwrap(),
            ..RenderOptions::default()
        };
        let out = render_bundle(&ecosystem(vec![a]), &options).unwrap();
        assert!(
            file(&out.bundle, "agents-email.service")
                .contents
                .contains("\nEnvironmentFile=/run/systemd/generator/100%%/agents-email.env\n")
        );
    }

    #[test]
    fn a_value_with_a_line_break_cannot_add_a_directive() {
        let mut a = app("email");
        a.cwd = "/srv/x\nExecStartPre=/bin/evil".into();
        let error = render_bundle(&ecosystem(vec![a]), &RenderOptions::default()).unwrap_err();
        assert_eq!(error.0.len(), 1);
        assert!(
            error.0[0].message.contains("WorkingDirectory"),
            "{}",
            error.0[0]
        );
        assert!(error.0[0].location.is_some());
    }

    #[test]
    fn strict_turns_warnings_into_errors() {
        let mut ghost = app("ghost");
        // A dynamic user cannot enter its folder: a warning.
        ghost.hidden_from_others = Some("/home/ana".into());
        let eco = ecosystem(vec![ghost]);
        let relaxed = render_bundle(&eco, &RenderOptions::default()).unwrap();
        assert!(!relaxed.warnings.is_empty());
        let strict = RenderOptions {
            strict: true,
            ..RenderOptions::default()
        };
        let error = render_bundle(&eco, &strict).unwrap_err();
        assert!(error.0.iter().all(Diagnostic::is_error));
    }

    #[test]
    fn bundle_round_trips() {
        let out = rendered(&ecosystem(vec![app("a"), app("b c")]));
        assert_eq!(Bundle::parse(&out.bundle.to_text()), Ok(out.bundle.clone()));
        let names: Vec<&str> = out.bundle.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "agents-a.service",
                r"agents-b\x20c.service",
                "agents.target",
                "agents.slice"
            ]
        );
    }

    /// Apps that between them make every directive and file kind the plan writes.
    fn varied_apps() -> Vec<App> {
        use crate::ecosystem::{ExecMode, Hardening, Instances, Output, Watch};
        let mut web = app("web");
        web.env.insert("PORT".into(), "80".into());
        web.env.insert("HOST".into(), "10.0.0.1".into());
        (web.instances, web.exec_mode) = (Instances::Fixed(2), ExecMode::Cluster);
        (web.wait_ready, web.shutdown_with_message) = (true, true);
        web.user = Some("ana".into());
        web.group = Some("staff".into());
        web.home = Some("/home/ana".into());
        web.namespace = Some("shop".into());
        web.max_memory = Some(1 << 30);
        web.listen_timeout = Some(std::time::Duration::from_secs(9));
        web.systemd.depends_on = vec!["cron".into()];
        web.systemd.after = vec!["db.service".into()];
        web.systemd.wants = vec!["db.service".into()];
        (web.systemd.cpu_quota, web.systemd.tasks_max) = (Some(50), Some(64));
        web.systemd.nice = Some(5);
        web.restart.stop_exit_codes = vec![0, 3];
        web.restart.exp_backoff = Some(std::time::Duration::from_millis(100));
        web.watchdog.memory_warn_bytes = Some(1 << 29);
        let mut cron = app("cron");
        cron.cron_restart = Some(("0 3 * * *".into(), cron.location));
        cron.watch = Some(Watch {
            paths: vec!["/srv/agents/lib".into()],
            ignore: Vec::new(),
            delay: Some(std::time::Duration::from_millis(1500)),
        });
        (cron.autostart, cron.treekill) = (false, false);
        (cron.stdout, cron.stderr) = (Output::Null, Output::Null);
        cron.systemd.hardening = Hardening::Strict;
        cron.restart.autorestart = false;
        let mut relaxed = app("relaxed");
        relaxed.port = Some(443);
        relaxed.autostart = false;
        relaxed.systemd.hardening = Hardening::Relaxed;
        let mut bare = app("bare");
        bare.systemd.hardening = Hardening::None;
        vec![web, cron, relaxed, bare]
    }

    #[test]
    fn the_kind_templates_name_every_line_the_plan_writes() {
        let mut eco = ecosystem(varied_apps());
        eco.settings.memory_budget = Some(4 << 30);
        eco.settings.logs.max_use = Some(1 << 30);
        eco.settings.logs.max_files = Some(5);
        eco.settings.logs.max_file_size = Some(1 << 20);
        eco.settings.logs.compress = Some(true);
        eco.settings.logs.max_age = Some(std::time::Duration::from_secs(86_400));
        let mut seen = std::collections::BTreeSet::new();
        for (scope, namespace) in [
            (Scope::System, None),
            (Scope::System, Some("shop")),
            (Scope::User, None),
        ] {
            eco.settings.logs.namespace = namespace.map(String::from);
            let options = PlanOptions {
                scope,
                systemd_version: 256,
                ..PlanOptions::default()
            };
            let units = plan::plan(&eco, &options).unwrap().units;
            let places = Places {
                env_dir: &EnvDir::configuration(),
                preload: "\"/p.cjs\"".into(),
            };
            let journald = units.journald.iter().map(|j| {
                let mut section = Section::new("Journal");
                section.directives = j.directives.clone();
                let unit = Unit {
                    name: j.name.clone(),
                    origin: None,
                    notes: Vec::new(),
                    sections: vec![section],
                };
                (unit, Some(Kind::Journald))
            });
            let all = units
                .units
                .iter()
                .map(|u| (u.clone(), Kind::of_unit(&u.name)))
                .chain(journald);
            for (unit, kind) in all {
                let sections = escaped_sections(&unit, &places).unwrap();
                let parts = Parts {
                    marker: "# m",
                    notes: Notes(&[]),
                    sections: &sections,
                };
                let text = kinds::render(kind, &parts);
                assert_eq!(sections.unnamed(), Vec::<String>::new(), "{text}");
                seen.insert(format!("{kind:?}"));
            }
        }
        assert_eq!(seen.len(), 7, "{seen:?}");
    }

    #[test]
    fn rendered_units_read_back_as_planned() {
        let mut web = app("web");
        web.env.insert("PORT".into(), "3000".into());
        let eco = ecosystem(vec![web, app("worker")]);
        let planned = plan::plan(&eco, &PlanOptions::default()).unwrap().units;
        let bundle = rendered(&eco).bundle;
        for unit in &planned.units {
            let text = &file(&bundle, &unit.name).contents;
            let read = crate::unit_file::UnitFile::parse(text);
            let sections = |names: Vec<&str>| names.join(" ");
            assert_eq!(
                sections(read.sections.iter().map(|s| s.name.as_str()).collect()),
                sections(unit.sections.iter().map(|s| s.name.as_ref()).collect()),
                "{text}"
            );
            for (planned, read) in unit.sections.iter().zip(&read.sections) {
                let keys: Vec<&str> = read.entries.iter().map(|(k, _)| k.as_str()).collect();
                let wanted: Vec<&str> = planned.directives.iter().map(|d| d.key.as_ref()).collect();
                assert_eq!(keys, wanted, "{}: [{}]", unit.name, planned.name);
            }
        }
    }
}
