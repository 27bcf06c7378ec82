//! Sizes and durations written for people: `48.2 MiB`, `3h 12m`.

/// A byte count with a binary unit: `512 B`, `1.5 KiB`, `48.2 MiB`, `3.1 GiB`.
pub fn bytes(value: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if value < 1024 {
        return format!("{value} B");
    }
    let mut scaled = value as f64 / 1024.0;
    let mut unit = 0;
    while scaled >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    format!("{scaled:.1} {}", UNITS[unit])
}

/// A duration in its two largest units: `42s`, `5m 3s`, `3h 12m`, `2d 4h`.
pub fn duration(seconds: u64) -> String {
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, _) if secs == 0 => format!("{minutes}m"),
        (0, 0, _) => format!("{minutes}m {secs}s"),
        (0, _, _) if minutes == 0 => format!("{hours}h"),
        (0, _, _) => format!("{hours}h {minutes}m"),
        _ if hours == 0 => format!("{days}d"),
        _ => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pick_a_binary_unit() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(50 << 20), "50.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(bytes(u64::MAX), "16384.0 PiB");
    }

    #[test]
    fn durations_use_two_units() {
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(303), "5m 3s");
        assert_eq!(duration(3600), "1h");
        assert_eq!(duration(3 * 3600 + 12 * 60 + 5), "3h 12m");
        assert_eq!(duration(2 * 86_400 + 4 * 3600), "2d 4h");
        assert_eq!(duration(86_400), "1d");
    }
}
