#!/usr/bin/env bash
# v2c rollout end to end, v2c killed with SIGKILL in the middle
# of a step keeps the split; resume continues at that step and completes.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-resume`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- SIGKILL in the middle of a step, then resume -------------------------------------------
playbook "$TMP/slow.yaml" "$good" "          canary:
            steps:
              - setWeight: 20
              - pause: 6s
              - setWeight: 100"
"$V2C" rollout run "$TMP/slow.yaml" --state "$TMP/st4" >/dev/null 2>"$TMP/st4.err" &
run_pid=$!
for _ in $(seq 300); do grep -q '"event":"step","service":"hello","index":1' "$TMP/st4/journal.jsonl" 2>/dev/null && break; sleep 0.2; done
sleep 1
kill -9 "$run_pid"; wait "$run_pid" 2>/dev/null || true
w=$(weights)
check "killed mid-pause: the split stays where it was ($w; never both at zero)" test "$w" = "80 20"
st=0; timeout 120 "$V2C" rollout resume --state "$TMP/st4" --json >"$TMP/st4r.out" 2>"$TMP/st4r.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st4r.err"
check "resume continues at the step it was in and completes" \
  sh -c "test $st -eq 0 && grep -q '\"event\":\"resumed\"' '$TMP/st4/journal.jsonl' && test \"\$(grep -c '\"event\":\"step\",\"service\":\"hello\",\"index\":1' '$TMP/st4/journal.jsonl')\" -eq 1" \
  || cat "$TMP/st4r.err"
check "... all traffic on the container" test "$(weights)" = "0 100"
check "... resume --json: done, exit 0, hello done at its last step" validate_result rollout "$TMP/st4r.out" \
  "outcome::(doc['outcome'], doc['exit_status'], doc['reason']) == ('done', 0, None)" \
  "hello::[(s['name'], s['phase'], s['step'], s['step_done'], s['weights']) for s in doc['services']] == [('hello', 'done', 2, 2, {'vm': 0, 'container': 100})]"
finish
