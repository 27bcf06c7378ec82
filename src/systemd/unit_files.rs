//! Which file a unit was loaded from, found the way systemd finds it: in the first folder
//! of the manager's unit search path (its `UnitPath` property) that has a file of the
//! unit's name, else of its template's name, and its drop-ins the way systemd gathers
//! them. Reading the folders costs one listing each, where asking systemd for every
//! unit's `FragmentPath` and `DropInPaths` would cost two D-Bus calls per unit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::whole_file::read_whole;

/// The unit files in a search path, by name, each from the first folder that has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFiles {
    by_name: HashMap<String, PathBuf>,
    /// The drop-in folders (`NAME.d`) by name: each with the place in the search path
    /// of the folder that holds it.
    drop_in_folders: HashMap<String, Vec<(usize, PathBuf)>>,
}

impl UnitFiles {
    /// Lists the folders of `search_path` in order; a name seen in an earlier folder hides
    /// the same name in later ones. Folders that do not exist are skipped, as systemd
    /// skips them; sub-folders (`.d`, `.wants`) are not unit files.
    pub fn scan<P: AsRef<Path>>(search_path: &[P]) -> Self {
        let mut by_name = HashMap::new();
        let mut drop_in_folders: HashMap<String, Vec<(usize, PathBuf)>> = HashMap::new();
        for (place, folder) in search_path.iter().enumerate() {
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
                } else if name.ends_with(".d") {
                    drop_in_folders
                        .entry(name)
                        .or_default()
                        .push((place, entry.path()));
                }
            }
        }
        Self {
            by_name,
            drop_in_folders,
        }
    }

    /// The drop-ins systemd applies to `unit`, in the order it applies them: the `.conf`
    /// files in the `.d` folders of the unit's name, its template's, each dashed prefix
    /// of its name (`a-b-.service.d`, `a-.service.d`) and its type (`service.d`); of two
    /// files of one name, the one in the earlier folder of the search path (and, within
    /// a folder, of the more specific name) wins; then sorted by file name. The folders'
    /// contents are read now (adding a file to a `.d` folder does not change the search
    /// path's folders).
    pub fn drop_ins(&self, unit: &str) -> Vec<PathBuf> {
        if self.drop_in_folders.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(usize, usize, PathBuf)> = Vec::new();
        for (rank, name) in drop_in_names(unit).iter().enumerate() {
            let folders = self.drop_in_folders.get(&format!("{name}.d"));
            for (place, folder) in folders.into_iter().flatten() {
                found.extend(conf_files(folder).into_iter().map(|f| (*place, rank, f)));
            }
        }
        // By file name, then the earliest folder and the most specific name first: the
        // first of each file name is the one that applies.
        found.sort_by(|(place_a, rank_a, a), (place_b, rank_b, b)| {
            (a.file_name(), place_a, rank_a).cmp(&(b.file_name(), place_b, rank_b))
        });
        found.dedup_by(|(_, _, later), (_, _, first)| later.file_name() == first.file_name());
        found.into_iter().map(|(_, _, path)| path).collect()
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

/// The room for a unit file's text in [`UnitFileReader`]: more than a unit usually holds
/// (ours are 1.5 to 4 KiB); a longer one is read on.
const UNIT_FILE_ROOM: usize = 16 << 10;

/// Reads unit files one after another into one buffer, kept from one file to the next:
/// a report reads hundreds, and a buffer of this size made for each would cost an
/// allocation (and the allocator's tidying of its small blocks) and fresh pages each time.
#[derive(Debug, Default)]
pub struct UnitFileReader {
    bytes: Vec<u8>,
}

impl UnitFileReader {
    /// The text of the unit file at `path`, read whole with one `read` ([`read_whole`]).
    pub fn read(&mut self, path: &Path) -> Option<&str> {
        let mut file = std::fs::File::open(path).ok()?;
        let length = read_whole(&mut file, &mut self.bytes, UNIT_FILE_ROOM)?;
        std::str::from_utf8(&self.bytes[..length]).ok()
    }
}

/// A folder's modification time within this long of the scan that read it may hide a
/// later change made in the same tick of the file system's clock (a coarse one, of a few
/// milliseconds): such a scan is redone at the next look.
const RACY: Duration = Duration::from_secs(2);

/// The unit files of a search path, kept between looks and scanned again only when they
/// can have changed: when the search path is another, or when one of its folders was
/// modified since (adding, removing or renaming a file in a folder changes the folder's
/// modification time; a folder that appears or goes away counts too). This is the check
/// systemd itself makes before it trusts its own cache of unit names (the search path's
/// timestamp hash in `manager_unit_cache_should_retry_load()`), so a unit it can load, on a
/// reload or on demand, is one this finds.
#[derive(Debug, Clone, Default)]
pub struct UnitFilesCache {
    scanned: Option<Scanned>,
}

/// One scan and what it was taken from.
#[derive(Debug, Clone)]
struct Scanned {
    search_path: Vec<PathBuf>,
    stamps: Vec<Option<SystemTime>>,
    /// Whether every folder's time was far enough before the scan to be trusted.
    settled: bool,
    files: UnitFiles,
}

impl UnitFilesCache {
    /// An empty cache: the first look scans.
    pub fn new() -> Self {
        Self::default()
    }

    /// The unit files of `search_path`, from the last scan when nothing in it can have
    /// changed since, else from a new one.
    pub fn look<P: AsRef<Path>>(&mut self, search_path: &[P]) -> &UnitFiles {
        let search_path: Vec<PathBuf> = search_path
            .iter()
            .map(|folder| folder.as_ref().to_path_buf())
            .collect();
        let now = SystemTime::now();
        let stamps: Vec<Option<SystemTime>> = search_path.iter().map(|f| modified(f)).collect();
        let fresh = self.scanned.as_ref().is_some_and(|scanned| {
            scanned.settled && scanned.search_path == search_path && scanned.stamps == stamps
        });
        if !fresh {
            self.scanned = None;
        }
        let scanned = self.scanned.get_or_insert_with(|| Scanned {
            settled: stamps
                .iter()
                .flatten()
                .all(|stamp| stamp.checked_add(RACY).is_some_and(|t| t <= now)),
            files: UnitFiles::scan(&search_path),
            search_path,
            stamps,
        });
        &scanned.files
    }
}

/// A folder's modification time; `None` when it does not exist (or cannot be read).
fn modified(folder: &Path) -> Option<SystemTime> {
    std::fs::metadata(folder).and_then(|m| m.modified()).ok()
}

/// The names whose `.d` folders hold `unit`'s drop-ins, the most specific first: the
/// unit's own, its template's, its dashed prefixes' from the longest, its type's.
fn drop_in_names(unit: &str) -> Vec<String> {
    let Some((stem, kind)) = unit.rsplit_once('.') else {
        return vec![unit.to_owned()];
    };
    let mut names = vec![unit.to_owned()];
    names.extend(template_of(unit));
    let prefix_of = stem.split_once('@').map_or(stem, |(prefix, _)| prefix);
    let dashes: Vec<usize> = prefix_of.match_indices('-').map(|(at, _)| at).collect();
    for &at in dashes.iter().rev() {
        names.push(format!("{}-.{kind}", &prefix_of[..at]));
    }
    names.push(kind.to_owned());
    names
}

/// The `.conf` files in a drop-in folder (none when it cannot be read).
fn conf_files(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "conf"))
        .collect()
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

    #[test]
    fn drop_in_names_go_from_the_unit_to_its_type() {
        assert_eq!(
            drop_in_names("shop-api-web@2.service"),
            [
                "shop-api-web@2.service",
                "shop-api-web@.service",
                "shop-api-.service",
                "shop-.service",
                "service"
            ]
        );
        assert_eq!(drop_in_names("mail.service"), ["mail.service", "service"]);
    }

    #[test]
    fn drop_ins_are_gathered_as_systemd_gathers_them() {
        let root = std::env::temp_dir().join(format!("ecosystemd-dropins-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (etc, run, lib) = (root.join("etc"), root.join("run"), root.join("lib"));
        let write = |folder: &Path, name: &str| {
            std::fs::create_dir_all(folder).expect("folder");
            std::fs::write(folder.join(name), "").expect("drop-in");
        };
        write(&lib, "shop-api.service");
        write(&lib.join("shop-api.service.d"), "50-limits.conf");
        write(&etc.join("shop-api.service.d"), "50-limits.conf");
        write(&run.join("shop-.service.d"), "10-env.conf");
        write(&run.join("service.d"), "90-all.conf");
        write(&run.join("service.d"), "notes.txt");
        write(&etc.join("other.service.d"), "00-other.conf");
        let files = UnitFiles::scan(&[&etc, &run, &lib]);
        assert_eq!(
            files.drop_ins("shop-api.service"),
            [
                run.join("shop-.service.d/10-env.conf"),
                etc.join("shop-api.service.d/50-limits.conf"),
                run.join("service.d/90-all.conf"),
            ]
        );
        assert_eq!(
            files.drop_ins("mail.service"),
            [run.join("service.d/90-all.conf")]
        );
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    /// Sets `folder`'s modification time to `at`.
    fn set_modified(folder: &Path, at: SystemTime) {
        std::fs::File::open(folder)
            .and_then(|f| f.set_modified(at))
            .expect("folder time");
    }

    #[test]
    fn the_cache_scans_again_only_when_a_folder_changed() {
        let root =
            std::env::temp_dir().join(format!("ecosystemd-unitcache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (etc, lib) = (root.join("etc"), root.join("lib"));
        std::fs::create_dir_all(&lib).expect("lib");
        std::fs::write(lib.join("a.service"), "").expect("a");
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
        set_modified(&lib, an_hour_ago);
        let mut cache = UnitFilesCache::new();
        let search_path = [&etc, &lib];
        assert!(cache.look(&search_path).fragment("a.service").is_some());

        // A file added behind the folder's back (its time put back): the scan is kept.
        std::fs::write(lib.join("b.service"), "").expect("b");
        set_modified(&lib, an_hour_ago);
        assert!(cache.look(&search_path).fragment("b.service").is_none());

        // The folder's time moves: scanned again.
        set_modified(&lib, an_hour_ago + Duration::from_secs(60));
        assert!(cache.look(&search_path).fragment("b.service").is_some());

        // A folder of the search path that appears: scanned again.
        std::fs::create_dir(&etc).expect("etc");
        std::fs::write(etc.join("c.service"), "").expect("c");
        let stamp = std::fs::metadata(&etc)
            .and_then(|m| m.modified())
            .expect("time");
        assert!(cache.look(&search_path).fragment("c.service").is_some());

        // etc was modified just now: a change within the same tick of the file system's
        // clock leaves its time as it was (put back here), and is still found.
        std::fs::write(etc.join("d.service"), "").expect("d");
        set_modified(&etc, stamp);
        assert!(cache.look(&search_path).fragment("d.service").is_some());

        // Another search path: scanned again.
        assert!(cache.look(&[&lib]).fragment("c.service").is_none());
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn a_unit_file_is_read_whole_however_long() {
        let dir = std::env::temp_dir().join(format!("ecosystemd-unitread-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut reader = UnitFileReader::default();
        // A long file, then short ones: nothing of an earlier file is left in a later one.
        for length in [
            3 * UNIT_FILE_ROOM + 7,
            UNIT_FILE_ROOM,
            10,
            0,
            UNIT_FILE_ROOM - 1,
        ] {
            let text = "x".repeat(length);
            std::fs::write(dir.join("a.service"), &text).expect("unit file");
            assert_eq!(
                reader.read(&dir.join("a.service")),
                Some(text.as_str()),
                "{length} bytes"
            );
        }
        assert_eq!(reader.read(&dir.join("missing.service")), None);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
