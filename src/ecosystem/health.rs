//! `health_check:` (as pm3 spells it, with Docker's timing words): per app, or at the
//! top level as the group's default. The check is carried to the watchdog in the
//! unit's `[X-Ecosystemd]` section; `{port}` is filled in per instance when planning.
//!
//! ```yaml
//! health_check:
//!   url: http://127.0.0.1:{port}/health   # or a path: /health; or tcp: "127.0.0.1:{port}"
//!   status: 200        # default: any 2xx or 3xx
//!   interval: 10s
//!   timeout: 5s
//!   retries: 3         # failures in a row that make it unhealthy
//!   start_period: 30s  # failures right after a start do not count
//! ```

use super::node::{Node, Value, shown};
use super::reader::Reader;
use crate::health::check::{HealthCheck, PORT_PLACEHOLDER, StatusMatch, Target};

const KEYS: &[&str] = &[
    "url",
    "tcp",
    "status",
    "interval",
    "timeout",
    "retries",
    "start_period",
];

/// Reads a `health_check:` value over `base` (the group's default); `null` or `false`
/// turns the check off.
pub fn read(
    reader: &mut Reader<'_>,
    node: &Node,
    base: Option<&HealthCheck>,
) -> Option<HealthCheck> {
    if matches!(node.value, Value::Null | Value::Bool(false)) {
        return None;
    }
    let errors_before = reader.errors.len();
    let entries = reader.map(node, "health_check")?;
    let mut target = None;
    let mut status = None;
    // Keys not given keep the group's default.
    let mut check = base.cloned().unwrap_or_else(|| {
        HealthCheck::new(Target::Tcp {
            address: String::new(),
        })
    });
    for entry in &entries {
        let value = &entry.value;
        match entry.key.as_str() {
            "url" => {
                if target.is_some() {
                    reader.error_hint(
                        entry.key_at,
                        "`health_check` has both `url` and `tcp`",
                        "keep one of them",
                    );
                }
                target = url(reader, value).map(|url| (url, true));
            }
            "tcp" => {
                if target.is_some() {
                    reader.error_hint(
                        entry.key_at,
                        "`health_check` has both `url` and `tcp`",
                        "keep one of them",
                    );
                }
                target = tcp(reader, value).map(|address| (address, false));
            }
            "status" => {
                status = reader
                    .ranged::<u16>(value, "health_check.status", 100, 599)
                    .map(StatusMatch::Exactly)
            }
            "interval" => positive(reader, value, "health_check.interval", &mut check.interval),
            "timeout" => positive(reader, value, "health_check.timeout", &mut check.timeout),
            "retries" => {
                if let Some(n) = reader.ranged(value, "health_check.retries", 1, 1000) {
                    check.retries = n;
                }
            }
            "start_period" => {
                if let Some(d) = reader.duration(value, "health_check.start_period") {
                    check.start_period = d;
                }
            }
            _ => reader.unknown_key(entry, "`health_check`", KEYS.iter().copied()),
        }
    }
    match target {
        Some((text, true)) => {
            check.target = Target::Http {
                url: text,
                status: StatusMatch::SuccessOrRedirect,
            }
        }
        Some((text, false)) => check.target = Target::Tcp { address: text },
        None if base.is_some() => {}
        None => {
            if reader.errors.len() == errors_before {
                reader.error_hint(
                    node.at,
                    "`health_check` says not what to probe",
                    "add `url: http://127.0.0.1:{port}/health` or `tcp: \"127.0.0.1:{port}\"`",
                );
            }
            return None;
        }
    }
    if let Some(wanted) = status {
        match &mut check.target {
            Target::Http { status, .. } => *status = wanted,
            Target::Tcp { .. } => reader.error(
                node.at,
                "`health_check.status` applies to `url` checks only",
            ),
        }
    }
    if check.timeout > check.interval {
        reader.warn(
            node.at,
            format!(
                "`health_check.timeout` ({} ms) is longer than its `interval` ({} ms): probes are never closer than one timeout",
                check.timeout.as_millis(),
                check.interval.as_millis()
            ),
            None,
        );
    }
    check.inherited = false;
    Some(check)
}

/// `url:`: an `http://` URL, or a path probed on the app's port.
fn url(reader: &mut Reader<'_>, node: &Node) -> Option<String> {
    let text = reader.string(node, "health_check.url")?;
    let text = text.trim();
    let url = if text.starts_with('/') {
        format!("http://127.0.0.1:{PORT_PLACEHOLDER}{text}")
    } else {
        text.to_string()
    };
    checked(
        reader,
        node,
        Target::Http {
            url,
            status: StatusMatch::SuccessOrRedirect,
        },
    )
}

/// `tcp:`: `HOST:PORT`, or a port number on 127.0.0.1.
fn tcp(reader: &mut Reader<'_>, node: &Node) -> Option<String> {
    let address = match &node.value {
        Value::Int(_) => {
            let port: u16 = reader.ranged(node, "health_check.tcp", 1, 65535)?;
            format!("127.0.0.1:{port}")
        }
        _ => reader.string(node, "health_check.tcp")?.trim().to_string(),
    };
    checked(reader, node, Target::Tcp { address })
}

fn checked(reader: &mut Reader<'_>, node: &Node, target: Target) -> Option<String> {
    match target.validate() {
        Ok(()) => Some(target.text().to_string()),
        Err(message) => {
            reader.error_hint(
                node.at,
                format!("`health_check`: \"{}\": {message}", shown(target.text())),
                "for example `url: http://127.0.0.1:{port}/health` or `tcp: \"127.0.0.1:{port}\"`",
            );
            None
        }
    }
}

fn positive(reader: &mut Reader<'_>, node: &Node, what: &str, into: &mut std::time::Duration) {
    if let Some(d) = reader.duration(node, what) {
        if d.is_zero() {
            reader.error(node.at, format!("`{what}` must be longer than zero"));
        } else {
            *into = d;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use crate::ecosystem::{Ecosystem, LoadOptions, Lookups, parse};
    use crate::health::{StatusMatch, Target};

    fn read(yaml: &str) -> Result<Ecosystem, Vec<String>> {
        let options = LoadOptions {
            lookups: Lookups::Portable,
            ..LoadOptions::default()
        };
        parse(yaml, Path::new("/srv/agents/ecosystem.yaml"), &options).map_err(|rejected| {
            rejected
                .0
                .iter()
                .map(|d| {
                    let at = d.location.map(|l| (l.line, l.column)).unwrap_or_default();
                    format!("{}:{}: {}", at.0, at.1, d.message)
                })
                .collect()
        })
    }

    #[test]
    fn group_defaults_apply_and_apps_override_key_by_key() {
        let ecosystem = read(
            "health_check:\n  url: /health\n  interval: 2s\n  retries: 2\n\
             apps:\n  - name: a\n    script: a.js\n\
             \x20 - name: b\n    script: b.js\n    health_check:\n      timeout: 1s\n      status: 204\n\
             \x20 - name: c\n    script: c.js\n    health_check:\n      tcp: 6000\n\
             \x20 - name: d\n    script: d.js\n    health_check: null\n",
        )
        .expect("valid");
        let check = |i: usize| ecosystem.apps[i].watchdog.health.clone();
        let a = check(0).expect("group default");
        assert_eq!(
            a.target,
            Target::Http {
                url: "http://127.0.0.1:{port}/health".into(),
                status: StatusMatch::SuccessOrRedirect
            }
        );
        assert_eq!((a.interval, a.retries), (Duration::from_secs(2), 2));
        assert!(a.inherited, "the group's default");
        let b = check(1).expect("override");
        assert!(!b.inherited, "the app's own");
        assert_eq!(b.timeout, Duration::from_secs(1));
        assert_eq!(b.interval, Duration::from_secs(2), "kept from the group");
        assert!(matches!(
            b.target,
            Target::Http {
                status: StatusMatch::Exactly(204),
                ..
            }
        ));
        assert_eq!(
            check(2).expect("tcp").target,
            Target::Tcp {
                address: "127.0.0.1:6000".into()
            }
        );
        assert_eq!(check(3), None, "turned off");
    }

    #[test]
    fn mistakes_are_refused_where_they_stand() {
        let errors = read(
            "apps:\n  - name: a\n    script: a.js\n    health_check:\n      url: https://x/\n      intervall: 5s\n\
             \x20 - name: b\n    script: b.js\n    health_check:\n      retries: 0\n\
             \x20 - name: c\n    script: c.js\n    health_check:\n      tcp: \"127.0.0.1:{port}\"\n      status: 200\n",
        )
        .expect_err("invalid");
        let joined = errors.join("\n");
        assert!(
            joined.contains("5:12: `health_check`: \"https://x/\": https is not probed"),
            "{joined}"
        );
        assert!(
            joined.contains("6:7: unknown field `intervall`"),
            "{joined}"
        );
        assert!(
            joined.contains("`health_check.retries` must be between 1 and 1000"),
            "{joined}"
        );
        assert!(
            joined.contains("`health_check.status` applies to `url` checks only"),
            "{joined}"
        );
    }
}
