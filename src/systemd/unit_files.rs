//! Which file a unit was loaded from, found the way systemd finds it: in the first folder
//! of the manager's unit search path (its `UnitPath` property) that has a file of the
//! unit's name, else of its template's name. Reading the folders costs one listing each,
//! where asking systemd for every unit's `FragmentPath` would cost a D-Bus call per unit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The unit files in a search path, by name, each from the first folder that has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFiles {
    by_name: HashMap<String, PathBuf>,
}

impl UnitFiles {
    /// Lists the folders of `search_path` in order; a name seen in an earlier folder hides
    /// the same name in later ones. Folders that do not exist are skipped, as systemd
    /// skips them; sub-folders (`.d`, `.wants`) are not unit files.
    pub fn scan<P: AsRef<Path>>(search_path: &[P]) -> Self {
        let mut by_name = HashMap::new();
        for folder in search_path {
            let Ok(entries) = std::fs::read_dir(folder.as_ref()) else {
                continue;
            };
            for entry in entries.flatten() {
                let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                if !is_dir {
                    by_name.entry(name).or_insert_with(|| entry.path());
                }
            }
        }
        Self { by_name }
    }

    /// The file `unit` is loaded from: a file of its own name, else, for an instance such
    /// as `agent@2.service`, its template `agent@.service`.
    pub fn fragment(&self, unit: &str) -> Option<&Path> {
        if let Some(path) = self.by_name.get(unit) {
            return Some(path);
        }
        let template = template_of(unit)?;
        self.by_name.get(&template).map(PathBuf::as_path)
    }
}

/// `agent@.service` for `agent@2.service`; `None` for a name that is not an instance.
fn template_of(unit: &str) -> Option<String> {
    let (prefix, rest) = unit.split_once('@')?;
    let (instance, suffix) = rest.rsplit_once('.')?;
    (!instance.is_empty()).then(|| format!("{prefix}@.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_fall_back_to_their_template() {
        assert_eq!(
            template_of("agent@2.service").as_deref(),
            Some("agent@.service")
        );
        assert_eq!(template_of("agent@.service"), None);
        assert_eq!(template_of("agent.service"), None);
    }

    #[test]
    fn the_first_folder_with_the_name_wins() {
        let root =
            std::env::temp_dir().join(format!("ecosystemd-unitfiles-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (etc, run, lib) = (root.join("etc"), root.join("run"), root.join("lib"));
        for folder in [&etc, &run, &lib] {
            std::fs::create_dir_all(folder).expect("folder");
        }
        std::fs::write(lib.join("a.service"), "lib").expect("a in lib");
        std::fs::write(etc.join("a.service"), "etc").expect("a in etc");
        std::fs::write(lib.join("b.service"), "lib").expect("b in lib");
        std::fs::write(run.join("t@.service"), "template").expect("template");
        std::fs::write(lib.join("t@special.service"), "instance").expect("instance");
        std::fs::create_dir(etc.join("b.service.d")).expect("drop-in folder");
        std::fs::create_dir(etc.join("c.service")).expect("a folder, not a unit file");
        std::os::unix::fs::symlink("/dev/null", etc.join("masked.service")).expect("mask");

        let missing = root.join("missing");
        let files = UnitFiles::scan(&[&etc, &missing, &run, &lib]);
        assert_eq!(
            files.fragment("a.service"),
            Some(etc.join("a.service").as_path())
        );
        assert_eq!(
            files.fragment("b.service"),
            Some(lib.join("b.service").as_path())
        );
        assert_eq!(files.fragment("c.service"), None);
        assert_eq!(
            files.fragment("t@1.service"),
            Some(run.join("t@.service").as_path())
        );
        assert_eq!(
            files.fragment("t@special.service"),
            Some(lib.join("t@special.service").as_path())
        );
        assert_eq!(
            files.fragment("masked.service"),
            Some(etc.join("masked.service").as_path())
        );
        assert_eq!(files.fragment("none.service"), None);
        std::fs::remove_dir_all(&root).expect("cleanup");
    }
}
