//! What an install will do: files added, changed, kept and removed, decided before
//! anything is written. Conflicts with files the ecosystem does not own are found here,
//! so that they refuse the install while nothing has changed yet.

use std::fmt;

use crate::bundle::{Bundle, BundleFile, FileKind};

use super::destination::Layout;
use super::ownership::{self, Existing};

/// What happens to one public entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// New: a link is added.
    Add,
    /// Owned, and its contents differ.
    Change,
    /// Owned, and identical.
    Keep,
    /// Owned, and no longer in the bundle: stopped, disabled and removed.
    Remove,
}

/// One entry of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Where it goes.
    pub kind: FileKind,
    /// Its name in that folder.
    pub name: String,
    /// What happens to it.
    pub action: Action,
    /// Whether today's entry is an owned regular file rather than a link.
    pub adopt: bool,
}

/// The whole diff of an install.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// Every entry, sorted by kind and name.
    pub changes: Vec<Change>,
    /// Warnings about bundle files this destination does not take.
    pub warnings: Vec<String>,
}

/// Why an install is refused before anything changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflicts(pub Vec<String>);

impl fmt::Display for Conflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl Diff {
    /// Compares `bundle` with what `layout` holds today.
    pub fn compute(layout: &Layout, bundle: &Bundle) -> std::io::Result<Result<Self, Conflicts>> {
        let mut diff = Self::default();
        let mut conflicts = Vec::new();
        for file in bundle.files.iter() {
            if layout.dir_for(file.kind).is_none() {
                diff.warnings.push(format!(
                    "{} {}: not installed: a user manager has no journald configuration of its own",
                    file.kind, file.name
                ));
                continue;
            }
            let existing = ownership::classify(layout, &bundle.ecosystem, file.kind, &file.name)?;
            let action = match &existing {
                Existing::Missing => Action::Add,
                Existing::Foreign(why) => {
                    let dir = layout.dir_for(file.kind).unwrap_or(&layout.unit_dir);
                    conflicts.push(format!(
                        "{} exists and is not ecosystem {}'s ({why}); move it away or rename the app",
                        dir.join(&file.name).display(),
                        bundle.ecosystem
                    ));
                    continue;
                }
                Existing::OwnedLink | Existing::OwnedFile => {
                    match ownership::current_contents(layout, file.kind, &file.name) {
                        Some(current) if current == file.contents => Action::Keep,
                        _ => Action::Change,
                    }
                }
            };
            diff.changes.push(Change {
                kind: file.kind,
                name: file.name.clone(),
                action,
                adopt: existing == Existing::OwnedFile,
            });
        }
        if !conflicts.is_empty() {
            return Ok(Err(Conflicts(conflicts)));
        }
        for (kind, name) in ownership::owned_entries(layout, &bundle.ecosystem)? {
            if !bundle
                .files
                .iter()
                .any(|f| f.kind == kind && f.name == name)
            {
                let adopt = ownership::classify(layout, &bundle.ecosystem, kind, &name)?
                    == Existing::OwnedFile;
                diff.changes.push(Change {
                    kind,
                    name,
                    action: Action::Remove,
                    adopt,
                });
            }
        }
        diff.changes
            .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        Ok(Ok(diff))
    }

    /// The entries with `action`.
    pub fn with(&self, action: Action) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.action == action)
    }

    /// Units that must restart to pick up a change: changed unit files, services whose
    /// environment file changed, and the journald instance whose configuration changed.
    pub fn units_to_restart(&self, files: &[&BundleFile]) -> Vec<String> {
        let mut units: Vec<String> = self
            .with(Action::Change)
            .filter(|c| c.kind == FileKind::Unit)
            .map(|c| c.name.clone())
            .collect();
        for changed in self
            .with(Action::Change)
            .filter(|c| matches!(c.kind, FileKind::Env | FileKind::Lib))
        {
            let reference = format!("ecosystemd/{}/{}", changed.kind, changed.name);
            for unit in files.iter().filter(|f| f.kind == FileKind::Unit) {
                if unit.contents.contains(&reference) && !units.contains(&unit.name) {
                    units.push(unit.name.clone());
                }
            }
        }
        for journald in self.changes.iter().filter(|c| {
            c.kind == FileKind::Journald && matches!(c.action, Action::Add | Action::Change)
        }) {
            if let Some(unit) = journald_unit(&journald.name)
                && !units.contains(&unit)
            {
                units.push(unit);
            }
        }
        units.sort();
        units
    }

    /// The summary `--dry-run` prints: one line per added, changed or removed entry.
    pub fn describe(&self, layout: &Layout) -> String {
        let mut out = String::new();
        for change in &self.changes {
            let verb = match change.action {
                Action::Add => "add",
                Action::Change => "change",
                Action::Remove => "remove",
                Action::Keep => continue,
            };
            let dir = layout.dir_for(change.kind).unwrap_or(&layout.unit_dir);
            out.push_str(&format!("{verb:<7}{}\n", dir.join(&change.name).display()));
        }
        let count = |action| self.with(action).count();
        out.push_str(&format!(
            "{} to add, {} to change, {} to remove, {} unchanged\n",
            count(Action::Add),
            count(Action::Change),
            count(Action::Remove),
            count(Action::Keep)
        ));
        out
    }
}

/// The journald instance that reads a journald configuration file: `journald@NS.conf`
/// is read by `systemd-journald@NS.service`, `journald.conf.d/*` by the main one.
fn journald_unit(name: &str) -> Option<String> {
    if let Some(namespace) = name
        .strip_prefix("journald@")
        .and_then(|rest| rest.strip_suffix(".conf"))
    {
        return Some(format!("systemd-journald@{namespace}.service"));
    }
    name.starts_with("journald.conf.d/")
        .then(|| "systemd-journald.service".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: FileKind, name: &str, action: Action) -> Change {
        Change {
            kind,
            name: name.into(),
            action,
            adopt: false,
        }
    }

    #[test]
    fn restarts_changed_units_env_users_and_their_journald() {
        let diff = Diff {
            changes: vec![
                change(FileKind::Unit, "g-a.service", Action::Change),
                change(FileKind::Unit, "g-b.service", Action::Keep),
                change(FileKind::Unit, "g-c.service", Action::Add),
                change(FileKind::Env, "g-b.env", Action::Change),
                change(FileKind::Journald, "journald@g.conf", Action::Add),
                change(FileKind::Journald, "journald.conf.d/g.conf", Action::Keep),
            ],
            warnings: Vec::new(),
        };
        let b = BundleFile::new(
            FileKind::Unit,
            "g-b.service".into(),
            0o644,
            "EnvironmentFile=%E/ecosystemd/env/g-b.env\n".into(),
        );
        assert_eq!(
            diff.units_to_restart(&[&b]),
            ["g-a.service", "g-b.service", "systemd-journald@g.service"]
        );
    }
}
