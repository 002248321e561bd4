#!/usr/bin/env bash
# v2c rollout end to end, a non-root service that writes directories its
# image holds: the fixture's status-page (www-data on port 80 through its
# executable's file capability; it counts hits in /var/lib/status-page and
# logs requests to /var/log/status-page, both in its image, www-data's,
# 0755) converted by v2c, pushed, and rolled out hardened: read-only root,
# a tmpfs over each writable path.  A tmpfs is root's, and over an image
# directory runc gives it that directory's mode, so the service can write
# there only if the rollout hands the tmpfs to its user: podman's `U`
# (Docker's uid=/gid=) with the numbers convert put in the label
# io.v2c.hardening ("run_as").  The test checks that the service answers
# through HAProxy and that its files exist, written, owned by uid 33; and
# that an image whose label names a uid as text ("0,exec": a mount option
# of its own) or past 2^32-2 (it would wrap to root) is refused before any
# container is made or any weight moves.
# Its own test bed (tests/integration/rollout-env.sh: a real qemu VM under
# TCG serving HTTP, podman's Docker-compatible service, a loopback
# registry, HAProxy), its own state directories: it runs alone
# (`meson test -C build rollout-nonroot`).
ROLLOUT_ENV_PARTS=""
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"
bed_checks
# The images this test pulls go too (by the references pulled, without -f:
# other tests may hold the same layers); then the bed's own cleanup.
pulled=()
nonroot_cleanup() {
  podman ps -a --format '{{.Names}}' 2>/dev/null | grep -E "^$CT(-2)?\$" | xargs -r timeout 60 podman rm -f >/dev/null 2>&1 || true
  [ ${#pulled[@]} -eq 0 ] || timeout 60 podman rmi "${pulled[@]}" >/dev/null 2>&1 || true
  cleanup
}
trap nonroot_cleanup EXIT

"$V2C" convert -s status-page --allow-stateful -o "$TMP/spimg" "$FIXTURES/root" >/dev/null 2>"$TMP/spconv.err" ||
  { cat "$TMP/spconv.err"; not_ok "convert status-page"; finish; exit 1; }
spimg=$("$V2C" push "$TMP/spimg:status-page" "$R/rt/status-page" 2>/dev/null)
pulled+=("$spimg")
# The image config's label, straight from the layout convert wrote.
label() { # label LAYOUT REF -> the io.v2c.hardening label
  python3 - "$1" "$2" <<'PY'
import json, sys
d, ref = sys.argv[1], sys.argv[2]
blob = lambda dg: open(f"{d}/blobs/{dg.replace(':', '/')}").read()
m = next(m for m in json.load(open(d + "/index.json"))["manifests"]
         if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref)
cfg = json.loads(blob(json.loads(blob(m["digest"]))["config"]["digest"]))
print(cfg["config"]["Labels"]["io.v2c.hardening"])
PY
}
label "$TMP/spimg" status-page >"$TMP/label.json"
check "convert puts www-data's numbers from the guest's /etc/passwd and /etc/group in the label (run_as 33:33)" \
  python3 -c 'import json, sys
h = json.load(open(sys.argv[1]))
assert h["run_as"] == {"uid": 33, "gid": 33} and h["run_as_root"] is False, h.get("run_as")
assert {"/var/lib/status-page", "/var/log/status-page"} <= {w["path"] for w in h["writable"]}, h["writable"]' "$TMP/label.json"

# The playbook: status-page on the container side, its port 80, readiness
# on / (it answers 200 to everything).
sp_playbook() { # sp_playbook FILE IMAGE CONTAINER-NAME
  playbook "$1.in" "$2" "          canary:
            steps:
              - setWeight: 50
              - setWeight: 100"
  sed -e "s|\"$PC:8081\"|\"$PC:80\"|" -e "s|readiness: {path: /health|readiness: {path: /|" \
    -e "s|name: hello|name: status-page|" -e "s|name: $CT\$|name: $3|" "$1.in" >"$1"
}

# --- a hostile label first: refused before anything acts -------------------------------------
# The same image with its label's run_as rewritten (umoci writes a new
# config and manifest into a copy of the layout), pushed by digest.
cp -a "$TMP/spimg" "$TMP/evil"
n=0
for bad in '{"uid": "0,exec", "gid": 33}' '{"uid": 4294967296, "gid": 33}'; do
  n=$((n + 1))
  python3 -c 'import json, sys
h = json.load(open(sys.argv[1])); h["run_as"] = json.loads(sys.argv[2]); print(json.dumps(h))' \
    "$TMP/label.json" "$bad" >"$TMP/evil$n.json"
  umoci config --image "$TMP/evil:status-page" --tag "evil$n" \
    --config.label "io.v2c.hardening=$(cat "$TMP/evil$n.json")" 2>"$TMP/umoci.err" ||
    { cat "$TMP/umoci.err"; not_ok "umoci config"; }
  evil=$("$V2C" push "$TMP/evil:evil$n" "$R/rt/evil" 2>/dev/null)
  pulled+=("$evil")
  sp_playbook "$TMP/evil$n.yaml" "$evil" "$CT-2"
  st=0; timeout 300 "$V2C" rollout run "$TMP/evil$n.yaml" --state "$TMP/st-evil$n" >/dev/null 2>"$TMP/evil$n.err" || st=$?
  check_or_show "$TMP/evil$n.err" "a label whose run_as is $bad is refused (exit $st), naming the rule; no container, weights as they were ($(weights))" \
    sh -c "test $st -ne 0 && grep -q 'io.v2c.hardening: hardening.run_as: want {\"uid\": N, \"gid\": N}, each an integer from 0 to 4294967294' '$TMP/evil$n.err' &&
      test '$(weights)' = '100 0' && ! podman ps -a --format '{{.Names}}' | grep -qx '$CT-2'"
done

# --- a label that hands out no tmpfs: the service cannot write, never gets
# ready, and the rollout says so in one line with the service's own words.
python3 -c 'import json, sys
h = json.load(open(sys.argv[1])); h["writable"] = []; print(json.dumps(h))' "$TMP/label.json" >"$TMP/nowrite.json"
umoci config --image "$TMP/evil:status-page" --tag nowrite \
  --config.label "io.v2c.hardening=$(cat "$TMP/nowrite.json")" 2>"$TMP/umoci.err" ||
  { cat "$TMP/umoci.err"; not_ok "umoci config"; }
nowrite=$("$V2C" push "$TMP/evil:nowrite" "$R/rt/evil" 2>/dev/null)
pulled+=("$nowrite")
sp_playbook "$TMP/nowrite.yaml.0" "$nowrite" "$CT-3"
sed 's|readiness: {path: /, timeout: 60s}|readiness: {path: /, timeout: 15s}|' "$TMP/nowrite.yaml.0" >"$TMP/nowrite.yaml"
st=0; timeout 300 "$V2C" rollout run "$TMP/nowrite.yaml" --state "$TMP/st-nowrite" >/dev/null 2>"$TMP/nowrite.err" || st=$?
check_or_show "$TMP/nowrite.err" "a container that never gets ready: the rollout fails (exit $st), weights as they were ($(weights)), and says why in one line with the end of its log" \
  sh -c "test $st -ne 0 && test '$(weights)' = '100 0' &&
    test \"\$(grep -c 'the container is not ready; its log: .*status-server: cannot write /var/.* did not become ready within' '$TMP/nowrite.err')\" -eq 1 &&
    ! grep -q '^status-server' '$TMP/nowrite.err'"
"$V2C" rollout rollback --state "$TMP/st-nowrite" >/dev/null 2>&1 || true

# --- the real image: the service writes its directories ---------------------------------------
# 30 s to get ready, not the bed's 60: status-page answers within a second
# or two of its start, and a rollout that hands it no writable directory
# (a planted bug) waits that long before it fails.
sp_playbook "$TMP/sp.yaml.0" "$spimg" "$CT"
sed 's|readiness: {path: /, timeout: 60s}|readiness: {path: /, timeout: 30s}|' "$TMP/sp.yaml.0" >"$TMP/sp.yaml"
st=0; timeout 300 "$V2C" -v rollout run "$TMP/sp.yaml" --state "$TMP/st-sp" >/dev/null 2>"$TMP/st-sp.err" || st=$?
w=$(weights)
check_or_show "$TMP/st-sp.err" "status-page rolls out under its hardened spec, as uid 33, gid 33 (exit $st, weights $w)" \
  sh -c "test $st -eq 0 && test '$w' = '0 100' && grep -q 'status-page: the container runs hardened (as uid 33, gid 33, read-only root: yes' '$TMP/st-sp.err'"
answers=0
for _ in 1 2 3 4 5; do curl -s -m 5 "http://127.0.0.1:$PF/" | grep -qx "status ok" && answers=$((answers + 1)); done
check "... and answers through HAProxy from the container ($answers of 5 requests)" test "$answers" -eq 5
curl -s --unix-socket "$SOCK" "http://d/v1.40/containers/$CT/json" >"$TMP/ct.json" || true
pid=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["State"]["Pid"])' "$TMP/ct.json" 2>/dev/null || echo 0)
check "the engine runs it as the label's 33:33, read-only root, its two directories tmpfs given to that user" \
  python3 - "$TMP/ct.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
hc = c["HostConfig"]
assert c["Config"]["User"] == "33:33", c["Config"]["User"]
assert hc["ReadonlyRootfs"] is True, hc["ReadonlyRootfs"]
t = hc.get("Tmpfs") or {}
for p in ("/var/lib/status-page", "/var/log/status-page"):
    # podman answers with the options it resolved: `U` became uid=/gid=
    assert "uid=33" in t.get(p, "").split(",") and "gid=33" in t.get(p, "").split(","), (p, t.get(p))
PY
# What the service wrote, seen from the host through its process's root
# (the image has no shell to look with).
root="/proc/$pid/root"
check "... the kernel mounted each as a tmpfs with uid=33,gid=33" \
  python3 - "/proc/$pid/mountinfo" <<'PY'
import sys
m = {}
for line in open(sys.argv[1]):
    pre, post = line.split(" - ")
    m[pre.split()[4]] = post.split()
for p in ("/var/lib/status-page", "/var/log/status-page"):
    fstype, _, opts = m[p]
    assert fstype == "tmpfs" and {"uid=33", "gid=33"} <= set(opts.split(",")), (p, m[p])
PY
hits=$(cat "$root/var/lib/status-page/hits" 2>/dev/null || true)
check "... it wrote its state: /var/lib/status-page/hits, owned by uid 33, counts the requests it served (${hits:-none})" \
  sh -c "test -f '$root/var/lib/status-page/hits' && test \"\$(stat -c %u:%g '$root/var/lib/status-page/hits')\" = 33:33 &&
    test '${hits:-0}' -ge 5"
check "... and its log: /var/log/status-page/access.log, owned by uid 33, a line per request ($(grep -c 'GET / ' "$root/var/log/status-page/access.log" 2>/dev/null || echo 0))" \
  sh -c "test \"\$(stat -c %u '$root/var/log/status-page/access.log')\" = 33 &&
    test \"\$(grep -c 'GET / ' '$root/var/log/status-page/access.log')\" -ge 5"
vm_ready
"$V2C" rollout rollback --state "$TMP/st-sp" >/dev/null 2>&1 || true
check "... rolled back: traffic on the VM again" test "$(weights)" = "100 0"
finish
