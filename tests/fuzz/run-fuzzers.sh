#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each, starting
# from its seed corpus (copied, so the repository's corpus stays as it is).
# Any crash, leak or sanitizer report fails the run.
set -uo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR [SECONDS]}
seconds=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0 pass=0
for exe in "$build"/tests/fuzz-*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=${exe##*/fuzz-}
  mkdir -p "$work/$name"
  cp -r "$here/corpus/$name/." "$work/$name/" 2>/dev/null || true
  if "$exe" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
       -print_final_stats=1 -artifact_prefix="$work/$name-" "$work/$name" >"$work/$name.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" | awk '{print $2}') runs)"
    pass=$((pass + 1))
  else
    echo "fuzz $name: FAILED"; tail -30 "$work/$name.log"
    fail=$((fail + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
