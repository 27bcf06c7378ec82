//! The project an ecosystem file belongs to: the folder relative `script` and `cwd`
//! resolve against, and the group name it gives.
//!
//! PM2 resolves paths against the folder `pm2 start` ran in (`process.cwd()`, see
//! `prepareAppConf` in PM2's lib/Common.js), not the file's: `pm2 start
//! config/ecosystem.config.js` run from the project's top resolves `script: app.js`
//! there. That folder is not recorded anywhere, so it is found again: `--base-dir`,
//! else the file's `base_dir:` (which `gen-units import` writes), else the project
//! root ([`project_root`]); a script beside the file is used from there (the file's
//! folder is tried first, [`bases`]).
//!
//! PM2 users keep the file in the project's folder (`/srv/shop/ecosystem.config.js`)
//! or in a config folder inside it (`/srv/shop/config/pm2.json`). Such files mostly
//! have generic names (`ecosystem`, `pm2`, `process`, `production`), which say nothing
//! about the project: the group is then named after the project's folder.

use std::path::{Path, PathBuf};

/// File stems (the name up to its first dot) that name no project: PM2's own
/// conventions (`ecosystem.config.js`, `pm2.json`, `process.json`, `processes.json`)
/// and the environment or role names such files are often given.
pub const GENERIC_STEMS: &[&str] = &[
    "ecosystem",
    "pm2",
    "process",
    "processes",
    "app",
    "apps",
    "config",
    "deploy",
    "index",
    "server",
    "start",
    "main",
    "default",
    "services",
    "production",
    "prod",
    "staging",
    "stage",
    "development",
    "dev",
    "test",
    "local",
];

/// Folders that hold configuration inside a project rather than being one.
pub const CONFIG_FOLDERS: &[&str] = &[
    "config",
    "configs",
    "conf",
    "pm2",
    ".pm2",
    "deploy",
    "deployment",
    "ops",
    "etc",
    "ecosystem",
    "scripts",
    "infra",
];

/// The project folder of the ecosystem file at `file`: the file's folder when it holds
/// `package.json` or `.git`; for a config folder (`config`, `pm2`, `deploy`, ...), its
/// nearest ancestor holding either (else its parent); otherwise the nearest ancestor
/// holding `package.json` (a `.git` further up, such as a home kept in git, is not a
/// project), else the file's folder. The path is made absolute against the current
/// folder; nothing else is resolved.
pub fn project_root(file: &Path) -> PathBuf {
    project_root_with(file, |dir, name| dir.join(name).exists())
}

/// [`project_root`] with the file system behind `exists(folder, name)`.
pub fn project_root_with(file: &Path, exists: impl Fn(&Path, &str) -> bool) -> PathBuf {
    let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let folder = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    let marked = |dir: &Path| exists(dir, "package.json") || exists(dir, ".git");
    if marked(&folder) {
        return folder;
    }
    let is_config_folder = folder
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| CONFIG_FOLDERS.contains(&name.to_ascii_lowercase().as_str()));
    let mut above = folder.ancestors().skip(1);
    let found = if is_config_folder {
        above.find(|dir| marked(dir)).or_else(|| folder.parent())
    } else {
        above.find(|dir| exists(dir, "package.json"))
    };
    found.unwrap_or(&folder).to_path_buf()
}

/// The folders relative paths are tried against, in order: `explicit` alone when
/// given (`--base-dir`, `base_dir:`), else the file's folder, then the project root.
pub fn bases(root: PathBuf, file_dir: PathBuf, explicit: Option<PathBuf>) -> Vec<PathBuf> {
    match explicit {
        Some(dir) => vec![dir],
        None if root == file_dir => vec![root],
        None => vec![file_dir, root],
    }
}

/// The default group of the file at `file`: its stem (`agents.yaml` → `agents`), or
/// for a generic stem (`ecosystem.config.js`, `pm2.json`), the name of its project
/// folder ([`project_root`]); made a valid part of a unit name.
pub fn default_group(file: &Path) -> String {
    default_group_with(file, project_root)
}

/// [`default_group`] with the project folder found by `root`.
pub fn default_group_with(file: &Path, root: impl Fn(&Path) -> PathBuf) -> String {
    let name = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    if GENERIC_STEMS.contains(&stem.to_ascii_lowercase().as_str()) {
        let root = root(file);
        let folder = root
            .file_name()
            .map(|name| sanitize(&name.to_string_lossy()))
            .filter(|folder| !folder.is_empty());
        if let Some(folder) = folder {
            return folder;
        }
    }
    match sanitize(stem) {
        sanitized if sanitized.is_empty() => "ecosystem".to_owned(),
        sanitized => sanitized,
    }
}

/// `text` with every character a unit name cannot hold (and `.`) made `-`, without
/// leading or trailing `-`.
fn sanitize(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    replaced.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file system holding exactly `present` (`folder/name` paths).
    fn fs(present: &'static [&'static str]) -> impl Fn(&Path, &str) -> bool {
        move |dir, name| present.contains(&dir.join(name).to_str().unwrap_or_default())
    }

    #[test]
    fn the_project_is_the_files_folder() {
        let root = project_root_with(Path::new("/srv/shop/pm2.json"), fs(&[]));
        assert_eq!(root, Path::new("/srv/shop"));
    }

    #[test]
    fn a_config_folder_belongs_to_the_nearest_project_above_it() {
        let marked = fs(&["/srv/shop/package.json", "/srv/.git"]);
        let file = Path::new("/srv/shop/deploy/pm2/production.json");
        assert_eq!(project_root_with(file, &marked), Path::new("/srv/shop"));
        let git = fs(&["/srv/blog/.git"]);
        let file = Path::new("/srv/blog/config/ecosystem.config.js");
        assert_eq!(project_root_with(file, git), Path::new("/srv/blog"));
    }

    #[test]
    fn a_config_folder_with_its_own_package_json_is_the_project() {
        let marked = fs(&["/srv/shop/config/package.json", "/srv/shop/package.json"]);
        let file = Path::new("/srv/shop/config/pm2.json");
        assert_eq!(
            project_root_with(file, marked),
            Path::new("/srv/shop/config")
        );
    }

    #[test]
    fn a_config_folder_without_a_project_above_belongs_to_its_parent() {
        let file = Path::new("/srv/shop/.pm2/ecosystem.json");
        assert_eq!(project_root_with(file, fs(&[])), Path::new("/srv/shop"));
    }

    #[test]
    fn generic_file_names_take_the_project_folders_name() {
        let root = |file: &Path| project_root_with(file, fs(&[]));
        let group = |path: &str| default_group_with(Path::new(path), root);
        assert_eq!(group("/srv/shop/pm2.json"), "shop");
        assert_eq!(group("/srv/blog/ecosystem.config.js"), "blog");
        assert_eq!(group("/srv/My Blog!/process.yml"), "My-Blog");
        assert_eq!(
            group("/srv/shop.example.com/config/pm2.json"),
            "shop-example-com"
        );
        assert_eq!(group("/srv/shop/Production.json"), "shop");
        // A file named for its apps keeps its name.
        assert_eq!(group("/etc/ecosystemd/agents.yaml"), "agents");
        assert_eq!(group("/srv/shop/my agents!.yml"), "my-agents");
        // Nothing to name it after: the stem, or `ecosystem`.
        assert_eq!(group("/pm2.json"), "pm2");
        assert_eq!(group("/srv/..."), "ecosystem");
    }

    #[test]
    fn a_folder_above_with_package_json_is_the_project_and_a_git_home_is_not() {
        let marked = fs(&["/srv/app/package.json"]);
        let file = Path::new("/srv/app/pm2-configs/x.json");
        assert_eq!(project_root_with(file, &marked), Path::new("/srv/app"));
        let home = fs(&["/home/ana/.git"]);
        let file = Path::new("/home/ana/bot/ecosystem.config.js");
        assert_eq!(project_root_with(file, home), Path::new("/home/ana/bot"));
        let own = fs(&["/srv/shop/config/.git", "/srv/shop/package.json"]);
        let file = Path::new("/srv/shop/config/ecosystem.yaml");
        assert_eq!(project_root_with(file, own), Path::new("/srv/shop/config"));
    }

    #[test]
    fn bases_try_the_file_folder_then_the_root_unless_one_is_given() {
        let root = PathBuf::from("/p");
        let conf = PathBuf::from("/p/config");
        assert_eq!(
            bases(root.clone(), conf.clone(), None),
            [conf.clone(), root.clone()]
        );
        assert_eq!(bases(root.clone(), root.clone(), None), vec![root.clone()]);
        assert_eq!(
            bases(root, conf, Some(PathBuf::from("/x"))),
            [PathBuf::from("/x")]
        );
    }
}
