//! Memory sizes as PM2 writes them: `100M`, `1G`, `512K`, `1.5G`, or a plain number
//! of bytes. Units are binary (K = 1024), as in PM2; a trailing `B` or `iB` is
//! tolerated (`512MB`, `1GiB`), and case does not matter.

/// Parses a size given as text into bytes.
pub fn parse(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim_start();
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(invalid(text)),
    };
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(invalid(text));
    }
    let value: f64 = number.parse().map_err(|_| invalid(text))?;
    from_float(value * multiplier as f64).ok_or_else(|| invalid(text))
}

/// Converts a number of bytes given as a (possibly fractional) number.
pub fn from_float(bytes: f64) -> Option<u64> {
    if bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64 {
        Some(bytes.round() as u64)
    } else {
        None
    }
}

fn invalid(text: &str) -> String {
    format!(
        "invalid size `{text}`: expected a number of bytes or a number followed by K, M, G or T"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_binary() {
        assert_eq!(parse("100M"), Ok(100 * 1024 * 1024));
        assert_eq!(parse("1G"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse("512K"), Ok(512 * 1024));
        assert_eq!(parse("2T"), Ok(2 << 40));
    }

    #[test]
    fn fractions_are_accepted() {
        assert_eq!(parse("1.5G"), Ok(1536 * 1024 * 1024));
        assert_eq!(parse("0.5K"), Ok(512));
    }

    #[test]
    fn plain_numbers_are_bytes() {
        assert_eq!(parse("123456"), Ok(123_456));
        assert_eq!(parse("0"), Ok(0));
    }

    #[test]
    fn byte_suffixes_and_case_are_tolerated() {
        assert_eq!(parse("512MB"), Ok(512 << 20));
        assert_eq!(parse("1gib"), Ok(1 << 30));
        assert_eq!(parse("100 m"), Ok(100 << 20));
        assert_eq!(parse("100b"), Ok(100));
    }

    #[test]
    fn garbage_is_refused() {
        for text in [
            "", "M", "100X", "1.2.3M", "-5M", "1e3", ".5G", "5.G", "lots", "100MM",
        ] {
            assert!(parse(text).is_err(), "{text} accepted");
        }
    }

    #[test]
    fn overflow_is_refused() {
        assert!(parse("99999999999T").is_err());
        assert_eq!(from_float(f64::NAN), None);
        assert_eq!(from_float(-1.0), None);
    }
}
