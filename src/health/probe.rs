//! Running probes: one HTTP/1.1 GET over a plain TCP stream, or one TCP connect, each
//! bounded by the check's timeout; many at once, bounded by a limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::timeout;

use super::check::{HealthCheck, HttpUrl, StatusMatch, Target, split_host_port};

/// How many probes run at once by default.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// The longest status line read (anything longer is not an HTTP answer).
const MAX_STATUS_LINE: usize = 1024;

/// How one probe ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// Whether it counts as healthy.
    pub healthy: bool,
    /// What was seen, in words (`HTTP 200`, `connection refused`, `timed out after 5s`).
    pub detail: String,
    /// How long it took.
    pub elapsed: Duration,
}

/// Probes `check` once.
pub async fn probe(check: &HealthCheck) -> ProbeResult {
    let started = Instant::now();
    let outcome = timeout(check.timeout, attempt(&check.target)).await;
    let (healthy, detail) = match outcome {
        Ok(Ok((healthy, detail))) => (healthy, detail),
        Ok(Err(error)) => (false, error),
        Err(_) => (
            false,
            format!("no answer within {} ms", check.timeout.as_millis()),
        ),
    };
    ProbeResult {
        healthy,
        detail,
        elapsed: started.elapsed(),
    }
}

/// Probes every check, at most `concurrency` at once; results in the order given.
pub async fn probe_all(checks: Vec<HealthCheck>, concurrency: usize) -> Vec<ProbeResult> {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut results: Vec<Option<ProbeResult>> = vec![None; checks.len()];
    let mut tasks = JoinSet::new();
    for (index, check) in checks.into_iter().enumerate() {
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (index, probe(&check).await)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined {
            results[index] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| ProbeResult {
                healthy: false,
                detail: "the probe did not finish".into(),
                elapsed: Duration::ZERO,
            })
        })
        .collect()
}

async fn attempt(target: &Target) -> Result<(bool, String), String> {
    match target {
        Target::Tcp { address } => {
            let (host, port) = split_host_port(address, 0)?;
            connect(&host, port).await?;
            Ok((true, "connected".into()))
        }
        Target::Http { url, status } => http_get(url, *status).await,
    }
}

async fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))
}

async fn http_get(url: &str, wanted: StatusMatch) -> Result<(bool, String), String> {
    let url = HttpUrl::parse(url)?;
    let mut stream = connect(&url.host, url.port).await?;
    stream
        .write_all(request(&url).as_bytes())
        .await
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let line = read_status_line(&mut stream).await?;
    let status = parse_status_line(&line)?;
    let healthy = wanted.accepts(status);
    let detail = if healthy {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}, expected {wanted}")
    };
    Ok((healthy, detail))
}

/// The GET request: HTTP/1.1, the connection closed after the answer.
fn request(url: &HttpUrl) -> String {
    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    format!(
        "GET {} HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: unit-watchdog\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path, url.port
    )
}

async fn read_status_line(stream: &mut TcpStream) -> Result<String, String> {
    let mut line = Vec::new();
    let mut buffer = [0u8; 256];
    loop {
        let n = stream
            .read(&mut buffer)
            .await
            .map_err(|e| format!("cannot read the answer: {e}"))?;
        if n == 0 {
            return Err("the connection closed without an answer".into());
        }
        line.extend_from_slice(&buffer[..n]);
        if let Some(end) = line.iter().position(|&b| b == b'\n') {
            line.truncate(end);
            return Ok(String::from_utf8_lossy(&line).trim_end().to_string());
        }
        if line.len() > MAX_STATUS_LINE {
            return Err("the answer is not HTTP".into());
        }
    }
}

/// The status of `HTTP/1.x NNN reason`.
fn parse_status_line(line: &str) -> Result<u16, String> {
    let mut parts = line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    let status = parts.next().and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(status) if version.starts_with("HTTP/") && (100..600).contains(&status) => Ok(status),
        _ => Err(format!(
            "the answer is not HTTP: {:?}",
            line.chars().take(40).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// A one-connection server answering `answer` (or holding the connection when `None`).
    async fn serve(answer: Option<&'static str>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer).await;
                match answer {
                    Some(text) => {
                        let _ = stream.write_all(text.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            }
        });
        port
    }

    fn http(port: u16, status: StatusMatch, timeout_ms: u64) -> HealthCheck {
        HealthCheck {
            timeout: Duration::from_millis(timeout_ms),
            ..HealthCheck::new(Target::Http {
                url: format!("http://127.0.0.1:{port}/health"),
                status,
            })
        }
    }

    #[test]
    fn status_lines_are_read() {
        assert_eq!(parse_status_line("HTTP/1.1 204 No Content"), Ok(204));
        assert_eq!(parse_status_line("HTTP/1.0 503"), Ok(503));
        assert!(parse_status_line("SSH-2.0-OpenSSH").is_err());
        let url = HttpUrl::parse("http://[::1]:8080/a?b").expect("url");
        assert!(request(&url).starts_with("GET /a?b HTTP/1.1\r\nHost: [::1]:8080\r\n"));
    }

    #[test]
    fn http_probes_judge_the_status_and_time_out() {
        runtime().block_on(async {
            let ok = serve(Some("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).await;
            let error = serve(Some("HTTP/1.1 500 Oops\r\n\r\n")).await;
            let hung = serve(None).await;
            let results = probe_all(
                vec![
                    http(ok, StatusMatch::SuccessOrRedirect, 2000),
                    http(error, StatusMatch::SuccessOrRedirect, 2000),
                    http(hung, StatusMatch::SuccessOrRedirect, 200),
                    http(ok, StatusMatch::Exactly(204), 2000),
                ],
                2,
            )
            .await;
            let healthy: Vec<bool> = results.iter().map(|r| r.healthy).collect();
            assert_eq!(healthy, [true, false, false, false], "{results:?}");
            assert_eq!(results[0].detail, "HTTP 200");
            assert!(results[1].detail.contains("500"), "{}", results[1].detail);
            assert!(results[2].detail.contains("no answer within 200 ms"));
        });
    }

    #[test]
    fn tcp_probes_connect() {
        runtime().block_on(async {
            let port = serve(Some("")).await;
            let open = HealthCheck::new(Target::Tcp {
                address: format!("127.0.0.1:{port}"),
            });
            assert!(probe(&open).await.healthy);
            // A port just released: nothing listens there.
            let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let closed_port = closed.local_addr().expect("addr").port();
            drop(closed);
            let shut = HealthCheck::new(Target::Tcp {
                address: format!("127.0.0.1:{closed_port}"),
            });
            let result = probe(&shut).await;
            assert!(!result.healthy);
            assert!(
                result.detail.contains("cannot connect"),
                "{}",
                result.detail
            );
        });
    }
}
