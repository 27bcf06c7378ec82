//! What `pm2 start` found on its host, found again: the project's owner (who the apps
//! run as), and the commands that user's shell would run.
//!
//! A bare command (`node`, `npm`, `python3`, `dotnet`, ...) resolves through the
//! owner's search path, in this order: the `PATH` of `gen-units` itself when it runs as
//! that user (absolute entries only); nvm's current node (`~/.nvm/alias/default`, else
//! the highest installed version); `~/.local/bin`, `~/.bun/bin`, `~/.volta/bin`,
//! `~/.yarn/bin`, `~/.npm-global/bin`, `~/.dotnet`, `~/.cargo/bin`; then
//! `/usr/local/bin`, `/usr/bin`, `/bin`. A file counts only if that user may execute it:
//! an execute bit for them, and every folder above it searchable by them.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::account::Account;
use super::command::SearchPath;

/// The folders under a home that installers put commands in, after nvm's.
const HOME_BINS: &[&str] = &[
    ".local/bin",
    ".bun/bin",
    ".volta/bin",
    ".yarn/bin",
    ".npm-global/bin",
    ".dotnet",
    ".cargo/bin",
];

/// The system folders searched last.
const SYSTEM_BINS: &[&str] = &["/usr/local/bin", "/usr/bin", "/bin"];

/// Who a permission check is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The uid.
    pub uid: u32,
    /// Every gid of the user.
    pub gids: Vec<u32>,
}

impl Access {
    /// The access of `account`.
    pub fn of(account: &Account) -> Self {
        Self {
            uid: account.uid,
            gids: account.groups.clone(),
        }
    }

    /// Whether a file or folder with `mode`, owned by `owner:group`, grants `bit`
    /// (`0o1` execute/search, `0o4` read, `0o2` write) to this user. Root passes
    /// every check but execute, which needs some execute bit.
    pub fn grants(&self, mode: u32, owner: u32, group: u32, bit: u32) -> bool {
        if self.uid == 0 {
            return bit != 0o1 || mode & 0o111 != 0;
        }
        let shift = if owner == self.uid {
            6
        } else if self.gids.contains(&group) {
            3
        } else {
            0
        };
        mode >> shift & bit != 0
    }

    /// Whether this user may execute the regular file at `path`: its execute bit, and
    /// every folder above it (as written and after symlinks) searchable.
    pub fn may_execute(&self, path: &Path) -> bool {
        let Ok(meta) = std::fs::metadata(path) else {
            return false;
        };
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        meta.is_file()
            && self.grants(meta.mode(), meta.uid(), meta.gid(), 0o1)
            && self.may_reach(path)
            && self.may_reach(&real)
    }

    /// Whether every folder above `path` is searchable by this user (the first that is
    /// not, as `Err`).
    pub fn reach(&self, path: &Path) -> Result<(), PathBuf> {
        for folder in path.ancestors().skip(1) {
            if folder.as_os_str().is_empty() {
                continue;
            }
            match std::fs::metadata(folder) {
                Ok(meta) if self.grants(meta.mode(), meta.uid(), meta.gid(), 0o1) => {}
                _ => return Err(folder.to_path_buf()),
            }
        }
        Ok(())
    }

    /// Whether this user may read the file at `path`, its folders aside. A file that
    /// cannot be looked at counts as readable: a missing script is reported elsewhere.
    pub fn may_read(&self, path: &Path) -> bool {
        std::fs::metadata(path).map_or(true, |meta| {
            self.grants(meta.mode(), meta.uid(), meta.gid(), 0o4)
        })
    }

    fn may_reach(&self, path: &Path) -> bool {
        self.reach(path).is_ok()
    }
}

/// The search path of `account`'s shell. `own_path` is this process's `PATH`, used
/// when this process runs as that user.
pub fn shell_search_path(account: &Account, own_path: Option<&OsStr>) -> SearchPath {
    let mut dirs: Vec<(PathBuf, String)> = Vec::new();
    if let Some(path) = own_path {
        for dir in std::env::split_paths(path).filter(|d| d.is_absolute()) {
            dirs.push((dir, "PATH".to_owned()));
        }
    }
    if let Some((version, bin)) = nvm_bin(&account.home) {
        dirs.push((bin, format!("nvm's node {version}")));
    }
    for sub in HOME_BINS {
        dirs.push((account.home.join(sub), format!("~/{sub}")));
    }
    for dir in SYSTEM_BINS {
        dirs.push((PathBuf::from(dir), (*dir).to_owned()));
    }
    SearchPath::with_origins(dirs, Some(Access::of(account)))
}

/// The folders systemd's own `PATH` for services already holds.
const SYSTEMD_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// The existing folders of `search`, as a `PATH` value; `None` when systemd's own
/// `PATH` for services holds them all.
pub fn path_value(search: &SearchPath) -> Option<String> {
    let dirs: Vec<String> = search
        .dirs()
        .filter(|dir| dir.is_dir())
        .map(|dir| dir.display().to_string())
        .filter(|dir| !dir.contains(':'))
        .collect();
    let mut unique: Vec<String> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    let beyond_systemd = unique
        .iter()
        .any(|dir| !SYSTEMD_PATH.contains(&dir.as_str()));
    beyond_systemd.then(|| unique.join(":"))
}

/// nvm's current node: the version `~/.nvm/alias/default` names (a prefix such as `20`
/// or `v20.11`; `node`, `stable` and `lts/*` mean the highest), else the highest
/// installed; with its `bin` folder.
fn nvm_bin(home: &Path) -> Option<(String, PathBuf)> {
    let nvm = home.join(".nvm");
    let versions = nvm.join("versions/node");
    let installed: Vec<String> = std::fs::read_dir(&versions)
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    let mut alias = std::fs::read_to_string(nvm.join("alias/default")).ok();
    // `lts/iron` names another alias file holding a version.
    if let Some(name) = alias
        .as_deref()
        .map(str::trim)
        .filter(|a| a.starts_with("lts/"))
        && let Ok(target) = std::fs::read_to_string(nvm.join("alias").join(name))
    {
        alias = Some(target);
    }
    let version = pick_nvm_version(alias.as_deref(), &installed)?;
    let bin = versions.join(&version).join("bin");
    Some((version, bin))
}

/// The installed version `alias` selects (see [`nvm_bin`]).
pub fn pick_nvm_version(alias: Option<&str>, installed: &[String]) -> Option<String> {
    let mut parsed: Vec<(Vec<u32>, &String)> = installed
        .iter()
        .filter_map(|v| Some((parse_version(v)?, v)))
        .collect();
    parsed.sort();
    let wanted = alias
        .map(str::trim)
        .filter(|a| !a.is_empty() && !matches!(*a, "node" | "stable") && !a.starts_with("lts/"))
        .and_then(parse_version);
    let matching = |numbers: &Vec<u32>| match &wanted {
        Some(prefix) => numbers.starts_with(prefix),
        None => true,
    };
    parsed
        .iter()
        .rev()
        .find(|(numbers, _)| matching(numbers))
        .or_else(|| parsed.last())
        .map(|(_, name)| (*name).clone())
}

fn parse_version(text: &str) -> Option<Vec<u32>> {
    let digits = text.trim().trim_start_matches('v');
    digits.split('.').map(|part| part.parse().ok()).collect()
}

/// What may be looked up on this host while reading an ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookups {
    /// Bare program names through this `PATH`-style list only: no owner, no access
    /// checks, a missing script is only a warning (the library's default; the
    /// generator's, which runs at boot).
    SearchPath(std::ffi::OsString),
    /// Everything `pm2 start` relied on: the project's owner, that user's shell search
    /// path and permissions; a script or command found nowhere is an error.
    Host,
    /// Nothing (`--portable`: the units are for another host).
    Portable,
}

impl Default for Lookups {
    fn default() -> Self {
        Self::SearchPath(std::env::var_os("PATH").unwrap_or_default())
    }
}

/// Who an app runs as, and where its commands are found.
#[derive(Debug, Clone)]
pub struct Who {
    /// `User=`; `None` for a dynamic user (or a user manager's own).
    pub user: Option<String>,
    /// The user's account, when it was looked up.
    pub account: Option<Account>,
    /// Where bare program names are found.
    pub search: SearchPath,
}

/// Why an app gets no user of its own, with the fix.
pub const ROOT_OWNER: &str =
    "is owned by root: its apps run under a dynamic user (the `strict` profile) instead of as root";
/// The fix for [`ROOT_OWNER`].
pub const ROOT_OWNER_FIX: &str = "write `user: root` to run them as root as PM2 did, or chown the project to the user who ran `pm2 start`";

/// The user an app runs as: `user:`/`uid:` when given, else the project's owner, else
/// (an owner that is root, or none known) a dynamic user.
pub fn choose_user(explicit: Option<&str>, owner: Option<&Account>) -> Option<String> {
    match (explicit, owner) {
        (Some(user), _) => Some(user.to_owned()),
        (None, Some(owner)) if owner.uid != 0 => Some(owner.name.clone()),
        _ => None,
    }
}

/// Looks up who each app runs as, once per ecosystem.
#[derive(Debug)]
pub struct Resolver {
    lookups: Lookups,
    owner: Option<Account>,
}

impl Resolver {
    /// A resolver for a project rooted at `root`: under [`Lookups::Host`] its owner is
    /// looked up.
    pub fn new(lookups: Lookups, root: &Path) -> Self {
        let owner = match lookups {
            Lookups::Host => super::account::owner_of(root).ok(),
            _ => None,
        };
        Self { lookups, owner }
    }

    /// What is looked up.
    pub fn lookups(&self) -> &Lookups {
        &self.lookups
    }

    /// The project's owner, when looked up.
    pub fn owner(&self) -> Option<&Account> {
        self.owner.as_ref()
    }

    /// Who an app with `user:` (or none) runs as. Under [`Lookups::Host`] a user
    /// unknown to this host is an error.
    pub fn who(&self, explicit: Option<&str>) -> Result<Who, String> {
        let user = choose_user(explicit, self.owner.as_ref());
        match &self.lookups {
            Lookups::SearchPath(path) => Ok(Who {
                user,
                account: None,
                search: SearchPath::new(path),
            }),
            Lookups::Portable => Ok(Who {
                user,
                account: None,
                search: SearchPath::default(),
            }),
            Lookups::Host => {
                let account = match &user {
                    Some(name) => Some(
                        super::account::by_name(name)
                            .ok_or_else(|| format!("user `{name}` does not exist on this host"))?,
                    ),
                    None => None,
                };
                let own = std::env::var_os("PATH");
                let search = match &account {
                    Some(account) => {
                        let same = account.uid == super::account::current_uid();
                        shell_search_path(account, own.as_deref().filter(|_| same))
                    }
                    // A dynamic user: only the system folders.
                    None => SearchPath::with_origins(
                        SYSTEM_BINS
                            .iter()
                            .map(|d| (PathBuf::from(d), (*d).to_owned()))
                            .collect(),
                        Some(Access {
                            uid: NOBODY,
                            gids: Vec::new(),
                        }),
                    ),
                };
                Ok(Who {
                    user,
                    account,
                    search,
                })
            }
        }
    }
}

/// A uid standing for a dynamic user: only the "others" permission bits apply to it.
pub const NOBODY: u32 = 65534;

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn versions(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn nvm_alias_prefixes_pick_the_highest_match() {
        let installed = versions(&["v18.19.0", "v20.9.0", "v20.11.1", "v22.1.0"]);
        let pick = |alias| pick_nvm_version(alias, &installed);
        assert_eq!(pick(Some("20\n")).as_deref(), Some("v20.11.1"));
        assert_eq!(pick(Some("v20.9")).as_deref(), Some("v20.9.0"));
        assert_eq!(pick(Some("18.19.0")).as_deref(), Some("v18.19.0"));
        assert_eq!(pick(Some("node")).as_deref(), Some("v22.1.0"));
        assert_eq!(pick(Some("lts/*")).as_deref(), Some("v22.1.0"));
        assert_eq!(pick(None).as_deref(), Some("v22.1.0"));
        // An alias naming nothing installed: the highest, as the shell would fall back.
        assert_eq!(pick(Some("16")).as_deref(), Some("v22.1.0"));
        assert_eq!(pick_nvm_version(Some("20"), &[]), None);
    }

    #[test]
    fn the_user_is_the_explicit_one_else_the_owner_unless_root() {
        let owner = |uid| Account {
            name: if uid == 0 {
                "root".into()
            } else {
                "ana".into()
            },
            uid,
            gid: uid,
            groups: vec![uid],
            home: PathBuf::from("/home/ana"),
        };
        assert_eq!(
            choose_user(Some("web"), Some(&owner(1000))).as_deref(),
            Some("web")
        );
        assert_eq!(
            choose_user(None, Some(&owner(1000))).as_deref(),
            Some("ana")
        );
        assert_eq!(choose_user(None, Some(&owner(0))), None);
        assert_eq!(
            choose_user(Some("root"), Some(&owner(0))).as_deref(),
            Some("root")
        );
        assert_eq!(choose_user(None, None), None);
    }

    #[test]
    fn permission_bits_are_read_for_owner_group_and_others() {
        let user = Access {
            uid: 1000,
            gids: vec![1000, 27],
        };
        assert!(user.grants(0o700, 1000, 0, 0o1));
        assert!(!user.grants(0o700, 0, 0, 0o1));
        assert!(user.grants(0o750, 0, 27, 0o1));
        assert!(!user.grants(0o740, 0, 27, 0o1));
        assert!(user.grants(0o755, 0, 0, 0o1));
        // The owner's bits decide for the owner, even when others have more.
        assert!(!user.grants(0o077, 1000, 1000, 0o1));
        let root = Access {
            uid: 0,
            gids: vec![0],
        };
        assert!(root.grants(0o700, 1000, 1000, 0o1));
        assert!(!root.grants(0o644, 1000, 1000, 0o1));
        assert!(root.grants(0o600, 1000, 1000, 0o4));
    }

    #[test]
    fn the_shell_search_path_finds_nvm_node_first_then_home_and_system_folders() {
        let home = std::env::temp_dir().join(format!("ecosystemd-host-{}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        let bin = home.join(".nvm/versions/node/v20.11.1/bin");
        fs::create_dir_all(&bin).unwrap();
        fs::create_dir_all(home.join(".nvm/alias")).unwrap();
        fs::write(home.join(".nvm/alias/default"), "20\n").unwrap();
        fs::write(bin.join("node"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(bin.join("node"), fs::Permissions::from_mode(0o755)).unwrap();
        let account = Account {
            name: "someone".into(),
            uid: 0,
            gid: 0,
            groups: vec![0],
            home: home.clone(),
        };
        let search = shell_search_path(&account, None);
        let found = search.find_with_origin("node").unwrap();
        assert_eq!(found.path, bin.join("node"));
        assert_eq!(found.origin, "nvm's node v20.11.1");
        let path = path_value(&search).unwrap();
        assert!(path.starts_with(&format!("{}:", bin.display())), "{path}");
        assert!(
            !path.contains(".local/bin"),
            "only existing folders: {path}"
        );
        let system = SearchPath::with_origins(
            SYSTEM_BINS
                .iter()
                .map(|d| (PathBuf::from(d), String::new()))
                .collect(),
            None,
        );
        assert_eq!(path_value(&system), None, "systemd's PATH has them already");
        let looked: Vec<String> = search.dirs().map(|d| d.display().to_string()).collect();
        assert_eq!(looked.last().map(String::as_str), Some("/bin"));
        assert!(looked.contains(&home.join(".local/bin").display().to_string()));
        // Not executable for anyone: not found.
        fs::set_permissions(bin.join("node"), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            search
                .find_with_origin("node")
                .is_none_or(|f| f.path != bin.join("node"))
        );
        let _ = fs::remove_dir_all(&home);
    }
}
