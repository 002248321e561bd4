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
# Then nginx, whose TLS key and htpasswd convert kept out of its image: its
# manifest mounts them from the Secret "nginx-files", which the test writes
# (the guest's own files, as an operator would from wherever they keep
# them) in front of the manifest (podman 4.3 cannot mount a Secret's items
# by subPath: for it the test projects them as the kubelet would, each
# file at the manifest's mountPath, see below).  It plays, serves HTTPS with the guest's
# certificate and key inside its pod, and its process runs as the
# manifest says (read from /proc, not from podman: no_new_privs set, its
# effective capabilities exactly the manifest's, / mounted read-only).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
command -v podman >/dev/null || { echo "podman missing (scripts/setup.sh installs it)"; exit 1; }
fixture_root
src="$FIXTURES/root"
registry_start kube
A=$REG_KUBE_ADDR
podman_env "$A"
yaml="$TMP/k/v2c/hello.k8s.yaml"
nyaml="$TMP/nginx-play.yaml"
cleanup() {
  [ -e "$yaml" ] && podman kube down "$yaml" >/dev/null 2>&1 || true
  [ -e "$nyaml" ] && podman kube down "$nyaml" >/dev/null 2>&1 || true
  # podman 4.3's kube down leaves the secret kube play made, and the
  # volume it wrote the secret's files into
  podman secret rm nginx-files >/dev/null 2>&1 || true
  podman volume rm -f nginx-files >/dev/null 2>&1 || true
  registry_cleanup
  rm -rf "$TMP"
}
trap cleanup EXIT

st=0; "$V2C" convert -s hello -s nginx -o "$TMP/k" "$src" --push "$A/v2c" --plain-http >"$TMP/k.out" 2>"$TMP/k.err" || st=$?
check_or_show "$TMP/k.err" "convert --push of hello and nginx (exit 0, got $st)" test "$st" -eq 0
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

# --- nginx, its secret files from the Secret the test supplies ----------------------
# what a run that died before its cleanup left
podman secret rm nginx-files >/dev/null 2>&1 || true
podman volume rm -f nginx-files >/dev/null 2>&1 || true
python3 - "$TMP/k/v2c/nginx.k8s.yaml" "$src" "$nyaml" "$TMP/nginx-files" "$(podman version --format '{{.Client.Version}}')" <<'PY'
import base64, os, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
dep = next(d for d in docs if d["kind"] == "Deployment")
vol = next(v for v in dep["spec"]["template"]["spec"]["volumes"] if "secret" in v)
# The Secret the manifest names, with a key for each item it mounts: the
# guest's own file at the path the container mounts it at.
mounts = {m["subPath"]: m["mountPath"] for m in dep["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
          if m["name"] == vol["name"]}
data = {i["key"]: base64.b64encode(open(sys.argv[2] + mounts[i["path"]], "rb").read()).decode()
        for i in vol["secret"]["items"]}
secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": vol["secret"]["secretName"]},
          "type": "Opaque", "data": data}
# Podman 4.3 (Debian 12's 4.3.1, measured) cannot mount a Secret's items
# as the manifest does: it has no subPath (4.4 added it) and mounts the
# whole volume at each mountPath, writes each value still base64-encoded,
# and dies unless `optional` is set.  For it the test does what the
# kubelet does with the Secret (each decoded item a file of its own, with
# its `mode`) and mounts each at the manifest's mountPath, read-only, by a
# hostPath volume of its own.
if tuple(int(x) for x in sys.argv[5].split(".")[:2]) <= (4, 3):
    os.makedirs(sys.argv[4], mode=0o700)
    pod = dep["spec"]["template"]["spec"]
    pod["volumes"].remove(vol)
    for i in vol["secret"]["items"]:
        p = os.path.join(sys.argv[4], i["path"])
        with open(p, "wb") as f:
            f.write(base64.b64decode(secret["data"][i["key"]]))
        os.chmod(p, i["mode"])
        name = "secret-item-%d" % len(pod["volumes"])
        pod["volumes"].append({"name": name, "hostPath": {"path": p, "type": "File"}})
        for m in pod["containers"][0]["volumeMounts"]:
            if m["name"] == vol["name"] and m["subPath"] == i["path"]:
                m["name"] = name
                del m["subPath"]
with open(sys.argv[3], "w") as f:
    f.write(yaml.safe_dump(secret) + "---\n" + yaml.safe_dump_all(docs))
PY
check "nginx's Secret (nginx-files) holds its TLS key and htpasswd, in front of its manifest" \
  python3 -c 'import sys, yaml; d = list(yaml.safe_load_all(open(sys.argv[1])))
assert d[0]["kind"] == "Secret" and sorted(d[0]["data"]) == [".htpasswd", "web01.key"], d[0].get("data", {}).keys()' "$nyaml"
st=0; timeout 180 podman kube play "$nyaml" >"$TMP/nplay.out" 2>"$TMP/nplay.err" || st=$?
check_or_show "$TMP/nplay.err" "podman kube play of nginx's manifest with its Secret starts its pod (exit 0, got $st)" test "$st" -eq 0
npod=$(awk '/^Pod:/ { getline; print; exit }' "$TMP/nplay.out")
nctr=$( (podman pod inspect "$npod" --format '{{range .Containers}}{{.Name}}{{"\n"}}{{end}}' 2>/dev/null || true) |
  awk '$1 != "" && $1 !~ /-infra$/ { print $1; exit }')
npid=0
for _ in $(seq 20); do
  npid=$(podman inspect -f '{{.State.Pid}}' "$nctr" 2>/dev/null || echo 0)
  [ "${npid:-0}" -gt 0 ] && break
  sleep 0.5
done
tls_page() { nsenter -t "$npid" -n curl -sk -m 3 "https://127.0.0.1:8443/"; }
got=""
for _ in $(seq 30); do got=$(tls_page 2>/dev/null) && [ -n "$got" ] && break; sleep 0.5; done
podman logs "$nctr" >"$TMP/nginx.log" 2>&1 || true
check_or_show "$TMP/nginx.log" "... and nginx serves its page over TLS on 8443 inside the pod (container ${nctr:-none}, pid $npid)" \
  sh -c "echo '$got' | grep -q 'fixture page'"
check "... with the guest's certificate, its key from the Secret" sh -c \
  "echo | nsenter -t '$npid' -n openssl s_client -connect 127.0.0.1:8443 2>/dev/null | openssl x509 -noout -fingerprint -sha256 |
   grep -qF \"\$(openssl x509 -in '$src/etc/ssl/certs/web01.crt' -noout -fingerprint -sha256)\""
check "nginx's container runs hardened, as /proc shows its first process: no_new_privs, its effective capabilities the manifest's, / read-only" \
  python3 - "$npid" "$TMP/k/v2c/nginx.k8s.yaml" <<'PY'
import sys, yaml
pid = sys.argv[1]
d = next(x for x in yaml.safe_load_all(open(sys.argv[2])) if x["kind"] == "Deployment")
sc = d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True, sc
st = dict(l.split(":", 1) for l in open("/proc/%s/status" % pid))
assert st["NoNewPrivs"].strip() == "1", st["NoNewPrivs"]
bits = {"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "FSETID": 4, "KILL": 5, "SETGID": 6, "SETUID": 7,
        "SETPCAP": 8, "NET_BIND_SERVICE": 10, "SYS_CHROOT": 18, "SETFCAP": 31}
want = sum(1 << bits[c] for c in sc["capabilities"]["add"])
assert sc["capabilities"]["drop"] == ["ALL"], sc["capabilities"]
assert int(st["CapEff"], 16) == want, (st["CapEff"], hex(want))
root = [l.split() for l in open("/proc/%s/mountinfo" % pid) if l.split()[4] == "/"]
assert root and "ro" in root[-1][5].split(","), root
PY
st=0; podman kube down "$nyaml" >/dev/null 2>"$TMP/ndown.err" || st=$?
check_or_show "$TMP/ndown.err" "podman kube down removes nginx's pod (exit 0, got $st)" \
  sh -c "test $st -eq 0 && ! podman pod exists '$npod'"
finish
