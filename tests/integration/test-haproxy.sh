#!/usr/bin/env bash
# rollout/haproxy.c against a real HAProxy (Debian's 2.6): one frontend on
# loopback, backend `be` (roundrobin) with servers `vm` and `ct`, two tiny
# HTTP servers that answer with their name, the stats socket at level
# admin.  tests/tools/haproxy-ctl drives it through the library: weights
# move what clients see and what `show stat` counts (lbtot), a switch under
# load drops nothing, drain + wait-drained wait for a slow request to end,
# HAProxy's refusals and a missing, mute or flooding socket are errors
# that say why.
. "$(dirname "$0")/lib.sh"
: "${HAPROXY_CTL:?HAPROXY_CTL must name tests/tools/haproxy-ctl}"
for p in haproxy curl python3; do
  command -v $p >/dev/null || { echo "$p missing (scripts/setup.sh installs it)"; exit 1; }
done

pids=()
cleanup() {
  if [ -f "$TMP/haproxy.pid" ]; then kill "$(cat "$TMP/haproxy.pid")" 2>/dev/null || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ctl() { "$HAPROXY_CTL" "$@"; }

# An HTTP server on loopback answering "NAME\n"; /slow answers only once the
# file $TMP/gate exists (at most 20 s): the test, not the clock, decides
# when the slow request ends, so a loaded machine cannot reorder the checks.
cat >"$TMP/server.py" <<'EOF'
import http.server, os, sys, time
name, port, gate = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            deadline = time.time() + 20
            while not os.path.exists(gate) and time.time() < deadline:
                time.sleep(0.02)
        body = (name + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
# A unix socket that is not HAProxy: MODE mute (accepts, never answers)
# or flood (answers 5 MiB).
cat >"$TMP/fake.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
deadline = time.time() + 30
while time.time() < deadline:
    c, _ = s.accept()
    c.recv(4096)
    if sys.argv[2] == "flood":
        try: c.sendall(b"# pxname,svname\n" + b"x" * (5 << 20))
        except OSError: pass
    else:
        time.sleep(3)
    c.close()
EOF

fe=$(free_port) vm=$(free_port) ct=$(free_port)
python3 "$TMP/server.py" vm "$vm" "$TMP/gate" & pids+=($!)
python3 "$TMP/server.py" ct "$ct" "$TMP/gate" & pids+=($!)
sock="$TMP/haproxy.sock"
cat >"$TMP/haproxy.cfg" <<EOF
global
  stats socket $sock mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 15s
  option redispatch
  retries 3
  retry-on conn-failure empty-response
frontend fe
  bind 127.0.0.1:$fe
  default_backend be
backend be
  balance roundrobin
  server vm 127.0.0.1:$vm weight 100
  server ct 127.0.0.1:$ct weight 100
EOF
# -D: HAProxy forks to the background and writes its pid; cleanup kills it.
haproxy -f "$TMP/haproxy.cfg" -D -p "$TMP/haproxy.pid" 2>"$TMP/haproxy.err" \
  || { cat "$TMP/haproxy.err"; not_ok "haproxy starts"; finish; exit 1; }
up() { # every part answers within 10 s
  local i
  for i in $(seq 1 100); do
    if curl -sf -m 1 "http://127.0.0.1:$vm/" >/dev/null && curl -sf -m 1 "http://127.0.0.1:$ct/" >/dev/null &&
       ctl "$sock" stat >/dev/null 2>&1 && curl -sf -m 1 "http://127.0.0.1:$fe/" >/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
up || { cat "$TMP/haproxy.err"; not_ok "haproxy and its servers start"; finish; exit 1; }
ok "haproxy $(haproxy -v | awk 'NR==1{print $3}') runs with servers vm and ct"

# requests N -> "VM CT" answered through the frontend (curl, one at a time)
requests() {
  local i vmc=0 ctc=0 a
  for i in $(seq 1 "$1"); do
    a=$(curl -s -m 5 "http://127.0.0.1:$fe/") || true
    case $a in vm) vmc=$((vmc + 1)) ;; ct) ctc=$((ctc + 1)) ;; esac
  done
  echo "$vmc $ctc"
}
# field SERVER NAME -> the value of NAME in `haproxy-ctl stat`'s line for be/SERVER
field() { ctl "$sock" stat | awk -v s="be/$2" -v f="$1" '$1 == s { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'; }
# within WANT PART TOTAL: PART/TOTAL is within 5 points of WANT %
within() { [ "$3" -gt 0 ] && [ $(( ($2 * 100 / $3 - $1) * ($2 * 100 / $3 - $1) )) -le 25 ]; }
# weights VM CT: sets both, raising one before lowering the other, so that
# both are never 0 at once (HAProxy would answer 503 itself, no retry helps)
weights() {
  if [ "$1" -ge "$2" ]; then
    ctl "$sock" weight be vm "$1" && ctl "$sock" weight be ct "$2"
  else
    ctl "$sock" weight be ct "$2" && ctl "$sock" weight be vm "$1"
  fi
}
# hey_ok FILE N: hey saw N answers of status 200 and no error
hey_ok() {
  if grep -q "\[200\][[:space:]]*$2 responses" "$1" && ! grep -q 'Error distribution' "$1"; then return 0; fi
  cat "$1"
  return 1
}

ctl "$sock" stat >"$TMP/stat0" 2>&1 || cat "$TMP/stat0"
check "stat lists be/vm and be/ct, frontend and backend rows left out" \
  sh -c "grep -q '^be/vm status=.* weight=100 ' '$TMP/stat0' && grep -q '^be/ct ' '$TMP/stat0' && test \$(wc -l <'$TMP/stat0') -eq 2"

# --- weights ---
check "set weight vm 0" ctl "$sock" weight be vm 0
check "set weight ct 100" ctl "$sock" weight be ct 100
check "... stat shows weight 0 for vm" test "$(field weight vm)" = 0
read -r v c < <(requests 40)
check "vm 0 / ct 100: all 40 answers from ct (vm $v, ct $c)" test "$v" -eq 0 -a "$c" -eq 40

weights 50 50 || not_ok "set weights 50/50"
lv0=$(field lbtot vm) lc0=$(field lbtot ct)
read -r v c < <(requests 200)
lv=$(( $(field lbtot vm) - lv0 )) lc=$(( $(field lbtot ct) - lc0 ))
check "50/50: all 200 answered, both within 5 points of 50% (vm $v, ct $c)" \
  sh -c "test $v -gt 0 -a $c -gt 0 -a $((v + c)) -eq 200"
check "... ($v of 200 from vm)" within 50 "$v" 200
check "... lbtot deltas match what clients saw (vm +$lv, ct +$lc)" test "$lv" -eq "$v" -a "$lc" -eq "$c"

if command -v hey >/dev/null; then
  weights 25 75 || not_ok "set weights 25/75"
  lv0=$(field lbtot vm) lc0=$(field lbtot ct)
  hey -n 200 -c 4 -t 5 "http://127.0.0.1:$fe/" >"$TMP/hey.out" 2>&1 || true
  lv=$(( $(field lbtot vm) - lv0 )) lc=$(( $(field lbtot ct) - lc0 ))
  check "25/75 under hey -n 200 -c 4: all 200 answered 200" hey_ok "$TMP/hey.out" 200
  check "... lbtot deltas within 5 points of 75% for ct (vm +$lv, ct +$lc)" within 75 "$lc" $((lv + lc))

  # Switching back and forth under constant load drops nothing.
  weights 100 0 || not_ok "set weights 100/0"
  hey -n 3000 -c 4 -t 5 "http://127.0.0.1:$fe/" >"$TMP/hey2.out" 2>&1 & hp=$!
  for w in 0 50 100 0 100 25; do
    sleep 0.2
    weights $((100 - w)) "$w" || not_ok "switch to ct $w"
  done
  wait "$hp" || true
  check "weights switched 6 times under hey -n 3000: every answer 200, no errors" hey_ok "$TMP/hey2.out" 3000
else
  not_ok "hey missing (scripts/setup.sh installs it)"
fi

# --- drain ---
weights 100 0 || not_ok "set weights 100/0"
curl -s -m 30 "http://127.0.0.1:$fe/slow" >"$TMP/slow.out" & slow=$!
for i in $(seq 1 100); do [ "$(field scur vm)" = 1 ] && break; sleep 0.05; done
check "a slow request holds a session on vm (scur $(field scur vm))" test "$(field scur vm)" = 1
ctl "$sock" weight be ct 100 || not_ok "set weight ct 100"
check "set state vm drain" ctl "$sock" state be vm drain
check "... stat shows vm DRAIN" test "$(field status vm)" = DRAIN
set +e
ctl "$sock" wait-drained be vm 200 2>"$TMP/wd.err"; st=$?
set -e
check "wait-drained 200 ms times out (exit 3) while the request runs: $(cat "$TMP/wd.err")" \
  sh -c "test $st -eq 3 && grep -q 'be/vm. still has 1 sessions' '$TMP/wd.err'"
read -r v c < <(requests 20)
check "a drained vm gets no new request (vm $v, ct $c)" test "$v" -eq 0 -a "$c" -eq 20
ctl "$sock" wait-drained be vm 20000 & wd=$!
sleep 1
running() { jobs -rp | grep -qx "$1"; }
check "wait-drained still waits while the slow request runs (1 s later)" running "$wd"
touch "$TMP/gate"
set +e
wait "$wd"; st=$?
set -e
wait "$slow" || true
check "... and returns (exit $st) once it is done; the slow request got its answer from vm" \
  sh -c "test $st -eq 0 && test \"\$(cat '$TMP/slow.out')\" = vm"
check "wait-drained on an idle server returns at once" ctl "$sock" wait-drained be vm 0
check "set state vm ready" ctl "$sock" state be vm ready
read -r v c < <(requests 20)
check "... vm answers again (vm $v, ct $c)" test "$v" -gt 0

# --- errors ---
fails() { # fails STATUS PATTERN COMMAND...: exits STATUS and says PATTERN on stderr
  local want=$1 pat=$2 st
  shift 2
  set +e
  "$@" >/dev/null 2>"$TMP/err"; st=$?
  set -e
  if [ "$st" -eq "$want" ] && grep -q -- "$pat" "$TMP/err"; then return 0; fi
  echo "exit $st: $(cat "$TMP/err")"
  return 1
}
check "unknown server: an error with HAProxy's message" \
  fails 1 "haproxy refused .set server be/nope weight 10.: No such server." ctl "$sock" weight be nope 10
check "unknown backend: likewise" fails 1 "No such backend." ctl "$sock" state nobe vm drain
check "wait-drained on an unknown backend: HAProxy's answer" fails 1 "No such proxy." ctl "$sock" wait-drained nobe vm 100
check "wait-drained on an unknown server of be" fails 1 "be/nope.* no such server" ctl "$sock" wait-drained be nope 100
check "weight 257 refused before HAProxy sees it" fails 1 "above haproxy's limit 256" ctl "$sock" weight be vm 257
check "a name that would smuggle a command is refused" \
  fails 1 "not a haproxy server name" ctl "$sock" weight be "vm;disable server be/ct" 1
check "... and nothing changed: ct still takes traffic" test "$(field status ct)" != MAINT
check "raw command: HAProxy's answer as is" sh -c "'$HAPROXY_CTL' '$sock' raw 'get weight be/vm' | grep -q '^100 (initial 100)'"
check "a missing socket: a clear error" \
  fails 1 "stats socket .$TMP/missing.sock.: No such file or directory (is haproxy running" ctl "$TMP/missing.sock" stat
python3 "$TMP/fake.py" "$TMP/mute.sock" mute & pids+=($!)
python3 "$TMP/fake.py" "$TMP/flood.sock" flood & pids+=($!)
for i in $(seq 1 50); do [ -S "$TMP/mute.sock" ] && [ -S "$TMP/flood.sock" ] && break; sleep 0.1; done
check "a socket that never answers: timeout (exit 3)" fails 3 "no complete answer" ctl -t 300 "$TMP/mute.sock" stat
check "an answer over 4 MiB is cut off" fails 1 "larger than 4194304 bytes" ctl "$TMP/flood.sock" stat
check "a socket that is no socket" fails 1 "Connection refused" ctl "$TMP/haproxy.cfg" stat

finish
