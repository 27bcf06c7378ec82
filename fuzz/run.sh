#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 300), from the committed seeds, then
# checks that every ecosystem file the fuzzer kept that gen-units accepts renders units
# `systemd-analyze verify` accepts. Needs cargo-fuzz (`cargo install --locked
# cargo-fuzz`); the project's stable toolchain is used with RUSTC_BOOTSTRAP=1.
#
#     bash fuzz/run.sh 300
#
# A crash stops the run with libFuzzer's report; its input is in fuzz/artifacts/TARGET/
# (replay it with `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`). Figures of a
# run: fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
export RUSTC_BOOTSTRAP=1
work=$(mktemp -d /var/tmp/ecosystemd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
for target in ecosystem bundle unit_policy cron; do
  mkdir -p "$work/corpus/$target"
  cp fuzz/seeds/$target/* "$work/corpus/$target/"
  echo "== $target: $seconds s"
  cargo fuzz run --fuzz-dir fuzz "$target" "$work/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 |
    grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY)' || true
  test -z "$(ls fuzz/artifacts/$target 2>/dev/null)" || { echo "$target: crash in fuzz/artifacts/$target" >&2; exit 1; }
done

# Every kept ecosystem input that gen-units accepts renders units systemd accepts.
cargo build --quiet --bin gen-units
accepted=0 verified=0
for input in "$work/corpus/ecosystem"/*; do
  kind=$(od -An -tu1 -N1 "$input" | tr -d ' ')
  ext=yaml; [ $((kind % 2)) = 1 ] && ext=json5
  dir=$(mktemp -d "$work/render.XXXXXX")
  tail -c +2 "$input" > "$dir/ecosystem.$ext"
  if ./target/debug/gen-units --portable --output-dir "$dir/out" "$dir/ecosystem.$ext" >/dev/null 2>&1; then
    accepted=$((accepted + 1))
    units=$(find "$dir/out/unit" -maxdepth 1 -type f \( -name '*.service' -o -name '*.timer' \
      -o -name '*.path' -o -name '*.socket' -o -name '*.target' \))
    if [ -n "$units" ]; then
      # Syntax is what counts: missing executables and users are this host's facts.
      if systemd-analyze verify --man=no $units 2>&1 |
          grep -E 'Unknown (key|section|lvalue)|[Ff]ailed to parse|[Ii]nvalid|Missing |Unbalanced|outside of section|bad-setting|[Ii]gnoring' \
          >"$dir/verify.txt"; then
        echo "systemd-analyze verify refused units of $input:" >&2
        cat "$dir/verify.txt" >&2
        exit 1
      fi
      verified=$((verified + 1))
    fi
  fi
  rm -rf "$dir"
done
echo "ecosystem corpus: $accepted accepted by gen-units, $verified rendered sets verified by systemd-analyze"
