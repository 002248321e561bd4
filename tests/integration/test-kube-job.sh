#!/usr/bin/env bash
# v2c kube-job: the fleet of a manifest as a Kubernetes Indexed Job.
# There is no cluster here, so the Job is checked every way that needs
# none, and each check can fail:
#   - bad input first: an image not pinned by digest, names Kubernetes
#     refuses, disk paths outside the claim, guests whose names collide, a
#     guest list over a ConfigMap's 1 MiB: exit 2 or 3, nothing written;
#   - the objects against the API's own types, offline: Debian's
#     python3-kubernetes models (check-kube-objects.py: every field known
#     to Kubernetes 1.22, types, required fields), kubectl decoding them
#     (`label --local`) and a typed round trip through kubectl's batch/v1
#     Go types (`set env --local`: a field kubectl does not know is lost);
#   - what the Job says: one completion per guest, index I mapped to guest
#     I's disks, the pinned image, read-only disk mounts, no host network,
#     no privilege, /dev/kvm from the device plugin (or TCG);
#   - what each pod does: kube-pod-run.py runs the pod's command as the
#     kubelet would start it (its expansion of $(VAR), its env, the
#     ConfigMap as files, the claims as directories) with this v2c, per
#     index, over fixture guests whose paths and names are hostile (quotes,
#     braces, `$(...)`, a glob, a backslash): reports on the results
#     claim, a guest v2c cannot do recorded and its pod exiting 0, images
#     pushed to a loopback registry with the Secret's credentials;
#   - `kubectl apply --dry-run=client` when a cluster answers on loopback
#     (it needs the API server's discovery): a skip line here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
PY=/usr/bin/python3   # Debian's: python3-kubernetes lives there
HERE=$V2C_SOURCE_ROOT/tests/integration
"$PY" -c 'import kubernetes' 2>/dev/null || skip_or_fail "python3-kubernetes is missing (scripts/setup.sh installs it)"
fixture_root
ROOT="$FIXTURES/root"
ALPINE="$V2C_SOURCE_ROOT/tests/fixtures/alpine"
HEX=$(printf '%s' v2c | sha256sum | cut -c1-64)
IMG="registry.example:5000/v2c/v2c@sha256:$HEX"

# ---- the guests, on a directory standing for the disks claim ----
CLAIM=$TMP/claim
mkdir -p "$CLAIM/vms"
guest_copy() { # guest_copy SRC DEST HOSTNAME (hard links; /etc/hostname replaced)
  cp -al "$1" "$2"
  rm -f "$2/etc/hostname"
  echo "$3" >"$2/etc/hostname"
}
# A path with quotes, braces, a command substitution and a glob that
# matches a second directory too: read as code or globbed, it would run
# `touch` or become two guests.
EVIL='vms/e"},"hostNetwork":true,"x":{"$(touch${IFS}PWNED);*'
guest_copy "$ROOT" "$CLAIM/vms/web01" web01
guest_copy "$ALPINE" "$CLAIM/vms/a\\lp01" alp01
guest_copy "$ALPINE" "$CLAIM/$EVIL" evil
guest_copy "$ALPINE" "$CLAIM/${EVIL%\*}-decoy" decoy
find "$CLAIM" -printf '%P %s %T@\n' | sort >"$TMP/claim.before"
cat >"$TMP/guests.list" <<EOF
# NAME  DISK [DISK...], relative to the claim's root
web01        vms/web01
Alp_01.Prod  vms/a\\lp01     # a name Kubernetes would refuse as it is
e"\$(x)      $EVIL
x"\n  hostNetwork: true
EOF

# ---- bad input: exit status, one line, nothing written ----
refused() { # refused STATUS WHAT-STDERR-SAYS ARGS...: kube-job exits STATUS, says so, writes nothing
  local want=$1 says=$2 st=0; shift 2
  rm -f "$TMP/bad.json"
  "$V2C" kube-job "$@" -o "$TMP/bad.json" >"$TMP/bad.out" 2>"$TMP/bad.err" || st=$?
  [ "$st" -eq "$want" ] && grep -q -- "$says" "$TMP/bad.err" && [ ! -e "$TMP/bad.json" ] && [ ! -s "$TMP/bad.out" ] &&
    [ "$(grep -c '^v2c' "$TMP/bad.err")" -eq 1 ] ||
    { echo "#   exit $st, want $want; stderr:"; sed 's/^/#     /' "$TMP/bad.err"; return 1; }
}
std=(--manifest "$TMP/guests.list" --disks-claim vm-disks --results-claim v2c-results)
check "--image with a tag, not a digest: exit 2" refused 2 "is not pinned" "${std[@]}" --image registry.example:5000/v2c/v2c:1.0
check "--image with a tag and a digest: exit 2" refused 2 "is not pinned" "${std[@]}" --image "registry.example:5000/v2c/v2c:1.0@sha256:$HEX"
check "--image with a short digest: exit 2" refused 2 "digest" "${std[@]}" --image "registry.example:5000/v2c/v2c@sha256:${HEX:1}"
check "--image with no host: exit 2" refused 2 "image" "${std[@]}" --image "v2c@sha256:$HEX"
check "no --image: exit 2" refused 2 "required" --manifest "$TMP/guests.list" --disks-claim a --results-claim b
check "--disks-claim Kubernetes refuses: exit 2" refused 2 "--disks-claim .Vm_Disks. is not a Kubernetes name" \
  --manifest "$TMP/guests.list" --disks-claim Vm_Disks --results-claim b --image "$IMG"
check "--results-claim Kubernetes refuses: exit 2" refused 2 "--results-claim" \
  --manifest "$TMP/guests.list" --disks-claim a --results-claim 'r"x' --image "$IMG"
check "--job-name Kubernetes refuses: exit 2" refused 2 "--job-name .fleEt. is not a Kubernetes name" "${std[@]}" --image "$IMG" --job-name fleEt
long=$(printf 'j%.0s' $(seq 62))
check "--job-name too long for the pods' names (JOB-INDEX): exit 2" refused 2 "too long for 4 guests" \
  "${std[@]}" --image "$IMG" --job-name "$long"
check "--push with a tag: exit 2" refused 2 "--push" "${std[@]}" --image "$IMG" --push 127.0.0.1:5000/fleet:x
check "--push HOST:PORT with no prefix: exit 2" refused 2 "--push .127.0.0.1:5000. is not HOST/PREFIX" "${std[@]}" --image "$IMG" --push 127.0.0.1:5000
check "--registry-secret without --push: exit 2" refused 2 "goes with --push" "${std[@]}" --image "$IMG" --registry-secret regcred
check "--parallelism 0: exit 2" refused 2 "--parallelism" "${std[@]}" --image "$IMG" --parallelism 0
check "an argument: exit 2" refused 2 "takes no argument" "${std[@]}" --image "$IMG" disk.qcow2
bad_manifest() { # bad_manifest TEXT STDERR-SAYS: that manifest is refused with exit 3
  printf '%b' "$1" >"$TMP/bad.list"
  refused 3 "$2" --manifest "$TMP/bad.list" --disks-claim a --results-claim b --image "$IMG"
}
check "an absolute disk path: exit 3" bad_manifest 'web01 /vms/web01.qcow2\n' "is absolute"
check "a disk path out of the claim (..): exit 3" bad_manifest 'web01 vms/../../etc/shadow\n' "holds \`..\`"
check "a disk path that is not UTF-8: exit 3" bad_manifest 'web01 vms/caf\xe9.qcow2\n' "is not UTF-8"
check "two guests of one Kubernetes name: exit 3" bad_manifest 'Web_1 a.qcow2\nweb-1 b.qcow2\n' "are both \`web-1\`"
check "a guest name with no letter or digit: exit 3" bad_manifest '___ a.qcow2\n' "no letter or digit"
check "a manifest naming no disk: exit 3" bad_manifest 'web01\n' "names no disk"
"$PY" -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(4000):
        f.write("g%d vms/%s.qcow2\n" % (i, "d" * 300))' "$TMP/big.list"
check "a guest list over a ConfigMap's 1 MiB: exit 3" \
  refused 3 "passes a ConfigMap's 1048576 bytes at guest " --manifest "$TMP/big.list" --disks-claim a --results-claim b --image "$IMG"

# ---- the Job ----
st=0
"$V2C" kube-job "${std[@]}" --image "$IMG" --parallelism 3 -o "$TMP/job.json" 2>"$TMP/job.err" || st=$?
check_or_show "$TMP/job.err" "kube-job of four guests (exit 0, got $st)" test "$st" -eq 0
"$V2C" kube-job "${std[@]}" --image "$IMG" --parallelism 3 >"$TMP/job-stdout.json"
check "without -o, the same document on stdout" cmp -s "$TMP/job.json" "$TMP/job-stdout.json"
registry_start kube --htpasswd fleet:kube-pw
A=$REG_KUBE_ADDR
st=0
"$V2C" kube-job "${std[@]}" --image "$IMG" --job-name wave-1 --tcg --push "$A/fleet" --registry-secret regcred \
  -o "$TMP/push.json" 2>"$TMP/push.err" || st=$?
check_or_show "$TMP/push.err" "kube-job --push --registry-secret --tcg --job-name (exit 0, got $st)" test "$st" -eq 0

for f in job push; do
  "$PY" "$HERE/check-kube-objects.py" "$TMP/$f.json" >"$TMP/$f.check" 2>&1 && sed 's/^/#   /' "$TMP/$f.check"
  check_or_show "$TMP/$f.check" "$f.json: every field and type as Kubernetes 1.22's API has them (python3-kubernetes models)" \
    grep -q '^items\[1\]: batch/v1 Job .*types and required fields right$' "$TMP/$f.check"
done

# kubectl, offline: decoding the List, and the Job through its Go types.
if command -v kubectl >/dev/null; then
  st=0; kubectl label --local -f "$TMP/job.json" probe=1 -o json >"$TMP/label.out" 2>"$TMP/label.err" || st=$?
  check_or_show "$TMP/label.err" "kubectl label --local decodes the List (exit 0, got $st)" \
    "$PY" -c 'import json,sys; t=sys.stdin.read(); d=json.JSONDecoder(); a,i=d.raw_decode(t); b,_=d.raw_decode(t[i:].lstrip()); assert [a["kind"],b["kind"]]==["ConfigMap","Job"] and b["metadata"]["labels"]["probe"]=="1"' <"$TMP/label.out"
  for f in job push; do
    "$PY" -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["items"][1], open(sys.argv[2], "w"))' "$TMP/$f.json" "$TMP/$f-job.json"
    st=0; kubectl set env --local -f "$TMP/$f-job.json" V2C_PROBE=1 -o json >"$TMP/$f-typed.json" 2>"$TMP/typed.err" || st=$?
    check_or_show "$TMP/typed.err" "$f.json: every field of the Job survives kubectl's batch/v1 types (set env --local, exit $st)" \
      "$PY" - "$TMP/$f-job.json" "$TMP/$f-typed.json" <<'EOF'
import json, sys
def leaves(v, path=""):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from leaves(x, f"{path}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from leaves(x, f"{path}[{i}]")
    else:
        yield path, v
before = dict(leaves(json.load(open(sys.argv[1]))))
after = dict(leaves(json.load(open(sys.argv[2]))))
lost = {p: v for p, v in before.items() if after.get(p, object()) != v}
assert not lost, f"lost or changed by kubectl: {lost}"
EOF
  done
else
  skip_check "kubectl decodes the objects offline" "kubectl is not installed (not a Debian 12 package)"
fi
# A cluster only when one answers on loopback: a test sends nothing elsewhere.
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' 2>/dev/null || true)
case ${server:-http://localhost:8080} in
  http://localhost:*|https://localhost:*|http://127.*|https://127.*|http://\[::1\]:*|https://\[::1\]:*)
    if command -v kubectl >/dev/null && timeout 20 kubectl version --request-timeout=5s >/dev/null 2>&1; then
      st=0; kubectl apply --dry-run=client -f "$TMP/job.json" >"$TMP/apply.out" 2>&1 || st=$?
      check_or_show "$TMP/apply.out" "kubectl apply --dry-run=client accepts the List (exit $st)" test "$st" -eq 0
    else
      skip_check "kubectl apply --dry-run=client -f the List" "no Kubernetes API server answers (${server:-localhost:8080}): client dry runs need its discovery"
    fi ;;
  *) skip_check "kubectl apply --dry-run=client -f the List" "the kubeconfig's cluster ($server) is not on loopback" ;;
esac

# What the Job says.
check "the Job runs each guest of the manifest, the pinned image, nothing of the host" "$PY" - "$TMP/job.json" "$TMP/push.json" "$IMG" "$A" <<'EOF'
import json, sys
plain, push = (json.load(open(p)) for p in sys.argv[1:3])
img, reg = sys.argv[3], sys.argv[4]
evil = 'vms/e"},"hostNetwork":true,"x":{"$(touch${IFS}PWNED);*'
want = {"0": "web01 vms/web01\n", "1": "alp-01-prod vms/a\\lp01\n", "2": f"e-x {evil}\n",
        "3": "x-n hostNetwork: true\n"}
def keys(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from keys(x)
    elif isinstance(v, list):
        for x in v:
            yield from keys(x)
for doc, name in ((plain, "v2c-fleet"), (push, "wave-1")):
    assert doc["apiVersion"] == "v1" and doc["kind"] == "List", doc.keys()
    cm, job = doc["items"]
    assert cm["kind"] == "ConfigMap" and cm["metadata"]["name"] == name + "-guests" and cm["immutable"] is True
    assert cm["data"] == want, cm["data"]
    s = job["spec"]
    assert job["metadata"]["name"] == name
    assert s["completionMode"] == "Indexed" and s["completions"] == 4 and s["backoffLimit"] == 4, s
    assert s["parallelism"] == (3 if doc is plain else 1), s["parallelism"]
    pod = s["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    bad = {"hostNetwork", "hostPID", "hostIPC", "hostPath", "privileged", "hostPort"} & set(keys(job))
    assert not bad, bad
    # The "restricted" Pod Security Standard: non-root, seccomp, no escalation, ALL dropped, these volume kinds.
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert all(set(v) - {"name"} <= {"configMap", "secret", "emptyDir", "persistentVolumeClaim"} for v in pod["volumes"])
    (c,) = pod["containers"]
    assert "initContainers" not in pod
    assert c["image"] == img
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"] and sc["readOnlyRootFilesystem"] is True
    vols = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    assert vols["disks"]["persistentVolumeClaim"] == {"claimName": "vm-disks", "readOnly": True}
    assert mounts["disks"]["readOnly"] is True and mounts["guests"]["readOnly"] is True
    assert vols["guests"]["configMap"]["name"] == cm["metadata"]["name"]
    assert vols["results"]["persistentVolumeClaim"] == {"claimName": "v2c-results"}
    env = {e["name"]: e for e in c["env"]}
    assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    limits = c["resources"]["limits"]
    if doc is plain:
        assert limits["devices.kubevirt.io/kvm"] == "1" and "LIBGUESTFS_BACKEND_SETTINGS" not in env
        assert "V2C_PUSH" not in env and "registry-auth" not in vols
    else:
        assert "devices.kubevirt.io/kvm" not in limits and env["LIBGUESTFS_BACKEND_SETTINGS"]["value"] == "force_tcg"
        assert env["V2C_PUSH"]["value"] == reg + "/fleet"
        assert vols["registry-auth"]["secret"] == {"secretName": "regcred", "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}
        assert env["REGISTRY_AUTH_FILE"]["value"] == mounts["registry-auth"]["mountPath"] + "/config.json"
    # The kubelet expands $(VAR) and $$ in command and args: the script has neither.
    assert not any("$(" in a or "$$" in a for a in c["command"] + c.get("args", [])), c["command"]
EOF

# ---- each pod's work, run as its pod would run it ----
pod() { # pod LIST INDEX NAME [NAME=DIR...]: runs index INDEX of LIST in $TMP/NAME; its status in $TMP/NAME.st
  local list=$1 i=$2 name=$3 st=0; shift 3
  mkdir -p "$TMP/$name/bin"
  ln -sf "$V2C" "$TMP/$name/bin/v2c"
  "$PY" "$HERE/kube-pod-run.py" "$list" "$i" "$TMP/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || st=$?
  echo "$st" >"$TMP/$name.st"
}
R=$TMP/results
mkdir -p "$R"
for i in 0 1 2 3; do
  pod "$TMP/job.json" "$i" "pod$i" vm-disks="$CLAIM" v2c-results="$R"
done
check_or_show "$TMP/pod3.err" "every pod exits 0, the guest v2c could not do too ($(cat "$TMP"/pod?.st | tr '\n' ' '))" \
  test "$(cat "$TMP"/pod?.st | tr -d '\n')" = 0000
check "each guest's report on the results claim, under its Kubernetes name" \
  test -f "$R/reports/web01.json" -a -f "$R/reports/alp-01-prod.json" -a -f "$R/reports/e-x.json"
check "... the report of index I is guest I's (their hostnames)" "$PY" - "$R/reports" <<'EOF'
import json, sys
got = {n: json.load(open(f"{sys.argv[1]}/{n}.json"))["os"]["hostname"] for n in ("web01", "alp-01-prod", "e-x")}
assert got == {"web01": "web01", "alp-01-prod": "alp01", "e-x": "evil"}, got
EOF
check_or_show "$TMP/pod3.err" "the guest with no such disk is recorded as failed, with v2c's exit status and message" \
  test "$(head -2 "$R/failed/x-n.txt")" = "$(printf 'inspect: exit 3\nv2c: error: cannot open `hostNetwork:`: No such file or directory')"
check "... and only that one" test "$(ls "$R/failed")" = x-n.txt
check "nothing in a path ran, nothing was globbed: no PWNED anywhere" test -z "$(find "$TMP" -name PWNED)"
find "$CLAIM" -printf '%P %s %T@\n' | sort >"$TMP/claim.after"
check "the disks claim is as it was" cmp -s "$TMP/claim.before" "$TMP/claim.after"
"$V2C" report "$R/reports" >"$TMP/fleet.txt" 2>&1 || true
check_or_show "$TMP/fleet.txt" "v2c report over the results claim's reports: the fleet" grep -q '^fleet: 3 VMs' "$TMP/fleet.txt"

# With --push: index 1 (the Alpine guest) converts and pushes with the
# Secret's credentials; index 0 without them is refused by the registry
# (v2c's exit 4: recorded, no retry can help); with the registry down, a
# failure another pod may not meet, the pod fails (exit 1) and the Job
# retries it.
mkdir -p "$TMP/regcred" "$TMP/regcred-none"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$A" "$(printf 'fleet:kube-pw' | base64)" >"$TMP/regcred/.dockerconfigjson"
echo '{"auths":{}}' >"$TMP/regcred-none/.dockerconfigjson"
RP=$TMP/results-push
mkdir -p "$RP"
pod "$TMP/push.json" 1 push1 vm-disks="$CLAIM" v2c-results="$RP" regcred="$TMP/regcred"
check_or_show "$TMP/push1.err" "index 1 with --push: its pod exits 0 ($(cat "$TMP/push1.st"))" test "$(cat "$TMP/push1.st")" = 0
check_or_show "$TMP/push1.err" "... its images are in the registry, tagged alp-01-prod, as its result says" "$PY" - "$RP/images/alp-01-prod.json" "$A" <<'EOF'
import hashlib, json, subprocess, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "v2c.convert/1", doc
names = sorted(i["name"] for i in doc["images"])
assert names == ["myapp", "nginx"], names
for i in doc["images"]:
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "fleet:kube-pw",
                          f"docker://{sys.argv[2]}/fleet/{i['name']}:alp-01-prod"], capture_output=True, check=True).stdout
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == i["manifest"]["digest"], i["name"]
EOF
check "... and its report" test -f "$RP/reports/alp-01-prod.json"
pod "$TMP/push.json" 0 push0 vm-disks="$CLAIM" v2c-results="$RP" regcred="$TMP/regcred-none"
check_or_show "$TMP/push0.err" "index 0 without credentials: the registry refuses, recorded as failed, the pod exits 0 ($(cat "$TMP/push0.st"))" \
  sh -c 'test "$(cat "$1")" = 0 && test "$(head -1 "$2")" = "convert: exit 4" && grep -q "wants a user and password" "$2" &&
    test ! -e "$3"' _ "$TMP/push0.st" "$RP/failed/web01.txt" "$RP/images/web01.json"
registry_kill kube
RD=$TMP/results-down
mkdir -p "$RD"
pod "$TMP/push.json" 1 down1 vm-disks="$CLAIM" v2c-results="$RD" regcred="$TMP/regcred"
check_or_show "$TMP/down1.err" "index 1 with the registry down: the pod fails (exit 1), to be retried, nothing recorded ($(cat "$TMP/down1.st"))" \
  test "$(cat "$TMP/down1.st")" = 1 -a ! -e "$RD/failed/alp-01-prod.txt" -a ! -e "$RD/images/alp-01-prod.json" -a -f "$RD/reports/alp-01-prod.json"
finish
