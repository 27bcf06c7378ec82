//! `systemd:` settings: top-level defaults, and per-app overrides merged over them.

use super::directives;
use super::model::{Hardening, SystemdOptions};
use super::node::{Node, shown};
use super::reader::Reader;
use super::systemd_syntax;
use crate::diagnostic::Location;

const KEYS: &[&str] = &[
    "hardening",
    "memory_high",
    "cpu_quota",
    "tasks_max",
    "nice",
    "depends_on",
    "after",
    "wants",
    "directives",
];

/// Reads the top-level `systemd:` defaults (`depends_on` belongs to apps only).
pub fn read_defaults(
    reader: &mut Reader<'_>,
    node: &Node,
    base: &SystemdOptions,
) -> SystemdOptions {
    read(reader, node, base, false).0
}

/// Reads an app's `systemd:` over the defaults; also returns where each
/// `depends_on` name was written.
pub fn read_for_app(
    reader: &mut Reader<'_>,
    node: &Node,
    base: &SystemdOptions,
) -> (SystemdOptions, Vec<Location>) {
    read(reader, node, base, true)
}

fn read(
    reader: &mut Reader<'_>,
    node: &Node,
    base: &SystemdOptions,
    for_app: bool,
) -> (SystemdOptions, Vec<Location>) {
    let mut options = base.clone();
    let mut depends_on_at = Vec::new();
    let Some(entries) = reader.map(node, "systemd") else {
        return (options, depends_on_at);
    };
    for entry in entries {
        let value = &entry.value;
        match entry.key.as_str() {
            "hardening" => {
                if let Some(hardening) = read_hardening(reader, value) {
                    options.hardening = hardening;
                }
            }
            "memory_high" => {
                options.memory_high = reader
                    .nonzero_size(value, "memory_high")
                    .or(options.memory_high)
            }
            "cpu_quota" => options.cpu_quota = read_cpu_quota(reader, value).or(options.cpu_quota),
            "tasks_max" => {
                options.tasks_max = reader
                    .ranged(value, "tasks_max", 1, i128::from(u64::MAX))
                    .or(options.tasks_max);
            }
            "nice" => options.nice = reader.ranged(value, "nice", -20, 19).or(options.nice),
            "depends_on" if for_app => {
                if let Some(names) = reader.string_list(value, "depends_on") {
                    let at = match &value.value {
                        super::node::Value::Seq(items) => {
                            items.iter().map(|item| item.at).collect()
                        }
                        _ => vec![value.at],
                    };
                    options.depends_on = names;
                    depends_on_at = at;
                }
            }
            "depends_on" => reader.error_hint(
                entry.key_at,
                "`depends_on` names other apps and belongs in an app's `systemd:`",
                "move it into the app that depends on the others",
            ),
            "after" => extend_unique(&mut options.after, unit_names(reader, value, "after")),
            "wants" => extend_unique(&mut options.wants, unit_names(reader, value, "wants")),
            "directives" => {
                for raw in directives::read(reader, value) {
                    options
                        .raw
                        .retain(|old| !(old.section == raw.section && old.key == raw.key));
                    options.raw.push(raw);
                }
            }
            _ => reader.unknown_key(entry, "`systemd`", KEYS.iter().copied()),
        }
    }
    (options, depends_on_at)
}

/// A list of unit names (`after`, `wants`), each one name as systemd takes it.
fn unit_names(reader: &mut Reader<'_>, node: &Node, what: &str) -> Option<Vec<String>> {
    let names = reader.string_list(node, what)?;
    let at = |index: usize| match &node.value {
        super::node::Value::Seq(items) => items.get(index).map_or(node.at, |item| item.at),
        _ => node.at,
    };
    let mut valid = true;
    for (index, name) in names.iter().enumerate() {
        if !systemd_syntax::unit_name(name) {
            reader.error_hint(
                at(index),
                format!("`{what}`: \"{}\" is not a unit name", shown(name)),
                "name each unit in full, with its type: e.g. postgresql.service, network-online.target",
            );
            valid = false;
        }
    }
    valid.then_some(names)
}

fn extend_unique(list: &mut Vec<String>, more: Option<Vec<String>>) {
    for item in more.unwrap_or_default() {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// `standard`, `strict`, `relaxed` or `none`.
pub fn read_hardening(reader: &mut Reader<'_>, node: &Node) -> Option<Hardening> {
    let text = reader.string(node, "hardening")?;
    match text.trim().to_ascii_lowercase().as_str() {
        "standard" => Some(Hardening::Standard),
        "strict" => Some(Hardening::Strict),
        "relaxed" => Some(Hardening::Relaxed),
        "none" => Some(Hardening::None),
        _ => {
            reader.error_hint(
                node.at,
                format!("`hardening`: unknown profile \"{}\"", shown(&text)),
                "use standard (the default), strict, relaxed or none",
            );
            None
        }
    }
}

/// `"50%"` or `50`: percent of one CPU (above 100 for more than one).
fn read_cpu_quota(reader: &mut Reader<'_>, node: &Node) -> Option<u32> {
    let text = match &node.value {
        super::node::Value::Str(s) => s.trim().trim_end_matches('%').trim().to_owned(),
        _ => return reader.ranged(node, "cpu_quota", 1, 100_000),
    };
    match text.parse::<u32>() {
        Ok(percent) if (1..=100_000).contains(&percent) => Some(percent),
        _ => {
            reader.error_hint(
                node.at,
                "`cpu_quota`: expected a percentage such as \"50%\"",
                "100% is one full CPU; 200% two",
            );
            None
        }
    }
}
