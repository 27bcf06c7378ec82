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

/// An empty search path: program names stay as written, whatever the host has.
const NO_PATH: &str = "";

fn load_with(name: &str, options: &LoadOptions) -> Result<Ecosystem, Rejected> {
    ecosystem::load_with_search_path(&input(name), options, NO_PATH.as_ref())
}

fn load(name: &str) -> Ecosystem {
    match load_with(name, &LoadOptions::default()) {
        Ok(ecosystem) => ecosystem,
        Err(rejected) => panic!("{name} refused:\n{rejected}"),
    }
}

fn load_with_env(name: &str, env: &str) -> Ecosystem {
    let options = LoadOptions {
        env: Some(env.to_owned()),
    };
    load_with(name, &options).unwrap_or_else(|rejected| panic!("{rejected}"))
}

fn refuse(name: &str) -> Rejected {
    match load_with(name, &LoadOptions::default()) {
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

fn app<'a>(ecosystem: &'a Ecosystem, name: &str) -> &'a ecosystemd::ecosystem::App {
    ecosystem
        .apps
        .iter()
        .find(|app| app.name == name)
        .unwrap_or_else(|| panic!("no app {name}"))
}

fn at(diagnostic: &ecosystemd::diagnostic::Diagnostic) -> (usize, usize) {
    diagnostic
        .location
        .map(|l| (l.line, l.column))
        .unwrap_or_default()
}

#[test]
fn json_with_comments_unquoted_keys_and_trailing_commas() {
    let ecosystem = load("commented.json");
    assert_eq!(ecosystem.settings.group, "commented");
    let api = app(&ecosystem, "api");
    assert_eq!((api.location.line, api.location.column), (5, 5));
    assert_eq!(api.instances, Instances::PerCpu { reserve: 0 });
    assert_eq!(api.exec_mode, ExecMode::Cluster);
    assert_eq!(api.max_memory, Some(1536 << 20));
    assert_eq!(
        api.command.args[..2],
        ["--max-old-space-size=1024", "--enable-source-maps"]
    );
    assert_eq!(api.env["PORT"], "8080");
    assert_eq!(api.port, Some(8080));
}

#[test]
fn bare_list_of_apps() {
    let ecosystem = load("bare-list.yaml");
    assert_eq!(ecosystem.apps.len(), 2);
    assert_eq!(ecosystem.settings.group, "bare-list");
    let two = app(&ecosystem, "two");
    assert_eq!(two.instances, Instances::Fixed(3));
    assert_eq!(two.exec_mode, ExecMode::Fork);
}

#[test]
fn single_app_object() {
    let ecosystem = load("single-app.json");
    let solo = app(&ecosystem, "solo");
    assert_eq!(solo.port, Some(4000));
    assert_eq!(solo.env["PORT"], "4000", "PM2's `port` sets PORT");
    assert_eq!(solo.command.args[1..], ["--port", "4000"]);
}

#[test]
fn scripts_given_as_whole_command_lines() {
    let ecosystem = load("command-lines.yaml");
    let web = app(&ecosystem, "web");
    assert_eq!(web.command.program, "npm");
    assert_eq!(web.command.args, ["run", "start:prod"]);
    assert_eq!(web.command.script, None);
    let dotnet = app(&ecosystem, "dotnet-api");
    assert_eq!(dotnet.command.program, "dotnet");
    assert_eq!(dotnet.command.args, ["run"]);
    assert_eq!(dotnet.cwd, Path::new("/srv/api"));
    let migrate = app(&ecosystem, "migrate");
    assert_eq!(migrate.command.program, "npx");
    assert_eq!(migrate.command.args, ["knex", "migrate:latest"]);
    assert!(!migrate.restart.autorestart);
    let npm = app(&ecosystem, "npm-with-args");
    assert_eq!(npm.command.program, "npm");
    assert_eq!(npm.command.args, ["run", "start"]);
    // Not found in the (empty) search path: each name once, saying systemd's own
    // search path applies.
    let not_found: Vec<&str> = ecosystem
        .warnings
        .iter()
        .filter(|w| w.message.contains("was not found in PATH"))
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(
        not_found,
        [
            "program `npm` was not found in PATH",
            "program `dotnet` was not found in PATH",
            "program `npx` was not found in PATH"
        ]
    );
}

#[test]
fn programs_resolve_through_the_search_path() {
    let text = "apps:\n  - name: a\n    script: sh -c 'exit 0'\n";
    let ecosystem = ecosystem::parse_with_search_path(
        text,
        Path::new("/srv/e.yaml"),
        &LoadOptions::default(),
        "relative/dir:/usr/bin:/bin".as_ref(),
    )
    .unwrap();
    assert!(ecosystem.apps[0].command.program.ends_with("/sh"));
    assert!(Path::new(&ecosystem.apps[0].command.program).is_absolute());
    assert_eq!(ecosystem.apps[0].command.args, ["-c", "exit 0"]);
    assert!(ecosystem.warnings.is_empty(), "{:?}", ecosystem.warnings);
}

#[test]
fn interpreter_none_null_and_native_binaries() {
    let ecosystem = load("interpreters.yaml");
    let dir = input("");
    let native = app(&ecosystem, "native");
    assert_eq!(native.command.program, "/bin/true");
    assert!(native.command.args.is_empty());
    for name in ["none-string", "none-null"] {
        let none = app(&ecosystem, name);
        assert_eq!(
            none.command.program,
            dir.join("bin/server").to_string_lossy()
        );
    }
    let explicit = app(&ecosystem, "explicit");
    assert_eq!(explicit.command.program, "/usr/local/bin/ts-node");
    assert_eq!(
        explicit.command.args,
        [
            "--transpile-only".to_owned(),
            dir.join("app.ts").to_string_lossy().into_owned()
        ]
    );
    assert_eq!(app(&ecosystem, "ruby").command.program, "ruby");
    let shell = app(&ecosystem, "shell");
    assert_eq!(shell.command.program, "bash");
    assert_eq!(shell.command.args[1..], ["--name", "a b"]);
}

#[test]
fn instances_in_every_spelling() {
    let ecosystem = load("instances.yaml");
    let cases = [
        ("three", Instances::Fixed(3), ExecMode::Cluster),
        ("string-four", Instances::Fixed(4), ExecMode::Cluster),
        ("zero", Instances::PerCpu { reserve: 0 }, ExecMode::Cluster),
        (
            "minus-one",
            Instances::PerCpu { reserve: 1 },
            ExecMode::Cluster,
        ),
        ("max", Instances::PerCpu { reserve: 0 }, ExecMode::Cluster),
        ("one", Instances::Single, ExecMode::Cluster),
        ("fork-default", Instances::Single, ExecMode::Fork),
        ("empty-mode", Instances::Single, ExecMode::Fork),
        // PM2 picks cluster mode by default for node (and bun) only.
        ("python-many", Instances::Fixed(2), ExecMode::Fork),
    ];
    for (name, instances, mode) in cases {
        let app = app(&ecosystem, name);
        assert_eq!((app.instances, app.exec_mode), (instances, mode), "{name}");
    }
}

#[test]
fn args_and_node_args_as_strings_or_lists() {
    let ecosystem = load("args.yaml");
    let script = input("a.js").to_string_lossy().into_owned();
    let string_args = app(&ecosystem, "string-args");
    assert_eq!(
        string_args.command.args,
        [
            "--inspect=0",
            "--max-old-space-size=512",
            &script,
            "--title",
            "hello world",
            "--flag=x y",
            "plain"
        ]
    );
    let list_args = app(&ecosystem, "list-args");
    assert_eq!(
        list_args.command.args,
        [
            "--inspect=0",
            &script,
            "--title",
            "hello world",
            "$HOME",
            "%i"
        ]
    );
}

#[test]
fn names_with_spaces_and_slashes_are_kept_as_written() {
    let ecosystem = load("names.yaml");
    let names: Vec<&str> = ecosystem.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["my app", "team/api", "derived-name"]);
}

#[test]
fn one_shot_apps_with_cron() {
    let ecosystem = load("oneshot.yaml");
    let nightly = app(&ecosystem, "nightly-report");
    assert!(!nightly.restart.autorestart);
    let (cron, at) = nightly.cron_restart.clone().unwrap();
    assert_eq!(cron, "0 2 * * *");
    assert_eq!((at.line, at.column), (5, 19));
    assert_eq!(
        app(&ecosystem, "every-minute")
            .cron_restart
            .as_ref()
            .unwrap()
            .0,
        "*/1 * * * *"
    );
    assert_eq!(app(&ecosystem, "cron-disabled").cron_restart, None);
}

#[test]
fn systemd_extensions() {
    use ecosystemd::ecosystem::{Hardening, WatchdogRestart};
    let ecosystem = load("extensions.yaml");
    let settings = &ecosystem.settings;
    assert_eq!(settings.group, "agents");
    assert_eq!(settings.prefix, "ag-");
    assert_eq!(settings.target, "agents");
    assert_eq!(settings.slice, "agents");
    assert_eq!(settings.memory_budget, Some(8 << 30));
    assert_eq!(settings.logs.max_file_size, Some(50 << 20));
    assert_eq!(settings.logs.max_files, Some(10));
    assert_eq!(settings.logs.compress, Some(true));
    assert_eq!(settings.logs.max_age, Some(Duration::from_secs(7 * 86_400)));

    let proxy = app(&ecosystem, "db-proxy");
    assert_eq!(proxy.systemd.hardening, Hardening::Relaxed);
    assert_eq!(proxy.systemd.tasks_max, Some(64));
    assert_eq!(proxy.systemd.after, ["network-online.target"]);
    assert_eq!(proxy.systemd.raw.len(), 1);
    assert_eq!(proxy.systemd.raw[0].value, "65536");
    assert_eq!(proxy.watchdog.crash_loop_restarts, 4);
    assert_eq!(proxy.watchdog.crash_loop_window, Duration::from_secs(600));
    assert_eq!(proxy.watchdog.cooldown, Duration::from_secs(30));
    assert_eq!(proxy.watchdog.memory_warn_percent, Some(80));

    let api = app(&ecosystem, "api");
    assert_eq!(api.systemd.hardening, Hardening::Strict);
    assert_eq!(api.systemd.memory_high, Some(400 << 20));
    assert_eq!(api.systemd.cpu_quota, Some(50));
    assert_eq!(api.systemd.nice, Some(5));
    assert_eq!(api.systemd.depends_on, ["db-proxy"]);
    assert_eq!(api.systemd.after, ["network-online.target"]);
    assert_eq!(api.systemd.wants, ["redis.service"]);
    let raw: Vec<(&str, &str, &str)> = api
        .systemd
        .raw
        .iter()
        .map(|r| (r.section.as_str(), r.key.as_str(), r.value.as_str()))
        .collect();
    assert_eq!(
        raw,
        [
            ("Service", "LimitNOFILE", "4096"),
            ("Unit", "Documentation", "https://example.com/api")
        ]
    );
    assert_eq!(api.watchdog.restart, WatchdogRestart::Manual);
    assert_eq!(api.watchdog.memory_warn_bytes, Some(450 << 20));
    assert_eq!(api.watchdog.memory_warn_percent, None);
    assert_eq!(api.watchdog.crash_loop_restarts, 4, "inherited");
}

#[test]
fn bad_values_are_each_refused_where_they_stand() {
    let rejected = refuse("bad-values.yaml");
    let found: Vec<((usize, usize), &str)> = rejected
        .0
        .iter()
        .map(|d| (at(d), d.message.as_str()))
        .collect();
    let expect = [
        ((4, 25), "invalid size `12Q`"),
        ((5, 20), "invalid duration `soon`"),
        ((6, 19), "`max_restarts` must not be negative"),
        ((7, 16), "unknown mode \"clustr\""),
        ((8, 11), "port 70000 is out of range"),
        ((9, 16), "expected a number or \"max\""),
        ((11, 7), "`BAD-NAME` is not a valid variable name"),
        ((12, 13), "holds a NUL character"),
        ((16, 9), "unknown systemd directive `Service.LimitNOFLE`"),
        ((17, 25), "`listen_port`: port 0 is out of range"),
    ];
    for (location, message) in expect {
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == location && m.contains(message)),
            "missing {location:?} {message}: {found:#?}"
        );
    }
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    let exec_mode = rejected
        .0
        .iter()
        .find(|d| d.message.contains("clustr"))
        .unwrap();
    assert_eq!(exec_mode.hint.as_deref(), Some("did you mean `cluster`?"));
}

#[test]
fn json_semantic_errors_have_line_and_column() {
    let rejected = refuse("semantic-errors.json");
    let text = rejected.to_string();
    assert!(
        text.contains(
            "semantic-errors.json:6:21: error: `kill_timeout`: invalid duration `forever`"
        ),
        "{text}"
    );
    assert!(
        text.contains("semantic-errors.json:8:7: error: unknown field `autorestrat`"),
        "{text}"
    );
    assert!(text.contains("did you mean `autorestart`?"), "{text}");
}

#[test]
fn syntax_errors_have_line_and_column() {
    let json = refuse("syntax-error.json");
    assert_eq!(json.0.len(), 1);
    assert_eq!(at(&json.0[0]), (4, 5));
    assert!(
        json.0[0].message.contains("expected `,` or `]`"),
        "{}",
        json.0[0]
    );
    let yaml = refuse("syntax-error.yaml");
    assert_eq!(yaml.0.len(), 1);
    assert!(
        yaml.0[0].message.starts_with("invalid YAML"),
        "{}",
        yaml.0[0]
    );
    assert_eq!(at(&yaml.0[0]).0, 3, "{}", yaml.0[0]);
}

#[test]
fn append_env_to_name_uses_the_env_name() {
    let ecosystem = load_with_env("append-env.yaml", "staging");
    assert_eq!(ecosystem.apps[0].name, "api-staging");
    assert_eq!(ecosystem.apps[0].env["A"], "2");
    assert_eq!(load("append-env.yaml").apps[0].name, "api");
}

#[test]
fn missing_files_are_reported() {
    let rejected =
        ecosystem::load(&input("does-not-exist.yaml"), &LoadOptions::default()).unwrap_err();
    assert!(rejected.0[0].message.contains("cannot read the file"));
}

fn parse_yaml(text: &str) -> Result<Ecosystem, Rejected> {
    ecosystem::parse_with_search_path(
        text,
        Path::new("/srv/agents.yaml"),
        &LoadOptions::default(),
        NO_PATH.as_ref(),
    )
}

#[test]
fn depends_on_must_name_an_app() {
    let text = "apps:\n  - name: api\n    script: a.js\n    systemd:\n      depends_on: [dbproxy, api]\n  - name: db-proxy\n    script: b.js\n";
    let rejected = parse_yaml(text).unwrap_err();
    assert_eq!(rejected.0.len(), 2, "{rejected}");
    assert_eq!(at(&rejected.0[0]), (5, 20));
    assert!(rejected.0[0].message.contains("no app is named `dbproxy`"));
    assert_eq!(
        rejected.0[0].hint.as_deref(),
        Some("did you mean `db-proxy`?")
    );
    assert_eq!(at(&rejected.0[1]), (5, 29));
    assert!(rejected.0[1].message.contains("depends on itself"));
}

#[test]
fn ignored_attributes_are_named_once_per_file() {
    let text = "apps:\n  - {name: a, script: a.js, vizion: false, pmx: true}\n  - {name: b, script: b.js, vizion: false}\n";
    let ecosystem = parse_yaml(text).unwrap();
    let messages: Vec<&str> = ecosystem
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(
        messages.iter().filter(|m| m.contains("`vizion`")).count(),
        1,
        "{messages:#?}"
    );
    assert_eq!(
        messages.iter().filter(|m| m.contains("`pmx`")).count(),
        1,
        "{messages:#?}"
    );
    assert!(ecosystem.warnings.iter().all(|w| w.hint.is_some()));
}

#[test]
fn aliases_given_twice_are_refused() {
    let text =
        "apps:\n  - name: a\n    script: a.js\n    interpreter: node\n    exec_interpreter: bun\n";
    let rejected = parse_yaml(text).unwrap_err();
    assert_eq!(at(&rejected.0[0]), (5, 5));
    assert!(
        rejected.0[0]
            .message
            .contains("sets the same attribute as `interpreter`")
    );
}

#[test]
fn unknown_top_level_keys_get_a_hint() {
    let rejected = parse_yaml("app:\n  - name: a\n    script: a.js\n").unwrap_err();
    let text = rejected.to_string();
    assert!(text.contains("unknown field `app`"), "{text}");
    assert!(text.contains("did you mean `apps`?"), "{text}");
}

#[test]
fn empty_files_are_refused() {
    let rejected = parse_yaml("# nothing here\n").unwrap_err();
    assert!(rejected.0[0].message.contains("empty"));
}

#[test]
fn yaml_1_1_booleans_are_accepted_where_booleans_belong() {
    let ecosystem =
        parse_yaml("apps:\n  - name: y\n    script: a.js\n    autorestart: no\n    watch: yes\n")
            .unwrap();
    let app = &ecosystem.apps[0];
    assert_eq!(app.name, "y", "`y` stays a string");
    assert!(!app.restart.autorestart);
    assert_eq!(app.watch.as_ref().unwrap().paths, [Path::new("/srv")]);
}

#[test]
fn every_modelled_attribute() {
    let ecosystem = load("every-attribute.yaml");
    assert!(
        ecosystem
            .warnings
            .iter()
            .all(|w| !w.message.contains("ignored")),
        "{:?}",
        ecosystem.warnings
    );
    let full = app(&ecosystem, "full");
    assert_eq!(full.cwd, Path::new("/srv/full"));
    assert_eq!(full.command.program, "node");
    assert_eq!(
        full.command.args,
        ["--max-old-space-size=256", "/srv/full/server.js", "--a"]
    );
    assert_eq!(
        full.command.script.as_deref(),
        Some(Path::new("/srv/full/server.js"))
    );
    assert_eq!(
        (full.instances, full.exec_mode),
        (Instances::Fixed(4), ExecMode::Cluster)
    );
    assert_eq!(full.instance_var, "INSTANCE_ID");
    assert_eq!(full.increment_var.as_deref(), Some("PORT"));
    assert_eq!(full.port, Some(3000));
    assert_eq!(full.env["PORT"], "3000");
    assert_eq!(full.env["RATIO"], "0.5");
    assert_eq!(full.env["DEBUG"], "false");
    let watch = full.watch.as_ref().unwrap();
    assert_eq!(
        watch.paths,
        [Path::new("/srv/full/src"), Path::new("/srv/full/config")]
    );
    assert_eq!(watch.ignore, ["node_modules"]);
    assert_eq!(watch.delay, Some(Duration::from_millis(1500)));
    assert_eq!(full.max_memory, Some(256 << 20));
    assert!(full.restart.autorestart);
    assert!(!full.autostart);
    assert!(!full.treekill);
    assert_eq!(full.restart.max_restarts, 5);
    assert_eq!(full.restart.min_uptime, Duration::from_secs(10));
    assert_eq!(full.restart.delay, Some(Duration::from_millis(500)));
    assert_eq!(full.restart.exp_backoff, Some(Duration::from_millis(100)));
    assert_eq!(full.restart.stop_exit_codes, [0, 3]);
    assert_eq!(full.kill_timeout, Duration::from_secs(5));
    assert_eq!(full.listen_timeout, Some(Duration::from_secs(8)));
    assert!(full.wait_ready);
    assert!(full.shutdown_with_message);
    assert_eq!(full.listen_ports, [9100, 9101]);
    assert_eq!(full.user.as_deref(), Some("www-data"));
    assert_eq!(full.group.as_deref(), Some("33"));
    assert_eq!(full.namespace.as_deref(), Some("web"));
    assert_eq!((full.stdout, full.stderr), (Output::Null, Output::Null));
}

#[test]
fn pm2_defaults_apply() {
    let ecosystem = parse_yaml("apps:\n  - script: app.js\n").unwrap();
    let app = &ecosystem.apps[0];
    assert_eq!(app.name, "app");
    assert_eq!(app.cwd, Path::new("/srv"));
    assert!(app.restart.autorestart);
    assert_eq!(app.restart.max_restarts, 16);
    assert_eq!(app.restart.min_uptime, Duration::from_millis(1000));
    assert_eq!(app.kill_timeout, Duration::from_millis(1600));
    assert_eq!(app.instance_var, "NODE_APP_INSTANCE");
    assert_eq!(
        (app.instances, app.exec_mode),
        (Instances::Single, ExecMode::Fork)
    );
    assert!(app.autostart && app.treekill);
    assert_eq!((app.stdout, app.stderr), (Output::Journal, Output::Journal));
    assert_eq!(ecosystem.settings.group, "agents");
}

#[test]
fn zero_memory_limits() {
    let ecosystem =
        parse_yaml("apps:\n  - {name: a, script: a.js, max_memory_restart: 0}\n").unwrap();
    assert_eq!(ecosystem.apps[0].max_memory, None, "PM2: 0 means no limit");
    let rejected = parse_yaml("memory_budget: 0\napps: []\n").unwrap_err();
    assert!(
        rejected.0[0]
            .message
            .contains("`memory_budget` must be larger than zero")
    );
}

#[test]
fn an_empty_apps_list_is_a_warning() {
    for text in ["apps: []\n", "apps:\n"] {
        let ecosystem = parse_yaml(text).unwrap();
        assert!(ecosystem.apps.is_empty());
        assert_eq!(ecosystem.warnings.len(), 1);
        assert!(ecosystem.warnings[0].message.contains("no apps"));
    }
}

#[test]
fn yaml_anchors_and_merge_keys() {
    let ecosystem = load("anchors.yaml");
    let one = app(&ecosystem, "one");
    assert_eq!(one.max_memory, Some(200 << 20));
    assert_eq!(one.env["NODE_ENV"], "production");
    let two = app(&ecosystem, "two");
    assert_eq!(
        two.max_memory,
        Some(1 << 30),
        "explicit keys win over merged ones"
    );
    assert_eq!(two.env["NODE_ENV"], "production");
    assert_eq!(two.env["PORT"], "4000");
    // Any other unknown top-level key is still refused.
    let text = std::fs::read_to_string(input("anchors.yaml")).unwrap();
    let rejected = parse_yaml(&text.replace("x-defaults:", "defaults:")).unwrap_err();
    assert!(
        rejected.to_string().contains("unknown field `defaults`"),
        "{rejected}"
    );
}

#[test]
fn cluster_mode_is_for_node_apps_only() {
    let ecosystem =
        parse_yaml("apps:\n  - {name: py, script: a.py, instances: 2, exec_mode: cluster}\n")
            .unwrap();
    assert_eq!(ecosystem.apps[0].exec_mode, ExecMode::Fork);
    assert_eq!(ecosystem.apps[0].instances, Instances::Fixed(2));
    assert!(
        ecosystem
            .warnings
            .iter()
            .any(|w| w.message.contains("cluster mode needs Node"))
    );
}

#[test]
fn env_numbers_keep_their_spelling() {
    let ecosystem = parse_yaml("apps:\n  - name: a\n    script: a.js\n    env: {VERSION: 1.10, MODE: 0755, ID: 12345678901234567890}\n").unwrap();
    let env = &ecosystem.apps[0].env;
    assert_eq!(env["VERSION"], "1.10");
    assert_eq!(env["MODE"], "0755");
    assert_eq!(env["ID"], "12345678901234567890");
    let json = ecosystem::parse_with_search_path(
        "{apps: [{name: 'a', script: 'a.js', env: {V: 2.50, H: 0xff}}]}",
        Path::new("/srv/e.json"),
        &LoadOptions::default(),
        NO_PATH.as_ref(),
    )
    .unwrap();
    assert_eq!(json.apps[0].env["V"], "2.50");
    assert_eq!(json.apps[0].env["H"], "0xff");
}

#[test]
fn javascript_files_are_refused_with_a_way_out() {
    let rejected = ecosystem::parse_with_search_path(
        "module.exports = { apps: [] }",
        Path::new("/srv/ecosystem.config.js"),
        &LoadOptions::default(),
        NO_PATH.as_ref(),
    )
    .unwrap_err();
    let hint = rejected.0[0].hint.as_deref().unwrap();
    assert!(
        hint.contains("gen-units import ecosystem.config.js"),
        "{hint}"
    );
}

#[test]
fn miscased_env_blocks_get_a_hint() {
    let rejected = parse_yaml("apps:\n  - name: a\n    script: a.js\n    Env_production: {A: 1}\n    maxMemoryRestart: 1G\n").unwrap_err();
    assert_eq!(
        rejected.0[0].hint.as_deref(),
        Some("did you mean `env_production`?")
    );
    assert_eq!(
        rejected.0[1].hint.as_deref(),
        Some("did you mean `max_memory_restart`?")
    );
}

#[test]
fn a_bare_file_name_lives_in_the_current_folder() {
    let ecosystem = ecosystem::parse_with_search_path(
        "apps:\n  - {name: a, script: a.js, cwd: app}\n",
        Path::new("ecosystem.yaml"),
        &LoadOptions::default(),
        NO_PATH.as_ref(),
    )
    .unwrap();
    let here = std::env::current_dir().unwrap();
    assert_eq!(ecosystem.base_dir, here);
    assert_eq!(ecosystem.apps[0].cwd, here.join("app"));
    assert_eq!(ecosystem.source, Path::new("ecosystem.yaml"));
}

#[test]
fn a_single_app_with_a_misspelled_script_is_read_as_an_app() {
    let rejected = parse_yaml("name: api\nscirpt: server.js\n").unwrap_err();
    let text = rejected.to_string();
    assert!(text.contains("app has no `script`"), "{text}");
    assert!(text.contains("unknown field `scirpt` in app"), "{text}");
    assert!(text.contains("did you mean `script`?"), "{text}");
}

#[test]
fn depending_on_a_refused_app_is_not_reported_as_missing() {
    let text = "apps:\n  - name: db\n    script: db.js\n    max_memory_restart: lots\n  - name: api\n    script: a.js\n    systemd: {depends_on: [db]}\n";
    let rejected = parse_yaml(text).unwrap_err();
    assert_eq!(rejected.0.len(), 1, "{rejected}");
    assert!(rejected.0[0].message.contains("invalid size"));
}
