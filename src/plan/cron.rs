//! PM2's `cron_restart` (cron syntax, 5 or 6 fields) translated to systemd's
//! `OnCalendar=` (systemd.time(7), "Calendar Events").
//!
//! The reference is what PM2 does: PM2 7 schedules `cron_restart` with croner 4.1.97.
//! Fields map one to one: `a-b` becomes `a..b`, steps (`*/n`, `a-b/n`) become the list
//! of their values (systemd 252 misses some firings of its own repetitions), month and
//! weekday names are understood, Sunday is `0` or `7`, `L` in the day of month is the
//! month's last day (`~01`). Where both the day of month and the day of week are
//! restricted, croner 4 fires only when *both* match (`0 4 */2 * 1`: odd days that are
//! Mondays), unlike Vixie cron's either-or; systemd's single expression means the same.
//!
//! Two of croner 4's readings are its own, and kept so the timer fires when PM2's job
//! fired, each with a caveat the caller shows: `a/n` without an end in the day of month
//! or the month starts one later than written (`2/5` in the day of month fires on the
//! 3rd, 8th, ...), and `?` stands for the value at the moment PM2 started, which a
//! timer cannot know (here it means every value). The `@hourly`-style macros, which
//! croner 4 refuses, are understood; `@reboot` and the `W` and `#` extensions have no
//! translation and are refused.

use std::fmt::Write as _;

/// A translated `cron_restart`: the `OnCalendar=` expression and what differs from PM2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The `OnCalendar=` expression.
    pub on_calendar: String,
    /// One line for each place where the timer cannot fire exactly as PM2 did.
    pub caveats: Vec<String>,
}

/// Translates a cron expression into an `OnCalendar=` expression.
pub fn to_on_calendar(cron: &str) -> Result<Schedule, String> {
    let cron = cron.trim();
    if let Some(expression) = macro_expression(cron)? {
        return Ok(Schedule {
            on_calendar: expression.to_string(),
            caveats: Vec::new(),
        });
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
    let mut caveats = Vec::new();
    if fields.contains(&"?") {
        caveats.push(format!(
            "`?` in cron_restart `{cron}`: PM2 (croner 4) replaced it with the time PM2 started; the timer reads it as `*`"
        ));
    }
    let second = field(second, "second", 0, 59, &[])?;
    let minute = field(rest[0], "minute", 0, 59, &[])?;
    let hour = field(rest[1], "hour", 0, 23, &[])?;
    let day = day_of_month(rest[2], &mut caveats)?;
    let month = shifted_field(rest[3], "month", 12, &MONTHS, &mut caveats)?;
    let weekdays = weekdays(rest[4])?;
    let date = match day.strip_prefix('~') {
        Some(_) => format!("*-{month}~01"),
        None => format!("*-{month}-{day}"),
    };
    let on_calendar = match weekdays {
        None => format!("{date} {hour}:{minute}:{second}"),
        Some(days) => format!("{days} {date} {hour}:{minute}:{second}"),
    };
    Ok(Schedule {
        on_calendar,
        caveats,
    })
}

/// The day of month: `L` is the last day (returned as `~`), the rest as [`shifted_field`].
fn day_of_month(text: &str, caveats: &mut Vec<String>) -> Result<String, String> {
    if text.eq_ignore_ascii_case("l") {
        return Ok("~".into());
    }
    shifted_field(text, "day of month", 31, &[], caveats)
}

/// A component with repetitions (`01/27`, `03..20/5`) as the plain list of its values.
/// systemd 252 misses firings where a repeated component rolls over: `*-*-01/27` from
/// late November fires Nov 28, Dec 1, Dec 28, then Jan 28 (not Jan 1), and
/// `*-*-* 00/23:00/56:00` after 23:56 fires next at 00:56 (not 00:00). Lists are read
/// right.
fn listed(component: &str, max: u32) -> String {
    let mut values = std::collections::BTreeSet::new();
    for item in component.split(',') {
        let (range, step) = item.split_once('/').unwrap_or((item, "1"));
        let (first, last) = range.split_once("..").unwrap_or((range, ""));
        let first: u32 = first.parse().unwrap_or(max);
        let last: u32 = match (last.parse().ok(), item.contains('/')) {
            (Some(last), _) => last,
            (None, true) => max,
            (None, false) => first,
        };
        let step = step.parse::<usize>().unwrap_or(1).max(1);
        values.extend((first..=last.min(max)).step_by(step));
    }
    values
        .iter()
        .map(|v| format!("{v:02}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A field counted from 1 (day of month, month). croner 4 reads `a/n` without an end
/// from index `a` of a list that starts at 0, so it fires from `a + 1`: kept, with a
/// caveat.
fn shifted_field(
    text: &str,
    what: &str,
    max: u32,
    names: &[&str],
    caveats: &mut Vec<String>,
) -> Result<String, String> {
    let mut shifted = Vec::new();
    for item in text.split(',') {
        match item.split_once('/') {
            Some((start, step)) if start != "*" && !start.contains('-') => {
                let first = number(start, what, 1, max, names)?;
                if first == max {
                    return Err(format!(
                        "`{item}` in the {what}: PM2's croner 4 starts `a/n` at a + 1, past the last {what}"
                    ));
                }
                caveats.push(format!(
                    "`{item}` in the {what}: PM2 (croner 4) starts it at {}, not {first}; so does the timer (write `{first}-{max}/{step}` to start at {first})",
                    first + 1
                ));
                shifted.push(format!("{}/{step}", first + 1));
            }
            _ => shifted.push(item.to_string()),
        }
    }
    field(&shifted.join(","), what, 1, max, names)
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
        let (range, mut step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("step `{step}` in {what} `{text}` is not a positive number")
                })?;
                (range, Some(step))
            }
            None => (item, None),
        };
        // The first value, and whether the item runs on to the end of the field.
        let (first, open) = match range.split_once('-') {
            _ if range == "*" => (min, true),
            Some((start, end)) => {
                let start = number(start, what, min, max, names)?;
                let end = number(end, what, min, max, names)?;
                if start > end {
                    return Err(format!(
                        "range `{range}` in {what} runs backwards; write it as two ranges"
                    ));
                }
                if start == end {
                    // systemd refuses `20..20` for seconds (and `23/1` for hours): one
                    // value, with no step, is the same.
                    let _ = write!(out, "{start:02}");
                    step = None;
                } else {
                    let _ = write!(out, "{start:02}..{end:02}");
                }
                (start, false)
            }
            None => (number(range, what, min, max, names)?, true),
        };
        if open {
            let _ = write!(out, "{first:02}");
        }
        match step {
            // `a/n` means from a to the end of the field, every n: systemd's too, but
            // systemd refuses a step that leaves the field at once; that is just `a`.
            Some(step) if !open || first + step <= max => {
                let _ = write!(out, "/{step}");
            }
            Some(_) => {}
            // A bare `*` inside a list means every value.
            None if range == "*" => return Ok("*".into()),
            None => {}
        }
    }
    Ok(if out.contains('/') {
        listed(&out, max)
    } else {
        out
    })
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
            (a, if item.contains('/') { 7 } else { a })
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

    /// Each case: cron, the expected `OnCalendar=`, and the next three times PM2's
    /// croner 4.1.97 fires after Thu 2026-01-01 00:00:00 UTC (read off croner itself,
    /// independently of the translation).
    const CASES: &[(&str, &str, [&str; 3])] = &[
        (
            "*/15 * * * *",
            "*-*-* *:00,15,30,45:00",
            [
                "2026-01-01 00:15:00",
                "2026-01-01 00:30:00",
                "2026-01-01 00:45:00",
            ],
        ),
        (
            "0 9 * * 1-5",
            "Mon..Fri *-*-* 09:00:00",
            [
                "2026-01-01 09:00:00",
                "2026-01-02 09:00:00",
                "2026-01-05 09:00:00",
            ],
        ),
        (
            "30 2 1 * *",
            "*-*-01 02:30:00",
            [
                "2026-01-01 02:30:00",
                "2026-02-01 02:30:00",
                "2026-03-01 02:30:00",
            ],
        ),
        (
            "0 0 * * 0",
            "Sun *-*-* 00:00:00",
            [
                "2026-01-04 00:00:00",
                "2026-01-11 00:00:00",
                "2026-01-18 00:00:00",
            ],
        ),
        (
            "0 0 * * 7",
            "Sun *-*-* 00:00:00",
            [
                "2026-01-04 00:00:00",
                "2026-01-11 00:00:00",
                "2026-01-18 00:00:00",
            ],
        ),
        (
            "0 0 13 * 5",
            "Fri *-*-13 00:00:00",
            [
                "2026-02-13 00:00:00",
                "2026-03-13 00:00:00",
                "2026-11-13 00:00:00",
            ],
        ),
        (
            "0 */6 * * *",
            "*-*-* 00,06,12,18:00:00",
            [
                "2026-01-01 06:00:00",
                "2026-01-01 12:00:00",
                "2026-01-01 18:00:00",
            ],
        ),
        (
            "15,45 * * * *",
            "*-*-* *:15,45:00",
            [
                "2026-01-01 00:15:00",
                "2026-01-01 00:45:00",
                "2026-01-01 01:15:00",
            ],
        ),
        (
            "0 0 1 1 *",
            "*-01-01 00:00:00",
            [
                "2027-01-01 00:00:00",
                "2028-01-01 00:00:00",
                "2029-01-01 00:00:00",
            ],
        ),
        (
            "@daily",
            "*-*-* 00:00:00",
            [
                "2026-01-02 00:00:00",
                "2026-01-03 00:00:00",
                "2026-01-04 00:00:00",
            ],
        ),
        (
            "@hourly",
            "*-*-* *:00:00",
            [
                "2026-01-01 01:00:00",
                "2026-01-01 02:00:00",
                "2026-01-01 03:00:00",
            ],
        ),
        (
            "@weekly",
            "Sun *-*-* 00:00:00",
            [
                "2026-01-04 00:00:00",
                "2026-01-11 00:00:00",
                "2026-01-18 00:00:00",
            ],
        ),
        (
            "0 30 4 * * *",
            "*-*-* 04:30:00",
            [
                "2026-01-01 04:30:00",
                "2026-01-02 04:30:00",
                "2026-01-03 04:30:00",
            ],
        ),
        (
            "0 22 * * sat,sun",
            "Sat,Sun *-*-* 22:00:00",
            [
                "2026-01-03 22:00:00",
                "2026-01-04 22:00:00",
                "2026-01-10 22:00:00",
            ],
        ),
        (
            "0 12 * jan-mar mon",
            "Mon *-01..03-* 12:00:00",
            [
                "2026-01-05 12:00:00",
                "2026-01-12 12:00:00",
                "2026-01-19 12:00:00",
            ],
        ),
        (
            "5-20/5 3 * * *",
            "*-*-* 03:05,10,15,20:00",
            [
                "2026-01-01 03:05:00",
                "2026-01-01 03:10:00",
                "2026-01-01 03:15:00",
            ],
        ),
        (
            "0 4 */2 * *",
            "*-*-01,03,05,07,09,11,13,15,17,19,21,23,25,27,29,31 04:00:00",
            [
                "2026-01-01 04:00:00",
                "2026-01-03 04:00:00",
                "2026-01-05 04:00:00",
            ],
        ),
        (
            "0 8 * * 1,3,5",
            "Mon,Wed,Fri *-*-* 08:00:00",
            [
                "2026-01-02 08:00:00",
                "2026-01-05 08:00:00",
                "2026-01-07 08:00:00",
            ],
        ),
        (
            "0 4 */2 * 1",
            "Mon *-*-01,03,05,07,09,11,13,15,17,19,21,23,25,27,29,31 04:00:00",
            [
                "2026-01-05 04:00:00",
                "2026-01-19 04:00:00",
                "2026-02-09 04:00:00",
            ],
        ),
        (
            "0 0 L * *",
            "*-*~01 00:00:00",
            [
                "2026-01-31 00:00:00",
                "2026-02-28 00:00:00",
                "2026-03-31 00:00:00",
            ],
        ),
        (
            "0 0 L * 5",
            "Fri *-*~01 00:00:00",
            [
                "2026-07-31 00:00:00",
                "2027-04-30 00:00:00",
                "2027-12-31 00:00:00",
            ],
        ),
    ];

    #[test]
    fn translations() {
        for (cron, expected, _) in CASES {
            let schedule = to_on_calendar(cron).unwrap();
            assert_eq!(schedule.on_calendar, *expected, "{cron}");
            assert!(
                schedule.caveats.is_empty(),
                "{cron}: {:?}",
                schedule.caveats
            );
        }
    }

    /// croner 4's own readings: `a/n` in the day of month or month starts one later,
    /// `?` is the time PM2 started. The timer follows the first and says so for both.
    #[test]
    fn croner_quirks_are_kept_with_a_caveat() {
        for (cron, expected) in [
            ("0 0 2/5 * *", "*-*-03,08,13,18,23,28 00:00:00"),
            ("0 0 1 2/3 *", "*-03,06,09,12-01 00:00:00"),
            ("0 0 ? * *", "*-*-* 00:00:00"),
        ] {
            let schedule = to_on_calendar(cron).unwrap();
            assert_eq!(schedule.on_calendar, expected, "{cron}");
            assert_eq!(schedule.caveats.len(), 1, "{cron}: {:?}", schedule.caveats);
        }
        // croner 4 counts weekdays 0 to 7, so `a/n` reaches Sunday as 7.
        assert_eq!(
            to_on_calendar("0 0 * * 5/2").unwrap().on_calendar,
            "Fri,Sun *-*-* 00:00:00"
        );
        assert!(to_on_calendar("0 0 2-31/5 * *").unwrap().caveats.is_empty());
        assert!(to_on_calendar("0 0 31/5 * *").is_err());
    }

    #[test]
    fn unsupported_and_malformed_are_refused() {
        for cron in [
            "@reboot",
            "* * *",
            "61 * * * *",
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
            let expressions = [to_on_calendar(cron).unwrap().on_calendar];
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
