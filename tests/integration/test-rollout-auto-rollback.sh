#!/usr/bin/env bash
# v2c rollout end to end, a container answering 500 is rolled
# back by itself, judged by HAProxy's counters, within one analysis
# interval.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-auto-rollback`).
ROLLOUT_ENV_PARTS="bad"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- a container answering 500: rolled back by itself --------------------------------------
playbook "$TMP/bad.yaml" "$bad" "          canary:
            steps:
              - setWeight: 50
              - analysis: health
              - setWeight: 100"
load 1500
st=0; timeout 300 "$V2C" rollout run "$TMP/bad.yaml" --state "$TMP/st3" >"$TMP/st3.out" 2>"$TMP/st3.err" || st=$?
wait "$hey_pid" || true
sed 's/^/# /' "$TMP/st3.err" | tail -5
check "a container answering 500 is rolled back automatically (exit 1)" test "$st" -eq 1
check "... the reason is printed" grep -q "error-rate" "$TMP/st3.err"
check "... traffic ends on the VM" test "$(weights)" = "100 0"
check "... the container is gone" sh -c "! podman ps -a --format '{{.Names}}' | grep -qx $CT"
fail_ms=$(python3 - "$TMP/st3/journal.jsonl" <<'EOF'
import json, sys, datetime
recs = [json.loads(l) for l in open(sys.argv[1])]
t = lambda r: datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
failed = [r for r in recs if r.get("event") == "measurement" and r.get("verdict") == "failed"]
back = [r for r in recs if r.get("event") == "weights" and r.get("vm") == 100]
print(int((t(back[-1]) - t(failed[-1])) * 1000) if failed and back else 999999)
EOF
)
check "... traffic back on the VM ${fail_ms} ms after the failure limit (interval 1000 ms)" test "$fail_ms" -le 1000
finish
