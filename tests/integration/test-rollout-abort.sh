#!/usr/bin/env bash
# v2c rollout end to end, abort while a service waits for
# approval: the rollout stops, traffic back on the VM, the container gone,
# the journal and status say it was aborted (not rolled back).
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-abort`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- abort while a service waits for approval ---------------------------------------------------
playbook "$TMP/wait.yaml" "$good" "          canary:
            steps:
              - setWeight: 30
              - pause: {until: approved}
              - setWeight: 100"
"$V2C" rollout run "$TMP/wait.yaml" --state "$TMP/st9" --json >"$TMP/st9.out" 2>"$TMP/st9.err" &
run_pid=$!
for _ in $(seq 300); do grep -q '"event":"step","service":"hello","index":1' "$TMP/st9/journal.jsonl" 2>/dev/null && break; sleep 0.2; done
w=$(weights)
check "waiting for approval at 70/30 ($w)" test "$w" = "70 30"
"$V2C" rollout abort --state "$TMP/st9"
st=0; timeout 60 tail --pid="$run_pid" -f /dev/null || true; wait "$run_pid" || st=$?
w=$(weights)
check "abort: the running rollout stops, exit 1, traffic back on the VM ($w)" \
  sh -c "test $st -eq 1 && test '$w' = '100 0' && grep -q aborted '$TMP/st9.err'"
check "... run --json says so on stdout: aborted, exit 1, the reason" validate_result rollout "$TMP/st9.out" \
  "outcome aborted, exit 1, the reason stderr gives::(doc['outcome'], doc['exit_status']) == ('aborted', 1) and 'v2c: error: ' + doc['reason'] in open('$TMP/st9.err').read()" \
  "hello rolled back by request, traffic on the VM::[(s['name'], s['phase'], s['rollback_reason'], s['weights']) for s in doc['services']] == [('hello', 'rolled-back', 'aborted by request', {'vm': 100, 'container': 0})]"
check "... the container is stopped and removed" sh -c "! podman ps -a --format '{{.Names}}' | grep -qx $CT"
check "... status says it was aborted by request" python3 -c '
import json, subprocess, sys
doc = json.loads(subprocess.run([sys.argv[1], "rollout", "status", "--json", "--state", sys.argv[2]],
                                check=True, capture_output=True).stdout)
s = doc["services"][0]
assert s["phase"] == "rolled-back" and s["rollback_reason"] == "aborted by request", s
' "$V2C" "$TMP/st9"
check "... and the journal ends the service with aborted, not rolled-back" python3 -c '
import json, sys
ev = [r["event"] for r in map(json.loads, open(sys.argv[1])) if r.get("service") == "hello"]
assert "aborted" in ev and "rolled-back" not in ev, ev
' "$TMP/st9/journal.jsonl"
finish
