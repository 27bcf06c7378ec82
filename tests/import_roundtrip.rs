//! Importing changes nothing gen-units reads: for every file of tests/corpus/, the
//! ecosystem read from the imported YAML has the same apps as the one read from the
//! original (for JavaScript, from the JSON of its `module.exports`).

mod common;

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use ecosystemd::diagnostic::Location;
use ecosystemd::ecosystem::{self, App, Ecosystem, LoadOptions};
use ecosystemd::import::{Format, import};

use common::corpus::*;

/// A `PATH` holding every program the corpus names, so that program lookup gives the
/// same answers on any host.
fn search_path() -> OsString {
    stub_programs(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-roundtrip"))
}

/// The ecosystem in `text`, read as if it were the file `path`.
fn read(text: &str, path: &Path, env: Option<&str>) -> Result<Ecosystem, String> {
    let options = LoadOptions {
        env: env.map(str::to_owned),
        ..LoadOptions::default()
    };
    ecosystem::parse_with_search_path(text, path, &options, &search_path()).map_err(|rejected| {
        rejected
            .0
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The original file's ecosystem: JSON and YAML as they are, JavaScript through the
/// JSON of `module.exports` that Node.js prints.
fn original(file: &Path, env: Option<&str>) -> Result<Ecosystem, String> {
    if Format::of(file) == Some(Format::JavaScript) {
        let output = Command::new("node")
            .arg("-p")
            .arg("JSON.stringify(require(process.argv[1]))")
            .arg(file)
            .output()
            .expect("node runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json = String::from_utf8(output.stdout).expect("utf-8");
        read(&json, &file.with_extension("json"), env)
    } else {
        let text = std::fs::read_to_string(file).expect("read");
        read(&text, file, env)
    }
}

/// The apps without where they were written: the YAML has other line numbers.
fn unlocated(apps: &[App]) -> Vec<App> {
    apps.iter()
        .cloned()
        .map(|mut app| {
            app.location = Location::default();
            if let Some((_, at)) = &mut app.cron_restart {
                *at = Location::default();
            }
            for directive in &mut app.systemd.raw {
                directive.location = Location::default();
            }
            app
        })
        .collect()
}

#[test]
fn imported_yaml_reads_as_the_same_apps() {
    let files = corpus_files();
    let node = node();
    let mut compared = 0;
    for file in &files {
        let imported = import(file, &node).unwrap_or_else(|e| panic!("{e}"));
        let yaml_path = file.with_extension("imported.yaml");
        for env in [None, Some("production")] {
            let expected = original(file, env);
            let actual = read(&imported.yaml, &yaml_path, env);
            let expected = expected.unwrap_or_else(|e| panic!("{}: refused: {e}", file.display()));
            let actual =
                actual.unwrap_or_else(|e| panic!("{}: import refused: {e}", file.display()));
            assert_eq!(
                unlocated(&expected.apps),
                unlocated(&actual.apps),
                "{} (--env {env:?})",
                file.display()
            );
            assert_eq!(
                expected.settings.memory_budget,
                actual.settings.memory_budget
            );
            assert_eq!(expected.settings.logs, actual.settings.logs);
            compared += 1;
        }
    }
    assert_eq!(compared, 2 * files.len());
}
