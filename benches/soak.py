#!/usr/bin/env python3
"""The fault soak: the 74-agent example under unit-watchdog in a private systemd, while a
chaos loop injects faults; then what recovered, what the watchdog recorded, and what was lost.

    sudo python3 benches/soak.py                 # 10 minutes
    sudo python3 benches/soak.py --minutes 2     # a shorter run
    CI_SOAK=1 .ci/run                            # CI, only when asked

A private systemd 252 is booted (its own PID, mount and network namespaces; benches/pm2/
sandbox.py), the example is copied to a scratch folder with a chaos-aware agent.js (same
HTTP answer, plus marker files that make one agent grow, hang or crash at start), rendered
and installed with `gen-units install --now`, and `unit-watchdog run` is started inside.
Faults, one at a time on agents chosen at random, each followed until it recovered:

- sigkill:  `systemctl kill --signal=SIGKILL` of an agent;
- memory:   the agent allocates until the kernel kills it at its MemoryMax=;
- crash:    the agent exits 1 at each start until systemd's start limit fails it; the
            marker is then removed and the watchdog must bring it back;
- hung:     the agent's event loop blocks (it answers nothing, ignores SIGINT); the soak's
            probe finds it silent and kills it with SIGKILL (no liveness check exists for
            an agent that sends no watchdog pings);
- dbus:     `systemctl restart dbus`; the watchdog must reconnect;
- reexec:   `systemctl daemon-reexec`;
- reinstall: `gen-units FILE | gen-units install --now` (twice: unchanged, then with one
            agent's environment changed).

Afterwards: every agent serves its own answer, every agent fault is in the watchdog's
history and in `unit-watchdog report`, the watchdog's RSS is within 10% of its start, and
every unit, environment and preload file installed is the rendered one, byte for byte.
Exit status 0 only when nothing was lost. Figures: RELIABILITY.md.
"""

import argparse
import collections
import hashlib
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "pm2"))

import sandbox as sandbox_module  # noqa: E402
from sandbox import BenchError, Sandbox  # noqa: E402

# As the project's test harness: systemd's, install's and the watchdog's state stay inside.
sandbox_module.PRIVATE_MOUNTS = ["/var/lib", *sandbox_module.PRIVATE_MOUNTS]

GROUP = "agents"
AGENT_FAULTS = ("sigkill", "memory", "crash", "hung")
# One round of the chaos loop; reinstalls are spread over the run separately.
ROUND = ("sigkill", "memory", "sigkill", "hung", "crash", "sigkill", "dbus", "memory",
         "sigkill", "reexec")
RECOVERY_LIMIT = 90.0
RSS_TOLERANCE = 0.10

AGENT_JS = r"""#!/usr/bin/env node
// The example's agent for the fault soak: the same answer on PORT, and marker files in
// ./chaos that make it crash at start (crash-NAME), grow until its memory limit kills it
// (grow-NAME) or block its event loop for good (hang-NAME).
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const name = process.env.AGENT_NAME || 'agent';
const port = Number(process.env.PORT || 3000);
const marker = (kind) => fs.existsSync(path.join(__dirname, 'chaos', `${kind}-${name}`));

if (process.argv.includes('--once')) {
  console.log(`${name}: one run done at ${new Date().toISOString()}`);
  process.exit(0);
}
if (marker('crash')) {
  console.error(`${name}: crashing at start (soak)`);
  process.exit(1);
}

const server = http.createServer((request, response) => {
  const body = JSON.stringify({ name, pid: process.pid, path: request.url });
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(body + '\n');
});
server.listen(port, () => console.log(`${name} listening on ${port}`));

const hog = [];
setInterval(() => {
  if (marker('grow')) {
    for (let i = 0; i < 4; i++) hog.push(Buffer.alloc(4 << 20, 1));
  }
  if (marker('hang')) {
    console.error(`${name}: hanging (soak)`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
}, 100);

process.on('SIGINT', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
"""

PROBE = r"""
import json, socket, sys, concurrent.futures
def get(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.settimeout(3)
            s.sendall(b"GET /soak HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        body = data.split(b"\r\n\r\n", 1)[1]
        return json.loads(body)["name"]
    except Exception as e:
        return "error: " + type(e).__name__
ports = [int(p) for p in sys.argv[1:]]
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    print(json.dumps(dict(zip(map(str, ports), pool.map(get, ports)))))
"""

HASHES = r"""
import hashlib, json, sys
seen = {}
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            seen[path] = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        pass
print(json.dumps(seen))
"""


class Soak:
    """One soak run: the sandbox, the project, the watchdog and what was injected."""

    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.project = work / "agents"
        self.chaos = self.project / "chaos"
        self.sandbox = Sandbox(str(work / "sandbox.log"), private_network=True)
        self.watchdog = None
        self.watchdog_pid = None
        self.agents = {}  # unit -> (AGENT_NAME, port)
        self.faults = []  # dicts: kind, unit, at, recovered, detail
        self.rss_samples = []  # (seconds into the chaos, KiB)
        self.gen_units = str(ROOT / f"target/{args.profile}/gen-units")
        self.unit_watchdog = str(ROOT / f"target/{args.profile}/unit-watchdog")

    # --- setting up ---------------------------------------------------------------------

    def prepare_project(self):
        shutil.copytree(ROOT / "examples/agents", self.project)
        (self.project / "agent.js").write_text(AGENT_JS)
        self.chaos.mkdir()
        for path in [self.project, *self.project.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.ecosystem = self.project / "ecosystem.yaml"
        self.original = self.ecosystem.read_text()

    def render(self, out=None):
        args = [self.gen_units, str(self.ecosystem)]
        if out:
            args[1:1] = ["--output-dir", str(out)]
        done = subprocess.run(args, capture_output=True, check=True)
        return done.stdout

    def install(self):
        bundle = self.render()
        started = time.monotonic()
        proc = subprocess.run(self.sandbox.command([self.gen_units, "install", "--now"]),
                              input=bundle, capture_output=True, timeout=300)
        if proc.returncode != 0:
            raise BenchError(f"install failed: {proc.stderr.decode(errors='replace')[-2000:]}")
        return time.monotonic() - started

    def read_agents(self):
        """The long-running agents (every service with a port; not the cron and watch
        oneshots) and their ports, from the rendered files."""
        out = self.work / "first-render"
        self.render(out)
        for env in sorted((out / "env").iterdir()):
            values = dict(line.split("=", 1) for line in env.read_text().splitlines()
                          if "=" in line and not line.startswith("#"))
            unit = env.name[:-len(".env")] + ".service"
            name = values.get("AGENT_NAME", "").strip('"')
            port = values.get("PORT", "").strip('"')
            service = out / "unit" / unit
            if name and port.isdigit() and "Type=oneshot" not in service.read_text():
                self.agents[unit] = (name, int(port))
        names = collections.Counter(name for name, _ in self.agents.values())
        # Chaos markers are per agent name: cluster instances share one, so they are
        # checked for serving but not picked for a fault.
        self.targets = sorted(u for u, (name, _) in self.agents.items() if names[name] == 1)
        if len(self.agents) < 70:
            raise BenchError(f"only {len(self.agents)} agents found in the rendered files")

    def start_watchdog(self):
        log = open(self.work / "watchdog.log", "wb")
        env = {**os.environ, "UNIT_WATCHDOG_LOG": "info"}
        for var in ("JOURNAL_STREAM", "INVOCATION_ID", "NOTIFY_SOCKET", "WATCHDOG_USEC"):
            env.pop(var, None)
        self.watchdog = subprocess.Popen(
            self.sandbox.command([self.unit_watchdog, "run", "--memory-interval", "5"]),
            stdout=subprocess.DEVNULL, stderr=log, env=env)
        self.wait("the watchdog's first synchronisation", 60,
                  lambda: "synchronised with systemd" in self.watchdog_log())
        children = pathlib.Path(f"/proc/{self.watchdog.pid}/task/{self.watchdog.pid}/children")
        self.watchdog_pid = int(children.read_text().split()[0])

    def watchdog_log(self):
        return (self.work / "watchdog.log").read_text(errors="replace")

    def rss_kib(self):
        with open(f"/proc/{self.watchdog_pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise BenchError("the watchdog is gone")

    # --- looking ------------------------------------------------------------------------

    def wait(self, what, limit, ready, interval=0.5):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if ready():
                return True
            time.sleep(interval)
        raise BenchError(f"timed out after {limit:.0f} s waiting for {what}")

    def probe(self, units):
        ports = [str(self.agents[u][1]) for u in units]
        proc = self.sandbox.run(["python3", "-c", PROBE, *ports], check=True, timeout=60)
        answers = json.loads(proc.stdout)
        return {u: answers[str(self.agents[u][1])] == self.agents[u][0] for u in units}

    def show(self, unit, *props):
        out = self.sandbox.systemctl("show", unit, *(f"--property={p}" for p in props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def serving(self, unit):
        return self.probe([unit])[unit]

    def main_pid(self, unit):
        return self.show(unit, "MainPID")["MainPID"]

    # --- faults -------------------------------------------------------------------------

    def agent_fault(self, kind):
        unit = random.choice(self.targets)
        name = self.agents[unit][0]
        fault = {"kind": kind, "unit": unit, "at": time.time(), "recovered": False,
                 "detail": ""}
        self.faults.append(fault)
        old_pid = self.main_pid(unit)
        try:
            getattr(self, f"inject_{kind}")(unit, name, old_pid)
            self.wait(f"{unit} serving again after {kind}", RECOVERY_LIMIT,
                      lambda: self.main_pid(unit) not in ("0", old_pid) and self.serving(unit))
            fault["recovered"] = True
        except BenchError as error:
            fault["detail"] = str(error)
        finally:
            for marker in self.chaos.iterdir():
                marker.unlink()

    def inject_sigkill(self, unit, name, old_pid):
        self.sandbox.systemctl("kill", "--signal=SIGKILL", unit)

    def inject_memory(self, unit, name, old_pid):
        (self.chaos / f"grow-{name}").touch()
        self.wait(f"the memory kill of {unit}", 60,
                  lambda: self.main_pid(unit) not in ("0", old_pid))
        (self.chaos / f"grow-{name}").unlink()

    def inject_hung(self, unit, name, old_pid):
        (self.chaos / f"hang-{name}").touch()
        self.wait(f"{unit} to stop answering", 30, lambda: not self.serving(unit), 1.0)
        (self.chaos / f"hang-{name}").unlink()
        # The probe's answer to a silent agent: what a health check would do.
        self.sandbox.systemctl("kill", "--signal=SIGKILL", unit)

    def inject_crash(self, unit, name, old_pid):
        (self.chaos / f"crash-{name}").touch()
        self.sandbox.systemctl("kill", "--signal=SIGKILL", unit)
        self.wait(f"{unit} to fail at its start limit", 120,
                  lambda: self.crash_looped(unit), 1.0)
        (self.chaos / f"crash-{name}").unlink()

    def crash_looped(self, unit):
        """Whether `unit` hit its start limit, or the watchdog called it a crash loop."""
        if self.show(unit, "Result")["Result"] == "start-limit-hit":
            return True
        return any(f"unit={unit} " in line and "decision=crash-loop " in line
                   for line in self.watchdog_log().splitlines())

    def system_fault(self, kind):
        fault = {"kind": kind, "unit": None, "at": time.time(), "recovered": False,
                 "detail": ""}
        self.faults.append(fault)
        try:
            if kind == "dbus":
                self.sandbox.systemctl("restart", "dbus.service")
            elif kind == "reexec":
                self.sandbox.systemctl("daemon-reexec")
            else:
                fault["detail"] = f"{self.install():.1f} s"
            self.wait(f"every agent serving after {kind}", RECOVERY_LIMIT,
                      lambda: all(self.probe(sorted(self.agents)).values()), 2.0)
            fault["recovered"] = True
        except (BenchError, subprocess.TimeoutExpired) as error:
            fault["detail"] += f" {error}"

    def reinstall(self, changed):
        text = self.original
        if changed:
            text = text.replace("NODE_ENV: 'production'",
                                "NODE_ENV: 'production'\n      SOAK_ROUND: 'changed'", 1)
        self.ecosystem.write_text(text)
        self.system_fault("reinstall-changed" if changed else "reinstall")

    # --- the run ------------------------------------------------------------------------

    def run(self):
        self.prepare_project()
        self.read_agents()
        self.sandbox.boot()
        took = self.install()
        print(f"installed {len(self.agents)} agents in {took:.1f} s", flush=True)
        self.wait("every agent serving", 180,
                  lambda: all(self.probe(sorted(self.agents)).values()), 2.0)
        self.start_watchdog()
        time.sleep(10)
        self.rss = {"start": self.rss_kib()}
        seconds = self.args.minutes * 60
        started = time.monotonic()
        reinstalls = [started + seconds / 3, started + 2 * seconds / 3]
        step = 0
        while time.monotonic() - started < seconds:
            if reinstalls and time.monotonic() >= reinstalls[0]:
                reinstalls.pop(0)
                self.reinstall(changed=not reinstalls)
            else:
                kind = ROUND[step % len(ROUND)]
                step += 1
                if kind in AGENT_FAULTS:
                    self.agent_fault(kind)
                else:
                    self.system_fault(kind)
            if len(self.faults) == len(ROUND) + 1:
                # Every kind of fault (and a reinstall) has been through the watchdog once.
                self.rss["warm"] = self.rss_kib()
            self.rss_samples.append((time.monotonic() - started, self.rss_kib()))
            last = self.faults[-1]
            print(f"{time.monotonic() - started:6.0f} s  {last['kind']:<18} "
                  f"{last['unit'] or '':<32} {'recovered' if last['recovered'] else 'LOST'} "
                  f"{last['detail']}", flush=True)
            time.sleep(self.args.pause)
        for late in reinstalls:  # a short run still reinstalls twice
            self.reinstall(changed=late == reinstalls[-1])
        time.sleep(10)  # the watchdog's last reads and saves
        return self.check()

    # --- afterwards ---------------------------------------------------------------------

    def check(self):
        failures = []
        answers = self.probe(sorted(self.agents))
        silent = sorted(u for u, ok in answers.items() if not ok)
        if silent:
            failures.append(f"not serving: {silent}")
        history = json.loads(self.sandbox.run(
            ["cat", "/var/lib/unit-watchdog/state.json"]).stdout)["units"]
        report = json.loads(self.sandbox.run(
            [self.unit_watchdog, "report", "--format", "json", "--window", "1d",
             "--ecosystem", GROUP], check=False).stdout)
        by_unit = {u["name"]: u for u in report["units"]}
        for fault in self.faults:
            if fault["unit"] is None:
                continue
            fault["recorded"] = self.recorded(fault, history, by_unit)
            if not fault["recorded"]:
                failures.append(f"{fault['kind']} of {fault['unit']} not in the history/report")
        self.rss["end"] = self.rss_kib()
        base = self.rss.get("warm", self.rss["start"])
        growth = (self.rss["end"] - base) / base
        if abs(growth) > RSS_TOLERANCE:
            failures.append(f"watchdog RSS {base} KiB after the first round of faults -> "
                            f"{self.rss['end']} KiB at the end ({growth:+.0%})")
        failures += self.files_intact()
        return failures

    def recorded(self, fault, history, by_unit):
        """Whether the watchdog's history and report hold the fault (each kind's own
        evidence; counts per unit are checked against all faults injected on it)."""
        unit = fault["unit"]
        events = history.get(unit, {})
        injected = [f for f in self.faults if f["unit"] == unit]
        restarts = len(events.get("restarts", [])) + len(events.get("watchdog_starts", []))
        reported = by_unit.get(unit, {}).get("restarts_window") or 0
        enough = restarts >= len(injected) and reported >= len(injected)
        if fault["kind"] == "memory":
            memory = sum(1 for f in injected if f["kind"] == "memory")
            kills = by_unit.get(unit, {}).get("memory_kills_window") or 0
            enough = enough and len(events.get("oom_kills", [])) >= memory and kills >= memory
        if fault["kind"] == "crash":
            enough = enough and len(events.get("crash_loops", [])) >= 1
        return enough

    def files_intact(self):
        """Every file of the last render is installed, byte for byte."""
        out = self.work / "last-render"
        self.render(out)
        places = {"unit": "/etc/systemd/system", "env": "/etc/ecosystemd/env",
                  "lib": "/etc/ecosystemd/lib", "journald": "/etc/systemd"}
        wanted = {}
        for kind, inside in places.items():
            for path in sorted((out / kind).glob("*")) if (out / kind).exists() else []:
                wanted[f"{inside}/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
        proc = self.sandbox.run(["python3", "-c", HASHES, *wanted], check=True)
        seen = json.loads(proc.stdout)
        self.files_checked = len(wanted)
        lost = sorted(p for p in wanted if p not in seen)
        changed = sorted(p for p in wanted if p in seen and seen[p] != wanted[p])
        return ([f"files lost: {lost}"] if lost else []) + (
            [f"files not as rendered: {changed}"] if changed else [])


def summary(soak, minutes, failures):
    kinds = collections.OrderedDict()
    for fault in soak.faults:
        row = kinds.setdefault(fault["kind"], [0, 0, 0])
        row[0] += 1
        ok = fault["recovered"] and fault.get("recorded", True)
        row[1 if ok else 2] += 1
    lines = [f"Fault soak: {minutes:g} min, {len(soak.agents)} agents, "
             f"load average {os.getloadavg()[0]:.1f} at the end", "",
             "| fault | injected | recovered and recorded | lost |", "|---|---|---|---|"]
    for kind, (injected, ok, lost) in kinds.items():
        lines.append(f"| {kind} | {injected} | {ok} | {lost} |")
    total = [sum(r[i] for r in kinds.values()) for i in range(3)]
    lines.append(f"| **all** | {total[0]} | {total[1]} | {total[2]} |")
    rss = getattr(soak, "rss", {})
    lines += ["", "Watchdog RSS (KiB): " + ", ".join(f"{k} {v}" for k, v in rss.items())
              + f"; files checked byte for byte: {getattr(soak, 'files_checked', 0)}."]
    minute = {}
    for at, kib in getattr(soak, "rss_samples", []):
        minute.setdefault(int(at // 60), kib)
    if minute:
        lines.append("RSS at each minute (KiB): " + " ".join(str(v) for v in minute.values()))
    lines += [f"- FAILED: {f}" for f in failures]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between faults")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--profile", default="release", choices=["release", "debug"])
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("soak: needs root (it boots a private systemd)")
    seed = args.seed if args.seed is not None else int(time.time())
    random.seed(seed)
    os.chdir(ROOT)
    if not args.no_build:
        flags = ["--release"] if args.profile == "release" else []
        subprocess.run(["cargo", "build", "--locked", *flags, "--bins"], check=True)
    # Under the target folder: the sandbox hides /tmp and /var/tmp, and a dynamic user
    # must be able to read the agents.
    work = ROOT / "target" / f"soak-{os.getpid()}"
    work.mkdir(parents=True)
    soak = Soak(args, work)
    try:
        failures = soak.run()
    except BenchError as error:
        print(f"soak: {error}", file=sys.stderr)
        failures = [str(error)]
    finally:
        if soak.watchdog:
            soak.watchdog.kill()
        soak.sandbox.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"seed {seed}")
    print(summary(soak, args.minutes, failures))
    lost = any(not f["recovered"] or not f.get("recorded", True) for f in soak.faults)
    sys.exit(1 if failures or lost else 0)


if __name__ == "__main__":
    main()
