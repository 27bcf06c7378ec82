#!/usr/bin/env bash
# Benchmark of `unit-watchdog run` (release build) watching 74 agents in a private
# systemd (see the sandbox notes in tests/common/sandbox.rs): its RSS and PSS
# (/proc/PID/smaps_rollup) and idle CPU over a period (/proc/PID/stat), and the time
# from a unit's failure to the watchdog's start of it, from systemd's own timestamps
# (its journal lines "Failed with result" and "Started"), with CooldownSec=0: the
# reaction time, without the configurable cool-down.
#
# Usage (as root): benches/watchdog.sh [RUNS [IDLE_SECONDS]]   (defaults: 5 and 60)
# Writes the table into BENCHMARKS.md, section "unit-watchdog run".
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-5}
IDLE=${2:-60}
AGENTS=74
FAILURES_PER_RUN=3
[ "$(id -u)" = 0 ] || { echo "needs root (it boots a private systemd)" >&2; exit 2; }

target=${CARGO_TARGET_DIR:-target}
cargo build --release --locked --bin unit-watchdog >&2
binary=$(realpath "$target/release/unit-watchdog")
work=$(mktemp -d "$(realpath "$target")/bench-watchdog.XXXXXX")
sandbox_pid=""
unshare_pid=""

cleanup() {
  [ -n "$sandbox_pid" ] && kill -9 "$sandbox_pid" 2>/dev/null || true
  [ -n "$unshare_pid" ] && wait "$unshare_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# boot, inside, shutdown_sandbox: a private systemd, as the tests boot it.
. benches/sandbox.sh

install_agents() {
  local dir=/proc/$sandbox_pid/root/run/systemd/system
  for i in $(seq -w 1 $AGENTS); do
    cat >"$dir/agent$i.service" <<EOF
[Unit]
Description=benchmark agent $i
[Service]
ExecStart=/bin/sleep infinity
[X-Ecosystemd]
Ecosystem=bench
App=agent$i
WatchdogRestart=auto
CooldownSec=0
MaxRestartsPerWindow=100
EOF
  done
  inside systemctl daemon-reload
  inside systemctl start $(for i in $(seq -w 1 $AGENTS); do echo "agent$i.service"; done)
}

# The watchdog's PID outside: nsenter forks it into the sandbox's PID namespace.
watchdog_pid() { awk '{print $1}' "/proc/$1/task/$1/children"; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rollup_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }

prop() { inside systemctl show -P "$2" "$1"; }

results="$work/results"
: >"$results"
clk=$(getconf CLK_TCK)

for run in $(seq "$RUNS"); do
  boot
  install_agents
  nsenter -t "$sandbox_pid" -m -p -- env -u JOURNAL_STREAM -u INVOCATION_ID UNIT_WATCHDOG_LOG=info \
    "$binary" run --state-file /run/unit-watchdog-bench/state.json \
    </dev/null >/dev/null 2>"$work/watchdog-$run.log" &
  nsenter_pid=$!
  for _ in $(seq 200); do
    grep -q "synchronised with systemd" "$work/watchdog-$run.log" 2>/dev/null && break
    sleep 0.05
  done
  pid=$(watchdog_pid "$nsenter_pid")
  [ "$(readlink "/proc/$pid/exe")" = "$binary" ] || { echo "PID $pid is $(readlink "/proc/$pid/exe"), not the watchdog" >&2; exit 1; }
  watched=$(grep -c ' watching unit=' "$work/watchdog-$run.log" || true)

  # Idle: every agent running, nothing happening but the watchdog's memory polls.
  sleep 2
  before=$(ticks "$pid")
  sleep "$IDLE"
  after=$(ticks "$pid")
  cpu=$(awk -v d=$((after - before)) -v s="$IDLE" -v c="$clk" 'BEGIN {printf "%.3f", 100 * d / c / s}')
  rss=$(rollup_kib "$pid" Rss)
  pss=$(rollup_kib "$pid" Pss)
  echo "run=$run watched=$watched rss_kib=$rss pss_kib=$pss cpu_pct=$cpu" >&2
  echo "rss $rss" >>"$results"
  echo "pss $pss" >>"$results"
  echo "cpu $cpu" >>"$results"
  echo "load $(cut -d' ' -f1 /proc/loadavg)" >>"$results"

  # Failure -> start: kill an agent for good (no Restart=), wait until systemd logs it
  # started again. The failure and the start are systemd's own journal lines; the call
  # is the watchdog's `decision=restart` line, logged just before it calls systemd.
  for n in $(seq "$FAILURES_PER_RUN"); do
    unit=$(printf "agent%02d.service" $(( (run * 7 + n * 13) % AGENTS + 1 )))
    inside systemctl kill --signal=SIGKILL "$unit"
    failed_at=""; started_at=""
    for _ in $(seq 200); do
      journal=$(inside journalctl -u "$unit" -o short-unix --no-pager)
      failed_at=$(awk '/Failed with result/ {t = $1} END {print t}' <<<"$journal")
      started_at=$(awk -v f="${failed_at:-0}" 'f > 0 && $1 > f && /Started / {print $1; exit}' <<<"$journal")
      [ -n "$started_at" ] && break
      sleep 0.05
    done
    [ -n "$started_at" ] || { echo "$unit was not started again" >&2; exit 1; }
    call=$(grep "unit=$unit decision=restart " "$work/watchdog-$run.log" | tail -1 | awk '{print $1}')
    call_at=$(date -d "$call" +%s.%6N)
    to_call=$(awk -v a="$failed_at" -v b="$call_at" 'BEGIN {printf "%.1f", (b - a) * 1000}')
    to_start=$(awk -v a="$failed_at" -v b="$started_at" 'BEGIN {printf "%.1f", (b - a) * 1000}')
    echo "run=$run $unit failure->call ${to_call} ms, failure->started ${to_start} ms" >&2
    echo "call $to_call" >>"$results"
    echo "started $to_start" >>"$results"
    sleep 1
  done

  kill -TERM "$pid" 2>/dev/null || true
  wait "$nsenter_pid" 2>/dev/null || true
  shutdown_sandbox
done

stats() {
  grep "^$1 " "$results" | awk '{print $2}' | sort -n | awk '
    { v[NR] = $1 }
    END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%s | %s | %s | %d", m, v[1], v[NR], NR
    }'
}

rss=$(stats rss); pss=$(stats pss)
section=$(cat <<EOF
## unit-watchdog run

\`benches/watchdog.sh $RUNS $IDLE\` on $(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -r),
systemd $(systemctl --version | awk 'NR == 1 {print $2}'), release build. Each run boots a
private systemd, starts $AGENTS agents (\`sleep infinity\`, each with an
\`[X-Ecosystemd]\` section), runs \`unit-watchdog run\` with its defaults (memory read
every 15 s), measures it idle over $IDLE s, then kills $FAILURES_PER_RUN agents one at
a time (\`CooldownSec=0\`: the reaction time; a policy's cool-down adds to it). The
failure and the start are systemd's journal lines for the unit ("Failed with result",
"Started"); the call is the watchdog's \`decision=restart\` log line, written just before
it calls \`ResetFailedUnit\` and \`StartUnit\`. The machine is shared: its 1-minute load
average during the runs was (median | min | max | samples) $(stats load); latencies
include waiting for a CPU.

| measure | median | min | max | samples | goal |
|---|---|---|---|---|---|
| RSS (MiB) | $(echo "$rss" | awk -F' \\| ' '{printf "%.2f | %.2f | %.2f | %s", $1/1024, $2/1024, $3/1024, $4}') | <= 10 |
| PSS (MiB) | $(echo "$pss" | awk -F' \\| ' '{printf "%.2f | %.2f | %.2f | %s", $1/1024, $2/1024, $3/1024, $4}') | |
| idle CPU (% of a core over $IDLE s) | $(stats cpu) | ~0 |
| failure -> restart call (ms) | $(stats call) | well under 1000 |
| failure -> started again (ms) | $(stats started) | |

For comparison (from the issue): PM2's daemon sits at about 60 MiB and 2 % of a core for
the same fleet, and the usual PM2 watchdog script polls every 60 s.
EOF
)

printf '%s\n' "$section" | sed '1{/^## unit-watchdog run$/d}' | python3 benches/update_section.py "unit-watchdog run"
echo "$section"
