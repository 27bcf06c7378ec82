#!/usr/bin/env python3
"""`gen-units FILE | gen-units install --now`, many times, each into a freshly booted
private systemd: how many hang, how many fail, how long each took.

    sudo python3 benches/install_repeat.py            # 100 runs of the 74-agent example
    sudo python3 benches/install_repeat.py --runs 5   # a quick check, prints only

A run hangs when the install has not ended after --limit seconds (it is then killed, and
the sandbox's journal says whether systemd saw the reload). A full run (--runs 100 or
more) rewrites the "Install, repeated" section of BENCHMARKS.md.
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
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


def one_run(gen_units, bundle, limit, log_dir, index):
    """Boots a sandbox, installs the bundle into it, returns (outcome, seconds, detail)."""
    sandbox = Sandbox(os.path.join(log_dir, f"sandbox-{index}.log"))
    try:
        sandbox.boot()
        started = time.monotonic()
        try:
            proc = subprocess.run(
                sandbox.command([gen_units, "install", "--now"]), input=bundle,
                capture_output=True, timeout=limit,
            )
        except subprocess.TimeoutExpired:
            journal = sandbox.run(["journalctl", "-b", "--no-pager", "-o", "cat"],
                                  check=False).stdout
            reloaded = "Reloading" in journal
            return "hang", limit, f"systemd saw the reload: {reloaded}"
        took = time.monotonic() - started
        if proc.returncode != 0:
            return "failed", took, proc.stderr.decode(errors="replace").strip()[-500:]
        return "ok", took, ""
    finally:
        sandbox.kill()


def section(results, runs, example):
    took = sorted(t for outcome, t, _ in results if outcome == "ok")
    counts = {k: sum(1 for o, _, _ in results if o == k) for k in ("ok", "failed", "hang")}
    load = os.getloadavg()[0]
    lines = [
        f"`python3 benches/install_repeat.py --runs {runs}`: `gen-units {example} | gen-units "
        "install --now`, each run into a freshly booted private systemd 252 (load average "
        f"{load:.1f} at the end).",
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--limit", type=float, default=180.0, help="seconds before a hang")
    parser.add_argument("--ecosystem", default="examples/agents/ecosystem.yaml")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("install_repeat: needs root (it boots private systemd instances)")
    os.chdir(ROOT)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--locked", "--release", "--bin", "gen-units"],
                       check=True)
    gen_units = str(ROOT / "target/release/gen-units")
    bundle = render(gen_units, args.ecosystem)
    results = []
    with tempfile.TemporaryDirectory(prefix="ecosystemd-install-repeat-") as log_dir:
        for index in range(args.runs):
            outcome, took, detail = one_run(gen_units, bundle, args.limit, log_dir, index)
            results.append((outcome, took, detail))
            print(f"run {index + 1}/{args.runs}: {outcome} in {took:.2f} s {detail}",
                  flush=True)
    text = section(results, args.runs, args.ecosystem)
    print(text)
    if args.runs >= 100:
        subprocess.run([sys.executable, str(HERE / "update_section.py"), "Install, repeated"],
                       input=text, text=True, check=True)
    sys.exit(0 if all(o == "ok" for o, _, _ in results) else 1)


if __name__ == "__main__":
    main()
