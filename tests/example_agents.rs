//! The bundled 74-agent example (`examples/agents/ecosystem.yaml`): it renders, every
//! unit passes `systemd-analyze verify`, and every service (the agents and their cron and
//! watch oneshots) scores at most 2.0 in `systemd-analyze security --offline=yes`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ecosystemd::bundle::{FileKind, Scope};
use ecosystemd::ecosystem::{self, LoadOptions};
use ecosystemd::plan::PlanOptions;
use ecosystemd::render::{RenderOptions, Rendered, render_bundle};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents/ecosystem.yaml")
}

fn rendered() -> Rendered {
    let ecosystem = ecosystem::load(&example(), &LoadOptions::default()).unwrap();
    assert_eq!(ecosystem.apps.len(), 74);
    let options = RenderOptions {
        plan: PlanOptions {
            systemd_version: 252,
            scope: Scope::System,
            cpus: 2,
            host_memory: Some(16 << 30),
            preload: true,
        },
        ..RenderOptions::default()
    };
    render_bundle(&ecosystem, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh folder under the target dir holding the bundle's unit files.
fn unit_dir(name: &str, rendered: &Rendered) -> (PathBuf, Vec<PathBuf>) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for file in &rendered.bundle.files {
        if file.kind == FileKind::Unit {
            let path = dir.join(&file.name);
            fs::write(&path, &file.contents).unwrap();
            paths.push(path);
        }
    }
    (dir, paths)
}

#[test]
fn the_example_renders_74_agents_with_their_memory_math() {
    let rendered = rendered();
    let services = rendered
        .bundle
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Unit && f.name.ends_with(".service"))
        .count();
    // 74 apps, two of them clusters of 2, plus the cron and watch oneshots.
    assert!(services >= 76, "{services} services");
    assert_eq!(rendered.memory.agents, 74);
    assert_eq!(rendered.memory.processes, 76);
    assert!(
        rendered
            .memory
            .to_string()
            .starts_with("74 agents (76 processes), ")
    );
    let env_files = rendered
        .bundle
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Env)
        .inspect(|f| assert_eq!(f.mode, 0o600, "{}", f.name))
        .count();
    assert_eq!(env_files, 76);
}

#[test]
fn every_unit_of_the_example_passes_systemd_analyze_verify() {
    let rendered = rendered();
    let (dir, paths) = unit_dir("verify", &rendered);
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg("--man=no")
        .args(&paths)
        .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.display()))
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains(&dir.display().to_string()) || line.contains("agents"))
        .collect();
    fs::remove_dir_all(&dir).unwrap();
    assert!(output.status.success(), "verify failed:\n{stderr}");
    assert!(ours.is_empty(), "verify complained:\n{}", ours.join("\n"));
}

#[test]
fn every_service_of_the_example_scores_at_most_2() {
    let rendered = rendered();
    let (dir, paths) = unit_dir("security", &rendered);
    let mut worst = (0.0f64, String::new());
    let mut restarters = 0;
    for path in paths.iter().filter(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.ends_with(".service")
    }) {
        let name = path.file_name().unwrap().to_string_lossy();
        if name.ends_with("-cron.service") || name.ends_with("-watch.service") {
            restarters += 1;
        }
        let output = Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(path)
            .output()
            .expect("systemd-analyze runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let score: f64 = text
            .lines()
            .find(|l| l.contains("Overall exposure level"))
            .and_then(|l| l.rsplit_once(": "))
            .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no score for {}: {text}", path.display()));
        if score > worst.0 {
            worst = (score, path.display().to_string());
        }
    }
    fs::remove_dir_all(&dir).unwrap();
    assert!(worst.0 <= 2.0, "{} scores {}", worst.1, worst.0);
    assert!(
        restarters >= 5,
        "the cron and watch oneshots were scored too"
    );
}
