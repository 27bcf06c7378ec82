//! The report's command-line quantities: sizes (`120M`), shares (`90%`), durations (`1h`).
//!
//! Sizes use systemd's binary suffixes (K, M, G, T = powers of 1024), as `MemoryMax=`
//! does; durations take s, m, h, d (or a bare number of seconds).

use std::time::Duration;

/// Parses a size such as `120M`, `1.5G` or `524288000` into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, multiplier) = match text.char_indices().last() {
        Some((at, suffix)) if suffix.is_ascii_alphabetic() => {
            let shift = match suffix.to_ascii_uppercase() {
                'B' => 0,
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("unknown size suffix `{suffix}` (use K, M, G or T)")),
            };
            (&text[..at], 1u64 << shift)
        }
        _ => (text, 1),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (for example 120M, 1G, 524288000)"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{text}` is not a size"));
    }
    let bytes = value * multiplier as f64;
    if bytes > u64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(bytes as u64)
}

/// Parses a share such as `90%` or `90` into a percentage (0-100].
pub fn parse_percent(text: &str) -> Result<u8, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<u8>() {
        Ok(percent) if (1..=100).contains(&percent) => Ok(percent),
        _ => Err(format!("`{text}` is not a share between 1% and 100%")),
    }
}

/// Parses a duration such as `90s`, `15m`, `1h`, `2d` or `3600`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((at, unit)) if unit.is_ascii_alphabetic() => (&text[..at], unit),
        _ => (text, 's'),
    };
    let seconds_per_unit = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("unknown duration unit `{unit}` (use s, m, h or d)")),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (for example 90s, 15m, 1h)"))?;
    match value.checked_mul(seconds_per_unit) {
        Some(0) => Err("the window must be longer than 0 s".to_string()),
        Some(seconds) => Ok(Duration::from_secs(seconds)),
        None => Err(format!("`{text}` is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_suffixes() {
        assert_eq!(parse_size("120M"), Ok(120 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1M").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn shares_are_percentages() {
        assert_eq!(parse_percent("90%"), Ok(90));
        assert_eq!(parse_percent("100"), Ok(100));
        assert!(parse_percent("0%").is_err());
        assert!(parse_percent("101%").is_err());
        assert!(parse_percent("ninety").is_err());
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
