//! Who owns what is already installed: ours (this ecosystem's), or someone else's.
//!
//! A public entry (in the unit, env or journald folder) is this ecosystem's when it is
//! a symlink into the ecosystem's generations folder, or a regular file whose first
//! line is the ownership marker naming the ecosystem. Anything else is foreign and is
//! never replaced, moved or removed.

use std::fs;
use std::io::{self, Read as _};
use std::path::Path;

use crate::bundle::FileKind;
use crate::marker::Marker;

use super::destination::Layout;

/// What sits at a public path today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// Nothing.
    Missing,
    /// A link into this ecosystem's generations: switched with `current`.
    OwnedLink,
    /// A regular file carrying this ecosystem's marker (for example copied from
    /// `gen-units --output-dir`): replaced by a link.
    OwnedFile,
    /// Anything else: a file without the marker, another ecosystem's, a link elsewhere.
    Foreign(String),
}

impl Existing {
    /// Whether the entry belongs to the ecosystem being installed.
    pub fn is_owned(&self) -> bool {
        matches!(self, Self::OwnedLink | Self::OwnedFile)
    }
}

/// Classifies the public entry `name` of `kind` for `ecosystem`.
pub fn classify(
    layout: &Layout,
    ecosystem: &str,
    kind: FileKind,
    name: &str,
) -> io::Result<Existing> {
    let Some(dir) = layout.dir_for(kind) else {
        return Ok(Existing::Missing);
    };
    let path = layout.host(&dir.join(name));
    let metadata = match fs::symlink_metadata(&path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Existing::Missing),
        Err(error) => return Err(error),
    };
    if metadata.file_type().is_symlink() {
        let target = fs::read_link(&path)?;
        return Ok(if target.starts_with(layout.group_dir(ecosystem)) {
            Existing::OwnedLink
        } else {
            Existing::Foreign(format!("a symlink to {}", target.display()))
        });
    }
    if !metadata.is_file() {
        return Ok(Existing::Foreign("not a regular file".into()));
    }
    Ok(match marker_of(&path)? {
        Some(marker) if marker.ecosystem == ecosystem => Existing::OwnedFile,
        Some(marker) => Existing::Foreign(format!("owned by ecosystem {}", marker.ecosystem)),
        None => Existing::Foreign("it carries no ecosystemd marker".into()),
    })
}

/// Every public entry `ecosystem` owns today, by kind and name.
pub fn owned_entries(layout: &Layout, ecosystem: &str) -> io::Result<Vec<(FileKind, String)>> {
    let mut owned = Vec::new();
    for kind in [
        FileKind::Unit,
        FileKind::Env,
        FileKind::Lib,
        FileKind::Journald,
    ] {
        let Some(dir) = layout.dir_for(kind) else {
            continue;
        };
        let mut names = list_names(&layout.host(dir))?;
        if kind == FileKind::Journald {
            let nested = list_names(&layout.host(&dir.join("journald.conf.d")))?;
            names.extend(nested.into_iter().map(|n| format!("journald.conf.d/{n}")));
            names.retain(|n| n.starts_with("journald"));
        }
        for name in names {
            if !crate::bundle::is_valid_name(kind, &name) {
                continue;
            }
            if classify(layout, ecosystem, kind, &name)?.is_owned() {
                owned.push((kind, name));
            }
        }
    }
    owned.sort();
    Ok(owned)
}

/// The contents an owned entry shows today (through its link), if readable.
pub fn current_contents(layout: &Layout, kind: FileKind, name: &str) -> Option<String> {
    let dir = layout.dir_for(kind)?;
    let public = layout.host(&dir.join(name));
    let target = match fs::read_link(&public) {
        Ok(target) if target.is_absolute() => layout.host(&target),
        Ok(_) | Err(_) => public,
    };
    fs::read_to_string(target).ok()
}

fn list_names(dir: &Path) -> io::Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut names = Vec::new();
    for entry in entries {
        if let Ok(name) = entry?.file_name().into_string() {
            names.push(name);
        }
    }
    Ok(names)
}

fn marker_of(path: &Path) -> io::Result<Option<Marker>> {
    let mut head = Vec::with_capacity(512);
    fs::File::open(path)?.take(4096).read_to_end(&mut head)?;
    Ok(Marker::parse(&String::from_utf8_lossy(&head)))
}
