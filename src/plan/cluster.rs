//! `instances` and `exec_mode: cluster`: how many units an app becomes.
//!
//! PM2's cluster mode forks N workers that share one port through Node's cluster
//! module, each with its own memory check and restarts. We render N concrete units
//! (`<stem>-0.service`, `<stem>-1.service`, ...): each keeps its own `MemoryMax=` (per
//! process, as `max_memory_restart` is in PM2), its own restarts and its own journal
//! identity, and gets `instance_var` (default `NODE_APP_INSTANCE`) set to its index.
//! The instances share the app's port as PM2's workers did through one `.socket` unit
//! each (see [`super::sockets`]); `increment_var` is applied as PM2 does (instance i
//! gets base + i), which gives each instance a port of its own instead.
//! `instances: max` (or 0, -1) is resolved against the CPUs of the host that renders.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::ecosystem::{App, Ecosystem, Instances};

use super::sockets::{self, Listen};
use super::{PlanOptions, app_error, app_warning, names};

/// One process of an app: one service unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// The unit stem (`agents-api` or `agents-api-2`).
    pub stem: String,
    /// The cluster instance number, if the app runs several.
    pub index: Option<u32>,
    /// The process environment.
    pub env: BTreeMap<String, String>,
    /// The ports this process listens on, as far as the ecosystem tells.
    pub listen: Vec<Listen>,
    /// Whether systemd holds those ports in `.socket` units for this process.
    pub sockets: bool,
}

impl Instance {
    /// The service unit's name.
    pub fn service_name(&self) -> String {
        format!("{}.service", self.stem)
    }
}

/// The instances of every app, in app order (an app that fails gives none).
pub fn expand_all(
    ecosystem: &Ecosystem,
    options: &PlanOptions,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<Vec<Instance>> {
    ecosystem
        .apps
        .iter()
        .map(|app| match expand(ecosystem, app, options, warnings) {
            Ok(instances) => instances,
            Err(error) => {
                errors.push(error);
                Vec::new()
            }
        })
        .collect()
}

/// How many processes `app` runs on a host with `cpus` CPUs.
pub fn count(instances: Instances, cpus: u32) -> Option<u32> {
    match instances {
        Instances::Single => None,
        Instances::Fixed(n) => Some(n.max(1)),
        Instances::PerCpu { reserve } => Some(cpus.saturating_sub(reserve).max(1)),
    }
}

fn expand(
    ecosystem: &Ecosystem,
    app: &App,
    options: &PlanOptions,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Vec<Instance>, Diagnostic> {
    let stem = names::stem(&ecosystem.settings.prefix, &app.name);
    let mut env = app.env.clone();
    if let Some(port) = app.port {
        env.entry("PORT".into()).or_insert_with(|| port.to_string());
    }
    let sockets = options.preload && sockets::reach(app).is_ok();
    let Some(n) = count(app.instances, options.cpus) else {
        let listen = sockets::listen_ports(app, &env);
        return Ok(vec![Instance {
            stem,
            index: None,
            sockets: sockets && !listen.is_empty(),
            env,
            listen,
        }]);
    };
    if let Instances::PerCpu { .. } = app.instances {
        warnings.push(app_warning(
            ecosystem,
            app,
            format!(
                "`instances` follows the CPU count: rendered {n} instances for the {} CPUs of this host",
                options.cpus
            ),
        ));
    }
    let base = match &app.increment_var {
        Some(var) => {
            let text = env.get(var).cloned().ok_or_else(|| {
                app_error(
                    ecosystem,
                    app,
                    format!("`increment_var: {var}` but `{var}` has no value in `env`"),
                )
            })?;
            Some(text.trim().parse::<u64>().map_err(|_| {
                app_error(
                    ecosystem,
                    app,
                    format!("`increment_var: {var}` needs a number in `env`, found {text:?}"),
                )
            })?)
        }
        None => None,
    };
    let mut instances = Vec::new();
    for index in 0..n {
        let mut env = env.clone();
        env.insert(app.instance_var.clone(), index.to_string());
        if let (Some(var), Some(base)) = (&app.increment_var, base) {
            let value = base.checked_add(u64::from(index)).ok_or_else(|| {
                app_error(
                    ecosystem,
                    app,
                    format!("`increment_var: {var}` overflows at instance {index}"),
                )
            })?;
            if sockets::is_port_variable(var) && value > u64::from(u16::MAX) {
                return Err(app_error(
                    ecosystem,
                    app,
                    format!("instance {index} would get port {value}, beyond 65535"),
                ));
            }
            env.insert(var.clone(), value.to_string());
        }
        let listen = sockets::listen_ports(app, &env);
        instances.push(Instance {
            stem: format!("{stem}-{index}"),
            index: Some(index),
            sockets: sockets && !listen.is_empty(),
            env,
            listen,
        });
    }
    Ok(instances)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecosystem::ExecMode;
    use crate::plan::testing::{app, ecosystem};

    #[test]
    fn fork_mode_is_one_unit_with_port_in_env() {
        let mut a = app("api");
        a.port = Some(3000);
        let eco = ecosystem(vec![a]);
        let mut w = Vec::new();
        let got = expand(&eco, &eco.apps[0], &PlanOptions::default(), &mut w).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].stem, "agents-api");
        assert_eq!(got[0].env.get("PORT").map(String::as_str), Some("3000"));
    }

    #[test]
    fn increment_var_gives_consecutive_ports() {
        let mut a = app("api");
        a.instances = Instances::Fixed(3);
        a.port = Some(4000);
        a.increment_var = Some("PORT".into());
        let eco = ecosystem(vec![a]);
        let mut w = Vec::new();
        let got = expand(&eco, &eco.apps[0], &PlanOptions::default(), &mut w).unwrap();
        let ports: Vec<_> = got.iter().map(|i| i.listen[0].port).collect();
        assert_eq!(ports, [4000, 4001, 4002]);
        assert!(got.iter().all(|i| i.sockets));
        assert_eq!(got[2].stem, "agents-api-2");
        assert_eq!(got[2].env["NODE_APP_INSTANCE"], "2");
        assert_eq!(got[2].env["PORT"], "4002");
        assert!(w.is_empty());
    }

    #[test]
    fn cluster_instances_share_the_port_each_with_a_socket() {
        let mut a = app("api");
        a.instances = Instances::Fixed(2);
        a.exec_mode = ExecMode::Cluster;
        a.env.insert("HTTP_PORT".into(), "4000".into());
        let eco = ecosystem(vec![a]);
        let mut w = Vec::new();
        let got = expand(&eco, &eco.apps[0], &PlanOptions::default(), &mut w).unwrap();
        assert!(w.is_empty());
        assert!(got.iter().all(|i| i.sockets && i.listen[0].port == 4000));
        let without = PlanOptions {
            preload: false,
            ..PlanOptions::default()
        };
        let got = expand(&eco, &eco.apps[0], &without, &mut w).unwrap();
        assert!(got.iter().all(|i| !i.sockets && i.listen[0].port == 4000));
    }

    #[test]
    fn per_cpu_uses_the_host_count_less_reserve() {
        assert_eq!(count(Instances::PerCpu { reserve: 1 }, 4), Some(3));
        assert_eq!(count(Instances::PerCpu { reserve: 1 }, 1), Some(1));
        assert_eq!(count(Instances::Single, 8), None);
    }

    #[test]
    fn non_numeric_increment_base_is_an_error() {
        let mut a = app("api");
        a.instances = Instances::Fixed(2);
        a.env.insert("PORT".into(), "abc".into());
        a.increment_var = Some("PORT".into());
        let eco = ecosystem(vec![a]);
        let mut w = Vec::new();
        assert!(expand(&eco, &eco.apps[0], &PlanOptions::default(), &mut w).is_err());
    }
}
