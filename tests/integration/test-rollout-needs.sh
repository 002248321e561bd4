#!/usr/bin/env bash
# v2c rollout end to end, a service whose localhost dependency
# stays on the VM is reported, and journaled, before traffic moves.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-needs`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- a service whose localhost dependency stays on the VM ----------------------------------
# webapp reached redis-server on 127.0.0.1:6380 on the VM; converted alone,
# its image says so (label io.v2c.needs) and the rollout warns, and
# journals it, before any traffic moves.
"$V2C" convert -s webapp -o "$TMP/wimg" "$FIXTURES/root" >/dev/null 2>&1
wimg=$("$V2C" push "$TMP/wimg:webapp" "$R/rt/webapp" 2>/dev/null)
playbook "$TMP/needs0.yaml" "$wimg" "          canary:
            steps:
              - setWeight: 50
              - setWeight: 100"
# Its secret file (not in the image) is mounted as an operator would.
sed -e "s|\"$PC:8081\"|\"$PC:8000\"|" -e "s|readiness: {path: /health|readiness: {path: /|" \
  -e "s|name: hello|name: webapp|" \
  -e "s|^\( *\)ports: \[\"$PC:8000\"\]|&\n\1volumes: [\"$FIXTURES/root/opt/webapp/service-account.json:/opt/webapp/service-account.json:ro\"]|" \
  "$TMP/needs0.yaml" >"$TMP/needs.yaml"
st=0; timeout 300 "$V2C" rollout run "$TMP/needs.yaml" --state "$TMP/st-needs" >/dev/null 2>"$TMP/st-needs.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st-needs.err"
w=$(weights)
check "webapp's rollout says redis-server:6380, reached over localhost, stays on the VM (and goes on: $w)" \
  sh -c "test $st -eq 0 && test '$w' = '0 100' && grep -q 'webapp: on the VM it reached redis-server:6380 over localhost, which stays on the VM' '$TMP/st-needs.err'"
check "... journaled (needs-unmoved) before the first weight change" python3 -c '
import json, sys
recs = list(map(json.loads, open(sys.argv[1])))
ev = [r["event"] for r in recs]
moved = [i for i, r in enumerate(recs) if r["event"] == "weights" and r.get("container", 0) > 0]
assert "needs-unmoved" in ev and moved and ev.index("needs-unmoved") < moved[0], ev
n = recs[ev.index("needs-unmoved")]
assert n["needs"] == "redis-server:6380" and n["on_vm"] == ["redis-server:6380"] and n["moved_separately"] == [], n
' "$TMP/st-needs/journal.jsonl"
vm_ready
"$V2C" rollout rollback --state "$TMP/st-needs" >/dev/null 2>&1 || true
check "... rolled back: traffic on the VM again" test "$(weights)" = "100 0"
finish
