#!/usr/bin/env bash
# v2c rollout end to end, a webhook gate that answers 403 stops
# the rollout and rolls back; the same gate before a wave keeps it from
# starting (run --json: rolled-back, then stopped).
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, the fixture's hello service converted by v2c, pushed to
# a loopback registry and run by podman's Docker-compatible service, both
# behind a real HAProxy), its own state directory: it runs alone
# (`meson test -C build rollout-gate`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks

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
st=0; timeout 120 "$V2C" rollout run "$TMP/hook.yaml" --state "$TMP/st5" --json >"$TMP/st5.out" 2>"$TMP/st5.err" || st=$?
w=$(weights)
check "a webhook answering 403 stops the rollout and rolls back ($w)" \
  sh -c "test $st -eq 1 && grep -q 'answered 403' '$TMP/st5.err' && test '$w' = '100 0'"
check "... run --json: rolled-back, exit 1, the gate's answer as the reason" validate_result rollout "$TMP/st5.out" \
  "outcome rolled-back, exit 1::(doc['outcome'], doc['exit_status']) == ('rolled-back', 1) and '403' in doc['reason']" \
  "hello rolled back, at the gate's step, traffic on the VM::[(s['name'], s['phase'], s['step'], s['weights']) for s in doc['services']] == [('hello', 'rolled-back', 1, {'vm': 100, 'container': 0})] and '403' in doc['services'][0]['rollback_reason']"
# The same gate before the wave: nothing of it starts.
playbook "$TMP/wave.yaml" "$good" "          canary:
            steps:
              - setWeight: 100"
sed -i 's/^  - services:$/  - gates: [nope]\n    services:/' "$TMP/wave.yaml"
st=0; timeout 120 "$V2C" rollout run --json "$TMP/wave.yaml" --state "$TMP/st6" >"$TMP/st6.out" 2>"$TMP/st6.err" || st=$?
kill "$hook_pid" 2>/dev/null || true
w=$(weights)
check_or_show "$TMP/st6.err" "a wave's gate answering 403: exit 1, nothing moved ($w)" sh -c "test $st -eq 1 && test '$w' = '100 0'"
check "... run --json: stopped, hello still pending" validate_result rollout "$TMP/st6.out" \
  "outcome stopped, exit 1, the wave named::(doc['outcome'], doc['exit_status']) == ('stopped', 1) and 'did not start' in doc['reason']" \
  "hello pending::[(s['name'], s['phase'], s['step']) for s in doc['services']] == [('hello', 'pending', -1)]"
finish
