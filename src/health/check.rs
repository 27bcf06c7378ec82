//! A health check as written in the ecosystem file and carried in the unit file: what to
//! probe (an HTTP GET or a TCP connect) and Docker's timing words (`interval`, `timeout`,
//! `retries`, `start_period`). Pure data and text, no I/O.

use std::fmt;
use std::time::Duration;

/// The placeholder for the app's known port in `url:` and `tcp:`.
pub const PORT_PLACEHOLDER: &str = "{port}";

/// Defaults as Docker has them, except `interval` (Docker's 30 s is long for a restart).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// How long one probe may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Failed probes in a row that make the app unhealthy.
pub const DEFAULT_RETRIES: u32 = 3;

/// One app's health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// What is probed.
    pub target: Target,
    /// Time between two probes.
    pub interval: Duration,
    /// How long one probe may take before it counts as failed.
    pub timeout: Duration,
    /// Failed probes in a row that make the app unhealthy.
    pub retries: u32,
    /// After a start, failures do not count for this long.
    pub start_period: Duration,
    /// Whether the app took it from the group's default (`health_check:` at the top
    /// level) rather than its own: an app without a known port then goes unchecked,
    /// with a warning, instead of being refused. Not carried in the unit.
    pub inherited: bool,
}

/// What a probe does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An HTTP/1.1 GET; healthy when the status matches.
    Http {
        /// `http://HOST:PORT/PATH` (`{port}` possibly still in it).
        url: String,
        /// The statuses that count as healthy.
        status: StatusMatch,
    },
    /// A TCP connect to `HOST:PORT`; healthy when it is accepted.
    Tcp {
        /// `HOST:PORT` (`{port}` possibly still in it).
        address: String,
    },
}

/// Which HTTP statuses count as healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    /// 200 to 399, as Docker's `curl -f` and most load balancers take it.
    SuccessOrRedirect,
    /// Exactly this status.
    Exactly(u16),
}

impl StatusMatch {
    /// Whether `status` is healthy.
    pub fn accepts(self, status: u16) -> bool {
        match self {
            Self::SuccessOrRedirect => (200..400).contains(&status),
            Self::Exactly(wanted) => status == wanted,
        }
    }
}

impl fmt::Display for StatusMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SuccessOrRedirect => f.write_str("2xx/3xx"),
            Self::Exactly(status) => write!(f, "{status}"),
        }
    }
}

/// Where an HTTP probe goes: the parts of an `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// The host as written (a name, an IPv4 address, or an IPv6 address without brackets).
    pub host: String,
    /// The port (80 when the URL has none).
    pub port: u16,
    /// The path and query, starting with `/`.
    pub path: String,
}

impl HttpUrl {
    /// Reads `http://HOST[:PORT][/PATH]`; the error says what is wrong.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
                return Err("https is not probed (the app's own port speaks plain HTTP here); use http:// or tcp:".into());
            }
            _ => return Err("the URL must start with http://".into()),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let (host, port) = split_host_port(authority, 80)?;
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the URL's path must not contain spaces or control characters".into());
        }
        Ok(Self {
            host,
            port,
            path: path.to_string(),
        })
    }
}

/// Reads `HOST:PORT` (IPv6 hosts in brackets); without a port, `default_port`.
pub fn split_host_port(authority: &str, default_port: u16) -> Result<(String, u16), String> {
    if authority.contains('@') {
        return Err("credentials in the address are not supported".into());
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or("an IPv6 address needs its closing `]`")?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the address has no host".into());
    }
    let port = match port {
        None => default_port,
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("`{text}` is not a port (1 to 65535)")),
        },
    };
    Ok((host.to_string(), port))
}

impl Target {
    /// The address or URL as written.
    pub fn text(&self) -> &str {
        match self {
            Self::Http { url, .. } => url,
            Self::Tcp { address } => address,
        }
    }

    /// Whether `{port}` is still to be filled in.
    pub fn needs_port(&self) -> bool {
        self.text().contains(PORT_PLACEHOLDER)
    }

    /// Checks the address (with any `{port}` taken as a valid port).
    pub fn validate(&self) -> Result<(), String> {
        let text = self.text().replace(PORT_PLACEHOLDER, "1");
        match self {
            Self::Http { .. } => HttpUrl::parse(&text).map(drop),
            Self::Tcp { .. } => split_host_port(&text, 0).and_then(|(_, port)| {
                if port == 0 {
                    Err("a tcp: check needs HOST:PORT (or HOST:{port})".into())
                } else {
                    Ok(())
                }
            }),
        }
    }
}

impl HealthCheck {
    /// A check of `target` with Docker's default timing.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            start_period: Duration::ZERO,
            inherited: false,
        }
    }

    /// The check with `{port}` replaced by `port`.
    pub fn with_port(&self, port: u16) -> Self {
        let fill = |text: &str| text.replace(PORT_PLACEHOLDER, &port.to_string());
        let target = match &self.target {
            Target::Http { url, status } => Target::Http {
                url: fill(url),
                status: *status,
            },
            Target::Tcp { address } => Target::Tcp {
                address: fill(address),
            },
        };
        Self {
            target,
            ..self.clone()
        }
    }

    /// The `[X-Ecosystemd]` lines that carry the check (`HealthUrl=` values must be
    /// quoted by the caller like any value).
    pub fn directives(&self) -> Vec<(&'static str, String)> {
        let mut lines = match &self.target {
            Target::Http { url, status } => {
                let mut lines = vec![("HealthUrl", url.clone())];
                if let StatusMatch::Exactly(status) = status {
                    lines.push(("HealthStatus", status.to_string()));
                }
                lines
            }
            Target::Tcp { address } => vec![("HealthTcp", address.clone())],
        };
        lines.push(("HealthIntervalMSec", millis(self.interval)));
        lines.push(("HealthTimeoutMSec", millis(self.timeout)));
        lines.push(("HealthRetries", self.retries.to_string()));
        lines.push(("HealthStartPeriodMSec", millis(self.start_period)));
        lines
    }

    /// Reads one `[X-Ecosystemd]` line into `check` (created by `HealthUrl=` or
    /// `HealthTcp=`); returns whether the key was a health key. Malformed values keep
    /// the defaults, so an older watchdog reads a newer unit.
    pub fn read_directive(check: &mut Option<Self>, key: &str, value: &str) -> bool {
        let ms = |v: &str| v.parse().ok().map(Duration::from_millis);
        match key {
            "HealthUrl" => {
                let status = match check.as_ref().map(|c| &c.target) {
                    Some(Target::Http { status, .. }) => *status,
                    _ => StatusMatch::SuccessOrRedirect,
                };
                set_target(
                    check,
                    Target::Http {
                        url: value.to_string(),
                        status,
                    },
                );
            }
            "HealthTcp" => set_target(
                check,
                Target::Tcp {
                    address: value.to_string(),
                },
            ),
            "HealthStatus" => {
                if let (Some(c), Ok(code)) = (check.as_mut(), value.parse())
                    && let Target::Http { status, .. } = &mut c.target
                {
                    *status = StatusMatch::Exactly(code);
                }
            }
            "HealthIntervalMSec" => timing(check, |c| c.interval = ms(value).unwrap_or(c.interval)),
            "HealthTimeoutMSec" => timing(check, |c| c.timeout = ms(value).unwrap_or(c.timeout)),
            "HealthRetries" => timing(check, |c| c.retries = value.parse().unwrap_or(c.retries)),
            "HealthStartPeriodMSec" => timing(check, |c| {
                c.start_period = ms(value).unwrap_or(c.start_period)
            }),
            _ => return false,
        }
        true
    }
}

fn set_target(check: &mut Option<HealthCheck>, target: Target) {
    match check {
        Some(c) => c.target = target,
        None => *check = Some(HealthCheck::new(target)),
    }
}

fn timing(check: &mut Option<HealthCheck>, set: impl FnOnce(&mut HealthCheck)) {
    if let Some(c) = check {
        set(c);
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_into_host_port_and_path() {
        let url = HttpUrl::parse("http://127.0.0.1:3000/health?deep=1").expect("url");
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("127.0.0.1", 3000, "/health?deep=1")
        );
        let url = HttpUrl::parse("http://[::1]/").expect("v6");
        assert_eq!((url.host.as_str(), url.port), ("::1", 80));
        assert_eq!(HttpUrl::parse("http://localhost").expect("bare").path, "/");
        assert!(HttpUrl::parse("https://x/").unwrap_err().contains("https"));
        assert!(HttpUrl::parse("localhost:3000").is_err());
        assert!(HttpUrl::parse("http://x:99999/").is_err());
        assert!(HttpUrl::parse("http://:80/").is_err());
    }

    #[test]
    fn the_port_placeholder_is_filled_in_and_validates() {
        let check = HealthCheck::new(Target::Http {
            url: "http://127.0.0.1:{port}/health".into(),
            status: StatusMatch::SuccessOrRedirect,
        });
        assert!(check.target.needs_port());
        assert_eq!(check.target.validate(), Ok(()));
        let filled = check.with_port(3001);
        assert_eq!(filled.target.text(), "http://127.0.0.1:3001/health");
        assert!(!filled.target.needs_port());
        let tcp = Target::Tcp {
            address: "localhost".into(),
        };
        assert!(tcp.validate().is_err());
    }

    #[test]
    fn statuses_match_as_configured() {
        assert!(StatusMatch::SuccessOrRedirect.accepts(204));
        assert!(StatusMatch::SuccessOrRedirect.accepts(302));
        assert!(!StatusMatch::SuccessOrRedirect.accepts(404));
        assert!(StatusMatch::Exactly(418).accepts(418));
        assert!(!StatusMatch::Exactly(200).accepts(204));
    }

    #[test]
    fn checks_round_trip_through_directives() {
        let checks = [
            HealthCheck {
                target: Target::Http {
                    url: "http://127.0.0.1:3000/h".into(),
                    status: StatusMatch::Exactly(204),
                },
                interval: Duration::from_millis(1500),
                timeout: Duration::from_secs(2),
                retries: 5,
                start_period: Duration::from_secs(30),
                inherited: false,
            },
            HealthCheck::new(Target::Tcp {
                address: "[::1]:80".into(),
            }),
        ];
        for check in checks {
            let mut read = None;
            for (key, value) in check.directives() {
                assert!(HealthCheck::read_directive(&mut read, key, &value));
            }
            assert_eq!(read, Some(check));
        }
        let mut none = None;
        assert!(!HealthCheck::read_directive(&mut none, "App", "x"));
        assert!(HealthCheck::read_directive(&mut none, "HealthRetries", "4"));
        assert_eq!(none, None);
    }
}
