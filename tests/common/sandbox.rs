//! A private, real systemd for integration tests.
//!
//! [`Sandbox::boot`] starts `/lib/systemd/systemd` as PID 1 of its own PID, mount and
//! network namespace (see `shared/systemd-sandbox.md` of the project), with private
//! tmpfs mounts over every place its boot would otherwise change on the host: `/tmp`
//! (systemd-tmpfiles empties it), `/var/tmp`, `/var/log/journal`, `/var/lib` (where
//! `StateDirectory=` and systemd's own state go), `/etc/systemd` (hides
//! the host's enabled units and takes the journald configuration we write) and
//! `/etc/ecosystemd`, plus `/srv`, where [`Sandbox::copy_in`] puts projects for the
//! sandbox's apps. It waits until the manager runs and is always killed on drop,
//! also when a test fails or panics; `unshare --kill-child` plus a parent-death signal
//! take it down even if the test process itself is killed.
//!
//! The checkout and the target folder stay visible inside wherever they live (under
//! `/tmp`, under a `0700` `/root`, in a path with spaces): they are bound back over the
//! private mounts (see [`kept_paths`]). The network namespace has only a loopback:
//! ports bound inside are the test's alone and nothing of the host is reachable; the
//! test process talks to the sandbox's apps through [`Sandbox::in_network`] or
//! [`Network::enter`].
//!
//! Tests that cannot boot one (not root, no `unshare`) are reported as skipped
//! ([`super::skip`]); under `CI=true` that is a failure: the sandbox tests are the point.

#![allow(dead_code)] // each test crate uses a different part of the harness

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Folders given a private tmpfs inside the sandbox.
const PRIVATE_MOUNTS: &[&str] = &[
    "/tmp",
    "/var/tmp",
    "/var/log/journal",
    "/var/lib",
    "/etc/systemd",
    "/etc/ecosystemd",
    "/srv",
];

/// Extra folders given a private tmpfs when the sandbox has users of its own
/// ([`Options::users`]): their homes live there, never on the host.
const USER_MOUNTS: &[&str] = &["/home"];

/// The account files that get private copies when the sandbox has users of its own.
const ACCOUNT_FILES: &[&str] = &["/etc/passwd", "/etc/group", "/etc/shadow"];

/// A normal user that exists inside one sandbox only (in private copies of the account
/// files), never on the host.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name.
    pub name: String,
    /// User id, also the id of its own group.
    pub uid: u32,
    /// Home folder (created empty by the test, under the private `/home`).
    pub home: String,
}

/// How to boot a sandbox; `Options::default()` is what [`Sandbox::boot`] does.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Users added to private copies of `/etc/passwd`, `/etc/group` and `/etc/shadow`,
    /// with a private tmpfs over `/home`.
    pub users: Vec<User>,
}

/// How long booting may take before the test fails.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// A running private systemd; killed on drop.
pub struct Sandbox {
    unshare: Child,
    pid: u32,
    network: Option<Network>,
    log: PathBuf,
    users: Vec<User>,
}

impl Sandbox {
    /// Boots a sandbox, or returns `None` where this machine cannot (the test is then
    /// reported as skipped, with why). Under `CI=true` a sandbox that cannot boot panics
    /// instead.
    pub fn boot() -> Option<Self> {
        Self::boot_with(&Options::default())
    }

    /// Boots a sandbox with `options` (users of its own, a private network), or returns
    /// `None` as [`Sandbox::boot`] does.
    pub fn boot_with(options: &Options) -> Option<Self> {
        match Self::try_boot(options) {
            Ok(sandbox) => Some(sandbox),
            Err(why) => {
                super::skip::skip(&format!("the systemd sandbox cannot boot here: {why}"));
                None
            }
        }
    }

    fn try_boot(options: &Options) -> Result<Self, String> {
        if !is_root() {
            return Err("tests that boot systemd need root".into());
        }
        for tool in [
            "/usr/bin/unshare",
            "/usr/bin/nsenter",
            "/lib/systemd/systemd",
        ] {
            if !Path::new(tool).exists() {
                return Err(format!("{tool} is missing"));
            }
        }
        let mut private: Vec<String> = PRIVATE_MOUNTS.iter().map(|d| d.to_string()).collect();
        if !options.users.is_empty() {
            private.extend(USER_MOUNTS.iter().map(|d| d.to_string()));
        }
        let kept = kept_paths();
        private.extend(closed_ancestors(&kept, &private));
        let mut script = String::from("umask 022; ");
        for dir in &private {
            script.push_str(&private_mount_script(dir, &kept));
        }
        script.push_str(&open_closed_kept(&kept, "/"));
        script.push_str("ip link set lo up || exit 1; ");
        script.push_str(
            "exec /lib/systemd/systemd --system --unit=multi-user.target --log-target=kmsg",
        );
        let log = std::env::temp_dir().join(format!(
            "ecosystemd-sandbox-{}-{}.log",
            std::process::id(),
            unique()
        ));
        let log_file = fs::File::create(&log).map_err(|e| format!("log file: {e}"))?;
        let mut command = Command::new("/usr/bin/unshare");
        command
            .args([
                "--net",
                "--pid",
                "--fork",
                "--kill-child=SIGKILL",
                "--mount",
                "--mount-proc",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
                "sh",
            ])
            .args(&kept)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file);
        // SAFETY: prctl and setsid are async-signal-safe and touch only this child.
        unsafe {
            command.pre_exec(|| {
                libc::setsid();
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let unshare = command.spawn().map_err(|e| format!("unshare: {e}"))?;
        let mut sandbox = Self {
            pid: 0,
            network: None,
            unshare,
            log,
            users: options.users.clone(),
        };
        sandbox.pid = sandbox.find_systemd()?;
        sandbox.network = Some(Network::of(sandbox.pid)?);
        sandbox.wait_until_running()?;
        sandbox.bind_kept_into_private_tmp(&kept)?;
        if !sandbox.users.is_empty() {
            sandbox.bind_accounts()?;
        }
        Ok(sandbox)
    }

    fn find_systemd(&mut self) -> Result<u32, String> {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        let children = format!("/proc/{0}/task/{0}/children", self.unshare.id());
        loop {
            if let Ok(Some(status)) = self.unshare.try_wait() {
                return Err(format!("unshare exited with {status}: {}", self.log_text()));
            }
            let pid = fs::read_to_string(&children)
                .ok()
                .and_then(|text| text.split_whitespace().next()?.parse().ok());
            if let Some(pid) = pid {
                let exe = fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
                if exe.ends_with("systemd") {
                    return Ok(pid);
                }
            }
            if Instant::now() > deadline {
                return Err("systemd did not start within the timeout".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_until_running(&self) -> Result<(), String> {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            let output = self.exec(&["systemctl", "is-system-running"]);
            last = String::from_utf8_lossy(&output.stdout).trim().to_string();
            if last == "running" || last == "degraded" {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "not running after {BOOT_TIMEOUT:?}; last state {last:?}"
        ))
    }

    /// The PID, as seen from outside, of the sandbox's systemd.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The sandbox's view of the filesystem (`/proc/PID/root`): prefix for paths inside.
    pub fn root(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.pid))
    }

    /// A path inside the sandbox, reachable from outside.
    pub fn path(&self, inside: &str) -> PathBuf {
        self.root().join(inside.trim_start_matches('/'))
    }

    /// The sandbox's network namespace, for threads of the test process that talk to
    /// its apps (see [`Network::enter`]).
    pub fn network(&self) -> Network {
        self.network
            .clone()
            .expect("a booted sandbox has a network")
    }

    /// Runs `f` on a thread inside the sandbox's network namespace (its loopback, its
    /// ports) and returns what `f` returns; a panic in `f` goes on in the caller.
    pub fn in_network<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let network = self.network();
        std::thread::scope(|scope| {
            let thread = scope.spawn(move || {
                network.enter();
                f()
            });
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// Mounts a private tmpfs over `dir` inside the running sandbox, with the project's
    /// folders below it bound back in (as at boot).
    pub fn mount_private(&self, dir: &str) -> Result<(), String> {
        let kept = kept_paths();
        let script = format!(
            "umask 022; {}{}",
            private_mount_script(dir, &kept),
            open_closed_kept(&kept, dir)
        );
        let output = self
            .command(&["/bin/sh", "-c", &script, "sh"])
            .args(&kept)
            .output()
            .map_err(|e| format!("nsenter: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "private {dir}: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// The D-Bus address of the sandbox's system bus.
    pub fn bus_address(&self) -> String {
        format!(
            "unix:path=/proc/{}/root/run/dbus/system_bus_socket",
            self.pid
        )
    }

    /// Runs a command inside the sandbox's namespaces and returns its output.
    pub fn exec(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("nsenter {args:?}: {e}"))
    }

    /// A command that will run inside the sandbox's namespaces, for more control.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("/usr/bin/nsenter");
        command.args(["-t", &self.pid.to_string(), "-m", "-p", "-n", "--"]);
        command.args(args).stdin(Stdio::null());
        command
    }

    /// Runs `systemctl ARGS` inside and returns its stdout, trimmed.
    pub fn systemctl(&self, args: &[&str]) -> String {
        let mut all = vec!["systemctl"];
        all.extend_from_slice(args);
        String::from_utf8_lossy(&self.exec(&all).stdout)
            .trim()
            .to_string()
    }

    /// One property of a unit, as `systemctl show -P` prints it.
    pub fn property(&self, unit: &str, property: &str) -> String {
        self.systemctl(&["show", "-P", property, unit])
    }

    /// Polls `check` until it returns `Some`, or panics after `timeout` with `what` and
    /// the last thing seen.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> Result<T, String>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            match check() {
                Ok(value) => return value,
                Err(seen) if Instant::now() > deadline => {
                    panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Copies the host's folder `from` (an example, a fixture of the checkout) to
    /// `inside`, a folder under the sandbox's private `/srv`, and returns `inside`. The
    /// copy is root's, with mode `0755` for folders and executables and `0644` for other
    /// files: a project its apps' users (a dynamic user, `nobody`) may read, whatever
    /// the checkout's own modes (a clone made under umask `077` has `0700` folders and
    /// `0600` files, which only root may read). Panics when the copy fails.
    pub fn copy_in(&self, from: &Path, inside: &str) -> String {
        assert!(
            inside.starts_with("/srv/"),
            "copy_in: {inside} is not under /srv"
        );
        let to = self.path(inside);
        let _ = fs::remove_dir_all(&to);
        copy_open(from, &to).unwrap_or_else(|e| {
            panic!(
                "copying {} into the sandbox at {inside}: {e}",
                from.display()
            )
        });
        inside.to_owned()
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.pid != 0 {
            // SAFETY: plain kill(2) on the PID we started.
            unsafe {
                libc::kill(self.pid as i32, libc::SIGKILL);
            }
        }
        // unshare reaps systemd and exits; give it a moment before forcing it.
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.unshare.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
        let _ = fs::remove_file(&self.log);
    }
}

/// Folders that `PrivateTmp=` (and `DynamicUser=`, which implies it) replaces in a
/// service's view.
const PRIVATE_TMP: &[&str] = &["/tmp", "/var/tmp"];

/// Where the harness's drop-in for every service goes: a `system.control` folder
/// (`systemctl set-property`'s), which no test installs into.
const SERVICE_DROP_INS: &[&str] = &[
    "/run/systemd/system.control/service.d",
    "/run/systemd/user/service.d",
];

impl Sandbox {
    /// A checkout under `/tmp` (or its target folder) is hidden from every service with
    /// a `/tmp` of its own: a drop-in for all services binds the kept paths there back
    /// into their view (`BindPaths=`, sorted after the private `/tmp` by systemd), so
    /// apps run from the checkout as they would from anywhere else.
    fn bind_kept_into_private_tmp(&self, kept: &[PathBuf]) -> Result<(), String> {
        let under_tmp: Vec<String> = kept
            .iter()
            .filter(|path| PRIVATE_TMP.iter().any(|dir| path.starts_with(dir)))
            .map(|path| {
                let text = path.display().to_string();
                let escaped = text
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('%', "%%");
                format!("\"-{escaped}\"")
            })
            .collect();
        if under_tmp.is_empty() {
            return Ok(());
        }
        let text = format!(
            "# The test harness: the project's folders under /tmp stay visible.\n[Service]\nBindPaths={}\n",
            under_tmp.join(" ")
        );
        for dir in SERVICE_DROP_INS {
            let dir = self.path(dir);
            fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            fs::write(dir.join("50-test-checkout.conf"), &text).map_err(|e| e.to_string())?;
        }
        let reload = self.exec(&["systemctl", "daemon-reload"]);
        if !reload.status.success() {
            return Err(format!("daemon-reload: {reload:?}"));
        }
        Ok(())
    }
}

/// A sandbox's network namespace (an open `/proc/PID/ns/net`), shareable between threads.
#[derive(Debug, Clone)]
pub struct Network(std::sync::Arc<fs::File>);

impl Network {
    fn of(pid: u32) -> Result<Self, String> {
        let path = format!("/proc/{pid}/ns/net");
        let file = fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        Ok(Self(std::sync::Arc::new(file)))
    }

    /// Moves the calling thread (only it: `setns` is per thread) into the namespace, so
    /// that its `127.0.0.1` is the sandbox's loopback; threads it starts afterwards
    /// inherit the namespace.
    pub fn enter(&self) {
        use std::os::fd::AsRawFd;
        // SAFETY: setns on an open namespace file changes only this thread's namespace.
        let status = unsafe { libc::setns(self.0.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(
            status,
            0,
            "setns into the sandbox's network: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// The folders of the project that must stay visible inside the sandbox, wherever the
/// checkout lives: the checkout (sources, examples, fixtures) and the target folder
/// (the binaries under test, the tests' scratch folders), as absolute paths without
/// symlinks; a folder inside another kept one is left out.
fn kept_paths() -> Vec<PathBuf> {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf);
    let mut kept: Vec<PathBuf> = [Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))), target]
        .into_iter()
        .flatten()
        .filter_map(|path| path.canonicalize().ok())
        .collect();
    kept.sort();
    kept.dedup_by(|inner, outer| inner.starts_with(outer));
    kept
}

/// Ancestors of `kept` paths that other users cannot enter (a checkout under a `0700`
/// `/root`), outside every `private` folder: each gets a private tmpfs of mode `0755`
/// too, with the kept path bound back, so that the sandbox's unprivileged processes
/// (dynamic users, `nobody`) reach the project while the rest of that folder is hidden.
fn closed_ancestors(kept: &[PathBuf], private: &[String]) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut closed = Vec::new();
    for path in kept {
        for ancestor in path
            .ancestors()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .skip(1)
        {
            if private.iter().any(|dir| ancestor.starts_with(dir)) || ancestor == path {
                break;
            }
            let mode = fs::metadata(ancestor).map_or(0o755, |m| m.permissions().mode());
            if mode & 0o001 == 0 {
                closed.push(ancestor.display().to_string());
                break;
            }
        }
    }
    closed.sort();
    closed.dedup();
    closed
}

/// Shell text that opens each kept path under `dir` that others may not enter (a clone
/// made under umask `077`: `0700`) to the sandbox's unprivileged processes: a tmpfs of
/// mode `0755` over it, with each of its entries bound back (a symlink copied), so that
/// they reach the fixtures below it (the target folder's scratch space). The entries
/// are those at boot: a file added to the top of the checkout later stays outside.
fn open_closed_kept(kept: &[PathBuf], dir: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let mut script = String::new();
    for (i, path) in kept.iter().enumerate() {
        let closed = fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o001 == 0);
        if closed && path.starts_with(dir) {
            let n = i + 1;
            script.push_str(&format!(
                r#"d="${{{n}}}"; exec 3<"$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || exit 1; for e in /proc/self/fd/3/* /proc/self/fd/3/.[!.]* /proc/self/fd/3/..?*; do t="$d/${{e##*/}}"; if [ -L "$e" ]; then ln -s "$(readlink "$e")" "$t"; elif [ -d "$e" ]; then mkdir "$t" && mount --no-canonicalize --rbind "$e" "$t"; elif [ -e "$e" ]; then : >"$t" && mount --no-canonicalize --bind "$e" "$t"; fi || exit 1; done; exec 3<&-; "#
            ));
        }
    }
    script
}

/// Shell text that mounts a private tmpfs over `dir` and binds back each kept path
/// below it. The script's positional parameters are the `kept` paths (so spaces and
/// other characters in them need no quoting); a kept path is reached after the tmpfs
/// covers it through a descriptor of `dir` opened before (`/proc/self/fd/3/...`).
fn private_mount_script(dir: &str, kept: &[PathBuf]) -> String {
    let mut script = format!(
        "d={}; mkdir -p \"$d\" && exec 3<\"$d\" && mount -t tmpfs -o mode=0755 tmpfs \"$d\" || exit 1; ",
        shell_quote(dir)
    );
    for (i, path) in kept.iter().enumerate() {
        if path.starts_with(dir) && path != Path::new(dir) {
            let n = i + 1;
            script.push_str(&format!(
                "mkdir -p \"${{{n}}}\" && mount --no-canonicalize --rbind \"/proc/self/fd/3${{{n}#\"$d\"}}\" \"${{{n}}}\" || exit 1; "
            ));
        }
    }
    script.push_str("exec 3<&-; ");
    script
}

/// Copies the folder `from` to `to` (created) with open modes: `0755` for folders and
/// files with an execute bit, `0644` for other files; symlinks are copied as symlinks.
fn copy_open(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o755))?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let meta = fs::symlink_metadata(&source)?;
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&source)?, &target)?;
        } else if meta.is_dir() {
            copy_open(&source, &target)?;
        } else {
            fs::copy(&source, &target)?;
            let mode = if meta.permissions().mode() & 0o111 != 0 {
                0o755
            } else {
                0o644
            };
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

/// `text` as one shell word.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Where the private account files live inside a sandbox (its own `/run`).
const ACCOUNTS_DIR: &str = "/run/sandbox-accounts";

impl Sandbox {
    /// Makes sure the sandbox's users exist: binds private copies of the account files
    /// (the host's, with the users added) over `/etc/passwd`, `/etc/group` and
    /// `/etc/shadow` again if they are gone. A host tool that replaces one of these
    /// files (`useradd`, a package adding its user) detaches the bind inside the
    /// sandbox; call this before relying on the users.
    pub fn ensure_accounts(&self) -> Result<(), String> {
        let passwd = fs::read_to_string(self.path("/etc/passwd")).unwrap_or_default();
        let present = self.users.iter().all(|u| {
            passwd
                .lines()
                .any(|l| l.starts_with(&format!("{}:", u.name)))
        });
        if present {
            return Ok(());
        }
        self.bind_accounts()
    }

    fn bind_accounts(&self) -> Result<(), String> {
        use std::os::unix::fs::MetadataExt;
        fs::create_dir_all(self.path(ACCOUNTS_DIR)).map_err(|e| e.to_string())?;
        for file in ACCOUNT_FILES {
            let name = Path::new(file).file_name().unwrap_or_default();
            let copy = format!("{ACCOUNTS_DIR}/{}", name.to_string_lossy());
            let text = with_users(file, &self.users)?;
            fs::write(self.path(&copy), text).map_err(|e| format!("{copy}: {e}"))?;
            let meta = fs::metadata(file).map_err(|e| format!("{file}: {e}"))?;
            fs::set_permissions(self.path(&copy), meta.permissions()).map_err(|e| e.to_string())?;
            std::os::unix::fs::chown(self.path(&copy), Some(meta.uid()), Some(meta.gid()))
                .map_err(|e| e.to_string())?;
            let output = self.exec(&["mount", "--bind", &copy, file]);
            if !output.status.success() {
                return Err(format!(
                    "mount --bind {copy} {file}: {}",
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
        Ok(())
    }
}

/// The host's account file `file` with `users` added.
fn with_users(file: &str, users: &[User]) -> Result<String, String> {
    let mut text = fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for user in users {
        let (name, uid, home) = (&user.name, user.uid, &user.home);
        text.push_str(&match file {
            "/etc/passwd" => format!("{name}:x:{uid}:{uid}::{home}:/bin/bash\n"),
            "/etc/group" => format!("{name}:x:{uid}:\n"),
            _ => format!("{name}:!:19000:0:99999:7:::\n"),
        });
    }
    Ok(text)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
