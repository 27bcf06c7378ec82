//! The ecosystem file: PM2's schema in YAML or JSON5, plus systemd-only extensions.
//!
//! [`load`] reads a file, [`parse`] reads text: each returns the validated
//! [`Ecosystem`] or every located error found. Reading goes in two steps: the text
//! becomes a located tree (`node`; YAML through serde-saphyr in `yaml`, JSON5 in
//! `json5`), then the schema layer (`app`, `settings`, `systemd_options`,
//! `watchdog_policy`) reads the tree into the model, resolving PM2's aliases and
//! defaults. What `pm2 start` found on its host is found again while reading (see
//! [`Lookups`]): the project root (`project`), who the apps run as and the commands
//! that user's shell finds (`host`, `account`), and where each script is
//! (`placement`).

mod account;
mod app;
mod command;
mod directive_values;
mod directives;
mod duration;
mod health;
mod host;
pub mod hosts;
pub mod inventory;
mod json5;
mod keys;
pub mod model;
mod names;
mod node;
mod placement;
pub mod project;
mod reader;
mod settings;
mod size;
mod suggest;
mod systemd_options;
mod systemd_syntax;
mod watchdog_policy;
mod words;
mod yaml;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub use host::Lookups;
pub use model::*;
pub use node::{Entry, Node, Value};
pub use placement::closed_access;

use crate::diagnostic::{Diagnostic, Location, Rejected};
use node::shown;
use reader::Reader;

/// How to read an ecosystem file.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--env NAME`: apply each app's `env_NAME` over its `env`.
    pub env: Option<String>,
    /// `--base-dir DIR`: relative `script` and `cwd` resolve against DIR (see
    /// [`project`]).
    pub base_dir: Option<PathBuf>,
    /// What may be looked up on this host (owner, search path, files).
    pub lookups: Lookups,
}

/// The syntax of an ecosystem file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (`.yaml`, `.yml`).
    Yaml,
    /// JSON read leniently, as JSON5 (`.json`, `.json5`, `.jsonc`).
    Json5,
}

impl Format {
    /// The format a file name says, if it says one.
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "yaml" | "yml" => Some(Self::Yaml),
            "json" | "json5" | "jsonc" => Some(Self::Json5),
            _ => None,
        }
    }
}

/// Reads and validates the ecosystem file at `path`, looking up what
/// `options.lookups` allows.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Ecosystem, Rejected> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => parse(&text, path, options),
            Err(error) => {
                let (line, column) =
                    line_column(error.as_bytes(), error.utf8_error().valid_up_to());
                Err(Rejected(vec![Diagnostic::error(
                    path,
                    Some(Location::new(line, column)),
                    "the file is not valid UTF-8",
                )]))
            }
        },
        Err(error) => Err(Rejected(vec![Diagnostic::error(
            path,
            None,
            format!("cannot read the file: {error}"),
        )])),
    }
}

/// Like [`load`], resolving bare program names through `search_path`, a `PATH`-style
/// list (a systemd generator, for one, runs with a minimal `PATH`).
pub fn load_with_search_path(
    path: &Path,
    options: &LoadOptions,
    search_path: &OsStr,
) -> Result<Ecosystem, Rejected> {
    load(path, &with_search_path(options, search_path))
}

fn with_search_path(options: &LoadOptions, search_path: &OsStr) -> LoadOptions {
    LoadOptions {
        lookups: Lookups::SearchPath(search_path.to_os_string()),
        ..options.clone()
    }
}

fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Reads and validates ecosystem `text`; `path` names it in diagnostics, decides the
/// format by extension (else the text is sniffed) and anchors relative paths (see
/// [`project`]).
pub fn parse(text: &str, path: &Path, options: &LoadOptions) -> Result<Ecosystem, Rejected> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (tree, format) = read_tree(text, path).map_err(|diagnostic| Rejected(vec![diagnostic]))?;
    let mut reader = Reader::new(path);
    reader.refuse_repeated_keys(format == Format::Yaml);
    let mut ecosystem = read_document(&mut reader, &tree, path, options);
    if reader.errors.is_empty() {
        ecosystem.warnings = crate::diagnostic::merge(reader.warnings);
        Ok(ecosystem)
    } else {
        let mut errors = reader.errors;
        errors.sort_by_key(|d| d.location);
        Err(Rejected(errors))
    }
}

/// Like [`parse`], resolving bare program names through `search_path`, a
/// `PATH`-style list.
pub fn parse_with_search_path(
    text: &str,
    path: &Path,
    options: &LoadOptions,
    search_path: &OsStr,
) -> Result<Ecosystem, Rejected> {
    parse(text, path, &with_search_path(options, search_path))
}

/// Reads `text` into the located document tree only, without the schema: the same
/// syntax as [`parse`] (format by `path`'s extension, else sniffed), for tools that
/// convert ecosystem files rather than validate them (`gen-units import`).
pub fn syntax_tree(text: &str, path: &Path) -> Result<Node, Diagnostic> {
    read_tree(text.strip_prefix('\u{feff}').unwrap_or(text), path).map(|(node, _)| node)
}

/// The tree of `text` and the syntax it was read as.
fn read_tree(text: &str, path: &Path) -> Result<(Node, Format), Diagnostic> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if matches!(extension, "js" | "cjs" | "mjs") {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        return Err(Diagnostic::error(
            path,
            None,
            "a JavaScript ecosystem file can only be read by running it",
        )
        .with_hint(format!(
            "convert it once, with Node.js evaluating it as pm2 does: gen-units import {name} -o ecosystem.yaml"
        )));
    }
    let yaml = |text| yaml::read(text, path).map(|node| (node, Format::Yaml));
    let json5 = |text| json5::read(text, path).map(|node| (node, Format::Json5));
    match Format::from_path(path) {
        Some(Format::Yaml) => yaml(text),
        Some(Format::Json5) => json5(text),
        None => {
            let start = text.trim_start();
            if start.starts_with(['{', '[']) || start.starts_with("//") || start.starts_with("/*") {
                // JSON5 first; YAML flow style also starts so, so try it second.
                json5(text).or_else(|json_error| yaml(text).map_err(|_| json_error))
            } else {
                yaml(text)
            }
        }
    }
}

/// The absolute folder of `path` (a bare file name lives in the current folder).
fn absolute_dir(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf())
}

fn read_document(
    reader: &mut Reader<'_>,
    tree: &Node,
    path: &Path,
    options: &LoadOptions,
) -> Ecosystem {
    // The three shapes PM2 accepts: {apps: [...], ...}, [...], and one app.
    let (top_entries, apps_node): (Vec<&node::Entry>, Option<&Node>) = match &tree.value {
        Value::Map(entries) if entries.iter().any(|e| e.key == "apps") => {
            let entries = reader.map(tree, "the top level").unwrap_or_default();
            let apps = entries.iter().find(|e| e.key == "apps").map(|e| &e.value);
            (entries, apps)
        }
        // One app: it has a key only apps have (`script`, `name`, ...).
        Value::Map(entries)
            if entries.iter().any(|e| {
                keys::app_key(&e.key).is_some() && !keys::TOP_LEVEL_KEYS.contains(&e.key.as_str())
            }) =>
        {
            (Vec::new(), Some(tree))
        }
        Value::Map(entries) => {
            reader.missing(
                tree.at,
                "no `apps` list and no app (`script`) found",
                "write `apps:` with a list of apps, a bare list of apps, or one app with a `script`",
                "apps",
                entries,
            );
            (entries.iter().collect(), None)
        }
        Value::Seq(_) => (Vec::new(), Some(tree)),
        Value::Null => {
            reader.error(tree.at, "the file is empty");
            (Vec::new(), None)
        }
        _ => {
            reader.expected(
                tree,
                "the top level",
                "a mapping with `apps`, a list of apps, or one app",
            );
            (Vec::new(), None)
        }
    };
    let top = settings::read(reader, &top_entries, path);
    let app_nodes: Vec<&Node> = match apps_node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().collect(),
        Some(Value::Null) => Vec::new(),
        Some(Value::Map(_)) => apps_node.into_iter().collect(),
        Some(_) => {
            if let Some(node) = apps_node {
                reader.expected(node, "apps", "a list of apps");
            }
            Vec::new()
        }
        None => Vec::new(),
    };
    if let Some(node) = apps_node
        && app_nodes.is_empty()
        && matches!(node.value, Value::Seq(_) | Value::Null)
    {
        reader.warn(node.at, "the ecosystem has no apps", None);
    }
    let file_dir = absolute_dir(path);
    let explicit = options
        .base_dir
        .as_deref()
        .map(|dir| command::absolute(&file_dir, &dir.to_string_lossy()))
        .or_else(|| {
            written_base_dir(reader, &top_entries).map(|dir| command::absolute(&file_dir, &dir))
        });
    let root = explicit
        .clone()
        .unwrap_or_else(|| project::project_root(path));
    let bases = project::bases(root.clone(), file_dir, explicit);
    let base_dir = root;
    let resolver = host::Resolver::new(options.lookups.clone(), &base_dir);
    if options.lookups == Lookups::Portable {
        reader.warn(
            tree.at,
            "--portable: no script, command, user or permission was checked on this host",
            Some("run `gen-units check` on the host the apps run on".to_owned()),
        );
    }
    let default_hosts = hosts::read_default(reader, &top_entries);
    let cx = app::Context {
        bases: &bases,
        env_name: options.env.as_deref(),
        host: &resolver,
        systemd: &top.systemd,
        watchdog: &top.watchdog,
        hosts: default_hosts.as_ref(),
    };
    let read_apps = read_apps(reader, app_nodes, &cx);
    Ecosystem {
        source: path.to_path_buf(),
        base_dir,
        settings: top.settings,
        apps: read_apps.into_iter().map(|read| read.app).collect(),
        warnings: Vec::new(),
    }
}

/// Reads every app entry (those with errors are left out, their errors recorded),
/// under the name it runs as: a repeated name is numbered first, so that every
/// warning names the app as its unit will.
fn read_apps(
    reader: &mut Reader<'_>,
    app_nodes: Vec<&Node>,
    cx: &app::Context<'_>,
) -> Vec<app::ReadApp> {
    // Names of every entry, refused ones too, so a dependency on an app with an
    // error of its own is not reported as missing.
    let declared: Vec<Option<String>> = app_nodes
        .iter()
        .map(|node| app::declared_name(node, cx.env_name))
        .collect();
    let unique = names::make_unique(reader, &app_nodes, &declared);
    let mut read_apps: Vec<app::ReadApp> = Vec::with_capacity(app_nodes.len());
    for (node, name) in app_nodes.into_iter().zip(unique) {
        reader.set_app(name.clone());
        if let Some(mut read) = app::read(reader, node, cx) {
            read.app.name = name.unwrap_or(read.app.name);
            read_apps.push(read);
        }
    }
    reader.set_app(None);
    let declared: Vec<String> = declared.into_iter().flatten().collect();
    check_dependencies(reader, &read_apps, &declared);
    read_apps
}

/// The top-level `base_dir:` (the folder `pm2 start` ran in, which `gen-units import`
/// records), if written.
fn written_base_dir(reader: &mut Reader<'_>, top: &[&node::Entry]) -> Option<String> {
    let entry = top.iter().find(|e| e.key == "base_dir")?;
    reader.string(&entry.value, "base_dir")
}

/// Every `depends_on` must name another app of the file (`declared` holds them all).
fn check_dependencies(reader: &mut Reader<'_>, apps: &[app::ReadApp], declared: &[String]) {
    let names: Vec<&str> = declared.iter().map(String::as_str).collect();
    for read in apps {
        for (index, dependency) in read.app.systemd.depends_on.iter().enumerate() {
            let at = read
                .depends_on_at
                .get(index)
                .copied()
                .unwrap_or(read.app.location);
            if dependency == &read.app.name {
                reader.error(at, format!("app `{}` depends on itself", shown(dependency)));
            } else if !names.contains(&dependency.as_str()) {
                let message = format!("`depends_on`: no app is named `{}`", shown(dependency));
                match suggest::closest(dependency, names.iter().copied()) {
                    Some(near) => reader.error_hint(at, message, format!("did you mean `{near}`?")),
                    None => reader.error(at, message),
                }
            }
        }
    }
}
