//! Sockets held by systemd: the ports an app listens on, and one `.socket` unit per
//! instance and port that hands the listening socket to the instance's Node process.
//!
//! A port is known from any environment variable named `PORT` or `*_PORT` holding
//! 1 to 65535 (PM2's `port` sets `PORT`), unless the name or the value says the app
//! connects to it rather than listens (`DB_PORT`, `REDIS_PORT`, 5432, ...), and from
//! the `listen_port` extension for ports set in code. Each instance gets its own
//! socket with `ReusePort=yes`: the kernel spreads connections evenly across the
//! instances of a cluster app (one shared socket wakes whichever process is first,
//! unevenly), and an instance that fails for good closes only its own socket.
//!
//! The Node preload (`preload/ecosystemd.cjs`) maps `listen(PORT)` onto the inherited
//! socket. It can only do so in the process node runs: an app started through a
//! package manager or another interpreter gets no socket and binds its port itself.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::ecosystem::{App, Ecosystem};

use super::cluster::Instance;
use super::{Section, Unit, Value, absolute_source, app_warning};

/// One port an instance listens on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listen {
    /// The port.
    pub port: u16,
    /// The address, when the app's environment names one (`HOST`, `HTTP_HOST` beside
    /// `HTTP_PORT`); all addresses otherwise.
    pub address: Option<IpAddr>,
}

impl Listen {
    /// The value of `ListenStream=`.
    pub fn listen_stream(&self) -> String {
        match self.address {
            None => self.port.to_string(),
            Some(IpAddr::V4(ip)) => format!("{ip}:{}", self.port),
            Some(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
        }
    }

    /// The `FileDescriptorName=` the preload looks for (`-host` when the socket is
    /// bound to one address, so that the preload maps listen(PORT, HOST) onto it).
    pub fn fd_name(&self) -> String {
        match self.address {
            None => format!("port-{}", self.port),
            Some(_) => format!("port-{}-host", self.port),
        }
    }
}

/// Name prefixes of variables that name a port the app connects to, not one it listens on.
const CLIENT_PREFIXES: &[&str] = &[
    "AMQP",
    "CASSANDRA",
    "CLICKHOUSE",
    "CONSUL",
    "COUCHDB",
    "DATABASE",
    "DB",
    "DEBUG",
    "ELASTIC",
    "ELASTICSEARCH",
    "ES",
    "ETCD",
    "IMAP",
    "INFLUX",
    "INFLUXDB",
    "INSPECT",
    "KAFKA",
    "LDAP",
    "MAIL",
    "MARIADB",
    "MEMCACHE",
    "MEMCACHED",
    "MONGO",
    "MONGODB",
    "MQTT",
    "MSSQL",
    "MYSQL",
    "NATS",
    "NEO4J",
    "ORACLE",
    "PG",
    "POP3",
    "POSTGRES",
    "POSTGRESQL",
    "RABBIT",
    "RABBITMQ",
    "REDIS",
    "SMTP",
    "SQL",
    "STATSD",
];

/// Well-known ports of databases, brokers and mail servers: an app connects to them.
const CLIENT_PORTS: &[u16] = &[
    25, 110, 143, 389, 465, 587, 636, 993, 995, 1433, 1521, 1883, 2379, 3306, 4222, 5432, 5672,
    6379, 8086, 8500, 9042, 9092, 9200, 11211, 27017,
];

/// The ports an instance with environment `env` listens on, in a stable order: the
/// `listen_port` ports first, then `PORT`, then the other `*_PORT` variables by name.
pub fn listen_ports(app: &App, env: &BTreeMap<String, String>) -> Vec<Listen> {
    let mut ports: Vec<Listen> = app
        .listen_ports
        .iter()
        .map(|&port| Listen {
            port,
            address: None,
        })
        .collect();
    let mut vars: Vec<(&String, &String)> = env.iter().collect();
    vars.sort_by_key(|(name, _)| name.as_str() != "PORT");
    for (name, value) in vars {
        let Some(prefix) = port_prefix(name) else {
            continue;
        };
        let Some(port) = value.trim().parse::<u16>().ok().filter(|p| *p > 0) else {
            continue;
        };
        if is_client_port(prefix, port, env) || ports.iter().any(|l| l.port == port) {
            continue;
        }
        ports.push(Listen {
            port,
            address: host_of(prefix, env),
        });
    }
    ports
}

/// Whether the variable `name` may hold a port the app listens on (`PORT`, `*_PORT`).
pub fn is_port_variable(name: &str) -> bool {
    port_prefix(name).is_some()
}

/// `Some("")` for `PORT`, `Some("HTTP_")` for `HTTP_PORT`, `None` for other names.
fn port_prefix(name: &str) -> Option<&str> {
    let upper = name.to_ascii_uppercase();
    if upper == "PORT" {
        return Some("");
    }
    upper
        .ends_with("_PORT")
        .then(|| &name[..name.len() - "PORT".len()])
}

fn is_client_port(prefix: &str, port: u16, env: &BTreeMap<String, String>) -> bool {
    let stem = prefix.trim_end_matches('_').to_ascii_uppercase();
    let named_client = stem.split('_').any(|word| CLIENT_PREFIXES.contains(&word));
    // `DB_HOST: db.example.com` beside `DB_PORT`: a server elsewhere.
    let remote_host =
        !prefix.is_empty() && host_var(prefix, env).is_some_and(|host| !is_local_host(host));
    named_client || remote_host || CLIENT_PORTS.contains(&port)
}

fn host_var<'a>(prefix: &str, env: &'a BTreeMap<String, String>) -> Option<&'a str> {
    ["HOST", "host", "Host"]
        .iter()
        .find_map(|suffix| env.get(&format!("{prefix}{suffix}")))
        .map(|host| host.trim())
}

fn is_local_host(host: &str) -> bool {
    matches!(host, "" | "localhost" | "0.0.0.0" | "::" | "[::]")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The address the app's environment gives for the port of `prefix`, if it is one
/// address (an IP, or `localhost`); wildcards and names mean all addresses.
fn host_of(prefix: &str, env: &BTreeMap<String, String>) -> Option<IpAddr> {
    let host = host_var(prefix, env)?;
    if host == "localhost" {
        return Some(IpAddr::from([127, 0, 0, 1]));
    }
    let ip: IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
    (!ip.is_unspecified()).then_some(ip)
}

/// Why systemd's socket cannot reach the process that listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unreachable {
    /// Started through npm, yarn, pnpm or npx, which run node as a child.
    PackageManager,
    /// Run by another interpreter than node (python, bun, ...).
    OtherInterpreter,
    /// The script runs by itself (`interpreter: none`, a binary, a `#!` script).
    NoInterpreter,
}

impl Unreachable {
    fn describe(self, plural: bool) -> &'static str {
        match (self, plural) {
            (Self::PackageManager, false) => {
                "is started through npm, yarn or pnpm, which runs node as a child process"
            }
            (Self::PackageManager, true) => {
                "are started through npm, yarn or pnpm, which run node as a child process"
            }
            (Self::OtherInterpreter, false) => "is not run by node",
            (Self::OtherInterpreter, true) => "are not run by node",
            (Self::NoInterpreter, false) => "runs by itself, not through node",
            (Self::NoInterpreter, true) => "run by themselves, not through node",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Self::PackageManager => {
                "set `script` to the file the start script runs (e.g. dist/server.js), so that node runs it and takes the socket"
            }
            Self::OtherInterpreter => {
                "nothing to do for a server in another language; a Node.js app takes the socket when node runs it (leave out `interpreter`)"
            }
            Self::NoInterpreter => {
                "for a Node.js app, let node run the script (leave out `interpreter: none`) so that it takes the socket"
            }
        }
    }
}

/// Whether the ecosystemd preload can be loaded into the app's listening process: it
/// must be node itself.
pub fn reach(app: &App) -> Result<(), Unreachable> {
    let program = Path::new(&app.command.program)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    match program {
        "node" | "nodejs" => Ok(()),
        "npm" | "npx" | "yarn" | "yarnpkg" | "pnpm" | "pnpx" | "corepack" => {
            Err(Unreachable::PackageManager)
        }
        _ if app.command.script.as_deref() == Some(Path::new(&app.command.program)) => {
            Err(Unreachable::NoInterpreter)
        }
        _ => Err(Unreachable::OtherInterpreter),
    }
}

/// One warning per cause, naming every app with a known port whose process systemd's
/// socket cannot reach.
pub fn unreachable_warnings(
    ecosystem: &Ecosystem,
    instances: &[Vec<Instance>],
    warnings: &mut Vec<Diagnostic>,
) {
    let mut by_cause: BTreeMap<Unreachable, Vec<&App>> = BTreeMap::new();
    for (app, app_instances) in ecosystem.apps.iter().zip(instances) {
        if app_instances.iter().all(|i| i.listen.is_empty()) {
            continue;
        }
        if let Err(cause) = reach(app) {
            by_cause.entry(cause).or_default().push(app);
        }
    }
    for (cause, apps) in by_cause {
        let names: Vec<String> = apps.iter().map(|a| format!("`{}`", a.name)).collect();
        let plural = apps.len() > 1;
        let (subject, object, binds) = if plural {
            ("apps", "them", "each binds its")
        } else {
            ("app", "it", "it binds its")
        };
        let message = format!(
            "{subject} {} {}: systemd cannot hand {object} a listening socket, so {binds} port itself as under PM2 (a restart refuses connections until it listens again; cluster instances cannot share a port)",
            names.join(", "),
            cause.describe(plural),
        );
        warnings.push(app_warning(ecosystem, apps[0], message).with_hint(cause.hint()));
    }
}

/// The socket unit of `instance` for `listen`: its name is the instance's stem, with
/// the port added for every port after the first.
pub fn socket_name(instance: &Instance, position: usize, listen: &Listen) -> String {
    if position == 0 {
        format!("{}.socket", instance.stem)
    } else {
        format!("{}-{}.socket", instance.stem, listen.port)
    }
}

/// The `.socket` units of one instance, one per port.
pub fn units(ecosystem: &Ecosystem, app: &App, instance: &Instance) -> Vec<Unit> {
    let settings = &ecosystem.settings;
    let target = format!("{}.target", settings.target);
    instance
        .listen
        .iter()
        .enumerate()
        .map(|(position, listen)| {
            let mut unit = Section::new("Unit");
            let mut description = format!(
                "Port {} of {} ({} ecosystem",
                listen.port, app.name, settings.group
            );
            if let Some(index) = instance.index {
                description.push_str(&format!(", instance {index}"));
            }
            description.push(')');
            unit.push("Description", Value::Text(description));
            unit.push("SourcePath", Value::Path(absolute_source(ecosystem)));
            unit.plain("PartOf", target.clone());
            let mut socket = Section::new("Socket");
            socket.plain("ListenStream", listen.listen_stream());
            if listen.address.is_some_and(|ip| !ip.is_loopback()) {
                // The address may come up after the socket (DHCP, a VPN).
                socket.plain("FreeBind", "yes");
            }
            socket.plain("ReusePort", "yes");
            socket.plain("FileDescriptorName", listen.fd_name());
            socket.plain("Service", instance.service_name());
            let mut notes = vec![
                "systemd holds this port: the service inherits it (the ecosystemd preload maps listen() onto it), so a restart refuses no connection. Restarting this socket would.".into(),
            ];
            let mut sections = vec![unit, socket];
            if app.autostart {
                let mut install = Section::new("Install");
                install.plain("WantedBy", target.clone());
                sections.push(install);
            } else {
                notes.push("autostart: false, so the group does not start this socket (a connection to it would start the app); the service starts it with itself.".into());
            }
            Unit {
                name: socket_name(instance, position, listen),
                origin: Some(app.location),
                notes,
                sections,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing::app;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn ports(a: &App, pairs: &[(&str, &str)]) -> Vec<u16> {
        listen_ports(a, &env(pairs))
            .iter()
            .map(|l| l.port)
            .collect()
    }

    #[test]
    fn port_and_any_underscore_port_variable_are_listen_ports() {
        let a = app("api");
        assert_eq!(
            ports(&a, &[("ADMIN_PORT", "39101"), ("PORT", "39100")]),
            [39100, 39101]
        );
        assert_eq!(ports(&a, &[("HTTP_PORT", "8080")]), [8080]);
        assert_eq!(
            ports(&a, &[("SUPPORT", "80"), ("PORT", "0")]),
            [] as [u16; 0]
        );
        assert_eq!(
            ports(&a, &[("PORT", "70000"), ("X_PORT", "abc")]),
            [] as [u16; 0]
        );
    }

    #[test]
    fn ports_the_app_connects_to_are_not_sockets() {
        let a = app("api");
        assert_eq!(
            ports(
                &a,
                &[
                    ("DB_PORT", "6000"),
                    ("REDIS_PORT", "6380"),
                    ("CACHE_PORT", "6379"),
                    ("UPSTREAM_HOST", "api.example.com"),
                    ("UPSTREAM_PORT", "8443"),
                    ("PORT", "3000"),
                ]
            ),
            [3000]
        );
    }

    #[test]
    fn listen_port_comes_first_and_is_not_repeated() {
        let mut a = app("api");
        a.listen_ports = vec![39200];
        assert_eq!(
            ports(&a, &[("PORT", "39200"), ("METRICS_PORT", "39201")]),
            [39200, 39201]
        );
    }

    #[test]
    fn a_host_beside_the_port_is_the_address() {
        let a = app("api");
        let got = listen_ports(&a, &env(&[("HOST", "localhost"), ("PORT", "3000")]));
        assert_eq!(got[0].listen_stream(), "127.0.0.1:3000");
        let got = listen_ports(&a, &env(&[("HTTP_HOST", "::1"), ("HTTP_PORT", "3000")]));
        assert_eq!(got[0].listen_stream(), "[::1]:3000");
        let got = listen_ports(&a, &env(&[("HOST", "0.0.0.0"), ("PORT", "3000")]));
        assert_eq!(got[0].listen_stream(), "3000");
    }

    #[test]
    fn each_instance_has_its_own_socket_on_the_shared_port() {
        let mut a = app("api");
        a.instances = crate::ecosystem::Instances::Fixed(2);
        a.exec_mode = crate::ecosystem::ExecMode::Cluster;
        a.env.insert("PORT".into(), "39100".into());
        a.listen_ports = vec![39150];
        let eco = crate::plan::testing::ecosystem(vec![a]);
        let plan = crate::plan::plan(&eco, &crate::plan::PlanOptions::default()).unwrap();
        let names: Vec<&str> = plan.units.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "agents-api-0.service",
                "agents-api-0.socket",
                "agents-api-0-39100.socket",
                "agents-api-1.service",
                "agents-api-1.socket",
                "agents-api-1-39100.socket",
                "agents.target",
                "agents.slice"
            ]
        );
        let socket = &plan.units.units[4];
        assert_eq!(
            socket.value("Socket", "ListenStream").as_deref(),
            Some("39150")
        );
        assert_eq!(socket.value("Socket", "ReusePort").as_deref(), Some("yes"));
        assert_eq!(
            socket.value("Socket", "Service").as_deref(),
            Some("agents-api-1.service")
        );
        assert_eq!(
            socket.value("Socket", "FileDescriptorName").as_deref(),
            Some("port-39150")
        );
        assert_eq!(
            plan.units.units[3].value("Service", "Sockets").as_deref(),
            Some("agents-api-1.socket agents-api-1-39100.socket")
        );
        let target = &plan.units.units[6];
        let wants: Vec<String> = target.sections[0]
            .directives
            .iter()
            .filter(|d| d.key == "Wants")
            .map(|d| d.value.display())
            .collect();
        assert!(
            wants.contains(&"agents-api-1-39100.socket".to_owned()),
            "{wants:?}"
        );
    }

    #[test]
    fn an_app_that_does_not_autostart_has_a_socket_the_group_does_not_start() {
        let mut a = app("api");
        a.autostart = false;
        a.env.insert("HOST".into(), "10.0.0.5".into());
        a.env.insert("PORT".into(), "39100".into());
        let eco = crate::plan::testing::ecosystem(vec![a]);
        let plan = crate::plan::plan(&eco, &crate::plan::PlanOptions::default()).unwrap();
        let socket = plan
            .units
            .units
            .iter()
            .find(|u| u.name == "agents-api.socket")
            .unwrap();
        assert!(socket.section("Install").is_none());
        assert_eq!(
            socket.value("Socket", "ListenStream").as_deref(),
            Some("10.0.0.5:39100")
        );
        assert_eq!(socket.value("Socket", "FreeBind").as_deref(), Some("yes"));
        let target = plan
            .units
            .units
            .iter()
            .find(|u| u.name == "agents.target")
            .unwrap();
        assert!(target.value("Unit", "Wants").is_none());
    }

    #[test]
    fn a_wrapper_gets_no_socket_and_one_warning_for_all_such_apps() {
        let mut apps = Vec::new();
        for name in ["web", "admin"] {
            let mut a = app(name);
            a.command.program = "/usr/bin/npm".into();
            a.command.args = vec!["start".into()];
            a.command.script = None;
            a.env.insert("PORT".into(), "39300".into());
            apps.push(a);
        }
        apps[1].env.insert("PORT".into(), "39301".into());
        let eco = crate::plan::testing::ecosystem(apps);
        let plan = crate::plan::plan(&eco, &crate::plan::PlanOptions::default()).unwrap();
        assert!(
            plan.units
                .units
                .iter()
                .all(|u| !u.name.ends_with(".socket"))
        );
        let socket_warnings: Vec<_> = plan
            .warnings
            .iter()
            .filter(|w| w.message.contains("listening socket"))
            .collect();
        assert_eq!(socket_warnings.len(), 1, "{:?}", plan.warnings);
        assert!(socket_warnings[0].message.contains("`web`, `admin`"));
        assert!(
            socket_warnings[0]
                .message
                .starts_with("apps `web`, `admin` are started through npm"),
            "{}",
            socket_warnings[0].message
        );
    }

    #[test]
    fn only_node_itself_can_take_the_socket() {
        let mut a = app("api");
        assert_eq!(reach(&a), Ok(()));
        a.command.program = "/usr/bin/npm".into();
        assert_eq!(reach(&a), Err(Unreachable::PackageManager));
        a.command.program = "/usr/bin/python3".into();
        assert_eq!(reach(&a), Err(Unreachable::OtherInterpreter));
        a.command.program = "/srv/agents/api.js".into();
        assert_eq!(reach(&a), Err(Unreachable::NoInterpreter));
    }
}
