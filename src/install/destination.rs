//! Where an installed ecosystem lives: unit, env, journald and generation folders.
//!
//! Paths are kept *logical* (as the running system sees them, so symlink targets are
//! right even in an offline image) and mapped onto the host through [`Layout::host`],
//! which prefixes the `--root` folder when there is one.

use std::path::{Path, PathBuf};

use crate::bundle::{FileKind, Scope};

/// Which manager's folders to install into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The system manager's persistent folders (`/etc/systemd/system`).
    System,
    /// The system manager's runtime folder (`/run/systemd/system`), gone on reboot.
    Runtime,
    /// The calling user's manager (`~/.config/systemd/user`).
    User {
        /// `$XDG_CONFIG_HOME`, or `~/.config`.
        config_home: PathBuf,
    },
    /// An offline image rooted at this folder: system paths under it, no D-Bus.
    Root(PathBuf),
}

impl Destination {
    /// The bundle scope this destination accepts.
    pub fn scope(&self) -> Scope {
        match self {
            Self::User { .. } => Scope::User,
            _ => Scope::System,
        }
    }

    /// Whether a live manager is reachable for this destination (not `--root`).
    pub fn is_live(&self) -> bool {
        !matches!(self, Self::Root(_))
    }

    /// The user destination for the calling user, from `$XDG_CONFIG_HOME` or `$HOME`.
    pub fn current_user() -> Option<Self> {
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
        Some(Self::User { config_home })
    }
}

/// The folders of one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Prefix of every host path (`/` unless `--root`).
    pub root: PathBuf,
    /// The unit folder systemd reads.
    pub unit_dir: PathBuf,
    /// Where units look for their environment files (`%E/ecosystemd/env`).
    pub env_dir: PathBuf,
    /// Where units find the code they load (`%E/ecosystemd/lib`: the Node preload).
    pub lib_dir: PathBuf,
    /// journald's configuration folder, or `None` where journald files are refused.
    pub journald_dir: Option<PathBuf>,
    /// Where each ecosystem's generations are kept.
    pub generations_dir: PathBuf,
}

impl Layout {
    /// The folders for `destination`.
    pub fn new(destination: &Destination) -> Self {
        let system = |root: PathBuf, unit_dir: &str, state: &str| Self {
            root,
            unit_dir: PathBuf::from(unit_dir),
            env_dir: PathBuf::from("/etc/ecosystemd/env"),
            lib_dir: PathBuf::from("/etc/ecosystemd/lib"),
            journald_dir: Some(PathBuf::from("/etc/systemd")),
            generations_dir: Path::new(state).join("generations"),
        };
        match destination {
            Destination::System => system("/".into(), "/etc/systemd/system", "/etc/ecosystemd"),
            Destination::Runtime => system("/".into(), "/run/systemd/system", "/run/ecosystemd"),
            Destination::Root(root) => {
                system(root.clone(), "/etc/systemd/system", "/etc/ecosystemd")
            }
            Destination::User { config_home } => Self {
                root: "/".into(),
                unit_dir: config_home.join("systemd/user"),
                env_dir: config_home.join("ecosystemd/env"),
                lib_dir: config_home.join("ecosystemd/lib"),
                journald_dir: None,
                generations_dir: config_home.join("ecosystemd/generations"),
            },
        }
    }

    /// The host path of a logical path.
    pub fn host(&self, logical: &Path) -> PathBuf {
        self.root.join(logical.strip_prefix("/").unwrap_or(logical))
    }

    /// The logical folder a file of `kind` is linked into, if this layout takes that kind.
    pub fn dir_for(&self, kind: FileKind) -> Option<&Path> {
        match kind {
            FileKind::Unit => Some(&self.unit_dir),
            FileKind::Env => Some(&self.env_dir),
            FileKind::Lib => Some(&self.lib_dir),
            FileKind::Journald => self.journald_dir.as_deref(),
        }
    }

    /// The logical folder of one ecosystem's generations.
    pub fn group_dir(&self, ecosystem: &str) -> PathBuf {
        self.generations_dir.join(ecosystem)
    }

    /// The logical `current` link of an ecosystem: it names the live generation.
    pub fn current_link(&self, ecosystem: &str) -> PathBuf {
        self.group_dir(ecosystem).join("current")
    }

    /// What the public link of a file points to: through `current`, so that switching
    /// `current` switches every file at once.
    pub fn link_target(&self, ecosystem: &str, kind: FileKind, name: &str) -> PathBuf {
        self.current_link(ecosystem).join(kind.as_str()).join(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_prefixes_host_paths_but_not_link_targets() {
        let layout = Layout::new(&Destination::Root("/img".into()));
        assert_eq!(
            layout.host(&layout.unit_dir),
            PathBuf::from("/img/etc/systemd/system")
        );
        assert_eq!(
            layout.link_target("agents", FileKind::Unit, "a.service"),
            PathBuf::from("/etc/ecosystemd/generations/agents/current/unit/a.service")
        );
    }

    #[test]
    fn user_layout_refuses_journald_and_uses_config_home() {
        let layout = Layout::new(&Destination::User {
            config_home: "/home/u/.config".into(),
        });
        assert_eq!(layout.dir_for(FileKind::Journald), None);
        assert_eq!(
            layout.dir_for(FileKind::Env),
            Some(Path::new("/home/u/.config/ecosystemd/env"))
        );
    }

    #[test]
    fn runtime_keeps_units_and_generations_in_run() {
        let layout = Layout::new(&Destination::Runtime);
        assert_eq!(layout.unit_dir, PathBuf::from("/run/systemd/system"));
        assert!(layout.generations_dir.starts_with("/run"));
        assert_eq!(layout.env_dir, PathBuf::from("/etc/ecosystemd/env"));
    }
}
