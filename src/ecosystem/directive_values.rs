//! The values of raw `systemd: directives:`, checked against the grammar systemd reads
//! each directive with (its kind as `systemd --dump-configuration-items` lists it), so
//! that a value systemd would ignore with a warning is refused where it was written.
//!
//! Directives of a kind not listed here (the free-form ones: `Description=`,
//! `ExecStartPre=`, ...) are only checked by rendering (one line, no edge whitespace);
//! the fuzz targets' verification step renders accepted files through
//! `systemd-analyze verify` to find any kind that still needs a check here.

use super::systemd_syntax as syntax;

/// How systemd reads a directive's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `parse_boolean()`.
    Boolean,
    /// A time span (`parse_sec()`); `empty_resets`: an empty value is taken.
    TimeSpan { empty_resets: bool },
    /// A nanosecond time span (`parse_nsec()`).
    NanoSpan,
    /// An unsigned number.
    Unsigned,
    /// A resource limit (`soft[:hard]`, each `infinity` or of `RlimitValue`).
    Rlimit(RlimitValue),
    /// A memory limit: a size, a percentage or `infinity`; empty resets.
    Memory,
    /// `DEVICE VALUE` (`IOReadBandwidthMax=`): an absolute path and a size or `infinity`.
    DeviceLimit,
    /// An octal file mode.
    Mode,
    /// A signal.
    Signal,
    /// An integer in a range; empty resets.
    Ranged(i64, i64),
    /// A CPU weight: `idle` or 1..=10000; empty resets.
    CpuWeight,
    /// Unit names separated by spaces.
    Units,
    /// One absolute path; empty resets.
    Path,
    /// Absolute paths separated by spaces, each may start with `-` and `+`.
    Paths,
    /// `[-]SOURCE[:DESTINATION[:OPTIONS]]` words (`BindPaths=`).
    BindPaths,
    /// Documentation URLs separated by spaces.
    Urls,
    /// One of these words.
    Keyword(&'static [&'static str]),
}

/// What a resource limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RlimitValue {
    /// A plain number.
    Count,
    /// Bytes, with size suffixes.
    Bytes,
    /// A time span in seconds (`LimitCPU=`) or microseconds (`LimitRTTIME=`).
    Time,
}

/// Booleans of `[Unit]` and `[Service]` (`BOOLEAN` in systemd 252's dump).
const BOOLEANS: &[&str] = &[
    "StopWhenUnneeded",
    "RefuseManualStart",
    "RefuseManualStop",
    "AllowIsolate",
    "DefaultDependencies",
    "OnFailureIsolate",
    "IgnoreOnIsolate",
    "PermissionsStartOnly",
    "RootDirectoryStartOnly",
    "RemainAfterExit",
    "GuessMainPID",
    "NonBlocking",
    "CPUSchedulingResetOnFork",
    "DynamicUser",
    "RemoveIPC",
    "TTYReset",
    "TTYVHangup",
    "TTYVTDisallocate",
    "SyslogLevelPrefix",
    "NoNewPrivileges",
    "MemoryDenyWriteExecute",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "LockPersonality",
    "PrivateTmp",
    "PrivateDevices",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectClock",
    "ProtectControlGroups",
    "PrivateNetwork",
    "PrivateUsers",
    "PrivateMounts",
    "PrivateIPC",
    "IgnoreSIGPIPE",
    "ProtectHostname",
    "CPUAccounting",
    "MemoryAccounting",
    "IOAccounting",
    "BlockIOAccounting",
    "TasksAccounting",
    "IPAccounting",
    "SendSIGKILL",
    "SendSIGHUP",
];

/// Time spans an empty value resets (`config_parse_sec_def_unset()` and the like).
const SPANS_EMPTY_RESETS: &[&str] = &["TimeoutAbortSec", "CPUQuotaPeriodSec"];

/// Resource limits counted in plain numbers.
const COUNT_LIMITS: &[&str] = &[
    "LimitNOFILE",
    "LimitNPROC",
    "LimitLOCKS",
    "LimitSIGPENDING",
    "LimitRTPRIO",
    "LimitNICE",
];

/// Unit-list directives of `[Unit]` (`UNIT [...]`).
const UNIT_LISTS: &[&str] = &[
    "Requires",
    "Requisite",
    "Wants",
    "BindsTo",
    "BindTo",
    "Upholds",
    "Conflicts",
    "Before",
    "After",
    "OnSuccess",
    "OnFailure",
    "PropagatesReloadTo",
    "PropagateReloadTo",
    "ReloadPropagatedFrom",
    "PropagateReloadFrom",
    "PropagatesStopTo",
    "StopPropagatedFrom",
    "PartOf",
    "JoinsNamespaceOf",
    "WantedBy",
    "RequiredBy",
    "UpheldBy",
    "Also",
    "Alias",
];

/// Path-list directives (`PATH [...]`).
const PATH_LISTS: &[&str] = &[
    "RequiresMountsFor",
    "ReadWriteDirectories",
    "ReadOnlyDirectories",
    "InaccessibleDirectories",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "ExecPaths",
    "NoExecPaths",
    "ExtensionDirectories",
];

/// Single-path directives (`PATH`).
const PATHS: &[&str] = &[
    "RootDirectory",
    "RootImage",
    "RootVerity",
    "TTYPath",
    "NetworkNamespacePath",
    "IPCNamespacePath",
    "USBFunctionDescriptors",
    "USBFunctionStrings",
    "PIDFile",
];

/// How systemd reads `name`, where it has a grammar checked here.
fn kind(name: &str) -> Option<Kind> {
    let listed = |list: &[&str]| list.contains(&name);
    Some(match name {
        _ if listed(BOOLEANS) => Kind::Boolean,
        "TimerSlackNSec" => Kind::NanoSpan,
        "IODeviceLatencyTargetSec" => return None,
        _ if name.ends_with("Sec") || name == "StartLimitInterval" => Kind::TimeSpan {
            empty_resets: listed(SPANS_EMPTY_RESETS),
        },
        "LimitCPU" | "LimitRTTIME" => Kind::Rlimit(RlimitValue::Time),
        _ if listed(COUNT_LIMITS) => Kind::Rlimit(RlimitValue::Count),
        _ if name.starts_with("Limit") => Kind::Rlimit(RlimitValue::Bytes),
        "MemoryMin" | "MemoryLow" | "MemorySwapMax" | "MemoryLimit" | "DefaultMemoryMin"
        | "DefaultMemoryLow" => Kind::Memory,
        "IOReadBandwidthMax"
        | "IOWriteBandwidthMax"
        | "IOReadIOPSMax"
        | "IOWriteIOPSMax"
        | "BlockIOReadBandwidth"
        | "BlockIOWriteBandwidth" => Kind::DeviceLimit,
        "LogRateLimitBurst" | "FileDescriptorStoreMax" => Kind::Unsigned,
        "UMask"
        | "RuntimeDirectoryMode"
        | "StateDirectoryMode"
        | "CacheDirectoryMode"
        | "LogsDirectoryMode"
        | "ConfigurationDirectoryMode" => Kind::Mode,
        "KillSignal" | "RestartKillSignal" | "FinalKillSignal" | "WatchdogSignal" => Kind::Signal,
        "OOMScoreAdjust" => Kind::Ranged(-1000, 1000),
        "IOWeight" | "StartupIOWeight" => Kind::Ranged(1, 10_000),
        "BlockIOWeight" | "StartupBlockIOWeight" => Kind::Ranged(10, 1_000),
        "CPUShares" | "StartupCPUShares" => Kind::Ranged(2, 262_144),
        "CPUWeight" | "StartupCPUWeight" => Kind::CpuWeight,
        _ if listed(UNIT_LISTS) => Kind::Units,
        _ if listed(PATH_LISTS) => Kind::Paths,
        _ if listed(PATHS) => Kind::Path,
        "BindPaths" | "BindReadOnlyPaths" => Kind::BindPaths,
        "Documentation" => Kind::Urls,
        "Type" => Kind::Keyword(&[
            "simple",
            "exec",
            "forking",
            "oneshot",
            "dbus",
            "notify",
            "notify-reload",
            "idle",
        ]),
        "NotifyAccess" => Kind::Keyword(&["none", "main", "exec", "all"]),
        "ExitType" => Kind::Keyword(&["main", "cgroup"]),
        "KillMode" => Kind::Keyword(&["control-group", "process", "mixed", "none", ""]),
        "TimeoutStartFailureMode" | "TimeoutStopFailureMode" => {
            Kind::Keyword(&["terminate", "abort", "kill"])
        }
        _ => return None,
    })
}

/// Why a value is refused: what systemd expects, and an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What the value should be.
    pub expected: &'static str,
    /// A hint with an example.
    pub hint: String,
}

/// Checks `value` for directive `name` (of `[Unit]`, `[Service]` or `[Install]`, whose
/// names do not clash): `Err` with what systemd expects where it would ignore the line;
/// `Ok(true)` where systemd reads the value without expanding `%` specifiers, so that it
/// is to be written exactly as it is (checked, it holds nothing to escape).
pub fn check(name: &str, value: &str) -> Result<bool, Refusal> {
    let Some(kind) = kind(name) else {
        return Ok(false);
    };
    if accepts(kind, value.trim()) {
        return Ok(!expands_specifiers(kind));
    }
    let (expected, example) = describe(kind);
    let hint = match kind {
        Kind::Keyword(words) => format!("`{name}=` takes one of: {}", words.join(", ")),
        _ => format!("write it as systemd reads `{name}=`, e.g. {example}"),
    };
    Err(Refusal { expected, hint })
}

/// Whether `kind` takes `value`.
fn accepts(kind: Kind, value: &str) -> bool {
    let words = || value.split_ascii_whitespace();
    match kind {
        Kind::Boolean => syntax::boolean(value),
        Kind::TimeSpan { empty_resets } => {
            (empty_resets && value.is_empty()) || syntax::time_span(value, false)
        }
        Kind::NanoSpan => syntax::time_span(value, true),
        Kind::Unsigned => syntax::unsigned(value, u64::from(u32::MAX)),
        Kind::Rlimit(counted) => rlimit(counted, value),
        Kind::Memory => {
            value.is_empty() || value == "infinity" || percent(value) || syntax::size(value)
        }
        Kind::DeviceLimit => value.is_empty() || device_limit(value),
        Kind::Mode => syntax::mode(value),
        Kind::Signal => syntax::signal(value),
        Kind::Ranged(min, max) => value.is_empty() || syntax::integer_in(value, min, max),
        Kind::CpuWeight => {
            value.is_empty() || value == "idle" || syntax::integer_in(value, 1, 10_000)
        }
        Kind::Units => words().all(syntax::unit_name),
        Kind::Path => value.is_empty() || syntax::absolute_path(value),
        Kind::Paths => words().all(|w| syntax::absolute_path(w.trim_start_matches(['-', '+']))),
        Kind::BindPaths => words().all(bind_path),
        Kind::Urls => words().all(syntax::documentation_url),
        Kind::Keyword(words) => words.contains(&value),
    }
}

/// Whether systemd expands `%` specifiers in values of `kind` (names and paths).
fn expands_specifiers(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Units | Kind::Path | Kind::Paths | Kind::BindPaths | Kind::Urls | Kind::DeviceLimit
    )
}

/// `rlimit_parse()`: `soft[:hard]`, each `infinity` or a value of `counted`.
fn rlimit(counted: RlimitValue, value: &str) -> bool {
    let one = |part: &str| {
        part == "infinity"
            || match counted {
                RlimitValue::Count => syntax::unsigned(part, u64::MAX),
                RlimitValue::Bytes => syntax::size(part),
                RlimitValue::Time => syntax::time_span(part, false),
            }
    };
    match value.split_once(':') {
        Some((soft, hard)) => one(soft) && one(hard),
        None => one(value),
    }
}

/// `parse_permyriad()`: `N%`, `N.N%`, `N‰` or `N‱`, at most 100%.
fn percent(value: &str) -> bool {
    let (number, per) = match value.char_indices().last() {
        Some((at, '%')) => (&value[..at], 100.0),
        Some((at, '\u{2030}')) => (&value[..at], 1_000.0),
        Some((at, '\u{2031}')) => (&value[..at], 10_000.0),
        _ => return false,
    };
    number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && number.parse::<f64>().is_ok_and(|n| n / per <= 1.0)
}

/// `DEVICE VALUE`: an absolute path and `infinity` or a size.
fn device_limit(value: &str) -> bool {
    let mut words = value.split_ascii_whitespace();
    let (Some(device), Some(limit), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    syntax::absolute_path(device) && (limit == "infinity" || syntax::size(limit))
}

/// One `BindPaths=` word: `[-]SOURCE[:DESTINATION[:OPTIONS]]`, the paths absolute.
fn bind_path(word: &str) -> bool {
    let mut parts = word.trim_start_matches('-').splitn(3, ':');
    let source = parts.next().unwrap_or_default();
    syntax::absolute_path(source) && parts.next().is_none_or(syntax::absolute_path)
}

/// What `kind` expects, and an example.
fn describe(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Boolean => ("a boolean", "\"yes\" or \"no\""),
        Kind::TimeSpan { .. } => ("a time span", "\"90s\", \"5min 30s\" or \"infinity\""),
        Kind::NanoSpan => ("a time span", "\"50us\" or \"1ms\""),
        Kind::Unsigned => ("an unsigned number", "\"100\""),
        Kind::Rlimit(RlimitValue::Count) => ("a limit", "\"65536\", \"1024:4096\" or \"infinity\""),
        Kind::Rlimit(RlimitValue::Bytes) => ("a size limit", "\"8M\", \"1G:2G\" or \"infinity\""),
        Kind::Rlimit(RlimitValue::Time) => ("a time limit", "\"5min\" or \"infinity\""),
        Kind::Memory => ("a memory size", "\"512M\", \"10%\" or \"infinity\""),
        Kind::DeviceLimit => ("a device and a limit", "\"/dev/sda 10M\""),
        Kind::Mode => ("an octal mode", "\"0027\""),
        Kind::Signal => ("a signal", "\"SIGTERM\""),
        Kind::Ranged(..) => ("a number in systemd's range", "\"100\""),
        Kind::CpuWeight => ("a CPU weight (1 to 10000, or idle)", "\"100\""),
        Kind::Units => ("unit names", "\"postgresql.service redis.service\""),
        Kind::Path => ("an absolute path", "\"/run/app.pid\""),
        Kind::Paths => ("absolute paths", "\"/var/lib/app -/var/cache/app\""),
        Kind::BindPaths => ("bind mounts", "\"/srv/data:/data\""),
        Kind::Urls => (
            "documentation URLs",
            "\"https://example.com/docs man:app(1)\"",
        ),
        Kind::Keyword(_) => ("one of systemd's words for it", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str, value: &str) -> bool {
        check(name, value).is_err()
    }

    /// Each was refused by `systemd-analyze verify` (systemd 252) as written here.
    #[test]
    fn values_systemd_ignores_are_refused() {
        for (name, value) in [
            ("TimeoutStartSec", "~~~2s"),
            ("RuntimeMaxSec", ""),
            ("WatchdogSec", "-1"),
            ("LimitNOFILE", "lots"),
            ("LimitNOFILE", "1K"),
            ("LimitAS", "1g"),
            ("RemainAfterExit", "maybe"),
            ("OOMScoreAdjust", "-5000"),
            ("Documentation", "not a url"),
            ("ReadOnlyPaths", "relative/path"),
            ("ReadWritePaths", "/a/../b"),
            ("UMask", "999"),
            ("KillMode", "gentle"),
            ("OnFailure", "a b!.service"),
            ("CPUWeight", "100000"),
            ("MemoryLow", "12Q"),
            ("MemoryLow", "10k"),
            ("KillSignal", "sigterm"),
            ("IOReadBandwidthMax", "/dev/sda"),
            ("BindPaths", "a:/b"),
            ("FileDescriptorStoreMax", ""),
            ("Type", "forked"),
        ] {
            assert!(refused(name, value), "{name}={value}");
        }
    }

    /// Each was taken by `systemd-analyze verify` (systemd 252) as written here.
    #[test]
    fn values_systemd_takes_pass() {
        for (name, value) in [
            ("TimeoutStartSec", "1min 30s"),
            ("TimeoutAbortSec", ""),
            ("LimitNOFILE", "1024:4096"),
            ("LimitNOFILE", "infinity"),
            ("LimitAS", "1.5G"),
            ("LimitCPU", "5min"),
            ("MemoryLow", "1G 512M"),
            ("MemoryLow", "50%"),
            ("MemoryLow", ""),
            ("PrivateTmp", "YES"),
            ("UMask", "0027"),
            ("KillSignal", "SIGRTMIN+3"),
            ("CPUWeight", "idle"),
            ("IOReadBandwidthMax", "/dev/sda 10M"),
            ("BindPaths", "/a:/b:rbind -/c"),
            ("ReadWritePaths", "-/a +/b"),
            ("OnFailure", "alert@.service"),
            ("Documentation", "https://example.com man:app(1)"),
            ("KillMode", ""),
            ("OOMScoreAdjust", "+5"),
            ("ExecStartPre", "anything goes here"),
        ] {
            assert!(!refused(name, value), "{name}={value}");
        }
    }

    #[test]
    fn only_names_and_paths_are_escaped_for_specifiers() {
        assert_eq!(check("MemoryLow", "10%"), Ok(true));
        assert_eq!(check("ReadOnlyPaths", "/srv"), Ok(false));
        assert_eq!(check("ExecStartPre", "/bin/true"), Ok(false));
    }

    #[test]
    fn a_refusal_names_the_grammar_and_an_example() {
        let refusal = check("TimeoutStartSec", "soon").unwrap_err();
        assert_eq!(refusal.expected, "a time span");
        assert!(
            refusal.hint.contains("TimeoutStartSec="),
            "{}",
            refusal.hint
        );
        assert!(refusal.hint.contains("90s"), "{}", refusal.hint);
        let keyword = check("NotifyAccess", "everyone").unwrap_err();
        assert!(keyword.hint.contains("main, exec, all"), "{}", keyword.hint);
    }
}
