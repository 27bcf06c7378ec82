#!/usr/bin/env python3
"""PM2 side by side: the same Node agents under PM2 and under systemd + ecosystemd.

Installs PM2 into a private folder (its own PM2_HOME), boots a private systemd in the
sandbox, and measures on this machine, in one run: time until all agents answer HTTP,
supervisor and agent memory (PSS beside RSS), report latency against the fleet size,
recovery after kill -9, the memory limit, the crash loop and idle CPU. Writes the
"PM2 side by side" section of BENCHMARKS.md and an SVG plot.

    sudo python3 benches/pm2/run.py            # full run (about 20 minutes)
    sudo python3 benches/pm2/run.py --quick    # harness check (about a minute)

Loopback only; every wait is bounded; everything it starts is stopped on exit, also on
error or Ctrl-C.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import fleet
import load
import output
import probe
from fleet import App, Pm2, SystemdSide
from sandbox import BenchError, Sandbox

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# The timing harness of every report command (on the host, or inside the sandbox).
TIMING = os.path.join(HERE, "timing.py")

# First port of each fleet, far apart so fleets never collide (500 agents at most).
PORTS = {"node": 20000, "pm2": 21000, "pm2-nopmx": 22000, "systemd": 23000,
         "limits-pm2": 24000, "limits-systemd": 24500, "restarts-pm2": 25000,
         "restarts-systemd": 25100}
VARIANTS = ["node", "pm2", "pm2-nopmx", "systemd"]
MEMORY_LIMIT = "100M"
BENCH_USER = "ecosystemd-bench"


def _over(watch, cross_key):
    """Seconds an agent stayed over the limit before it was stopped (0: never over)."""
    if cross_key not in watch:
        return 0.0
    if "gone" not in watch:
        return None  # still over when the observation ended
    return watch["gone"] - watch[cross_key]


class Config:
    """Sizes, repetitions and windows of one run."""

    def __init__(self, quick):
        self.quick = quick
        self.fleet_sizes = [6] if quick else [74, 200]
        self.report_sizes = [6, 12, 24] if quick else [74, 200, 500]
        self.reps = 2 if quick else 5
        self.report_reps = 3 if quick else 20
        self.memory_samples = 2 if quick else 5
        self.idle_window_s = 6 if quick else 60
        self.idle_slices = 3 if quick else 5
        self.grow_agents = 2 if quick else 5
        self.grow_mib_per_s = 20 if quick else 5
        self.grow_stagger_s = 1 if quick else 6
        # PM2 checks memory every 30 s; --quick shortens PM2's check so it fits a minute.
        self.pm2_worker_interval_ms = 5000 if quick else None
        self.crash_agents = 2 if quick else 5
        self.crash_max_restarts = 3 if quick else 10
        self.crash_restart_delay_ms = 500 if quick else 3000
        self.crash_after_ms = 100
        # Restarts under load: clients, seconds of load per restart, when in it the
        # restart comes, how many restarts of each kind, the cap on requests per load.
        self.load_clients = 8
        self.load_s = 6 if quick else 20
        self.restart_at_s = 2 if quick else 5
        self.restart_reps = 1 if quick else 3
        self.load_cap = 200_000
        self.cluster_instances = 4


class Bench:
    """One run: its temporary folder, what it started, and what it measured."""

    def __init__(self, cfg, build, bin_dir=None):
        self.cfg = cfg
        self.build = build and not bin_dir
        self.bin_dir = bin_dir
        self.cleanups = []
        self.results = {"config": vars(cfg).copy(), "startup": {}, "memory": {},
                        "report": {}, "recovery": {}, "idle": {}, "limit": {},
                        "crash": {}, "restarts": {}, "notes": []}
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
        self.target_dir = os.path.abspath(target)
        os.makedirs(self.target_dir, exist_ok=True)
        # Not under /tmp: the sandbox has its own /tmp, and its agents must see the files.
        self.workdir = tempfile.mkdtemp(prefix="pm2-bench.", dir=self.target_dir)
        os.chmod(self.workdir, 0o755)
        self.node = os.path.realpath(shutil.which("node") or "/usr/bin/node")
        self.script = os.path.join(self.workdir, "agent.js")
        self.monitor = os.path.join(self.workdir, "monitor.js")
        self.pm2_prefix = os.path.join(self.workdir, "pm2")
        self.bins = {}
        self.missing = {}

    # --- lifecycle ------------------------------------------------------------------

    def on_cleanup(self, fn):
        self.cleanups.append(fn)
        return fn

    def cleanup(self):
        while self.cleanups:
            fn = self.cleanups.pop()
            try:
                fn()
            except Exception as e:  # cleanup goes on whatever fails
                print(f"cleanup: {e}", file=sys.stderr)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self, text):
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def boot_sandbox(self, name):
        sandbox = Sandbox(os.path.join(self.workdir, f"sandbox-{name}.log"))
        self.on_cleanup(sandbox.kill)
        sandbox.boot()
        return sandbox

    def pm2(self, name, extra_env=None):
        env = dict(extra_env or {})
        if self.cfg.pm2_worker_interval_ms:
            env["PM2_WORKER_INTERVAL"] = str(self.cfg.pm2_worker_interval_ms)
        pm2 = Pm2(self.pm2_prefix, os.path.join(self.workdir, f"pm2-home-{name}"), self.node,
                  env)
        self.on_cleanup(pm2.kill)
        return pm2

    # --- preparation ----------------------------------------------------------------

    def prepare(self):
        for name in ("agent.js", "monitor.js"):
            shutil.copy(os.path.join(HERE, name), os.path.join(self.workdir, name))
            os.chmod(os.path.join(self.workdir, name), 0o644)
        self.own_project()
        self.log("installing PM2 from the npm registry into a private folder")
        os.makedirs(self.pm2_prefix)
        with open(os.path.join(self.pm2_prefix, "package.json"), "w") as f:
            f.write('{"private": true}\n')
        proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                               "--loglevel=error", "pm2"], cwd=self.pm2_prefix,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise BenchError(f"npm install pm2 failed: {proc.stderr[-2000:]}")
        with open(os.path.join(self.pm2_prefix, "node_modules", "pm2", "package.json")) as f:
            self.results["pm2_version"] = json.load(f)["version"]
        self.find_binaries()

    def find_binaries(self):
        release = self.bin_dir or os.path.join(self.target_dir, "release")
        if self.build:
            self.log("building gen-units and unit-watchdog (cargo build --release)")
            proc = subprocess.run(["cargo", "build", "--release", "--locked", "--bins"],
                                  cwd=REPO, capture_output=True, text=True, timeout=3600,
                                  env={**os.environ, "CARGO_TARGET_DIR": self.target_dir})
            if proc.returncode != 0:
                self.results["notes"].append("cargo build failed: " +
                                             proc.stderr.strip().splitlines()[-1][:300])
        gen = os.path.join(release, "gen-units")
        dog = os.path.join(release, "unit-watchdog")
        probe_file = os.path.join(self.workdir, "probe.yaml")
        with open(probe_file, "w") as f:
            f.write(fleet.ecosystem_yaml([App("probe", 1)], self.script, self.node))
        checks = {
            "render": (gen, [gen, probe_file], "# ecosystemd bundle"),
            "install": (gen, [gen, "install", "--help"], "--now"),
            "run": (dog, [dog, "run", "--help"], "run"),
            "report": (dog, [dog, "report", "--help"], "--format"),
            "reload": (dog, [dog, "reload", "--help"], "--min-uptime"),
        }
        labels = {"render": "gen-units", "install": "gen-units install",
                  "run": "unit-watchdog run", "report": "unit-watchdog report",
                  "reload": "unit-watchdog reload"}
        for key, (exe, argv, expect) in checks.items():
            if not os.path.exists(exe):
                self.missing[key] = f"{labels[key]} not built"
                continue
            try:
                proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
                out, err = proc.stdout, proc.stderr
            except (OSError, subprocess.TimeoutExpired) as e:
                out, err = "", str(e)
            if expect in out:
                self.bins[key] = exe
            elif key == "render" and out + err and "unrecognized subcommand" not in err:
                # Built, but it refused the benchmark's file: say so rather than hide it.
                why = (err.strip().splitlines() or ["no output"])[0][:200]
                self.missing[key] = f"gen-units failed on the benchmark's file ({why})"
            else:
                self.missing[key] = f"{labels[key]} not built"
        self.log(f"available: {sorted(self.bins) or 'none'}; missing: "
                 f"{sorted(self.missing.values()) or 'none'}")

    def own_project(self):
        """Gives the agents' folder to an ordinary user, as a real project is owned by
        the user who ran `pm2 start`: gen-units then renders its default profile
        (`standard`, running as that user) rather than the dynamic user it falls back to
        for a folder owned by root."""
        if subprocess.run(["id", "-u", BENCH_USER], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir",
                            "/nonexistent", "--shell", "/usr/sbin/nologin", BENCH_USER],
                           check=True, capture_output=True)
        shutil.chown(self.workdir, BENCH_USER, BENCH_USER)
        shutil.chown(self.script, BENCH_USER, BENCH_USER)
        self.results["systemd_user"] = BENCH_USER

    def systemd_side(self, sandbox):
        return SystemdSide(sandbox, self.workdir, self.script, self.node,
                           gen_units=self.bins.get("render"),
                           install="install" in self.bins)

    # --- fleets ---------------------------------------------------------------------

    def apps(self, variant, n):
        return fleet.fleet("agent", n, PORTS[variant], max_memory=MEMORY_LIMIT,
                           restart_delay_ms=100)

    def check_ports_free(self, apps):
        busy = [a.port for a in apps if probe.accepts(a.port)]
        if busy:
            raise BenchError(f"ports already in use on 127.0.0.1: {busy[:5]}")

    def start_fleet(self, variant, apps, pm2=None, side=None, group=None):
        """Starts the fleet; returns seconds until every agent answered HTTP. The ports
        are polled from the moment the start command begins (a port systemd holds may
        accept before the command returns); `accept_s` is then the time until every
        port accepted a connection."""
        self.check_ports_free(apps)
        ports = [a.port for a in apps]
        t0 = time.monotonic()
        polled = {}

        def poll():
            accepted = {}
            try:
                polled["serving"] = probe.wait_serving(ports, t0, 30 + 0.5 * len(apps),
                                                       accepted=accepted)
                polled["accept"] = accepted["s"]
            except BenchError as e:
                polled["error"] = e

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        if variant == "node":
            procs = [subprocess.Popen([self.node, self.script], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env={"PATH": "/usr/bin:/bin", **a.environment()})
                     for a in apps]
            self.direct = procs
            self.start_command_s = time.monotonic() - t0
            self.on_cleanup(lambda: [p.kill() for p in procs])
        elif variant.startswith("pm2"):
            config = os.path.join(self.workdir, f"{variant}-{len(apps)}.config.js")
            with open(config, "w") as f:
                f.write(fleet.pm2_config(apps, self.script, self.node,
                                         pmx=(variant != "pm2-nopmx")))
            pm2.run("start", config)
            self.start_command_s = time.monotonic() - t0
        elif group is None:
            side.start_installed()
        else:
            side.start(group, apps)
        poller.join()
        if "error" in polled:
            raise polled["error"]
        self.accept_s = polled["accept"]
        return polled["serving"]

    def stop_fleet(self, variant, apps, pm2=None, side=None):
        if variant == "node":
            for p in self.direct:
                p.kill()
            for p in self.direct:
                p.wait(timeout=30)
        elif variant.startswith("pm2"):
            pm2.run("delete", "all")
        else:
            side.stop()
        probe.wait_closed([a.port for a in apps], 60)

    def agent_pids(self, variant, apps, sandbox=None):
        if variant == "node":
            return [p.pid for p in self.direct]
        ns = sandbox.pidns() if sandbox else probe.pidns(os.getpid())
        by_port = probe.agents_by_port(self.script, ns)
        return [by_port[a.port] for a in apps if a.port in by_port]

    def measure_memory(self, n, variant, apps, supervisor_pids, sandbox=None):
        """Samples (RSS, PSS) of the supervisor(s) and of all agents, in MiB."""
        time.sleep(1 if self.cfg.quick else 3)
        samples = {"agents": [], **{k: [] for k in supervisor_pids}}
        for _ in range(self.cfg.memory_samples):
            pids = self.agent_pids(variant, apps, sandbox)
            if len(pids) != len(apps):
                self.results["notes"].append(
                    f"{variant} N={n}: {len(pids)} of {len(apps)} agent processes found")
            samples["agents"].append(probe.sum_memory_mib(pids))
            for key, pid in supervisor_pids.items():
                if pid:
                    samples[key].append(probe.sum_memory_mib([pid]))
            time.sleep(1)
        self.results["memory"].setdefault(str(n), {})[variant] = samples

    def settle(self, idle_share=0.8, longest_s=120):
        """Waits until the machine's CPUs are idle at least `idle_share` of one second
        (a fleet just started keeps them busy for a while, more so the larger it is), or
        `longest_s` passed; returns the seconds waited. Both supervisors' reports are
        timed after it, so neither is timed in the other's start-up or its own."""
        def cpu_times():
            with open("/proc/stat") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
            return fields[3] + fields[4], sum(fields)
        started = time.monotonic()
        while time.monotonic() - started < longest_s:
            idle0, total0 = cpu_times()
            time.sleep(1)
            idle1, total1 = cpu_times()
            if total1 > total0 and (idle1 - idle0) / (total1 - total0) >= idle_share:
                break
        return time.monotonic() - started

    def measure_reports(self, n, variant, pm2=None, sandbox=None):
        reps = self.cfg.report_reps
        out = self.results["report"].setdefault(str(n), {})
        waited = self.settle()
        self.log(f"N={n} {variant}: reports timed after {waited:.0f} s of settling")
        if variant.startswith("pm2"):
            suffix = "" if variant == "pm2" else " (pmx: false)"
            out["pm2 jlist" + suffix] = self.time_command(
                [pm2.bin, "jlist"], reps, pm2.env, expect_json=True,
                count=lambda doc: len(doc), n=n)
            out["monitor script" + suffix] = self.time_command(
                [self.node, self.monitor], reps, pm2.env)
        elif "report" in self.bins:
            out["unit-watchdog report"] = self.time_command(
                [self.bins["report"], "report", "--format", "json", "--restarts-from",
                 "journal"], reps, None,
                expect_json=True, ok_codes=(0, 1),
                count=lambda doc: len(doc.get("units", [])), n=n, sandbox=sandbox)
        else:
            out["unit-watchdog report"] = "not measured: " + self.missing["report"]

    def time_command(self, argv, reps, env, expect_json=False, ok_codes=(0,), count=None,
                     n=None, sandbox=None):
        """Wall-clock seconds of `reps` runs, or a "failed: why" string. With `count`,
        the JSON output must list `n` agents. Timed by timing.py, on the host or, with
        `sandbox`, inside it: each command where it runs, with the same harness."""
        harness = [sys.executable, TIMING, str(reps), ",".join(map(str, ok_codes)), "--",
                   *argv]
        if sandbox:
            harness = sandbox.command(harness)
        proc = subprocess.run(harness, env=env, capture_output=True,
                              timeout=130 * reps + 30, stdin=subprocess.DEVNULL)
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            return f"failed: timing harness: {proc.stderr.decode(errors='replace')[:160]}"
        if result["returncode"] not in ok_codes:
            last = result["stderr"].strip().splitlines() or ["?"]
            why = next((l for l in last if "ENOBUFS" in l or "Error" in l), last[-1])
            return f"failed: exit {result['returncode']}: {why.strip()[:160]}"
        if expect_json:
            try:
                doc = json.loads(result["stdout"])
            except ValueError:
                return "failed: output is not JSON"
            if count and count(doc) != n:
                return f"failed: listed {count(doc)} of {n} agents"
        return result["times"]

    def measure_recovery(self, variant, apps, sandbox=None):
        """kill -9 of an agent until it answers HTTP again, on `reps` different agents."""
        times, spawn = [], []
        step = max(1, len(apps) // self.cfg.reps)
        ns = sandbox.pidns() if sandbox else probe.pidns(os.getpid())
        for k in range(self.cfg.reps):
            port = apps[(k * step) % len(apps)].port
            pid = probe.agents_by_port(self.script, ns).get(port)
            if pid is None:
                raise BenchError(f"{variant}: no process found for port {port}")
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic()
            deadline = t0 + 30
            while probe.state(pid) not in (None, "Z", "X"):
                if time.monotonic() > deadline:
                    raise BenchError(f"{variant}: pid {pid} survived kill -9")
                time.sleep(0.001)
            respawned = None
            while not probe.http_ok(port, timeout=0.2):
                if respawned is None:
                    new = probe.agents_by_port(self.script, ns).get(port)
                    if new is not None and new != pid:
                        respawned = time.monotonic() - t0
                if time.monotonic() > deadline:
                    raise BenchError(f"{variant}: port {port} not back 30 s after kill -9")
                time.sleep(0.002)
            times.append(time.monotonic() - t0)
            if respawned is not None:
                spawn.append(respawned)
            time.sleep(0.5)
        self.results["recovery"][variant] = times
        self.results.setdefault("respawn", {})[variant] = spawn

    def guarded(self, what, fn):
        """Runs one measurement; if it fails, says so in the results, stops what it
        started and lets the run go on with the next."""
        mark = len(self.cleanups)
        try:
            fn()
        except (BenchError, subprocess.TimeoutExpired, OSError) as e:
            self.log(f"{what}: failed: {e}")
            self.results["notes"].append(f"{what} failed: {str(e)[:300]}")
            while len(self.cleanups) > mark:
                try:
                    self.cleanups.pop()()
                except Exception as why:  # cleanup goes on whatever fails
                    print(f"cleanup: {why}", file=sys.stderr)
            return False
        return True

    def fleet_phase(self, n):
        """Start-up, memory, reports and (at the first size) recovery, per supervisor."""
        startup = self.results["startup"].setdefault(str(n), {})
        for variant in VARIANTS:
            if not self.guarded(f"N={n} {variant}", lambda: self.fleet_variant(n, variant)):
                startup.setdefault(variant, "failed: see the run notes")

    def fleet_variant(self, n, variant):
        """One supervisor at one fleet size."""
        first = n == self.cfg.fleet_sizes[0]
        startup = self.results["startup"][str(n)]
        apps = self.apps(variant, n)
        pm2 = side = sandbox = None
        if variant.startswith("pm2"):
            pm2 = self.pm2(f"{variant}-{n}")
            pm2.run("ping")  # the daemon is up before the clock starts
        elif variant == "systemd":
            sandbox = self.boot_sandbox(f"fleet-{n}")
            pid1_empty = probe.sum_memory_mib([sandbox.pid])
            side = self.systemd_side(sandbox)
            self.results["systemd_how"] = side.how()
        times, commands, accepting = [], [], []
        deploy = {"serving": [], "accept": [], "command": []}
        for rep in range(self.cfg.reps):
            if side:
                # First deploy (render, install, start), then the everyday start of
                # the installed group, which is what `pm2 start` is compared with.
                t = self.start_fleet(variant, apps, side=side, group=f"bench{n}")
                deploy["serving"].append(t)
                deploy["accept"].append(self.accept_s)
                deploy["command"].append(side.command_s)
                self.log(f"N={n} {variant} (install --now): all answering after {t:.2f} s")
                self.stop_fleet(variant, apps, pm2, side)
            t = self.start_fleet(variant, apps, pm2, side)
            times.append(t)
            accepting.append(self.accept_s)
            commands.append(side.command_s if side else self.start_command_s)
            self.log(f"N={n} {variant}: all answering after {t:.2f} s")
            if rep < self.cfg.reps - 1:
                self.stop_fleet(variant, apps, pm2, side)
        startup[variant] = times
        self.results.setdefault("startup_accept", {}).setdefault(str(n), {})[variant] = \
            accepting
        self.results.setdefault("startup_command", {}).setdefault(str(n), {})[variant] = \
            commands
        if side:
            self.results.setdefault("startup_deploy", {})[str(n)] = deploy
        supervisors = {}
        if pm2:
            supervisors["daemon"] = pm2.daemon_pid()
        if sandbox:
            supervisors["pid1"] = sandbox.pid
            self.results["memory"].setdefault(str(n), {})["pid1-empty"] = [pid1_empty]
            dog = self.start_watchdog(sandbox)
            supervisors["watchdog"] = dog
        self.measure_memory(n, variant, apps, supervisors, sandbox)
        if n in self.cfg.report_sizes and variant != "node":
            self.measure_reports(n, variant, pm2, sandbox)
        if first and variant != "node":
            self.measure_recovery(variant, apps, sandbox)
        self.stop_fleet(variant, apps, pm2, side)
        if first and side and side.gen_units:
            # The same units without the hardening set: what it costs at each start and
            # restart.
            side.start(f"plain{n}", apps, hardening="none")
            probe.wait_serving([a.port for a in apps], time.monotonic(), 30 + 0.5 * n)
            self.measure_recovery("systemd-plain", apps, sandbox)
            plain = {"serving": [], "accept": []}
            for _ in range(self.cfg.reps):
                self.stop_fleet(variant, apps, pm2, side)
                plain["serving"].append(self.start_fleet(variant, apps, side=side))
                plain["accept"].append(self.accept_s)
            self.results.setdefault("startup_plain", {})[str(n)] = plain
            self.stop_fleet(variant, apps, pm2, side)
        if pm2:
            pm2.kill()
        if sandbox:
            sandbox.kill()

    def start_watchdog(self, sandbox):
        """Starts `unit-watchdog run` inside the sandbox; returns its PID outside."""
        if "run" not in self.bins:
            return None
        with open(os.path.join(self.workdir, f"watchdog-{sandbox.pid}.log"), "wb") as log:
            proc = subprocess.Popen(sandbox.command([self.bins["run"], "run"]),
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.on_cleanup(proc.kill)
        ns = sandbox.pidns()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = [p for p in probe.pids_with_exe(self.bins["run"]) if probe.pidns(p) == ns]
            if found:
                time.sleep(2)  # let it subscribe and load the units
                if probe.state(found[0]) in (None, "Z"):
                    break
                return found[0]
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        self.results["notes"].append("unit-watchdog run did not stay up in the sandbox: "
                                     "see its log")
        return None

    def report_only_pm2(self, n):
        """Report latency at a size where only the report is measured: PM2."""
        pm2 = self.pm2(f"report-{n}")
        pm2.run("ping")
        apps = self.apps("pm2", n)
        t = self.start_fleet("pm2", apps, pm2)
        self.log(f"N={n} pm2: all answering after {t:.2f} s")
        self.measure_reports(n, "pm2", pm2)
        self.stop_fleet("pm2", apps, pm2)
        pm2.kill()

    def report_only_systemd(self, n):
        """Report latency at a size where only the report is measured: systemd."""
        sandbox = self.boot_sandbox(f"report-{n}")
        side = self.systemd_side(sandbox)
        apps = self.apps("systemd", n)
        t = self.start_fleet("systemd", apps, side=side, group=f"bench{n}")
        self.log(f"N={n} systemd: all answering after {t:.2f} s")
        self.measure_reports(n, "systemd", sandbox=sandbox)
        sandbox.kill()

    # --- idle CPU ---------------------------------------------------------------------

    def idle_phase(self):
        """CPU of each supervisor (and of its agents) over the same idle window."""
        n = self.cfg.fleet_sizes[0]
        pm2 = self.pm2("idle")
        pm2_nopmx = self.pm2("idle-nopmx")
        sandbox = self.boot_sandbox("idle")
        side = self.systemd_side(sandbox)
        for p in (pm2, pm2_nopmx):
            p.run("ping")
        self.start_fleet("pm2", self.apps("pm2", n), pm2)
        self.start_fleet("pm2-nopmx", self.apps("pm2-nopmx", n), pm2_nopmx)
        self.start_fleet("systemd", self.apps("systemd", n), side=side, group=f"idle{n}")
        dog = self.start_watchdog(sandbox)
        time.sleep(2 if self.cfg.quick else 10)
        host_ns = probe.pidns(os.getpid())
        groups = {
            "pm2": ([pm2.daemon_pid()], "pm2", host_ns),
            "pm2-nopmx": ([pm2_nopmx.daemon_pid()], "pm2-nopmx", host_ns),
            "systemd": ([sandbox.pid], "systemd", sandbox.pidns()),
        }
        if dog:
            groups["watchdog"] = ([dog], None, None)

        def snapshot():
            snap = {}
            for key, (sup, variant, ns) in groups.items():
                snap[key] = sum(probe.cpu_seconds(p) or 0 for p in sup)
                if variant:
                    by_port = probe.agents_by_port(self.script, ns)
                    ports = {a.port for a in self.apps(variant, n)}
                    snap[key + " agents"] = sum(probe.cpu_seconds(pid) or 0
                                                for port, pid in by_port.items()
                                                if port in ports)
            return snap, time.monotonic()

        slice_s = self.cfg.idle_window_s / self.cfg.idle_slices
        self.log(f"idle CPU over {self.cfg.idle_window_s} s")
        slices = {}
        first, t_first = prev, t_prev = snapshot()
        for _ in range(self.cfg.idle_slices):
            time.sleep(slice_s)
            cur, t_cur = snapshot()
            for key in cur:
                slices.setdefault(key, []).append(100 * (cur[key] - prev[key]) / (t_cur - t_prev))
            prev, t_prev = cur, t_cur
        total = {k: 100 * (prev[k] - first[k]) / (t_prev - t_first) for k in prev}
        self.results["idle"] = {"n": n, "slices": slices, "total": total,
                                "window_s": t_prev - t_first}
        if not dog:
            self.results["idle"]["watchdog_missing"] = self.missing.get(
                "run", "unit-watchdog run did not start")
        pm2.kill()
        pm2_nopmx.kill()
        sandbox.kill()

    # --- the memory limit and the crash loop ----------------------------------------

    def limits_phase(self):
        cfg = self.cfg
        pm2 = self.pm2("limits")
        pm2.run("ping")
        sandbox = self.boot_sandbox("limits")
        side = self.systemd_side(sandbox)

        def apps(first_port):
            grow = [App(f"grow-{k}", first_port + k, max_memory=MEMORY_LIMIT,
                        restart_delay_ms=100,
                        env={"AGENT_MODE": "grow", "GROW_MIB_PER_SEC": str(cfg.grow_mib_per_s),
                             "GROW_DELAY_MS": str(k * cfg.grow_stagger_s * 1000)})
                    for k in range(cfg.grow_agents)]
            crash = [App(f"crash-{k}", first_port + 100 + k, max_memory=MEMORY_LIMIT,
                         restart_delay_ms=cfg.crash_restart_delay_ms,
                         max_restarts=cfg.crash_max_restarts,
                         env={"AGENT_MODE": "crash", "CRASH_AFTER_MS": str(cfg.crash_after_ms)})
                     for k in range(cfg.crash_agents)]
            return grow, crash

        grow_pm2, crash_pm2 = apps(PORTS["limits-pm2"])
        grow_sd, crash_sd = apps(PORTS["limits-systemd"])
        config = os.path.join(self.workdir, "limits.config.js")
        with open(config, "w") as f:
            f.write(fleet.pm2_config(grow_pm2 + crash_pm2, self.script, self.node, pmx=True))
        limit_kib = fleet.size_bytes(MEMORY_LIMIT) // 1024
        ns = {"pm2": probe.pidns(os.getpid()), "systemd": sandbox.pidns()}
        grow = {(who, a.port): {} for who, apps_ in (("pm2", grow_pm2), ("systemd", grow_sd))
                for a in apps_}
        crash = {(who, a.port): {"pids": set(), "last": None, "alive": False}
                 for who, apps_ in (("pm2", crash_pm2), ("systemd", crash_sd)) for a in apps_}
        # Growth reaches the limit in limit / rate seconds; PM2 may then wait a full check
        # interval; the crash loop needs max_restarts x delay. Bound it all.
        interval = (cfg.pm2_worker_interval_ms or 30000) / 1000
        last_grow = (cfg.grow_agents - 1) * cfg.grow_stagger_s
        grow_bound = last_grow + limit_kib / 1024 / cfg.grow_mib_per_s + interval + 30
        delay_s = cfg.crash_restart_delay_ms / 1000
        crash_window = cfg.crash_max_restarts * (delay_s + 0.6) * 1.5 + 10
        done = threading.Event()

        def sample():
            """Every 20 ms or so: RSS and cgroup charge of the growing agents, and every process
            of the crash-looping ones (started before the supervisors, so none is missed)."""
            while not done.is_set():
                now = time.monotonic()
                live = probe.agents_everywhere(self.script)
                for (who, port), w in grow.items():
                    if "gone" in w:
                        continue
                    pid = w.get("pid") or live.get((ns[who], port))
                    if pid is None:
                        continue
                    w["pid"] = pid
                    st = probe.status_kib(pid)
                    if st is None or probe.state(pid) in ("Z", "X", None):
                        w["gone"] = now
                        continue
                    w["peak_rss"] = max(w.get("peak_rss", 0), st["VmRSS"])
                    w["peak_anon"] = max(w.get("peak_anon", 0), st["RssAnon"])
                    if st["VmRSS"] > limit_kib:
                        w.setdefault("cross_rss", now)
                    folder = w.setdefault("cgroup", probe.memory_cgroup(pid))
                    charge = probe.cgroup_charge_kib(folder) if folder else None
                    if charge and who == "systemd":
                        w["peak_charge"] = max(w.get("peak_charge", 0), charge[1])
                        if charge[0] > limit_kib:
                            w.setdefault("cross_charge", now)
                for (who, port), c in crash.items():
                    pid = live.get((ns[who], port))
                    if pid is not None and pid not in c["pids"]:
                        c["pids"].add(pid)
                        c["last"] = now
                    c["alive"] = pid is not None
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        self.on_cleanup(done.set)
        self.log("memory limit and crash loop: starting both supervisors")
        t_start = {"pm2": time.monotonic()}
        pm2.run("start", config)
        t_start["systemd"] = side.start("limits", grow_sd + crash_sd)
        crash_units = [u for u in side.services if "crash" in u]
        t_begin = min(t_start.values())
        deadline = t_begin + max(grow_bound, crash_window)
        stopped = {}
        counters = {}
        while time.monotonic() < deadline:
            now = time.monotonic()
            counters = self.crash_counters(pm2, side, crash_units)
            for who in ("pm2", "systemd"):
                mine = [c for (w_, _), c in crash.items() if w_ == who]
                quiet = all(not c["alive"] and c["last"] and now - c["last"] > delay_s + 2
                            for c in mine)
                if quiet and who not in stopped:
                    stopped[who] = max(c["last"] for c in mine) - t_start[who]
            grow_done = all("gone" in w for w in grow.values())
            crash_done = len(stopped) == 2 or now - t_begin > crash_window
            if grow_done and crash_done:
                break
            time.sleep(1)
        done.set()
        sampler.join(timeout=10)
        counters = self.crash_counters(pm2, side, crash_units)
        observed = time.monotonic() - t_begin
        self.results["limit"] = {
            who: [{"peak_rss_mib": w.get("peak_rss", 0) / 1024,
                   "peak_anon_mib": w.get("peak_anon", 0) / 1024,
                   "peak_charge_mib": w["peak_charge"] / 1024 if "peak_charge" in w else None,
                   # Over the limit on the supervisor's own measure: the process's RSS for
                   # PM2, the memory charged to the unit's cgroup for systemd.
                   "over_s": _over(w, "cross_rss" if who == "pm2" else "cross_charge"),
                   "acted": "gone" in w}
                  for (w_who, _), w in grow.items() if w_who == who]
            for who in ("pm2", "systemd")}
        self.results["crash"] = {
            who: {"launches": [len(c["pids"]) for (w_, _), c in crash.items() if w_ == who],
                  "counter": counters.get(who, {}).get("restarts", []),
                  "states": counters.get(who, {}).get("states", []),
                  "stopped_after_s": stopped.get(who), "observed_s": observed}
            for who in ("pm2", "systemd")}
        with open(os.path.join(pm2.home, "pm2.log"), errors="replace") as f:
            self.results["crash"]["pm2"]["errored_lines"] = sum(
                "too many unstable restarts" in line for line in f)
        self.results["crash_settings"] = {"max_restarts": cfg.crash_max_restarts,
                                          "restart_delay_ms": cfg.crash_restart_delay_ms,
                                          "exit_after_ms": cfg.crash_after_ms}
        self.results["limit_settings"] = {"limit": MEMORY_LIMIT, "rate": cfg.grow_mib_per_s,
                                          "pm2_interval_s": interval}
        pm2.kill()
        sandbox.kill()

    def crash_counters(self, pm2, side, units):
        """Each supervisor's own restart counter and state for the crash-looping agents."""
        procs = sorted((p for p in pm2.jlist() if p["name"].startswith("crash-")),
                       key=lambda p: p["name"])
        shown = side.show(units, ["NRestarts", "ActiveState", "Result"])
        return {
            "pm2": {"restarts": [p["pm2_env"].get("restart_time", 0) for p in procs],
                    "states": [p["pm2_env"].get("status") for p in procs]},
            "systemd": {"restarts": [int(shown[u].get("NRestarts") or 0) for u in units],
                        "states": [f'{shown[u].get("ActiveState")} ({shown[u].get("Result")})'
                                   for u in units]},
        }

    # --- restarts under load -----------------------------------------------------------

    def restart_apps(self, who):
        """A cluster app of N workers on one port, and a fork-mode app beside it."""
        port = PORTS[f"restarts-{who}"]
        cluster = App("cluster", port, instances=self.cfg.cluster_instances,
                      exec_mode="cluster")
        fork = App("fork", port + 1)
        return cluster, fork

    def restarts_phase(self):
        """Requests lost to `pm2 reload` of a cluster app against `unit-watchdog reload`,
        and to a restart of a fork-mode app under each, with the same load; and how the
        requests spread across the cluster's instances."""
        self.guarded("restarts under load, PM2", self.restarts_pm2)
        self.guarded("restarts under load, systemd", self.restarts_systemd)

    def restarts_pm2(self):
        pm2 = self.pm2("restarts")
        pm2.run("ping")
        cluster, fork = self.restart_apps("pm2")
        self.check_ports_free([cluster, fork])
        config = os.path.join(self.workdir, "restarts.config.js")
        with open(config, "w") as f:
            f.write(fleet.pm2_config([cluster, fork], self.script, self.node, pmx=True))
        pm2.run("start", config)
        probe.wait_serving([cluster.port, fork.port], time.monotonic(), 60)

        def timed(*args):
            t0 = time.monotonic()
            proc = pm2.run(*args, check=False)
            return proc.returncode, time.monotonic() - t0

        self.measure_restarts("pm2", cluster, fork, lambda: timed("reload", "cluster"),
                              lambda: timed("restart", "fork"))
        pm2.kill()

    def restarts_systemd(self):
        sandbox = self.boot_sandbox("restarts")
        side = self.systemd_side(sandbox)
        if not side.gen_units:
            raise BenchError("gen-units not built: the cluster app needs rendered units")
        cluster, fork = self.restart_apps("systemd")
        self.check_ports_free([cluster, fork])
        side.start("restarts", [cluster, fork])
        group = side.target.removesuffix(".target")
        probe.wait_serving([cluster.port, fork.port], time.monotonic(), 60)

        def timed(argv):
            t0 = time.monotonic()
            proc = subprocess.run(sandbox.command(argv), capture_output=True, timeout=300,
                                  stdin=subprocess.DEVNULL)
            return proc.returncode, time.monotonic() - t0

        reload = (lambda: timed([self.bins["reload"], "reload", group, "cluster"])) \
            if "reload" in self.bins else None
        self.measure_restarts(
            "systemd", cluster, fork, reload,
            lambda: timed(["systemctl", "restart", f"{group}-fork.service"]))
        sandbox.kill()

    def measure_restarts(self, who, cluster, fork, reload, restart):
        """The spread under a steady load, then each restart kind `restart_reps` times,
        each under its own load."""
        cfg = self.cfg
        out = self.results["restarts"].setdefault(who, {})

        def under_load(port, action):
            stats = load.run(port, cfg.load_clients, cfg.load_s, cfg.load_cap, action,
                             cfg.restart_at_s)
            probe.wait_serving([port], time.monotonic(), 60)
            return stats

        steady = load.run(cluster.port, cfg.load_clients, cfg.load_s, cfg.load_cap)
        out["spread"] = steady["by_instance"]
        self.log(f"{who}: steady load on the cluster: {steady['ok']} answers, spread "
                 f"{[round(x) for x in load.spread(steady['by_instance'])]} %")
        if reload is None:
            out["reload"] = "not measured: " + self.missing.get("reload", "no reload")
        else:
            out["reload"] = [under_load(cluster.port, reload) for _ in range(cfg.restart_reps)]
        out["restart"] = [under_load(fork.port, restart) for _ in range(cfg.restart_reps)]
        for kind in ("reload", "restart"):
            for run in out[kind] if isinstance(out[kind], list) else []:
                self.log(f"{who} {kind}: ok {run['ok']}, refused {run['refused']}, failed "
                         f"{run['failed']}, command exit {run['action'][0]} in "
                         f"{run['action'][1]:.1f} s")

    # --- the run --------------------------------------------------------------------

    def run_reports(self, earlier):
        """Only the report latency, at every report size, into `earlier`'s results."""
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        load = output._read("/proc/loadavg").split()[:3]
        self.prepare()
        for n in sorted(self.cfg.report_sizes):
            self.guarded(f"reports at N={n} under PM2", lambda: self.report_only_pm2(n))
            self.guarded(f"reports at N={n} under systemd",
                         lambda: self.report_only_systemd(n))
        facts = output.machine_facts(REPO, self.node, self.results.get("pm2_version"))
        earlier["report"] = self.results["report"]
        earlier["report_run"] = {"started": started, "loadavg_start": load,
                                 "loadavg_end": output._read("/proc/loadavg").split()[:3],
                                 "rev": facts.get("rev")}
        self.results = earlier

    def run(self):
        r = self.results
        r["started"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        r["loadavg_start"] = output._read("/proc/loadavg").split()[:3]
        t0 = time.monotonic()
        self.prepare()
        # The revision the binaries were built from: read now, not after the run.
        r["machine"] = output.machine_facts(REPO, self.node, r.get("pm2_version"))
        for n in sorted(set(self.cfg.fleet_sizes + self.cfg.report_sizes)):
            if n in self.cfg.fleet_sizes:
                self.fleet_phase(n)
            else:
                self.guarded(f"reports at N={n} under PM2", lambda: self.report_only_pm2(n))
                self.guarded(f"reports at N={n} under systemd",
                             lambda: self.report_only_systemd(n))
        self.guarded("idle CPU", self.idle_phase)
        self.guarded("memory limit and crash loop", self.limits_phase)
        self.restarts_phase()
        r["loadavg_end"] = output._read("/proc/loadavg").split()[:3]
        r["duration_s"] = time.monotonic() - t0
        r["missing"] = self.missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small fleets, fewer repetitions: checks the harness in a minute")
    parser.add_argument("--no-build", action="store_true",
                        help="use the release binaries already built instead of cargo build")
    parser.add_argument("--output-dir", help="where BENCHMARKS.md and the plot go "
                        "(default: the repository; with --quick: printed only)")
    parser.add_argument("--bin-dir", help="take gen-units and unit-watchdog from DIR "
                        "(no build)")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--render", metavar="JSON", help="measure nothing: write the "
                        "section from the raw results of an earlier run (--json)")
    parser.add_argument("--sizes", help="fleet sizes, comma-separated (default 74,200)")
    parser.add_argument("--report-sizes", help="report sizes, comma-separated "
                        "(default 74,200,500)")
    parser.add_argument("--reps", type=int, help="repetitions (default 5)")
    parser.add_argument("--reports-only", metavar="JSON", help="measure only the report "
                        "latency (PM2 and systemd, each size in one run) and put it in the "
                        "raw results of an earlier full run, noting when it was measured")
    args = parser.parse_args()
    if args.render:
        with open(args.render) as f:
            results = json.load(f)
        section, svg = output.render(results)
        output.write(args.output_dir or REPO, section, svg)
        return
    if os.geteuid() != 0:
        sys.exit("run.py needs root: it boots a private systemd (unshare, nsenter)")
    for tool in ("unshare", "nsenter", "node", "npm"):
        if not shutil.which(tool):
            sys.exit(f"run.py needs {tool}")

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)

    cfg = Config(args.quick)
    if args.sizes:
        cfg.fleet_sizes = [int(x) for x in args.sizes.split(",")]
    if args.report_sizes:
        cfg.report_sizes = [int(x) for x in args.report_sizes.split(",")]
    if args.reps:
        cfg.reps = args.reps
    bench = Bench(cfg, build=not args.no_build,
                  bin_dir=os.path.abspath(args.bin_dir) if args.bin_dir else None)
    if args.reports_only:
        with open(args.reports_only) as f:
            earlier = json.load(f)
    try:
        if args.reports_only:
            bench.run_reports(earlier)
        else:
            bench.run()
    except (BenchError, KeyboardInterrupt, subprocess.TimeoutExpired) as e:
        bench.cleanup()
        sys.exit(f"benchmark failed: {e}")
    except BaseException:
        bench.cleanup()
        raise
    bench.cleanup()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(bench.results, f, indent=2)
    out_dir = args.output_dir or (None if args.quick else REPO)
    section, svg = output.render(bench.results)
    if out_dir:
        output.write(out_dir, section, svg)
        # The raw figures, so the section can be written again (--render) without a rerun.
        with open(os.path.join(out_dir, output.RESULTS), "w") as f:
            json.dump(bench.results, f, indent=1)
        print(f"wrote {os.path.join(out_dir, 'BENCHMARKS.md')} and "
              f"{os.path.join(out_dir, output.PLOT)}")
    else:
        print(section)


if __name__ == "__main__":
    main()
