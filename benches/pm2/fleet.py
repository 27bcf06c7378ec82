"""The agents, written for each supervisor, and the supervisors themselves.

One list of apps (PM2's schema) is rendered three ways: an ecosystem.config.js for PM2,
an ecosystem YAML for `gen-units`, and (until `gen-units` is built) plain unit files
with what `gen-units` renders for the same attributes.
"""

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

import probe
from sandbox import BenchError

# PM2's defaults, used where an app leaves them out (PM2 lib/God.js).
PM2_DEFAULT_MAX_RESTARTS = 16
PM2_DEFAULT_MIN_UPTIME_MS = 1000


@dataclass
class App:
    """One agent, in PM2's terms."""

    name: str
    port: int
    max_memory: str = "100M"
    restart_delay_ms: int = 100
    max_restarts: int | None = None
    env: dict = field(default_factory=dict)
    instances: int | None = None  # with exec_mode "cluster": workers sharing the port
    exec_mode: str | None = None

    def environment(self):
        # HOST: the agents listen on 127.0.0.1 only, and the socket systemd holds for them
        # must be bound there too (the preload does not widen a loopback listen).
        return {"PORT": str(self.port), "HOST": "127.0.0.1", **self.env}


def fleet(prefix, count, first_port, **kwargs):
    return [App(f"{prefix}-{i}", first_port + i, **kwargs) for i in range(count)]


def size_bytes(size):
    """Bytes in a PM2 size such as "100M" (binary units)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)


# --- PM2 -------------------------------------------------------------------------------

def pm2_config(apps, script, node, pmx):
    """ecosystem.config.js text."""
    entries = []
    for app in apps:
        entry = {
            "name": app.name,
            "script": script,
            "interpreter": node,
            "env": app.environment(),
            "max_memory_restart": app.max_memory,
            "restart_delay": app.restart_delay_ms,
        }
        if app.max_restarts is not None:
            entry["max_restarts"] = app.max_restarts
        if app.instances is not None:
            entry["instances"] = app.instances
        if app.exec_mode is not None:
            entry["exec_mode"] = app.exec_mode
        if not pmx:
            entry["pmx"] = False
        entries.append(entry)
    return "module.exports = " + json.dumps({"apps": entries}, indent=2) + ";\n"


class Pm2:
    """A PM2 installed in a private folder, with its own PM2_HOME."""

    def __init__(self, prefix, home, node, extra_env=None):
        self.bin = os.path.join(prefix, "node_modules", ".bin", "pm2")
        self.home = home
        os.makedirs(home, exist_ok=True)
        self.env = {
            "PATH": f"{os.path.dirname(self.bin)}:{os.path.dirname(node)}:/usr/bin:/bin",
            "HOME": home,
            "PM2_HOME": home,
            "LANG": "C.UTF-8",
            **(extra_env or {}),
        }

    def run(self, *args, timeout=300, check=True):
        proc = subprocess.run([self.bin, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise BenchError(f"pm2 {' '.join(args)} failed ({proc.returncode}): "
                             f"{(proc.stderr or proc.stdout)[-2000:]}")
        return proc

    def daemon_pid(self):
        try:
            with open(os.path.join(self.home, "pm2.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if probe.state(pid) not in (None, "Z") else None

    def jlist(self):
        return json.loads(self.run("jlist").stdout)

    def kill(self):
        """Stops the daemon and every app; safe to call at any time."""
        pid = self.daemon_pid()
        if os.path.exists(self.bin):
            try:
                self.run("kill", timeout=60, check=False)
            except subprocess.TimeoutExpired:
                pass
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --- systemd ---------------------------------------------------------------------------

def ecosystem_yaml(apps, script, node, hardening=None):
    """The same apps as an ecosystem file for gen-units (PM2's schema, YAML)."""
    lines = [f"hardening: {hardening}"] if hardening else []
    lines.append("apps:")
    for app in apps:
        lines += [
            f"  - name: {app.name}",
            f"    script: {script}",
            f"    interpreter: {node}",
            f"    max_memory_restart: {app.max_memory}",
            f"    restart_delay: {app.restart_delay_ms}",
        ]
        if app.max_restarts is not None:
            lines.append(f"    max_restarts: {app.max_restarts}")
        if app.instances is not None:
            lines.append(f"    instances: {app.instances}")
        if app.exec_mode is not None:
            lines.append(f"    exec_mode: {app.exec_mode}")
        lines.append("    env:")
        lines += [f"      {k}: {json.dumps(v)}" for k, v in app.environment().items()]
    return "\n".join(lines) + "\n"


def handwritten_units(group, apps, script, node, source):
    """{file name: text}: units with what gen-units renders for these attributes.

    Restart=always (PM2 restarts clean exits too), RestartSec= from restart_delay,
    MemoryMax= from max_memory_restart, StartLimitBurst= max_restarts + 1 (the first start
    counts too) within burst x (min_uptime + delay), so the limit trips for the loops PM2
    means to stop; the ownership marker and [X-Ecosystemd] section let unit-watchdog treat
    them as its own.
    """
    marker = (f"# Generated by ecosystemd for ecosystem {group} from {source}. "
              "Do not edit: gen-units rewrites it.")
    files = {}
    names = []
    for app in apps:
        restarts = app.max_restarts if app.max_restarts is not None else PM2_DEFAULT_MAX_RESTARTS
        burst = restarts + 1
        interval_s = -(-burst * (app.restart_delay_ms + PM2_DEFAULT_MIN_UPTIME_MS) // 1000)
        env = "\n".join(f'Environment="{k}={v}"' for k, v in app.environment().items())
        unit = f"{group}-{app.name}.service"
        names.append(unit)
        files[unit] = f"""{marker}
[Unit]
Description={app.name} ({group})
PartOf={group}.target
StartLimitIntervalSec={interval_s}
StartLimitBurst={burst}

[Service]
ExecStart={node} {script}
{env}
MemoryMax={app.max_memory}
Restart=always
RestartSec={app.restart_delay_ms}ms
KillSignal=SIGINT
TimeoutStopSec=1600ms

[X-Ecosystemd]
Ecosystem={group}
App={app.name}
"""
    wants = " ".join(names)
    files[f"{group}.target"] = f"""{marker}
[Unit]
Description=Agents of {group}
Wants={wants}
"""
    return files


def bundle_units(text):
    """Service and target names in a gen-units bundle (headers carry exact lengths)."""
    services, targets = [], []
    data = text.encode()
    pos = data.find(b"\n") + 1
    while pos < len(data):
        end = data.find(b"\n", pos)
        header = data[pos:end].decode()
        if not header.startswith("#--- ") or header.startswith("#--- end"):
            break
        parts = header.split()
        kind, name, length = parts[1], parts[2], int(parts[4])
        if kind == "unit" and name.endswith(".service"):
            services.append(name)
        elif kind == "unit" and name.endswith(".target"):
            targets.append(name)
        pos = end + 1 + length
    return services, targets


class SystemdSide:
    """The agents as units in a sandbox: rendered by gen-units where it is built,
    hand-written otherwise."""

    def __init__(self, sandbox, workdir, script, node, gen_units=None, install=False):
        self.sandbox = sandbox
        self.workdir = workdir
        self.script = script
        self.node = node
        self.gen_units = gen_units
        self.use_install = install
        self.services = []
        self.target = None

    def how(self):
        if self.gen_units and self.use_install:
            return "gen-units | gen-units install --now"
        if self.gen_units:
            return "units rendered by gen-units, copied in, systemctl start"
        return "hand-written units (gen-units not built), systemctl start"

    def start_installed(self):
        """Starts the group installed by the last `start` again with `systemctl start`
        of its target (the everyday start: at boot, after a stop), as `pm2 start` starts
        the apps of a file with its daemon already up; `command_s` is its duration."""
        t0 = time.monotonic()
        self.sandbox.systemctl("start", self.target, timeout=300)
        self.command_s = time.monotonic() - t0
        return t0

    def start(self, group, apps, hardening=None):
        """Renders, installs and starts the group; returns the monotonic start time.
        `command_s` is then how long the command that did it took."""
        t0 = time.monotonic()
        if self.gen_units:
            path = os.path.join(self.workdir, f"{group}.yaml")
            with open(path, "w") as f:
                f.write(ecosystem_yaml(apps, self.script, self.node, hardening))
            render = subprocess.run([self.gen_units, path], capture_output=True, text=True,
                                    timeout=120)
            if render.returncode != 0:
                raise BenchError(f"gen-units {path} failed: {render.stderr[-2000:]}")
            self.services, targets = bundle_units(render.stdout)
            if not self.services or len(targets) != 1:
                raise BenchError("gen-units output has no services or no single target")
            self.target = targets[0]
            if self.use_install:
                self.sandbox.run([self.gen_units, "install", "--now"],
                                 input_text=render.stdout, timeout=300)
            else:
                self._copy_bundle(render.stdout)
                self.sandbox.systemctl("daemon-reload")
                self.sandbox.systemctl("start", self.target, timeout=300)
        else:
            files = handwritten_units(group, apps, self.script, self.node,
                                      os.path.join(self.workdir, f"{group}.yaml"))
            unit_dir = self.sandbox.path("/etc/systemd/system")
            os.makedirs(unit_dir, exist_ok=True)
            for name, text in files.items():
                with open(os.path.join(unit_dir, name), "w") as f:
                    f.write(text)
            self.services = [n for n in files if n.endswith(".service")]
            self.target = f"{group}.target"
            self.sandbox.systemctl("daemon-reload")
            self.sandbox.systemctl("start", self.target, timeout=300)
        self.command_s = time.monotonic() - t0
        return t0

    def _copy_bundle(self, text):
        data = text.encode()
        pos = data.find(b"\n") + 1
        while pos < len(data):
            end = data.find(b"\n", pos)
            parts = data[pos:end].decode().split()
            if parts[1] == "end":
                break
            kind, name, mode, length = parts[1], parts[2], int(parts[3], 8), int(parts[4])
            body = data[end + 1:end + 1 + length]
            folder = {"unit": "/etc/systemd/system", "env": "/etc/ecosystemd/env",
                      "journald": "/etc/systemd"}[kind]
            dest = self.sandbox.path(f"{folder}/{name}")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(body)
            os.chmod(dest, mode)
            pos = end + 1 + length

    def stop(self):
        if self.services:
            self.sandbox.systemctl("stop", self.target, *self.services, timeout=300)
            self.sandbox.systemctl("reset-failed", *self.services, check=False)

    def show(self, units, props):
        """{unit: {prop: value}} from one `systemctl show` call."""
        out = self.sandbox.systemctl("show", "-p", ",".join(["Id", *props]), *units).stdout
        result = {}
        for block in out.strip().split("\n\n"):
            values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            result[values.get("Id")] = values
        return result
