//! Rendering throughput: an ecosystem of 10,000 agents, planned and rendered into a
//! bundle, and the bundle written as text.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, criterion_group, criterion_main};
use ecosystemd::diagnostic::Location;
use ecosystemd::ecosystem::{
    App, Command, Ecosystem, ExecMode, Instances, LogSettings, Output, RestartPolicy, Settings,
    SystemdOptions, WatchdogPolicy,
};
use ecosystemd::render::{RenderOptions, render_bundle};

fn agent(index: usize) -> App {
    let name = format!("agent {index}/{}", ["email", "prices", "sms"][index % 3]);
    let mut env = BTreeMap::new();
    env.insert("PORT".to_string(), (10_000 + index).to_string());
    env.insert("AGENT_NAME".to_string(), name.clone());
    env.insert("PRICE_FORMAT".to_string(), "$%.2f \"USD\"".to_string());
    App {
        name,
        location: Location::new(index + 1, 5),
        command: Command {
            program: "/usr/bin/node".into(),
            args: vec![
                "--max-old-space-size=128".into(),
                "/srv/agents/agent.js".into(),
                "--label=50% off".into(),
            ],
            script: None,
        },
        cwd: PathBuf::from("/srv/agents"),
        env,
        port: Some((10_000 + index) as u16),
        instances: Instances::Single,
        exec_mode: ExecMode::Fork,
        instance_var: "NODE_APP_INSTANCE".into(),
        increment_var: None,
        max_memory: Some(128 << 20),
        restart: RestartPolicy {
            autorestart: true,
            stop_exit_codes: vec![0],
            delay: Some(Duration::from_millis(3000)),
            exp_backoff: None,
            max_restarts: 10,
            min_uptime: Duration::from_secs(1),
        },
        kill_timeout: Duration::from_millis(1600),
        listen_timeout: None,
        wait_ready: false,
        autostart: true,
        treekill: true,
        stdout: Output::Journal,
        stderr: Output::Journal,
        cron_restart: index
            .is_multiple_of(50)
            .then(|| ("0 3 * * *".to_string(), Location::new(1, 1))),
        watch: None,
        user: None,
        group: None,
        namespace: None,
        systemd: SystemdOptions::default(),
        watchdog: WatchdogPolicy::default(),
    }
}

fn ecosystem(count: usize) -> Ecosystem {
    Ecosystem {
        source: PathBuf::from("/srv/agents/ecosystem.yaml"),
        base_dir: PathBuf::from("/srv/agents"),
        settings: Settings {
            group: "agents".into(),
            prefix: "agents-".into(),
            target: "agents".into(),
            slice: "agents".into(),
            memory_budget: Some(2 << 40),
            logs: LogSettings::default(),
        },
        apps: (0..count).map(agent).collect(),
        warnings: Vec::new(),
    }
}

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
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
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
