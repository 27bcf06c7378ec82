//! Raw `systemd: directives:` values and `after`/`wants` names reach unit files only when
//! systemd reads them: a value systemd would ignore with a warning (the fuzz targets'
//! verification step found a time span, `~~~…2s`) is refused at its line and column,
//! exit 2, nothing written; every value taken renders units `systemd-analyze verify`
//! takes. Each refused value is also shown to be one systemd itself complains about.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Values systemd 252 ignores with a warning: (directive, value).
const REFUSED: &[(&str, &str)] = &[
    ("Service.TimeoutStartSec", "~~~~~~~2s"),
    ("Service.RuntimeMaxSec", "5."),
    ("Service.WatchdogSec", "-1"),
    ("Service.LimitNOFILE", "1K"),
    ("Service.LimitAS", "1g"),
    ("Service.RemainAfterExit", "maybe"),
    ("Service.OOMScoreAdjust", "-5000"),
    ("Unit.Documentation", "not a url"),
    ("Service.ReadOnlyPaths", "relative/path"),
    ("Service.UMask", "999"),
    ("Service.KillMode", "gentle"),
    ("Unit.OnFailure", "a b!.service"),
    ("Service.CPUWeight", "100000"),
    ("Service.MemoryLow", "10k"),
    ("Service.KillSignal", "sigterm"),
    ("Service.NotifyAccess", "everyone"),
];

/// Values systemd 252 takes.
const TAKEN: &[(&str, &str)] = &[
    ("Service.TimeoutStartSec", "1min 30s"),
    ("Service.RuntimeMaxSec", "infinity"),
    ("Service.WatchdogSec", "1.5s"),
    ("Service.LimitNOFILE", "1024:65536"),
    ("Service.LimitAS", "1.5G"),
    ("Service.RemainAfterExit", "no"),
    ("Service.OOMScoreAdjust", "-100"),
    ("Unit.Documentation", "https://example.com/docs man:node(1)"),
    ("Service.ReadOnlyPaths", "-/etc/app /srv"),
    ("Service.UMask", "0027"),
    ("Service.KillMode", "mixed"),
    ("Unit.OnFailure", "alert.service"),
    ("Service.CPUWeight", "idle"),
    ("Service.MemoryLow", "10%"),
    ("Service.KillSignal", "SIGTERM"),
    ("Service.TimeoutAbortSec", ""),
];

/// What systemd says when it ignores a line (as `fuzz/run.sh` looks for it).
const COMPLAINTS: &[&str] = &[
    "Unknown key",
    "ailed to parse",
    "nvalid",
    "is not absolute",
    "not normalized",
    "gnoring",
];

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("directive-values-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// An ecosystem of one app with `directives` (line 7 on is one directive a line).
fn ecosystem(dir: &Path, directives: &[(&str, &str)]) -> PathBuf {
    let mut text = String::from(
        "apps:\n  - name: api\n    script: /srv/api/server.js\n    systemd:\n      after: [network-online.target]\n      directives:\n",
    );
    for (name, value) in directives {
        text.push_str(&format!("        {name}: \"{value}\"\n"));
    }
    let path = dir.join("ecosystem.yaml");
    fs::write(&path, text).unwrap();
    path
}

fn gen_units(dir: &Path, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gen-units"))
        .args(["--portable", "--systemd-version", "252", "--output-dir"])
        .arg(dir.join("out"))
        .arg(file)
        .output()
        .expect("gen-units runs")
}

/// The lines of `systemd-analyze verify` on `units` that say a line was ignored.
fn complaints(units: &[PathBuf]) -> Vec<String> {
    let output = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(units)
        .output()
        .expect("systemd-analyze runs");
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| COMPLAINTS.iter().any(|c| line.contains(c)))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_value_systemd_would_ignore_is_refused_at_its_line_and_nothing_is_written() {
    for (index, (name, value)) in REFUSED.iter().enumerate() {
        let dir = scratch(&format!("refused-{index}"));
        let file = ecosystem(&dir, &[(name, value)]);
        let output = gen_units(&dir, &file);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}={value}: {stderr}");
        let column = 11 + name.len();
        let at = format!("{}:7:{column}: error: directive `{name}`", file.display());
        assert!(
            stderr.contains(&at),
            "{name}={value}: want {at}, got {stderr}"
        );
        assert!(stderr.contains("hint: "), "{stderr}");
        assert!(
            !dir.join("out").exists(),
            "{name}={value}: something was written"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn systemd_itself_ignores_each_refused_value() {
    let dir = scratch("systemd-ignores");
    for (index, (name, value)) in REFUSED.iter().enumerate() {
        let (section, key) = name.split_once('.').unwrap();
        let unit = dir.join(format!("probe{index}.service"));
        let body = match section {
            "Unit" => format!("[Unit]\n{key}={value}\n[Service]\nExecStart=/bin/true\n"),
            _ => format!("[Service]\nExecStart=/bin/true\n{key}={value}\n"),
        };
        fs::write(&unit, body).unwrap();
        assert!(
            !complaints(&[unit]).is_empty(),
            "systemd takes {name}={value}"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_value_taken_renders_units_systemd_takes() {
    let dir = scratch("taken");
    let file = ecosystem(&dir, TAKEN);
    let output = gen_units(&dir, &file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let units: Vec<PathBuf> = fs::read_dir(dir.join("out/unit"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "service"))
        .collect();
    let service = fs::read_to_string(&units[0]).unwrap();
    assert!(service.contains("TimeoutStartSec=1min 30s"), "{service}");
    assert!(service.contains("LimitNOFILE=1024:65536"), "{service}");
    assert!(service.contains("MemoryLow=10%\n"), "{service}");
    assert_eq!(complaints(&units), Vec::<String>::new());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_after_that_is_not_a_unit_name_is_refused_at_its_item() {
    let dir = scratch("after");
    let file = dir.join("ecosystem.yaml");
    let text = "apps:\n  - name: api\n    script: /srv/api/server.js\n    systemd:\n      after:\n        - postgresql.service\n        - \"!!bad\"\n";
    fs::write(&file, text).unwrap();
    let output = gen_units(&dir, &file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let at = format!(
        "{}:7:11: error: `after`: \"!!bad\" is not a unit name",
        file.display()
    );
    assert!(stderr.contains(&at), "want {at}, got {stderr}");
    assert!(!dir.join("out").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_user_systemd_cannot_take_is_refused_at_its_value() {
    let dir = scratch("user");
    let file = dir.join("ecosystem.yaml");
    let text = "apps:\n  - name: api\n    script: /srv/api/server.js\n    user: \"a:b\"\n";
    fs::write(&file, text).unwrap();
    let output = gen_units(&dir, &file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let at = format!(
        "{}:4:11: error: `user`: \"a:b\" is not a user or group name",
        file.display()
    );
    assert!(stderr.contains(&at), "want {at}, got {stderr}");
    assert!(!dir.join("out").exists());
    // systemd refuses the whole unit over it.
    let unit = dir.join("probe.service");
    fs::write(&unit, "[Service]\nExecStart=/bin/true\nUser=a:b\n").unwrap();
    assert!(!complaints(&[unit]).is_empty());
    fs::remove_dir_all(&dir).unwrap();
}
