//! `gen-units import`: an existing PM2 ecosystem (JavaScript, JSON or YAML) as an
//! `ecosystem.yaml` for gen-units, with a comment above each attribute whose meaning
//! changes under systemd.
//!
//! The data flow: read ([`evaluate`] runs JavaScript with Node.js; JSON and YAML are
//! read directly) into an ordered [`Doc`], then [`emit`] writes it as YAML while
//! [`notes`] says what to comment. Values are copied, never reinterpreted: gen-units
//! reads the result exactly as it would have read the original.

pub mod doc;
pub mod emit;
pub mod evaluate;
pub mod jail;
pub mod notes;

use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Rejected};
pub use doc::Doc;
use emit::{Annotate, PathStep};
pub use evaluate::{Isolation, NodeOptions};

/// An imported ecosystem.
#[derive(Debug)]
pub struct Imported {
    /// The ecosystem as YAML, with its comments.
    pub yaml: String,
    /// The document it holds.
    pub doc: Doc,
    /// What the user should know (no network isolation, ...).
    pub warnings: Vec<Diagnostic>,
}

/// The formats `import` reads, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.js`, `.cjs`, `.mjs`: evaluated with Node.js.
    JavaScript,
    /// `.json`, `.json5`, `.jsonc`: read as JSON5, as PM2 reads JSON leniently.
    Json,
    /// `.yaml`, `.yml`.
    Yaml,
}

impl Format {
    /// The format of `file`, by its extension.
    pub fn of(file: &Path) -> Option<Self> {
        match file.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "js" | "cjs" | "mjs" => Some(Self::JavaScript),
            "json" | "json5" | "jsonc" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// Reads `file` and converts it; every failure is a located error about `file`.
pub fn import(file: &Path, node: &NodeOptions) -> Result<Imported, Rejected> {
    let format = Format::of(file).ok_or_else(|| {
        reject(
            Diagnostic::error(
                file,
                None,
                "cannot tell the format of this file by its name",
            )
            .with_hint("name it *.config.js, *.cjs, *.mjs, *.json, *.json5, *.yaml or *.yml"),
        )
    })?;
    let mut warnings = Vec::new();
    let doc = match format {
        Format::JavaScript => {
            let evaluated = evaluate::evaluate(file, node).map_err(reject)?;
            if evaluated.isolation == Isolation::None {
                warnings.push(
                    Diagnostic::warning(
                        file,
                        None,
                        "evaluated with the host's network: no network namespace could be created",
                    )
                    .with_hint("run as root, or allow unprivileged user namespaces, to evaluate without network"),
                );
            }
            serde_json::from_str(&evaluated.json).map_err(|error| {
                reject(Diagnostic::error(
                    file,
                    None,
                    format!("Node.js printed no valid JSON for module.exports: {error}"),
                ))
            })?
        }
        Format::Json | Format::Yaml => {
            let text = fs::read_to_string(file).map_err(|error| {
                reject(Diagnostic::error(
                    file,
                    None,
                    format!("cannot read the file: {error}"),
                ))
            })?;
            parse_text(file, &text)?
        }
    };
    check_shape(file, &doc)?;
    let source = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let yaml = format!(
        "{}{}",
        header(&source),
        emit::to_yaml(&doc, &PmNotes::for_doc(&doc))
    );
    Ok(Imported {
        yaml,
        doc,
        warnings,
    })
}

/// Parses JSON5 or YAML text into a document, with the ecosystem readers (the same
/// syntax `gen-units` accepts).
fn parse_text(file: &Path, text: &str) -> Result<Doc, Rejected> {
    crate::ecosystem::syntax_tree(text, file)
        .map(|tree| Doc::from(&tree))
        .map_err(reject)
}

/// Refuses documents that cannot be an ecosystem: a list of apps, an object with
/// `apps`, or a single app object.
fn check_shape(file: &Path, doc: &Doc) -> Result<(), Rejected> {
    let fine = match doc {
        Doc::Seq(_) => true,
        Doc::Map(_) => doc
            .get("apps")
            .is_none_or(|apps| matches!(apps, Doc::Seq(_) | Doc::Map(_))),
        _ => false,
    };
    if fine {
        Ok(())
    } else {
        Err(reject(
            Diagnostic::error(file, None, "this is no PM2 ecosystem: expected an object with `apps`, a list of apps or one app")
                .with_hint("module.exports = { apps: [ { name: 'api', script: 'server.js' } ] }"),
        ))
    }
}

fn reject(diagnostic: Diagnostic) -> Rejected {
    Rejected(vec![diagnostic])
}

/// The comment at the top of every imported file.
fn header(source: &str) -> String {
    format!(
        "# Converted from {source} by gen-units import.\n\
         # A comment above an attribute says how systemd's behaviour differs from PM2's.\n\
         # Relative paths resolve against `base_dir:` when set, else this file's folder or the project's top.\n\
         # Check it with `gen-units check FILE`, render it with `gen-units FILE`.\n\n"
    )
}

/// Where the apps of a PM2 document are, and what to say about their attributes.
struct PmNotes {
    shape: Shape,
}

/// The three shapes PM2 accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `{ apps: [...], deploy: ... }`.
    AppsKey,
    /// `[ {app}, {app} ]`.
    List,
    /// `{ name: ..., script: ... }`.
    SingleApp,
}

impl PmNotes {
    fn for_doc(doc: &Doc) -> Self {
        let shape = match doc {
            Doc::Seq(_) => Shape::List,
            _ if doc.get("apps").is_some() => Shape::AppsKey,
            _ => Shape::SingleApp,
        };
        Self { shape }
    }
}

impl Annotate for PmNotes {
    fn note(&self, path: &[PathStep<'_>], key: &str, value: &Doc, map: &Doc) -> Option<String> {
        let in_app = match (self.shape, path) {
            (Shape::AppsKey, [PathStep::Key("apps"), PathStep::Index(_)]) => true,
            (Shape::AppsKey, [PathStep::Key("apps")]) => true,
            (Shape::List, [PathStep::Index(_)]) => true,
            (Shape::SingleApp, []) => true,
            (Shape::AppsKey, []) => return notes::top_level(key, value),
            _ => false,
        };
        if in_app {
            notes::app_attribute(key, value, map)
        } else {
            value.unrepresentable().map(notes::unrepresentable)
        }
    }
}

/// What `gen-units import` is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The PM2 ecosystem file.
    pub file: PathBuf,
    /// Where the YAML will be written (`None`: standard output).
    pub output: Option<PathBuf>,
    /// How to run Node.js for JavaScript files.
    pub node: NodeOptions,
    /// The folder the import runs in, taken for the one `pm2 start` ran in.
    pub run_dir: Option<PathBuf>,
}

/// Converts the file `request` names, for writing where it says: refuses to overwrite
/// the file itself, records the folder it runs in as `base_dir:` where relative paths
/// need it, and warns when they would resolve against another folder.
pub fn import_for(request: &Request) -> Result<Imported, Rejected> {
    if let Some(output) = &request.output
        && same_file(output, &request.file)
    {
        return Err(reject(
            Diagnostic::error(output, None, "this is the file being imported")
                .with_hint("choose another --output"),
        ));
    }
    let mut imported = import(&request.file, &request.node)?;
    let recorded = match &request.run_dir {
        Some(dir) => record_base_dir(&mut imported, dir),
        None => false,
    };
    if let Some(output) = &request.output
        && !recorded
        && folder_of(output) != folder_of(&request.file)
        && has_relative_paths(&imported.doc)
    {
        imported.warnings.push(
            Diagnostic::warning(
                output,
                None,
                "written to another folder than the original: its relative `script` and `cwd` now resolve against this one",
            )
            .with_hint("write it beside the original, or make those paths absolute"),
        );
    }
    Ok(imported)
}

/// Records `dir`, the folder `gen-units import` runs in (taken for the one `pm2 start`
/// ran in, which PM2 resolves relative paths against), as the top-level `base_dir:`
/// when an app has a relative `script` or `cwd` and the document has an `apps:` key
/// to put it beside. Returns whether it was written.
pub fn record_base_dir(imported: &mut Imported, dir: &Path) -> bool {
    let apps_key = matches!(imported.doc, Doc::Map(_)) && imported.doc.get("apps").is_some();
    if !apps_key || !has_relative_paths(&imported.doc) {
        return false;
    }
    let Ok(quoted) = serde_json::to_string(&dir.display().to_string()) else {
        return false;
    };
    let Some((head, body)) = imported.yaml.split_once("\n\n") else {
        return false;
    };
    imported.yaml = format!(
        "{head}\n\n# The folder `pm2 start` ran in (where this file was imported): relative\n\
         # `script` and `cwd` resolve against it, as under PM2.\nbase_dir: {quoted}\n\n{body}"
    );
    true
}

/// The absolute folder of `file`, as far as it can be resolved.
fn folder_of(file: &Path) -> Option<PathBuf> {
    let folder = std::path::absolute(file).ok()?.parent()?.to_path_buf();
    Some(fs::canonicalize(&folder).unwrap_or(folder))
}

/// Whether an app of `doc` has a relative `script` or `cwd`.
fn has_relative_paths(doc: &Doc) -> bool {
    let apps: Vec<&Doc> = match doc {
        Doc::Seq(apps) => apps.iter().collect(),
        _ => match doc.get("apps") {
            Some(Doc::Seq(apps)) => apps.iter().collect(),
            Some(app @ Doc::Map(_)) => vec![app],
            _ => vec![doc],
        },
    };
    let relative = |app: &Doc, key: &str, file_like: bool| {
        app.get(key)
            .and_then(Doc::as_str)
            .is_some_and(|path| !path.starts_with('/') && (!file_like || path.contains(['/', '.'])))
    };
    // A bare `script` such as `npm` is a program looked up in PATH, not a path.
    apps.iter().any(|app| {
        relative(app, "cwd", false) || relative(app, "script", true) || relative(app, "exec", true)
    })
}

/// Whether `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Writes `contents` to `path` through a temporary file in the same folder and a rename,
/// so that `path` never holds half a file.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "import".into(), |n| n.to_string_lossy().into_owned());
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = fs::write(&temporary, contents).and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported(json: &str) -> Imported {
        let doc = parse_text(Path::new("ecosystem.json"), json).unwrap();
        Imported {
            yaml: format!(
                "{}{}",
                header("ecosystem.json"),
                "apps:\n  - script: app.js\n"
            ),
            doc,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn the_import_folder_is_recorded_as_base_dir_for_relative_paths() {
        let mut relative = imported(r#"{"apps": [{"script": "app.js"}]}"#);
        assert!(record_base_dir(&mut relative, Path::new("/home/ana/shop")));
        assert!(
            relative
                .yaml
                .contains("\nbase_dir: \"/home/ana/shop\"\n\napps:"),
            "{}",
            relative.yaml
        );
        let ecosystem = crate::ecosystem::parse(
            &relative.yaml,
            Path::new("/elsewhere/ecosystem.yaml"),
            &crate::ecosystem::LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(ecosystem.apps[0].cwd, Path::new("/home/ana/shop"));
        assert_eq!(ecosystem.base_dir, Path::new("/home/ana/shop"));

        let mut absolute = imported(r#"{"apps": [{"script": "/srv/app.js"}]}"#);
        assert!(!record_base_dir(&mut absolute, Path::new("/home/ana/shop")));
        let mut list = imported(r#"[{"script": "app.js"}]"#);
        assert!(!record_base_dir(&mut list, Path::new("/home/ana/shop")));
        assert!(!list.yaml.contains("\nbase_dir:"));
    }
}
