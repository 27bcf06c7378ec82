//! A bounded loopback load: N clients making HTTP/1.1 GET requests to 127.0.0.1:PORT
//! (one connection per request, `Connection: close`) for a fixed time, with a hard cap
//! on requests, counting what went well and what did not.
//!
//! The clients run inside the sandbox's network namespace ([`LoadConfig::network`]),
//! where the apps listen. The test apps answer with their instance id as the first line of the
//! body, which is how the answers are counted per instance.

#![allow(dead_code)] // each test crate uses a different part of the helpers

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::sandbox::Network;

/// How long a client waits to connect, and then for the whole answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The shape of a load.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The sandbox's network, where the clients connect (`None`: the test process's own).
    pub network: Option<Network>,
    /// The port on 127.0.0.1.
    pub port: u16,
    /// Concurrent clients.
    pub clients: usize,
    /// How long the clients keep going.
    pub duration: Duration,
    /// The most requests made in all (the clients stop there even before `duration`).
    pub max_requests: u64,
}

/// What the clients saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Answered `200` with a body.
    pub ok: u64,
    /// Connections refused (`ECONNREFUSED`): nothing listened on the port.
    pub refused: u64,
    /// Anything else: reset, timeout, a closed connection without an answer, a bad reply.
    pub failed: u64,
    /// Answers per instance (the first line of the body).
    pub by_instance: BTreeMap<String, u64>,
    /// One example of each kind of failure, for assertion messages.
    pub failures: BTreeMap<String, u64>,
}

impl LoadStats {
    /// Every request made.
    pub fn total(&self) -> u64 {
        self.ok + self.refused + self.failed
    }

    fn add(&mut self, other: LoadStats) {
        self.ok += other.ok;
        self.refused += other.refused;
        self.failed += other.failed;
        for (instance, n) in other.by_instance {
            *self.by_instance.entry(instance).or_default() += n;
        }
        for (kind, n) in other.failures {
            *self.failures.entry(kind).or_default() += n;
        }
    }
}

/// A load running in the background.
pub struct Load {
    clients: Vec<JoinHandle<LoadStats>>,
    stop: Arc<AtomicBool>,
}

impl Load {
    /// Starts the clients; they run until `config.duration` has passed, the cap is
    /// reached, or [`Load::stop`].
    pub fn start(config: LoadConfig) -> Self {
        let made = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + config.duration;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let clients = (0..config.clients)
            .map(|_| {
                let (made, stop) = (made.clone(), stop.clone());
                let network = config.network.clone();
                let max_requests = config.max_requests;
                std::thread::spawn(move || {
                    if let Some(network) = network {
                        network.enter();
                    }
                    let mut stats = LoadStats::default();
                    while Instant::now() < deadline
                        && !stop.load(Ordering::Relaxed)
                        && made.fetch_add(1, Ordering::Relaxed) < max_requests
                    {
                        record(&mut stats, get(address));
                    }
                    stats
                })
            })
            .collect();
        Self { clients, stop }
    }

    /// Ends the load early (the requests in flight finish).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Waits for every client to end and adds up what they saw.
    pub fn finish(self) -> LoadStats {
        let mut total = LoadStats::default();
        for client in self.clients {
            total.add(client.join().expect("load client panicked"));
        }
        total
    }
}

/// Runs a load to its end and returns what it saw.
pub fn run(config: LoadConfig) -> LoadStats {
    Load::start(config).finish()
}

/// How one request went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `200`, from this instance.
    Ok(String),
    /// The connection was refused.
    Refused,
    /// Anything else, with what happened.
    Failed(String),
}

fn record(stats: &mut LoadStats, answer: Answer) {
    match answer {
        Answer::Ok(instance) => {
            stats.ok += 1;
            *stats.by_instance.entry(instance).or_default() += 1;
        }
        Answer::Refused => stats.refused += 1,
        Answer::Failed(kind) => {
            stats.failed += 1;
            *stats.failures.entry(kind).or_default() += 1;
        }
    }
}

/// One `GET /` on a fresh connection.
fn get(address: SocketAddr) -> Answer {
    let mut stream = match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
        Ok(stream) => stream,
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => return Answer::Refused,
        Err(e) => return Answer::Failed(format!("connect: {:?}", e.kind())),
    };
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if let Err(e) = stream.write_all(request) {
        return Answer::Failed(format!("write: {:?}", e.kind()));
    }
    let mut reply = Vec::new();
    if let Err(e) = stream.read_to_end(&mut reply) {
        return Answer::Failed(format!("read: {:?}", e.kind()));
    }
    parse(&reply)
}

/// The instance id of a `200` reply, or what is wrong with it.
pub fn parse(reply: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(reply);
    if text.is_empty() {
        return Answer::Failed("closed without an answer".into());
    }
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return Answer::Failed("truncated reply".into());
    };
    if !head.starts_with("HTTP/1.1 200") {
        let status = head.lines().next().unwrap_or_default();
        return Answer::Failed(format!("status {status:?}"));
    }
    match body.lines().next().map(str::trim) {
        Some(instance) if !instance.is_empty() => Answer::Ok(instance.to_string()),
        _ => Answer::Failed("empty body".into()),
    }
}
