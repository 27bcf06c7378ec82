//! The project root: the folder relative `script` and `cwd` resolve against.
//!
//! PM2 resolves them against the folder `pm2 start` ran in (`process.cwd()`, see
//! `prepareAppConf` in PM2's lib/Common.js), not the file's: `pm2 start
//! config/ecosystem.config.js` run from the project's top resolves `script: app.js`
//! there. That folder is not recorded anywhere, so it is found again: `--base-dir`,
//! else the file's `base_dir:` (which `gen-units import` writes), else the nearest
//! folder holding `package.json` or `.git` (the file's own, or an ancestor). A script
//! beside the file is used from there (the file's folder is tried first).

use std::path::{Path, PathBuf};

/// The nearest folder at or above `file`'s folder holding `package.json` or `.git`;
/// the file's folder when there is none.
pub fn project_root(file: &Path) -> PathBuf {
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let folder = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    folder
        .ancestors()
        .find(|dir| dir.join("package.json").exists() || dir.join(".git").exists())
        .map_or_else(|| folder.clone(), Path::to_path_buf)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_config_subfolder_resolves_to_the_folder_with_package_json() {
        let top = std::env::temp_dir().join(format!("ecosystemd-project-{}", std::process::id()));
        let _ = fs::remove_dir_all(&top);
        fs::create_dir_all(top.join("config")).unwrap();
        fs::write(top.join("package.json"), "{}").unwrap();
        assert_eq!(project_root(&top.join("config/ecosystem.yaml")), top);
        assert_eq!(project_root(&top.join("ecosystem.yaml")), top);
        fs::create_dir_all(top.join("config/.git")).unwrap();
        assert_eq!(
            project_root(&top.join("config/ecosystem.yaml")),
            top.join("config")
        );
        let _ = fs::remove_dir_all(&top);
    }

    #[test]
    fn bases_try_the_root_then_the_file_folder_unless_one_is_given() {
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
