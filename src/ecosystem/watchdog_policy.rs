//! `watchdog:` settings: what `unit-watchdog run` does for an app (top-level
//! defaults, per-app overrides).

use super::model::{WatchdogPolicy, WatchdogRestart};
use super::node::{Node, Value, shown};
use super::reader::Reader;

const KEYS: &[&str] = &[
    "restart",
    "crash_loop",
    "cooldown",
    "max_restarts_per_window",
    "memory_warn",
];
const CRASH_LOOP_KEYS: &[&str] = &["restarts", "window"];

/// Reads a `watchdog:` mapping over `base`.
pub fn read(reader: &mut Reader<'_>, node: &Node, base: &WatchdogPolicy) -> WatchdogPolicy {
    let mut policy = base.clone();
    let Some(entries) = reader.map(node, "watchdog") else {
        return policy;
    };
    for entry in entries {
        let value = &entry.value;
        match entry.key.as_str() {
            "restart" => {
                if let Some(text) = reader.string(value, "watchdog.restart") {
                    match text.trim().to_ascii_lowercase().as_str() {
                        "auto" => policy.restart = WatchdogRestart::Auto,
                        "manual" => policy.restart = WatchdogRestart::Manual,
                        _ => reader.error_hint(
                            value.at,
                            format!("`watchdog.restart`: unknown mode \"{}\"", shown(&text)),
                            "use auto or manual",
                        ),
                    }
                }
            }
            "crash_loop" => {
                let Some(loop_entries) = reader.map(value, "watchdog.crash_loop") else {
                    continue;
                };
                for loop_entry in loop_entries {
                    match loop_entry.key.as_str() {
                        "restarts" => {
                            if let Some(n) =
                                reader.ranged(&loop_entry.value, "crash_loop.restarts", 1, 10_000)
                            {
                                policy.crash_loop_restarts = n;
                            }
                        }
                        "window" => {
                            if let Some(window) =
                                reader.duration(&loop_entry.value, "crash_loop.window")
                            {
                                if window.is_zero() {
                                    reader.error(
                                        loop_entry.value.at,
                                        "`crash_loop.window` must be longer than zero",
                                    );
                                } else {
                                    policy.crash_loop_window = window;
                                }
                            }
                        }
                        _ => reader.unknown_key(
                            loop_entry,
                            "`watchdog.crash_loop`",
                            CRASH_LOOP_KEYS.iter().copied(),
                        ),
                    }
                }
            }
            "cooldown" => {
                if let Some(cooldown) = reader.duration(value, "watchdog.cooldown") {
                    policy.cooldown = cooldown;
                }
            }
            "max_restarts_per_window" => {
                if let Some(n) = reader.ranged(value, "watchdog.max_restarts_per_window", 0, 10_000)
                {
                    policy.max_restarts_per_window = n;
                }
            }
            "memory_warn" => read_memory_warn(reader, value, &mut policy),
            _ => reader.unknown_key(entry, "`watchdog`", KEYS.iter().copied()),
        }
    }
    policy
}

/// `"500M"` (bytes) or `"90%"` (of the unit's `MemoryMax=`); null turns it off.
fn read_memory_warn(reader: &mut Reader<'_>, node: &Node, policy: &mut WatchdogPolicy) {
    match &node.value {
        Value::Null | Value::Bool(false) => {
            policy.memory_warn_bytes = None;
            policy.memory_warn_percent = None;
        }
        Value::Str(s) if s.trim().ends_with('%') => {
            match s.trim().trim_end_matches('%').trim().parse::<u8>() {
                Ok(percent) if (1..=100).contains(&percent) => {
                    policy.memory_warn_percent = Some(percent);
                    policy.memory_warn_bytes = None;
                }
                _ => reader.error(
                    node.at,
                    "`watchdog.memory_warn`: a percentage must be between 1% and 100%",
                ),
            }
        }
        _ => {
            if let Some(bytes) = reader.size(node, "watchdog.memory_warn") {
                policy.memory_warn_bytes = Some(bytes);
                policy.memory_warn_percent = None;
            }
        }
    }
}
