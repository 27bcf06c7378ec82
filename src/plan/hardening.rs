//! Hardening profiles: the sandboxing directives of an agent's service.
//!
//! `standard` (the default) runs the app as PM2 ran it, as its owner (see
//! [`crate::ecosystem`]: `user:`, else the project root's owner), and sandboxes around
//! that: the whole system read-only (`ProtectSystem=strict`) but the owner's home and
//! the project (`ReadWritePaths=`), other users' homes hidden (`ProtectHome=tmpfs` with
//! the owner's home bound back), private `/tmp` and devices, kernel and control groups
//! protected, `@system-service` system calls (denied ones fail with `EPERM`), no
//! capabilities, `UMask=0022` as in a login shell. No `PrivateUsers=`: it would keep a
//! port below 1024 closed.
//!
//! `strict` (opt-in; the old default) runs under `DynamicUser=yes`:
//! - no `MemoryDenyWriteExecute=` (V8's JIT needs writable and executable memory);
//! - `ProtectHome=read-only`; a dynamic user only has the "others" permission bits, so
//!   a project under a `0700` home is out of its reach (warned at render time);
//! - `SystemCallFilter=@system-service` with `SystemCallErrorNumber=EPERM`.
//!
//! An app with a known port below 1024 (PM2's `port`, or an env var whose name ends in
//! `PORT`) gets exactly `CAP_NET_BIND_SERVICE`, bounding and ambient, in every profile
//! but `none` (and `strict` drops `PrivateUsers=` for it).
//!
//! Exposure (`systemd-analyze security --offline=yes`, systemd 252, one node app):
//! `standard` 1.9 OK (2.1 with the port capability), `strict` 1.6 OK (1.9),
//! `relaxed` 7.1 MEDIUM, `none` 9.2 UNSAFE.
//!
//! `relaxed` keeps the host's filesystem readable and writable where usual (agents
//! that write beside their code) and runs as the given user, or root, as PM2 did.
//! `none` adds nothing. For a user manager, options that need privileges it lacks
//! (`DynamicUser=`, `User=`, capabilities) are left out; the rest work through
//! `PrivateUsers=yes`.
//!
//! The oneshots that restart an app for `cron_restart` and `watch` get their own fixed
//! set (`apply_restarter`): root without capabilities, no network, nothing writable.

use std::path::Path;

use crate::bundle::Scope;
use crate::diagnostic::Diagnostic;
use crate::ecosystem::{App, Ecosystem, Hardening};

use super::{Section, Value, app_warning};

/// Directives of `standard` (paths and capabilities are added per app).
const STANDARD: &[(&str, &str)] = &[
    ("NoNewPrivileges", "yes"),
    ("ProtectSystem", "strict"),
    ("PrivateTmp", "yes"),
    ("PrivateDevices", "yes"),
    ("ProtectHostname", "yes"),
    ("ProtectClock", "yes"),
    ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"),
    ("ProtectKernelLogs", "yes"),
    ("ProtectControlGroups", "yes"),
    (
        "RestrictAddressFamilies",
        "AF_INET AF_INET6 AF_UNIX AF_NETLINK",
    ),
    ("RestrictNamespaces", "yes"),
    ("RestrictRealtime", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("LockPersonality", "yes"),
    ("SystemCallArchitectures", "native"),
    ("SystemCallFilter", "@system-service"),
    ("SystemCallErrorNumber", "EPERM"),
    ("UMask", "0022"),
];

/// Directives shared by `strict` in both scopes.
const STRICT: &[(&str, &str)] = &[
    ("NoNewPrivileges", "yes"),
    ("ProtectSystem", "strict"),
    ("ProtectHome", "read-only"),
    ("PrivateTmp", "yes"),
    ("PrivateDevices", "yes"),
    ("PrivateUsers", "yes"),
    ("ProtectHostname", "yes"),
    ("ProtectClock", "yes"),
    ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"),
    ("ProtectKernelLogs", "yes"),
    ("ProtectControlGroups", "yes"),
    ("ProtectProc", "invisible"),
    ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
    ("RestrictNamespaces", "yes"),
    ("RestrictRealtime", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("LockPersonality", "yes"),
    ("RemoveIPC", "yes"),
    ("SystemCallArchitectures", "native"),
    ("SystemCallFilter", "@system-service"),
    ("SystemCallErrorNumber", "EPERM"),
    ("UMask", "0077"),
];

/// Directives of `relaxed`.
const RELAXED: &[(&str, &str)] = &[
    ("NoNewPrivileges", "yes"),
    ("ProtectSystem", "full"),
    ("PrivateTmp", "yes"),
    ("PrivateDevices", "yes"),
    ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"),
    ("ProtectControlGroups", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("RestrictRealtime", "yes"),
    ("LockPersonality", "yes"),
];

/// Directives of the oneshots that restart an app for `cron_restart` and `watch`,
/// whatever the app's profile: they only run `systemctl restart`, which as root talks to
/// systemd on its private socket (`AF_UNIX`, a path on a read-only `/run` still
/// connects) and needs no capability, network, device or writable file.
const RESTARTER: &[(&str, &str)] = &[
    ("NoNewPrivileges", "yes"),
    ("ProtectSystem", "strict"),
    ("ProtectHome", "yes"),
    ("PrivateTmp", "yes"),
    ("PrivateDevices", "yes"),
    ("PrivateNetwork", "yes"),
    ("IPAddressDeny", "any"),
    ("ProtectHostname", "yes"),
    ("ProtectClock", "yes"),
    ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"),
    ("ProtectKernelLogs", "yes"),
    ("ProtectControlGroups", "yes"),
    ("RestrictAddressFamilies", "AF_UNIX"),
    ("RestrictNamespaces", "yes"),
    ("RestrictRealtime", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("LockPersonality", "yes"),
    ("MemoryDenyWriteExecute", "yes"),
    ("SystemCallArchitectures", "native"),
    ("SystemCallFilter", "@system-service"),
    ("SystemCallErrorNumber", "EPERM"),
    ("CapabilityBoundingSet", ""),
    ("UMask", "0077"),
];

/// Adds the restarting oneshot's directives to its `[Service]` in the system manager. A
/// user manager's oneshot is left as it is: it already runs as the user, and most of
/// these need privileges a user manager lacks.
pub fn apply_restarter(scope: Scope, service: &mut Section) {
    if scope == Scope::System {
        for (key, value) in RESTARTER {
            service.plain(key, *value);
        }
    }
}

/// What a profile is applied to: one app, in one manager.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The app's profile.
    pub profile: Hardening,
    /// The manager.
    pub scope: Scope,
    /// `User=`, if any.
    pub user: Option<&'a str>,
    /// That user's home, if known.
    pub home: Option<&'a Path>,
    /// The project root.
    pub root: &'a Path,
    /// The working folder.
    pub cwd: &'a Path,
    /// A known port below 1024.
    pub low_port: Option<u16>,
    /// The systemd version rendered for.
    pub systemd_version: u32,
}

/// The first systemd version with `ProtectHome=tmpfs`; older ones get `read-only`.
pub const PROTECT_HOME_TMPFS_VERSION: u32 = 242;

/// The folders a private `/tmp` (`PrivateTmp=`, implied by `DynamicUser=`) replaces.
const TEMPORARY: &[&str] = &["/tmp", "/var/tmp"];

impl Target<'_> {
    /// The project or working folder when it lies in `/tmp` or `/var/tmp`, where PM2
    /// ran it but a private `/tmp` would hide it.
    pub fn in_temporary(&self) -> Option<&Path> {
        [self.root, self.cwd]
            .into_iter()
            .find(|folder| TEMPORARY.iter().any(|t| folder.starts_with(t)))
    }

    /// Whether the service runs under `DynamicUser=yes`: `strict`, or `standard`
    /// without a user to run as, in the system manager.
    pub fn dynamic_user(&self) -> bool {
        self.scope == Scope::System
            && self.user.is_none()
            && matches!(self.profile, Hardening::Strict | Hardening::Standard)
    }
}

/// A port below 1024 the app is known to listen on: PM2's `port`, or the value of an
/// env var whose name ends in `PORT`.
pub fn low_port(app: &App) -> Option<u16> {
    let from_env = app
        .env
        .iter()
        .filter(|(name, _)| name.to_ascii_uppercase().ends_with("PORT"))
        .filter_map(|(_, value)| value.trim().parse::<u16>().ok());
    app.port
        .into_iter()
        .chain(from_env)
        .find(|port| (1..1024).contains(port))
}

/// Whether `key` is one of the sandboxing directives a profile (or the restart
/// oneshots' set) adds: what the service template writes as one run.
pub fn is_sandboxing(key: &str) -> bool {
    matches!(
        key,
        "DynamicUser"
            | "NoNewPrivileges"
            | "ProtectSystem"
            | "ProtectHome"
            | "BindPaths"
            | "ReadWritePaths"
            | "PrivateTmp"
            | "PrivateDevices"
            | "PrivateNetwork"
            | "PrivateUsers"
            | "IPAddressDeny"
            | "ProtectHostname"
            | "ProtectClock"
            | "ProtectKernelTunables"
            | "ProtectKernelModules"
            | "ProtectKernelLogs"
            | "ProtectControlGroups"
            | "ProtectProc"
            | "RestrictAddressFamilies"
            | "RestrictNamespaces"
            | "RestrictRealtime"
            | "RestrictSUIDSGID"
            | "LockPersonality"
            | "MemoryDenyWriteExecute"
            | "RemoveIPC"
            | "SystemCallArchitectures"
            | "SystemCallFilter"
            | "SystemCallErrorNumber"
            | "CapabilityBoundingSet"
            | "AmbientCapabilities"
            | "UMask"
    )
}

/// Adds the profile's directives to `[Service]`, and notes explaining them.
pub fn apply(target: &Target<'_>, service: &mut Section, notes: &mut Vec<String>) {
    if target.profile == Hardening::None {
        return;
    }
    let strict_like = target.profile == Hardening::Strict
        || (target.dynamic_user() && target.profile == Hardening::Standard);
    let user_scope = target.scope == Scope::User;
    if target.dynamic_user() {
        service.plain("DynamicUser", "yes");
    }
    let set = match target.profile {
        _ if strict_like => STRICT,
        Hardening::Relaxed => RELAXED,
        _ => STANDARD,
    };
    let in_temporary = target.in_temporary().filter(|_| !target.dynamic_user());
    for (key, value) in set {
        if *key == "PrivateUsers" && target.low_port.is_some() {
            continue;
        }
        if *key == "PrivateTmp" && in_temporary.is_some() {
            continue;
        }
        service.plain(key, *value);
    }
    if let Some(folder) = in_temporary {
        notes.push(format!(
            "No PrivateTmp=: the app's folder {} is in a temporary folder, which a private /tmp would hide.",
            folder.display()
        ));
    }
    if target.profile == Hardening::Standard && !strict_like {
        standard_paths(target, service);
    }
    if user_scope && !strict_like && target.profile == Hardening::Standard {
        service.plain("PrivateUsers", "yes");
    }
    if target.profile == Hardening::Relaxed {
        if let Some(port) = target.low_port.filter(|_| !user_scope) {
            bind_capability(service, notes, port);
        }
        return;
    }
    match target.low_port {
        Some(port) if !user_scope => bind_capability(service, notes, port),
        _ => {
            service.plain("CapabilityBoundingSet", "");
            service.plain("AmbientCapabilities", "");
        }
    }
}

/// A path as one word of a space-separated list directive (`ReadWritePaths=`): in
/// double quotes when it holds white space.
fn list_path(path: &str) -> Value {
    if path.contains(char::is_whitespace) {
        Value::Text(format!("\"{path}\""))
    } else {
        Value::Path(path.to_owned())
    }
}

/// Render-time warnings where the profile will break the app, each with its fix.
pub fn check(
    ecosystem: &Ecosystem,
    app: &App,
    target: &Target<'_>,
    warnings: &mut Vec<Diagnostic>,
) {
    if target.dynamic_user()
        && let Some(path) = &app.hidden_from_others
    {
        let (verb, chmod) = crate::ecosystem::closed_access(path);
        let message = format!(
            "a dynamic user cannot {verb} {}: the app will fail to start (status 200/CHDIR or 203/EXEC) or to load its script",
            path.display(),
        );
        let fix = match target.profile {
            Hardening::Strict => {
                "use the default profile (`hardening: standard`), which runs the app as its owner"
            }
            _ => "write `user: NAME` to run the app as its owner",
        };
        let hint = format!("{fix}, or open it to others ({chmod})");
        warnings.push(app_warning(ecosystem, app, message).with_hint(hint));
    } else if target.dynamic_user() && target.profile == Hardening::Strict {
        // It can run, but PM2 ran it as a user who could write the project.
        let message = format!(
            "a dynamic user can write nowhere but its own state folder: {} is read-only for it, so whatever the app writes beside its code (logs, data, uploads) fails",
            ecosystem.base_dir.display()
        );
        let hint = "use the default profile (`hardening: standard`), which runs the app as its owner with its project writable, or write `user: NAME`";
        warnings.push(app_warning(ecosystem, app, message).with_hint(hint));
    }
    if let Some(folder) = target.in_temporary() {
        warnings.push(temporary_warning(ecosystem, app, target, folder));
    }
}

/// The app's folder is in `/tmp` or `/var/tmp`: a dynamic user's private `/tmp` hides
/// it; otherwise the unit does without a private `/tmp`, and the folder is still one
/// that `systemd-tmpfiles` empties.
fn temporary_warning(
    ecosystem: &Ecosystem,
    app: &App,
    target: &Target<'_>,
    folder: &Path,
) -> Diagnostic {
    let (message, hint) = if target.dynamic_user() {
        (
            format!(
                "{} is in a temporary folder, which the private /tmp of a dynamic user hides: the app will fail to start (status 200/CHDIR)",
                folder.display()
            ),
            "move the project to a lasting folder (/srv/NAME, /opt/NAME or your home), or write `user: NAME` to run it as its owner",
        )
    } else {
        (
            format!(
                "{} is in a temporary folder: the app's unit gets no private /tmp (which would hide it), and systemd-tmpfiles deletes files there that go unused for days",
                folder.display()
            ),
            "move the project to a lasting folder (/srv/NAME, /opt/NAME or your home)",
        )
    };
    app_warning(ecosystem, app, message).with_hint(hint)
}

fn bind_capability(service: &mut Section, notes: &mut Vec<String>, port: u16) {
    service.plain("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE");
    service.plain("AmbientCapabilities", "CAP_NET_BIND_SERVICE");
    notes.push(format!(
        "Port {port} is below 1024: the app gets CAP_NET_BIND_SERVICE (and no other capability) to bind it, as root under PM2 could."
    ));
}

/// The folders `ProtectHome=` hides.
const HOMES: &[&str] = &["/home", "/root", "/run/user"];

/// `standard`'s paths: the owner's home visible and writable, other homes hidden, the
/// project and the working folder writable (and bound back when under a hidden home:
/// a project in another user's home, or a home not looked up under `--portable`).
fn standard_paths(target: &Target<'_>, service: &mut Section) {
    let path = |p: &Path| list_path(&p.display().to_string());
    let tmpfs =
        target.scope == Scope::System && target.systemd_version >= PROTECT_HOME_TMPFS_VERSION;
    if target.scope == Scope::User {
        service.plain("ProtectHome", "read-only");
        service.plain("ReadWritePaths", "%h");
    } else {
        service.plain("ProtectHome", if tmpfs { "tmpfs" } else { "read-only" });
    }
    let inside = |p: &Path| target.home.is_some_and(|h| p.starts_with(h));
    let mut writable: Vec<&Path> = Vec::new();
    if target.scope == Scope::System {
        writable.extend(target.home);
    }
    if !inside(target.root) {
        writable.push(target.root);
    }
    if !inside(target.cwd) && !target.cwd.starts_with(target.root) {
        writable.push(target.cwd);
    }
    for folder in &writable {
        let hidden = HOMES.iter().any(|home| folder.starts_with(home));
        if tmpfs && hidden {
            service.push("BindPaths", path(folder));
        }
    }
    for folder in writable {
        service.push("ReadWritePaths", path(folder));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing;

    fn keys(profile: Hardening, scope: Scope, user: Option<&str>) -> Section {
        keys_for(profile, scope, user, None)
    }

    /// Ana's project in her home, under `standard` on systemd 252: each test changes
    /// what it is about.
    fn ana() -> Target<'static> {
        Target {
            profile: Hardening::Standard,
            scope: Scope::System,
            user: Some("ana"),
            home: Some(Path::new("/home/ana")),
            root: Path::new("/home/ana/shop"),
            cwd: Path::new("/home/ana/shop"),
            low_port: None,
            systemd_version: 252,
        }
    }

    fn keys_for(
        profile: Hardening,
        scope: Scope,
        user: Option<&str>,
        low_port: Option<u16>,
    ) -> Section {
        let mut s = Section::new("Service");
        let target = Target {
            profile,
            scope,
            user,
            low_port,
            ..ana()
        };
        apply(&target, &mut s, &mut Vec::new());
        s
    }

    fn value(s: &Section, key: &str) -> Option<String> {
        s.get(key).map(|v| v.display())
    }

    fn values(s: &Section, key: &str) -> Vec<String> {
        s.directives
            .iter()
            .filter(|d| d.key == key)
            .map(|d| d.value.display())
            .collect()
    }

    #[test]
    fn every_profile_directive_is_a_sandboxing_one() {
        for table in [STANDARD, STRICT, RELAXED, RESTARTER] {
            for (key, _) in table {
                assert!(is_sandboxing(key), "{key}");
            }
        }
        assert!(!is_sandboxing("ExecStart"));
    }

    #[test]
    fn standard_runs_as_the_owner_with_their_home_and_project_writable() {
        let s = keys(Hardening::Standard, Scope::System, Some("ana"));
        assert!(s.get("DynamicUser").is_none());
        assert!(
            s.get("PrivateUsers").is_none(),
            "it would keep low ports closed"
        );
        assert_eq!(value(&s, "ProtectSystem").as_deref(), Some("strict"));
        assert_eq!(value(&s, "ProtectHome").as_deref(), Some("tmpfs"));
        assert_eq!(values(&s, "BindPaths"), ["/home/ana"]);
        // The project is inside the home: one writable path covers both.
        assert_eq!(values(&s, "ReadWritePaths"), ["/home/ana"]);
        assert_eq!(value(&s, "UMask").as_deref(), Some("0022"));
        assert_eq!(value(&s, "CapabilityBoundingSet").as_deref(), Some(""));
        assert_eq!(
            value(&s, "RestrictAddressFamilies").as_deref(),
            Some("AF_INET AF_INET6 AF_UNIX AF_NETLINK")
        );
    }

    #[test]
    fn systemd_before_242_gets_a_read_only_home_instead_of_a_tmpfs() {
        let mut s = Section::new("Service");
        let target = Target {
            systemd_version: 241,
            ..ana()
        };
        apply(&target, &mut s, &mut Vec::new());
        assert_eq!(value(&s, "ProtectHome").as_deref(), Some("read-only"));
        assert!(s.get("BindPaths").is_none());
        assert_eq!(values(&s, "ReadWritePaths"), ["/home/ana"]);
    }

    #[test]
    fn a_project_under_a_home_not_looked_up_is_bound_back() {
        let mut s = Section::new("Service");
        let target = Target {
            home: None,
            cwd: Path::new("/home/ana/shop/api"),
            ..ana()
        };
        apply(&target, &mut s, &mut Vec::new());
        assert_eq!(values(&s, "BindPaths"), ["/home/ana/shop"]);
        assert_eq!(values(&s, "ReadWritePaths"), ["/home/ana/shop"]);
    }

    #[test]
    fn a_project_outside_the_home_is_writable_too() {
        let mut s = Section::new("Service");
        let target = Target {
            user: Some("www"),
            home: Some(Path::new("/home/www")),
            root: Path::new("/srv/shop"),
            cwd: Path::new("/opt/shop-worker"),
            ..ana()
        };
        apply(&target, &mut s, &mut Vec::new());
        assert_eq!(
            values(&s, "ReadWritePaths"),
            ["/home/www", "/srv/shop", "/opt/shop-worker"]
        );
    }

    #[test]
    fn paths_with_spaces_stay_one_word() {
        assert_eq!(list_path("/srv/my shop").display(), "\"/srv/my shop\"");
        assert_eq!(list_path("/srv/shop"), Value::Path("/srv/shop".into()));
    }

    #[test]
    fn standard_without_a_user_falls_back_to_strict_dynamic_user() {
        let s = keys(Hardening::Standard, Scope::System, None);
        assert_eq!(value(&s, "DynamicUser").as_deref(), Some("yes"));
        assert_eq!(value(&s, "ProtectHome").as_deref(), Some("read-only"));
        assert!(s.get("BindPaths").is_none());
    }

    #[test]
    fn strict_keeps_node_working() {
        let s = keys(Hardening::Strict, Scope::System, None);
        assert!(s.get("MemoryDenyWriteExecute").is_none());
        assert_eq!(value(&s, "ProtectHome").as_deref(), Some("read-only"));
        assert_eq!(value(&s, "SystemCallErrorNumber").as_deref(), Some("EPERM"));
        assert_eq!(value(&s, "DynamicUser").as_deref(), Some("yes"));
        assert_eq!(value(&s, "PrivateUsers").as_deref(), Some("yes"));
    }

    #[test]
    fn low_ports_get_exactly_the_bind_capability_in_every_profile_but_none() {
        for profile in [Hardening::Standard, Hardening::Strict, Hardening::Relaxed] {
            let s = keys_for(profile, Scope::System, Some("ana"), Some(80));
            assert_eq!(
                value(&s, "CapabilityBoundingSet").as_deref(),
                Some("CAP_NET_BIND_SERVICE"),
                "{profile:?}"
            );
            assert_eq!(
                value(&s, "AmbientCapabilities").as_deref(),
                Some("CAP_NET_BIND_SERVICE"),
                "{profile:?}"
            );
            assert!(s.get("PrivateUsers").is_none(), "{profile:?}");
        }
        let none = keys_for(Hardening::None, Scope::System, Some("ana"), Some(80));
        assert!(none.directives.is_empty());
        let user = keys_for(Hardening::Standard, Scope::User, None, Some(80));
        assert_eq!(value(&user, "CapabilityBoundingSet").as_deref(), Some(""));
    }

    #[test]
    fn low_ports_come_from_port_or_any_env_var_ending_in_port() {
        let mut app = testing::app("web");
        assert_eq!(low_port(&app), None);
        app.env.insert("PORT".into(), "3000".into());
        assert_eq!(low_port(&app), None);
        app.env.insert("HTTP_PORT".into(), " 80".into());
        assert_eq!(low_port(&app), Some(80));
        let mut app = testing::app("tls");
        app.port = Some(443);
        assert_eq!(low_port(&app), Some(443));
        app.port = Some(0);
        app.env.insert("REPORT".into(), "12".into());
        assert_eq!(low_port(&app), Some(12), "REPORT ends in PORT too");
    }

    #[test]
    fn strict_says_the_project_is_read_only_for_its_dynamic_user() {
        let app = testing::app("web");
        let eco = testing::ecosystem(vec![app.clone()]);
        let target = Target {
            profile: Hardening::Strict,
            user: None,
            home: None,
            root: Path::new("/srv/agents"),
            cwd: Path::new("/srv/agents"),
            ..ana()
        };
        let mut warnings = Vec::new();
        check(&eco, &app, &target, &mut warnings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.contains("/srv/agents is read-only"));
        let mut none = Vec::new();
        let standard = Target {
            profile: Hardening::Standard,
            user: Some("ana"),
            ..target
        };
        check(&eco, &app, &standard, &mut none);
        let named = Target {
            user: Some("ana"),
            ..target
        };
        check(&eco, &app, &named, &mut none);
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn a_dynamic_user_kept_out_of_a_closed_home_is_warned_once_with_the_fix() {
        let mut app = testing::app("web");
        app.hidden_from_others = Some("/home/ana".into());
        let eco = testing::ecosystem(vec![app.clone()]);
        let target = Target {
            profile: Hardening::Strict,
            user: None,
            home: None,
            ..ana()
        };
        let mut warnings = Vec::new();
        check(&eco, &app, &target, &mut warnings);
        check(&eco, &app, &target, &mut warnings);
        let warnings = crate::diagnostic::merge(warnings);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("/home/ana"));
        assert!(warnings[0].hint.as_deref().unwrap().contains("standard"));
        let owner = Target {
            user: Some("ana"),
            profile: Hardening::Standard,
            ..target
        };
        let mut none = Vec::new();
        check(&eco, &app, &owner, &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn a_dynamic_user_kept_from_reading_the_script_is_told_how_to_open_it() {
        let script = std::env::temp_dir().join(format!(
            "ecosystemd-hardening-closed-{}.js",
            std::process::id()
        ));
        std::fs::write(&script, "").unwrap();
        let mut app = testing::app("web");
        app.hidden_from_others = Some(script.clone());
        let eco = testing::ecosystem(vec![app.clone()]);
        let target = Target {
            user: None,
            home: None,
            ..ana()
        };
        let mut warnings = Vec::new();
        check(&eco, &app, &target, &mut warnings);
        std::fs::remove_file(&script).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let expected = format!("a dynamic user cannot read {}", script.display());
        assert!(warnings[0].message.contains(&expected), "{warnings:?}");
        let hint = warnings[0].hint.as_deref().unwrap();
        assert!(
            hint.contains("`user: NAME`") && hint.contains("chmod -R o+rX"),
            "{hint}"
        );
    }

    #[test]
    fn a_project_in_tmp_keeps_its_folder_visible_or_is_warned_about() {
        let app = testing::app("web");
        let eco = testing::ecosystem(vec![app.clone()]);
        let owner = Target {
            root: Path::new("/tmp/shop"),
            cwd: Path::new("/tmp/shop"),
            ..ana()
        };
        let mut s = Section::new("Service");
        let mut notes = Vec::new();
        apply(&owner, &mut s, &mut notes);
        assert!(s.get("PrivateTmp").is_none(), "it would hide /tmp/shop");
        assert_eq!(values(&s, "ReadWritePaths"), ["/home/ana", "/tmp/shop"]);
        assert!(notes.iter().any(|n| n.contains("/tmp/shop")), "{notes:?}");
        let mut warnings = Vec::new();
        check(&eco, &app, &owner, &mut warnings);
        check(&eco, &app, &owner, &mut warnings);
        let warnings = crate::diagnostic::merge(warnings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.contains("no private /tmp"));

        // A dynamic user always has a private /tmp: the app cannot start, and says so.
        let dynamic = Target {
            profile: Hardening::Strict,
            user: None,
            home: None,
            root: Path::new("/var/tmp/shop"),
            cwd: Path::new("/var/tmp/shop"),
            ..ana()
        };
        let mut warnings = Vec::new();
        check(&eco, &app, &dynamic, &mut warnings);
        assert!(
            warnings.iter().any(|w| w.message.contains("200/CHDIR")
                && w.hint.as_deref().unwrap().contains("user: NAME")),
            "{warnings:?}"
        );
        // Anywhere else: no warning about it, and a private /tmp.
        let mut none = Vec::new();
        check(&eco, &app, &ana(), &mut none);
        assert!(none.is_empty(), "{none:?}");
        assert_eq!(
            value(
                &keys(Hardening::Standard, Scope::System, Some("ana")),
                "PrivateTmp"
            )
            .as_deref(),
            Some("yes")
        );
    }

    #[test]
    fn user_managers_get_no_dynamic_user_and_keep_private_users() {
        let s = keys(Hardening::Strict, Scope::User, None);
        assert!(s.get("DynamicUser").is_none());
        let s = keys(Hardening::Standard, Scope::User, None);
        assert!(s.get("DynamicUser").is_none());
        assert_eq!(value(&s, "PrivateUsers").as_deref(), Some("yes"));
        assert_eq!(value(&s, "ReadWritePaths").as_deref(), Some("%h"));
    }

    #[test]
    fn restarters_are_hardened_in_the_system_manager_only() {
        let mut system = Section::new("Service");
        apply_restarter(Scope::System, &mut system);
        assert_eq!(value(&system, "CapabilityBoundingSet").as_deref(), Some(""));
        assert_eq!(
            value(&system, "RestrictAddressFamilies").as_deref(),
            Some("AF_UNIX")
        );
        assert!(
            system.get("DynamicUser").is_none(),
            "systemctl restart needs root"
        );
        let mut user = Section::new("Service");
        apply_restarter(Scope::User, &mut user);
        assert!(user.directives.is_empty());
    }

    #[test]
    fn none_adds_nothing_and_relaxed_less_than_strict() {
        assert!(
            keys(Hardening::None, Scope::System, None)
                .directives
                .is_empty()
        );
        let relaxed = keys(Hardening::Relaxed, Scope::System, None);
        assert_eq!(value(&relaxed, "ProtectSystem").as_deref(), Some("full"));
        assert!(relaxed.get("DynamicUser").is_none());
    }
}
