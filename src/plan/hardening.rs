//! Hardening profiles: the sandboxing directives of an agent's service.
//!
//! `strict` (the default) scores at most 2.0 ("OK") in `systemd-analyze security`
//! while still running a Node HTTP agent:
//! - no `MemoryDenyWriteExecute=` (V8's JIT needs writable and executable memory);
//! - `ProtectHome=read-only`, not `yes`: agents deployed under `/home` must read their
//!   code;
//! - `SystemCallFilter=@system-service` with `SystemCallErrorNumber=EPERM`: a denied
//!   call fails instead of killing the process (the `~@privileged` variant without an
//!   errno got Node killed with SIGSYS at start);
//! - `DynamicUser=yes` when no `user` is set, so the agent never runs as root.
//!
//! `relaxed` keeps the host's filesystem readable and writable where usual (agents
//! that write beside their code) and runs as the given user, or root, as PM2 did.
//! `none` adds nothing. For a user manager, options that need privileges it lacks
//! (`DynamicUser=`, `User=`) are left out; the rest work through `PrivateUsers=yes`.
//!
//! The oneshots that restart an app for `cron_restart` and `watch` get their own fixed
//! set (`apply_restarter`): root without capabilities, no network, nothing writable.

use crate::bundle::Scope;
use crate::ecosystem::Hardening;

use super::Section;

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
    ("CapabilityBoundingSet", ""),
    ("AmbientCapabilities", ""),
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

/// Adds the profile's directives to `[Service]`. `has_user` says whether the app runs
/// as a named user (else `strict` uses a dynamic one in the system manager).
pub fn apply(profile: Hardening, scope: Scope, has_user: bool, service: &mut Section) {
    let set = match profile {
        Hardening::Strict => STRICT,
        Hardening::Relaxed => RELAXED,
        Hardening::None => return,
    };
    if profile == Hardening::Strict && scope == Scope::System && !has_user {
        service.plain("DynamicUser", "yes");
    }
    for (key, value) in set {
        service.plain(key, *value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(profile: Hardening, scope: Scope, has_user: bool) -> Section {
        let mut s = Section::new("Service");
        apply(profile, scope, has_user, &mut s);
        s
    }

    #[test]
    fn strict_keeps_node_working() {
        let s = keys(Hardening::Strict, Scope::System, false);
        assert!(s.get("MemoryDenyWriteExecute").is_none());
        assert_eq!(
            s.get("ProtectHome").map(|v| v.display()).as_deref(),
            Some("read-only")
        );
        assert_eq!(
            s.get("SystemCallErrorNumber")
                .map(|v| v.display())
                .as_deref(),
            Some("EPERM")
        );
        assert_eq!(
            s.get("DynamicUser").map(|v| v.display()).as_deref(),
            Some("yes")
        );
    }

    #[test]
    fn named_users_and_user_managers_get_no_dynamic_user() {
        assert!(
            keys(Hardening::Strict, Scope::System, true)
                .get("DynamicUser")
                .is_none()
        );
        assert!(
            keys(Hardening::Strict, Scope::User, false)
                .get("DynamicUser")
                .is_none()
        );
    }

    #[test]
    fn restarters_are_hardened_in_the_system_manager_only() {
        let mut system = Section::new("Service");
        apply_restarter(Scope::System, &mut system);
        assert_eq!(
            system
                .get("CapabilityBoundingSet")
                .map(|v| v.display())
                .as_deref(),
            Some("")
        );
        assert_eq!(
            system
                .get("RestrictAddressFamilies")
                .map(|v| v.display())
                .as_deref(),
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
            keys(Hardening::None, Scope::System, false)
                .directives
                .is_empty()
        );
        let relaxed = keys(Hardening::Relaxed, Scope::System, false);
        assert_eq!(
            relaxed.get("ProtectSystem").map(|v| v.display()).as_deref(),
            Some("full")
        );
        assert!(relaxed.get("DynamicUser").is_none());
    }
}
