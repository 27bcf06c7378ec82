//! systemd's value grammars, as systemd 252 reads unit files: time spans, sizes,
//! booleans, signals, unit names and paths. Each function answers whether systemd
//! would take the text (or ignore the line with a warning); none of them converts.
//!
//! Each follows the parser named in its comment (systemd's `src/basic/`), checked
//! against `systemd-analyze verify` on the values in the tests.

/// Unit suffixes of a time span and their length in microseconds, in the order
/// `extract_multiplier()` tries them (the first prefix that matches wins, so `5mins` is
/// `5min` followed by a stray `s`).
const TIME_UNITS: &[(&str, u64)] = &[
    ("seconds", SEC),
    ("second", SEC),
    ("sec", SEC),
    ("s", SEC),
    ("minutes", 60 * SEC),
    ("minute", 60 * SEC),
    ("min", 60 * SEC),
    ("months", 2_629_800 * SEC),
    ("month", 2_629_800 * SEC),
    ("M", 2_629_800 * SEC),
    ("msec", 1_000),
    ("ms", 1_000),
    ("m", 60 * SEC),
    ("hours", 3_600 * SEC),
    ("hour", 3_600 * SEC),
    ("hr", 3_600 * SEC),
    ("h", 3_600 * SEC),
    ("days", 86_400 * SEC),
    ("day", 86_400 * SEC),
    ("d", 86_400 * SEC),
    ("weeks", 604_800 * SEC),
    ("week", 604_800 * SEC),
    ("w", 604_800 * SEC),
    ("years", 31_557_600 * SEC),
    ("year", 31_557_600 * SEC),
    ("y", 31_557_600 * SEC),
    ("usec", 1),
    ("us", 1),
    ("\u{3bc}s", 1),
    ("\u{b5}s", 1),
];

/// A second in microseconds.
const SEC: u64 = 1_000_000;

/// `parse_sec()`: `infinity`, or numbers each with an optional unit (`1min 30s`, `1.5h`,
/// `500ms`, a bare `90` in seconds), the sum below 2^64 microseconds. With `nanoseconds`
/// (`parse_nsec()`), also `ns`/`nsec`, a bare number is nanoseconds and the sum is
/// counted in them.
pub fn time_span(text: &str, nanoseconds: bool) -> bool {
    if let Some(rest) = text.strip_prefix("infinity") {
        return rest.trim().is_empty();
    }
    let scale = if nanoseconds { 1_000 } else { 1 };
    let mut rest = text;
    let mut total: u64 = 0;
    let mut something = false;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return something;
        }
        let Some((integer, fraction, after)) = span_number(rest) else {
            return false;
        };
        let spaced = after.trim_start();
        let unit = TIME_UNITS.iter().map(|&(u, m)| (u, m * scale)).chain(
            nanoseconds
                .then_some([("nsec", 1), ("ns", 1)])
                .into_iter()
                .flatten(),
        );
        let found = unit.into_iter().find(|(unit, _)| spaced.starts_with(unit));
        let multiplier = match found {
            Some((unit, multiplier)) => {
                rest = &spaced[unit.len()..];
                multiplier
            }
            None if after.len() != spaced.len() || after.is_empty() => {
                rest = spaced;
                if nanoseconds { 1 } else { SEC }
            }
            None => return false,
        };
        let Some(sum) = add_span(total, integer, fraction, multiplier) else {
            return false;
        };
        total = sum;
        something = true;
    }
}

/// `total` plus `integer.fraction` times `multiplier`, refused (`None`) where systemd
/// refuses it: at or past 2^64 - 1 (its infinity).
fn add_span(total: u64, integer: u64, fraction: &str, multiplier: u64) -> Option<u64> {
    if integer >= u64::MAX / multiplier {
        return None;
    }
    let whole = integer * multiplier;
    if whole >= u64::MAX - total {
        return None;
    }
    let mut total = total + whole;
    let mut step = multiplier / 10;
    for digit in fraction.bytes() {
        let part = u64::from(digit - b'0') * step;
        if part >= u64::MAX - total {
            return None;
        }
        total += part;
        step /= 10;
    }
    Some(total)
}

/// One number of a time span, as `strtoll()` then an optional `.digits`: its integer
/// part, its decimals and the text after them. No sign but `+`; a `.` must be followed
/// by a digit.
fn span_number(text: &str) -> Option<(u64, &str, &str)> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let (integer, after) = unsigned.split_at(leading_digits(unsigned));
    let value = if integer.is_empty() {
        if unsigned.len() != text.len() {
            return None;
        }
        0
    } else {
        u64::try_from(integer.parse::<i64>().ok()?).ok()?
    };
    let Some(fraction) = after.strip_prefix('.') else {
        return (!integer.is_empty()).then_some((value, "", after));
    };
    let decimals = leading_digits(fraction);
    (decimals > 0).then(|| (value, &fraction[..decimals], &fraction[decimals..]))
}

/// How many ASCII digits `text` starts with.
fn leading_digits(text: &str) -> usize {
    text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len()
}

/// `parse_size()`'s suffixes with base 1024, largest first; `""` is bytes.
const SIZE_SUFFIXES: &[(&str, u32)] = &[
    ("E", 60),
    ("P", 50),
    ("T", 40),
    ("G", 30),
    ("M", 20),
    ("K", 10),
    ("B", 0),
    ("", 0),
];

/// `parse_size()` with base 1024: numbers each with an optional `K`, `M`, `G`, `T`, `P`,
/// `E` or `B`, in falling order (`1.5G`, `1G 512M`, `10.M`); the suffixes are upper
/// case only, and the sum fits 64 bits.
pub fn size(text: &str) -> bool {
    let mut rest = text;
    let mut next_suffix = 0;
    let mut total: u128 = 0;
    loop {
        rest = rest.trim_start();
        let unsigned = rest.strip_prefix('+').unwrap_or(rest);
        let digits = leading_digits(unsigned);
        let Ok(integer) = unsigned[..digits].parse::<u64>() else {
            return false;
        };
        let mut after = &unsigned[digits..];
        let mut fraction = 0.0;
        if let Some(decimals) = after.strip_prefix('.') {
            let count = leading_digits(decimals);
            fraction = format!("0.{}", &decimals[..count]).parse().unwrap_or(0.0);
            after = &decimals[count..];
        }
        after = after.trim_start();
        let Some(offset) = SIZE_SUFFIXES[next_suffix..]
            .iter()
            .position(|(suffix, _)| after.starts_with(suffix))
        else {
            return false;
        };
        let (suffix, shift) = SIZE_SUFFIXES[next_suffix + offset];
        next_suffix += offset + 1;
        let factor = 1u128 << shift;
        total += u128::from(integer) * factor + (fraction * factor as f64) as u128;
        if total > u128::from(u64::MAX) {
            return false;
        }
        rest = &after[suffix.len()..];
        if rest.is_empty() {
            return true;
        }
    }
}

/// `parse_boolean()`: `1`, `yes`, `y`, `true`, `t`, `on` and their negations, in any case.
pub fn boolean(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "1", "yes", "y", "true", "t", "on", "0", "no", "n", "false", "f", "off",
    ];
    WORDS.iter().any(|word| word.eq_ignore_ascii_case(text))
}

/// `safe_atou()`/`safe_atou64()`: a decimal, `0x` hexadecimal or `0` octal number, with an
/// optional `+`, that fits `max`.
pub fn unsigned(text: &str, max: u64) -> bool {
    let text = text.strip_prefix('+').unwrap_or(text);
    let parsed = if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        u64::from_str_radix(&text[1..], 8)
    } else {
        text.parse::<u64>()
    };
    parsed.is_ok_and(|value| value <= max)
}

/// `safe_atoi()` within `min..=max` (decimal, with an optional sign).
pub fn integer_in(text: &str, min: i64, max: i64) -> bool {
    let text = text.strip_prefix('+').unwrap_or(text);
    !text.starts_with(['+', ' ']) && text.parse::<i64>().is_ok_and(|v| (min..=max).contains(&v))
}

/// `parse_mode()`: octal digits up to `07777`.
pub fn mode(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| (b'0'..=b'7').contains(&b))
        && u32::from_str_radix(text, 8).is_ok_and(|mode| mode <= 0o7777)
}

/// `signal_from_string()`: a signal's name with or without `SIG`, `RTMIN+n`, `RTMAX-n`,
/// or its number.
pub fn signal(text: &str) -> bool {
    const NAMES: &[&str] = &[
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS",
    ];
    let name = text.strip_prefix("SIG").unwrap_or(text);
    if NAMES.contains(&name) || name == "RTMIN" || name == "RTMAX" {
        return true;
    }
    let realtime = |offset: &str| offset.parse::<u8>().is_ok_and(|n| n <= 30);
    if let Some(offset) = name.strip_prefix("RTMIN+") {
        return realtime(offset);
    }
    if let Some(offset) = name.strip_prefix("RTMAX-") {
        return realtime(offset);
    }
    name.len() == text.len() && text.parse::<u8>().is_ok_and(|n| (1..=64).contains(&n))
}

/// The unit types a unit name may end in.
const UNIT_TYPES: &[&str] = &[
    "service",
    "socket",
    "target",
    "device",
    "mount",
    "automount",
    "swap",
    "timer",
    "path",
    "slice",
    "scope",
];

/// `unit_name_is_valid()`: `prefix[@instance].type`, of letters, digits and `:-_.\`,
/// a template (`name@.service`) included, at most 255 characters.
pub fn unit_name(text: &str) -> bool {
    let Some((stem, kind)) = text.rsplit_once('.') else {
        return false;
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || ":-_.\\".contains(c);
    text.len() < 256
        && !stem.is_empty()
        && UNIT_TYPES.contains(&kind)
        && !stem.starts_with('@')
        && stem.chars().all(|c| valid(c) || c == '@')
}

/// An absolute path systemd keeps (`path_is_normalized()`): starting with `/`, with no
/// `..` component; `//` and `/./` are simplified away by systemd.
pub fn absolute_path(text: &str) -> bool {
    text.starts_with('/') && !text.split('/').any(|part| part == "..")
}

/// `valid_user_group_name()` as unit files use it (relaxed): not empty, `.` or `..`; no
/// `:` or `/`, no control characters, no whitespace at either end.
pub fn user_name(text: &str) -> bool {
    !text.is_empty()
        && text != "."
        && text != ".."
        && !text.contains([':', '/'])
        && !text.chars().any(char::is_control)
        && text.trim() == text
}

/// `documentation_url_is_valid()`: `http://`, `https://`, `file:`, `info:` or `man:`.
pub fn documentation_url(text: &str) -> bool {
    ["http://", "https://", "file:", "info:", "man:"]
        .iter()
        .any(|scheme| text.len() > scheme.len() && text.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_spans_as_systemd_reads_them() {
        for good in [
            "5",
            "5s",
            "1min 30s",
            "1min30s",
            "1.5s",
            ".5s",
            "+5s",
            "infinity",
            "5 6",
            "5 s",
            "2M",
            "1y 2w",
            "10\u{b5}s",
            "10\u{3bc}s",
            "5 min",
            "1h.5",
            "5seconds",
        ] {
            assert!(time_span(good, false), "{good}");
        }
        for bad in [
            "",
            "infinityx",
            "5x",
            "5mins",
            "12.34.56",
            "99999999999999999999",
            "5.",
            "-5s",
            "~~~2s",
            "s",
            ".",
            "+.5",
            "5ns",
            "18446744073709551615us",
            "5124095576030432h",
        ] {
            assert!(!time_span(bad, false), "{bad}");
        }
        assert!(time_span("5ns", true));
        assert!(time_span("200nsec 1us", true));
    }

    #[test]
    fn sizes_take_upper_case_suffixes() {
        for good in [
            "1G", "1.5G", "1G 512M", "4096", "10 M", "2B", "10.M", "1G 512",
        ] {
            assert!(size(good), "{good}");
        }
        for bad in [
            "", "1g", "10k", "G", "1.5.5G", "-1G", "lots", "512M 1G", "1 2", "16E",
        ] {
            assert!(!size(bad), "{bad}");
        }
    }

    #[test]
    fn booleans_numbers_and_modes() {
        assert!(boolean("YES") && boolean("off") && boolean("1"));
        assert!(!boolean("maybe") && !boolean(""));
        assert!(unsigned("0x10", u64::MAX) && unsigned("+5", u64::MAX) && unsigned("010", 8));
        assert!(!unsigned("-1", u64::MAX) && !unsigned("1K", u64::MAX) && !unsigned("", 9));
        assert!(integer_in("-1000", -1000, 1000) && integer_in("+5", -20, 19));
        assert!(!integer_in("-5000", -1000, 1000) && !integer_in("x", 0, 1));
        assert!(mode("022") && mode("7777") && !mode("999") && !mode("+022") && !mode("0x22"));
    }

    #[test]
    fn signals_by_name_or_number() {
        for good in ["TERM", "SIGTERM", "15", "SIGRTMIN+3", "RTMAX-2", "SIGWINCH"] {
            assert!(signal(good), "{good}");
        }
        for bad in ["sigterm", "", "SIG15", "99", "SIGRTMIN+99", "TERMINATE"] {
            assert!(!signal(bad), "{bad}");
        }
    }

    #[test]
    fn unit_names_and_paths() {
        for good in [
            "a.service",
            "foo@.service",
            "foo@bar.service",
            "x-y_z:1.target",
        ] {
            assert!(unit_name(good), "{good}");
        }
        for bad in [
            "!!bad",
            "x",
            "a b.service",
            "@a.service",
            "a.socks",
            ".service",
        ] {
            assert!(!unit_name(bad), "{bad}");
        }
        assert!(absolute_path("/a//b/./c") && !absolute_path("a/b") && !absolute_path("/a/../b"));
        assert!(documentation_url("man:systemd(1)") && !documentation_url("not"));
        for good in ["www-data", "1000", "-root", "bad user", "Ünïcode"] {
            assert!(user_name(good), "{good}");
        }
        for bad in ["a:b", "a/b", ".", "..", " x", "x\t", ""] {
            assert!(!user_name(bad), "{bad}");
        }
    }
}
