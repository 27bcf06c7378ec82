//! `gen-units import` as a user runs it: exit statuses, standard output or `-o FILE`,
//! and nothing written when the input is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::skip::{node_or_skip, root_or_skip};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

fn gen_units(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen-units"))
        .args(args)
        .output()
        .expect("gen-units runs")
}

/// A fresh folder under the target dir's temporary space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("import-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn yaml_goes_to_stdout() {
    let output = gen_units(&["import", corpus("agents.yaml").to_str().expect("utf-8")]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let yaml = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        yaml.starts_with("# Converted from agents.yaml by gen-units import."),
        "{yaml}"
    );
    assert!(yaml.contains("name: search-indexer"), "{yaml}");
}

#[test]
fn output_file_is_written_whole() {
    let dir = scratch("output");
    let out = dir.join("ecosystem.yaml");
    let output = gen_units(&[
        "import",
        corpus("bare-list.json").to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    let yaml = std::fs::read_to_string(&out).expect("written");
    assert!(yaml.contains("- name: mailer"), "{yaml}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: written to another folder than the original"),
        "{stderr}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn missing_node_exits_2_with_a_hint_and_writes_nothing() {
    let dir = scratch("no-node");
    let out = dir.join("ecosystem.yaml");
    let output = gen_units(&[
        "import",
        corpus("cluster.config.js").to_str().expect("utf-8"),
        "--node",
        "/nonexistent/node",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cluster.config.js: error: `/nonexistent/node` (Node.js) was not found"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install Node.js"), "{stderr}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn bad_javascript_exits_2_with_its_location() {
    if !node_or_skip() {
        return;
    }
    let output = gen_units(&[
        "import",
        corpus("bad/syntax.config.js").to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("syntax.config.js:3: error: evaluating with Node.js failed: SyntaxError"),
        "{stderr}"
    );
}

#[test]
fn refuses_to_overwrite_its_input() {
    let dir = scratch("same");
    let file = dir.join("ecosystem.yaml");
    std::fs::write(&file, "apps: []\n").expect("write");
    let path = file.to_str().expect("utf-8");
    let output = gen_units(&["import", path, "-o", path]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "apps: []\n");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn an_unprivileged_import_is_still_cut_off_from_the_network() {
    // Without root there is no `unshare --net`: the import falls back to a user namespace
    // with a network namespace of its own. Checked as `nobody`, as root drops to it.
    if !root_or_skip("only root can drop to another user") || !node_or_skip() {
        return;
    }
    // `nobody` may not reach the checkout (under a 0700 /root, say): it gets copies of
    // the binary and the probe in a folder anyone may enter.
    let copies = ReadableCopies::of(&[
        Path::new(env!("CARGO_BIN_EXE_gen-units")),
        &corpus("isolation/network.config.js"),
    ]);
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(copies.path("gen-units"))
        .arg("import")
        .arg(copies.path("network.config.js"))
        .output()
        .expect("setpriv runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("host's network"),
        "no isolation for an unprivileged import: {stderr}"
    );
    assert!(stdout.contains("INTERFACES: \"\"\n"), "{stdout}");
}

/// Copies of files in a fresh folder of the system's temporary space that any user
/// may enter and read (executables stay executable); removed on drop.
struct ReadableCopies(PathBuf);

impl ReadableCopies {
    fn of(files: &[&Path]) -> Self {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("ecosystemd-readable-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("folder for copies");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for file in files {
            let copy = dir.join(file.file_name().expect("a file name"));
            std::fs::copy(file, &copy).expect("copy");
            let mode = std::fs::metadata(file)
                .expect("metadata")
                .permissions()
                .mode();
            let readable = std::fs::Permissions::from_mode(0o644 | (mode & 0o111));
            std::fs::set_permissions(&copy, readable).expect("chmod");
        }
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for ReadableCopies {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the hostile fixture reported, from the imported YAML's env lines.
fn reported(yaml: &str, key: &str) -> String {
    yaml.lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{key}: ")))
        .map(|value| value.trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("{key} not reported:\n{yaml}"))
}

#[test]
fn an_import_that_writes_connects_and_spawns_is_contained() {
    if !root_or_skip("only root can drop to another user") || !node_or_skip() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    listener.set_nonblocking(true).expect("non-blocking");
    let address = listener.local_addr().expect("address").to_string();
    // A project of a normal user (nobody) that anyone may enter, and one only root may.
    let shared = std::env::temp_dir().join(format!("ecosystemd-hostile-{}", std::process::id()));
    let private = scratch("hostile-root");
    for (dir, owner, mode) in [(&shared, 65534, 0o755), (&private, 0, 0o700)] {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("project folder");
        let file = dir.join("hostile.config.js");
        std::fs::copy(corpus("isolation/hostile.config.js"), &file).expect("copy");
        std::os::unix::fs::chown(dir, Some(owner), Some(owner)).expect("chown");
        std::os::unix::fs::chown(&file, Some(owner), Some(owner)).expect("chown");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let output = Command::new(env!("CARGO_BIN_EXE_gen-units"))
            .args(["import", &file.display().to_string()])
            .env("PROBE_ADDRESS", &address)
            .output()
            .expect("gen-units runs");
        let yaml = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        for key in ["WRITE_ETC", "WRITE_OWN_FOLDER"] {
            assert_eq!(reported(&yaml, key), "EROFS", "{}: {key}", dir.display());
        }
        assert_ne!(reported(&yaml, "CONNECT"), "connected");
        assert!(
            listener.accept().is_err(),
            "the file reached the host's network"
        );
        if owner != 0 {
            // A process limit of its own: a loop of 300 gets refused early.
            assert_ne!(reported(&yaml, "SPAWN_REFUSED"), "", "{yaml}");
            assert!(reported(&yaml, "SPAWNED").parse::<u32>().unwrap() < 300);
        }
        // Nothing written anywhere, nothing left running.
        let entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        assert_eq!(entries.len(), 1, "{}: {entries:?}", dir.display());
        assert!(!Path::new("/etc/ecosystemd-import-probe").exists());
        let left = Command::new("pgrep")
            .args(["-f", "sleep 31.7"])
            .output()
            .unwrap();
        assert!(left.stdout.is_empty(), "processes left running");
        std::fs::remove_dir_all(dir).expect("cleanup");
    }
    assert!(!Path::new("/tmp/ecosystemd-import-scratch").exists());
}
