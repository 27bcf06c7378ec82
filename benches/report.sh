#!/usr/bin/env bash
# Benchmark of `unit-watchdog report` against a real, private systemd (see the sandbox
# notes in tests/common/sandbox.rs): for 74 and 500 agents rendered by gen-units and
# installed with `gen-units install --now`, the time of
#   - unit-watchdog report --format json        (one D-Bus pass, reads in flight together;
#                                                 restarts from nowhere, then the journal;
#                                                 on systemd's private socket, as root, then
#                                                 through the bus, as anyone else)
#   - systemctl show UNIT, once per unit         (the per-unit way scripts ask systemd)
#   - systemctl show UNIT..., all in one call    (systemctl's best case)
# measured with hyperfine (Debian package `hyperfine`), inside the sandbox.
# Writes its section of BENCHMARKS.md ("unit-watchdog report") through
# benches/update_section.py. Needs root, unshare, nsenter, hyperfine.
#
# Usage: benches/report.sh [RUNS]     (default 10 runs per command, 2 warm-up runs)
#
# The PM2 comparison (`pm2 jlist` and the usual script around it) is a separate
# benchmark: it plugs in as one more row per fleet size through PM2_COMMAND, a command
# run inside the sandbox with $N set to the fleet size, e.g.
#   PM2_COMMAND='node /path/to/pm2-report.js' benches/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --locked --bin unit-watchdog --bin gen-units >&2
report="$(realpath "$target")/release/unit-watchdog"
command -v hyperfine >/dev/null || { echo "hyperfine is missing (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d "$(realpath "$target")/bench-report.XXXXXX")
unshare_pid=
cleanup() {
  if [ -n "${systemd_pid:-}" ]; then kill -9 "$systemd_pid" 2>/dev/null || true; fi
  if [ -n "$unshare_pid" ]; then wait "$unshare_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Boot: private tmpfs over everything its boot would change on the host.
setsid unshare --pid --fork --kill-child=SIGKILL --mount --mount-proc --propagation private sh -c '
  for d in /tmp /var/tmp /var/log/journal /etc/systemd /etc/ecosystemd; do
    mkdir -p $d && mount -t tmpfs -o mode=0755 tmpfs $d || exit 1
  done
  exec /lib/systemd/systemd --system --unit=multi-user.target --log-target=kmsg' \
  </dev/null >"$work/boot.log" 2>&1 &
unshare_pid=$!
for _ in $(seq 200); do
  systemd_pid=$(cat "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null | awk '{print $1}') || true
  [ -n "$systemd_pid" ] && break
  sleep 0.05
done
[ -n "$systemd_pid" ] || { echo "the sandbox did not boot" >&2; exit 1; }
inside() { nsenter -t "$systemd_pid" -m -p -- "$@"; }
for _ in $(seq 300); do
  state=$(inside systemctl is-system-running 2>/dev/null || true)
  [ "$state" = running ] || [ "$state" = degraded ] && break
  sleep 0.1
done

gen_units="$(realpath "$target")/release/gen-units"
add_units() { # N: the ecosystem "bench" with N agents, rendered, installed and started
  local n=$1
  { echo 'group: bench'; echo 'apps:'
    for i in $(seq "$n"); do
      printf '  - name: agent-%s\n    script: /bin/sleep\n    args: infinity\n' "$i"
      printf '    interpreter: none\n    cwd: /\n    max_memory_restart: 200M\n'
    done; } >"$work/ecosystem.yaml"
  "$gen_units" "$work/ecosystem.yaml" 2>/dev/null >"$work/bundle"
  inside "$gen_units" install --now <"$work/bundle" >/dev/null
}

measure() { # N: one table row per command
  local n=$1 list
  list=$(seq -f 'bench-agent-%g.service' 1 "$n" | tr '\n' ' ')
  printf '%s\n' "for u in $list; do systemctl show \$u >/dev/null; done" >"$work/per-unit.sh"
  printf '%s\n' "systemctl show $list >/dev/null" >"$work/one-call.sh"
  local commands=(
    "$report report --format json --ecosystem bench --restarts-from none"
    "$report report --format json --ecosystem bench --restarts-from journal"
    "env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket $report report --format json --ecosystem bench --restarts-from none"
    "sh $work/per-unit.sh"
    "sh $work/one-call.sh"
  )
  if [ -n "${PM2_COMMAND:-}" ]; then commands+=("env N=$n $PM2_COMMAND"); fi
  inside hyperfine -N -i --warmup 2 --runs "$runs" --export-json "$work/$n.json" \
    "${commands[@]}" >&2
  python3 - "$work/$n.json" "$n" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
n = sys.argv[2]
names = ["unit-watchdog report --format json", "… with restarts in the window from the journal",
         "… through the bus (as a user other than root)", "systemctl show, once per unit",
         "systemctl show, all units in one call", "PM2 (PM2_COMMAND)"]
base = results[0]["median"]
with open(sys.argv[1] + ".ratio", "w") as out:
    out.write(f"{results[0]['median'] * 1000:.1f} {results[3]['median'] / base:.1f}\n")
for name, r in zip(names, results):
    ms = lambda s: f"{s * 1000:.1f}"
    ratio = "1.0x" if r is results[0] else f"{r['median'] / base:.1f}x slower"
    print(f"| {n} | {name} | {ms(r['median'])} | {ms(r['min'])} | {ms(r['max'])} | {len(r['times'])} | {ratio} |")
PY
}

cpu_split() { # N WAY: CPU time per report run, of the report, systemd and dbus-daemon
  local dbus_pid p bus_address=
  [ "$2" = bus ] && bus_address=unix:path=/run/dbus/system_bus_socket
  for p in $(pgrep -x dbus-daemon); do
    [ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/$systemd_pid/ns/pid")" ] && dbus_pid=$p
  done
  python3 - "$1" "$systemd_pid" "$dbus_pid" "$report" "$runs" "$2" "$bus_address" <<'PY'
import os, resource, subprocess, sys
n, systemd, dbus, report, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
way, bus_address = sys.argv[6], sys.argv[7]
env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_address) if bus_address else None
hz = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / hz
before = cpu(systemd), cpu(dbus), resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    subprocess.run(["nsenter", "-t", str(systemd), "-m", "-p", "--", report, "report",
                    "--format", "json", "--ecosystem", "bench", "--restarts-from", "none"],
                   stdout=subprocess.DEVNULL, check=False, env=env)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
own = (after.ru_utime - before[2].ru_utime + after.ru_stime - before[2].ru_stime) / runs
ms = lambda s: f"{s * 1000:.0f}"
print(f"| {n} | {way} | {ms(own)} | {ms((cpu(systemd) - before[0]) / runs)} | {ms((cpu(dbus) - before[1]) / runs)} |")
PY
}

section() {
  local load_start=$1
  echo "\`benches/report.sh $runs\` boots a private systemd (as the tests do), renders an ecosystem of"
  echo "74 and then 500 agents with \`gen-units\` (each \`/bin/sleep infinity\` under the default"
  echo "hardening, with \`max_memory_restart: 200M\`), installs and starts them with"
  echo "\`gen-units install --now\`, and times with hyperfine, inside the sandbox,"
  echo "\`unit-watchdog report --format json\` (restarts within the window left out, then read from"
  echo "the journal, as cron runs it without \`unit-watchdog run\`; as root, so on systemd's private"
  echo "socket, then through the bus, as any other user) beside \`systemctl show UNIT\` once"
  echo "per unit (what per-unit scripts do) and \`systemctl show\` of all units in one call"
  echo "(systemctl's best case: one process on systemd's private socket, no dbus-daemon). Then it"
  echo "measures the CPU time one report costs the report, systemd and dbus-daemon, which does"
  echo "not depend on the load."
  echo
  echo "Run of $(date -u +%F): $(nproc) CPUs, systemd $(inside systemctl --version | head -1 | cut -d' ' -f2),"
  echo "release build; load average $load_start at the start and $(cut -d' ' -f1-3 /proc/loadavg) at"
  echo "the end (a shared machine: wall-clock times include waiting for a CPU; ratios and CPU times"
  echo "are the steadier figures)."
  echo
  echo "| units | command | median ms | min ms | max ms | runs | vs report |"
  echo "|---|---|---|---|---|---|---|"
  cat "$work/rows"
  echo
  echo "CPU time per report run (mean of $runs):"
  echo
  echo "| units | way | report ms | systemd ms | dbus-daemon ms |"
  echo "|---|---|---|---|---|"
  cat "$work/cpu"
  echo
  read -r median500 _ <"$work/500.json.ratio"
  read -r _ ratio74 <"$work/74.json.ratio"
  goal() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo met; else echo "not met"; fi; }
  echo "Goals: 500 units in under 100 ms: **$(goal "$median500 < 100")** (median $median500 ms);"
  echo "at least 10x faster than \`systemctl show\` per unit at 74 units: **$(goal "$ratio74 >= 10")**"
  echo "(${ratio74}x)."
  echo
  echo "How: for a running service the report asks systemd over D-Bus only what systemd alone"
  echo "knows (\`NRestarts\`: one small \`Get\`, all units' in flight together; its \`Result\` is"
  echo "\`success\` while it runs), and reads memory, CPU, tasks and limits from the unit's cgroup"
  echo "files, where systemd reads them too. On systemd's private socket (root) the manager's"
  echo "process is known from the socket, and one walk of its slices finds every service's"
  echo "cgroup: a running service whose cgroup holds one process, a child of the manager, has"
  echo "that process as its main process (systemd's own rule for guessing it), so \`MainPID\` is"
  echo "asked only of the others (and of forking services) and no \`/proc/PID/cgroup\` is read."
  echo "The kernel's files (some 40 µs of system time per unit here) are read on two threads of"
  echo "their own, opened relative to each slice's folders, kept open; each unit is handed to"
  echo "them as soon as its unit file shows it managed, so they read while the unit files are"
  echo "read and while the D-Bus calls are in flight. Each kernel file is read with one \`read\`,"
  echo "unit files are found on the manager's \`UnitPath\` (its folders listed while systemd"
  echo "lists the units), not with a call per unit, each read with one \`read\`, and only their"
  echo "\`[X-Ecosystemd]\` section is parsed."
  echo "A service that is not running gets one \`GetAll\` of its \`Service\`"
  echo "properties. Measured while building it, on these 500 hardened units: one \`GetAll\` per"
  echo "unit (the earlier design) took 238 ms, systemd spending about 0.4 ms of CPU on each unit's"
  echo "250 or so properties (the sandboxing lists, cgroup reads); each round of single \`Get\`s"
  echo "costs about 20 ms for 500 units, most of it dbus-daemon relaying the messages (a third"
  echo "\`Get\`, of \`Result\`, took 3.5 ms at 74 units and 20 ms at 500). The journal is read on"
  echo "a thread of its own, in the process, through \`libsystemd.so.0\` (a \`journalctl\` process"
  echo "cost about 3.5 ms however little it found, nearly all of it its start). As root the report"
  echo "talks to systemd on its private socket, as \`systemctl\` does, which spares dbus-daemon's"
  echo "share (see the CPU table); zbus wants a unique name as a message's sender, so the"
  echo "connection turns systemd's \`org.freedesktop.systemd1\` into one of the same length"
  echo "(\`src/systemd/private_socket.rs\`). The output has no size limit: it is built in"
  echo "memory and written whole, where \`execFileSync('pm2', ['jlist'])\` scripts break past"
  echo "Node's 1 MiB \`maxBuffer\`."
  echo
  echo "The PM2 comparison (\`pm2 jlist\` and the script around it) belongs to the PM2 benchmark; it"
  echo "joins this table as one more row per fleet size with"
  echo "\`PM2_COMMAND='node pm2-report.js' benches/report.sh\` (run inside the sandbox with \$N set)."
  echo
  cat benches/report-changes.md
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
add_units 74
measure 74 >"$work/rows"
{ cpu_split 74 "private socket"; cpu_split 74 bus; } >"$work/cpu"
add_units 500
measure 500 >>"$work/rows"
{ cpu_split 500 "private socket"; cpu_split 500 bus; } >>"$work/cpu"
section "$load_start" | tee /dev/stderr | python3 benches/update_section.py "unit-watchdog report"
