//! PM2's `cron_restart` (cron syntax, 5 or 6 fields) translated to systemd's
//! `OnCalendar=` (systemd.time(7), "Calendar Events").
//!
//! Fields map one to one: `a-b` becomes `a..b`, `*/n` becomes `<first>/n`, month and
//! weekday names are understood, Sunday is `0` or `7`. Where cron restricts both the
//! day of month and the day of week it fires when *either* matches; systemd's single
//! expression would need both, so that case becomes two `OnCalendar=` lines (systemd
//! fires on any of them). The `@hourly`-style macros are understood; `@reboot` and the
//! `L`, `W` and `#` extensions have no faithful translation and are refused.

use std::fmt::Write as _;

/// Translates a cron expression into one or more `OnCalendar=` expressions.
pub fn to_on_calendar(cron: &str) -> Result<Vec<String>, String> {
    let cron = cron.trim();
    if let Some(expression) = macro_expression(cron)? {
        return Ok(vec![expression.to_string()]);
    }
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let (second, rest) = match fields.len() {
        5 => ("0", &fields[..]),
        6 => (fields[0], &fields[1..]),
        n => {
            return Err(format!(
                "cron expression `{cron}` has {n} fields; expected 5 (minute hour day month weekday) or 6 (with seconds first)"
            ));
        }
    };
    let second = field(second, "second", 0, 59, &[])?;
    let minute = field(rest[0], "minute", 0, 59, &[])?;
    let hour = field(rest[1], "hour", 0, 23, &[])?;
    let day = field(rest[2], "day of month", 1, 31, &[])?;
    let month = field(rest[3], "month", 1, 12, &MONTHS)?;
    let weekdays = weekdays(rest[4])?;
    let time = format!("{hour}:{minute}:{second}");
    Ok(match weekdays {
        None => vec![format!("*-{month}-{day} {time}")],
        Some(days) if day == "*" => vec![format!("{days} *-{month}-* {time}")],
        Some(days) => vec![
            format!("*-{month}-{day} {time}"),
            format!("{days} *-{month}-* {time}"),
        ],
    })
}

fn macro_expression(cron: &str) -> Result<Option<&'static str>, String> {
    if !cron.starts_with('@') {
        return Ok(None);
    }
    Ok(Some(match cron.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "*-01-01 00:00:00",
        "@monthly" => "*-*-01 00:00:00",
        "@weekly" => "Sun *-*-* 00:00:00",
        "@daily" | "@midnight" => "*-*-* 00:00:00",
        "@hourly" => "*-*-* *:00:00",
        _ => {
            return Err(format!(
                "cron macro `{cron}` has no timer equivalent; use @hourly, @daily, @weekly, @monthly or @yearly, or five fields"
            ));
        }
    }))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const CRON_DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/// systemd's weekday names, Monday first (its week order).
const SYSTEMD_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn number(text: &str, what: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    let value = match names.iter().position(|n| *n == lower) {
        Some(index) => index as u32 + min,
        None => text.parse::<u32>().map_err(|_| {
            format!("`{text}` is not a valid {what} in a cron expression (expected {min}-{max})")
        })?,
    };
    if value < min || value > max {
        return Err(format!(
            "{what} `{text}` is out of range in a cron expression (expected {min}-{max})"
        ));
    }
    Ok(value)
}

fn refuse_extensions(text: &str, what: &str) -> Result<(), String> {
    if text.contains(['L', 'W', '#', 'l', 'w'])
        && !text
            .chars()
            .any(|c| c.is_ascii_alphabetic() && !"LW#lw".contains(c))
    {
        return Err(format!(
            "the cron extension in {what} `{text}` (L, W, #) has no systemd calendar equivalent"
        ));
    }
    Ok(())
}

/// One numeric field as a systemd calendar component (`*`, `05`, `01..05/2`, `00,30`).
fn field(text: &str, what: &str, min: u32, max: u32, names: &[&str]) -> Result<String, String> {
    if text == "*" || text == "?" {
        return Ok("*".into());
    }
    refuse_extensions(text, what)?;
    let mut out = String::new();
    for (index, item) in text.split(',').enumerate() {
        if index > 0 {
            out.push(',');
        }
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("step `{step}` in {what} `{text}` is not a positive number")
                })?;
                (range, Some(step))
            }
            None => (item, None),
        };
        match range.split_once('-') {
            _ if range == "*" => {
                let _ = write!(out, "{min:02}");
            }
            Some((start, end)) => {
                let start = number(start, what, min, max, names)?;
                let end = number(end, what, min, max, names)?;
                if start > end {
                    return Err(format!(
                        "range `{range}` in {what} runs backwards; write it as two ranges"
                    ));
                }
                let _ = write!(out, "{start:02}..{end:02}");
            }
            None => {
                let value = number(range, what, min, max, names)?;
                let _ = write!(out, "{value:02}");
            }
        }
        if let Some(step) = step {
            // `a/n` means from a to the end of the field, every n: systemd's too.
            let _ = write!(out, "/{step}");
        } else if range == "*" {
            // A bare `*` inside a list means every value.
            return Ok("*".into());
        }
    }
    Ok(out)
}

/// The weekday field as a systemd weekday list, or `None` when it does not restrict.
fn weekdays(text: &str) -> Result<Option<String>, String> {
    if text == "*" || text == "?" {
        return Ok(None);
    }
    refuse_extensions(text, "day of week")?;
    // Days as a set, index 0 = Monday (systemd's order).
    let mut days = [false; 7];
    let day = |t: &str| -> Result<usize, String> {
        let cron_day = number(t, "day of week", 0, 7, &CRON_DAYS)?;
        Ok((cron_day as usize + 6) % 7)
    };
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<usize>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| {
                        format!("step `{step}` in day of week `{text}` is not a positive number")
                    })?,
            ),
            None => (item, 1),
        };
        // Work in cron numbering (0..=7) to honour steps, then map each day.
        let (start, end) = if range == "*" {
            (0, 6)
        } else if let Some((a, b)) = range.split_once('-') {
            let a = number(a, "day of week", 0, 7, &CRON_DAYS)?;
            let b = number(b, "day of week", 0, 7, &CRON_DAYS)?;
            if a > b {
                return Err(format!(
                    "range `{range}` in day of week runs backwards; write it as two ranges"
                ));
            }
            (a, b)
        } else {
            let a = number(range, "day of week", 0, 7, &CRON_DAYS)?;
            (a, if item.contains('/') { 6 } else { a })
        };
        for cron_day in (start..=end).step_by(step) {
            days[day(&cron_day.to_string())?] = true;
        }
    }
    if days.iter().all(|d| *d) {
        return Ok(None);
    }
    // Runs of consecutive days as `A..B`, others listed.
    let mut parts = Vec::new();
    let mut index = 0;
    while index < 7 {
        if !days[index] {
            index += 1;
            continue;
        }
        let start = index;
        while index + 1 < 7 && days[index + 1] {
            index += 1;
        }
        parts.push(if index > start + 1 {
            format!("{}..{}", SYSTEMD_DAYS[start], SYSTEMD_DAYS[index])
        } else if index == start + 1 {
            format!("{},{}", SYSTEMD_DAYS[start], SYSTEMD_DAYS[index])
        } else {
            SYSTEMD_DAYS[start].to_string()
        });
        index += 1;
    }
    Ok(Some(parts.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each case: cron, the expected `OnCalendar=` lines, and the next three times
    /// cron itself would fire after Thu 2026-01-01 00:00:00 UTC (worked out by hand
    /// from cron's rules, independently of the translation).
    const CASES: &[(&str, &[&str], [&str; 3])] = &[
        (
            "*/15 * * * *",
            &["*-*-* *:00/15:00"],
            [
                "2026-01-01 00:15:00",
                "2026-01-01 00:30:00",
                "2026-01-01 00:45:00",
            ],
        ),
        (
            "0 9 * * 1-5",
            &["Mon..Fri *-*-* 09:00:00"],
            [
                "2026-01-01 09:00:00",
                "2026-01-02 09:00:00",
                "2026-01-05 09:00:00",
            ],
        ),
        (
            "30 2 1 * *",
            &["*-*-01 02:30:00"],
            [
                "2026-01-01 02:30:00",
                "2026-02-01 02:30:00",
                "2026-03-01 02:30:00",
            ],
        ),
        (
            "0 0 * * 0",
            &["Sun *-*-* 00:00:00"],
            [
                "2026-01-04 00:00:00",
                "2026-01-11 00:00:00",
                "2026-01-18 00:00:00",
            ],
        ),
        (
            "0 0 * * 7",
            &["Sun *-*-* 00:00:00"],
            [
                "2026-01-04 00:00:00",
                "2026-01-11 00:00:00",
                "2026-01-18 00:00:00",
            ],
        ),
        (
            "0 0 13 * 5",
            &["*-*-13 00:00:00", "Fri *-*-* 00:00:00"],
            [
                "2026-01-02 00:00:00",
                "2026-01-09 00:00:00",
                "2026-01-13 00:00:00",
            ],
        ),
        (
            "0 */6 * * *",
            &["*-*-* 00/6:00:00"],
            [
                "2026-01-01 06:00:00",
                "2026-01-01 12:00:00",
                "2026-01-01 18:00:00",
            ],
        ),
        (
            "15,45 * * * *",
            &["*-*-* *:15,45:00"],
            [
                "2026-01-01 00:15:00",
                "2026-01-01 00:45:00",
                "2026-01-01 01:15:00",
            ],
        ),
        (
            "0 0 1 1 *",
            &["*-01-01 00:00:00"],
            [
                "2027-01-01 00:00:00",
                "2028-01-01 00:00:00",
                "2029-01-01 00:00:00",
            ],
        ),
        (
            "@daily",
            &["*-*-* 00:00:00"],
            [
                "2026-01-02 00:00:00",
                "2026-01-03 00:00:00",
                "2026-01-04 00:00:00",
            ],
        ),
        (
            "@hourly",
            &["*-*-* *:00:00"],
            [
                "2026-01-01 01:00:00",
                "2026-01-01 02:00:00",
                "2026-01-01 03:00:00",
            ],
        ),
        (
            "@weekly",
            &["Sun *-*-* 00:00:00"],
            [
                "2026-01-04 00:00:00",
                "2026-01-11 00:00:00",
                "2026-01-18 00:00:00",
            ],
        ),
        (
            "0 30 4 * * *",
            &["*-*-* 04:30:00"],
            [
                "2026-01-01 04:30:00",
                "2026-01-02 04:30:00",
                "2026-01-03 04:30:00",
            ],
        ),
        (
            "0 22 * * sat,sun",
            &["Sat,Sun *-*-* 22:00:00"],
            [
                "2026-01-03 22:00:00",
                "2026-01-04 22:00:00",
                "2026-01-10 22:00:00",
            ],
        ),
        (
            "0 12 * jan-mar mon",
            &["Mon *-01..03-* 12:00:00"],
            [
                "2026-01-05 12:00:00",
                "2026-01-12 12:00:00",
                "2026-01-19 12:00:00",
            ],
        ),
        (
            "5-20/5 3 * * *",
            &["*-*-* 03:05..20/5:00"],
            [
                "2026-01-01 03:05:00",
                "2026-01-01 03:10:00",
                "2026-01-01 03:15:00",
            ],
        ),
        (
            "0 4 */2 * *",
            &["*-*-01/2 04:00:00"],
            [
                "2026-01-01 04:00:00",
                "2026-01-03 04:00:00",
                "2026-01-05 04:00:00",
            ],
        ),
        (
            "0 8 * * 1,3,5",
            &["Mon,Wed,Fri *-*-* 08:00:00"],
            [
                "2026-01-02 08:00:00",
                "2026-01-05 08:00:00",
                "2026-01-07 08:00:00",
            ],
        ),
    ];

    #[test]
    fn translations() {
        for (cron, expected, _) in CASES {
            assert_eq!(
                to_on_calendar(cron).as_deref(),
                Ok(expected
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .as_slice()),
                "{cron}"
            );
        }
    }

    #[test]
    fn unsupported_and_malformed_are_refused() {
        for cron in [
            "@reboot",
            "* * *",
            "61 * * * *",
            "0 0 L * *",
            "0 0 * * 5#2",
            "*/0 * * * *",
            "0 0 * * 5-1",
            "x * * * *",
            "0 24 * * *",
        ] {
            assert!(to_on_calendar(cron).is_err(), "{cron}");
        }
    }

    /// Every translation is checked against systemd itself: `systemd-analyze calendar`
    /// must accept each expression, and the union of their next firings must be
    /// exactly cron's.
    #[test]
    fn systemd_fires_when_cron_would() {
        for (cron, _, times) in CASES {
            let expressions = to_on_calendar(cron).unwrap();
            let mut fired = Vec::new();
            for expression in &expressions {
                let output = std::process::Command::new("systemd-analyze")
                    .args([
                        "calendar",
                        "--iterations=3",
                        "--base-time=2026-01-01 00:00:00 UTC",
                        expression,
                    ])
                    .env("TZ", "UTC")
                    .output()
                    .expect("systemd-analyze runs");
                let text = String::from_utf8_lossy(&output.stdout);
                assert!(
                    output.status.success(),
                    "{cron} -> {expression}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                for line in text.lines() {
                    let line = line.trim();
                    if line.starts_with("Next elapse:") || line.starts_with("Iter. #") {
                        // "Next elapse: Thu 2026-01-01 00:15:00 UTC"
                        let words: Vec<&str> = line.split_whitespace().collect();
                        let n = words.len();
                        fired.push(format!("{} {}", words[n - 3], words[n - 2]));
                    }
                }
            }
            fired.sort();
            fired.dedup();
            fired.truncate(3);
            assert_eq!(fired, times.to_vec(), "{cron} -> {expressions:?}");
        }
    }
}
