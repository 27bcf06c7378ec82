//! Raw `systemd:` directives: names checked against systemd's own list of `[Unit]`,
//! `[Service]` and `[Install]` directives (see `directives.txt`), with a near-miss
//! hint for typos.
//!
//! A few directives are refused because the schema already owns them, or because
//! they would break what ecosystemd guarantees:
//! - `Environment=`/`EnvironmentFile=`/`PassEnvironment=`: inline values are readable
//!   by every local user over D-Bus; `env:` goes to a 0600 file instead.
//! - `Slice=`: an app outside the group's slice escapes the group's memory budget.
//! - `SourcePath=`: it records which ecosystem file a unit came from.
//! - `ExecStart=`, `WorkingDirectory=`, `User=`, `Group=`, `MemoryMax=`,
//!   `Restart=`, `RestartSec=`, `StartLimitBurst=`, `StartLimitIntervalSec=`,
//!   `TimeoutStopSec=`, `SyslogIdentifier=`, `MemoryHigh=`, `CPUQuota=`,
//!   `TasksMax=`, `Nice=`: each has its attribute, named in the hint, so that one
//!   value never has two sources.

use super::directive_values;
use super::model::RawDirective;
use super::node::{Node, Value, shown};
use super::reader::Reader;
use super::suggest;
use crate::diagnostic::Location;

const KNOWN: &str = include_str!("directives.txt");

/// Every known directive as `Section.Name`.
fn known() -> impl Iterator<Item = &'static str> {
    KNOWN
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Directives refused, with the reason or the attribute to use instead.
const REFUSED: &[(&str, &str)] = &[
    (
        "Environment",
        "inline environment is readable by every local user; use `env:` (written to a 0600 file)",
    ),
    (
        "EnvironmentFile",
        "use `env:`; ecosystemd writes and references the app's environment file itself",
    ),
    ("PassEnvironment", "use `env:`"),
    (
        "Slice",
        "every app stays in the group's slice, under its memory budget; set the top-level `slice`",
    ),
    ("SourcePath", "ecosystemd records the ecosystem file there"),
    (
        "ExecStart",
        "use `script`, `interpreter`, `node_args` and `args`",
    ),
    ("WorkingDirectory", "use `cwd`"),
    ("User", "use `user`"),
    ("Group", "use `gid`"),
    ("MemoryMax", "use `max_memory_restart`"),
    ("MemoryHigh", "use `systemd.memory_high`"),
    ("CPUQuota", "use `systemd.cpu_quota`"),
    ("TasksMax", "use `systemd.tasks_max`"),
    ("Nice", "use `systemd.nice`"),
    ("Restart", "use `autorestart`"),
    ("RestartSec", "use `restart_delay`"),
    ("StartLimitBurst", "use `max_restarts`"),
    (
        "StartLimitIntervalSec",
        "use `min_uptime` and `max_restarts`",
    ),
    ("TimeoutStopSec", "use `kill_timeout`"),
    (
        "SyslogIdentifier",
        "the app's name is its identifier in the journal",
    ),
];

/// Reads `directives:`, a mapping `{"Service.LimitNOFILE": 65536}` or a list of
/// `"Service.LimitNOFILE=65536"` strings and one-entry mappings. The section may be
/// left out where the name belongs to one section only.
pub fn read(reader: &mut Reader<'_>, node: &Node) -> Vec<RawDirective> {
    let mut pairs: Vec<(String, Location, Node)> = Vec::new();
    match &node.value {
        Value::Null => {}
        Value::Map(_) => {
            if let Some(entries) = reader.map(node, "directives") {
                for entry in entries {
                    pairs.push((entry.key.clone(), entry.key_at, entry.value.clone()));
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                match &item.value {
                    Value::Str(line) => match line.split_once('=') {
                        Some((key, value)) => pairs.push((
                            key.trim().to_owned(),
                            item.at,
                            Node::new(Value::Str(value.trim().to_owned()), item.at),
                        )),
                        None => reader.error_hint(
                            item.at,
                            format!("directive \"{}\" has no `=`", shown(line)),
                            "write \"Section.Name=value\", e.g. \"Service.LimitNOFILE=65536\"",
                        ),
                    },
                    Value::Map(entries) if entries.len() == 1 => {
                        let entry = &entries[0];
                        pairs.push((entry.key.clone(), entry.key_at, entry.value.clone()));
                    }
                    _ => reader.expected(
                        item,
                        "directives",
                        "\"Section.Name=value\" or {Section.Name: value}",
                    ),
                }
            }
        }
        _ => reader.expected(node, "directives", "a mapping or a list of directives"),
    }
    pairs
        .into_iter()
        .filter_map(|(key, at, value)| directive(reader, &key, at, &value))
        .collect()
}

fn directive(
    reader: &mut Reader<'_>,
    key: &str,
    at: Location,
    value: &Node,
) -> Option<RawDirective> {
    let Some(full) = qualify(key) else {
        let message = format!("unknown systemd directive `{}`", shown(key));
        let candidates: Vec<&str> = if key.contains('.') {
            known().collect()
        } else {
            known()
                .filter_map(|k| k.split_once('.').map(|(_, name)| name))
                .collect()
        };
        match suggest::closest(key, candidates) {
            Some(near) => reader.error_hint(at, message, format!("did you mean `{near}`?")),
            None => reader.error_hint(
                at,
                message,
                "directives are written Section.Name, e.g. Service.LimitNOFILE",
            ),
        }
        return None;
    };
    let (section, name) = full.split_once('.')?;
    if let Some((_, reason)) = REFUSED.iter().find(|(refused, _)| *refused == name) {
        reader.error_hint(at, format!("directive `{full}` cannot be set raw"), *reason);
        return None;
    }
    let text = match &value.value {
        Value::Str(s) => s.clone(),
        Value::Int(_) | Value::Float(_) => value.scalar_text().unwrap_or_default(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        _ => {
            reader.expected(value, &full, "a string, number or boolean");
            return None;
        }
    };
    let verbatim = match directive_values::check(name, &text) {
        Ok(verbatim) => verbatim,
        Err(refusal) => {
            reader.error_hint(
                value.at,
                format!(
                    "directive `{full}`: \"{}\" is not {} systemd reads",
                    shown(&text),
                    refusal.expected
                ),
                refusal.hint,
            );
            return None;
        }
    };
    Some(RawDirective {
        section: section.to_owned(),
        key: name.to_owned(),
        value: text,
        verbatim,
        location: at,
    })
}

/// `Section.Name` for a known directive, `None` when unknown. The section's case
/// does not matter; a bare name is qualified when exactly one section has it.
fn qualify(key: &str) -> Option<String> {
    let key = key.trim();
    if let Some((section, name)) = key.split_once('.') {
        let section = match section.to_ascii_lowercase().as_str() {
            "unit" => "Unit",
            "service" => "Service",
            "install" => "Install",
            _ => return None,
        };
        let full = format!("{section}.{name}");
        return known().any(|k| k == full).then_some(full);
    }
    let mut matches = known().filter(|k| k.split_once('.').is_some_and(|(_, name)| name == key));
    match (matches.next(), matches.next()) {
        (Some(only), None) => Some(only.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn at(line: usize) -> Location {
        Location::new(line, 3)
    }

    fn string(text: &str) -> Node {
        Node::new(Value::Str(text.to_owned()), at(1))
    }

    #[test]
    fn the_list_holds_the_usual_directives() {
        let all: Vec<&str> = known().collect();
        for directive in [
            "Unit.After",
            "Service.LimitNOFILE",
            "Service.ProtectSystem",
            "Install.WantedBy",
            "Service.RestartSteps",
        ] {
            assert!(all.contains(&directive), "{directive} missing");
        }
        assert!(all.len() > 300);
    }

    #[test]
    fn mapping_form_with_and_without_section() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        let map = Node::new(
            Value::Map(vec![
                super::super::node::Entry {
                    key: "Service.LimitNOFILE".into(),
                    key_at: at(2),
                    value: Node::new(Value::Int(65536), at(2)),
                },
                super::super::node::Entry {
                    key: "OOMScoreAdjust".into(),
                    key_at: at(3),
                    value: string("-100"),
                },
            ]),
            at(1),
        );
        let raw = read(&mut reader, &map);
        assert!(reader.errors.is_empty(), "{:?}", reader.errors);
        assert_eq!(raw[0].section, "Service");
        assert_eq!(raw[0].key, "LimitNOFILE");
        assert_eq!(raw[0].value, "65536");
        assert_eq!(raw[1].section, "Service");
        assert_eq!(raw[1].key, "OOMScoreAdjust");
    }

    #[test]
    fn list_form() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        let list = Node::new(
            Value::Seq(vec![string("Unit.Documentation=https://x.example/a=b")]),
            at(1),
        );
        let raw = read(&mut reader, &list);
        assert_eq!(raw[0].section, "Unit");
        assert_eq!(raw[0].value, "https://x.example/a=b");
    }

    #[test]
    fn typos_get_a_hint() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        let list = Node::new(Value::Seq(vec![string("Service.LimitNOFLE=1")]), at(1));
        assert!(read(&mut reader, &list).is_empty());
        assert_eq!(
            reader.errors[0].hint.as_deref(),
            Some("did you mean `Service.LimitNOFILE`?")
        );
    }

    #[test]
    fn owned_and_dangerous_directives_are_refused() {
        for line in [
            "Service.Environment=A=1",
            "Service.Slice=other.slice",
            "Service.ExecStart=/bin/sh",
            "MemoryMax=1G",
        ] {
            let mut reader = Reader::new(Path::new("f.yaml"));
            let list = Node::new(Value::Seq(vec![string(line)]), at(1));
            assert!(read(&mut reader, &list).is_empty(), "{line}");
            assert!(
                reader.errors[0].message.contains("cannot be set raw"),
                "{line}"
            );
        }
    }

    #[test]
    fn a_value_systemd_would_ignore_is_refused_where_it_was_written() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        let value = Node::new(Value::Str("~~~2s".into()), Location::new(7, 30));
        let map = Node::new(
            Value::Map(vec![super::super::node::Entry {
                key: "Service.TimeoutStartSec".into(),
                key_at: Location::new(7, 5),
                value,
            }]),
            at(6),
        );
        assert!(read(&mut reader, &map).is_empty());
        let error = &reader.errors[0];
        assert_eq!(error.location, Some(Location::new(7, 30)));
        assert!(
            error.message.contains("is not a time span"),
            "{}",
            error.message
        );
        assert!(error.hint.as_deref().is_some_and(|h| h.contains("90s")));
    }

    #[test]
    fn unknown_sections_are_refused() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        let list = Node::new(Value::Seq(vec![string("Socket.ListenStream=80")]), at(1));
        assert!(read(&mut reader, &list).is_empty());
        assert!(
            reader.errors[0]
                .message
                .contains("unknown systemd directive")
        );
    }
}
