#!/usr/bin/env python3
"""`gen-units FILE | gen-units install --now`, many times, each into a freshly booted
private systemd: how many hang, how many fail, how long each took.

    sudo python3 benches/install_repeat.py            # 100 runs of the 74-agent example
    sudo python3 benches/install_repeat.py --runs 5   # a quick check, prints only

A run hangs when the install has not ended after --limit seconds (it is then killed, and
what systemd shows says how far it got: the group's units loaded means a reload happened,
its target active means the start did; the install's syscall and its sockets' unread
bytes are printed too). The sandbox's journal is no witness: PID 1 logs to the kernel's
ring buffer, which every sandbox shares, so each journal holds the other sandboxes'
"Reloading." lines and may lack its own. A full run (--runs 100 or more) rewrites the
"Install, repeated" section of BENCHMARKS.md.

Each sandbox has a network of its own (loopback only): the agents' ports 3001-3074 are
its own, whatever listens on the host.

`--share-state` repeats the conditions of the hangs seen once (3 of 9 runs): the sandbox
shares the host's /var/lib and /etc/ecosystemd (it then writes the group's generations,
environment files and preload into the host's /etc/ecosystemd, and systemd's state into
its /var/lib). Those hung when the shared preload differed from the bundle's, so that
install restarted every agent (RELIABILITY.md): before each run after the first, the
shared preload gets one more line, as an install from another checkout would leave it.
A /etc/ecosystemd that did not exist before is emptied at the end (the folder stays: another
sandbox's private mount on it would be detached by its removal); what systemd wrote
under /var/lib is left. A full run writes its own section, "Install, repeated, sharing
the host's state".
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import shutil
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "pm2"))

import sandbox as sandbox_module  # noqa: E402
from sandbox import Sandbox  # noqa: E402

# As the project's test harness: systemd's and install's state under /var/lib stays
# private too, so that no run sees another's.
sandbox_module.PRIVATE_MOUNTS = ["/var/lib", *sandbox_module.PRIVATE_MOUNTS]


def render(gen_units, ecosystem):
    """The bundle of `ecosystem`, rendered once."""
    done = subprocess.run([gen_units, str(ecosystem)], capture_output=True, check=True)
    return done.stdout


def stuck_state(nsenter_pid):
    """What the install (nsenter's child) was doing: its syscall, and the unread bytes of
    its unix sockets."""
    try:
        with open(f"/proc/{nsenter_pid}/task/{nsenter_pid}/children") as f:
            pid = f.read().split()[0]
        with open(f"/proc/{pid}/syscall") as f:
            syscall = f.read().split()[0]
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except (OSError, IndexError):
        return "the install's process was gone"
    sockets = subprocess.run(["ss", "-xpn"], capture_output=True, text=True).stdout
    mine = [" ".join(line.split()[:4]) for line in sockets.splitlines() if f"pid={pid}," in line]
    return f"syscall {syscall} (232: epoll_wait), {threads} thread(s), sockets {mine}"


def how_far(sandbox):
    """How far systemd got: the group's units it has loaded, and its target's state."""
    units = sandbox.run(["systemctl", "list-units", "--all", "--no-legend", "agents-*"],
                        check=False).stdout
    target = sandbox.run(["systemctl", "is-active", "agents.target"], check=False).stdout
    return f"units of the group loaded: {len(units.splitlines())}, target {target.strip()}"


def one_run(gen_units, bundle, limit, log_dir, index):
    """Boots a sandbox, installs the bundle into it, returns (outcome, seconds, detail)."""
    sandbox = Sandbox(os.path.join(log_dir, f"sandbox-{index}.log"), private_network=True)
    try:
        sandbox.boot()
        started = time.monotonic()
        proc = subprocess.Popen(sandbox.command([gen_units, "install", "--now"]),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            _, stderr = proc.communicate(bundle, timeout=limit)
        except subprocess.TimeoutExpired:
            stuck = stuck_state(proc.pid)
            # nsenter's child, the install, holds the pipes: it goes first.
            sandbox.run(["pkill", "-KILL", "-x", "gen-units"], check=False)
            proc.kill()
            proc.communicate()
            return "hang", limit, f"{how_far(sandbox)}; {stuck}"
        took = time.monotonic() - started
        if proc.returncode != 0:
            return "failed", took, stderr.decode(errors="replace").strip()[-500:]
        return "ok", took, ""
    finally:
        sandbox.kill()


SHARED_LIB = pathlib.Path("/etc/ecosystemd/lib")


def change_shared_preload(index):
    """Gives the host's preload (GROUP.preload.cjs) one more line, so that install
    restarts every agent; returns whether there was one."""
    preloads = sorted(SHARED_LIB.glob("*.preload.cjs"))
    for preload in preloads:
        with open(preload, "a") as f:
            f.write(f"// changed before run {index + 1}\n")
    return bool(preloads)


def section(results, runs, example, share_state):
    took = sorted(t for outcome, t, _ in results if outcome == "ok")
    counts = {k: sum(1 for o, _, _ in results if o == k) for k in ("ok", "failed", "hang")}
    load = os.getloadavg()
    flag = " --share-state" if share_state else ""
    where = (
        "sharing the host's /var/lib and /etc/ecosystemd, whose preload changed before "
        "each run after the first (the condition under which install restarts every agent "
        "that loads it, RELIABILITY.md)"
        if share_state
        else "with /var/lib and /etc/ecosystemd private"
    )
    lines = [
        f"`python3 benches/install_repeat.py --runs {runs}{flag}` on "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}: `gen-units {example} | gen-units "
        "install --now`, each run into a freshly booted private systemd 252 with a network "
        f"of its own, {where}; {os.cpu_count()} CPUs shared with other work (load average "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} at the end).",
        "",
        "| runs | installed | failed | hung | median | max |",
        "|---|---|---|---|---|---|",
        f"| {runs} | {counts['ok']} | {counts['failed']} | {counts['hang']} | "
        f"{statistics.median(took) if took else 0:.2f} s | {max(took) if took else 0:.2f} s |",
    ]
    for outcome, _, detail in results:
        if outcome != "ok":
            lines.append(f"\n- {outcome}: {detail}")
    return "\n".join(lines)


def empty_shared_state():
    """Removes what the runs wrote into the host's /etc/ecosystemd, but not the folder:
    other sandboxes on the machine (a test run) may have a private mount on it, and Linux
    detaches a mount in every namespace when its mount point is removed, after which their
    installs would write into the host's folder."""
    for entry in pathlib.Path("/etc/ecosystemd").iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--limit", type=float, default=180.0, help="seconds before a hang")
    parser.add_argument("--ecosystem", default="examples/agents/ecosystem.yaml")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--share-state", action="store_true",
                        help="share the host's /var/lib and /etc/ecosystemd (the old hangs)")
    args = parser.parse_args()
    if args.share_state:
        sandbox_module.PRIVATE_MOUNTS = [
            m for m in sandbox_module.PRIVATE_MOUNTS if m not in ("/var/lib", "/etc/ecosystemd")
        ]
    if os.geteuid() != 0:
        sys.exit("install_repeat: needs root (it boots private systemd instances)")
    os.chdir(ROOT)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--locked", "--release", "--bin", "gen-units"],
                       check=True)
    gen_units = str(ROOT / "target/release/gen-units")
    bundle = render(gen_units, args.ecosystem)
    results = []
    state_existed = pathlib.Path("/etc/ecosystemd").exists()
    try:
        with tempfile.TemporaryDirectory(prefix="ecosystemd-install-repeat-") as log_dir:
            for index in range(args.runs):
                if args.share_state and not change_shared_preload(index) and index > 0:
                    sys.exit("install_repeat: no preload in /etc/ecosystemd/lib to change")
                outcome, took, detail = one_run(gen_units, bundle, args.limit, log_dir, index)
                results.append((outcome, took, detail))
                print(f"run {index + 1}/{args.runs}: {outcome} in {took:.2f} s {detail}",
                      flush=True)
    finally:
        if args.share_state and not state_existed:
            empty_shared_state()
    text = section(results, args.runs, args.ecosystem, args.share_state)
    print(text)
    if args.runs >= 100:
        title = "Install, repeated" + (", sharing the host's state" if args.share_state else "")
        subprocess.run([sys.executable, str(HERE / "update_section.py"), title],
                       input=text, text=True, check=True)
    sys.exit(0 if all(o == "ok" for o, _, _ in results) else 1)


if __name__ == "__main__":
    main()
