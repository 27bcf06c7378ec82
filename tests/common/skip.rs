//! Tests that cannot run here (not root, no Node.js, a sandbox that cannot boot) say
//! so instead of passing silently.
//!
//! libtest has no skipped outcome: a skipping test returns early and libtest counts it
//! as passed. So [`skip`] also appends a line `CRATE::TEST<TAB>REASON` to the file named
//! by `ECOSYSTEMD_SKIP_LOG`, which `tests/run.sh` (the README's test command) sets,
//! lists at the end of the run and subtracts from the passed count. Under `CI=true` a
//! skip is a failure: [`skip`] panics.

#![allow(dead_code)] // each test crate uses a different part of the helpers

use std::io::Write as _;

/// The variable naming the file that collects skips.
pub const LOG_VARIABLE: &str = "ECOSYSTEMD_SKIP_LOG";

/// Whether this run is CI's (`CI=true`), where nothing may skip.
pub fn on_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Records that the running test cannot run here, and why; the caller then returns.
/// Panics under `CI=true`.
pub fn skip(reason: &str) {
    let thread = std::thread::current();
    let name = format!(
        "{}::{}",
        env!("CARGO_CRATE_NAME"),
        thread.name().unwrap_or("<unnamed test>")
    );
    assert!(!on_ci(), "CI=true and {name} cannot run: {reason}");
    eprintln!("skipped: {name}: {reason}");
    let Some(path) = std::env::var_os(LOG_VARIABLE) else {
        return;
    };
    let line = format!("{name}\t{}\n", reason.replace(['\n', '\t'], " "));
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = written {
        panic!("{name} skips ({reason}) but cannot say so in {path:?}: {error}");
    }
}

/// Whether a `node` runs here; if not, the test is skipped (see [`skip`]).
pub fn node_or_skip() -> bool {
    let ran = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| e.to_string())
        .and_then(|o| {
            o.status
                .success()
                .then_some(())
                .ok_or_else(|| format!("node --version: {}", o.status))
        });
    match ran {
        Ok(()) => true,
        Err(why) => {
            skip(&format!("Node.js cannot run here: {why}"));
            false
        }
    }
}

/// Whether `tmux` runs here; if not, the test is skipped (see [`skip`]).
pub fn tmux_or_skip() -> bool {
    let ran = std::process::Command::new("tmux").arg("-V").output();
    match ran {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            skip(&format!("tmux cannot run here: tmux -V: {}", out.status));
            false
        }
        Err(error) => {
            skip(&format!("tmux cannot run here: {error}"));
            false
        }
    }
}

/// Whether this test process is root; if not, the test is skipped with `needs` as the
/// reason (see [`skip`]).
pub fn root_or_skip(needs: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        skip(&format!("needs root: {needs}"));
    }
    root
}
