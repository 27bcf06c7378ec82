//! journald configuration from `logs:` (pm2-logrotate's options): with a namespace of
//! the group's own, `journald@NAMESPACE.conf` (its own journal and limits, services get
//! `LogNamespace=`); without one, a `journald.conf.d/` drop-in, which applies to the
//! whole system journal. journald is the system's, so a user-manager bundle carries
//! none (with a warning when `logs:` asks for something).

use crate::bundle::Scope;
use crate::diagnostic::Diagnostic;
use crate::ecosystem::{Ecosystem, LogSettings};

use super::service::LOG_NAMESPACE_VERSION;
use super::{Directive, JournaldFile, PlanOptions, Value};

fn directives(logs: &LogSettings) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut push = |key: &'static str, value: String| {
        out.push(Directive {
            key: key.into(),
            value: Value::Plain(value.into()),
        })
    };
    if let Some(size) = logs.max_file_size {
        push("SystemMaxFileSize", size.to_string());
    }
    if let Some(size) = logs.max_use {
        push("SystemMaxUse", size.to_string());
    }
    if let Some(files) = logs.max_files {
        push("SystemMaxFiles", files.to_string());
    }
    if let Some(compress) = logs.compress {
        push("Compress", if compress { "yes" } else { "no" }.into());
    }
    if let Some(age) = logs.max_age {
        push("MaxRetentionSec", format!("{}s", age.as_secs().max(1)));
    }
    out
}

/// The journald files for the ecosystem's `logs:` settings.
pub fn files(
    ecosystem: &Ecosystem,
    options: &PlanOptions,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<JournaldFile> {
    let logs = &ecosystem.settings.logs;
    let directives = directives(logs);
    if directives.is_empty() && logs.namespace.is_none() {
        return Vec::new();
    }
    if options.scope == Scope::User {
        warnings.push(Diagnostic::warning(
            &ecosystem.source,
            None,
            "`logs:` configures journald, which belongs to the system: a user-manager bundle carries no journald files and no LogNamespace=",
        ));
        return Vec::new();
    }
    match &logs.namespace {
        Some(namespace) if options.systemd_version >= LOG_NAMESPACE_VERSION => {
            vec![JournaldFile {
                name: format!("journald@{namespace}.conf"),
                notes: vec![format!(
                    "The journal namespace of the {} agents: read it with `journalctl --namespace={namespace}`.",
                    ecosystem.settings.group
                )],
                directives,
            }]
        }
        namespace => {
            if namespace.is_some() {
                warnings.push(Diagnostic::warning(
                    &ecosystem.source,
                    None,
                    format!(
                        "`logs.namespace` needs LogNamespace= (systemd {LOG_NAMESPACE_VERSION}); systemd {} logs to the system journal, with the limits as a journald.conf.d drop-in",
                        options.systemd_version
                    ),
                ));
            }
            if directives.is_empty() {
                return Vec::new();
            }
            vec![JournaldFile {
                name: format!("journald.conf.d/{}.conf", ecosystem.settings.group),
                notes: vec![
                    "These limits apply to the whole system journal (no `logs.namespace` is set)."
                        .into(),
                ],
                directives,
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::plan::testing::ecosystem;

    fn logs() -> LogSettings {
        LogSettings {
            max_file_size: Some(10 << 20),
            max_use: Some(1 << 30),
            max_files: Some(30),
            compress: Some(true),
            max_age: Some(Duration::from_secs(14 * 86400)),
            namespace: None,
        }
    }

    #[test]
    fn without_namespace_a_drop_in() {
        let mut eco = ecosystem(vec![]);
        eco.settings.logs = logs();
        let files = files(&eco, &PlanOptions::default(), &mut Vec::new());
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "journald.conf.d/agents.conf");
        let text: Vec<String> = files[0]
            .directives
            .iter()
            .map(|d| format!("{}={}", d.key, d.value.display()))
            .collect();
        assert_eq!(
            text,
            [
                "SystemMaxFileSize=10485760",
                "SystemMaxUse=1073741824",
                "SystemMaxFiles=30",
                "Compress=yes",
                "MaxRetentionSec=1209600s"
            ]
        );
    }

    #[test]
    fn with_namespace_its_own_config() {
        let mut eco = ecosystem(vec![]);
        eco.settings.logs = LogSettings {
            namespace: Some("agents".into()),
            ..logs()
        };
        let files = files(&eco, &PlanOptions::default(), &mut Vec::new());
        assert_eq!(files[0].name, "journald@agents.conf");
    }

    #[test]
    fn nothing_for_default_logs_or_user_scope() {
        let mut eco = ecosystem(vec![]);
        assert!(files(&eco, &PlanOptions::default(), &mut Vec::new()).is_empty());
        eco.settings.logs = logs();
        let user = PlanOptions {
            scope: Scope::User,
            ..PlanOptions::default()
        };
        let mut w = Vec::new();
        assert!(files(&eco, &user, &mut w).is_empty());
        assert_eq!(w.len(), 1);
    }
}
