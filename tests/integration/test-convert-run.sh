#!/usr/bin/env bash
# The converted fixture services run: podman (set up as
# ../shared/notes/ENVIRONMENT.md says: runc, cgroupfs, lowered ulimits)
# starts each image, and each answers on its port on loopback: Debian's
# nginx serving the fixture's page, the Python app, the compiled
# hello-server (with its file capability); the SysV daemon runs under v2c-init and stops on SIGTERM;
# the system image of nginx serves the page too; `v2c convert --verify`
# says yes for a working image and no for a broken one.  Secret files a
# service needs are not in its image: nginx without its TLS key mounted
# exits 78 saying how to mount it, with it serves HTTPS, and --verify
# mounts the guest's own from a private directory it removes afterwards;
# status-page, www-data on port 80 through its executable's file capability,
# runs hardened under --verify writing its state and log directories (and
# fails, naming the file, without them writable or without the capability);
# nginx and the webapp it proxies to over 127.0.0.1 run together in one pod
# (--verify and by hand: /api/ through nginx reaches the webapp, where nginx
# alone 502s).
. "$(dirname "$0")/lib.sh"
command -v podman >/dev/null || { echo "podman missing (scripts/setup.sh installs it)"; exit 1; }
fixture_root
src="$FIXTURES/root"

podman_env
tag="v2c-test-$$"
cleanup() {
  podman pod rm -f "$tag-pod" >/dev/null 2>&1 || true
  podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^$tag-" | xargs -r podman rm -f >/dev/null 2>&1 || true
  # By the names this test pulled under, without -f: other tests running
  # at the same time use the same images (the same fixture gives the same
  # image IDs), and `rmi -f ID` would remove them and their containers.
  podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep "^localhost/tmp/$tag-" |
    xargs -r podman rmi >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# run_image LAYOUT REF CONTAINER-PORT [PODMAN-RUN-OPTION...] -> prints the host port
run_image() {
  local id hp link
  # podman names what it pulls after the layout's path, which must be a
  # lowercase repository name (mktemp's is not).
  link="/tmp/$tag-layout-$(echo "$1" | sha256sum | cut -c1-8)"
  ln -sfn "$1" "$link"
  id=$(podman pull -q "oci:$link:$2") || { rm -f "$link"; return 1; }
  rm -f "$link"
  echo "$id" >>"$TMP/images"
  hp=$(free_port)
  local layout=$1 ref=$2 port=$3
  shift 3
  podman run -d --name "$tag-$ref" -p "127.0.0.1:$hp:$port" "$@" "$id" >/dev/null || return 1
  echo "$hp"
}
# The secret files the fixture's services need, mounted read-only from the
# fixture root (as an operator would from wherever they keep them).
nginx_secrets=(-v "$src/etc/ssl/private/web01.key:/etc/ssl/private/web01.key:ro"
               -v "$src/etc/nginx/.htpasswd:/etc/nginx/.htpasswd:ro")
webapp_secrets=(-v "$src/opt/webapp/service-account.json:/opt/webapp/service-account.json:ro")
# answers PORT PATTERN: the page at / matches within 60 s
answers() {
  local i
  for i in $(seq 1 120); do
    if curl -s -m 3 "http://127.0.0.1:$1/" 2>/dev/null | grep -q "$2"; then return 0; fi
    sleep 0.5
  done
  return 1
}

"$V2C" convert -s nginx -s webapp -s hello -s legacy-app -o "$TMP/img" "$src" >/dev/null 2>"$TMP/convert.err" \
  || { cat "$TMP/convert.err"; not_ok "convert"; finish; exit 1; }
ok "converted nginx, webapp, hello, legacy-app"

# --- --verify of the hardened specs first (they need no image of the
# layout above): status-page writing its directories on a read-only root,
# a secret file the guest lacks, nginx on a read-only root.
# The guest's report, which the runs below edit; in this one nginx names
# a secret file the guest lacks (see below).
"$V2C" inspect --json -o "$TMP/vm-rep.json" "$src"
python3 - "$TMP/vm-rep.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
next(s for s in r["services"] if s["name"] == "nginx")["secret_files"].append(
    {"path": "/etc/nginx/missing.key", "uid": 0, "gid": 0, "mode": "0600"})
json.dump(r, open(sys.argv[1], "w"))
PY
# status-page: www-data on port 80, which only the file capability of its
# executable allows, counting hits in its StateDirectory= and logging to
# its LogsDirectory=.  Inspect derives CAP_NET_BIND_SERVICE from that file
# capability, the manifest adds it (all else dropped, non-root, read-only
# root, both directories writable), and --verify runs it so and it
# answers on 80 (it stops at start, naming the file, when it cannot write
# either directory: the tmpfs over each must be the service user's).
check "inspect: status-page (www-data, port 80) gets CAP_NET_BIND_SERVICE from its executable's file capability" \
  python3 -c 'import json, sys
s = next(s for s in json.load(open(sys.argv[1]))["services"] if s["name"] == "status-page")
h = s["hardening"]
assert s["user"] == "www-data" and [p["port"] for p in s["ports"]] == [80], (s["user"], s["ports"])
assert [(c["name"], c["from"]) for c in h["capabilities"]] == [("CAP_NET_BIND_SERVICE", "file capability of /usr/local/bin/status-server")], h["capabilities"]
assert not h["run_as_root"] and h["read_only_root"], h
assert {"/var/lib/status-page", "/var/log/status-page"} <= {w["path"] for w in h["writable"]}, h["writable"]' "$TMP/vm-rep.json"
set +e
"$V2C" convert -s status-page --allow-stateful --verify --report "$TMP/vm-rep.json" -o "$TMP/sp" "$src" >"$TMP/sp.out" 2>"$TMP/sp.err"; st=$?
set -e
check_or_show "$TMP/sp.err" "--verify: status-page answers on port 80, hardened, writing its state and log directories (exit 0)" \
  sh -c "test $st -eq 0 && grep -q '^verified	status-page\$' '$TMP/sp.out'"
check "... its manifest: non-root, every capability dropped but NET_BIND_SERVICE, read-only root, both directories writable" \
  python3 - "$TMP/sp/v2c/status-page.k8s.yaml" <<'PY'
import sys, yaml
d = next(x for x in yaml.safe_load_all(open(sys.argv[1])) if x["kind"] == "Deployment")
pod = d["spec"]["template"]["spec"]
c = pod["containers"][0]
sc = c["securityContext"]
assert sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}, sc["capabilities"]
assert sc["readOnlyRootFilesystem"] is True and sc["runAsNonRoot"] is True and sc["runAsUser"] == 33, sc
mounted = {m["mountPath"] for m in c["volumeMounts"]}
assert {"/var/lib/status-page", "/var/log/status-page"} <= mounted, mounted
PY
# The same spec without the log directory writable, then without the
# capability: --verify fails, and the log says why.
python3 - "$TMP/vm-rep.json" "$TMP/sp-nolog.json" "$TMP/sp-nocap.json" <<'PY'
import copy, json, sys
r = json.load(open(sys.argv[1]))
for path, cut in ((sys.argv[2], "writable"), (sys.argv[3], "capabilities")):
    x = copy.deepcopy(r)
    h = next(s for s in x["services"] if s["name"] == "status-page")["hardening"]
    if cut == "writable":
        h["writable"] = [w for w in h["writable"] if w["path"] != "/var/log/status-page"]
    else:
        h["capabilities"] = []
    json.dump(x, open(path, "w"))
PY
set +e
"$V2C" convert -s status-page --allow-stateful --verify --report "$TMP/sp-nolog.json" -o "$TMP/sp2" "$src" >/dev/null 2>"$TMP/sp2.err"; st=$?
set -e
check_or_show "$TMP/sp2.err" "... without its log directory writable it fails on the read-only root, naming the file (exit 1)" \
  sh -c "test $st -eq 1 && grep -q 'status-server: cannot write /var/log/status-page/access.log: Read-only file system' '$TMP/sp2.err'"
set +e
"$V2C" convert -s status-page --allow-stateful --verify --report "$TMP/sp-nocap.json" -o "$TMP/sp3" "$src" >/dev/null 2>"$TMP/sp3.err"; st=$?
set -e
# (the kernel refuses to exec a file whose capabilities cannot all be
# raised: it does not even get to bind)
check_or_show "$TMP/sp3.err" "... without the capability its executable cannot start (exit 1): every other is dropped" \
  sh -c "test $st -eq 1 && grep -q 'exec /usr/local/bin/status-server: operation not permitted' '$TMP/sp3.err'"
# A report naming a secret file the guest lacks: --verify fails saying
# which, once (it said "unknown failure": the guest's "missing" was quiet).
mkdir -p "$TMP/vmtmp"
set +e
TMPDIR="$TMP/vmtmp" "$V2C" convert -s nginx --verify --report "$TMP/vm-rep.json" -o "$TMP/vm" "$src" >/dev/null 2>"$TMP/vm.err"; st=$?
set -e
check_or_show "$TMP/vm.err" "--verify, a secret file the guest lacks: exit 1, one error naming it and the image once" \
  sh -c "test $st -eq 1 && test \$(grep -c '^v2c: error:' '$TMP/vm.err') -eq 1 &&
    grep -qxF 'v2c: error: nginx: secret file to mount: \`/etc/nginx/missing.key\` is not in the guest' '$TMP/vm.err'"
check "... and its temporary secrets directory is removed" test -z "$(ls -A "$TMP/vmtmp")"
# --verify runs the image hardened, as its manifest would: nginx's spec
# without /var/lib/nginx writable (as if inspect had not known nginx's
# built-in temporary directories) fails on the read-only root, and the
# error names the path from nginx's own log line.
python3 - "$TMP/vm-rep.json" "$TMP/ro-rep.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ng = next(s for s in r["services"] if s["name"] == "nginx")
ng["secret_files"] = [f for f in ng["secret_files"] if f["path"] != "/etc/nginx/missing.key"]
h = ng["hardening"]
assert any(w["path"] == "/var/lib/nginx" for w in h["writable"]), h["writable"]
h["writable"] = [w for w in h["writable"] if w["path"] != "/var/lib/nginx"]
json.dump(r, open(sys.argv[2], "w"))
PY
set +e
"$V2C" convert -s nginx --verify --report "$TMP/ro-rep.json" -o "$TMP/ro" "$src" >/dev/null 2>"$TMP/ro.err"; st=$?
set -e
check_or_show "$TMP/ro.err" "--verify, hardened: nginx writing outside its writable paths fails on the read-only root (exit 1), naming the path" \
  sh -c "test $st -eq 1 && grep -q 'nginx: container exited (status 1) before port 8080 answered; it cannot run with a read-only root' '$TMP/ro.err' &&
    grep -q 'mkdir() ./var/lib/nginx/[a-z]*. failed (30: Read-only file system)' '$TMP/ro.err'"
set +e
"$V2C" convert -s nginx --verify --report "$TMP/ro-rep.json" -o "$TMP/ro2" "$src" --no-harden >/dev/null 2>"$TMP/ro2.err"; st=$?
set -e
check_or_show "$TMP/ro2.err" "... and with --no-harden the same image runs (exit 0)" test "$st" -eq 0

# --- the images of the layout, run by hand ----------------------------------------

# Without its TLS key nginx is not started: v2c-init says what to mount, exit 78.
link="/tmp/$tag-layout-nokey"
ln -sfn "$TMP/img" "$link"
id=$(podman pull -q "oci:$link:nginx") && echo "$id" >>"$TMP/images"
rm -f "$link"
set +e
timeout 120 podman run --rm --name "$tag-nokey" "$id" >"$TMP/nokey.out" 2>"$TMP/nokey.err"; st=$?
set -e
check_or_show "$TMP/nokey.err" "nginx without its secret files exits 78 (EX_CONFIG)" test "$st" -eq 78
check "... one line for the TLS key: podman run -v FILE:PATH:ro and the Secret's name" \
  grep -q 'missing secret file /etc/ssl/private/web01.key: .*podman run -v FILE:/etc/ssl/private/web01.key:ro.*nginx-files' "$TMP/nokey.err"
check "... one line for the htpasswd file too" grep -q 'missing secret file /etc/nginx/.htpasswd:' "$TMP/nokey.err"
check "... and nginx never ran" sh -c "! grep -q 'nginx: \[' '$TMP/nokey.err'"
set +e
timeout 120 podman run --rm --name "$tag-onekey" -v "$src/etc/nginx/.htpasswd:/etc/nginx/.htpasswd:ro" "$id" \
  >/dev/null 2>"$TMP/onekey.err"; st=$?
set -e
check "with only the htpasswd mounted: 78 again, and only the key is named" \
  sh -c "test $st -eq 78 && test \$(grep -c 'missing secret file' '$TMP/onekey.err') -eq 1 && grep -q web01.key '$TMP/onekey.err'"

hp=$(run_image "$TMP/img" nginx 8080 -p "127.0.0.1:$(free_port | tee "$TMP/tlsport"):8443" "${nginx_secrets[@]}") \
  && check "nginx answers with the fixture's page" answers "$hp" "fixture page" \
  || not_ok "nginx starts"
tls=$(cat "$TMP/tlsport")
check "nginx serves HTTPS with the guest's key mounted" \
  sh -c "for i in \$(seq 1 60); do curl -sk -m 3 'https://127.0.0.1:$tls/' | grep -q 'fixture page' && exit 0; sleep 0.5; done; exit 1"
check "... with the guest's certificate (carried in the image as configuration)" \
  sh -c "echo | openssl s_client -connect 127.0.0.1:$tls 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | grep -qF \"\$(openssl x509 -in '$src/etc/ssl/certs/web01.crt' -noout -fingerprint -sha256)\""
check "nginx's access log goes to the container's stdout" \
  sh -c "podman logs '$tag-nginx' 2>/dev/null | grep -q 'GET / HTTP'"
# nginx alone: its /api/ and /app/ proxy to 127.0.0.1:8000, empty in its own container.
check "nginx alone: /api/ is a 502 (the webapp it proxies to is not in its container)" \
  sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -m 5 'http://127.0.0.1:$hp/api/')\" = 502"
hp=$(run_image "$TMP/img" webapp 8000 "${webapp_secrets[@]}") && check "the Python app answers" answers "$hp" "webapp ok" || not_ok "webapp starts"
check "the Python app runs as its user" \
  sh -c "test \"\$(podman exec '$tag-webapp' /usr/bin/python3 -c 'import os; print(os.getuid())')\" = \"\$(awk -F: '\$1==\"webapp\"{print \$3}' '$src/etc/passwd')\""
hp=$(run_image "$TMP/img" hello 8081) && check "hello-server (compiled, its libraries lifted) answers" answers "$hp" "hello" \
  || not_ok "hello starts"
# hello runs as nobody; only its file capability can give it
# CAP_NET_BIND_SERVICE (bit 10) in its effective set: the xattr survived
# the layer, podman's pull and the run.
status="/proc/$(podman inspect -f '{{.State.Pid}}' "$tag-hello" 2>/dev/null)/status"
check "hello-server runs as nobody" test "$(awk '/^Uid:/ { print $3 }' "$status" 2>/dev/null)" = \
  "$(awk -F: '$1 == "nobody" { print $3 }' "$src/etc/passwd")"
capeff=$(awk '/^CapEff:/ { print $2 }' "$status" 2>/dev/null)
check "... with CAP_NET_BIND_SERVICE from its file capability (CapEff $capeff)" \
  test $(( (0x${capeff:-0} >> 10) & 1 )) -eq 1
run_image "$TMP/img" legacy-app 9090 >/dev/null || not_ok "legacy-app starts"
sleep 2
check "legacy-app (SysV, detaches) keeps running under v2c-init" \
  sh -c "test \"\$(podman inspect -f '{{.State.Running}}' '$tag-legacy-app')\" = true"
check "... v2c-init is PID 1 and the daemon its child" \
  sh -c "podman top '$tag-legacy-app' pid args 2>/dev/null | grep -q 'legacy-daemon'"
start=$(date +%s)
timeout 60 podman stop -t 20 "$tag-legacy-app" >/dev/null 2>&1 || true
took=$(( $(date +%s) - start ))
check "... stops on SIGTERM, forwarded to the daemon (in ${took}s, not killed)" \
  sh -c "test $took -lt 15 && test \"\$(podman inspect -f '{{.State.ExitCode}}' '$tag-legacy-app')\" != 137"

"$V2C" convert --system -s nginx -o "$TMP/sys" "$src" >/dev/null 2>"$TMP/sys.err" || cat "$TMP/sys.err"
tag="$tag-sys"
hp=$(run_image "$TMP/sys" nginx 8080 "${nginx_secrets[@]}") && check "the system image of nginx serves the page too" answers "$hp" "fixture page" \
  || not_ok "system nginx starts"
tag=${tag%-sys}

# --verify: a working image passes, one whose service cannot start fails.
set +e
"$V2C" convert -s hello --verify --json -o "$TMP/v" "$src" >"$TMP/v.out" 2>"$TMP/v.err"; st=$?
set -e
check_or_show "$TMP/v.err" "--verify --json: hello answers (exit 0), as the document says" sh -c "test $st -eq 0 &&
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(d[\"images\"][0][\"verify\"][\"result\"] != \"answered\")' '$TMP/v.out'"
check "... a valid v2c.convert/1 document" validate_result convert "$TMP/v.out" \
  "verify: answered, alone::[(i['name'], i['verify']['result'], i['verify']['pod']) for i in doc['images']] == [('hello', 'answered', None)]"
# nginx with its secret files: --verify mounts the guest's own, read-only,
# from a private directory under TMPDIR that is gone afterwards.
mkdir -p "$TMP/vtmp"
set +e
TMPDIR="$TMP/vtmp" "$V2C" convert -s nginx --verify -o "$TMP/vn" "$src" >"$TMP/vn.out" 2>"$TMP/vn.err"; st=$?
set -e
check_or_show "$TMP/vn.err" "--verify: nginx answers on 8080 and 8443 with the guest's TLS key mounted (exit 0)" \
  sh -c "test $st -eq 0 && grep -q '^verified	nginx' '$TMP/vn.out'"
check "... and its temporary secrets directory is removed" test -z "$(ls -A "$TMP/vtmp")"
# --verify of nginx + webapp: one podman pod, as the Kubernetes manifest runs them.
mkdir -p "$TMP/pvtmp"
set +e
# In the background for its pid: the pod is v2c-verify-pod-PID-N, and other
# tests may be verifying pods of their own at the same moment.
TMPDIR="$TMP/pvtmp" "$V2C" convert -s nginx -s webapp --verify -o "$TMP/pv" "$src" >"$TMP/pv.out" 2>"$TMP/pv.err" &
pv_pid=$!
wait "$pv_pid"; st=$?
set -e
check_or_show "$TMP/pv.err" "--verify: nginx and webapp run together in one pod and answer (exit 0)" sh -c "test $st -eq 0 &&
  grep -q '^verified	nginx	pod nginx-webapp\$' '$TMP/pv.out' && grep -q '^verified	webapp	pod nginx-webapp\$' '$TMP/pv.out'"
check "... and leaves no pod behind (v2c-verify-pod-$pv_pid-*)" \
  sh -c "! podman pod ls --format '{{.Name}}' | grep -q '^v2c-verify-pod-$pv_pid-'"
check "... with both members' secret files staged in one private directory, removed afterwards" \
  test -z "$(ls -A "$TMP/pvtmp")"
# The same pod by hand, to look through nginx: GET /api/ reaches the webapp
# at 127.0.0.1:8000 inside the pod, as on the VM.
ln -sfn "$TMP/pv" "/tmp/$tag-pv"
ngx=$(podman pull -q "oci:/tmp/$tag-pv:nginx") && echo "$ngx" >>"$TMP/images"
app=$(podman pull -q "oci:/tmp/$tag-pv:webapp") && echo "$app" >>"$TMP/images"
rm -f "/tmp/$tag-pv"
php=$(free_port)
podman pod create --name "$tag-pod" -p "127.0.0.1:$php:8080" >/dev/null
podman run -d --pod "$tag-pod" --name "$tag-pod-nginx" "${nginx_secrets[@]}" "$ngx" >/dev/null
podman run -d --pod "$tag-pod" --name "$tag-pod-webapp" "${webapp_secrets[@]}" "$app" >/dev/null
check "in one pod, GET /api/ through nginx answers the webapp's reply, not 502" \
  sh -c "for i in \$(seq 1 60); do curl -s -m 3 'http://127.0.0.1:$php/api/' | grep -q 'webapp ok' && exit 0; sleep 0.5; done; exit 1"
podman pod rm -f --time 0 "$tag-pod" >/dev/null 2>&1 || true

# An app bound to 127.0.0.1 only, reached by nginx in its pod as on the
# VM: podman's published port cannot reach it, --verify checks it from
# inside the pod's network namespace (as root), alone and in the pod.
cp -a "$src" "$TMP/lo"
sed -i 's|app.py --port 8000$|app.py --port 8000 --bind 127.0.0.1|' "$TMP/lo/etc/systemd/system/webapp.service"
grep -q -- '--bind 127.0.0.1' "$TMP/lo/etc/systemd/system/webapp.service" || not_ok "the loopback-bound webapp fixture"
set +e
"$V2C" convert -s nginx -s webapp --verify --json -o "$TMP/lv" "$TMP/lo" >"$TMP/lv.out" 2>"$TMP/lv.err"; st=$?
set -e
check_or_show "$TMP/lv.err" "--verify --json: a webapp bound to 127.0.0.1 passes in its pod, checked inside it (exit 0)" sh -c "test $st -eq 0 &&
  grep -q 'webapp: port 8000 answers on 127.0.0.1 inside the container only' '$TMP/lv.err'"
check "... the document says both answered in pod nginx-webapp, with the note" validate_result convert "$TMP/lv.out" \
  "verify of each::[(i['name'], i['verify']['result'], i['verify']['pod']) for i in doc['images']] == [('nginx', 'answered', 'nginx-webapp'), ('webapp', 'answered', 'nginx-webapp')]" \
  "the note on webapp's port::any('webapp: port 8000 answers on 127.0.0.1 inside the container only' in n for n in doc['images'][1]['verify']['notes'])"
set +e
"$V2C" convert -s webapp --verify -o "$TMP/lw" "$TMP/lo" >"$TMP/lw.out" 2>"$TMP/lw.err"; st=$?
set -e
check_or_show "$TMP/lw.err" "--verify: the same webapp alone passes too, checked inside its container (exit 0)" sh -c "test $st -eq 0 &&
  grep -q '^verified	webapp\$' '$TMP/lw.out' && grep -q 'inside the container only' '$TMP/lw.err'"
check "... and nginx listening on every address is not said to be loopback-only" \
  sh -c "! grep -q 'nginx: port .* inside the container only' '$TMP/lv.err'"

cp -a "$src" "$TMP/broken"
printf '#!/bin/sh\necho broken >&2\nexit 3\n' >"$TMP/broken/usr/local/bin/hello-server"
set +e
"$V2C" convert -s hello --verify --json -o "$TMP/vb" "$TMP/broken" >"$TMP/vb.out" 2>"$TMP/vb.err"; st=$?
set -e
check "--verify: a service that does not answer fails (exit 1; --json: nothing on stdout)" \
  sh -c "test $st -eq 1 && test ! -s '$TMP/vb.out'"
check "... and says which port, with the container's log" sh -c "grep -q '8081' '$TMP/vb.err' && grep -q 'broken' '$TMP/vb.err'"

finish
