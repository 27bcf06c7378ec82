//! The Node preload's own tests (`preload/test/`, run with `node --test`): every form
//! of listen() mapped onto an inherited socket, other listens left alone, LISTEN_*
//! hidden, process.send('ready') without IPC, and shutdown_with_message.
//!
//! Skipped where node is not installed, except under `CI=true`.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn the_preload_passes_its_node_tests() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("preload/test");
    let output = match Command::new("node").arg("--test").arg(&tests).output() {
        Ok(output) => output,
        Err(error) => {
            common::skip::skip(&format!("Node.js cannot run here: {error}"));
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node --test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
    assert!(!stdout.contains("# pass 0\n"), "{stdout}");
}
