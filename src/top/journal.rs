//! The selected unit's journal, following: `journalctl -f` as a child process, its lines
//! read by a thread into a shared buffer. Changing the unit ends the child and starts
//! another; dropping the follower ends it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// Lines kept per unit.
const KEEP: usize = 200;

/// The running `journalctl`'s PID (0: none), for [`end_all`].
static CHILD: AtomicI32 = AtomicI32::new(0);

/// Ends the running `journalctl`, if any: for leaving without unwinding.
pub fn end_all() {
    let pid = CHILD.swap(0, Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: plain kill(2) on the child this process started.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

/// Follows one unit's journal at a time.
pub struct Follower {
    unit: Option<String>,
    child: Option<Child>,
    lines: Arc<Mutex<Vec<String>>>,
    changed: Arc<AtomicBool>,
    user: bool,
}

impl Follower {
    /// A follower of the system's journal, or the user's (`--user`).
    pub fn new(user: bool) -> Self {
        Self {
            unit: None,
            child: None,
            lines: Arc::default(),
            changed: Arc::default(),
            user,
        }
    }

    /// Follows `unit` (nothing when `None`); a no-op when it is already followed.
    pub fn follow(&mut self, unit: Option<&str>) {
        if self.unit.as_deref() == unit {
            return;
        }
        self.end();
        self.unit = unit.map(str::to_string);
        self.lines = Arc::new(Mutex::new(Vec::new()));
        self.changed.store(true, Ordering::Relaxed);
        let Some(unit) = unit else {
            return;
        };
        let mut command = Command::new("journalctl");
        if self.user {
            command.arg("--user");
        }
        // Every namespace: units with LogNamespace= log into their own.
        command
            .args([
                "--namespace=*",
                "--follow",
                "--lines=50",
                "--output=short",
                "--no-pager",
            ])
            .args(["--unit", unit])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let Ok(mut child) = command.spawn() else {
            self.push_line("(journalctl could not be started)".into());
            return;
        };
        if let Some(stdout) = child.stdout.take() {
            let (lines, changed) = (Arc::clone(&self.lines), Arc::clone(&self.changed));
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    push(&lines, line);
                    changed.store(true, Ordering::Relaxed);
                }
            });
        }
        CHILD.store(child.id() as i32, Ordering::Relaxed);
        self.child = Some(child);
    }

    /// The lines if they changed since the last call.
    pub fn take_changed(&self) -> Option<Vec<String>> {
        if !self.changed.swap(false, Ordering::Relaxed) {
            return None;
        }
        Some(self.lines.lock().map(|l| l.clone()).unwrap_or_default())
    }

    fn push_line(&self, line: String) {
        push(&self.lines, line);
        self.changed.store(true, Ordering::Relaxed);
    }

    fn end(&mut self) {
        if let Some(mut child) = self.child.take() {
            CHILD.store(0, Ordering::Relaxed);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.end();
    }
}

fn push(lines: &Mutex<Vec<String>>, line: String) {
    if let Ok(mut lines) = lines.lock() {
        lines.push(line);
        if lines.len() > KEEP {
            let excess = lines.len() - KEEP;
            lines.drain(..excess);
        }
    }
}
