//! `cron_restart` as PM2 reads it: a differential test of the translation to
//! `OnCalendar=` against the `croner` crate, the Rust flavour of the croner library PM2
//! schedules `cron_restart` with.
//!
//! Expressions are generated from a fixed seed over every form PM2 files use (numbers,
//! names, ranges, steps, lists, 5 and 6 fields, `L`, both day fields restricted), each
//! with its own base time. For each pair, croner's next firings are compared with the
//! firings `systemd-analyze calendar --iterations` computes for our `OnCalendar=`.
//! croner is configured as PM2's croner 4.1.97 behaves (a day of month and a day of week
//! must both match; seconds optional). The two readings that are croner 4's own (`a/n`
//! in the day of month or month, `?`) are left to the unit tests in `src/plan/cron.rs`,
//! whose expected times were read off croner 4.1.97 itself.

use std::process::Command;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use ecosystemd::plan::cron::to_on_calendar;
use jiff::civil::DateTime;

/// Expression/time pairs checked.
const PAIRS: usize = 10_000;
/// Expressions handed to one `systemd-analyze` call (they share its base time).
const PER_CALL: usize = 50;
/// Firings compared per pair.
const ITERATIONS: usize = 3;

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }
}

/// One field from `low..=high`; `names` may spell the values; `open_step` says whether
/// `a/n` may appear (not where croner 4 reads it its own way).
fn field(rng: &mut Rng, low: u64, high: u64, names: &[&str], open_step: bool) -> String {
    let value = |rng: &mut Rng| {
        let v = rng.range(low, high);
        match names.get((v - low) as usize) {
            Some(name) if rng.below(3) == 0 => name.to_string(),
            _ => v.to_string(),
        }
    };
    match rng.below(8) {
        0 | 1 => "*".into(),
        2 => value(rng),
        3 => format!("*/{}", rng.range(1, (high - low).max(1))),
        4 => {
            let a = rng.range(low, high);
            format!("{a}-{}", rng.range(a, high))
        }
        5 => {
            let a = rng.range(low, high);
            let b = rng.range(a, high);
            format!("{a}-{b}/{}", rng.range(1, (b - a).max(1)))
        }
        6 if open_step => format!("{}/{}", rng.range(low, high), rng.range(1, high - low)),
        _ => {
            let n = rng.range(2, 4);
            (0..n).map(|_| value(rng)).collect::<Vec<_>>().join(",")
        }
    }
}

fn expression(rng: &mut Rng) -> String {
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let mut fields = Vec::new();
    if rng.below(4) == 0 {
        fields.push(field(rng, 0, 59, &[], true));
    }
    fields.push(field(rng, 0, 59, &[], true));
    fields.push(field(rng, 0, 23, &[], true));
    fields.push(if rng.below(12) == 0 {
        "L".into()
    } else {
        field(rng, 1, 31, &[], false)
    });
    fields.push(field(rng, 1, 12, MONTHS, false));
    fields.push(field(rng, 0, 7, DAYS, true));
    fields.join(" ")
}

fn base_time(rng: &mut Rng) -> DateTime {
    let year = rng.range(2026, 2030) as i16;
    let month = rng.range(1, 12) as i8;
    let day = rng.range(1, 28) as i8;
    let hour = rng.range(0, 23) as i8;
    let minute = rng.range(0, 59) as i8;
    DateTime::new(year, month, day, hour, minute, rng.range(0, 59) as i8, 0).unwrap()
}

/// croner's next firings after `base`, as PM2's croner 4.1.97 reads `cron`.
fn croner_firings(cron: &str, base: DateTime) -> Vec<String> {
    let parser = CronParser::builder()
        .seconds(Seconds::Optional)
        .dom_and_dow(true)
        .sloppy_ranges(true)
        .build();
    let pattern: Cron = parser
        .parse(cron)
        .unwrap_or_else(|e| panic!("croner refuses `{cron}`: {e}"));
    let mut out = Vec::new();
    let mut at = base;
    while out.len() < ITERATIONS {
        match pattern.find_next_occurrence(&at, false) {
            Ok(next) => {
                out.push(next.strftime("%Y-%m-%d %H:%M:%S").to_string());
                at = next;
            }
            Err(_) => break,
        }
    }
    out
}

/// The firings of each expression after `base`, as systemd computes them.
fn systemd_firings(expressions: &[String], base: DateTime) -> Vec<Vec<String>> {
    let output = Command::new("systemd-analyze")
        .arg("calendar")
        .arg(format!("--iterations={ITERATIONS}"))
        .arg(format!(
            "--base-time={} UTC",
            base.strftime("%Y-%m-%d %H:%M:%S")
        ))
        .args(expressions)
        .env("TZ", "UTC")
        .output()
        .expect("systemd-analyze runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "systemd-analyze refused one of {expressions:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut all: Vec<Vec<String>> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Normalized form:") {
            all.push(Vec::new());
        } else if line.starts_with("Next elapse:") || line.starts_with("Iter. #") {
            // "Next elapse: Thu 2026-01-01 00:15:00 UTC"; "never" has no date.
            let words: Vec<&str> = line.split_whitespace().collect();
            if let (Some(current), true) = (all.last_mut(), words.len() >= 4) {
                let n = words.len();
                current.push(format!("{} {}", words[n - 3], words[n - 2]));
            }
        }
    }
    assert_eq!(all.len(), expressions.len(), "{text}");
    all
}

#[test]
fn every_timer_fires_when_pm2s_croner_fires() {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut checked = 0;
    let mut firings = 0;
    while checked < PAIRS {
        let base = base_time(&mut rng);
        let crons: Vec<String> = (0..PER_CALL).map(|_| expression(&mut rng)).collect();
        let calendars: Vec<String> = crons
            .iter()
            .map(|cron| match to_on_calendar(cron) {
                Ok(schedule) => {
                    assert!(
                        schedule.caveats.is_empty(),
                        "{cron}: {:?}",
                        schedule.caveats
                    );
                    schedule.on_calendar
                }
                Err(e) => panic!("`{cron}` is refused: {e}"),
            })
            .collect();
        let systemd = systemd_firings(&calendars, base);
        for ((cron, calendar), fired) in crons.iter().zip(&calendars).zip(systemd) {
            let expected = croner_firings(cron, base);
            assert_eq!(
                fired, expected,
                "`{cron}` -> OnCalendar={calendar}, after {base} UTC"
            );
            firings += expected.len();
        }
        checked += PER_CALL;
    }
    eprintln!("{checked} expression/time pairs, {firings} firings agree");
    assert!(firings > PAIRS, "most expressions fire at all");
}
