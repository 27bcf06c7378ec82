//! A normal user that exists only inside a sandbox (never on the host): the sandbox's
//! mount namespace gets a private `/home` (a checkout under `/home` stays visible) and private copies of `/etc/passwd` and
//! `/etc/group` with the user added, bind-mounted over the real ones.

#![allow(dead_code)] // each test crate uses a different part of the harness

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::sandbox::Sandbox;

/// The user, with its home under the sandbox's private `/home`.
pub struct Owner {
    /// Login name.
    pub name: String,
    /// uid (its primary group has the same number).
    pub uid: u32,
    /// Home, as seen inside the sandbox.
    pub home: String,
    /// The sandbox's root as seen from outside (`/proc/PID/root`).
    root: PathBuf,
}

impl Owner {
    /// Adds the user `name` with uid and gid `uid` inside `sandbox`, with a `0700` home.
    pub fn create(sandbox: &Sandbox, name: &str, uid: u32) -> Self {
        let run = |args: &[&str]| {
            let output = sandbox.exec(args);
            assert!(
                output.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        sandbox
            .mount_private("/home")
            .unwrap_or_else(|e| panic!("{e}"));
        let etc = "/tmp/ecosystemd-owner-etc";
        fs::create_dir_all(sandbox.path(etc)).expect("private etc folder");
        let home = format!("/home/{name}");
        for (file, line) in [
            (
                "passwd",
                format!("{name}:x:{uid}:{uid}:{name}:{home}:/bin/bash\n"),
            ),
            ("group", format!("{name}:x:{uid}:\n")),
        ] {
            let mut text = fs::read_to_string(sandbox.path(&format!("/etc/{file}")))
                .unwrap_or_else(|e| panic!("/etc/{file}: {e}"));
            text.push_str(&line);
            let copy = format!("{etc}/{file}");
            fs::write(sandbox.path(&copy), text).expect("private copy");
            fs::set_permissions(sandbox.path(&copy), fs::Permissions::from_mode(0o644))
                .expect("mode");
            run(&["mount", "--bind", &copy, &format!("/etc/{file}")]);
        }
        let owner = Self {
            name: name.to_owned(),
            uid,
            home,
            root: sandbox.root(),
        };
        owner.dir("", 0o700);
        owner
    }

    /// The path, from outside, of `relative` under the home.
    pub fn outside(&self, relative: &str) -> PathBuf {
        let inside = format!("{}/{relative}", self.home);
        self.root.join(inside.trim_start_matches('/'))
    }

    /// Creates the folder `relative` under the home (and its parents), owned by the
    /// user, with `mode`.
    pub fn dir(&self, relative: &str, mode: u32) {
        let mut path = String::new();
        let parts = std::iter::once("").chain(relative.split('/').filter(|p| !p.is_empty()));
        for part in parts {
            if !part.is_empty() {
                path = if path.is_empty() {
                    part.to_owned()
                } else {
                    format!("{path}/{part}")
                };
            }
            let outside = self.outside(&path);
            if !outside.exists() {
                fs::create_dir(&outside).expect("mkdir");
                self.own(&outside);
                fs::set_permissions(&outside, fs::Permissions::from_mode(0o755)).expect("mode");
            }
        }
        fs::set_permissions(self.outside(relative), fs::Permissions::from_mode(mode))
            .expect("mode");
    }

    /// Writes the file `relative` under the home, owned by the user, with `mode`.
    pub fn file(&self, relative: &str, contents: &str, mode: u32) {
        if let Some((folder, _)) = relative.rsplit_once('/') {
            self.dir(folder, 0o755);
        }
        let outside = self.outside(relative);
        fs::write(&outside, contents).expect("write");
        self.own(&outside);
        fs::set_permissions(&outside, fs::Permissions::from_mode(mode)).expect("mode");
    }

    /// A symlink `relative` under the home pointing at `target`, owned by the user.
    pub fn symlink(&self, target: &str, relative: &str) {
        let outside = self.outside(relative);
        std::os::unix::fs::symlink(target, &outside).expect("symlink");
        std::os::unix::fs::lchown(&outside, Some(self.uid), Some(self.uid)).expect("lchown");
    }

    fn own(&self, path: &std::path::Path) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.uid)).expect("chown");
    }
}
