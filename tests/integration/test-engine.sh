#!/usr/bin/env bash
# rollout/engine.c against the real thing: podman's Docker-compatible
# service on a unix socket of the test's own (set up as
# ../shared/notes/ENVIRONMENT.md says: runc, cgroupfs, lowered ulimits),
# pulling from a loopback registry (registry-lib.sh) that its own
# registries.conf marks insecure.  tests/tools/engine-ctl drives the client:
# pull by digest, a tag refused before any request, create+start with a
# port on 127.0.0.1 that answers, inspect, logs, stop, remove, and clear
# errors for a missing socket, a silent engine and a taken name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
: "${ENGINE_CTL:?ENGINE_CTL must name tests/tools/engine-ctl}"
command -v podman >/dev/null || { echo "podman missing (scripts/setup.sh installs it)"; exit 1; }
fixture_root

tag="v2c-engine-$$"
SOCK="$TMP/podman.sock"
svc_pid=""
ref=""
cleanup() {
  podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^$tag-" | xargs -r timeout 60 podman rm -f >/dev/null 2>&1 || true
  [ -z "$ref" ] || timeout 60 podman rmi "$ref" >/dev/null 2>&1 || true
  if [ -n "$svc_pid" ]; then
    kill -TERM "$svc_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$svc_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$svc_pid" 2>/dev/null || true
  fi
  [ -z "${silent_pid:-}" ] || kill -TERM "$silent_pid" 2>/dev/null || true
  rm -rf "$TMP"
}
# registry_start puts registry_cleanup in front of this trap.
trap cleanup EXIT
ctl() { timeout 180 "$ENGINE_CTL" "$@"; }
quiet() { "$@" >/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# answers PORT PATTERN: the page at / matches within 30 s
answers() {
  local i
  for i in $(seq 1 60); do
    if curl -s -m 2 "http://127.0.0.1:$1/" 2>/dev/null | grep -q "$2"; then return 0; fi
    sleep 0.5
  done
  return 1
}
# fails CODE PATTERN CMD...: CMD exits with CODE and says PATTERN on stderr
fails() {
  local want=$1 pat=$2 st=0
  shift 2
  "$@" >"$TMP/out" 2>"$TMP/err" || st=$?
  if [ "$st" -ne "$want" ] || ! grep -q -- "$pat" "$TMP/err"; then
    echo "# exit $st (want $want); stderr: $(cat "$TMP/err")"
    return 1
  fi
}

registry_start reg || { not_ok "registry starts"; finish; exit 1; }
addr=$REG_REG_ADDR

# podman treats no loopback registry as insecure (Docker does), and its
# compat pull has no TLS switch: the service's registries.conf says so.
podman_env "$addr"
podman_service "$SOCK" || { cat "$TMP/service.log"; not_ok "podman system service starts"; finish; exit 1; }

check "ping answers OK" sh -c "'$ENGINE_CTL' '$SOCK' ping | grep -qx OK"
check "a missing socket: a clear error naming it (ENOENT, exit 3)" \
  fails 3 "no engine socket at \`$TMP/nope.sock\`" ctl "$TMP/nope.sock" ping
: >"$TMP/plain-file"
check "a file that is no socket: says so" fails 1 "is not a socket" ctl "$TMP/plain-file" ping
# An engine that accepts and never answers: the request's timeout ends it.
# It ends by itself after 20 s without a connection; its output goes to a
# file so that nothing it leaves behind holds the test's stdout open.
rm -f "$TMP/silent.sock"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4); s.settimeout(20)
conns = []
try:
    while True:
        conns.append(s.accept()[0])
except socket.timeout:
    pass' "$TMP/silent.sock" >"$TMP/silent.log" 2>&1 </dev/null &
silent_pid=$!
for _ in $(seq 50); do [ -S "$TMP/silent.sock" ] && break; sleep 0.1; done
start=$(date +%s%N)
st=0
fails 1 "no complete answer within 1000 ms" ctl --timeout-ms 1000 "$TMP/silent.sock" ping || st=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "a silent engine: the request times out (${took} ms)" test "$st" -eq 0 -a "$took" -lt 5000
kill -TERM "$silent_pid" 2>/dev/null || true

"$V2C" convert -s hello -o "$TMP/img" "$FIXTURES/root" >/dev/null 2>"$TMP/convert.err" \
  || { cat "$TMP/convert.err"; not_ok "convert hello"; finish; exit 1; }
ref=$("$V2C" push "$TMP/img:hello" "$addr/test/hello" 2>"$TMP/push.err" | tail -1) \
  || { cat "$TMP/push.err"; not_ok "push hello"; finish; exit 1; }
case $ref in "$addr/test/hello@sha256:"*) ok "pushed $ref" ;; *) not_ok "push prints a pinned ref ($ref)"; finish; exit 1 ;; esac

# Refused before any request: the registry sees nothing, and the same
# refusal comes without any engine at all.
before=$(wc -l <"$REG_REG_LOG")
check "a tag-only ref is refused (usage, exit 2)" fails 2 "is not pinned" ctl "$SOCK" pull "$addr/test/hello:latest"
check "... so is a tag with a digest" fails 2 "has a tag" ctl "$SOCK" pull "$addr/test/hello:latest@${ref#*@}"
check "... and a short name" fails 2 "names no registry" ctl "$SOCK" pull "test/hello@${ref#*@}"
check "... before any request (no engine needed)" fails 2 "is not pinned" ctl "$TMP/nope.sock" pull "$addr/test/hello"
check "... and the registry saw no request" test "$(wc -l <"$REG_REG_LOG")" -eq "$before"

check "pull by digest" ctl "$SOCK" pull "$ref"
check "... the image is in podman's store" podman image exists "$ref"
check "pulling again is fine" ctl "$SOCK" pull "$ref"
missing="$addr/test/hello@sha256:$(printf '%064d' 0)"
check "a digest the registry lacks: the stream's error line (HTTP 200) is an error" \
  fails 1 "manifest unknown" ctl "$SOCK" pull "$missing"

hp=$(free_port)
id=$(ctl "$SOCK" run "$tag-hello" "$ref" "8081:$hp" 2>"$TMP/run.err") || { cat "$TMP/run.err"; id=""; }
check "create + start gives an id" sh -c "echo '$id' | grep -Eq '^[0-9a-f]{64}$'"
check "hello-server answers on 127.0.0.1:$hp" answers "$hp" hello
check "... bound on 127.0.0.1 only" \
  sh -c "podman inspect -f '{{json .HostConfig.PortBindings}}' '$tag-hello' | grep -q '\"HostIp\":\"127.0.0.1\"'"
check "... with the environment given" \
  sh -c "podman inspect -f '{{json .Config.Env}}' '$tag-hello' | grep -q 'V2C_ENGINE_TEST=1'"
check "inspect: running" sh -c "'$ENGINE_CTL' '$SOCK' inspect '$id' | grep -Eq '^running=true status=running exit_code=0 pid=[1-9][0-9]* tty=false$'"
check "inspect by name too" sh -c "'$ENGINE_CTL' '$SOCK' inspect '$tag-hello' | grep -q '^running=true'"
check "starting it again is fine (304)" ctl "$SOCK" start "$id"
check "a second container" quiet ctl "$SOCK" run "$tag-hello2" "$ref" "8081:$(free_port)"
check "a taken name: EEXIST with podman's message (HTTP 500 there, 409 in Docker)" \
  fails 1 "already in use.*EEXIST" ctl "$SOCK" run "$tag-hello" "$ref" "8081:$(free_port)"
check "removing a running container without force: EBUSY" fails 1 "EBUSY" ctl "$SOCK" rm "$tag-hello2"
check "... with force: gone" ctl "$SOCK" rm "$tag-hello2" --force
check "logs come back (demultiplexed)" sh -c "'$ENGINE_CTL' '$SOCK' logs '$id' 10 | grep -q '^hello-server: listening'"

start=$(date +%s)
check "stop" ctl "$SOCK" stop "$id" 10
took=$(( $(date +%s) - start ))
check "... within its timeout (${took}s)" test "$took" -lt 12
check "... it exited" sh -c "'$ENGINE_CTL' '$SOCK' inspect '$id' | grep -Eq '^running=false status=exited exit_code=[0-9]+ pid=0 '"
check "... stopping again is fine (304)" ctl "$SOCK" stop "$id" 1
check "... curl no longer gets an answer" sh -c "! curl -s -m 2 http://127.0.0.1:$hp/ >/dev/null 2>&1"
check "logs of a stopped container" sh -c "'$ENGINE_CTL' '$SOCK' logs '$id' 1 | grep -q 'stopping'"
check "remove" ctl "$SOCK" rm "$id"
check "... inspect: not found (exit 3)" fails 3 "no container with name or ID" ctl "$SOCK" inspect "$id"
check "... removing again: not found (exit 3)" fails 3 "ENOENT" ctl "$SOCK" rm "$id"
check "an id that is no name is refused" fails 2 "not a container name" ctl "$SOCK" inspect "../../images/json"

kill -TERM "$svc_pid" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$svc_pid" 2>/dev/null || break; sleep 0.1; done
svc_pid=""
check "the engine gone: a clear error" fails 3 "no engine socket at \`$SOCK\`" ctl "$SOCK" ping

finish
