//! The health check of one instance: `{port}` in `health_check:` becomes the port the
//! instance listens on (each cluster instance its own). An app without a known port is
//! refused when the check is its own, and left unchecked with a warning when it took
//! the group's default.

use super::cluster::Instance;
use super::{app_error, app_warning};
use crate::diagnostic::Diagnostic;
use crate::ecosystem::{App, Ecosystem, WatchdogPolicy};

/// The app's watchdog policy for `instance`, its health check's `{port}` filled in.
pub fn policy(
    ecosystem: &Ecosystem,
    app: &App,
    instance: &Instance,
    warnings: &mut Vec<Diagnostic>,
) -> Result<WatchdogPolicy, Diagnostic> {
    let mut policy = app.watchdog.clone();
    let Some(check) = &policy.health else {
        return Ok(policy);
    };
    if !check.target.needs_port() {
        return Ok(policy);
    }
    let Some(listen) = instance.listen.first() else {
        if check.inherited {
            warnings.push(app_warning(
                ecosystem,
                app,
                "the group's `health_check` probes `{port}`, but the app has no known port: it is not checked",
            ));
            policy.health = None;
            return Ok(policy);
        }
        return Err(app_error(
            ecosystem,
            app,
            format!(
                "`health_check` probes `{}` but the app has no known port to fill in",
                check.target.text()
            ),
        )
        .with_hint(
            "set `PORT` in `env`, `port:`, or `listen_port:` for a port set in code; or write the port in the check",
        ));
    };
    policy.health = Some(check.with_port(listen.port));
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::{HealthCheck, StatusMatch, Target};
    use crate::plan::sockets::Listen;
    use crate::plan::testing::{app, ecosystem};

    fn instance(ports: &[u16]) -> Instance {
        Instance {
            stem: "agents-api".into(),
            index: None,
            env: Default::default(),
            listen: ports
                .iter()
                .map(|&port| Listen {
                    port,
                    address: None,
                })
                .collect(),
            sockets: false,
        }
    }

    #[test]
    fn the_port_is_filled_in_per_instance_or_refused_without_one() {
        let mut a = app("api");
        a.watchdog.health = Some(HealthCheck::new(Target::Http {
            url: "http://127.0.0.1:{port}/health".into(),
            status: StatusMatch::SuccessOrRedirect,
        }));
        let eco = ecosystem(vec![a.clone()]);
        let mut warnings = Vec::new();
        let filled = policy(&eco, &a, &instance(&[3001, 9000]), &mut warnings).expect("port");
        let url = filled.health.expect("check").target.text().to_string();
        assert_eq!(url, "http://127.0.0.1:3001/health");
        let refused = policy(&eco, &a, &instance(&[]), &mut warnings).expect_err("no port");
        assert!(
            refused.message.contains("no known port"),
            "{}",
            refused.message
        );
        assert!(refused.hint.is_some());
        assert!(warnings.is_empty());
        // The group's default skips an app without a port, with a warning.
        if let Some(check) = a.watchdog.health.as_mut() {
            check.inherited = true;
        }
        let skipped = policy(&eco, &a, &instance(&[]), &mut warnings).expect("skipped");
        assert_eq!(skipped.health, None);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("it is not checked"));
    }
}
