#!/usr/bin/env bash
# The Kubernetes manifests v2c writes, run by a real client: `podman kube
# play` of the Deployment `convert --push` wrote for the fixture's hello (a
# non-root server whose executable holds a file capability, DynamicUser= on
# the VM), its image pulled by digest from a loopback registry.  The pod
# starts, its container runs with the hardened spec the manifest asks for
# (as podman's own inspect reports it: read-only root, every capability
# dropped but NET_BIND_SERVICE, DynamicUser's fixed uid, /tmp writable), and
# it answers on its port inside the pod's network namespace (entered with
# nsenter, as --verify does: a namespace this test made, nothing else is
# contacted).  Then `podman kube down` removes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
command -v podman >/dev/null || { echo "podman missing (scripts/setup.sh installs it)"; exit 1; }
fixture_root
src="$FIXTURES/root"
registry_start kube
A=$REG_KUBE_ADDR
podman_env "$A"
yaml="$TMP/k/v2c/hello.k8s.yaml"
cleanup() {
  [ -e "$yaml" ] && podman kube down "$yaml" >/dev/null 2>&1 || true
  registry_cleanup
  rm -rf "$TMP"
}
trap cleanup EXIT

st=0; "$V2C" convert -s hello -o "$TMP/k" "$src" --push "$A/v2c" --plain-http >"$TMP/k.out" 2>"$TMP/k.err" || st=$?
check_or_show "$TMP/k.err" "convert --push of hello (exit 0, got $st)" test "$st" -eq 0
d=$(awk '$1 == "hello" { print $2 }' "$TMP/k.out")
check "its manifest pulls it by digest from the registry" grep -q "image: \"$A/v2c/hello@$d\"" "$yaml"

st=0; timeout 180 podman kube play "$yaml" >"$TMP/play.out" 2>"$TMP/play.err" || st=$?
check_or_show "$TMP/play.err" "podman kube play of hello's manifest starts its pod (exit 0, got $st)" test "$st" -eq 0
pod=$(awk '/^Pod:/ { getline; print; exit }' "$TMP/play.out")
ctr=$( (podman pod inspect "$pod" --format '{{range .Containers}}{{.Name}}{{"\n"}}{{end}}' 2>/dev/null || true) |
  awk '$1 != "" && $1 !~ /-infra$/ { print $1; exit }')
check "... with hello's container in it (pod ${pod:-none}, container ${ctr:-none})" test -n "$ctr"
running=false
for _ in $(seq 20); do
  [ "$(podman inspect -f '{{.State.Running}}' "$ctr" 2>/dev/null)" = true ] && { running=true; break; }
  sleep 0.5
done
sleep 2
check "... running, and still running 2 s later" sh -c "$running && test \"\$(podman inspect -f '{{.State.Running}}' '$ctr')\" = true"
podman inspect "$ctr" >"$TMP/ctr.json" 2>/dev/null || echo '[]' >"$TMP/ctr.json"
check "podman runs it as the manifest's securityContext says: read-only root, only NET_BIND_SERVICE, DynamicUser's uid, /tmp writable" \
  python3 - "$TMP/ctr.json" "$yaml" <<'PY'
import json, sys, yaml
c = json.load(open(sys.argv[1]))[0]
d = next(x for x in yaml.safe_load_all(open(sys.argv[2])) if x["kind"] == "Deployment")
sc = d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
hc = c["HostConfig"]
assert hc["ReadonlyRootfs"] is True, hc["ReadonlyRootfs"]
assert c["EffectiveCaps"] == ["CAP_NET_BIND_SERVICE"], c["EffectiveCaps"]
assert c["Config"]["User"].split(":")[0] == str(sc["runAsUser"]) and 61184 <= sc["runAsUser"] <= 65519, c["Config"]["User"]
assert any(m["Destination"] == "/tmp" for m in c["Mounts"]), c["Mounts"]
PY
pid=$(podman inspect -f '{{.State.Pid}}' "$ctr" 2>/dev/null || echo 0)
answer() { # the first bytes hello-server sends back on 127.0.0.1:8081 inside the pod
  nsenter -t "$pid" -n python3 - <<'PY'
import socket
s = socket.create_connection(("127.0.0.1", 8081), timeout=3)
s.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
print(s.recv(64).decode("latin-1").splitlines()[0])
PY
}
got=""
for _ in $(seq 20); do got=$(answer 2>/dev/null) && [ -n "$got" ] && break; sleep 0.5; done
check "... and answers on its port inside the pod's network (${got:-nothing})" test -n "$got"
st=0; podman kube down "$yaml" >/dev/null 2>"$TMP/down.err" || st=$?
check_or_show "$TMP/down.err" "podman kube down removes it (exit 0, got $st)" \
  sh -c "test $st -eq 0 && ! podman pod exists '$pod'"
finish
