//! The `gen-units` binary: exit statuses, what goes to stdout and stderr, and that bad
//! input writes nothing.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ecosystemd::bundle::{Bundle, FileKind};

fn gen_units(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen-units"))
        .args(args)
        .output()
        .expect("gen-units runs")
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/agents/ecosystem.yaml")
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn renders_the_example_as_a_bundle_on_stdout() {
    let output = gen_units(&["--systemd-version", "252", &example()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let bundle = Bundle::parse(&String::from_utf8(output.stdout).unwrap()).unwrap();
    assert_eq!(bundle.ecosystem, "agents");
    assert!(
        bundle
            .files
            .iter()
            .any(|f| f.name == "agents-email.service")
    );
    assert!(stderr.contains("74 agents (76 processes)"), "{stderr}");
}

#[test]
fn check_writes_nothing_and_says_ok() {
    let output = gen_units(&["check", "--systemd-version", "252", &example()]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(": ok: 74 apps"), "{stdout}");
    assert!(!stdout.contains("#--- "), "{stdout}");
}

#[test]
fn bad_input_exits_2_with_a_located_message_and_writes_nothing() {
    let dir = scratch("bad-input");
    let input = dir.join("ecosystem.yaml");
    fs::write(
        &input,
        "apps:\n  - name: a\n    script: /bin/true\n    max_memory_restart: 100Q\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let input = input.display().to_string();
    for args in [
        vec![input.as_str()],
        vec!["check", input.as_str()],
        vec!["--output-dir", out_dir.to_str().unwrap(), input.as_str()],
    ] {
        let output = gen_units(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains("ecosystem.yaml:4:25: error"), "{stderr}");
        assert!(stderr.contains("max_memory_restart"), "{stderr}");
    }
    assert!(!out_dir.exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_pm2_runs_renders_with_a_warning_and_strict_refuses_it() {
    let dir = scratch("lenient");
    let input = dir.join("ecosystem.yaml");
    fs::write(
        &input,
        "apps:\n  - name: a\n    script: /bin/true\n    max_memmory_restart: 100M\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let input = input.display().to_string();
    let output = gen_units(&[input.as_str()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!output.stdout.is_empty());
    assert!(stderr.contains("ecosystem.yaml:4:5: warning: unknown field `max_memmory_restart` in app: PM2 ignores it, and so does gen-units (app a)"), "{stderr}");
    assert!(
        stderr.contains("did you mean `max_memory_restart`?"),
        "{stderr}"
    );
    for args in [
        vec!["--strict", input.as_str()],
        vec!["check", "--strict", input.as_str()],
        vec![
            "--strict",
            "--output-dir",
            out_dir.to_str().unwrap(),
            input.as_str(),
        ],
    ] {
        let output = gen_units(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            stderr.contains("ecosystem.yaml:4:5: error: unknown field"),
            "{stderr}"
        );
    }
    assert!(!out_dir.exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn strict_turns_warnings_into_exit_2() {
    let dir = scratch("strict");
    let input = dir.join("ecosystem.yaml");
    fs::write(
        &input,
        "apps:\n  - name: a\n    script: ./missing.js\n    interpreter: /usr/bin/node\n",
    )
    .unwrap();
    let missing = dir.join("missing.js").display().to_string();
    let input = input.display().to_string();
    // A script found nowhere fails the check, naming where it was looked for.
    let output = gen_units(&["check", &input]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "script `./missing.js` not found: looked for {missing}"
        )),
        "{stderr}"
    );
    // Rendered for another host nothing is checked: a warning, which --strict refuses.
    assert_eq!(
        gen_units(&["check", "--portable", &input]).status.code(),
        Some(0)
    );
    let output = gen_units(&["check", "--portable", "--strict", &input]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("error: --portable"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn output_dir_gets_the_files_with_their_modes() {
    let dir = scratch("output-dir");
    let output = gen_units(&[
        "--systemd-version",
        "252",
        "--output-dir",
        dir.to_str().unwrap(),
        &example(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    let env = dir.join(FileKind::Env.as_str()).join("agents-email.env");
    assert_eq!(
        fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let unit = fs::read_to_string(dir.join("unit/agents-email.service")).unwrap();
    assert!(unit.starts_with("# Generated by ecosystemd"));
    assert!(dir.join("journald/journald@agents.conf").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn user_flag_renders_a_user_bundle() {
    let output = gen_units(&["--user", "--systemd-version", "252", &example()]);
    assert_eq!(output.status.code(), Some(0));
    let bundle = Bundle::parse(&String::from_utf8(output.stdout).unwrap()).unwrap();
    assert_eq!(bundle.scope, ecosystemd::bundle::Scope::User);
    assert!(bundle.files.iter().all(|f| f.kind != FileKind::Journald));
}
