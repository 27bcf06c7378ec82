//! Real-world ecosystem files, messy ones included: each is read from
//! `tests/inputs/` and must be accepted as PM2 would, or refused clearly.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ecosystemd::diagnostic::Rejected;
use ecosystemd::ecosystem::{self, Ecosystem, ExecMode, Instances, LoadOptions, Output};

fn input(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inputs")
        .join(name)
}

fn options() -> LoadOptions {
    LoadOptions {
        // An empty search path: program names stay as written, whatever the host has.
        search_path: Some("".into()),
        ..LoadOptions::default()
    }
}

fn load(name: &str) -> Ecosystem {
    match ecosystem::load(&input(name), &options()) {
        Ok(ecosystem) => ecosystem,
        Err(rejected) => panic!("{name} refused:\n{rejected}"),
    }
}

fn load_with_env(name: &str, env: &str) -> Ecosystem {
    let options = LoadOptions {
        env: Some(env.to_owned()),
        ..options()
    };
    ecosystem::load(&input(name), &options).unwrap_or_else(|rejected| panic!("{rejected}"))
}

fn refuse(name: &str) -> Rejected {
    match ecosystem::load(&input(name), &options()) {
        Ok(_) => panic!("{name} accepted"),
        Err(rejected) => rejected,
    }
}

#[test]
fn basic_yaml() {
    let ecosystem = load("basic.yaml");
    assert_eq!(ecosystem.settings.group, "basic");
    assert_eq!(ecosystem.settings.prefix, "basic-");
    let api = &ecosystem.apps[0];
    assert_eq!(api.name, "api");
    assert_eq!(api.location.line, 3);
    let dir = input("");
    assert_eq!(api.cwd, dir.join("api"));
    assert_eq!(api.command.program, "node");
    assert_eq!(
        api.command.args,
        [dir.join("api/server.js").to_string_lossy()]
    );
    assert_eq!(api.instances, Instances::Fixed(2));
    assert_eq!(api.exec_mode, ExecMode::Cluster);
    assert_eq!(api.max_memory, Some(300 << 20));
    assert_eq!(api.restart.max_restarts, 10);
    assert_eq!(api.restart.min_uptime, Duration::from_secs(5));
    assert_eq!(api.restart.delay, Some(Duration::from_millis(2000)));
    assert_eq!(api.kill_timeout, Duration::from_millis(3000));
    assert_eq!(api.env["NODE_ENV"], "development");
    assert_eq!(api.port, Some(3000));

    let worker = &ecosystem.apps[1];
    assert_eq!(worker.command.program, "python3");
    assert_eq!(
        worker.command.args[1..],
        ["--queue", "high priority", "--verbose"]
    );
    assert_eq!(worker.stdout, Output::Null);
    assert_eq!(worker.stderr, Output::Journal);
    assert!(!worker.restart.autorestart);
    assert_eq!(
        worker.cron_restart.as_ref().map(|c| c.0.as_str()),
        Some("0 3 * * *")
    );
    assert_eq!(worker.env["PYTHONUNBUFFERED"], "1");

    let warned: Vec<&str> = ecosystem
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    for attribute in ["error_file", "out_file", "merge_logs", "log_date_format"] {
        assert_eq!(
            warned
                .iter()
                .filter(|m| m.contains(&format!("`{attribute}`")))
                .count(),
            1,
            "{attribute}: {warned:#?}"
        );
    }
}

#[test]
fn env_selects_the_named_block() {
    let ecosystem = load_with_env("basic.yaml", "production");
    assert_eq!(ecosystem.apps[0].env["NODE_ENV"], "production");
    assert_eq!(ecosystem.apps[0].env["PORT"], "3000");
}

#[test]
fn unknown_env_name_warns_for_apps_with_blocks() {
    let ecosystem = load_with_env("basic.yaml", "staging");
    let warnings: Vec<_> = ecosystem
        .warnings
        .iter()
        .filter(|w| w.message.contains("env_staging"))
        .collect();
    assert_eq!(warnings.len(), 1, "only api has env_* blocks");
    assert_eq!(warnings[0].location.map(|l| l.line), Some(3));
}

#[test]
fn misspelled_keys_are_refused_with_what_was_meant() {
    let rejected = refuse("misspelled-keys.yaml");
    let text = rejected.to_string();
    assert_eq!(rejected.0.len(), 2, "{text}");
    assert!(
        text.contains("misspelled-keys.yaml:4:5: error: unknown field `Exec_mode`"),
        "{text}"
    );
    assert!(text.contains("hint: did you mean `exec_mode`?"), "{text}");
    assert!(
        text.contains(":5:5: error: unknown field `max_memmory_restart`"),
        "{text}"
    );
    assert!(
        text.contains("hint: did you mean `max_memory_restart`?"),
        "{text}"
    );
}

#[test]
fn duplicate_names_are_refused_naming_both() {
    let rejected = refuse("duplicate-names.yaml");
    assert_eq!(rejected.0.len(), 1);
    let error = &rejected.0[0];
    assert_eq!(error.location.map(|l| (l.line, l.column)), Some((6, 11)));
    assert!(
        error
            .message
            .contains("duplicate app name `web` (first at line 2, column 11)"),
        "{}",
        error.message
    );
}
