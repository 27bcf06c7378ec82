//! No input makes the parser panic: arbitrary text, and arbitrary YAML- and
//! JSON-shaped documents built from the schema's own keys, each come back as
//! `Ok` or as errors, and every error and warning names its line and column.

use std::path::Path;

use ecosystemd::ecosystem::{self, LoadOptions};
use proptest::prelude::*;

fn check(text: &str, file: &str) {
    let options = LoadOptions {
        env: Some("production".to_owned()),
        ..LoadOptions::default()
    };
    match ecosystem::parse_with_search_path(text, Path::new(file), &options, "".as_ref()) {
        Ok(ecosystem) => {
            for warning in &ecosystem.warnings {
                assert!(!warning.is_error());
                assert!(
                    warning.location.is_some_and(|l| l.line >= 1),
                    "not located: {warning}"
                );
            }
        }
        Err(rejected) => {
            assert!(!rejected.0.is_empty(), "a refusal names at least one error");
            for diagnostic in &rejected.0 {
                assert!(diagnostic.is_error());
                let located = diagnostic
                    .location
                    .is_some_and(|l| l.line >= 1 && l.column >= 1);
                assert!(located, "not located: {diagnostic}\n--- input:\n{text}");
            }
        }
    }
}

/// Keys worth generating: the schema's, near misses, and junk.
const KEYS: &[&str] = &[
    "apps",
    "name",
    "script",
    "cwd",
    "args",
    "interpreter",
    "node_args",
    "instances",
    "exec_mode",
    "watch",
    "ignore_watch",
    "max_memory_restart",
    "env",
    "env_production",
    "autorestart",
    "max_restarts",
    "min_uptime",
    "restart_delay",
    "exp_backoff_restart_delay",
    "stop_exit_codes",
    "kill_timeout",
    "cron_restart",
    "port",
    "out_file",
    "error_file",
    "systemd",
    "watchdog",
    "directives",
    "depends_on",
    "logs",
    "group",
    "prefix",
    "hardening",
    "memory_budget",
    "crash_loop",
    "memory_warn",
    "cpu_quota",
    "nice",
    "PORT",
    "Exec_mode",
    "x y",
    "",
];

/// Scalars worth generating: sizes, durations, numbers, odd strings.
const SCALARS: &[&str] = &[
    "0",
    "-1",
    "1",
    "max",
    "100M",
    "1.5G",
    "60s",
    "500ms",
    "true",
    "no",
    "null",
    "~",
    "none",
    "cluster",
    "fork_mode",
    "npm run start",
    "'a b' \"c",
    "/dev/null",
    "50%",
    "strict",
    "Service.LimitNOFILE=1",
    "99999999999999999999999",
    "-0x10",
    "1e400",
    ".inf",
    "é/ü %i $X",
];

#[derive(Debug, Clone)]
enum Doc {
    Scalar(String),
    List(Vec<Doc>),
    Map(Vec<(String, Doc)>),
}

fn doc() -> impl Strategy<Value = Doc> {
    let leaf = prop_oneof![
        prop::sample::select(SCALARS).prop_map(|s| Doc::Scalar(s.to_owned())),
        any::<i64>().prop_map(|i| Doc::Scalar(i.to_string())),
        "[ -~]{0,12}".prop_map(Doc::Scalar),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Doc::List),
            prop::collection::vec(
                (prop::sample::select(KEYS).prop_map(str::to_owned), inner),
                0..6
            )
            .prop_map(Doc::Map),
        ]
    })
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The document as JSON (every scalar quoted or bare, as the generator chose).
fn to_json(doc: &Doc, bare: bool) -> String {
    match doc {
        Doc::Scalar(s) if bare && s.parse::<f64>().is_ok() => s.clone(),
        Doc::Scalar(s) => quote(s),
        Doc::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|d| to_json(d, bare))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Doc::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(k), to_json(v, bare)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The document as block YAML with plain scalars where possible.
fn to_yaml(doc: &Doc, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match doc {
        Doc::Scalar(s) => {
            out.push_str(&quote(s));
            out.push('\n');
        }
        Doc::List(items) if items.is_empty() => out.push_str("[]\n"),
        Doc::Map(entries) if entries.is_empty() => out.push_str("{}\n"),
        Doc::List(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&format!("{pad}- "));
                to_yaml(item, indent + 2, out);
            }
        }
        Doc::Map(entries) => {
            out.push('\n');
            for (key, value) in entries {
                out.push_str(&format!("{pad}{}: ", quote(key)));
                to_yaml(value, indent + 2, out);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check(&text, "e.yaml");
        check(&text, "e.json");
        check(&text, "ecosystem");
    }

    #[test]
    fn arbitrary_bytes_of_json_and_yaml_syntax_never_panic(text in "[\\[\\]{}:,'\"/*\\-# a-z0-9\\n\\\\]{0,120}") {
        check(&text, "e.yaml");
        check(&text, "e.json5");
    }

    #[test]
    fn schema_shaped_documents_never_panic(doc in doc(), bare in any::<bool>()) {
        check(&to_json(&doc, bare), "e.json");
        let mut yaml = String::new();
        to_yaml(&doc, 0, &mut yaml);
        check(&yaml, "e.yml");
    }

    #[test]
    fn app_shaped_documents_never_panic(
        entries in prop::collection::vec(
            (prop::sample::select(KEYS).prop_map(str::to_owned), doc()),
            0..12
        )
    ) {
        let app = Doc::Map(entries);
        let doc = Doc::Map(vec![("apps".to_owned(), Doc::List(vec![app]))]);
        check(&to_json(&doc, true), "e.json");
        let mut yaml = String::new();
        to_yaml(&doc, 0, &mut yaml);
        check(&yaml, "e.yaml");
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for depth in [60, 70, 200, 100_000] {
        check(
            &format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            "e.json",
        );
        check(
            &format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            "e.yaml",
        );
        check(&format!("a: {}", "{a: ".repeat(depth)), "e.yaml");
    }
}
