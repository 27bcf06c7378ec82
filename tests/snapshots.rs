//! Snapshot tests in the manner of podman's quadlet tests: each input in
//! `tests/snapshots/*.yaml` is an ecosystem file whose `## ` comment lines state
//! options and what the rendered bundle must (or must not) contain.
//!
//! ```text
//! ## option systemd-version 254        render for systemd 254 (default 252)
//! ## option user | strict | env NAME    --user, --strict, --env NAME
//! ## assert-file KIND NAME [MODE]      the bundle holds this file (unit, env, journald)
//! ## assert-no-file NAME               ... and not this one
//! ## assert-key FILE SECTION KEY=VALUE the last KEY= of SECTION is exactly VALUE
//! ## assert-has FILE SECTION KEY=VALUE one of the KEY= lines is exactly VALUE
//! ## assert-no-key FILE SECTION KEY    SECTION has no KEY=
//! ## assert-line FILE TEXT             FILE has this exact line
//! ## assert-warning TEXT               a warning contains TEXT
//! ## assert-error TEXT                 rendering is refused, an error contains TEXT
//! ```
//!
//! `$DIR` in an assertion stands for the snapshot folder's absolute path; a value of
//! `assert-key` and `assert-has` is compared as systemd reads it, without the double
//! quotes a unit file puts around one word with a space (a checkout in such a folder).

use std::fs;
use std::path::{Path, PathBuf};

use ecosystemd::bundle::{Bundle, Scope};
use ecosystemd::ecosystem::{self, LoadOptions};
use ecosystemd::plan::PlanOptions;
use ecosystemd::render::{RenderOptions, Rendered, render_bundle};
use ecosystemd::unit_file::UnitFile;

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// The values of `key` in `section` of a rendered unit file, in order.
fn values(contents: &str, section: &str, key: &str) -> Vec<String> {
    UnitFile::parse(contents)
        .all(section, key)
        .map(str::to_owned)
        .collect()
}

/// Whether a value as written (`got`) is `expected`, as written or as systemd reads one
/// quoted word without quotes or backslashes inside.
fn same_value(got: &str, expected: &str) -> bool {
    got == expected
        || got
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .is_some_and(|inner| !inner.contains(['"', '\\']) && inner == expected)
}

fn words(rest: &str, n: usize) -> (Vec<&str>, &str) {
    let mut parts = Vec::new();
    let mut rest = rest.trim_start();
    for _ in 0..n {
        let end = rest.find(' ').unwrap_or(rest.len());
        parts.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    (parts, rest)
}

fn run(path: &Path) -> Result<usize, String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let dir = snapshot_dir().display().to_string();
    let mut plan = PlanOptions {
        systemd_version: 252,
        scope: Scope::System,
        cpus: 4,
        host_memory: Some(16 << 30),
        preload: true,
    };
    let mut strict = false;
    let mut env = None;
    let mut asserts = Vec::new();
    for line in text.lines() {
        let Some(directive) = line.strip_prefix("## ") else {
            continue;
        };
        let directive = directive.replace("$DIR", &dir);
        let (head, rest) = words(&directive, 1);
        match (head[0], rest) {
            ("option", "user") => plan.scope = Scope::User,
            ("option", "strict") => strict = true,
            ("option", rest) if rest.starts_with("systemd-version ") => {
                plan.systemd_version = rest[16..].trim().parse().map_err(|_| "bad version")?
            }
            ("option", rest) if rest.starts_with("env ") => env = Some(rest[4..].to_string()),
            ("option", other) => return Err(format!("unknown option {other:?}")),
            _ => asserts.push(directive),
        }
    }
    let ecosystem = ecosystem::parse(
        &text,
        path,
        &LoadOptions {
            env,
            ..LoadOptions::default()
        },
    );
    let options = RenderOptions {
        plan,
        strict,
        ..RenderOptions::default()
    };
    let result: Result<Rendered, String> = ecosystem
        .and_then(|e| render_bundle(&e, &options))
        .map_err(|rejected| rejected.to_string());
    let file = |bundle: &Bundle, name: &str| -> Result<String, String> {
        bundle
            .files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.clone())
            .ok_or_else(|| {
                let names: Vec<&str> = bundle.files.iter().map(|f| f.name.as_str()).collect();
                format!("no file {name}; the bundle holds {names:?}")
            })
    };
    for assertion in &asserts {
        let fail = |why: String| format!("`## {assertion}`: {why}");
        let (head, rest) = words(assertion, 1);
        let kind = head[0];
        if kind == "assert-error" {
            match &result {
                Err(errors) if errors.contains(rest) => continue,
                Err(errors) => return Err(fail(format!("errors were:\n{errors}"))),
                Ok(_) => return Err(fail("rendering succeeded".into())),
            }
        }
        let rendered = match &result {
            Ok(rendered) => rendered,
            Err(errors) => return Err(fail(format!("rendering was refused:\n{errors}"))),
        };
        let bundle = &rendered.bundle;
        match kind {
            "assert-warning" => {
                if !rendered
                    .warnings
                    .iter()
                    .any(|w| w.to_string().contains(rest))
                {
                    let all: Vec<String> =
                        rendered.warnings.iter().map(|w| w.to_string()).collect();
                    return Err(fail(format!("warnings were:\n{}", all.join("\n"))));
                }
            }
            "assert-file" => {
                let (parts, mode) = words(rest, 2);
                let found = bundle
                    .files
                    .iter()
                    .find(|f| f.kind.as_str() == parts[0] && f.name == parts[1]);
                match found {
                    None => return Err(fail(file(bundle, parts[1]).err().unwrap_or_default())),
                    Some(f) if !mode.is_empty() && format!("{:04o}", f.mode) != mode => {
                        return Err(fail(format!("mode is {:04o}", f.mode)));
                    }
                    Some(_) => {}
                }
            }
            "assert-no-file" => {
                if bundle.files.iter().any(|f| f.name == rest) {
                    return Err(fail("the file is there".into()));
                }
            }
            "assert-key" | "assert-has" | "assert-no-key" => {
                let (parts, expected) = words(rest, 2);
                let contents = file(bundle, parts[0]).map_err(&fail)?;
                let (key, value) = match kind {
                    "assert-no-key" => (expected, ""),
                    _ => expected.split_once('=').ok_or("expected KEY=VALUE")?,
                };
                let got = values(&contents, parts[1], key);
                let ok = match kind {
                    "assert-key" => got.last().is_some_and(|v| same_value(v, value)),
                    "assert-has" => got.iter().any(|v| same_value(v, value)),
                    _ => got.is_empty(),
                };
                if !ok {
                    return Err(fail(format!("{key}= values are {got:?} in:\n{contents}")));
                }
            }
            "assert-line" => {
                let (parts, line) = words(rest, 1);
                let contents = file(bundle, parts[0]).map_err(&fail)?;
                if !contents.lines().any(|l| l == line) {
                    return Err(fail(format!("no such line in:\n{contents}")));
                }
            }
            other => return Err(fail(format!("unknown assertion {other}"))),
        }
    }
    Ok(asserts.len())
}

#[test]
fn snapshots() {
    let mut inputs: Vec<PathBuf> = fs::read_dir(snapshot_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 10, "only {} snapshot inputs", inputs.len());
    let mut failures = Vec::new();
    for input in &inputs {
        match run(input) {
            Ok(0) => failures.push(format!("{}: no assertions", input.display())),
            Ok(_) => {}
            Err(why) => failures.push(format!("{}: {why}", input.display())),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
