//! `gen-units import` over the corpus in tests/corpus/: real-world-looking PM2 files in
//! JavaScript, JSON (with comments) and YAML. Each converts, the YAML reads back as the
//! same document, and the attributes that change meaning under systemd carry a note.

mod common;

use std::path::Path;
use std::time::Duration;

use ecosystemd::import::{Doc, Isolation, NodeOptions, import};

use common::corpus::*;

fn imported(name: &str) -> String {
    import(&corpus().join(name), &node())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .yaml
}

#[test]
fn every_corpus_file_converts_and_reads_back_the_same() {
    for file in corpus_files() {
        let imported = import(&file, &node()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // Read back with the reader gen-units itself uses.
        let tree = ecosystemd::ecosystem::syntax_tree(&imported.yaml, Path::new("imported.yaml"))
            .unwrap_or_else(|e| {
                panic!(
                    "{}: the YAML does not parse: {e}\n{}",
                    file.display(),
                    imported.yaml
                )
            });
        let back = Doc::from(&tree);
        assert_eq!(
            without_unrepresentable(&imported.doc),
            back,
            "{}: the YAML holds another document\n{}",
            file.display(),
            imported.yaml
        );
        assert!(
            imported.yaml.starts_with("# Converted from "),
            "{}",
            file.display()
        );
    }
}

/// The document as the YAML holds it: values JavaScript had and JSON has not are left out.
fn without_unrepresentable(doc: &Doc) -> Doc {
    match doc {
        Doc::Map(entries) => Doc::Map(
            entries
                .iter()
                .filter(|(_, value)| value.unrepresentable().is_none())
                .map(|(key, value)| (key.clone(), without_unrepresentable(value)))
                .collect(),
        ),
        Doc::Seq(items) => Doc::Seq(items.iter().map(without_unrepresentable).collect()),
        other => other.clone(),
    }
}

#[test]
fn yaml_corpus_notes_each_changed_attribute() {
    let yaml = imported("agents.yaml");
    assert!(
        yaml.contains("  # max_memory_restart: MemoryMax=: the kernel enforces"),
        "{yaml}"
    );
    assert!(
        yaml.contains("  # cron_restart: a .timer (OnCalendar=)"),
        "{yaml}"
    );
    assert!(
        yaml.contains("  # log_file: journald replaces log files"),
        "{yaml}"
    );
    assert!(
        yaml.contains("args: \"--batch 500 --index 'products v2'\""),
        "{yaml}"
    );
    assert!(yaml.contains("SCHEMA_VERSION: 1.10\n"), "{yaml}");
    // `name` means the same under systemd: no note.
    assert!(!yaml.contains("# name:"), "{yaml}");
}

#[test]
fn javascript_env_blocks_deploy_and_unset_variables() {
    if !common::skip::node_or_skip() {
        return;
    }
    let yaml = imported("express-fleet.config.js");
    for name in ["crm-sync", "invoice-mailer", "slack-bridge", "pdf-render"] {
        assert!(yaml.contains(&format!("    name: {name}\n")), "{yaml}");
    }
    let corpus = corpus();
    assert!(
        yaml.contains(&format!("cwd: {}/agents/crm-sync\n", corpus.display())),
        "{yaml}"
    );
    assert!(yaml.contains("PORT: 4101\n"), "{yaml}");
    assert!(
        yaml.contains("# SENTRY_DSN: was undefined when the file was evaluated"),
        "{yaml}"
    );
    assert!(
        !yaml
            .lines()
            .any(|line| line.trim_start().starts_with("SENTRY_DSN:")),
        "{yaml}"
    );
    assert!(
        yaml.contains("# env_production: applied over env by `gen-units --env production`"),
        "{yaml}"
    );
    assert!(
        yaml.contains("# deploy: pm2 deploy has no systemd counterpart"),
        "{yaml}"
    );
    assert!(yaml.contains("# max_restarts: StartLimitBurst="), "{yaml}");
    assert!(yaml.contains("# merge_logs: journald"), "{yaml}");
}

#[test]
fn javascript_cluster_jobs_watch_and_single_app() {
    if !common::skip::node_or_skip() {
        return;
    }
    let cluster = imported("cluster.config.js");
    assert!(cluster.contains("# instances: cluster mode"), "{cluster}");
    assert!(cluster.contains("# wait_ready: Type=notify"), "{cluster}");
    assert!(cluster.contains("instances: max\n"), "{cluster}");

    let jobs = imported("jobs.config.cjs");
    assert!(jobs.contains("# autorestart: Restart=no"), "{jobs}");
    assert!(jobs.contains("script: npm\n"), "{jobs}");
    assert!(
        jobs.contains(r#"args: "run report -- --since \"yesterday 00:00\"""#),
        "{jobs}"
    );
    assert!(jobs.contains("# cron: a .timer"), "{jobs}");
    assert!(
        jobs.contains("# exp_backoff_restart_delay: RestartSteps="),
        "{jobs}"
    );

    let watch = imported("watch.config.js");
    assert!(watch.contains("# watch: a .path unit"), "{watch}");
    assert!(
        watch.contains("# ignore_watch: .path units cannot exclude files"),
        "{watch}"
    );

    let solo = imported("single-app.config.js");
    assert!(
        solo.contains("# onReady: a JavaScript function has no YAML form: left out."),
        "{solo}"
    );
    assert!(solo.contains("# shutdown_with_message:"), "{solo}");
    assert!(solo.contains("name: solo\n"), "{solo}");
}

#[test]
fn javascript_runs_in_its_folder_without_network() {
    if !common::skip::node_or_skip() {
        return;
    }
    let file = corpus().join("isolation/network.config.js");
    let imported = import(&file, &node()).expect("imports");
    let env = imported.doc.get("apps").and_then(|apps| match apps {
        Doc::Seq(items) => items.first().and_then(|app| app.get("env")),
        _ => None,
    });
    let env = env.expect("env of the probe");
    assert_eq!(
        env.get("CWD").and_then(Doc::as_str),
        Some(corpus().join("isolation").to_string_lossy().as_ref())
    );
    let isolated = imported.warnings.is_empty();
    if isolated {
        assert_eq!(
            env.get("INTERFACES").and_then(Doc::as_str),
            Some(""),
            "{}",
            imported.yaml
        );
    } else {
        assert!(imported.warnings[0].message.contains("host's network"));
    }
    // As root (CI) a network namespace can always be had.
    if std::env::var_os("CI").is_some() {
        assert!(isolated, "no isolation under CI");
    }
    let _ = Isolation::None;
}

#[test]
fn javascript_errors_are_located() {
    if !common::skip::node_or_skip() {
        return;
    }
    let syntax = corpus().join("bad/syntax.config.js");
    let rejected = import(&syntax, &node()).expect_err("a syntax error");
    let diagnostic = &rejected.0[0];
    assert_eq!(diagnostic.location.map(|l| l.line), Some(3), "{diagnostic}");
    assert!(diagnostic.message.contains("SyntaxError"), "{diagnostic}");

    let throws = corpus().join("bad/throws.config.js");
    let rejected = import(&throws, &node()).expect_err("a thrown error");
    let diagnostic = &rejected.0[0];
    assert_eq!(diagnostic.location.map(|l| l.line), Some(3), "{diagnostic}");
    assert!(
        diagnostic
            .message
            .contains("ECOSYSTEMD_CORPUS_REQUIRED must be set"),
        "{diagnostic}"
    );
}

#[test]
fn javascript_that_never_finishes_is_stopped() {
    if !common::skip::node_or_skip() {
        return;
    }
    let options = NodeOptions {
        program: "node".to_owned(),
        timeout: Duration::from_millis(1500),
    };
    let started = std::time::Instant::now();
    let rejected = import(&corpus().join("bad/loops.config.js"), &options).expect_err("a time-out");
    assert!(
        rejected.0[0].message.contains("took longer than 1.5 s"),
        "{}",
        rejected
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn missing_node_is_a_clear_error() {
    let options = NodeOptions {
        program: "/nonexistent/node".to_owned(),
        timeout: Duration::from_secs(5),
    };
    let rejected = import(&corpus().join("cluster.config.js"), &options).expect_err("no node");
    let text = rejected.to_string();
    assert!(text.contains("was not found"), "{text}");
    assert!(text.contains("apt install nodejs"), "{text}");
}

#[test]
fn unknown_extensions_are_refused() {
    let rejected = import(Path::new("ecosystem.toml"), &node()).expect_err("refused");
    assert!(rejected.to_string().contains("cannot tell the format"));
}
