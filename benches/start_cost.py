#!/usr/bin/env python3
"""What the hardening costs at each start of an agent, directive group by directive group.

    sudo python3 benches/start_cost.py            # 3 repetitions, rewrites its section
    sudo python3 benches/start_cost.py --reps 1   # a quick check, prints only

The 74 agents of the PM2 side by side (`benches/pm2/agent.js`, one port each), in a folder
owned by an ordinary user, are rendered by gen-units (the default profile, `standard`),
installed into a freshly booted private systemd, and started with `systemctl start` of
their target; each variant turns one group of directives off with a drop-in for all the
agents. The figure that matters is the CPU time of each agent process (utime + stime from
/proc, read once it answers): systemd sets up the unit's sandbox in the forked child
before `exec`, so that work is charged to the same process as node's own start, and CPU
time hardly moves with the machine's load, unlike the wall-clock time until all answer
(also given). The baseline is the same agents started directly.
"""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "pm2"))

import fleet  # noqa: E402
import probe  # noqa: E402
from sandbox import Sandbox  # noqa: E402

USER = "ecosystemd-bench"
GROUP = "cost"
FIRST_PORT = 3401
KERNEL = ("ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
          "ProtectControlGroups", "ProtectClock", "ProtectHostname")

# (label, drop-in lines, hardening profile of the ecosystem file)
VARIANTS = [
    ("`standard`, the default profile", [], None),
    ("… without `ProtectKernelTunables=`", ["ProtectKernelTunables=no"], None),
    ("… without the six kernel directives (" + ", ".join(f"`{k}=`" for k in KERNEL) + ")",
     [f"{k}=no" for k in KERNEL], None),
    ("… without `SystemCallFilter=`", ["SystemCallFilter=", "SystemCallArchitectures="],
     None),
    ("… without `PrivateDevices=`", ["PrivateDevices=no"], None),
    ("… without the file-system view (`ProtectSystem=`, `ProtectHome=`, `PrivateTmp=`)",
     ["ProtectSystem=no", "ProtectHome=no", "PrivateTmp=no", "ReadWritePaths="], None),
    ("`hardening: none`", [], "none"),
]


def serve_times(ports, start):
    """Runs `start()`; returns seconds until every port answered HTTP."""
    t0 = time.monotonic()
    done = {}
    poller = threading.Thread(
        target=lambda: done.update(s=probe.wait_serving(ports, t0, 120)), daemon=True)
    poller.start()
    start()
    poller.join()
    return done["s"]


def cpu_ms(pids):
    """Mean utime + stime of the processes, in ms."""
    times = [probe.cpu_seconds(p) for p in pids]
    return 1000 * statistics.mean(t for t in times if t is not None)


def systemd_variant(gen_units, folder, script, apps, dropin, hardening, log):
    """One boot: install, drop-in, start; returns (CPU ms per agent, seconds)."""
    path = os.path.join(folder, f"{GROUP}.yaml")
    with open(path, "w") as f:
        f.write(fleet.ecosystem_yaml(apps, script, shutil.which("node"), hardening))
    bundle = subprocess.run([gen_units, path], capture_output=True, check=True).stdout
    sandbox = Sandbox(log)
    try:
        sandbox.boot()
        sandbox.run([gen_units, "install"], input_text=bundle.decode(), timeout=300)
        if dropin:
            folder_in = sandbox.path(f"/etc/systemd/system/{GROUP}-.service.d")
            os.makedirs(folder_in, exist_ok=True)
            with open(os.path.join(folder_in, "cost.conf"), "w") as f:
                f.write("[Service]\n" + "\n".join(dropin) + "\n")
            sandbox.systemctl("daemon-reload")
        took = serve_times([a.port for a in apps],
                           lambda: sandbox.systemctl("start", f"{GROUP}.target", timeout=300))
        pids = probe.agents_by_port(script, sandbox.pidns()).values()
        return cpu_ms(pids), took
    finally:
        sandbox.kill()
        probe.wait_closed([a.port for a in apps], 60)


def direct(script, apps):
    """The same agents started directly: (CPU ms per agent, seconds)."""
    procs = []

    def start():
        for a in apps:
            procs.append(subprocess.Popen(
                [shutil.which("node"), script], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env={"PATH": "/usr/bin:/bin", **a.environment()}))

    try:
        took = serve_times([a.port for a in apps], start)
        return cpu_ms([p.pid for p in procs]), took
    finally:
        for p in procs:
            p.kill()
            p.wait()
        probe.wait_closed([a.port for a in apps], 60)


def project(workdir):
    """A folder owned by an ordinary user holding the agent: the units run as that user."""
    if subprocess.run(["id", "-u", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/usr/sbin/nologin", USER], check=True)
    folder = tempfile.mkdtemp(prefix="start-cost.", dir=workdir)
    os.chmod(folder, 0o755)
    script = os.path.join(folder, "agent.js")
    shutil.copy(HERE / "pm2" / "agent.js", script)
    os.chmod(script, 0o644)
    shutil.chown(folder, USER, USER)
    shutil.chown(script, USER, USER)
    return folder, script


def fmt(values, digits):
    med = statistics.median(values)
    return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def table(rows, reps, n):
    out = [f"`python3 benches/start_cost.py --reps {reps}`: {n} agents, median (min–max) "
           f"of {reps} boots; load average {os.getloadavg()[0]:.1f} at the end. Each agent "
           "process's CPU time (utime + stime, read once every agent answers) includes "
           "what systemd does in the forked child before `exec`: the unit's sandbox. Each "
           "row below the default turns one group of directives off with a drop-in; the "
           "wall-clock column carries the machine's load, the CPU column hardly does.", "",
           "| units | CPU per agent start (ms) | of which the hardening (ms) "
           "| until all answer (s) |", "|---|---|---|---|"]
    floor = statistics.median(rows["`hardening: none`"][0])
    for label, (cpu, secs) in rows.items():
        extra = statistics.median(cpu) - floor if label != "node, started directly" else None
        cell = f"{extra:.1f}" if extra is not None else "–"
        out.append(f"| {label} | {fmt(cpu, 1)} | {cell} | {fmt(secs, 2)} |")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--agents", type=int, default=74)
    parser.add_argument("--gen-units", default=str(HERE.parent / "target/release/gen-units"))
    args = parser.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR") or str(HERE.parent / "target")
    # Not under /tmp: the sandbox has its own /tmp, and its agents must see the files.
    folder, script = project(target)
    apps = fleet.fleet("agent", args.agents, FIRST_PORT, max_memory="100M",
                       restart_delay_ms=100)
    rows = {"node, started directly": ([], [])}
    rows.update({label: ([], []) for label, _, _ in VARIANTS})
    try:
        for rep in range(args.reps):
            cpu, secs = direct(script, apps)
            rows["node, started directly"][0].append(cpu)
            rows["node, started directly"][1].append(secs)
            for label, dropin, hardening in VARIANTS:
                cpu, secs = systemd_variant(args.gen_units, folder, script, apps, dropin,
                                            hardening, os.path.join(folder, "sandbox.log"))
                rows[label][0].append(cpu)
                rows[label][1].append(secs)
                print(f"rep {rep}: {label}: {cpu:.1f} ms, {secs:.2f} s", file=sys.stderr,
                      flush=True)
        text = table(rows, args.reps, args.agents)
        print(text)
        if args.reps >= 3:
            subprocess.run([sys.executable, str(HERE / "update_section.py"),
                            "Start cost of the hardening"], input=text, text=True,
                           check=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
