# The rollout test bed, sourced after lib.sh, registry-lib.sh and vm-lib.sh
# (by each tests/integration/test-rollout-*.sh and by bench/rollout): a
# loopback registry holding the fixture's hello service converted by v2c
# ($good) and, with part `bad`, a build of it whose / answers 500 ($bad);
# podman's Docker-compatible API on $SOCK; the test VM serving "vm ok"
# ($VM_WEB_ADDR, QMP $VM_WEB_QMP); HAProxy on 127.0.0.1:$PF with backend
# `be`, servers `vm` (weight 100) and `ct` (127.0.0.1:$PC, weight 0), and
# the same on $PF2 with `be2` (a second service of the same VM; its
# container on $PC2), runtime API on $TMP/haproxy.sock, Prometheus exporter
# on $PM; with part `prometheus`, scraped every second by Prometheus on $PP
# (analysis `prom`: the container's 5xx rate).
# ROLLOUT_ENV_PARTS (set before sourcing) lists the optional parts, among
# "bad prometheus"; unset, all of them (bench/rollout).  Each test starts
# its own bed in its own $TMP: scenarios share no state.
# Helpers: weights (-> "VM CT"), playbook FILE IMAGE STRATEGY, load N
# (hey in the background), hey_clean, free_port, vm_ready (HAProxy's vm
# server back to ready before a rollback), bed_checks (the bed's own
# checks, printed by each test).  Everything stops at exit.
ROLLOUT_ENV_PARTS=${ROLLOUT_ENV_PARTS-bad prometheus}
rollout_part() { case " $ROLLOUT_ENV_PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
need_tools="podman haproxy hey qemu-system-x86_64"
! rollout_part prometheus || need_tools+=" prometheus"
for t in $need_tools; do
  command -v "$t" >/dev/null || { echo "$t missing (scripts/setup.sh installs it)"; exit 1; }
done
fixture_root

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SOCK="$TMP/podman.sock"
# The container's name, unique to this run (podman's storage is shared).
CT="v2c-rt-$$"
svc_pid="" hap_pid="" prom_pid=""
cleanup() {
  # The VM too: a test that sets its own EXIT trap calling this one has
  # replaced the trap vm-lib.sh armed at vm_start (rollout-nonroot and
  # rollout-watch left their VMs running).
  ! declare -F vm_cleanup >/dev/null || vm_cleanup || true
  podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^$CT(-2)?\$" | xargs -r timeout 60 podman rm -f >/dev/null 2>&1 || true
  [ -z "$hap_pid" ] || kill "$hap_pid" 2>/dev/null || true
  [ -z "$prom_pid" ] || kill "$prom_pid" 2>/dev/null || true
  [ -z "$svc_pid" ] || { kill "$svc_pid" 2>/dev/null || true; sleep 0.5; kill -9 "$svc_pid" 2>/dev/null || true; }
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- the container side: images in a loopback registry, podman's API ---------------
registry_start reg || { echo "rollout-env: the registry does not start" >&2; exit 1; }
R=$REG_REG_ADDR
"$V2C" convert -s hello -o "$TMP/img" "$FIXTURES/root" >/dev/null 2>&1
good=$("$V2C" push "$TMP/img:hello" "$R/rt/hello" 2>/dev/null)
[ -n "$good" ] || { echo "rollout-env: pushing the test image failed" >&2; exit 1; }
bad=""
if rollout_part bad; then
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
  [ -n "$bad" ] || { echo "rollout-env: pushing the broken test image failed" >&2; exit 1; }
fi

podman_env "$R"
podman_service "$SOCK" || { echo "rollout-env: podman's API service does not start" >&2; tail -5 "$TMP/service.log" >&2; exit 1; }

# --- the VM and the router -----------------------------------------------------------
vm_start web || { echo "rollout-env: the VM does not boot" >&2; exit 1; }
PF=$(free_port); PC=$(free_port); PF2=$(free_port); PC2=$(free_port); PM=$(free_port); PP=$(free_port)
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
frontend metrics
  bind 127.0.0.1:$PM
  http-request use-service prometheus-exporter
frontend fe2
  bind 127.0.0.1:$PF2
  default_backend be2
backend be2
  balance roundrobin
  server vm $VM_WEB_ADDR weight 100
  server ct 127.0.0.1:$PC2 weight 0
EOF
haproxy -f "$TMP/haproxy.cfg" -D -p "$TMP/haproxy.pid" || { echo "rollout-env: haproxy does not start" >&2; exit 1; }
hap_pid=$(cat "$TMP/haproxy.pid")
for _ in $(seq 50); do curl -s -m 2 "http://127.0.0.1:$PF/" | grep -q "vm ok" && break; sleep 0.2; done

if rollout_part prometheus; then
  # Prometheus scraping HAProxy's exporter every second.
  cat >"$TMP/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: haproxy
    static_configs: [{targets: ["127.0.0.1:$PM"]}]
EOF
  prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus" \
    --web.listen-address="127.0.0.1:$PP" --log.level=warn >"$TMP/prometheus.log" 2>&1 </dev/null &
  prom_pid=$!
  for _ in $(seq 100); do
    curl -s -m 2 "http://127.0.0.1:$PP/api/v1/query?query=up" 2>/dev/null | grep -q '"value":\[[0-9.]*,"1"\]' && break
    sleep 0.2
  done
  curl -s -m 2 "http://127.0.0.1:$PP/api/v1/query?query=up" | grep -q '"value":\[[0-9.]*,"1"\]' ||
    { echo "rollout-env: Prometheus does not scrape HAProxy" >&2; tail -5 "$TMP/prometheus.log" >&2; exit 1; }
fi
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
  prom:
    metrics:
      - name: ct-5xx
        provider:
          prometheus:
            address: "http://127.0.0.1:$PP"
            query: 'sum(rate(haproxy_server_http_responses_total{proxy="be",server="ct",code="5xx"}[3s]))'
            timeout: 1s
        failure_condition: result > 0
        interval: 1s
        count: 8
        failure_limit: 0
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
          name: $CT
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
vm_ready() { # HAProxy's vm server back to ready (v2c drained it) before a rollback
  echo "set server be/vm state ready" | socat - "UNIX-CONNECT:$TMP/haproxy.sock" >/dev/null
}
bed_checks() { # the bed's own checks, the first lines of each test's output
  ok "images pushed by digest: $good"
  ok "the VM serves HTTP on $VM_WEB_ADDR (booted in ${VM_WEB_BOOT_MS} ms)"
  check "haproxy sends traffic to the VM" sh -c "curl -s -m 2 http://127.0.0.1:$PF/ | grep -q 'vm ok'"
}
