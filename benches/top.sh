#!/usr/bin/env bash
# Benchmark of `unit-watchdog top` and of health checks (release build), in a private
# systemd (see tests/common/sandbox.rs):
#  - top, running in a tmux terminal of 200x60 and refreshing every second, watching 74
#    and then 500 units (`sleep infinity`, MemoryMax=64M, each with an [X-Ecosystemd]
#    section): its CPU over a period (/proc/PID/stat) and its RSS (smaps_rollup);
#  - the health checks' cost: `unit-watchdog run` watching 74 units whose health checks
#    (HTTP GET, every 10 s, then every 1 s) go to one small HTTP server on 74 ports: its
#    CPU over the period, against the same watchdog with no checks.
#
# Usage (as root): benches/top.sh [SECONDS [HEALTH_SECONDS]]   (defaults: 30 per
# measurement of top, 120 per measurement of the watchdog: a clock tick, 10 ms, is
# 0.008 % of a core over 120 s)
# Writes its section of BENCHMARKS.md ("unit-watchdog top and health checks"), with the
# comparisons of earlier runs kept in benches/top-changes.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PERIOD=${1:-30}
HEALTH_PERIOD=${2:-120}
HEALTH_UNITS=74
BASE_PORT=47100
[ "$(id -u)" = 0 ] || { echo "needs root (it boots a private systemd)" >&2; exit 2; }
command -v tmux >/dev/null || { echo "needs tmux" >&2; exit 2; }

target=${CARGO_TARGET_DIR:-target}
cargo build --release --locked --bin unit-watchdog >&2
binary=$(realpath "$target/release/unit-watchdog")
work=$(mktemp -d "$(realpath "$target")/bench-top.XXXXXX")
socket="bench-top-$$"
sandbox_pid=""
unshare_pid=""

cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null || true
  [ -n "$sandbox_pid" ] && kill -9 "$sandbox_pid" 2>/dev/null || true
  [ -n "$unshare_pid" ] && wait "$unshare_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# boot, inside, shutdown_sandbox: a private systemd, as the tests boot it.
. benches/sandbox.sh

# add_units FROM TO [EXTRA_POLICY_FN]: units unitFROM..unitTO, started.
add_units() {
  local dir=/proc/$sandbox_pid/root/run/systemd/system names=()
  for i in $(seq "$1" "$2"); do
    {
      printf '[Unit]\nDescription=benchmark unit %s\n[Service]\nExecStart=/bin/sleep infinity\nMemoryMax=64M\n' "$i"
      printf '[X-Ecosystemd]\nEcosystem=bench\nApp=unit%s\n' "$i"
      [ -n "${3:-}" ] && "$3" "$i"
    } >"$dir/unit$i.service"
    names+=("unit$i.service")
  done
  inside systemctl daemon-reload
  inside systemctl start "${names[@]}"
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '$1 == "Rss:" {print $2}' "/proc/$1/smaps_rollup"; }
clk=$(getconf CLK_TCK)
cpu_over() { # PID SECONDS -> percent of one core
  local before after
  before=$(ticks "$1"); sleep "$2"; after=$(ticks "$1")
  awk -v d=$((after - before)) -v s="$2" -v c="$clk" 'BEGIN {printf "%.2f", 100 * d / c / s}'
}
child_of() { awk '{print $1}' "/proc/$1/task/$1/children"; }
load() { cut -d' ' -f1 /proc/loadavg; }

# --- top at 74 and 500 units
rows=""
boot
for count in 74 500; do
  from=$(( count == 74 ? 1 : 75 ))
  add_units "$from" "$count"
  tmux -L "$socket" -f /dev/null new-session -d -s top -x 200 -y 60 \
    "nsenter -t $sandbox_pid -m -p -- env TERM=xterm-256color $binary top --state-file /run/none.json"
  sleep 5
  nsenter_pid=$(tmux -L "$socket" display-message -p -t top '#{pane_pid}')
  pid=$(child_of "$nsenter_pid")
  [ "$(readlink "/proc/$pid/exe")" = "$binary" ] || { echo "PID $pid is not top" >&2; exit 1; }
  shown=$(tmux -L "$socket" capture-pane -p -t top | head -1)
  load_before=$(load)
  cpu=$(cpu_over "$pid" "$PERIOD")
  rss=$(rss_kib "$pid")
  echo "top, $count units: cpu ${cpu}% rss ${rss} KiB ($shown)" >&2
  rows+="| \`top\`, $count units, refresh 1 s | $cpu | $(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}') | $load_before |"$'\n'
  tmux -L "$socket" send-keys -t top q
  sleep 1
  tmux -L "$socket" kill-server 2>/dev/null || true
done
shutdown_sandbox

# --- the health checks' cost: the watchdog over 74 units, no checks / every 10 s / 1 s
cat >"$work/server.py" <<EOF
import asyncio
async def answer(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    await writer.drain()
    writer.close()
async def main():
    for port in range($BASE_PORT, $BASE_PORT + $HEALTH_UNITS):
        await asyncio.start_server(answer, "127.0.0.1", port)
    await asyncio.Event().wait()
asyncio.run(main())
EOF
for interval in none 10000 1000; do
  boot
  printf '[Service]\nExecStart=/usr/bin/python3 %s\n' "$work/server.py" \
    >"/proc/$sandbox_pid/root/run/systemd/system/health-server.service"
  inside systemctl daemon-reload
  inside systemctl start health-server.service
  check() {
    [ "$interval" = none ] && return
    printf 'HealthUrl="http://127.0.0.1:%d/health"\nHealthIntervalMSec=%d\nHealthTimeoutMSec=2000\nHealthRetries=3\n' \
      $((BASE_PORT + 10#$1 - 1)) "$interval"
  }
  add_units 1 "$HEALTH_UNITS" check
  nsenter -t "$sandbox_pid" -m -p -- env -u JOURNAL_STREAM -u INVOCATION_ID UNIT_WATCHDOG_LOG=info \
    "$binary" run --state-file /run/unit-watchdog-bench/state.json </dev/null >/dev/null 2>"$work/watchdog.log" &
  nsenter_pid=$!
  sleep 5
  pid=$(child_of "$nsenter_pid")
  load_before=$(load)
  cpu=$(cpu_over "$pid" "$HEALTH_PERIOD")
  # Any failing check would end in a decision (health-restart or unhealthy) in the log.
  failed=$(grep -cE 'decision=(health-restart|unhealthy) ' "$work/watchdog.log" || true)
  rss=$(rss_kib "$pid")
  echo "watchdog, checks $interval: cpu ${cpu}% rss ${rss} KiB, $failed health decisions" >&2
  what=$([ "$interval" = none ] && echo "no health checks" || echo "74 HTTP checks every $((interval / 1000)) s ($(( HEALTH_UNITS * HEALTH_PERIOD * 1000 / interval )) probes)")
  rows+="| \`run\`, 74 units, $what; $failed unhealthy | $cpu | $(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}') | $load_before |"$'\n'
  kill -TERM "$pid" 2>/dev/null || true
  wait "$nsenter_pid" 2>/dev/null || true
  shutdown_sandbox
done

section=$(cat <<EOF
## unit-watchdog top and health checks

\`benches/top.sh $PERIOD $HEALTH_PERIOD\` on $(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -r), systemd
$(systemctl --version | awk 'NR == 1 {print $2}'), release build; \`top\` measured over $PERIOD s, the
watchdog over $HEALTH_PERIOD s.
\`top\` runs in a tmux terminal of 200x60, refreshing every second from the report's
snapshot, over \`sleep infinity\` units with \`MemoryMax=\` (74, then 500). The health
checks' cost is \`unit-watchdog run\`'s CPU over 74 units whose checks (HTTP GET) go to
one small HTTP server on 74 ports. CPU is the process's own time (utime + stime from
/proc), so waiting for a CPU on a busy machine is not counted; the machine is shared
(others build and test on its two cores), and the load average at the start of each
measurement is given.

| measured | CPU (% of one core) | RSS (MiB) | load average |
|---|---|---|---|
$rows
The health checks' cost is each \`run\` row with checks less the row without; one clock
tick (10 ms) is $(awk -v s="$HEALTH_PERIOD" 'BEGIN {printf "%.3f", 1 / s}') % of a core over $HEALTH_PERIOD s.

$(cat benches/top-changes.md)
EOF
)
printf '%s\n' "$section" | sed '1{/^## unit-watchdog top and health checks$/d}' |
  python3 benches/update_section.py "unit-watchdog top and health checks"
echo "$section"
