#!/usr/bin/env bash
# v2c rollout end to end: a real qemu VM (TCG) serving HTTP, the fixture's
# hello service converted by v2c, pushed to a loopback registry and run by
# podman's Docker-compatible service, both behind a real HAProxy, under a
# bounded `hey` load:
#   - canary 10 -> 50 -> 100 with analysis: zero failed requests;
#   - rollback by command (traffic back on the VM), then a blue-green
#     switch with a manual promotion: zero failed requests;
#   - a container answering 500 is rolled back automatically, by HAProxy's
#     counters and by a Prometheus query (a real Prometheus scraping
#     HAProxy's exporter);
#   - v2c killed with SIGKILL in the middle of a step, then resume;
#   - a corrupt journal: status and resume exit 3, nothing moves;
#   - a webhook gate that says no;
#   - two services of one VM with `vm: stopped`: the VM stops only after
#     the second is cut over, its frontend failing no request meanwhile;
#     a rollback onto it waits for its address; a crash between the stop
#     and its record resumes;
#   - a service whose localhost dependency stays on the VM is reported
#     before traffic moves;
#   - bad input: an invalid playbook, a tag instead of a digest, an
#     unreachable socket reported before any weight changes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
ok "images pushed by digest: $good"
ok "the VM serves HTTP on $VM_WEB_ADDR (booted in ${VM_WEB_BOOT_MS} ms)"
check "haproxy sends traffic to the VM" sh -c "curl -s -m 2 http://127.0.0.1:$PF/ | grep -q 'vm ok'"

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
st=0; timeout 300 "$V2C" rollout run "$TMP/canary.yaml" --state "$TMP/st1" >"$TMP/st1.out" 2>"$TMP/st1.err" || st=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
wait "$hey_pid" || true
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st1.err"
check "canary 10 -> 50 -> 100 completes (${took} ms)" test "$st" -eq 0
check "... all traffic on the container, the VM drained" test "$(weights)" = "0 100"
check "... zero failed requests under load ($(grep -o '\[200\][^\n]*' "$TMP/hey.out" | head -1))" hey_clean || cat "$TMP/hey.out"
"$V2C" rollout status --state "$TMP/st1" --json >"$TMP/st1.json"
check "status --json says done" grep -qE '"phase": ?"done"' "$TMP/st1.json"
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

# --- rollback by command, then blue-green with manual promotion --------------------------
echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
st=0; "$V2C" rollout rollback --state "$TMP/st1" >/dev/null 2>"$TMP/rb.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/rb.err"
w=$(weights)
check "rollback after promotion: traffic back on the VM ($w), container stopped" \
  sh -c "test $st -eq 0 && test '$w' = '100 0' && ! podman ps --format '{{.Names}}' | grep -qx $CT"
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
"$V2C" rollout approve --state "$TMP/st2" hello
st=0; wait "$run_pid" || st=$?
wait "$hey_pid" || true
check "approved: blue-green switch completes" test "$st" -eq 0 || cat "$TMP/st2.err"
check "... zero failed requests through the switch" hey_clean || cat "$TMP/hey.out"
check "... all traffic on the container" test "$(weights)" = "0 100"
echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
"$V2C" rollout rollback --state "$TMP/st2" >/dev/null 2>&1 || true

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

# --- the same, seen through Prometheus -----------------------------------------------------
# Prometheus scrapes HAProxy's exporter; the analysis asks it for the
# container's 5xx rate: the only judge of this rollout.
playbook "$TMP/prom.yaml" "$bad" "          canary:
            steps:
              - setWeight: 50
              - analysis: prom
              - setWeight: 100"
sleep 4   # the 5xx of the rollout above leave the query's 3 s window
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
st=0; timeout 120 "$V2C" rollout resume --state "$TMP/st4" >/dev/null 2>"$TMP/st4r.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st4r.err"
check "resume continues at the step it was in and completes" \
  sh -c "test $st -eq 0 && grep -q '\"event\":\"resumed\"' '$TMP/st4/journal.jsonl' && test \"\$(grep -c '\"event\":\"step\",\"service\":\"hello\",\"index\":1' '$TMP/st4/journal.jsonl')\" -eq 1" \
  || cat "$TMP/st4r.err"
check "... all traffic on the container" test "$(weights)" = "0 100"
echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
"$V2C" rollout rollback --state "$TMP/st4" >/dev/null 2>&1 || true

# --- abort while a service waits for approval ---------------------------------------------------
playbook "$TMP/wait.yaml" "$good" "          canary:
            steps:
              - setWeight: 30
              - pause: {until: approved}
              - setWeight: 100"
"$V2C" rollout run "$TMP/wait.yaml" --state "$TMP/st9" >/dev/null 2>"$TMP/st9.err" &
run_pid=$!
for _ in $(seq 300); do grep -q '"event":"step","service":"hello","index":1' "$TMP/st9/journal.jsonl" 2>/dev/null && break; sleep 0.2; done
w=$(weights)
check "waiting for approval at 70/30 ($w)" test "$w" = "70 30"
"$V2C" rollout abort --state "$TMP/st9"
st=0; timeout 60 tail --pid="$run_pid" -f /dev/null || true; wait "$run_pid" || st=$?
w=$(weights)
check "abort: the running rollout stops, exit 1, traffic back on the VM ($w)" \
  sh -c "test $st -eq 1 && test '$w' = '100 0' && grep -q aborted '$TMP/st9.err'"
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
echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
"$V2C" rollout rollback --state "$TMP/st12" >/dev/null 2>&1 || true

# --- a webhook gate that says no --------------------------------------------------------------
HOOK_PORT=$(free_port)
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0))); self.send_response(403); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$HOOK_PORT" &
hook_pid=$!
sleep 0.5
playbook "$TMP/hook.yaml" "$good" "          canary:
            steps:
              - setWeight: 10
              - gate: nope
              - setWeight: 100"
st=0; timeout 120 "$V2C" rollout run "$TMP/hook.yaml" --state "$TMP/st5" >/dev/null 2>"$TMP/st5.err" || st=$?
kill "$hook_pid" 2>/dev/null || true
w=$(weights)
check "a webhook answering 403 stops the rollout and rolls back ($w)" \
  sh -c "test $st -eq 1 && grep -q 'answered 403' '$TMP/st5.err' && test '$w' = '100 0'"

# --- bad input ---------------------------------------------------------------------------------
printf 'version: 1\nwaves:\n  - services:\n      - name: x\n        vmm: {}\n' >"$TMP/invalid.yaml"
set +e
"$V2C" rollout run "$TMP/invalid.yaml" --state "$TMP/st6" >/dev/null 2>"$TMP/st6.err"; st=$?
set -e
check "an invalid playbook: exit 3, errors with file, line and column" \
  sh -c "test $st -eq 3 && grep -q 'invalid.yaml:5:9' '$TMP/st6.err'"
sed "s|$good|$R/rt/hello:latest|" "$TMP/canary.yaml" >"$TMP/tag.yaml"
set +e
"$V2C" rollout run "$TMP/tag.yaml" --state "$TMP/st7" >/dev/null 2>"$TMP/st7.err"; st=$?
set -e
check "an image without a digest is refused" sh -c "test $st -eq 3 && grep -q 'tag is refused' '$TMP/st7.err'"
sed "s|$TMP/haproxy.sock|$TMP/nothing.sock|" "$TMP/canary.yaml" >"$TMP/nosock.yaml"
before=$(weights)
export -f weights 2>/dev/null || true
set +e
"$V2C" rollout run "$TMP/nosock.yaml" --state "$TMP/st8" >/dev/null 2>"$TMP/st8.err"; st=$?
set -e
check "an unreachable socket is reported before any weight changes" \
  sh -c "test $st -ne 0 && grep -q 'nothing.sock' '$TMP/st8.err' && test '$(weights)' = '$before' && ! grep -q weights '$TMP/st8/journal.jsonl' 2>/dev/null"

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
echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
"$V2C" rollout rollback --state "$TMP/st-needs" >/dev/null 2>&1 || true
check "... rolled back: traffic on the VM again" test "$(weights)" = "100 0"

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
echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
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
