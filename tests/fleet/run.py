#!/usr/bin/env python3
"""The Ansible collection (ansible/) against three hosts on this machine.

Boots three private systemd hosts, each with sshd on its own address in its own network
namespace (hosts.py), installs ansible-core (pinned) into a venv, and drives the
collection's playbooks over ssh with a generated key, as a user would:

1. an ecosystem of 12 apps (Node and Python HTTP servers) placed across the hosts by host
   and group names: each host runs exactly its apps, and they answer;
2. a second run changes nothing (changed=0 on every host);
3. --check of a file moving one app from fleet-1 to fleet-2 reports the two hosts as
   changed and changes nothing; the real run then removes it from fleet-1 and starts it
   on fleet-2;
4. a new version that fails readiness stops the rollout at the first host (which gets
   its last good bundle back); the other two are not touched;
5. the fleet report from the controller lists the 12 apps with their host, and each
   host's report timer wrote its Prometheus textfile.

Run as root:  python3 tests/fleet/run.py   (about 5 minutes; --keep leaves the work
folder for inspection). Needs openssh-server, python3-venv, node, and network access to
PyPI the first time (the venv is kept in the target folder).
"""

import argparse
import json
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hosts import FleetError, Host, Network, run  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
ANSIBLE_CORE = "ansible-core==2.18.19"
HOSTS = ["fleet-1", "fleet-2", "fleet-3"]
UNIT_WATCHDOG = "/usr/local/bin/unit-watchdog"

APP_JS = """const http = require('http');
const {APP_NAME, APP_VERSION, APP_CRASH, PORT} = process.env;
if (APP_CRASH) { console.error('crashing on purpose'); process.exit(3); }
http.createServer((req, res) => res.end(`${APP_NAME} ${APP_VERSION}\\n`)).listen(Number(PORT));
"""

APP_PY = """import http.server, os, sys
name, version = os.environ["APP_NAME"], os.environ["APP_VERSION"]
if os.environ.get("APP_CRASH"):
    sys.exit("crashing on purpose")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{name} {version}\\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), Handler).serve_forever()
"""


def extra_vars(**values):
    """`-e` with the values as JSON: `-e key=value` splits a value at its spaces (a
    checkout's path may hold one)."""
    return ["-e", json.dumps(values)]


def apps():
    """The 12 apps: name, port, and where the file places them (None: the default)."""
    placed = {}
    for n in range(1, 13):
        name = f"a{n:02}"
        placed[name] = "fleet-1" if n <= 4 else "fleet-2" if n <= 8 else None
    return placed


def ecosystem(placement, version="v1", crash=False):
    """The fleet's ecosystem file: apps 1-4 on host fleet-1, 5-8 on fleet-2, 9-12 on
    the group `workers` (the file's default)."""
    lines = ["group: fleet", "hardening: strict", "base_dir: /srv/fleet", "hosts: [workers]", "apps:"]
    for index, (name, host) in enumerate(sorted(placement.items()), start=1):
        lines += [f"  - name: {name}", f"    script: {'app.js' if index % 2 else 'app.py'}"]
        if host:
            lines.append(f"    hosts: [{host}]")
        env = {"PORT": 3000 + index, "APP_NAME": name, "APP_VERSION": version}
        if crash:
            env["APP_CRASH"] = "1"
        lines.append("    env: " + json.dumps(env))
    return "\n".join(lines) + "\n"


def expected(placement):
    """Which host runs which app."""
    where = {}
    for name, host in placement.items():
        where[name] = host or "fleet-3"
    return where


class Fleet:
    def __init__(self, work, timeout):
        self.work = work
        self.deadline = time.monotonic() + timeout
        self.hosts = [Host(name, i + 1, work) for i, name in enumerate(HOSTS)]
        self.network = Network()
        self.venv = os.path.join(TARGET, "fleet-venv")

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FleetError("the run took longer than its --timeout")
        return left

    # Set-up.

    def prepare_controller(self):
        ansible = os.path.join(self.venv, "bin", "ansible-playbook")
        version = run([ansible, "--version"], check=False).stdout if os.path.exists(ansible) else ""
        if ANSIBLE_CORE.split("==")[1] not in version:
            run([sys.executable if sys.executable.startswith("/usr/") else "/usr/bin/python3",
                 "-m", "venv", "--clear", self.venv])
            run([os.path.join(self.venv, "bin", "pip"), "install", "-q", ANSIBLE_CORE], timeout=600)
        run(["cargo", "build", "--locked", "--bins"], cwd=REPO, timeout=min(1800, self.left()))
        bins = os.path.join(self.work, "bin")
        os.makedirs(bins)
        for program in ("gen-units", "unit-watchdog"):
            source = os.path.join(TARGET, "debug", program)
            if not os.path.exists(source):
                raise FleetError(f"{source} is missing: run cargo build --bins first")
            shutil.copy(source, bins)
            run(["strip", os.path.join(bins, program)])
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(self.work, "id_ed25519")])
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(self.work, "host_key")])
        shutil.copy(os.path.join(self.work, "id_ed25519.pub"), os.path.join(self.work, "authorized_keys"))
        with open(os.path.join(self.work, "inventory.ini"), "w") as f:
            f.write("[web]\n")
            for host in self.hosts:
                if host.name == "fleet-3":
                    f.write("\n[workers]\n")
                f.write(f"{host.name} ansible_host={host.address}\n")
            f.write(
                "\n[all:vars]\nansible_user=root\nansible_python_interpreter=/usr/bin/python3\n"
                f'ansible_ssh_private_key_file="{self.work}/id_ed25519"\n'
                "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"
            )
        with open(os.path.join(self.work, "ansible.cfg"), "w") as f:
            f.write(
                f"[defaults]\ncollections_path = {REPO}/ansible\nremote_tmp = /tmp/.ansible/tmp\n"
                f"local_tmp = {self.work}/ansible-local\nforks = 3\nhost_key_checking = False\n"
                "stdout_callback = default\n"
                f"[ssh_connection]\npipelining = True\ncontrol_path_dir = {self.work}/cp\n"
            )

    def boot_hosts(self):
        self.network.create()
        for host in self.hosts:
            host.boot()
            self.network.join(host)
            host.start_sshd(os.path.join(self.work, "host_key"), os.path.join(self.work, "authorized_keys"))
            code = host.path("/srv/fleet")
            os.makedirs(code)
            for name, text in (("app.js", APP_JS), ("app.py", APP_PY)):
                with open(os.path.join(code, name), "w") as f:
                    f.write(text)

    # Ansible.

    def playbook(self, name, *extra, check_rc=True):
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(self.work, "ansible.cfg"),
                   ANSIBLE_HOME=os.path.join(self.work, "ansible-home"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0")
        argv = self.network.command([
            os.path.join(self.venv, "bin", "ansible-playbook"), "-i",
            os.path.join(self.work, "inventory.ini"), f"ecosystemd.fleet.{name}", *extra])
        started = time.monotonic()
        proc = run(argv, timeout=min(900, self.left()), check=False, env=env)
        took = time.monotonic() - started
        log = os.path.join(self.work, f"playbook-{len(os.listdir(self.work))}-{name}.log")
        with open(log, "w") as f:
            f.write(proc.stdout + proc.stderr)
        print(f"  ansible-playbook {name} {' '.join(extra)[:80]}: exit {proc.returncode} in {took:.0f}s")
        if check_rc and proc.returncode != 0:
            raise FleetError(f"ansible-playbook {name} failed ({proc.returncode}); see {log}:\n"
                             + proc.stdout[-4000:] + proc.stderr[-2000:])
        return proc, recap(proc.stdout)

    def rollout(self, text, *extra, check_rc=True):
        path = os.path.join(self.work, "fleet.yaml")
        with open(path, "w") as f:
            f.write(text)
        return self.playbook("rollout", *extra_vars(
            ecosystemd_ecosystem=path, ecosystemd_install="binary",
            ecosystemd_binaries=f"{self.work}/bin", ecosystemd_units_dir=f"{REPO}/units",
            ecosystemd_ready_timeout=30, ecosystemd_ready_settle=3), *extra, check_rc=check_rc)

    # What the hosts run.

    def services(self, host):
        """The fleet's services loaded on `host`, with their active state."""
        out = host.sh(["systemctl", "list-units", "--all", "--plain", "--no-legend", "--type=service",
                       "fleet-*"]).stdout
        rows = [line.split() for line in out.splitlines() if line.strip()]
        return {row[0]: row[2] for row in rows if row[1] == "loaded"}

    def answer(self, host, port):
        out = host.sh(["curl", "-sS", "--max-time", "5", f"http://127.0.0.1:{port}/"], check=False)
        return out.stdout.strip()

    def invocations(self, host):
        names = sorted(self.services(host))
        out = host.sh(["systemctl", "show", "-p", "Id,InvocationID", "--", *names]).stdout
        return out

    def check_placement(self, placement, version="v1"):
        where = expected(placement)
        ports = {name: 3000 + i for i, name in enumerate(sorted(placement), start=1)}
        for host in self.hosts:
            mine = sorted(name for name, h in where.items() if h == host.name)
            services = self.services(host)
            want = {f"fleet-{name}.service": "active" for name in mine}
            if services != want:
                raise FleetError(f"{host.name} runs {services}, expected {want}")
            for name in mine:
                reply = self.answer(host, ports[name])
                if reply != f"{name} {version}":
                    raise FleetError(f"{host.name}: {name} on port {ports[name]} answered {reply!r}")
            print(f"  {host.name}: {', '.join(mine)} active and answering ({version})")

    def kill(self):
        for host in self.hosts:
            host.kill()
        self.network.delete()


def recap(stdout):
    """PLAY RECAP counts per host: {host: {"ok": n, "changed": n, ...}}."""
    counts = {}
    for line in stdout.split("PLAY RECAP")[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            counts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return counts


def expect(condition, message):
    if not condition:
        raise FleetError(message)
    print(f"  ok: {message}")


def scenario(fleet):
    placement = apps()
    print("1. first rollout of 12 apps over 3 hosts")
    _, counts = fleet.rollout(ecosystem(placement))
    expect(all(counts[h]["changed"] > 0 for h in HOSTS), f"every host changed: {counts}")
    fleet.check_placement(placement)

    print("2. the same again changes nothing")
    _, counts = fleet.rollout(ecosystem(placement))
    expect(all(counts[h]["changed"] == 0 for h in HOSTS),
           "changed=0 on every host: " + ", ".join(f"{h} changed={counts[h]['changed']}" for h in HOSTS))

    print("3. moving a04 from fleet-1 to fleet-2")
    moved = dict(placement, a04="fleet-2")
    proc, counts = fleet.rollout(ecosystem(moved), "--check", "--diff")
    expect([counts[h]["changed"] for h in HOSTS] == [1, 1, 0],
           f"--check: fleet-1 and fleet-2 would change, fleet-3 not ({counts})")
    expect("remove /etc/systemd/system/fleet-a04.service" in proc.stdout
           and "add    /etc/systemd/system/fleet-a04.service" in proc.stdout,
           "--check --diff names the unit removed from fleet-1 and added to fleet-2")
    fleet.check_placement(placement)
    _, counts = fleet.rollout(ecosystem(moved))
    expect([counts[h]["changed"] for h in HOSTS] == [1, 1, 0], f"fleet-1 and fleet-2 changed ({counts})")
    fleet.check_placement(moved)

    print("4. a version that fails readiness")
    before = {h.name: fleet.invocations(h) for h in fleet.hosts[1:]}
    proc, counts = fleet.rollout(ecosystem(moved, "v2", crash=True), check_rc=False)
    expect(proc.returncode != 0, f"the playbook failed (exit {proc.returncode})")
    expect(counts.get("fleet-1", {}).get("failed") == 1, f"fleet-1 failed ({counts})")
    expect("fleet-2" not in counts and "fleet-3" not in counts, "fleet-2 and fleet-3 were not reached")
    expect("not ready after" in proc.stdout, "the failure says which units were not ready")
    after = {h.name: fleet.invocations(h) for h in fleet.hosts[1:]}
    expect(after == before, "the services of fleet-2 and fleet-3 were not restarted")
    fleet.check_placement(moved)

    print("5. the fleet's report")
    report = os.path.join(fleet.work, "fleet-report.json")
    proc, _ = fleet.playbook("report", *extra_vars(ecosystemd_report_json=report,
                                                   ecosystemd_unit_watchdog=UNIT_WATCHDOG))
    with open(report) as f:
        rows = json.load(f)
    listed = sorted((row["app"], row["host"]) for row in rows)
    want = sorted(expected(moved).items())
    expect(listed == want, f"the report lists the 12 apps with their host ({len(rows)} rows)")
    table = [line for line in proc.stdout.splitlines() if "fleet-a" in line]
    print("\n".join(table[:4]) + "\n  ...")
    for host in fleet.hosts:
        expect(host.sh(["systemctl", "is-active", "unit-watchdog-report.timer"]).stdout.strip() == "active",
               f"{host.name}: the report timer is active")
        host.sh(["systemctl", "start", "unit-watchdog-report.service"], check=False)
        prom = host.path("/var/lib/prometheus/node-exporter/ecosystemd.prom")
        with open(prom) as f:
            text = f.read()
        count = re.search(r"^ecosystemd_units (\d+)", text, re.M)
        mine = sum(1 for h in expected(moved).values() if h == host.name)
        expect(count and int(count.group(1)) == mine, f"{host.name}: ecosystemd.prom counts {mine} units")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=1200, help="seconds for the whole run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("tests/fleet/run.py needs root: it boots private systemd hosts", file=sys.stderr)
        return 1
    for tool in ("unshare", "nsenter", "ip", "ssh", "/usr/sbin/sshd", "node", "curl", "strip"):
        if not shutil.which(tool):
            print(f"tests/fleet/run.py: {tool} is missing (apt-get install openssh-server ...)",
                  file=sys.stderr)
            return 1
    os.makedirs(TARGET, exist_ok=True)
    work = os.path.join(TARGET, f"fleet-test-{os.getpid()}")
    os.makedirs(work)
    fleet = Fleet(work, args.timeout)
    started = time.monotonic()
    try:
        fleet.prepare_controller()
        fleet.boot_hosts()
        scenario(fleet)
    except FleetError as error:
        print(f"tests/fleet/run.py: FAILED: {error}\n(work folder: {work})", file=sys.stderr)
        args.keep = True
        return 1
    finally:
        fleet.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"tests/fleet/run.py: passed in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
