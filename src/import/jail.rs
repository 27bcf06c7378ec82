//! The box an `ecosystem.config.js` is evaluated in: it may read the project and build
//! its configuration, and nothing more.
//!
//! - **Who.** As root, the file's owner; a root-owned file that every user may read runs
//!   as `nobody`, one only root may read runs as root without any capability. Anyone
//!   else evaluates as themselves.
//! - **Namespaces.** A network namespace with no interface, a mount namespace, a PID
//!   namespace whose end kills every process the file started, and, except for root, a
//!   user namespace (which is what lets an unprivileged user have the others, and what
//!   gives the process limit a count of its own).
//! - **Files.** Every mount is remounted read-only; `/tmp` is a small private tmpfs, the
//!   scratch folder, gone with the evaluation (unless the project is under `/tmp`, which
//!   then stays visible, read-only). A box whose project stays writable is not used: the
//!   script checks and refuses.
//! - **Limits.** [`MAX_TASKS`] processes and threads (a fork loop gets `EAGAIN`; not for
//!   root, whom the kernel exempts), [`MAX_ADDRESS_SPACE`] per process, no capabilities,
//!   no new privileges, and the caller's time limit.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// Processes and threads the evaluation may have at once (Node.js itself uses about 11).
pub const MAX_TASKS: u32 = 64;
/// Address space of each process, bytes (Node.js evaluating a config needs well under).
pub const MAX_ADDRESS_SPACE: u64 = 1 << 30;
/// The user nobody.
const NOBODY: u32 = 65534;
/// The exit status of the box script when it could not make the project read-only.
pub const NOT_READ_ONLY: i32 = 125;

/// Run inside the namespaces, as `sh -c JAIL sh PROJECT PROGRAM ARGS...`: a private tmpfs
/// on `/tmp` (where it hides no project), every other mount read-only, a check that
/// PROJECT is, then the program.
const JAIL: &str = r#"
set -u
project=$1; shift
mount --make-rprivate / || exit 125
case "$project/" in
  /tmp/*) ;;
  *) mount -t tmpfs -o size=16m,mode=1777 ecosystemd-import /tmp || exit 125 ;;
esac
while read -r _ _ _ _ point _; do
  case "$point" in /tmp|/proc|/proc/*) continue ;; esac
  mount -o remount,bind,ro "$point" 2>/dev/null
done < /proc/self/mountinfo
if ( : > "$project/.ecosystemd-import-probe" ) 2>/dev/null; then
  rm -f "$project/.ecosystemd-import-probe"
  echo "the project folder stayed writable inside the import's box" >&2
  exit 125
fi
exec "$@"
"#;

/// Who evaluates the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// Root, without capabilities: a root-owned file only root may read.
    RootWithoutCapabilities,
    /// This uid and gid, in a user namespace of their own.
    User {
        /// The user.
        uid: u32,
        /// Their primary group.
        gid: u32,
    },
}

/// The facts the box is chosen from.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// The caller's effective uid.
    pub euid: u32,
    /// The caller's effective gid.
    pub egid: u32,
    /// The file's owner and group.
    pub owner: (u32, u32),
    /// Whether every user may read the file (and enter every folder above it).
    pub world_readable: bool,
}

impl Facts {
    /// The facts about `file` for this process.
    pub fn of(file: &Path) -> std::io::Result<Self> {
        let metadata = std::fs::metadata(file)?;
        // SAFETY: geteuid and getegid cannot fail and touch no memory.
        let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
        Ok(Self {
            euid,
            egid,
            owner: (metadata.uid(), metadata.gid()),
            world_readable: world_readable(file),
        })
    }

    /// Who evaluates the file (see the module documentation).
    pub fn identity(&self) -> Identity {
        match (self.euid, self.owner) {
            (0, (0, _)) if self.world_readable => Identity::User {
                uid: NOBODY,
                gid: NOBODY,
            },
            (0, (0, _)) => Identity::RootWithoutCapabilities,
            (0, (uid, gid)) => Identity::User { uid, gid },
            (uid, _) => Identity::User {
                uid,
                gid: self.egid,
            },
        }
    }
}

/// The command line that runs `program ARGS...` boxed in as `identity`, with `project`
/// (the file's folder) checked read-only.
pub fn command_line(
    identity: Identity,
    euid: u32,
    project: &Path,
    program: &[String],
) -> Vec<String> {
    let mut line: Vec<String> = Vec::new();
    let mut namespaces = vec!["unshare"];
    match identity {
        Identity::User { uid, gid } if euid != uid => {
            line.extend([
                "setpriv".to_string(),
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".into(),
                "--".into(),
            ]);
            namespaces.extend(["--user", "--map-root-user"]);
        }
        Identity::User { .. } => namespaces.extend(["--user", "--map-root-user"]),
        Identity::RootWithoutCapabilities => {}
    }
    namespaces.extend([
        "--net",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "--",
        "sh",
        "-c",
        JAIL,
        "sh",
    ]);
    line.extend(namespaces.into_iter().map(String::from));
    line.push(project.display().to_string());
    line.extend(
        [
            "setpriv",
            "--bounding-set=-all",
            "--inh-caps=-all",
            "--no-new-privs",
            "--",
            "prlimit",
        ]
        .map(String::from),
    );
    line.push(format!("--nproc={MAX_TASKS}"));
    line.push(format!("--as={MAX_ADDRESS_SPACE}"));
    line.push("--".into());
    line.extend(program.iter().cloned());
    line
}

/// Whether others may read `file` and enter every folder above it.
fn world_readable(file: &Path) -> bool {
    let mode = |path: &Path| std::fs::metadata(path).map(|m| m.mode()).unwrap_or(0);
    mode(file) & 0o004 != 0
        && file
            .ancestors()
            .skip(1)
            .filter(|dir| !dir.as_os_str().is_empty())
            .all(|dir| mode(dir) & 0o001 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(euid: u32, owner: u32, world_readable: bool) -> Facts {
        Facts {
            euid,
            egid: euid,
            owner: (owner, owner),
            world_readable,
        }
    }

    #[test]
    fn root_evaluates_as_the_owner_or_nobody() {
        assert_eq!(
            facts(0, 1000, false).identity(),
            Identity::User {
                uid: 1000,
                gid: 1000
            }
        );
        assert_eq!(
            facts(0, 0, true).identity(),
            Identity::User {
                uid: NOBODY,
                gid: NOBODY
            }
        );
        assert_eq!(
            facts(0, 0, false).identity(),
            Identity::RootWithoutCapabilities
        );
        assert_eq!(
            facts(1000, 0, true).identity(),
            Identity::User {
                uid: 1000,
                gid: 1000
            }
        );
    }

    #[test]
    fn the_command_line_drops_to_the_user_and_limits_the_program() {
        let program = vec!["node".to_string(), "-e".into(), "1".into()];
        let identity = Identity::User {
            uid: 1000,
            gid: 100,
        };
        let line = command_line(identity, 0, Path::new("/srv/app"), &program);
        assert_eq!(line[..3], ["setpriv", "--reuid=1000", "--regid=100"]);
        let at = |word: &str| line.iter().position(|w| w == word).unwrap();
        assert!(at("--user") < at("--net") && at("--net") < at("sh"));
        assert!(line.contains(&"/srv/app".to_string()));
        assert!(line.contains(&format!("--nproc={MAX_TASKS}")));
        assert_eq!(line[line.len() - 3..], program[..]);
        let own = command_line(identity, 1000, Path::new("/srv/app"), &program);
        assert_eq!(own[0], "unshare");
        let root = command_line(
            Identity::RootWithoutCapabilities,
            0,
            Path::new("/root/app"),
            &program,
        );
        assert!(!root.contains(&"--user".to_string()));
        assert!(root.contains(&"--bounding-set=-all".to_string()));
    }

    #[test]
    fn world_readable_needs_every_folder_above_to_be_enterable() {
        assert!(world_readable(Path::new("/etc/hostname")) || !Path::new("/etc/hostname").exists());
        assert!(!world_readable(Path::new("/nonexistent/file")));
    }
}
