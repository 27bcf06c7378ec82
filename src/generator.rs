//! Generator mode (systemd.generator(7)): render every `/etc/ecosystemd/*.yaml` (and
//! `*.yml`, `*.json`) into the folder systemd passes, on boot and on daemon-reload.
//!
//! Run as `ecosystemd-generator NORMAL [EARLY LATE]` (a link to `gen-units`) or
//! `gen-units generator NORMAL`. It uses no D-Bus and logs to `/dev/kmsg` (stderr when
//! that cannot be opened). Each ecosystem is rendered in memory first and written only
//! when it rendered completely, so a bad file is skipped with its located error and
//! never stops the others or the boot. Environment files are written beside the units
//! (units reference them there), every unit gets `SourcePath=`, and generated units
//! cannot be enabled, so each `WantedBy=`/`RequiredBy=` of an `[Install]` section
//! becomes the matching `.wants/`/`.requires/` symlink in the output folder (from the
//! bundle's typed [`crate::bundle::Install`], which rendering takes from the plan).

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, symlink};
use std::path::{Path, PathBuf};

use crate::bundle::{Bundle, BundleFile, FileKind, Scope};
use crate::ecosystem::LoadOptions;
use crate::plan::preload;
use crate::render::{EnvDir, PreloadPlace, RenderOptions, escape, render_bundle};
use crate::unit_file::UnitFile;

/// The name the binary answers to as a generator (argv\[0\]).
pub const GENERATOR_NAME: &str = "ecosystemd-generator";

/// Where the generator reads ecosystem files from.
pub const CONFIG_DIR: &str = "/etc/ecosystemd";

/// Renders one ecosystem file into a bundle whose environment files live in the given
/// folder, with its warnings; an error is the located, printable message.
pub type RenderFn<'a> = &'a dyn Fn(&Path, &Path) -> Result<(Bundle, Vec<String>), String>;

/// What one generator run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Ecosystem files rendered and written.
    pub rendered: Vec<PathBuf>,
    /// Ecosystem files skipped, with why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Renders every ecosystem file of `config_dir` into `normal_dir`, logging through `log`.
pub fn generate(
    config_dir: &Path,
    normal_dir: &Path,
    render: RenderFn<'_>,
    log: &mut dyn FnMut(Level, &str),
) -> Summary {
    let mut summary = Summary::default();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for source in ecosystem_files(config_dir) {
        let outcome = render(&source, normal_dir)
            .map(|(bundle, warnings)| {
                for warning in warnings {
                    log(Level::Warning, &warning);
                }
                bundle
            })
            .and_then(|bundle| claim(&bundle, &mut taken).map(|()| bundle))
            .and_then(|bundle| {
                let source_path = escape::path("SourcePath=", &source.display().to_string())
                    .map_err(|e| format!("{}: error: {e}", source.display()))?
                    .into_owned();
                write_bundle(&bundle, &source, &source_path, normal_dir, log)
                    .map_err(|e| format!("{}: error: writing units: {e}", source.display()))
            });
        match outcome {
            Ok(()) => {
                log(Level::Info, &format!("rendered {}", source.display()));
                summary.rendered.push(source);
            }
            Err(why) => {
                log(Level::Error, &format!("skipped: {why}"));
                summary.skipped.push((source, why));
            }
        }
    }
    summary
}

/// The output folder systemd passed does not exist: the one failure of a run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}: the output folder does not exist")]
pub struct NoOutputFolder(pub PathBuf);

/// Runs generator mode into `normal_dir` (what systemd passes) and says what it did;
/// fails only when the output folder is unusable: a bad ecosystem file never fails the
/// run (it is logged and skipped).
pub fn run(normal_dir: &Path) -> Result<Summary, NoOutputFolder> {
    let mut log = kernel_logger();
    if !normal_dir.is_dir() {
        let error = NoOutputFolder(normal_dir.to_owned());
        log(Level::Error, &error.to_string());
        return Err(error);
    }
    // The same options as `gen-units FILE`, so both render the same units.
    let (options, notes) = RenderOptions::for_host(None, Scope::System, false);
    for note in notes {
        log(Level::Warning, &note);
    }
    let options = with_package_preload(options, Path::new(preload::PACKAGE_PATH).is_file());
    let render = renderer(options);
    let summary = generate(Path::new(CONFIG_DIR), normal_dir, &render, &mut log);
    log(
        Level::Info,
        &format!(
            "{} ecosystem files rendered, {} skipped",
            summary.rendered.len(),
            summary.skipped.len()
        ),
    );
    Ok(summary)
}

/// `options` for units that load the package's preload, or none where it is not
/// installed (then no sockets: the apps bind their ports themselves).
pub fn with_package_preload(mut options: RenderOptions, installed: bool) -> RenderOptions {
    options.preload = PreloadPlace::Installed(preload::PACKAGE_PATH.to_owned());
    options.plan.preload = installed;
    options
}

/// The generator's rendering: load and validate an ecosystem file, render it with
/// `options` and its environment files in the given folder.
pub fn renderer(
    options: RenderOptions,
) -> impl Fn(&Path, &Path) -> Result<(Bundle, Vec<String>), String> {
    move |source, env_dir| {
        let ecosystem = crate::ecosystem::load(source, &LoadOptions::default())
            .map_err(|rejected| rejected.to_string())?;
        let env_dir = EnvDir::path(&env_dir.display().to_string())
            .map_err(|error| format!("{}: error: {error}", source.display()))?;
        let options = RenderOptions {
            env_dir,
            ..options.clone()
        };
        let rendered = render_bundle(&ecosystem, &options).map_err(|r| r.to_string())?;
        let warnings = rendered.warnings.iter().map(ToString::to_string).collect();
        Ok((rendered.bundle, warnings))
    }
}

/// How serious a generator log line is (kernel log levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `<3>`: a file was skipped.
    Error,
    /// `<4>`: something was left out.
    Warning,
    /// `<6>`: progress.
    Info,
}

/// A logger writing `<level>ecosystemd-generator: message` lines to `/dev/kmsg`, or
/// to stderr where the kernel log cannot be opened.
pub fn kernel_logger() -> impl FnMut(Level, &str) {
    let mut kmsg = OpenOptions::new().write(true).open("/dev/kmsg").ok();
    move |level, message| {
        let priority = match level {
            Level::Error => 3,
            Level::Warning => 4,
            Level::Info => 6,
        };
        for line in message.lines() {
            let text = format!("<{priority}>{GENERATOR_NAME}: {line}\n");
            let written = kmsg
                .as_mut()
                .is_some_and(|k| k.write_all(text.as_bytes()).is_ok());
            if !written {
                eprintln!("{GENERATOR_NAME}: {line}");
            }
        }
    }
}

fn ecosystem_files(config_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(config_dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json" | "json5"))
        })
        .collect();
    files.sort();
    files
}

/// Refuses a bundle that would overwrite a file an earlier ecosystem generated.
fn claim(bundle: &Bundle, taken: &mut BTreeSet<String>) -> Result<(), String> {
    let names: Vec<&String> = bundle
        .files
        .iter()
        .filter(|f| f.kind != FileKind::Journald)
        .map(|f| &f.name)
        .collect();
    if let Some(clash) = names.iter().find(|n| taken.contains(n.as_str())) {
        return Err(format!(
            "ecosystem {}: {clash} is already generated from another ecosystem file",
            bundle.ecosystem
        ));
    }
    taken.extend(names.into_iter().cloned());
    Ok(())
}

fn write_bundle(
    bundle: &Bundle,
    source: &Path,
    source_path: &str,
    normal_dir: &Path,
    log: &mut dyn FnMut(Level, &str),
) -> io::Result<()> {
    for file in &bundle.files {
        match file.kind {
            FileKind::Journald => log(
                Level::Warning,
                &format!(
                    "{}: {} not written: journald configuration needs `gen-units install`",
                    source.display(),
                    file.name
                ),
            ),
            FileKind::Env => write(&normal_dir.join(&file.name), file, &file.contents)?,
            // Never in a generator's bundle: its units load the package's preload.
            FileKind::Lib => {}
            FileKind::Unit => {
                let contents = with_source_path(&file.contents, source_path);
                write(&normal_dir.join(&file.name), file, &contents)?;
                for (dependency, wanting) in file.install.iter().flat_map(|i| i.links()) {
                    let dir = normal_dir.join(format!("{wanting}.{dependency}"));
                    fs::create_dir_all(&dir)?;
                    let link = dir.join(&file.name);
                    if fs::symlink_metadata(&link).is_err() {
                        symlink(normal_dir.join(&file.name), link)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn write(path: &Path, file: &BundleFile, contents: &str) -> io::Result<()> {
    let mut out = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(file.mode)
        .open(path)?;
    out.write_all(contents.as_bytes())
}

/// The unit with `SourcePath=` (`source_path`, escaped for a unit file) added to its
/// `[Unit]` section (created if missing), unless it already names one.
pub fn with_source_path(contents: &str, source_path: &str) -> String {
    if UnitFile::parse(contents)
        .value("Unit", "SourcePath")
        .is_some()
    {
        return contents.to_string();
    }
    let line = format!("SourcePath={source_path}");
    let mut out = String::with_capacity(contents.len() + line.len() + 8);
    let mut added = false;
    for text in contents.split_inclusive('\n') {
        out.push_str(text);
        if !added && text.trim_end() == "[Unit]" {
            out.push_str(&line);
            out.push('\n');
            added = true;
        }
    }
    if added {
        return out;
    }
    // No [Unit] section: add one right after the marker line (the first line).
    let (first, rest) = contents.split_once('\n').unwrap_or((contents, ""));
    format!("{first}\n[Unit]\n{line}\n\n{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Scope;

    #[test]
    fn the_generator_uses_the_package_preload_or_no_socket_without_it() {
        let mut app = crate::plan::testing::app("web");
        app.env.insert("PORT".into(), "3000".into());
        let ecosystem = crate::plan::testing::ecosystem(vec![app]);
        let service = |installed: bool| {
            let options = with_package_preload(RenderOptions::default(), installed);
            let bundle = render_bundle(&ecosystem, &options).unwrap().bundle;
            assert!(bundle.files.iter().all(|f| f.kind != FileKind::Lib));
            let sockets = bundle
                .files
                .iter()
                .filter(|f| f.name.ends_with(".socket"))
                .count();
            let service = bundle
                .files
                .into_iter()
                .find(|f| f.name == "agents-web.service")
                .unwrap();
            (service.contents, sockets)
        };
        let (with, sockets) = service(true);
        assert!(
            with.contains(r#""--require" "/usr/lib/ecosystemd/preload.cjs""#),
            "{with}"
        );
        assert_eq!(sockets, 1);
        let (without, sockets) = service(false);
        assert!(!without.contains("--require"), "{without}");
        assert_eq!(sockets, 0);
    }

    #[test]
    fn source_path_goes_into_the_unit_section() {
        let unit = "# marker\n[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n";
        assert_eq!(
            with_source_path(unit, "/etc/ecosystemd/a%%b.yaml"),
            "# marker\n[Unit]\nSourcePath=/etc/ecosystemd/a%%b.yaml\nDescription=x\n[Service]\nExecStart=/bin/true\n"
        );
        assert!(
            with_source_path("# m\n[Service]\n", "/e/a.yaml")
                .starts_with("# m\n[Unit]\nSourcePath=/e/a.yaml\n\n[Service]")
        );
    }

    #[test]
    fn a_bad_file_or_a_clash_skips_only_that_file() {
        struct Removed(PathBuf);
        impl Drop for Removed {
            fn drop(&mut self) {
                let _ = fs::remove_dir_all(&self.0);
            }
        }
        let base =
            std::env::temp_dir().join(format!("ecosystemd-generator-{}", std::process::id()));
        let _cleanup = Removed(base.clone());
        let config = base.join("config");
        let out = base.join("out");
        fs::create_dir_all(&config).unwrap();
        fs::create_dir_all(&out).unwrap();
        for name in ["a.yaml", "b.yaml", "c.json", "d.yaml", "notes.txt"] {
            fs::write(config.join(name), name).unwrap();
        }
        let render = |source: &Path, _env: &Path| -> Result<(Bundle, Vec<String>), String> {
            let name = source.file_name().unwrap().to_string_lossy().into_owned();
            if name == "b.yaml" {
                return Err(format!("{}:1:1: error: broken", source.display()));
            }
            // d.yaml clashes with a.yaml's unit.
            let unit = if name == "d.yaml" {
                "a-yaml".to_string()
            } else {
                name.replace('.', "-")
            };
            Ok((Bundle {
                scope: Scope::System,
                ecosystem: name.clone(),
                files: vec![BundleFile::new(FileKind::Unit, format!("{unit}.service"), 0o644, "# m\n[Unit]\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n".into())],
            }, vec![format!("{name}: warning: noted")]))
        };
        let mut lines = Vec::new();
        let summary = generate(&config, &out, &render, &mut |_, m| {
            lines.push(m.to_string())
        });
        assert_eq!(
            summary.rendered,
            [config.join("a.yaml"), config.join("c.json")]
        );
        let skipped: Vec<_> = summary.skipped.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(skipped, [config.join("b.yaml"), config.join("d.yaml")]);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("b.yaml:1:1: error: broken"))
        );
        let unit = fs::read_to_string(out.join("a-yaml.service")).unwrap();
        assert!(unit.contains(&format!("SourcePath={}", config.join("a.yaml").display())));
        assert_eq!(
            fs::read_link(out.join("multi-user.target.wants/c-json.service")).unwrap(),
            out.join("c-json.service")
        );
    }
}
