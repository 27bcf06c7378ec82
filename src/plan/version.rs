//! The systemd version units are rendered for: `--systemd-version N`, else the host's.

/// The version assumed when the host's cannot be found (Debian 12's).
pub const FALLBACK_VERSION: u32 = 252;

/// Reads the version from `systemctl --version` output (`systemd 252 (252.38-1)`).
pub fn parse_systemctl_version(output: &str) -> Option<u32> {
    let first = output.lines().next()?;
    let mut words = first.split_whitespace();
    (words.next()? == "systemd").then_some(())?;
    let number = words.next()?;
    let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The host's systemd version, or [`FALLBACK_VERSION`] with a note saying why.
pub fn host_version() -> (u32, Option<String>) {
    let output = std::process::Command::new("systemctl")
        .arg("--version")
        .output();
    match output {
        Ok(output) if output.status.success() => {
            match parse_systemctl_version(&String::from_utf8_lossy(&output.stdout)) {
                Some(version) => (version, None),
                None => (
                    FALLBACK_VERSION,
                    Some(format!(
                        "could not read the version from `systemctl --version`; rendering for systemd {FALLBACK_VERSION} (pass --systemd-version)"
                    )),
                ),
            }
        }
        _ => (
            FALLBACK_VERSION,
            Some(format!(
                "`systemctl --version` did not run; rendering for systemd {FALLBACK_VERSION} (pass --systemd-version)"
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_distribution_version_strings() {
        assert_eq!(
            parse_systemctl_version("systemd 252 (252.38-1~deb12u1)\n+PAM +AUDIT"),
            Some(252)
        );
        assert_eq!(
            parse_systemctl_version("systemd 256~rc3 (256~rc3-1)"),
            Some(256)
        );
        assert_eq!(parse_systemctl_version("not systemd"), None);
        assert_eq!(parse_systemctl_version(""), None);
    }
}
