#!/usr/bin/env bash
# Runs the rendering benchmark and writes its medians into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
cargo bench --locked --bench render >/dev/null

{
  echo "\`bash benches/run.sh\` on $(uname -m), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg) at the end of the run, $(date -u +%Y-%m-%d)."
  echo "criterion medians: \`render/\` is wall-clock time (a loaded machine inflates it), \`render-cpu/\` the CPU time of the rendering thread."
  echo
  echo "| benchmark | median |"
  echo "|---|---|"
  for estimates in "$target"/criterion/render*/*/new/estimates.json; do
    name=$(basename "$(dirname "$(dirname "$(dirname "$estimates")")")")/$(basename "$(dirname "$(dirname "$estimates")")")
    python3 - "$estimates" "$name" <<'PY'
import json, sys
median = json.load(open(sys.argv[1]))["median"]["point_estimate"]  # nanoseconds
name = sys.argv[2].replace("_", " ")
print(f"| {name} | {median / 1e6:.1f} ms |")
PY
  done
} | python3 benches/update_section.py "Rendering"
sed -n '/^## Rendering/,/^## /p' BENCHMARKS.md
