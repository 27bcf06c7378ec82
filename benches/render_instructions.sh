#!/usr/bin/env bash
# Instructions per iteration of each rendering step (parse, plan, bundle, text) on the
# 10,000 agents of benches/render.rs, counted by callgrind: the machine's load does not
# change them, so two commits compare on a shared machine. Builds
# benches/render_instructions.rs (release profile) and counts only its `measure_*` calls.
#
# Usage: benches/render_instructions.sh [ITERATIONS]   (default 2; a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-2}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }

# Symbols kept (the release profile strips them): callgrind finds the calls by name.
binary=$(CARGO_PROFILE_BENCH_STRIP=none cargo bench --locked --bench render_instructions --no-run --message-format=json |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["target"]["name"] == "render_instructions":
        print(m["executable"])')
[ -x "$binary" ] || { echo "the driver did not build" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "| step | instructions per iteration |"
echo "|---|---|"
for step in parse plan bundle text; do
  valgrind --tool=callgrind --toggle-collect='*measure_*' \
    --callgrind-out-file="$out/$step" "$binary" "$step" "$iterations" >/dev/null 2>&1
  total=$(sed -n 's/^summary: *//p' "$out/$step")
  awk -v total="$total" -v n="$iterations" -v step="$step" \
    'BEGIN { printf "| %s | %.1f M |\n", step, total / n / 1e6 }'
done
