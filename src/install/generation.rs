//! Staging a new generation and switching to it with one `rename(2)`.
//!
//! Each ecosystem keeps its files in `GENERATIONS/<group>/<N>/<kind>/<name>`, and
//! `GENERATIONS/<group>/current` is a symlink naming the live generation. Every public
//! entry (`/etc/systemd/system/<unit>`, `/etc/ecosystemd/env/<name>.env`, journald
//! files) is a symlink through `current`. So:
//!
//! 1. the new generation is written and synced while nothing public changes;
//! 2. links for new names are added; they dangle (no file behind them in the old
//!    generation), and a dangling unit link is no unit at all;
//! 3. `current` is replaced by one `rename(2)`: every file switches at once;
//! 4. links of removed names, now dangling, are deleted, and old generations pruned.
//!
//! Killed at any point, the public folders resolve to the old set (before step 3) or
//! the new set (after it), never a mix; leftovers of an interrupted run (an unused
//! generation, dangling links) are cleaned by the next run.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};

use crate::bundle::{BundleFile, FileKind};

use super::destination::Layout;
use super::diff::{Action, Diff};

/// Environment variable naming a checkpoint at which the process exits at once, as if
/// killed there. Used by the tests that prove an interrupted install leaves the old or
/// the new set; unset in normal use.
pub const CRASH_AT_ENV: &str = "ECOSYSTEMD_INSTALL_CRASH_AT";

/// The mode of every folder install creates: readable and searchable by all.
const FOLDER_MODE: u32 = 0o755;

/// Counts the steps of an install and, under [`CRASH_AT_ENV`], stops at the chosen one.
#[derive(Debug)]
pub struct Checkpoints {
    passed: u64,
    crash_at: Option<u64>,
}

impl Checkpoints {
    /// Checkpoints configured from the environment.
    pub fn from_env() -> Self {
        Self {
            passed: 0,
            crash_at: std::env::var(CRASH_AT_ENV)
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    /// Marks one more step done; exits with status 137 (as SIGKILL) if it is the chosen one.
    pub fn pass(&mut self) {
        self.passed += 1;
        if self.crash_at == Some(self.passed) {
            std::process::exit(137);
        }
    }
}

/// Holds the ecosystem's install lock while alive.
#[derive(Debug)]
pub struct GroupLock {
    _file: File,
}

/// Takes the install lock of `ecosystem`, creating its generations folder.
pub fn lock(layout: &Layout, ecosystem: &str) -> io::Result<GroupLock> {
    let dir = layout.host(&layout.group_dir(ecosystem));
    create_folders(&dir)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lock"))?;
    file.lock()?;
    Ok(GroupLock { _file: file })
}

/// Writes `files` as a new generation, links new names, switches `current` to it,
/// removes the links `diff` prunes and deletes older generations.
pub fn switch(
    layout: &Layout,
    ecosystem: &str,
    files: &[&BundleFile],
    diff: &Diff,
    checkpoints: &mut Checkpoints,
) -> io::Result<()> {
    let group_dir = layout.host(&layout.group_dir(ecosystem));
    let number = next_generation(&group_dir)?;
    let generation = group_dir.join(number.to_string());
    if generation.exists() {
        fs::remove_dir_all(&generation)?;
    }
    for file in files {
        write_file(&generation.join(file.kind.as_str()).join(&file.name), file)?;
        checkpoints.pass();
    }
    create_folders(&generation)?;
    sync_dir(&generation)?;

    for change in diff.with(Action::Add) {
        link(layout, ecosystem, change.kind, &change.name)?;
        checkpoints.pass();
    }

    let current = layout.host(&layout.current_link(ecosystem));
    let staged = group_dir.join(".current.new");
    remove_if_present(&staged)?;
    symlink(number.to_string(), &staged)?;
    fs::rename(&staged, &current)?;
    sync_dir(&group_dir)?;
    checkpoints.pass();

    for change in &diff.changes {
        match change.action {
            Action::Remove => {
                unlink(layout, change.kind, &change.name)?;
                checkpoints.pass();
            }
            Action::Change | Action::Keep if change.adopt => {
                link(layout, ecosystem, change.kind, &change.name)?;
                checkpoints.pass();
            }
            _ => {}
        }
    }
    for stale in generations(&group_dir)?
        .into_iter()
        .filter(|n| *n != number)
    {
        fs::remove_dir_all(group_dir.join(stale.to_string()))?;
        checkpoints.pass();
    }
    Ok(())
}

/// Removes an ecosystem's generations folder once nothing links into it any more.
pub fn remove_group(layout: &Layout, ecosystem: &str) -> io::Result<()> {
    let dir = layout.host(&layout.group_dir(ecosystem));
    match fs::remove_dir_all(&dir) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Removes the enablement links (`*.wants/`, `*.requires/`, `*.upholds/`) of `unit`
/// in the unit folder: what `systemctl disable` removes for a unit we delete.
pub fn remove_enablement_links(layout: &Layout, unit: &str) -> io::Result<()> {
    let unit_dir = layout.host(&layout.unit_dir);
    let entries = match fs::read_dir(&unit_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if [".wants", ".requires", ".upholds"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        {
            let link = entry.path().join(unit);
            if fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
                fs::remove_file(&link)?;
                // An empty .wants folder is left by systemctl too; remove it if empty.
                let _ = fs::remove_dir(entry.path());
            }
        }
    }
    Ok(())
}

fn next_generation(group_dir: &Path) -> io::Result<u64> {
    Ok(generations(group_dir)?
        .into_iter()
        .max()
        .map_or(1, |n| n + 1))
}

fn generations(group_dir: &Path) -> io::Result<Vec<u64>> {
    let mut numbers = Vec::new();
    for entry in fs::read_dir(group_dir)? {
        if let Some(number) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) {
            numbers.push(number);
        }
    }
    Ok(numbers)
}

fn write_file(path: &Path, file: &BundleFile) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        create_folders(parent)?;
    }
    let mut out = OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(file.mode)
        .open(path)?;
    out.write_all(file.contents.as_bytes())?;
    out.set_permissions(fs::Permissions::from_mode(file.mode))?;
    out.sync_all()
}

/// Points the public entry of `name` through `current`, replacing what is there in
/// one rename.
fn link(layout: &Layout, ecosystem: &str, kind: FileKind, name: &str) -> io::Result<()> {
    let Some(dir) = layout.dir_for(kind) else {
        return Ok(());
    };
    let public = layout.host(&dir.join(name));
    let parent = public.parent().map(Path::to_path_buf).unwrap_or_default();
    create_folders(&parent)?;
    let staged = temporary_name(&public);
    remove_if_present(&staged)?;
    symlink(layout.link_target(ecosystem, kind, name), &staged)?;
    fs::rename(&staged, &public)?;
    sync_dir(&parent)
}

fn unlink(layout: &Layout, kind: FileKind, name: &str) -> io::Result<()> {
    let Some(dir) = layout.dir_for(kind) else {
        return Ok(());
    };
    let public = layout.host(&dir.join(name));
    remove_if_present(&public)?;
    if kind == FileKind::Unit {
        remove_enablement_links(layout, name)?;
    }
    Ok(())
}

fn temporary_name(public: &Path) -> PathBuf {
    let name = public
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    public.with_file_name(format!(".{name}.ecosystemd-new"))
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and its missing parents with [`FOLDER_MODE`], whatever the umask;
/// folders that exist keep their mode.
fn create_folders(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folders(parent)?;
    }
    match DirBuilder::new().mode(FOLDER_MODE).create(dir) {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(error) => Err(error),
        Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(FOLDER_MODE)),
    }
}
