#!/usr/bin/env bash
# v2c rollout end to end, two services of one VM with
# `vm: stopped`: the VM stops only after the second is cut over, its
# frontend failing no request meanwhile; a rollback onto it waits for its
# address; a crash between the stop and its record resumes; finalize closes
# the rollout.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-vm-stopped`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- two services of one VM, the VM stopped after the cutover --------------------------------
# The VM must keep running until the last of its services is cut over: the
# first one's "stop" waits for the second, whose frontend (still on the
# VM) sees no failure meanwhile; then the VM is shut down (ACPI).
cat >"$TMP/shared.yaml" <<EOF
version: 1
name: shared
after_cutover: {vm: stopped, drain_timeout: 30s, rollback_window: 1h}
waves:
  - services:
EOF
for n in 1 2; do
  if [ $n = 1 ]; then sfx="" be=be pc=$PC; else sfx="-2" be=be2 pc=$PC2; fi
  cat >>"$TMP/shared.yaml" <<EOF
      - name: hello$sfx
        vm: {qmp: "$VM_WEB_QMP", endpoint: "$VM_WEB_ADDR", shutdown_timeout: 30s}
        container: {engine: "$SOCK", image: "$good", name: "$CT$sfx", ports: ["$pc:8081"], readiness: {path: /health, timeout: 60s}}
        router: {socket: "$TMP/haproxy.sock", backend: $be, vm_server: vm, container_server: ct}
        strategy: {canary: {steps: [{setWeight: 100}]}}
EOF
done
hey -z 60s -c 2 -q 25 -t 5 "http://127.0.0.1:$PF2/" >"$TMP/hey2.out" 2>&1 &
hey2_pid=$!
st=0; timeout 240 "$V2C" rollout run "$TMP/shared.yaml" --state "$TMP/st10" >/dev/null 2>"$TMP/st10.err" || st=$?
kill -INT "$hey2_pid" 2>/dev/null || true; wait "$hey2_pid" 2>/dev/null || true
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st10.err"
check "two services of one VM cut over, the VM stopped after the cutover" test "$st" -eq 0
order=$(python3 -c 'import json,sys
print(" ".join(r["service"] + ":" + r["event"] for r in map(json.loads, open(sys.argv[1]))
               if r.get("event") in ("vm-kept", "vm-stopped", "prepared", "done")))' "$TMP/st10/journal.jsonl")
check "... the first one's stop waits for the second ($order)" \
  test "$order" = "hello:prepared hello:vm-kept hello:done hello-2:prepared hello-2:vm-stopped hello-2:done"
check "... whose frontend saw no failed request meanwhile ($(grep -o '\[200\][^\n]*' "$TMP/hey2.out" | head -1))" \
  sh -c "! grep -q 'Error distribution' '$TMP/hey2.out' && grep -q '\[200\]' '$TMP/hey2.out' && ! grep -qE '\[(5|4)[0-9][0-9]\]' '$TMP/hey2.out'"
check "... and the VM's qemu is gone" vm_wait_exit web 30
cp -a "$TMP/st10" "$TMP/st10c"   # for the crash below
"$V2C" rollout status --state "$TMP/st10" >"$TMP/st10.status" 2>&1
check "status: the first service's VM was stopped by the second" \
  grep -qE '^hello +done .*VM stopped by hello-2$' "$TMP/st10.status"
check "... which stopped it itself" grep -qE '^hello-2 +done .*VM stopped$' "$TMP/st10.status"
check "... and the journal says why the first kept it running" \
  grep -q '"event":"vm-kept","service":"hello","by":"hello-2","why":"still serves from it"' "$TMP/st10/journal.jsonl"
# A rollback onto the VM the second service stopped: refused while nothing
# answers on the VM's address (v2c cannot start a QMP VM), and going on
# once something does (here a stand-in serving "vm ok" on that address).
st=0; "$V2C" rollout rollback --state "$TMP/st10" hello >/dev/null 2>"$TMP/rb10.err" || st=$?
check "rolling hello back onto the stopped VM is refused while its address is silent (exit 4)" \
  sh -c "test $st -eq 4 && grep -q 'does not answer' '$TMP/rb10.err'"
mkdir -p "$TMP/vm-back" && echo "vm ok" >"$TMP/vm-back/index.html"
python3 -m http.server --bind 127.0.0.1 --directory "$TMP/vm-back" "${VM_WEB_ADDR##*:}" >/dev/null 2>&1 &
back_pid=$!
for _ in $(seq 50); do curl -s -m 1 "http://$VM_WEB_ADDR/" | grep -q "vm ok" && break; sleep 0.1; done
st=0; "$V2C" rollout rollback --state "$TMP/st10" hello >/dev/null 2>"$TMP/rb10.err" || st=$?
w=$(weights)
kill "$back_pid" 2>/dev/null || true
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/rb10.err"
check "... and goes on once the address answers: traffic back on the VM ($w)" sh -c "test $st -eq 0 && test '$w' = '100 0'"
check "... the journal records the VM as started again" \
  grep -q '"event":"vm-started","service":"hello"' "$TMP/st10/journal.jsonl"
# v2c killed between stopping the VM and writing it down: the journal ends
# before hello-2's vm-stopped; resume finds no qemu behind the socket and
# nothing on the VM's address, records the stop and finishes.
python3 - "$TMP/st10c/journal.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines(True)
cut = next(i for i, l in enumerate(lines) if '"event":"vm-stopped"' in l)
open(sys.argv[1], "w").writelines(lines[:cut])
EOF
st=0; timeout 120 "$V2C" -v rollout resume --state "$TMP/st10c" >/dev/null 2>"$TMP/st10c.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st10c.err"
check "resume after a crash between the VM's stop and its record: done, the stop recorded" \
  sh -c "test $st -eq 0 && grep -q 'stopped already' '$TMP/st10c.err' && grep -q '\"event\":\"vm-stopped\",\"service\":\"hello-2\"' '$TMP/st10c/journal.jsonl'"

# --- finalize: the rollout closed, no rollback after it ------------------------------------------
st=0; timeout 120 "$V2C" rollout finalize --state "$TMP/st10c" >/dev/null 2>"$TMP/fin.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/fin.err"
check "rollout finalize: exit 0, both services journaled and shown finalized" python3 -c '
import json, subprocess, sys
st, cli, state = int(sys.argv[1]), sys.argv[2], sys.argv[3]
assert st == 0, st
fin = [r["service"] for r in map(json.loads, open(state + "/journal.jsonl")) if r.get("event") == "finalized"]
assert sorted(fin) == ["hello", "hello-2"], fin
doc = json.loads(subprocess.run([cli, "rollout", "status", "--json", "--state", state], check=True,
                                capture_output=True).stdout)
assert [s["phase"] for s in doc["services"]] == ["finalized", "finalized"], doc["services"]
' "$st" "$V2C" "$TMP/st10c"
n=$(wc -l <"$TMP/st10c/journal.jsonl")
st=0; "$V2C" rollout rollback --state "$TMP/st10c" >/dev/null 2>"$TMP/fin-rb.err" || st=$?
check "... after it, rollback refuses (exit 4: nothing to roll back) and journals nothing" \
  sh -c "test $st -eq 4 && grep -q 'nothing to roll back' '$TMP/fin-rb.err' && test \"\$(wc -l <'$TMP/st10c/journal.jsonl')\" -eq $n"
st=0; timeout 60 "$V2C" rollout finalize --state "$TMP/st10c" >/dev/null 2>&1 || st=$?
check "... and a second finalize changes nothing" \
  sh -c "test $st -eq 0 && test \"\$(wc -l <'$TMP/st10c/journal.jsonl')\" -eq $n"
finish
