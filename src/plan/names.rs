//! Unit names: from app names as written to valid, stable, unique systemd unit names.
//!
//! The scheme: ASCII letters, digits, `_`, `-`, `.` and `:` are kept as they are (so
//! `email-sender` stays readable); every other byte of the name's UTF-8 form is written
//! `\xNN`, like `systemd-escape` does (`my app/v2` becomes `my\x20app\x2fv2`), and so
//! is a leading `.`. `\` itself is escaped, so two different names never give the same
//! unit name. Unit names are `<prefix><escaped name>`; helper units add a suffix
//! (`-cron`, `-watch`, `-<instance>`), and planning refuses any collision.

use std::fmt::Write as _;

/// The longest unit name systemd accepts, suffix included.
pub const UNIT_NAME_MAX: usize = 255;

/// Escapes an app name into the part of a unit name after the prefix.
pub fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (index, byte) in name.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'_' | b'-' | b':')
            || (byte == b'.' && index > 0);
        if keep {
            out.push(byte as char);
        } else {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// The stem of an app's units: `<prefix><escaped name>`.
pub fn stem(prefix: &str, name: &str) -> String {
    format!("{prefix}{}", escape(name))
}

/// Why an app name cannot be used, if it cannot: it appears verbatim in
/// `Description=` and in the `[X-Ecosystemd]` section, which hold one line each.
pub fn check_app_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the app name is empty".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the app name {name:?} contains the control character {c:?}"
        ));
    }
    if name.trim() != name {
        return Err(format!(
            "the app name {name:?} starts or ends with whitespace"
        ));
    }
    Ok(())
}

/// Why `unit` (a full name with its suffix) cannot be a unit name, if it cannot.
pub fn check_unit_name(unit: &str) -> Result<(), String> {
    if unit.len() > UNIT_NAME_MAX {
        return Err(format!(
            "unit name `{unit}` is {} characters long; systemd allows {UNIT_NAME_MAX}",
            unit.len()
        ));
    }
    let Some((stem, suffix)) = unit.rsplit_once('.') else {
        return Err(format!("unit name `{unit}` has no type suffix"));
    };
    if stem.is_empty() || suffix.is_empty() {
        return Err(format!("unit name `{unit}` is incomplete"));
    }
    if let Some(bad) = stem
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.:\\".contains(*c)))
    {
        return Err(format!(
            "unit name `{unit}` contains {bad:?}, which systemd does not allow in unit names"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_names_stay_readable() {
        assert_eq!(escape("email-sender_v2.1"), "email-sender_v2.1");
        assert_eq!(stem("agents-", "prices"), "agents-prices");
    }

    #[test]
    fn other_bytes_are_hex_escaped() {
        assert_eq!(escape("my app/v2"), r"my\x20app\x2fv2");
        assert_eq!(escape(".hidden"), r"\x2ehidden");
        assert_eq!(escape("a@b"), r"a\x40b");
        assert_eq!(escape("back\\slash"), r"back\x5cslash");
        assert_eq!(escape("é"), r"\xc3\xa9");
    }

    #[test]
    fn escaping_is_injective_on_tricky_pairs() {
        let pairs = [
            ("a b", "a_b"),
            ("a/b", "a-b"),
            (r"a\x20b", "a b"),
            ("a.b", "a:b"),
        ];
        for (left, right) in pairs {
            assert_ne!(escape(left), escape(right), "{left} vs {right}");
        }
    }

    #[test]
    fn escaped_names_are_valid_unit_names() {
        for name in ["my app", "x/y", "ü", "a@b", ".x", "-x", "%n", "a\nb"] {
            let unit = format!("{}.service", stem("agents-", name));
            assert_eq!(check_unit_name(&unit), Ok(()), "{name}");
        }
    }

    #[test]
    fn app_names_must_be_one_clean_line() {
        assert_eq!(check_app_name("my app/v2 100%"), Ok(()));
        for bad in ["", " a", "a ", "a\nb", "a\u{7f}"] {
            assert!(check_app_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn invalid_unit_names_are_refused() {
        assert!(check_unit_name(&format!("{}.service", "a".repeat(250))).is_err());
        assert!(check_unit_name("a b.service").is_err());
        assert!(check_unit_name("ab").is_err());
        assert!(check_unit_name(".service").is_err());
    }
}
