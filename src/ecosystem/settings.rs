//! Top-level, systemd-only settings beside `apps`: names of the group's units, the
//! memory budget, journald rotation, and the defaults of `systemd:` and `watchdog:`.

use std::path::Path;

use super::keys::TOP_LEVEL_KEYS;
use super::model::{LogSettings, Settings, SystemdOptions, WatchdogPolicy};
use super::node::{Entry, Node, Value, shown};
use super::reader::Reader;
use super::{systemd_options, watchdog_policy};

/// Group-wide settings and the defaults every app starts from.
pub struct TopLevel {
    /// The settings.
    pub settings: Settings,
    /// `systemd:` defaults.
    pub systemd: SystemdOptions,
    /// `watchdog:` defaults.
    pub watchdog: WatchdogPolicy,
}

/// Reads the top-level keys other than `apps` (`entries` may be empty).
pub fn read(reader: &mut Reader<'_>, entries: &[&Entry], file: &Path) -> TopLevel {
    let mut group = None;
    let mut prefix = None;
    let mut target = None;
    let mut slice = None;
    let mut memory_budget = None;
    let mut logs = LogSettings::default();
    let mut systemd = SystemdOptions::default();
    let mut watchdog = WatchdogPolicy::default();
    // `hardening` at the top level is applied after `systemd:`, whatever the order.
    let mut hardening = None;
    for entry in entries {
        let value = &entry.value;
        match entry.key.as_str() {
            "apps" => {}
            // Extension fields, as in Compose files: a place for YAML anchors.
            key if key.starts_with("x-") => {}
            "deploy" => reader.warn(
                entry.key_at,
                "`deploy` is ignored: PM2's deployment has no systemd counterpart",
                Some("deploy the code with your own tooling, then run gen-units".to_owned()),
            ),
            "group" => group = unit_name_part(reader, value, "group", false),
            "prefix" => prefix = unit_name_part(reader, value, "prefix", true),
            "target" => {
                target = unit_name_part(reader, value, "target", false)
                    .map(|t| strip_suffix(t, ".target"))
            }
            "slice" => {
                slice =
                    unit_name_part(reader, value, "slice", false).map(|s| strip_suffix(s, ".slice"))
            }
            "memory_budget" => memory_budget = reader.nonzero_size(value, "memory_budget"),
            "logs" => logs = read_logs(reader, value),
            "hardening" => hardening = systemd_options::read_hardening(reader, value),
            "systemd" => systemd = systemd_options::read_defaults(reader, value, &systemd),
            "watchdog" => watchdog = watchdog_policy::read(reader, value, &watchdog),
            "health_check" => {
                watchdog.health = super::health::read(reader, value, None).map(|check| {
                    crate::health::HealthCheck {
                        inherited: true,
                        ..check
                    }
                })
            }
            // Read before the apps, which resolve against it.
            "base_dir" => {}
            // The apps' default placement, read with them (`hosts.rs`).
            "hosts" => {}
            // PM2 reads `apps` and `deploy` only: anything else there is ignored.
            _ => {
                let message = format!(
                    "unknown field `{}` at the top level: PM2 ignores it, and so does gen-units",
                    shown(&entry.key)
                );
                let hint = super::suggest::closest(&entry.key, TOP_LEVEL_KEYS.iter().copied())
                    .map(|near| format!("did you mean `{near}`?"));
                reader.warn(entry.key_at, message, hint);
            }
        }
    }
    if let Some(hardening) = hardening {
        systemd.hardening = hardening;
    }
    let group = group.unwrap_or_else(|| super::project::default_group(file));
    TopLevel {
        settings: Settings {
            prefix: prefix.unwrap_or_else(|| format!("{group}-")),
            target: target.unwrap_or_else(|| group.clone()),
            slice: slice.unwrap_or_else(|| group.clone()),
            group,
            memory_budget,
            logs,
        },
        systemd,
        watchdog,
    }
}

fn strip_suffix(name: String, suffix: &str) -> String {
    name.strip_suffix(suffix).map(str::to_owned).unwrap_or(name)
}

/// Whether `c` may appear in a unit name (systemd.unit(5), before escaping).
fn unit_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '-')
}

fn unit_name_part(
    reader: &mut Reader<'_>,
    node: &Node,
    what: &str,
    may_be_empty: bool,
) -> Option<String> {
    let text = reader.string(node, what)?;
    if text.is_empty() && !may_be_empty {
        reader.error(node.at, format!("`{what}` is empty"));
        return None;
    }
    if let Some(bad) = text.chars().find(|c| !unit_name_char(*c)) {
        reader.error_hint(
            node.at,
            format!("`{what}`: {bad:?} cannot be part of a unit name"),
            "use letters, digits, ':', '_', '.' and '-'",
        );
        return None;
    }
    Some(text)
}

const LOG_KEYS: &[&str] = &[
    "max_file_size",
    "max_size",
    "max_use",
    "max_files",
    "retain",
    "compress",
    "max_age",
    "namespace",
];

/// pm2-logrotate options without a journald counterpart.
const LOGROTATE_ONLY: &[&str] = &[
    "dateFormat",
    "workerInterval",
    "rotateInterval",
    "rotateModule",
    "TZ",
];

fn read_logs(reader: &mut Reader<'_>, node: &Node) -> LogSettings {
    let mut logs = LogSettings::default();
    let Some(entries) = reader.map(node, "logs") else {
        return logs;
    };
    for entry in entries {
        let value = &entry.value;
        match entry.key.as_str() {
            // pm2-logrotate's `max_size` is the size of one file.
            "max_file_size" | "max_size" => logs.max_file_size = reader.size(value, &entry.key),
            "max_use" => logs.max_use = reader.size(value, "max_use"),
            // pm2-logrotate's `retain`: how many rotated files to keep.
            "max_files" | "retain" => {
                logs.max_files = match &value.value {
                    Value::Str(s) if s.trim().eq_ignore_ascii_case("all") => None,
                    _ => reader.ranged(value, &entry.key, 1, i128::from(u32::MAX)),
                }
            }
            "compress" => logs.compress = reader.bool(value, "compress"),
            "max_age" => logs.max_age = reader.duration(value, "max_age"),
            "namespace" => {
                logs.namespace = reader.optional_string(value, "namespace");
                if let Some(namespace) = &logs.namespace
                    && !namespace
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    reader.error_hint(
                        value.at,
                        format!(
                            "`logs.namespace`: \"{}\" is not a valid journal namespace",
                            shown(namespace)
                        ),
                        "use letters, digits, '_', '-' and '.'",
                    );
                }
            }
            key if LOGROTATE_ONLY.contains(&key) => reader.warn(
                entry.key_at,
                format!(
                    "`logs.{key}` is ignored: journald rotates by size and age, not on a schedule"
                ),
                None,
            ),
            _ => reader.unknown_key(entry, "`logs`", LOG_KEYS.iter().copied()),
        }
    }
    logs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_name_characters() {
        assert!("web-1:a_b.c".chars().all(unit_name_char));
        assert!(!unit_name_char(' '));
        assert!(!unit_name_char('/'));
    }
}
