//! Durations as PM2 writes them: a plain number is milliseconds; text is one or more
//! numbers with a unit (`500ms`, `60s`, `2m`, `1h`, `1d`, `1m30s`, `1.5s`).

use std::time::Duration;

/// Parses a duration given as text. A bare number (`"1500"`) is milliseconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid(text));
    }
    if trimmed.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let millis: f64 = trimmed.parse().map_err(|_| invalid(text))?;
        return from_millis(millis).ok_or_else(|| invalid(text));
    }
    let mut total = 0.0_f64;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
            return Err(invalid(text));
        }
        let value: f64 = number.parse().map_err(|_| invalid(text))?;
        let millis_per_unit = match unit.to_ascii_lowercase().as_str() {
            "ms" => 1.0,
            "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
            "h" | "hr" | "hour" | "hours" => 3_600_000.0,
            "d" | "day" | "days" => 86_400_000.0,
            _ => return Err(invalid(text)),
        };
        total += value * millis_per_unit;
        rest = after.trim_start();
    }
    from_millis(total).ok_or_else(|| invalid(text))
}

/// A duration from a number of milliseconds (PM2's unit for bare numbers).
pub fn from_millis(millis: f64) -> Option<Duration> {
    // A ceiling far beyond any sensible timeout keeps the conversion exact and safe.
    const MAX_MILLIS: f64 = 1e15;
    if millis.is_finite() && (0.0..MAX_MILLIS).contains(&millis) {
        Some(Duration::from_micros((millis * 1000.0).round() as u64))
    } else {
        None
    }
}

fn invalid(text: &str) -> String {
    format!(
        "invalid duration `{text}`: expected milliseconds or a number with a unit (ms, s, m, h, d), e.g. \"60s\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_numbers_are_milliseconds() {
        assert_eq!(parse("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(from_millis(250.0), Some(Duration::from_millis(250)));
    }

    #[test]
    fn units() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn compound_and_spaced() {
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h 5min"), Ok(Duration::from_secs(3900)));
        assert_eq!(parse(" 10 s "), Ok(Duration::from_secs(10)));
    }

    #[test]
    fn garbage_is_refused() {
        for text in [
            "",
            "s",
            "10x",
            "-5s",
            "1..5s",
            "5.s",
            "ten seconds",
            "1e3",
            "10s!",
        ] {
            assert!(parse(text).is_err(), "{text} accepted");
        }
    }

    #[test]
    fn out_of_range_is_refused() {
        assert!(parse("999999999999999999d").is_err());
        assert_eq!(from_millis(-1.0), None);
        assert_eq!(from_millis(f64::INFINITY), None);
    }
}
