//! Lints: what is legal but probably not what was meant. All are warnings (`--strict`
//! makes them errors) except duplicate unit names, which would lose a unit.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::ecosystem::Ecosystem;

use super::cluster::Instance;
use super::{PlanOptions, Unit, app_warning};

/// Refuses two units of the same name (two apps whose names escape alike, or an app
/// named like another's helper unit).
pub fn duplicate_units(ecosystem: &Ecosystem, units: &[Unit], errors: &mut Vec<Diagnostic>) {
    let mut seen = BTreeMap::new();
    for unit in units {
        if let Some(first) = seen.insert(unit.name.as_str(), unit.origin) {
            let mut error = Diagnostic::error(
                &ecosystem.source,
                unit.origin,
                format!("two units would be named `{}`", unit.name),
            )
            .with_hint("rename one of the apps");
            if let Some(first) = first {
                error.hint = Some(format!(
                    "the other comes from line {}; rename one of the apps",
                    first.line
                ));
            }
            errors.push(error);
        }
    }
}

/// Parses a systemd time span (`19s`, `100ms`, `1min 30s`, a bare number of seconds).
pub fn parse_timespan(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let millis = match &rest[..unit_len] {
            "ms" | "msec" => 1,
            "s" | "sec" | "second" | "seconds" | "" => 1000,
            "m" | "min" | "minute" | "minutes" => 60_000,
            "h" | "hr" | "hour" | "hours" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            _ => return None,
        };
        total += Duration::from_millis(number.checked_mul(millis)?);
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// The value of the last of `keys` in `[Unit]`, or in `[Service]` where systemd still
/// reads the old spellings (`StartLimitInterval=`), which comes later in the file.
fn last_of(unit: &Unit, keys: &[&str]) -> Option<String> {
    ["Service", "Unit"].iter().find_map(|section| {
        unit.section(section)?
            .directives
            .iter()
            .rev()
            .find(|d| keys.contains(&d.key.as_ref()))
            .map(|d| d.value.display())
    })
}

/// Warns where `StartLimitIntervalSec=` is shorter than burst x `RestartSec=`: such a
/// limit can never trip, and a crash loop restarts forever.
pub fn start_limits(ecosystem: &Ecosystem, units: &[Unit], warnings: &mut Vec<Diagnostic>) {
    for unit in units {
        if unit.value("Service", "Restart").as_deref() != Some("always") {
            continue;
        }
        let interval = last_of(unit, &["StartLimitIntervalSec", "StartLimitInterval"])
            .and_then(|v| parse_timespan(&v));
        let burst = last_of(unit, &["StartLimitBurst"]).and_then(|v| v.trim().parse::<u32>().ok());
        let delay = unit
            .value("Service", "RestartSec")
            .and_then(|v| parse_timespan(&v));
        let (Some(interval), Some(burst), Some(delay)) = (interval, burst, delay) else {
            continue;
        };
        if interval.is_zero() {
            continue; // 0 disables the limit on purpose.
        }
        let needed = delay.saturating_mul(burst);
        if interval < needed {
            warnings.push(
                Diagnostic::warning(
                    &ecosystem.source,
                    unit.origin,
                    format!(
                        "{}: StartLimitIntervalSec={}s is shorter than StartLimitBurst={burst} x RestartSec={}ms = {}ms, so the start limit can never trip and a crash loop never stops",
                        unit.name,
                        interval.as_secs_f64(),
                        delay.as_millis(),
                        needed.as_millis()
                    ),
                )
                .with_hint("raise StartLimitIntervalSec= or lower RestartSec=/StartLimitBurst="),
            );
        }
    }
}

/// Warns about two apps set to listen on one port, and about the instances of one app
/// that would contend for a port systemd does not hold for them.
pub fn duplicate_ports(
    ecosystem: &Ecosystem,
    instances: &[Vec<Instance>],
    warnings: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<u16, (&str, bool)> = BTreeMap::new();
    for (app, app_instances) in ecosystem.apps.iter().zip(instances) {
        let mut contended = BTreeMap::new();
        for instance in app_instances {
            for listen in &instance.listen {
                if !instance.sockets {
                    *contended.entry(listen.port).or_insert(0_u32) += 1;
                }
                match seen.get(&listen.port) {
                    Some((other, other_sockets)) if *other != app.name => {
                        let outcome = if instance.sockets && *other_sockets {
                            "systemd would bind it for both (ReusePort=yes) and split the connections between the two apps"
                        } else {
                            "one of them cannot listen"
                        };
                        warnings.push(
                            app_warning(
                                ecosystem,
                                app,
                                format!(
                                    "port {} is used by both app `{other}` and app `{}`: {outcome}",
                                    listen.port, app.name
                                ),
                            )
                            .with_hint("give each app its own port"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(listen.port, (&app.name, instance.sockets));
                    }
                }
            }
        }
        for (port, count) in contended.into_iter().filter(|(_, count)| *count > 1) {
            warnings.push(
                app_warning(
                    ecosystem,
                    app,
                    format!(
                        "{count} instances would all bind port {port} themselves: one wins, the others fail with EADDRINUSE (PM2 shared it through Node's cluster module)"
                    ),
                )
                .with_hint("run the app with node directly so that systemd holds the port for every instance, or set `increment_var` to give each instance its own port"),
            );
        }
    }
}

/// Warns about scripts that do not exist (yet) on this host.
pub fn missing_scripts(ecosystem: &Ecosystem, warnings: &mut Vec<Diagnostic>) {
    for app in &ecosystem.apps {
        if let Some(script) = app.command.script.as_ref().filter(|s| !s.exists()) {
            warnings.push(app_warning(
                ecosystem,
                app,
                format!("script {} does not exist on this host", script.display()),
            ));
        }
    }
}

/// The ecosystem's own warnings (ignored PM2 attributes, near misses), each once.
pub fn parse_warnings(ecosystem: &Ecosystem) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    for warning in &ecosystem.warnings {
        if !out.iter().any(|w| w.message == warning.message) {
            out.push(warning.clone());
        }
    }
    out
}

/// The group's memory arithmetic: the sum of the agents' ceilings against the slice
/// budget and the host's RAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryMath {
    /// Apps of the ecosystem.
    pub agents: usize,
    /// Their processes (service units; cluster apps have several).
    pub processes: usize,
    /// Sum of their `MemoryMax=`.
    pub ceilings: u64,
    /// Agents without a ceiling.
    pub unlimited: usize,
    /// The slice's `MemoryMax=`.
    pub budget: Option<u64>,
    /// The host's RAM.
    pub host: Option<u64>,
}

/// Bytes for people: `7.9 GiB`, `512 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl fmt::Display for MemoryMath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} agents", self.agents)?;
        if self.processes != self.agents {
            write!(f, " ({} processes)", self.processes)?;
        }
        write!(f, ", {} of ceilings", human_bytes(self.ceilings))?;
        if self.unlimited > 0 {
            write!(f, " ({} without one)", self.unlimited)?;
        }
        if let Some(budget) = self.budget {
            write!(f, ", slice budget {}", human_bytes(budget))?;
        }
        if let Some(host) = self.host {
            write!(f, ", host {}", human_bytes(host))?;
        }
        Ok(())
    }
}

impl MemoryMath {
    /// A warning when the ceilings exceed the budget or the host.
    pub fn warning(&self, ecosystem: &Ecosystem) -> Option<Diagnostic> {
        let over_budget = self.budget.is_some_and(|b| self.ceilings > b);
        let over_host = self.host.is_some_and(|h| self.ceilings > h);
        (over_budget || over_host).then(|| {
            let what = match (over_budget, over_host) {
                (true, true) => "the slice budget and the host's RAM",
                (true, false) => "the slice budget",
                _ => "the host's RAM",
            };
            Diagnostic::warning(
                &ecosystem.source,
                None,
                format!("memory: {self}: the ceilings add up to more than {what}"),
            )
            .with_hint("agents rarely all peak at once, but the kernel will OOM-kill within the slice when they do")
        })
    }
}

/// Adds up the ceilings of every agent process.
pub fn memory_math(
    ecosystem: &Ecosystem,
    instances: &[Vec<Instance>],
    options: &PlanOptions,
) -> MemoryMath {
    let mut math = MemoryMath {
        agents: ecosystem.apps.len(),
        processes: 0,
        ceilings: 0,
        unlimited: 0,
        budget: ecosystem.settings.memory_budget,
        host: options.host_memory,
    };
    for (app, app_instances) in ecosystem.apps.iter().zip(instances) {
        for _ in app_instances {
            math.processes += 1;
            match app.max_memory {
                Some(max) => math.ceilings = math.ceilings.saturating_add(max),
                None => math.unlimited += 1,
            }
        }
    }
    math
}

/// Reads `MemTotal` from `/proc/meminfo` text, in bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Location;
    use crate::plan::testing::{app, ecosystem};
    use crate::plan::{Section, Value};

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("19s"), Some(Duration::from_secs(19)));
        assert_eq!(parse_timespan("100ms"), Some(Duration::from_millis(100)));
        assert_eq!(parse_timespan("1min 30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_timespan("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_timespan("10"), Some(Duration::from_secs(10)));
        assert_eq!(parse_timespan("soon"), None);
    }

    fn service(interval: &str, burst: &str, delay: &str) -> Unit {
        let mut unit = Section::new("Unit");
        unit.plain("StartLimitIntervalSec", interval.to_string());
        unit.plain("StartLimitBurst", burst.to_string());
        let mut service = Section::new("Service");
        service.plain("Restart", "always");
        service.plain("RestartSec", delay.to_string());
        Unit {
            name: "agents-a.service".into(),
            origin: Some(Location::new(4, 3)),
            notes: vec![],
            sections: vec![unit, service],
        }
    }

    #[test]
    fn start_limit_that_cannot_trip_is_linted() {
        let eco = ecosystem(vec![]);
        let mut w = Vec::new();
        start_limits(&eco, &[service("10s", "5", "3s")], &mut w);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("never trip"), "{}", w[0].message);
        let mut w = Vec::new();
        start_limits(&eco, &[service("20s", "5", "3s")], &mut w);
        start_limits(&eco, &[service("0", "5", "3s")], &mut w);
        assert!(w.is_empty());
    }

    #[test]
    fn a_raw_override_is_what_counts() {
        let eco = ecosystem(vec![]);
        let mut unit = service("60s", "5", "1s");
        unit.sections[0].push("StartLimitInterval", Value::Text("2s".into()));
        let mut w = Vec::new();
        start_limits(&eco, &[unit], &mut w);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn duplicate_unit_names_are_errors() {
        let eco = ecosystem(vec![]);
        let mut errors = Vec::new();
        let unit = service("1s", "1", "1s");
        duplicate_units(&eco, &[unit.clone(), unit], &mut errors);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].is_error());
    }

    #[test]
    fn duplicate_ports_are_linted() {
        let mut a = app("a");
        a.port = Some(3000);
        let mut b = app("b");
        b.port = Some(3000);
        let eco = ecosystem(vec![a, b]);
        let mut errors = Vec::new();
        let instances = super::super::cluster::expand_all(
            &eco,
            &PlanOptions::default(),
            &mut errors,
            &mut Vec::new(),
        );
        let mut w = Vec::new();
        duplicate_ports(&eco, &instances, &mut w);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("port 3000"));
        assert!(w[0].message.contains("split the connections"), "{}", w[0]);
    }

    #[test]
    fn instances_contend_for_a_port_only_without_sockets() {
        let mut a = app("a");
        a.instances = crate::ecosystem::Instances::Fixed(3);
        a.env.insert("HTTP_PORT".into(), "3000".into());
        let eco = ecosystem(vec![a]);
        for (preload, expected) in [(true, 0), (false, 1)] {
            let options = PlanOptions {
                preload,
                ..PlanOptions::default()
            };
            let instances =
                super::super::cluster::expand_all(&eco, &options, &mut Vec::new(), &mut Vec::new());
            let mut w = Vec::new();
            duplicate_ports(&eco, &instances, &mut w);
            assert_eq!(w.len(), expected, "{w:?}");
        }
    }

    #[test]
    fn memory_math_reads_like_a_sentence() {
        let math = MemoryMath {
            agents: 74,
            processes: 74,
            ceilings: 8_482_560_409,
            unlimited: 0,
            budget: None,
            host: Some(16 << 30),
        };
        assert_eq!(
            math.to_string(),
            "74 agents, 7.9 GiB of ceilings, host 16 GiB"
        );
        let eco = ecosystem(vec![]);
        assert!(math.warning(&eco).is_none());
        let over = MemoryMath {
            budget: Some(4 << 30),
            ..math
        };
        assert!(over.warning(&eco).unwrap().message.contains("slice budget"));
    }

    #[test]
    fn meminfo() {
        assert_eq!(
            parse_meminfo("MemTotal:       16384000 kB\nMemFree: 1 kB\n"),
            Some(16_384_000 * 1024)
        );
        assert_eq!(parse_meminfo("nothing"), None);
    }

    #[test]
    fn missing_scripts_are_linted() {
        let eco = ecosystem(vec![app("ghost")]);
        let mut w = Vec::new();
        missing_scripts(&eco, &mut w);
        assert_eq!(w.len(), 1);
    }
}
