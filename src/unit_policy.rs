//! The watchdog policy as written into each service's `[X-Ecosystemd]` section.
//!
//! systemd ignores sections whose names start with `X-`, so the policy can travel in
//! the unit file itself: `gen-units` writes it, `unit-watchdog` reads it back from the
//! unit's `FragmentPath`. There is no second configuration to keep in sync.
//!
//! ```text
//! [X-Ecosystemd]
//! Ecosystem=agents
//! App=email
//! WatchdogRestart=auto
//! CrashLoopRestarts=5
//! CrashLoopWindowSec=300
//! CooldownSec=1
//! MaxRestartsPerWindow=3
//! MemoryWarnBytes=524288000
//! MemoryWarnPercent=90
//! ```

use std::time::Duration;

use crate::ecosystem::{WatchdogPolicy, WatchdogRestart};
use crate::health::HealthCheck;
use crate::unit_file::{Section, UnitFile};

/// The section's name.
pub const SECTION: &str = "X-Ecosystemd";

/// A unit's ecosystemd identity and watchdog policy.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPolicy {
    /// The ecosystem (group) the unit belongs to.
    pub ecosystem: String,
    /// The app's name as written in the ecosystem file.
    pub app: String,
    /// What the watchdog does for it.
    pub watchdog: WatchdogPolicy,
}

impl UnitPolicy {
    /// The section's `Key=value` lines, without the `[X-Ecosystemd]` header. Values are
    /// plain words and numbers except those [`is_text`] names, which the caller must
    /// escape as any value.
    pub fn directives(&self) -> Vec<(&'static str, String)> {
        let w = &self.watchdog;
        let mut lines = vec![
            ("Ecosystem", self.ecosystem.clone()),
            ("App", self.app.clone()),
            (
                "WatchdogRestart",
                match w.restart {
                    WatchdogRestart::Auto => "auto",
                    WatchdogRestart::Manual => "manual",
                }
                .to_string(),
            ),
            ("CrashLoopRestarts", w.crash_loop_restarts.to_string()),
            (
                "CrashLoopWindowSec",
                w.crash_loop_window.as_secs().to_string(),
            ),
            ("CooldownSec", w.cooldown.as_secs().to_string()),
            (
                "MaxRestartsPerWindow",
                w.max_restarts_per_window.to_string(),
            ),
        ];
        if let Some(bytes) = w.memory_warn_bytes {
            lines.push(("MemoryWarnBytes", bytes.to_string()));
        }
        if let Some(percent) = w.memory_warn_percent {
            lines.push(("MemoryWarnPercent", percent.to_string()));
        }
        if let Some(check) = &w.health {
            lines.extend(check.directives());
        }
        lines
    }

    /// Reads the policy from a unit file's text; `None` when the unit has no
    /// `[X-Ecosystemd]` section (it is not ours). Unknown or malformed keys keep the
    /// defaults, so an older watchdog reads a newer unit.
    pub fn from_unit_text(text: &str) -> Option<Self> {
        Self::from_section(&UnitFile::parse_section(text, SECTION)?)
    }

    /// Reads the policy from a parsed unit file, drop-ins included (a later assignment
    /// wins, as in systemd); `None` when it has no `[X-Ecosystemd]` section.
    pub fn from_unit(unit: &UnitFile) -> Option<Self> {
        Self::from_section(unit.section(SECTION)?)
    }

    /// Reads the policy from the `[X-Ecosystemd]` section's assignments, in order.
    fn from_section(section: &Section) -> Option<Self> {
        let mut policy = Self {
            ecosystem: String::new(),
            app: String::new(),
            watchdog: WatchdogPolicy {
                // Thresholds are written only when set: absent means none.
                memory_warn_bytes: None,
                memory_warn_percent: None,
                ..WatchdogPolicy::default()
            },
        };
        for (key, value) in &section.entries {
            let value = value.as_str();
            let w = &mut policy.watchdog;
            let secs = |v: &str| v.parse().ok().map(Duration::from_secs);
            match key.as_str() {
                "Ecosystem" => policy.ecosystem = value.to_string(),
                "App" => policy.app = unquote(value),
                "WatchdogRestart" => {
                    w.restart = if value == "manual" {
                        WatchdogRestart::Manual
                    } else {
                        WatchdogRestart::Auto
                    }
                }
                "CrashLoopRestarts" => {
                    w.crash_loop_restarts = value.parse().unwrap_or(w.crash_loop_restarts)
                }
                "CrashLoopWindowSec" => {
                    w.crash_loop_window = secs(value).unwrap_or(w.crash_loop_window)
                }
                "CooldownSec" => w.cooldown = secs(value).unwrap_or(w.cooldown),
                "MaxRestartsPerWindow" => {
                    w.max_restarts_per_window = value.parse().unwrap_or(w.max_restarts_per_window)
                }
                "MemoryWarnBytes" => w.memory_warn_bytes = value.parse().ok(),
                "MemoryWarnPercent" => w.memory_warn_percent = value.parse().ok(),
                key => {
                    HealthCheck::read_directive(&mut w.health, key, &unquote(value));
                }
            }
        }
        Some(policy)
    }
}

/// Whether the value of `key` is free text (quoted when written), not a word or number.
pub fn is_text(key: &str) -> bool {
    matches!(key, "App" | "HealthUrl" | "HealthTcp")
}

/// Undoes the C-style quoting the renderer applies to values (`"a \"b\""` -> `a "b"`).
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_round_trips_through_unit_text() {
        let policy = UnitPolicy {
            ecosystem: "agents".into(),
            app: "email".into(),
            watchdog: WatchdogPolicy {
                restart: WatchdogRestart::Manual,
                crash_loop_restarts: 7,
                crash_loop_window: Duration::from_secs(120),
                cooldown: Duration::from_secs(2),
                max_restarts_per_window: 4,
                memory_warn_bytes: Some(500 << 20),
                memory_warn_percent: None,
                health: Some(HealthCheck::new(crate::health::Target::Http {
                    url: "http://127.0.0.1:3000/a b\"c".into(),
                    status: crate::health::StatusMatch::Exactly(204),
                })),
            },
        };
        let mut text = String::from("[Unit]\nDescription=x\n\n[X-Ecosystemd]\n");
        for (key, value) in policy.directives() {
            let value = if is_text(key) {
                // Quoted as the renderer writes text values (no `%` in this one).
                format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                value
            };
            text.push_str(&format!("{key}={value}\n"));
        }
        assert!(
            text.contains("HealthUrl=\"http://127.0.0.1:3000/a b\\\"c\"\n"),
            "{text}"
        );
        assert_eq!(UnitPolicy::from_unit_text(&text), Some(policy));
    }

    #[test]
    fn units_without_the_section_are_not_ours() {
        assert_eq!(
            UnitPolicy::from_unit_text("[Unit]\n[Service]\nExecStart=/bin/true\n"),
            None
        );
    }
}
