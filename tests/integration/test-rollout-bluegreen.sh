#!/usr/bin/env bash
# v2c rollout end to end, a blue-green switch with a manual
# promotion under load: it waits for the promotion, then switches with zero
# failed requests.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-bluegreen`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- blue-green with manual promotion -----------------------------------------------------
playbook "$TMP/bg.yaml" "$good" "          blueGreen:
            pre_promotion_analysis: [smoke]
            promotion: manual
            bake_time: 3s
            post_promotion_analysis: [health]"
load 2500
timeout 300 "$V2C" rollout run "$TMP/bg.yaml" --state "$TMP/st2" >"$TMP/st2.out" 2>"$TMP/st2.err" &
run_pid=$!
for _ in $(seq 300); do grep -q '"gate":"promotion"' "$TMP/st2/journal.jsonl" 2>/dev/null && break; sleep 0.2; done
check "blue-green waits for the promotion (status shows it)" \
  sh -c "'$V2C' rollout status --state '$TMP/st2' | grep -q 'waiting: promotion'"
st=0; "$V2C" rollout approve --state "$TMP/st2" helo 2>"$TMP/typo.err" || st=$?
check "approving a mistyped service is a usage error naming the services (exit 2, got $st), not a request" \
  sh -c "test $st -eq 2 && grep -qx 'v2c: error: no service \`helo\` in this rollout (it has: hello)' '$TMP/typo.err' &&
         ! ls '$TMP/st2' | grep -q 'request-approve-helo'"
st=0; "$V2C" rollout approve --state "$TMP/st2" ../../x 2>"$TMP/typo.err" || st=$?
check "... and a name with a slash too (exit 2, got $st)" test "$st" -eq 2
"$V2C" rollout approve --state "$TMP/st2" hello
st=0; wait "$run_pid" || st=$?
wait "$hey_pid" || true
check "approved: blue-green switch completes" test "$st" -eq 0 || cat "$TMP/st2.err"
check "... zero failed requests through the switch" hey_clean || cat "$TMP/hey.out"
check "... all traffic on the container" test "$(weights)" = "0 100"
st=0; "$V2C" rollout approve --state "$TMP/st2" hello 2>"$TMP/late.err" || st=$?
check "approving a finished service is refused (exit 4, got $st)" \
  sh -c "test $st -eq 4 && grep -q 'is done: nothing waits for approval' '$TMP/late.err'"
finish
