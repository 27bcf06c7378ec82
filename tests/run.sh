#!/usr/bin/env bash
# The test suite, as the README runs it: `cargo test --locked --workspace` (extra
# arguments go to it), then the tests that could not run here, each with its reason.
#
# libtest has no "skipped" outcome: a test that cannot run (not root, no Node.js, a
# sandbox that cannot boot) returns early and libtest counts it as passed. Such a test
# appends `CRATE::TEST<TAB>REASON` to the file named by ECOSYSTEMD_SKIP_LOG
# (tests/common/skip.rs); this script lists them, takes them off the passed count, and
# exits non-zero under CI=true when any test skipped (the tests themselves fail there).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$target" || exit 1
export ECOSYSTEMD_SKIP_LOG="$target/test-skips.log"
output="$target/test-output.log"
: >"$ECOSYSTEMD_SKIP_LOG"

cargo test --locked --workspace --no-fail-fast "$@" 2>&1 | tee "$output"
status=${PIPESTATUS[0]}

passed=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9][0-9]*\) passed.*/\1/p' "$output" |
  awk '{ n += $1 } END { print n + 0 }')
failed=$(sed -n 's/^test result: .*; \([0-9][0-9]*\) failed.*/\1/p' "$output" |
  awk '{ n += $1 } END { print n + 0 }')
skipped=$(cut -f1 "$ECOSYSTEMD_SKIP_LOG" | sort -u | grep -c . || true)

echo
if [ "$skipped" -gt 0 ]; then
  echo "skipped: $skipped tests (libtest listed them as ok; a reason \"its ...\" names the part that did not run):"
  sort -u "$ECOSYSTEMD_SKIP_LOG" | awk -F '\t' '{ printf "  %s: %s\n", $1, $2 }'
fi
echo "tests: $((passed - skipped)) passed, $skipped skipped, $failed failed"
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
if [ "$skipped" -gt 0 ] && [ "${CI:-}" = true ]; then
  echo "CI=true: a skipped test is a failure" >&2
  exit 1
fi
