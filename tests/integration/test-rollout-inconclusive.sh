#!/usr/bin/env bash
# v2c rollout end to end, an analysis with no data (NaN) is
# no success: journaled inconclusive, the rollout pauses at its split until
# approved, status says why.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-inconclusive`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- an analysis with no data pauses ----------------------------------------------------------
# No load: the container serves nothing through HAProxy, so its 5xx rate
# has no value (NaN).  That is no success: the rollout journals
# `inconclusive`, stays at its split and waits for a person.
playbook "$TMP/nodata.yaml" "$good" "          canary:
            steps:
              - setWeight: 10
              - analysis: health
              - setWeight: 100"
"$V2C" rollout run "$TMP/nodata.yaml" --state "$TMP/st12" >/dev/null 2>"$TMP/st12.err" &
run_pid=$!
for _ in $(seq 300); do
  grep -qE '"event":"(inconclusive|step-done)","service":"hello","(reason|index)":("[^"]*"|1)' "$TMP/st12/journal.jsonl" 2>/dev/null && break
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 0.2
done
sleep 1
w=$(weights)
check "an analysis with no data: journaled inconclusive, paused at 90/10 ($w), still running" \
  sh -c "grep -q '\"event\":\"inconclusive\",\"service\":\"hello\"' '$TMP/st12/journal.jsonl' &&
    ! grep -q '\"event\":\"step-done\",\"service\":\"hello\",\"index\":1' '$TMP/st12/journal.jsonl' &&
    test '$w' = '90 10' && kill -0 $run_pid"
check "... its measurements recorded with no value" python3 -c '
import json, sys
m = [r for r in map(json.loads, open(sys.argv[1])) if r.get("event") == "measurement"]
assert m and all(r["value"] is None and r["verdict"] == "inconclusive" for r in m), m
' "$TMP/st12/journal.jsonl"
check "... status says it waits for approval, and why" \
  sh -c "'$V2C' rollout status --state '$TMP/st12' | grep -q 'waiting: approval (inconclusive: ' &&
    '$V2C' rollout status --state '$TMP/st12' --json | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin)[\"services\"] if x[\"name\"] == \"hello\"][0]
assert s[\"waiting\"] == \"inconclusive\" and s[\"inconclusive_reason\"], s'"
"$V2C" rollout approve --state "$TMP/st12" hello
st=0; timeout 120 tail --pid="$run_pid" -f /dev/null || true; wait "$run_pid" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st12.err"
w=$(weights)
check "... approved: it goes on to 100 ($w)" sh -c "test $st -eq 0 && test '$w' = '0 100'"
check "... and status no longer says it waits" \
  sh -c "! '$V2C' rollout status --state '$TMP/st12' | grep -q 'waiting'"
finish
