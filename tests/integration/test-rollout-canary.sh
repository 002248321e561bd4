#!/usr/bin/env bash
# v2c rollout end to end, a canary under load:
#   - 10 -> 50 -> 100 with analysis: zero failed requests, every split
#     journaled in order and seen in HAProxy itself;
#   - a corrupt journal of that rollout: status and resume exit 3, nothing
#     moves;
#   - rollback by command after the promotion: traffic back on the VM;
#   - a playbook that loosens the container's hardening (container.harden:
#     read_only_root false): said in a warning, journaled, and the engine
#     runs it with a writable root, everything else of its spec kept.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-canary`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

# --- canary 10 -> 50 -> 100 under load ---------------------------------------------------
playbook "$TMP/canary.yaml" "$good" "          canary:
            steps:
              - setWeight: 10
              - analysis: health
              - setWeight: 50
              - pause: 2s
              - analysis: health
              - setWeight: 100
              - analysis: health"
load 3000
# HAProxy's own weights, sampled every 50 ms while the rollout runs (each
# step holds its split for 2 s or more): what the router did, not what v2c
# says it did.  Raw `show stat` rows of the backend, parsed afterwards.
sample_weights() {
  while :; do
    echo "show stat" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" 2>/dev/null | grep -E '^(# |be,)'
    echo "--"
    sleep 0.05
  done >"$1"
}
sample_weights "$TMP/st1.live" &
sampler_pid=$!
start=$(date +%s%N)
st=0; timeout 300 "$V2C" rollout run --json "$TMP/canary.yaml" --state "$TMP/st1" >"$TMP/st1.out" 2>"$TMP/st1.err" || st=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
wait "$hey_pid" || true
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st1.err"
check "canary 10 -> 50 -> 100 completes (${took} ms)" test "$st" -eq 0
check "... all traffic on the container, the VM drained" test "$(weights)" = "0 100"
check "... zero failed requests under load ($(grep -o '\[200\][^\n]*' "$TMP/hey.out" | head -1))" hey_clean || cat "$TMP/hey.out"
# The container runs hardened, as its manifest and convert --verify: the
# image's io.v2c.hardening, applied through the engine's API.
curl -s --unix-socket "$SOCK" "http://d/v1.40/containers/$CT/json" >"$TMP/ct.json" || true
check "the container runs hardened: read-only root, /tmp a tmpfs, capabilities dropped but its own, DynamicUser's uid" \
  python3 - "$TMP/ct.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
hc = c["HostConfig"]
assert hc["ReadonlyRootfs"] is True, hc["ReadonlyRootfs"]
assert "/tmp" in (hc.get("Tmpfs") or {}), hc.get("Tmpfs")
# podman answers with what it dropped from its default set: all of it but NET_BIND_SERVICE
drop = {x.upper().replace("CAP_", "") for x in hc["CapDrop"] or []}
assert "ALL" in drop or {"CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_CHROOT"} <= drop, drop
assert "NET_BIND_SERVICE" not in drop, drop
assert 61184 <= int(c["Config"]["User"]) <= 65519, c["Config"]["User"]
PY
"$V2C" rollout status --state "$TMP/st1" --json >"$TMP/st1.json"
check "status --json says done" grep -qE '"phase": ?"done"' "$TMP/st1.json"
check "status --json: a v2c.rollout-status/1 document (docs/rollout-status.schema.json), finished" \
  validate_result rollout-status "$TMP/st1.json" "finished, its last record the end::doc['finished'] is True"
check "run --json: a v2c.rollout-result/1 document, done, each service as status --json shows it" \
  validate_result rollout "$TMP/st1.out" \
  "outcome done, exit 0, no reason::(doc['outcome'], doc['exit_status'], doc['reason'], doc['state_dir']) == ('done', 0, None, '$TMP/st1')" \
  "the services are status --json's::doc['services'] == json.load(open('$TMP/st1.json'))['services'] and doc['name'] == json.load(open('$TMP/st1.json'))['name']" \
  "hello done, all traffic on the container::[(s['name'], s['phase'], s['weights']) for s in doc['services']] == [('hello', 'done', {'vm': 0, 'container': 100})]"
st=0; POSIXLY_CORRECT=1 "$V2C" rollout status --json --state "$TMP/st1" -q >"$TMP/st1p.json" 2>"$TMP/st1p.err" || st=$?
check "status --json --state DIR -q, options after the action (POSIXLY_CORRECT=1): the same report" \
  sh -c "test $st -eq 0 && cmp -s '$TMP/st1.json' '$TMP/st1p.json'"
seqw=$(python3 -c 'import json,sys
print(" ".join("%d,%d" % (r["vm"], r["container"]) for r in map(json.loads, open(sys.argv[1])) if r.get("event") == "weights"))' "$TMP/st1/journal.jsonl")
check "the journal records every weight change in order ($seqw)" test "$seqw" = "100,0 90,10 50,50 0,100"
# Every split v2c journaled is one HAProxy had, in order; and HAProxy had
# no other for more than one sample (a change sets two servers: a sample
# may fall between the two).
live=$(python3 - "$TMP/st1.live" <<'EOF'
import csv, sys
runs, head, cur = [], None, {}
for l in open(sys.argv[1]):
    if l.startswith("# "):
        head = l[2:].rstrip("\n").split(",")
    elif l.startswith("be,") and head:
        r = next(csv.reader([l]))
        cur[r[head.index("svname")]] = r[head.index("weight")]
    elif l.startswith("--"):
        if "vm" in cur and "ct" in cur:
            w = cur["vm"] + "," + cur["ct"]
            if runs and runs[-1][0] == w:
                runs[-1][1] += 1
            else:
                runs.append([w, 1])
        cur = {}
print(" ".join("%s*%d" % (w, n) for w, n in runs))
EOF
)
check "HAProxy itself had each of those splits, in order, and no other (sampled: $live)" python3 - "$live" "100,0 90,10 50,50 0,100" <<'EOF'
import sys
runs = [(r.rsplit("*", 1)[0], int(r.rsplit("*", 1)[1])) for r in sys.argv[1].split()]
want = sys.argv[2].split()
it = iter(w for w, n in runs)
assert all(w in it for w in want), "missing or out of order"
assert all(w in want for w, n in runs if n > 1), "a split v2c never journaled"
EOF

# --- a corrupt journal: refused, nothing moves, the file kept ------------------------------
# A copy of that finished journal, one character of record 5 changed: a
# letter of its event (still valid JSON: the chain sees it), then the ':'
# after "event" (not JSON).  status and resume stop with exit 3 naming
# record 5; the weights, the container and the journal's bytes stay.
cp -a "$TMP/st1" "$TMP/st1x"
cid=$(podman inspect --format '{{.Id}}' "$CT" 2>/dev/null)
for how in letter colon; do
  python3 - "$TMP/st1x/journal.jsonl" "$how" <<'EOF'
import sys
p, how = sys.argv[1], sys.argv[2]
lines = open(p, "rb").read().split(b"\n")
l = lines[4]
i = l.index(b'"event":"') + (9 if how == "letter" else 7)
lines[4] = l[:i] + (b"X" if how == "letter" else b";") + l[i + 1:]
open(p, "wb").write(b"\n".join(lines))
EOF
  sum=$(sha256sum <"$TMP/st1x/journal.jsonl")
  st=0; "$V2C" rollout status --state "$TMP/st1x" >/dev/null 2>"$TMP/cs.err" || st=$?
  check "a corrupt journal (a $how changed in record 5): status exits 3 naming record 5 (exit $st)" \
    sh -c "test $st -eq 3 && grep -q 'journal corrupt at record 5' '$TMP/cs.err'"
  st=0; timeout 120 "$V2C" rollout resume --state "$TMP/st1x" >/dev/null 2>"$TMP/cr.err" || st=$?
  w=$(weights)
  check "... resume exits 3 the same way (exit $st), the traffic where it was ($w)" \
    sh -c "test $st -eq 3 && grep -q 'journal corrupt at record 5' '$TMP/cr.err' && test '$w' = '0 100'"
  check "... the container untouched" test "$(podman inspect --format '{{.Id}}' "$CT" 2>/dev/null)" = "$cid"
  check "... the journal's sha256 unchanged" test "$(sha256sum <"$TMP/st1x/journal.jsonl")" = "$sum"
  cp "$TMP/st1/journal.jsonl" "$TMP/st1x/journal.jsonl"
done

# --- rollback by command after the promotion ------------------------------------------
vm_ready
st=0; "$V2C" rollout rollback --state "$TMP/st1" >/dev/null 2>"$TMP/rb.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/rb.err"
w=$(weights)
check "rollback after promotion: traffic back on the VM ($w), container stopped" \
  sh -c "test $st -eq 0 && test '$w' = '100 0' && ! podman ps --format '{{.Names}}' | grep -qx $CT"

# --- the operator loosens the hardening: loudly -----------------------------------------
playbook "$TMP/loose.yaml" "$good" "          canary:
            steps:
              - setWeight: 100"
sed -i 's|^          readiness: {path: /health, timeout: 60s}$|&\n          harden: {read_only_root: false}|' "$TMP/loose.yaml"
grep -q 'harden: {read_only_root: false}' "$TMP/loose.yaml" || not_ok "the loosening playbook"
st=0; timeout 300 "$V2C" rollout run "$TMP/loose.yaml" --state "$TMP/st2" >/dev/null 2>"$TMP/st2.err" || st=$?
check_or_show "$TMP/st2.err" "a playbook with container.harden {read_only_root: false} runs (exit 0), warning that it loosens the hardening" \
  sh -c "test $st -eq 0 && grep -q 'warning: hello: the playbook loosens its container.s hardening (container.harden): read-only root: the root is writable; it runs less confined' '$TMP/st2.err'"
check "... the journal records it (hardening-loosened) before the container is prepared" python3 - "$TMP/st2/journal.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
names = [e.get("event") for e in ev]
i = names.index("hardening-loosened")
assert ev[i]["service"] == "hello" and ev[i]["loosened"] == ["read-only root: the root is writable"], ev[i]
assert i < names.index("prepared"), names
PY
curl -s --unix-socket "$SOCK" "http://d/v1.40/containers/$CT/json" >"$TMP/ct2.json" || true
check "... and the engine runs it with a writable root, the rest of its spec kept (capabilities dropped, DynamicUser's uid)" \
  python3 - "$TMP/ct2.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
hc = c["HostConfig"]
assert hc["ReadonlyRootfs"] is False, hc["ReadonlyRootfs"]
drop = {x.upper().replace("CAP_", "") for x in hc["CapDrop"] or []}
assert "ALL" in drop or {"CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_CHROOT"} <= drop, drop
assert 61184 <= int(c["Config"]["User"]) <= 65519, c["Config"]["User"]
PY
finish
