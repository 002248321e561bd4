#!/usr/bin/env bash
# v2c rollout end to end: a real qemu VM (TCG) serving HTTP, the fixture's
# hello service converted by v2c, pushed to a loopback registry and run by
# podman's Docker-compatible service, both behind a real HAProxy, under a
# bounded `hey` load:
#   - canary 10 -> 50 -> 100 with analysis: zero failed requests;
#   - rollback by command (traffic back on the VM), then a blue-green
#     switch with a manual promotion: zero failed requests;
#   - a container answering 500 is rolled back automatically;
#   - v2c killed with SIGKILL in the middle of a step, then resume;
#   - a webhook gate that says no;
#   - bad input: an invalid playbook, a tag instead of a digest, an
#     unreachable socket reported before any weight changes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
for t in podman haproxy hey qemu-system-x86_64; do
  command -v "$t" >/dev/null || { echo "$t missing (scripts/setup.sh installs it)"; exit 1; }
done
fixture_root

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SOCK="$TMP/podman.sock"
svc_pid="" hap_pid=""
cleanup() {
  podman ps -a --format '{{.Names}}' 2>/dev/null | grep '^v2c-rt-' | xargs -r timeout 60 podman rm -f >/dev/null 2>&1 || true
  [ -z "$hap_pid" ] || kill "$hap_pid" 2>/dev/null || true
  [ -z "$svc_pid" ] || { kill "$svc_pid" 2>/dev/null || true; sleep 0.5; kill -9 "$svc_pid" 2>/dev/null || true; }
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- the container side: images in a loopback registry, podman's API ---------------
registry_start reg || { not_ok "registry starts"; finish; exit 1; }
R=$REG_REG_ADDR
"$V2C" convert -s hello -o "$TMP/img" "$FIXTURES/root" >/dev/null 2>&1
good=$("$V2C" push "$TMP/img:hello" "$R/rt/hello" 2>/dev/null)
# A broken build of the same service: healthy, but / answers 500.
cp -a "$FIXTURES/root" "$TMP/broken-root"
cat >"$TMP/broken-root/usr/local/bin/hello-server" <<'EOF'
#!/usr/bin/python3
import http.server, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200 if self.path == "/health" else 500
        self.send_response(code); self.send_header("Content-Length", "3"); self.end_headers(); self.wfile.write(b"no\n")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", port), H).serve_forever()
EOF
chmod 755 "$TMP/broken-root/usr/local/bin/hello-server"
"$V2C" convert -s hello -o "$TMP/bad-img" "$TMP/broken-root" >/dev/null 2>&1
bad=$("$V2C" push "$TMP/bad-img:hello" "$R/rt/broken" 2>/dev/null)
check "images pushed by digest" sh -c "echo '$good $bad' | grep -c '@sha256:' >/dev/null && test -n '$good' && test -n '$bad'"

cat >"$TMP/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$TMP/registries.conf" <<EOF
unqualified-search-registries = []
[[registry]]
location = "$R"
insecure = true
EOF
export CONTAINERS_CONF="$TMP/containers.conf" CONTAINERS_REGISTRIES_CONF="$TMP/registries.conf"
podman system service --time=0 "unix://$SOCK" >"$TMP/service.log" 2>&1 </dev/null &
svc_pid=$!
for _ in $(seq 100); do curl -s -m 2 --unix-socket "$SOCK" http://d/v1.40/_ping 2>/dev/null | grep -q OK && break; sleep 0.2; done

# --- the VM and the router -----------------------------------------------------------
vm_start web || { not_ok "the VM boots"; finish; exit 1; }
ok "the VM serves HTTP on $VM_WEB_ADDR (booted in ${VM_WEB_BOOT_MS} ms)"
PF=$(free_port); PC=$(free_port)
cat >"$TMP/haproxy.cfg" <<EOF
global
  stats socket $TMP/haproxy.sock mode 600 level admin
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option redispatch
  retries 3
  retry-on conn-failure empty-response response-timeout
frontend fe
  bind 127.0.0.1:$PF
  default_backend be
backend be
  balance roundrobin
  server vm $VM_WEB_ADDR weight 100
  server ct 127.0.0.1:$PC weight 0
EOF
haproxy -f "$TMP/haproxy.cfg" -D -p "$TMP/haproxy.pid" || { not_ok "haproxy starts"; finish; exit 1; }
hap_pid=$(cat "$TMP/haproxy.pid")
for _ in $(seq 50); do curl -s -m 2 "http://127.0.0.1:$PF/" | grep -q "vm ok" && break; sleep 0.2; done
check "haproxy sends traffic to the VM" sh -c "curl -s -m 2 http://127.0.0.1:$PF/ | grep -q 'vm ok'"

weights() { # -> "VM CT"
  echo "show stat" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" 2>/dev/null |
    python3 -c 'import csv,sys
rows = list(csv.reader(l for l in sys.stdin if l.strip()))
h = rows[0]; h[0] = h[0].lstrip("# ")
w = {r[h.index("svname")]: r[h.index("weight")] for r in rows[1:] if r[0] == "be"}
print(w.get("vm", "?"), w.get("ct", "?"))'
}
playbook() { # playbook FILE IMAGE STRATEGY-YAML
  cat >"$1" <<EOF
version: 1
name: rt
analyses:
  health:
    metrics:
      - name: error-rate
        provider: {haproxy: {metric: http_5xx_rate}}
        failure_condition: result >= 0.05
        interval: 1s
        count: 2
        failure_limit: 0
  smoke:
    metrics:
      - name: direct
        provider: {http: {url: "http://127.0.0.1:$PC/", timeout: 1s}}
        success_condition: result == 1
        interval: 1s
        count: 2
gates:
  nope:
    webhook: {url: "http://127.0.0.1:${HOOK_PORT:-1}/gate", timeout: 2s}
after_cutover: {vm: drained, drain_timeout: 30s, rollback_window: 1h}
waves:
  - services:
      - name: hello
        vm: {qmp: "$VM_WEB_QMP", endpoint: "$VM_WEB_ADDR"}
        container:
          engine: "$SOCK"
          image: "$2"
          name: v2c-rt-hello
          ports: ["$PC:8081"]
          readiness: {path: /health, timeout: 60s}
        router: {socket: "$TMP/haproxy.sock", backend: be, vm_server: vm, container_server: ct}
        strategy:
$3
EOF
}
load() { # load N -> runs hey in the background, output in $TMP/hey.out
  hey -n "$1" -c 4 -q 25 -t 5 "http://127.0.0.1:$PF/" >"$TMP/hey.out" 2>&1 &
  hey_pid=$!
}
hey_clean() { # no error lines, every answer a 200
  ! grep -q "Error distribution" "$TMP/hey.out" && grep -q "\[200\]" "$TMP/hey.out" &&
    ! grep -qE "\[(5|4)[0-9][0-9]\]" "$TMP/hey.out"
}

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
start=$(date +%s%N)
st=0; timeout 300 "$V2C" rollout run "$TMP/canary.yaml" --state "$TMP/st1" >"$TMP/st1.out" 2>"$TMP/st1.err" || st=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$hey_pid" || true
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/st1.err"
check "canary 10 -> 50 -> 100 completes (${took} ms)" test "$st" -eq 0
check "... all traffic on the container, the VM drained" test "$(weights)" = "0 100"
check "... zero failed requests under load ($(grep -o '\[200\][^\n]*' "$TMP/hey.out" | head -1))" hey_clean || cat "$TMP/hey.out"
"$V2C" rollout status --state "$TMP/st1" --json >"$TMP/st1.json"
check "status --json says done" grep -qE '"phase": ?"done"' "$TMP/st1.json"
seqw=$(python3 -c 'import json,sys
print(" ".join("%d,%d" % (r["vm"], r["container"]) for r in map(json.loads, open(sys.argv[1])) if r.get("event") == "weights"))' "$TMP/st1/journal.jsonl")
check "the journal records every weight change in order ($seqw)" test "$seqw" = "100,0 90,10 50,50 0,100"

# --- rollback by command, then blue-green with manual promotion --------------------------
echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
st=0; "$V2C" rollout rollback --state "$TMP/st1" >/dev/null 2>"$TMP/rb.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/rb.err"
w=$(weights)
check "rollback after promotion: traffic back on the VM ($w), container stopped" \
  sh -c "test $st -eq 0 && test '$w' = '100 0' && ! podman ps --format '{{.Names}}' | grep -q v2c-rt-hello"
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
check "... the container is gone" sh -c "! podman ps -a --format '{{.Names}}' | grep -q v2c-rt-hello"
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

finish
