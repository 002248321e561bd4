#!/usr/bin/env bash
# v2c rollout end to end, a container answering 500 is rolled
# back by itself, judged by a real Prometheus scraping HAProxy's exporter
# (the container's 5xx rate).
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-prometheus`).
ROLLOUT_ENV_PARTS="bad prometheus"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- the same, seen through Prometheus -----------------------------------------------------
# Prometheus scrapes HAProxy's exporter; the analysis asks it for the
# container's 5xx rate: the only judge of this rollout.
playbook "$TMP/prom.yaml" "$bad" "          canary:
            steps:
              - setWeight: 50
              - analysis: prom
              - setWeight: 100"
load 1500
st=0; timeout 300 "$V2C" rollout run "$TMP/prom.yaml" --state "$TMP/st11" >/dev/null 2>"$TMP/st11.err" || st=$?
wait "$hey_pid" || true
sed 's/^/# /' "$TMP/st11.err" | tail -3
check "a Prometheus analysis (the container's 5xx rate) rolls the 500s back (exit 1)" \
  sh -c "test $st -eq 1 && grep -q 'ct-5xx' '$TMP/st11.err' && test '$(weights)' = '100 0'"
check "... on a rate Prometheus measured ($(python3 -c 'import json,sys
m = [r for r in map(json.loads, open(sys.argv[1])) if r.get("event") == "measurement" and r.get("metric") == "ct-5xx"]
print(" ".join("%s=%s" % (r.get("verdict"), r.get("value")) for r in m))' "$TMP/st11/journal.jsonl"))" \
  python3 -c 'import json,sys
m = [r for r in map(json.loads, open(sys.argv[1])) if r.get("event") == "measurement" and r.get("metric") == "ct-5xx"]
assert m and m[-1]["verdict"] == "failed" and float(m[-1]["value"]) > 0, m' "$TMP/st11/journal.jsonl"
finish
