//! A running service's resource figures, read where systemd itself reads them for
//! `MemoryCurrent`, `CPUUsageNSec` and `TasksCurrent`: the files of the unit's cgroup. The
//! unit's cgroup is found through its main process (`/proc/PID/cgroup`), and when that
//! process started through `/proc/PID/stat`, so a report asks systemd over D-Bus only for
//! what it alone knows.
//!
//! A figure is given only when the controller that counts it is attached to the unit's own
//! cgroup, as systemd gives it only then: on cgroup v1 a unit without `MemoryAccounting=`
//! sits in its slice's memory cgroup, whose figures are not the unit's.
//!
//! Once the manager's process is known ([`Kernel::know_manager`]), one walk of its slices
//! finds every service's cgroup, and a running service whose cgroup holds one process, a
//! child of the manager, has that process as its main process ([`Kernel::sole_process`]):
//! the manager need not be asked for `MainPID`, nor each process for its cgroups. Its
//! files are then opened relative to its slice's folders and to `/proc`, kept open: a
//! path of two names for the kernel to look up rather than seven.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::whole_file::read_whole;
use crate::observed::memory::CgroupMemory;

/// How the kernel's cgroup controllers are mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hierarchy {
    /// Unified (cgroup v2): every controller in one tree.
    Unified,
    /// Legacy or hybrid (cgroup v1): a tree per controller, `memory` among them.
    Legacy,
    /// Neither could be recognised.
    Unknown,
}

impl Hierarchy {
    /// Which hierarchy the memory controller is on, from the cgroup mount at `root`.
    pub fn detect(root: &Path) -> Self {
        let unified = std::fs::read_to_string(root.join("cgroup.controllers"));
        match unified {
            Ok(controllers) if controllers.split_whitespace().any(|c| c == "memory") => {
                Self::Unified
            }
            _ if root.join("memory").is_dir() => Self::Legacy,
            _ => Self::Unknown,
        }
    }
}

/// What one running unit's cgroup and main process say; `None` where not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Memory charged to the cgroup, in bytes.
    pub memory_current: Option<u64>,
    /// The most memory charged to it since it was created.
    pub memory_peak: Option<u64>,
    /// The hard limit the kernel enforces (`MemoryMax=`), in bytes; `None` when unlimited.
    pub memory_max: Option<u64>,
    /// The throttling limit (`MemoryHigh=`; cgroup v2 only); `None` when unlimited.
    pub memory_high: Option<u64>,
    /// CPU time used, in ns.
    pub cpu_usage_nsec: Option<u64>,
    /// Tasks in the cgroup.
    pub tasks_current: Option<u64>,
    /// When the main process started, in µs since the epoch.
    pub main_start_us: u64,
}

/// The kernel's view of processes and cgroups: the mounts to read, and the clock.
#[derive(Debug, Clone)]
pub struct Kernel {
    proc_root: PathBuf,
    cgroup_root: PathBuf,
    hierarchy: Hierarchy,
    /// The epoch time of boot, in µs, for turning process start times into timestamps.
    boot_us: u64,
    /// Clock ticks per second, the unit of a process's start time.
    ticks_per_second: u64,
    /// The manager's process and its services' cgroups, once known.
    manager: Option<Arc<ManagerTree>>,
}

/// A manager's process, and where its services' cgroups are.
#[derive(Debug)]
struct ManagerTree {
    /// The manager's PID, as seen from here.
    pid: u32,
    /// `/proc`, kept open.
    proc: Folder,
    /// The slice that holds each service's cgroup, by the service's name: its place in
    /// `slices`.
    services: HashMap<String, usize>,
    /// The folders of the slices that hold services.
    slices: Vec<SliceFolders>,
}

/// The controllers whose files [`Kernel::figures`] reads: on cgroup v1 each is a
/// hierarchy of its own (`memory`, `cpuacct`, `pids`), on v2 all are in the unit's one
/// folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Controller {
    Memory,
    Cpu,
    Pids,
}

impl Controller {
    /// Every controller, in the order of [`SliceFolders::legacy`].
    const ALL: [Self; 3] = [Self::Memory, Self::Cpu, Self::Pids];

    /// Its v1 hierarchy's name, as mounted and as `/proc/PID/cgroup` names it.
    fn legacy_name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Cpu => "cpuacct",
            Self::Pids => "pids",
        }
    }
}

/// A slice's folders, kept open.
#[derive(Debug)]
struct SliceFolders {
    /// In the hierarchy systemd places units in: its services' `cgroup.procs`, and on v2
    /// every file read.
    units: Folder,
    /// On v1, in each hierarchy of [`Controller::ALL`]: `None` where the slice has no
    /// cgroup of that controller.
    legacy: [Option<Folder>; 3],
}

impl SliceFolders {
    /// The folder under which `controller`'s files of the slice's units are.
    fn of(&self, controller: Controller, hierarchy: Hierarchy) -> Option<&Folder> {
        match hierarchy {
            Hierarchy::Legacy => self.legacy[controller as usize].as_ref(),
            _ => Some(&self.units),
        }
    }
}

/// A folder of the kernel's, open, for reading files below it by a relative path.
#[derive(Debug)]
struct Folder(OwnedFd);

impl Folder {
    fn open(path: &Path) -> Option<Self> {
        File::open(path).ok().map(|file| Self(file.into()))
    }

    /// The text of the kernel file at `relative` below this folder (see
    /// [`read_kernel_file`]); `None` when there is none.
    fn read(&self, relative: &str) -> Option<String> {
        let relative = CString::new(relative).ok()?;
        // SAFETY: the folder's descriptor is open for as long as `self` lives, and
        // `relative` is a NUL-terminated string; openat has no other preconditions.
        let fd = unsafe {
            libc::openat(
                self.0.as_raw_fd(),
                relative.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return None;
        }
        // SAFETY: `fd` was just opened here and is owned by nothing else.
        read_open_file(unsafe { File::from_raw_fd(fd) })
    }
}

impl Kernel {
    /// This host's `/proc` and `/sys/fs/cgroup`, with the boot time taken from
    /// `/proc/uptime` against `now_us` (µs since the epoch).
    pub fn host(now_us: u64) -> Self {
        let proc_root = PathBuf::from("/proc");
        let cgroup_root = PathBuf::from("/sys/fs/cgroup");
        let uptime_us = std::fs::read_to_string(proc_root.join("uptime"))
            .ok()
            .and_then(|text| parse_uptime_us(&text))
            .unwrap_or(0);
        Self {
            hierarchy: Hierarchy::detect(&cgroup_root),
            proc_root,
            cgroup_root,
            boot_us: now_us.saturating_sub(uptime_us),
            ticks_per_second: clock_ticks_per_second(),
            manager: None,
        }
    }

    /// Learns where the manager whose process is `manager_pid` (as seen from here) keeps
    /// its services: below its own cgroup's parent (its cgroup is `init.scope`, at the
    /// root for the system manager, in `user@UID.service` for a user's), in its `slices`
    /// (names such as `a-b.slice`, whose cgroup is `a.slice/a-b.slice`), with one listing
    /// per slice. Each slice that holds services is kept open, in each hierarchy read. A
    /// manager not found so leaves [`Kernel::sole_process`] finding nothing.
    pub fn know_manager<S: AsRef<str>>(&mut self, manager_pid: u32, slices: &[S]) {
        self.manager = self.manager_tree(manager_pid, slices).map(Arc::new);
    }

    fn manager_tree<S: AsRef<str>>(&self, pid: u32, slices: &[S]) -> Option<ManagerTree> {
        let tree = self.systemd_tree()?;
        let proc = Folder::open(&self.proc_root)?;
        let membership = proc.read(&format!("{pid}/cgroup"))?;
        let own = Membership::parse(&membership).unit_path()?;
        let root = own.strip_suffix("/init.scope")?.trim_start_matches('/');
        let mut services = HashMap::new();
        let mut folders = Vec::new();
        for slice in slices {
            let path = format!("{root}{}", slice_path(slice.as_ref()));
            let path = path.trim_start_matches('/');
            let names = services_in(&tree.join(path));
            if names.is_empty() {
                continue;
            }
            let Some(units) = Folder::open(&tree.join(path)) else {
                continue;
            };
            let legacy = Controller::ALL.map(|controller| match self.hierarchy {
                Hierarchy::Legacy => {
                    Folder::open(&self.cgroup_root.join(controller.legacy_name()).join(path))
                }
                _ => None,
            });
            for name in names {
                services.insert(name, folders.len());
            }
            folders.push(SliceFolders { units, legacy });
        }
        Some(ManagerTree {
            pid,
            proc,
            services,
            slices: folders,
        })
    }

    /// The hierarchy systemd places units in: the unified one, or its own named v1 tree.
    fn systemd_tree(&self) -> Option<PathBuf> {
        match self.hierarchy {
            Hierarchy::Unified => Some(self.cgroup_root.clone()),
            Hierarchy::Legacy => Some(self.cgroup_root.join("systemd")),
            Hierarchy::Unknown => None,
        }
    }

    /// Running service `unit`'s main process and figures, when the kernel alone can tell
    /// which process that is: the unit's cgroup holds exactly one process, and its parent
    /// is the manager. While a service is `running`, no control process of it runs (those
    /// have states of their own: start-pre, start-post, reload, stop...), so that one
    /// process is the one the manager started and watches (systemd guesses a forking
    /// service's main process by the same rule, `cgroup_guess_main_pid()`, except under
    /// `GuessMainPID=no`: the caller leaves forking services out). `None` otherwise, or
    /// when the manager is not known: the caller then asks the manager for `MainPID`.
    pub fn sole_process(&self, unit: &str) -> Option<(u32, Usage)> {
        let manager = self.manager.as_ref()?;
        let slice = &manager.slices[*manager.services.get(unit)?];
        let procs = slice.units.read(&format!("{unit}/cgroup.procs"))?;
        let mut pids = procs.split_whitespace();
        let pid: u32 = pids.next()?.parse().ok()?;
        if pids.next().is_some() {
            return None;
        }
        let stat = manager.proc.read(&format!("{pid}/stat"))?;
        if parse_parent(&stat)? != manager.pid {
            return None;
        }
        let start = self.start_us(&stat)?;
        // A controller's files exist under the unit's own folder only where systemd made
        // the unit a cgroup of that controller, and then its process is in it.
        let read = |controller: Controller, file: &str| {
            slice
                .of(controller, self.hierarchy)?
                .read(&format!("{unit}/{file}"))
        };
        Some((pid, self.figures(start, &read)))
    }

    /// Which hierarchy the memory controller is on.
    pub fn hierarchy(&self) -> Hierarchy {
        self.hierarchy
    }

    /// `unit`'s figures through its main process `pid`: `None` when the process is gone
    /// or is not in `unit`'s cgroup (the caller then asks systemd instead).
    pub fn usage(&self, unit: &str, pid: u32) -> Option<Usage> {
        let process = self.proc_root.join(pid.to_string());
        let membership = read_kernel_file(&process.join("cgroup"))?;
        let stat = read_kernel_file(&process.join("stat"))?;
        let main_start_us = self.start_us(&stat)?;
        let groups = Membership::parse(&membership);
        let unit_path = unit_cgroup(groups.unit_path()?, unit)?;
        let relative = unit_path.trim_start_matches('/');
        let read = |controller: Controller, file: &str| {
            let dir = match self.hierarchy {
                Hierarchy::Legacy => {
                    let name = controller.legacy_name();
                    if groups.path_of(name) != Some(unit_path) {
                        return None;
                    }
                    self.cgroup_root.join(name)
                }
                _ => self.cgroup_root.clone(),
            };
            read_kernel_file(&dir.join(relative).join(file))
        };
        Some(self.figures(main_start_us, &read))
    }

    /// When a process started, in µs since the epoch, from its `/proc/PID/stat`.
    fn start_us(&self, stat: &str) -> Option<u64> {
        let start_ticks = parse_start_ticks(stat)?;
        Some(
            self.boot_us
                .saturating_add(start_ticks.saturating_mul(1_000_000) / self.ticks_per_second),
        )
    }

    /// A unit's figures, each file's text given by `read` (`None` where the unit's cgroup
    /// has no such file: on cgroup v1, where the unit has no cgroup of that controller).
    fn figures(
        &self,
        main_start_us: u64,
        read: &dyn Fn(Controller, &str) -> Option<String>,
    ) -> Usage {
        let number = |controller, file| read(controller, file)?.trim().parse().ok();
        let limit = |file| parse_limit(&read(Controller::Memory, file)?);
        match self.hierarchy {
            Hierarchy::Unified => Usage {
                memory_current: number(Controller::Memory, "memory.current"),
                memory_peak: number(Controller::Memory, "memory.peak"),
                memory_max: limit("memory.max"),
                memory_high: limit("memory.high"),
                cpu_usage_nsec: read(Controller::Cpu, "cpu.stat")
                    .and_then(|text| parse_cpu_stat_usec(&text))
                    .map(|usec| usec.saturating_mul(1000)),
                tasks_current: number(Controller::Pids, "pids.current"),
                main_start_us,
            },
            Hierarchy::Legacy => Usage {
                memory_current: number(Controller::Memory, "memory.usage_in_bytes"),
                memory_peak: number(Controller::Memory, "memory.max_usage_in_bytes"),
                memory_max: limit("memory.limit_in_bytes"),
                memory_high: None,
                cpu_usage_nsec: number(Controller::Cpu, "cpuacct.usage"),
                tasks_current: number(Controller::Pids, "pids.current"),
                main_start_us,
            },
            Hierarchy::Unknown => Usage {
                main_start_us,
                ..Usage::default()
            },
        }
    }
}

/// A slice's cgroup below its manager's root: `/a.slice/a-b.slice` for `a-b.slice`,
/// nothing for the root slice `-.slice`.
fn slice_path(slice: &str) -> String {
    let Some(stem) = slice.strip_suffix(".slice").filter(|s| *s != "-") else {
        return String::new();
    };
    let mut path = String::new();
    for (end, _) in stem.match_indices('-').chain([(stem.len(), "")]) {
        path.push('/');
        path.push_str(&stem[..end]);
        path.push_str(".slice");
    }
    path
}

/// The names of the services that have a folder in the slice at `dir`.
fn services_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            (name.ends_with(".service") && entry.file_type().is_ok_and(|kind| kind.is_dir()))
                .then_some(name)
        })
        .collect()
}

/// A process's cgroups, one per hierarchy, as `/proc/PID/cgroup` lists them
/// (`ID:CONTROLLERS:PATH`; the unified hierarchy is `0::PATH`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Membership<'a> {
    lines: Vec<(Vec<&'a str>, &'a str)>,
}

impl<'a> Membership<'a> {
    fn parse(text: &'a str) -> Self {
        let lines = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.splitn(3, ':');
                let _id = fields.next()?;
                let controllers = fields.next()?.split(',').filter(|c| !c.is_empty());
                let path = fields.next()?;
                Some((controllers.collect(), path))
            })
            .collect();
        Self { lines }
    }

    /// The path in the hierarchy that carries `controller` (such as `memory`, or
    /// `name=systemd` for systemd's own v1 tree).
    fn path_of(&self, controller: &str) -> Option<&'a str> {
        self.lines
            .iter()
            .find(|(controllers, _)| controllers.contains(&controller))
            .map(|(_, path)| *path)
    }

    /// The path in the tree systemd places units in: the unified one when mounted, else
    /// its named v1 tree.
    fn unit_path(&self) -> Option<&'a str> {
        self.lines
            .iter()
            .find(|(controllers, _)| controllers.is_empty())
            .map(|(_, path)| *path)
            .or_else(|| self.path_of("name=systemd"))
    }
}

/// The part of `path` up to the folder named `unit` (a process may sit in a sub-cgroup
/// of its unit's); `None` when `path` has no such folder.
fn unit_cgroup<'a>(path: &'a str, unit: &str) -> Option<&'a str> {
    let mut end = 0;
    for component in path.split('/') {
        end += component.len();
        if component == unit {
            return Some(&path[..end]);
        }
        end += 1;
    }
    None
}

/// A process's start time, in clock ticks after boot: field 22 of `/proc/PID/stat`,
/// counted after the command name, which may itself hold spaces and parentheses.
fn parse_start_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// A process's parent: field 4 of `/proc/PID/stat`, the second after the command name.
fn parse_parent(stat: &str) -> Option<u32> {
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The first figure of `/proc/uptime`, in µs.
fn parse_uptime_us(text: &str) -> Option<u64> {
    let seconds = text.split_whitespace().next()?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, "0"));
    let fraction: String = fraction.chars().chain("000000".chars()).take(6).collect();
    let whole: u64 = whole.parse().ok()?;
    let fraction: u64 = fraction.parse().ok()?;
    Some(whole.saturating_mul(1_000_000).saturating_add(fraction))
}

/// The room for one kernel file's text in [`read_kernel_file`]: more than the files read
/// here usually hold (a number, `/proc/PID/stat`, a process's dozen cgroups); a longer
/// one is read on.
const KERNEL_FILE_ROOM: usize = 1024;

/// The text of a small file the kernel makes up when it is read (`/proc/PID/*`, a cgroup's
/// control files), read whole with one `read` ([`read_whole`]).
fn read_kernel_file(path: &Path) -> Option<String> {
    read_open_file(File::open(path).ok()?)
}

/// [`read_kernel_file`], of a file opened.
fn read_open_file(mut file: File) -> Option<String> {
    let mut bytes = Vec::new();
    let length = read_whole(&mut file, &mut bytes, KERNEL_FILE_ROOM)?;
    bytes.truncate(length);
    String::from_utf8(bytes).ok()
}

/// v1's "no limit" is `PAGE_COUNTER_MAX` pages: at least 2^63 minus one page of 64 KiB.
const V1_UNLIMITED_FROM: u64 = (1 << 63) - (64 << 10);

/// A memory limit file's text: `max` on v2, or on v1 the largest page-aligned count the
/// kernel shows for "no limit", both meaning unlimited.
fn parse_limit(text: &str) -> Option<u64> {
    let text = text.trim();
    if text == "max" {
        return None;
    }
    text.parse().ok().filter(|&bytes| bytes < V1_UNLIMITED_FROM)
}

/// `usage_usec` from a v2 `cpu.stat`.
fn parse_cpu_stat_usec(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("usage_usec "))
        .and_then(|value| value.trim().parse().ok())
}

/// The kernel's clock ticks per second (`USER_HZ`), the unit of `/proc` times.
fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a constant of the C library; it has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// The memory controller's hierarchy, as the watchdog and the report read it.
impl From<Hierarchy> for CgroupMemory {
    fn from(hierarchy: Hierarchy) -> Self {
        match hierarchy {
            Hierarchy::Unified => Self::V2,
            Hierarchy::Legacy => Self::V1,
            Hierarchy::Unknown => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "12:hugetlb:/\n9:name=systemd:/bench.slice/bench-agent-1.service\n\
        8:pids:/bench.slice/bench-agent-1.service\n4:memory:/bench.slice/bench-agent-1.service\n\
        2:cpu,cpuacct:/\n0::/bench.slice/bench-agent-1.service\n";

    #[test]
    fn membership_names_each_controllers_path() {
        let groups = Membership::parse(HYBRID);
        assert_eq!(
            groups.path_of("memory"),
            Some("/bench.slice/bench-agent-1.service")
        );
        assert_eq!(groups.path_of("cpuacct"), Some("/"));
        assert_eq!(groups.path_of("blkio"), None);
        assert_eq!(
            groups.unit_path(),
            Some("/bench.slice/bench-agent-1.service")
        );
        let legacy =
            Membership::parse("4:memory:/a.slice/x.service\n1:name=systemd:/a.slice/x.service\n");
        assert_eq!(legacy.unit_path(), Some("/a.slice/x.service"));
        assert_eq!(Membership::parse("garbage").unit_path(), None);
    }

    #[test]
    fn the_units_cgroup_is_cut_at_its_folder() {
        let path = "/a.slice/a-b.slice/x.service/payload";
        assert_eq!(
            unit_cgroup(path, "x.service"),
            Some("/a.slice/a-b.slice/x.service")
        );
        assert_eq!(
            unit_cgroup("/a.slice/x.service", "x.service"),
            Some("/a.slice/x.service")
        );
        assert_eq!(unit_cgroup("/a.slice/y.service", "x.service"), None);
        assert_eq!(unit_cgroup("/", "x.service"), None);
    }

    #[test]
    fn process_start_time_survives_odd_command_names() {
        let fields: Vec<String> = (3..=25).map(|n| n.to_string()).collect();
        let stat = format!("42 (a b) c)) {}", fields.join(" "));
        assert_eq!(parse_start_ticks(&stat), Some(22));
        assert_eq!(parse_start_ticks("42 (short) S 1"), None);
        assert_eq!(parse_start_ticks("no parenthesis"), None);
    }

    #[test]
    fn kernel_files_are_read_whole() {
        let dir = std::env::temp_dir().join(format!("ecosystemd-kfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let long = "7".repeat(3 * KERNEL_FILE_ROOM + 5);
        std::fs::write(dir.join("long"), &long).expect("long file");
        assert_eq!(
            read_kernel_file(&dir.join("long")).as_deref(),
            Some(long.as_str())
        );
        std::fs::write(dir.join("room"), "8".repeat(KERNEL_FILE_ROOM)).expect("full room");
        assert_eq!(
            read_kernel_file(&dir.join("room")).map(|t| t.len()),
            Some(KERNEL_FILE_ROOM)
        );
        assert_eq!(read_kernel_file(&dir.join("missing")), None);
        std::fs::remove_dir_all(&dir).expect("cleanup");
        let own = read_kernel_file(Path::new("/proc/self/cgroup")).expect("own cgroups");
        assert_eq!(
            Some(own),
            std::fs::read_to_string("/proc/self/cgroup").ok(),
            "the same text as read_to_string"
        );
    }

    #[test]
    fn uptime_and_limits_parse() {
        assert_eq!(parse_uptime_us("9883.45 19000.12\n"), Some(9_883_450_000));
        assert_eq!(parse_uptime_us("12 3"), Some(12_000_000));
        assert_eq!(parse_uptime_us(""), None);
        assert_eq!(parse_limit("max\n"), None);
        assert_eq!(parse_limit("9223372036854771712\n"), None);
        assert_eq!(parse_limit("209715200\n"), Some(209_715_200));
        assert_eq!(parse_limit("junk"), None);
        assert_eq!(
            parse_cpu_stat_usec("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"),
            Some(1500)
        );
        assert_eq!(parse_cpu_stat_usec("user_usec 1\n"), None);
    }

    #[test]
    fn a_legacy_units_figures_come_from_its_own_controllers_only() {
        let root = std::env::temp_dir().join(format!("ecosystemd-cgroup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let proc_dir = root.join("proc/77");
        let unit = "bench.slice/x.service";
        let memory = root.join("cgroup/memory").join(unit);
        let pids = root.join("cgroup/pids").join(unit);
        for dir in [&proc_dir, &memory, &pids] {
            std::fs::create_dir_all(dir).expect("folder");
        }
        std::fs::write(
            proc_dir.join("cgroup"),
            "9:name=systemd:/bench.slice/x.service\n4:memory:/bench.slice/x.service\n\
             3:pids:/bench.slice\n2:cpu,cpuacct:/\n",
        )
        .expect("cgroup");
        let fields: Vec<String> = (3..=25).map(|n| n.to_string()).collect();
        std::fs::write(
            proc_dir.join("stat"),
            format!("77 (node) {}", fields.join(" ")),
        )
        .expect("stat");
        std::fs::write(memory.join("memory.usage_in_bytes"), "4096\n").expect("usage");
        std::fs::write(memory.join("memory.max_usage_in_bytes"), "8192\n").expect("peak");
        std::fs::write(memory.join("memory.limit_in_bytes"), "209715200\n").expect("limit");
        std::fs::write(pids.join("pids.current"), "3\n").expect("pids of the slice");
        let kernel = Kernel {
            proc_root: root.join("proc"),
            cgroup_root: root.join("cgroup"),
            hierarchy: Hierarchy::Legacy,
            boot_us: 1_000_000,
            ticks_per_second: 100,
            manager: None,
        };
        let usage = kernel.usage("x.service", 77).expect("usage");
        assert_eq!(
            usage,
            Usage {
                memory_current: Some(4096),
                memory_peak: Some(8192),
                memory_max: Some(209_715_200),
                memory_high: None,
                cpu_usage_nsec: None,
                tasks_current: None,
                main_start_us: 1_000_000 + 220_000,
            }
        );
        assert_eq!(
            kernel.usage("other.service", 77),
            None,
            "not that unit's process"
        );
        assert_eq!(kernel.usage("x.service", 78), None, "no such process");
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn a_unified_units_figures_come_from_its_folder() {
        let root = std::env::temp_dir().join(format!("ecosystemd-cgroup2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let proc_dir = root.join("proc/5");
        let dir = root.join("cgroup/a.slice/y.service");
        for folder in [&proc_dir, &dir] {
            std::fs::create_dir_all(folder).expect("folder");
        }
        std::fs::write(proc_dir.join("cgroup"), "0::/a.slice/y.service\n").expect("cgroup");
        let fields: Vec<String> = (3..=25).map(|n| n.to_string()).collect();
        std::fs::write(proc_dir.join("stat"), format!("5 (y) {}", fields.join(" "))).expect("stat");
        for (file, text) in [
            ("memory.current", "100\n"),
            ("memory.peak", "200\n"),
            ("memory.max", "max\n"),
            ("memory.high", "150\n"),
            ("cpu.stat", "usage_usec 7\n"),
            ("pids.current", "2\n"),
        ] {
            std::fs::write(dir.join(file), text).expect("cgroup file");
        }
        let kernel = Kernel {
            proc_root: root.join("proc"),
            cgroup_root: root.join("cgroup"),
            hierarchy: Hierarchy::Unified,
            boot_us: 0,
            ticks_per_second: 100,
            manager: None,
        };
        let usage = kernel.usage("y.service", 5).expect("usage");
        assert_eq!(usage.memory_current, Some(100));
        assert_eq!(usage.memory_peak, Some(200));
        assert_eq!(usage.memory_max, None);
        assert_eq!(usage.memory_high, Some(150));
        assert_eq!(usage.cpu_usage_nsec, Some(7000));
        assert_eq!(usage.tasks_current, Some(2));
        assert_eq!(usage.main_start_us, 220_000);
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn a_sole_child_of_the_manager_is_the_main_process() {
        let root = std::env::temp_dir().join(format!("ecosystemd-sole-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
            std::fs::write(path, text).expect("file");
        };
        let stat = |pid: u32, parent: u32| {
            let fields: Vec<String> = (5..=25).map(|n| n.to_string()).collect();
            format!("{pid} (node) S {parent} {}", fields.join(" "))
        };
        write("proc/1/cgroup", "1:name=systemd:/init.scope\n");
        write("proc/77/stat", &stat(77, 1));
        write("proc/78/stat", &stat(78, 77));
        write("proc/79/stat", &stat(79, 5));
        let units = "cgroup/systemd/a.slice/a-b.slice";
        write(&format!("{units}/one.service/cgroup.procs"), "77\n");
        write(&format!("{units}/two.service/cgroup.procs"), "77\n78\n");
        write(&format!("{units}/stranger.service/cgroup.procs"), "79\n");
        write(&format!("{units}/other.scope/cgroup.procs"), "77\n");
        write("cgroup/systemd/a.slice/none.service/cgroup.procs", "");
        let one = "a.slice/a-b.slice/one.service";
        write(
            &format!("cgroup/memory/{one}/memory.usage_in_bytes"),
            "4096\n",
        );
        write(
            &format!("cgroup/memory/{one}/memory.max_usage_in_bytes"),
            "8192\n",
        );
        write(
            &format!("cgroup/memory/{one}/memory.limit_in_bytes"),
            "65536\n",
        );
        let mut kernel = Kernel {
            proc_root: root.join("proc"),
            cgroup_root: root.join("cgroup"),
            hierarchy: Hierarchy::Legacy,
            boot_us: 0,
            ticks_per_second: 100,
            manager: None,
        };
        assert_eq!(
            kernel.sole_process("one.service"),
            None,
            "manager not known"
        );
        kernel.know_manager(1, &["a.slice", "a-b.slice", "-.slice"]);
        let (pid, usage) = kernel.sole_process("one.service").expect("one process");
        assert_eq!(pid, 77);
        assert_eq!(
            usage,
            Usage {
                memory_current: Some(4096),
                memory_peak: Some(8192),
                memory_max: Some(65536),
                memory_high: None,
                cpu_usage_nsec: None,
                tasks_current: None,
                main_start_us: 220_000,
            }
        );
        assert_eq!(kernel.sole_process("two.service"), None, "two processes");
        assert_eq!(
            kernel.sole_process("stranger.service"),
            None,
            "not the manager's child"
        );
        assert_eq!(kernel.sole_process("none.service"), None, "no process");
        assert_eq!(kernel.sole_process("other.service"), None, "no such unit");
        assert_eq!(kernel.sole_process("other.scope"), None, "not a service");
        kernel.know_manager(77, &["a.slice", "a-b.slice"]);
        assert_eq!(kernel.sole_process("one.service"), None, "77 is no manager");
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn a_slices_cgroup_follows_its_name() {
        assert_eq!(slice_path("-.slice"), "");
        assert_eq!(slice_path("system.slice"), "/system.slice");
        assert_eq!(slice_path("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
        assert_eq!(slice_path("x.service"), "");
    }

    #[test]
    fn the_hierarchy_is_told_from_the_mount() {
        let dir = std::env::temp_dir().join(format!("ecosystemd-hierarchy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        assert_eq!(Hierarchy::detect(&dir), Hierarchy::Unknown);
        std::fs::create_dir(dir.join("memory")).expect("v1 dir");
        assert_eq!(Hierarchy::detect(&dir), Hierarchy::Legacy);
        std::fs::write(dir.join("cgroup.controllers"), "cpu io memory pids\n").expect("v2");
        assert_eq!(Hierarchy::detect(&dir), Hierarchy::Unified);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
