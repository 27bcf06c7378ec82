//! Generator mode on a real systemd: after `daemon-reload`, the units generated from
//! `/etc/ecosystemd/*.yaml` are those `gen-units` renders for the same files, and a
//! broken file among good ones stops nothing but itself.

mod common;
mod install_support;

use std::time::Duration;

use common::sandbox::Sandbox;
use ecosystemd::bundle::{Bundle, FileKind};
use install_support::*;

const WAIT: Duration = Duration::from_secs(60);

/// A unit as `gen-units` renders it, made comparable with the generated one: the
/// generator adds `SourcePath=` and keeps env files beside its units.
fn comparable(contents: &str, env_dir: &str) -> String {
    contents
        .lines()
        .filter(|l| !l.starts_with("SourcePath="))
        .map(|l| l.replace(env_dir, "ENV"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn generated_units_match_gen_units_and_a_broken_file_stops_nothing_else() {
    let Some(sandbox) = Sandbox::boot() else {
        return;
    };
    let scratch = Scratch::new("generator");
    let idle = scratch.file("idle.js", "setInterval(() => {}, 1000);\n");
    let config = sandbox.path("/etc/ecosystemd");
    let good = |group: &str| {
        format!(
            "group: {group}\napps:\n  - name: one\n    script: {idle}\n    env:\n      NOTE: '50% $x'\n  - name: two\n    script: {idle}\n    max_memory_restart: 80M\n"
        )
    };
    std::fs::write(config.join("alpha.yaml"), good("alpha")).unwrap();
    std::fs::write(config.join("beta.yaml"), good("beta")).unwrap();
    std::fs::write(
        config.join("broken.yaml"),
        "group: broken\napps:\n  - name: x\n    max_memory_restart: lots\n",
    )
    .unwrap();

    let generators = sandbox.path("/run/systemd/system-generators");
    std::fs::create_dir_all(&generators).unwrap();
    std::os::unix::fs::symlink(GEN_UNITS, generators.join("ecosystemd-generator")).unwrap();
    sandbox.systemctl(&["daemon-reload"]);

    // As at boot: multi-user.target pulls the group targets in through the generated
    // .wants links.
    sandbox.systemctl(&["start", "multi-user.target"]);
    for group in ["alpha", "beta"] {
        assert!(
            sandbox
                .property(&format!("{group}.target"), "WantedBy")
                .contains("multi-user.target")
        );
        for app in ["one", "two"] {
            wait_property(
                &sandbox,
                &format!("{group}-{app}.service"),
                "ActiveState",
                "active",
                WAIT,
            );
        }
        // The same units as `gen-units FILE`.
        let source = format!("/etc/ecosystemd/{group}.yaml");
        let rendered = gen_units(&sandbox, &[&source], b"");
        assert_ok(&rendered, "gen-units FILE");
        let bundle = Bundle::parse(&String::from_utf8_lossy(&rendered.stdout)).unwrap();
        for file in bundle.files.iter().filter(|f| f.kind == FileKind::Unit) {
            let generated = std::fs::read_to_string(
                sandbox.path(&format!("/run/systemd/generator/{}", file.name)),
            )
            .unwrap_or_else(|e| panic!("{} not generated: {e}", file.name));
            assert!(
                generated.contains(&format!("SourcePath={source}")),
                "{generated}"
            );
            assert_eq!(
                comparable(&generated, "/run/systemd/generator"),
                comparable(&file.contents, "%E/ecosystemd/env"),
                "{}",
                file.name
            );
            assert_eq!(
                sandbox.property(&file.name, "FragmentPath"),
                format!("/run/systemd/generator/{}", file.name)
            );
        }
    }
    assert_eq!(sandbox.property("broken.target", "LoadState"), "not-found");
    // The broken file is reported, located, in the kernel log.
    let kernel = String::from_utf8_lossy(&sandbox.exec(&["dmesg"]).stdout).into_owned();
    assert!(
        kernel
            .lines()
            .any(|l| l.contains("ecosystemd-generator") && l.contains("broken.yaml:4")),
        "no located error for broken.yaml in the kernel log"
    );
}
