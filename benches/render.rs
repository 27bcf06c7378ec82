//! Throughput of `gen-units` for 10,000 agents: the ecosystem file parsed, the
//! ecosystem planned and rendered into a bundle, and the bundle written as text.

mod fleet;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, criterion_group, criterion_main};
use ecosystemd::ecosystem::LoadOptions;
use ecosystemd::render::{RenderOptions, render_bundle};

use fleet::{ecosystem, ecosystem_yaml};

/// Thread CPU time: what rendering costs, whatever else the machine is doing (wall
/// time on a shared, loaded machine mostly measures the others).
struct ThreadCpuTime;

fn thread_cpu_now() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now);
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

static WALL_TIME: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_now()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu_now().saturating_sub(start)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL_TIME.formatter()
    }
}

fn bench<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let ecosystem = ecosystem(10_000);
    let options = RenderOptions::default();
    let yaml = ecosystem_yaml(10_000);
    let source = Path::new("/srv/agents/ecosystem.yaml");
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.bench_function("10000 apps parsed from YAML", |b| {
        b.iter_with_large_drop(|| {
            ecosystemd::ecosystem::parse(black_box(&yaml), source, &LoadOptions::default())
        })
    });
    group.bench_function("10000 apps planned", |b| {
        b.iter_with_large_drop(|| ecosystemd::plan::plan(black_box(&ecosystem), &options.plan))
    });
    group.bench_function("10000 apps to bundle", |b| {
        b.iter_with_large_drop(|| render_bundle(black_box(&ecosystem), &options))
    });
    let bundle = render_bundle(&ecosystem, &options)
        .map(|r| r.bundle)
        .unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("10000 apps bundle to text", |b| {
        b.iter_with_large_drop(|| black_box(&bundle).to_text())
    });
    group.finish();
}

fn wall(c: &mut Criterion) {
    bench(c, "render");
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    bench(c, "render-cpu");
}

criterion_group!(wall_time, wall);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu
}
criterion_main!(wall_time, cpu_time);
