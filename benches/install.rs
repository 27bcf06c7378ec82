//! Generator and install speed on the 74-agent example: the generator renders
//! `examples/agents/ecosystem.yaml` into an empty folder (what every boot and
//! daemon-reload pays), and an offline install (`--root`) switches between two
//! generations of its bundle.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use ecosystemd::bundle::Bundle;
use ecosystemd::generator::{self, renderer};
use ecosystemd::install::destination::Destination;
use ecosystemd::install::{self, Options};
use ecosystemd::render::RenderOptions;
use ecosystemd::systemd::BusTarget;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecosystemd-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agents")
}

fn generator_on_the_example(c: &mut Criterion) {
    let out = scratch("generator");
    let render = renderer(RenderOptions::default());
    c.bench_function("generator/74 agents", |b| {
        b.iter(|| {
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(&out).expect("output folder");
            let summary = generator::generate(&examples(), &out, &render, &mut |_, _| {});
            assert_eq!(summary.rendered.len(), 1, "{:?}", summary.skipped);
            black_box(summary)
        })
    });
    let _ = std::fs::remove_dir_all(&out);
}

fn offline_install_of_the_example(c: &mut Criterion) {
    let render = renderer(RenderOptions::default());
    let (bundle, _) = render(
        &examples().join("ecosystem.yaml"),
        Path::new("/etc/ecosystemd/env"),
    )
    .expect("the example renders");
    let mut changed: Bundle = bundle.clone();
    for file in &mut changed.files {
        file.contents.push_str("# changed\n");
    }
    let root = scratch("install");
    let options = Options {
        destination: Destination::Root(root.clone()),
        bus: BusTarget::System,
        now: false,
        dry_run: false,
        replace: false,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut flip = false;
    c.bench_function("install/74 agents offline", |b| {
        b.iter(|| {
            flip = !flip;
            let next = if flip { &changed } else { &bundle };
            black_box(
                runtime
                    .block_on(install::install(next, &options))
                    .expect("install"),
            )
        })
    });
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(
    benches,
    generator_on_the_example,
    offline_install_of_the_example
);
criterion_main!(benches);
