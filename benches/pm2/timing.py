#!/usr/bin/env python3
"""Times a command the one way every report command in the PM2 benchmark is timed:
wall-clock seconds of each of REPS runs, started with subprocess.run, after one run
left out (the warm-up: caches filled, as for a command run every minute), stopping at the
first run whose exit code is not allowed.

run.py runs it on the host for `pm2 jlist` and inside the systemd sandbox (through one
`nsenter`) for `unit-watchdog report`, so each command is timed where it runs, nsenter's
own cost outside the timed runs.

    python3 timing.py REPS OK_CODES -- ARGV...     # OK_CODES: e.g. 0 or 0,1

Prints JSON: {"times": [seconds, ...], "returncode": N, "stdout": "...", "stderr": "..."},
with the last run's exit code and output.
"""

import json
import subprocess
import sys
import time


def time_runs(argv, reps, ok_codes=(0,)):
    """The runs' wall-clock times, and the last run's exit code and output."""
    times, proc = [], None
    for warmup in [True] + [False] * reps:
        t0 = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - t0
        if proc.returncode not in ok_codes:
            break
        if not warmup:
            times.append(elapsed)
    return {"times": times,
            "returncode": proc.returncode if proc else None,
            "stdout": proc.stdout.decode(errors="replace") if proc else "",
            "stderr": proc.stderr.decode(errors="replace") if proc else ""}


def main(args):
    if len(args) < 4 or args[2] != "--":
        sys.exit(__doc__)
    reps = int(args[0])
    ok_codes = tuple(int(code) for code in args[1].split(","))
    json.dump(time_runs(args[3:], reps, ok_codes), sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
