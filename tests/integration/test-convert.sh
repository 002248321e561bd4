#!/usr/bin/env bash
# v2c convert on the fixture guest (a directory): the layout and its images
# are accepted by independent tools (skopeo; umoci and oci-image-tool on a
# gzip conversion, since Debian 12's versions predate zstd), no byte of a
# planted secret lands in any blob, digests do not depend on the order of
# the services, the thread count or the run, lower layers are shared, and
# bad input gets the documented exit status without leaving output behind.
. "$(dirname "$0")/lib.sh"
fixture_root
src="$FIXTURES/root"
secrets="$FIXTURES/secret-values.txt"

blob() { echo "$1/blobs/sha256/${2#sha256:}"; }
manifest_of() { # manifest_of LAYOUT REF -> digest
  python3 -c 'import json,sys
for m in json.load(open(sys.argv[1]+"/index.json"))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == sys.argv[2]: print(m["digest"])' "$1" "$2"
}
config_of() { # config_of LAYOUT REF -> config JSON path
  local m; m=$(manifest_of "$1" "$2")
  blob "$1" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' "$(blob "$1" "$m")")"
}
layers_of() { # layers_of LAYOUT REF -> layer digests, one per line
  local m; m=$(manifest_of "$1" "$2")
  python3 -c 'import json,sys; [print(l["digest"]) for l in json.load(open(sys.argv[1]))["layers"]]' "$(blob "$1" "$m")"
}

# --- a conversion of four services -----------------------------------------------
"$V2C" convert -s webapp -s nginx -s hello -s legacy-app -o "$TMP/a" "$src" >"$TMP/a.out" 2>"$TMP/a.err" \
  || { cat "$TMP/a.err"; not_ok "v2c convert of webapp, nginx, hello, legacy-app"; finish; exit 1; }
ok "v2c convert of webapp, nginx, hello, legacy-app"
check "stdout lists each image with its manifest digest" \
  sh -c "test \$(grep -cE '^(webapp|nginx|hello|legacy-app)	sha256:[0-9a-f]{64}\$' '$TMP/a.out') -eq 4"
check "the layout has oci-layout, index.json and blobs" \
  sh -c "test -f '$TMP/a/oci-layout' && test -f '$TMP/a/index.json' && test -d '$TMP/a/blobs/sha256'"
for ref in webapp nginx hello legacy-app; do
  check "skopeo reads $ref from the layout" sh -c "skopeo inspect 'oci:$TMP/a:$ref' >/dev/null"
done
check "layers are zstd" sh -c "skopeo inspect --raw 'oci:$TMP/a:nginx' | grep -q 'tar+zstd'"
# hello's hardened Kubernetes manifest (its file capability: see "file
# capabilities" below), checked as soon as the layout exists: nothing
# after changes it, and a bug in it is seen without the rest of the test.
check "hello's Kubernetes manifest adds NET_BIND_SERVICE to the container's capabilities" python3 -c '
import sys, yaml
d = next(x for x in yaml.safe_load_all(open(sys.argv[1])) if x["kind"] == "Deployment")
sc = d["spec"]["template"]["spec"]["containers"][0]["securityContext"]
assert sc["capabilities"]["add"] == ["NET_BIND_SERVICE"], sc' "$TMP/a/v2c/hello.k8s.yaml"
check "... and drops every other, never escalating but for its file capability, read-only root, RuntimeDefault seccomp, non-root" \
  python3 - "$TMP/a/v2c/hello.k8s.yaml" <<'PY'
import sys, yaml
d = next(x for x in yaml.safe_load_all(open(sys.argv[1])) if x["kind"] == "Deployment")
pod = d["spec"]["template"]["spec"]
c = pod["containers"][0]
sc = c["securityContext"]
assert sc["capabilities"]["drop"] == ["ALL"], sc
assert sc["allowPrivilegeEscalation"] is True, sc     # exec must raise its file capability
assert sc["readOnlyRootFilesystem"] is True and sc["seccompProfile"] == {"type": "RuntimeDefault"}, sc
# DynamicUser=yes on the VM: a fixed uid of systemd's dynamic range, not the shared nobody
assert sc["runAsNonRoot"] is True and 61184 <= sc["runAsUser"] <= 65519, sc
assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, pod
# a port below 1024 as non-root: Kubernetes gives no ambient capability
ports = [p["containerPort"] for p in c["ports"]]
if min(ports) < 1024:
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": str(min(ports))} in pod["securityContext"]["sysctls"], pod
# /tmp writable, from an emptyDir; nothing else
m = {v["mountPath"]: v["name"] for v in c["volumeMounts"]}
v = {v["name"]: v for v in pod["volumes"]}
assert "/tmp" in m and v[m["/tmp"]]["emptyDir"] == {}, (m, v)
note = d["spec"]["template"]["metadata"]["annotations"]["hardening.v2c.io/hello"]
assert "file capability of /usr/local/bin/hello-server" in note and "readOnlyRootFilesystem: true" in note, note
PY
# --json: the same conversion as a v2c.convert/1 document (docs/convert.md),
# true to the layout it describes and to the text run's digests.
"$V2C" convert --json -s webapp -s nginx -s hello -s legacy-app -o "$TMP/aj" "$src" >"$TMP/aj.out" 2>"$TMP/aj.err" \
  || cat "$TMP/aj.err"
text_digests=$(awk -F'\t' '{ printf "(\x27%s\x27, \x27%s\x27), ", $1, $2 }' "$TMP/a.out")
check_or_show "$TMP/aj.err" "convert --json: a v2c.convert/1 document, true to the layout" validate_result convert "$TMP/aj.out" \
  "the four images, with the text run's manifest digests::sorted((i['name'], i['manifest']['digest']) for i in doc['images']) == sorted([$text_digests])" \
  "the images in index.json's order::[i['name'] for i in doc['images']] == [m['annotations']['org.opencontainers.image.ref.name'] for m in json.load(open('$TMP/aj/index.json'))['manifests']]" \
  "each manifest digest is index.json's, its size the blob's::all(index(i['name']) == [i['manifest']['digest']] and len(blob(i['manifest']['digest'])) == i['manifest']['size'] for i in doc['images'])" \
  "config and layers are the manifest's (digest, size, media type)::all(manifest(i['manifest']['digest'])['config'] == {'mediaType': i['config']['media_type'], 'digest': i['config']['digest'], 'size': i['config']['size']} and [(l['mediaType'], l['digest'], l['size']) for l in manifest(i['manifest']['digest'])['layers']] == [(l['media_type'], l['digest'], l['size']) for l in i['layers']] for i in doc['images'])" \
  "diff_ids are the config's::all(json.loads(blob(i['config']['digest']))['rootfs']['diff_ids'] == [l['diff_id'] for l in i['layers']] for i in doc['images'])" \
  "every blob's file has the size said::all(len(blob(l['digest'])) == l['size'] for i in doc['images'] for l in i['layers'])" \
  "size is the manifest, config and layers together::all(i['size'] == i['manifest']['size'] + i['config']['size'] + sum(l['size'] for l in i['layers']) for i in doc['images'])" \
  "roles, service names, ports::{i['name']: (i['service'], [l['role'] for l in i['layers']][-1], i['ports']) for i in doc['images']}['nginx'] == ('nginx', 'app', [8080, 8443])" \
  "nginx declares its secret files (TLS key 0600, htpasswd), webapp its secret variables::'/etc/ssl/private/web01.key' in [f['path'] for i in doc['images'] if i['name'] == 'nginx' for f in i['secret_files']] and [i['env_required'] for i in doc['images'] if i['name'] == 'webapp'][0] != []" \
  "nginx and webapp share a pod; nothing pushed or verified::doc['pods'] == [{'name': 'nginx-webapp', 'images': ['nginx', 'webapp']}] and all(i['pushed'] is None and i['verify'] is None for i in doc['images'])" \
  "the warnings are the ones on stderr::all(('v2c: warning: ' + w) in open('$TMP/aj.err').read() for w in doc['warnings'])"
# Every blob's name is its digest.
bad=0
for f in "$TMP/a"/blobs/sha256/*; do
  [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || bad=$((bad + 1))
done
check "every blob hashes to its name" test "$bad" -eq 0
# Each layer's tar hashes to the config's diff_id.
python3 - "$TMP/a" >"$TMP/diffids" <<'EOF'
import json, sys
d = sys.argv[1]
b = lambda x: d + "/blobs/sha256/" + x[7:]
for m in json.load(open(d + "/index.json"))["manifests"]:
    man = json.load(open(b(m["digest"])))
    cfg = json.load(open(b(man["config"]["digest"])))
    for l, di in zip(man["layers"], cfg["rootfs"]["diff_ids"]):
        print(b(l["digest"]), di)
EOF
bad=0
while read -r f di; do
  [ "sha256:$(zstd -dc "$f" | sha256sum | cut -d' ' -f1)" = "$di" ] || bad=$((bad + 1))
done <"$TMP/diffids"
check "every layer decompresses to its diff_id" test "$bad" -eq 0

# --- shared lower layers ----------------------------------------------------------
check "webapp and nginx share their base layer" \
  test "$(layers_of "$TMP/a" webapp | head -1)" = "$(layers_of "$TMP/a" nginx | head -1)"
check "hello and legacy-app share it too" \
  test "$(layers_of "$TMP/a" hello | head -1)" = "$(layers_of "$TMP/a" legacy-app | head -1)"
check "nginx has four layers (base, packages, config, app)" test "$(layers_of "$TMP/a" nginx | wc -l)" -eq 4

# --- what the images hold and how they start ---------------------------------------
cfg=$(config_of "$TMP/a" nginx)
check "nginx: foreground switch in Cmd" grep -q '"daemon off; master_process on;"' "$cfg"
check "nginx: port 8080 exposed" grep -q '"8080/tcp"' "$cfg"
check "nginx: created from SOURCE_DATE_EPOCH's default" grep -q '"created":"2000-01-01T00:00:00Z"' "$cfg"
cfg=$(config_of "$TMP/a" webapp)
check "webapp: runs as its user" grep -q '"User":"webapp:webapp"' "$cfg"
check "webapp: working directory kept" grep -q '"WorkingDir":"/opt/webapp"' "$cfg"
check "webapp: plain variables of its EnvironmentFile in Env" grep -q '"DB_HOST=db.internal"' "$cfg"
check "webapp: secret variables not in Env" sh -c "! grep -qE 'DB_PASSWORD|API_TOKEN' '$cfg'"
check "webapp: the env template asks for them" \
  sh -c "grep -qx 'DB_PASSWORD=' '$TMP/a/v2c/webapp.env.template' && grep -qx 'API_TOKEN=' '$TMP/a/v2c/webapp.env.template'"
cfg=$(config_of "$TMP/a" legacy-app)
check "legacy-app (SysV, forking): started by v2c-init following its PID file" \
  grep -q '"Entrypoint":\["/usr/libexec/v2c-init","--pidfile","/run/legacy-app.pid","--"\]' "$cfg"
cfg=$(config_of "$TMP/a" hello)
check "hello (DynamicUser=yes): runs as nobody" grep -q '"User":"nobody"' "$cfg"
check "hello: StopSignal from KillSignal=" grep -q '"StopSignal":"SIGINT"' "$cfg"

# Unpacked (all layers in order), nginx holds what it needs and nothing more.
unpack() { # unpack LAYOUT REF DIR
  mkdir -p "$3"
  for l in $(layers_of "$1" "$2"); do zstd -dc "$(blob "$1" "$l")" | tar -C "$3" --numeric-owner -xf -; done
}
unpack "$TMP/a" nginx "$TMP/nginx"
check "nginx: the real binary and its libraries" \
  sh -c "test -x '$TMP/nginx/usr/sbin/nginx' && test -e '$TMP/nginx/usr/lib/x86_64-linux-gnu/libcrypt.so.1' && test -e '$TMP/nginx/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0'"
check "nginx: merged /usr kept (/lib is a link)" test -L "$TMP/nginx/lib"
check "nginx: its config and the page it serves" \
  sh -c "test -f '$TMP/nginx/etc/nginx/nginx.conf' && test -f '$TMP/nginx/var/www/html/index.html'"
check "nginx: logs go to the container's output" \
  sh -c "test \"\$(readlink '$TMP/nginx/var/log/nginx/access.log')\" = /dev/stdout && test \"\$(readlink '$TMP/nginx/var/log/nginx/error.log')\" = /dev/stderr"
check "nginx: no init scripts, units or docs" \
  sh -c "test ! -e '$TMP/nginx/etc/init.d/nginx' && test ! -e '$TMP/nginx/lib/systemd/system/nginx.service' && test ! -e '$TMP/nginx/usr/share/doc'"
check "nginx: no htpasswd (a secret)" test ! -e "$TMP/nginx/etc/nginx/.htpasswd"
check "nginx: no TLS key (a secret its config names)" test ! -e "$TMP/nginx/etc/ssl/private/web01.key"
check "nginx: its TLS certificate (named by its config, not a secret) is there" \
  cmp -s "$TMP/nginx/etc/ssl/certs/web01.crt" "$src/etc/ssl/certs/web01.crt"
cfg=$(config_of "$TMP/a" nginx)
check "nginx: v2c-init checks its secret files, then execs nginx" \
  grep -q '"Entrypoint":\["/usr/libexec/v2c-init","--require","/etc/nginx/.htpasswd","--require","/etc/ssl/private/web01.key","--secret","nginx-files","--exec","--","/usr/sbin/nginx"\]' "$cfg"
check "nginx: v2c-init is in the image" test -x "$TMP/nginx/usr/libexec/v2c-init"
check "nginx: the env template lists the TLS key with its owner and mode" \
  grep -qxF '# secret file /etc/ssl/private/web01.key owner root:root (0:0) mode 0600 kind private-key key web01.key' \
  "$TMP/a/v2c/nginx.env.template"
check "nginx: ... and the htpasswd file with its group" \
  grep -qxF '# secret file /etc/nginx/.htpasswd owner root:www-data (0:33) mode 0640 kind htpasswd key .htpasswd' \
  "$TMP/a/v2c/nginx.env.template"
# nginx shares a pod with webapp (below): its container in that manifest.
check "nginx: the Kubernetes manifest mounts the key from the Secret nginx-files (item, mode 0600, read-only, subPath)" \
  python3 - "$TMP/a/v2c/nginx-webapp.pod.k8s.yaml" <<'PY'
import sys, yaml
dep = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Deployment")
pod = dep["spec"]["template"]["spec"]
vol = next(v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == "nginx-files")
item = next(i for i in vol["secret"]["items"] if i["key"] == "web01.key")
assert item["mode"] == 0o600 and item["path"] == "web01.key", item
nginx = next(c for c in pod["containers"] if c["name"] == "nginx")
m = next(m for m in nginx["volumeMounts"] if m["mountPath"] == "/etc/ssl/private/web01.key")
assert m["name"] == vol["name"] and m["subPath"] == "web01.key" and m["readOnly"] is True, m
PY
check "nginx: the worker user www-data is in passwd" grep -q '^www-data:' "$TMP/nginx/etc/passwd"
check "nginx: people's accounts are not" sh -c "! grep -q '^deploy:' '$TMP/nginx/etc/passwd'"
check "nginx: no shadow file" test ! -e "$TMP/nginx/etc/shadow"
check "nginx: no other service's files" sh -c "test ! -e '$TMP/nginx/opt/webapp' && test ! -e '$TMP/nginx/etc/redis'"
unpack "$TMP/a" webapp "$TMP/webapp"
check "webapp: python, its stdlib and the app" \
  sh -c "test -e '$TMP/webapp/usr/bin/python3' && test -f '$TMP/webapp/usr/lib/python3.11/http/server.py' && test -f '$TMP/webapp/opt/webapp/app.py'"
check "webapp: the service-account key stays out" test ! -e "$TMP/webapp/opt/webapp/service-account.json"
check "webapp: the env file holding secrets stays out" test ! -e "$TMP/webapp/etc/webapp/webapp.env"
unpack "$TMP/a" legacy-app "$TMP/legacy"
check "legacy-app: v2c-init is in the image, static" \
  sh -c "test -x '$TMP/legacy/usr/libexec/v2c-init' && file '$TMP/legacy/usr/libexec/v2c-init' | grep -q 'statically linked'"

# --- no secret anywhere -----------------------------------------------------------------
# Every blob decompressed (layers) or as is (configs, manifests), and the
# side files: none holds a planted value or a line of a planted key.
# Checked here and again at the end over every layout this test made.
# secrets_found [--except GUEST-PATH] LAYOUT...: prints how many planted
# texts (key lines and values of secret-values.txt, but those of
# GUEST-PATH) the layouts hold; each one's kind and guest path in
# $TMP/found (and on stderr).
secrets_found() {
  local except=""
  if [ "$1" = --except ]; then except=$2; shift 2; fi
  : >"$TMP/all"
  local d f
  for d in "$@"; do
    for f in "$d"/blobs/sha256/*; do
      if zstd -t "$f" 2>/dev/null; then zstd -dc "$f" >>"$TMP/all";
      elif gzip -t "$f" 2>/dev/null; then gzip -dc "$f" >>"$TMP/all";
      else cat "$f" >>"$TMP/all"; fi
    done
    cat "$d"/v2c/* "$d/index.json" >>"$TMP/all"
  done
  awk -F'\t' -v x="$except" '($1 == "keyline" || $1 == "value") && $2 != x && $3 != "" { print $3 }' \
    "$secrets" >"$TMP/texts"
  # One pass over the bytes for every text; then which lines they were.
  { grep -aoF -f "$TMP/texts" "$TMP/all" || true; } | sort -u >"$TMP/hits"
  awk -F'\t' 'NR == FNR { hit[$0] = 1; next }
      ($1 == "keyline" || $1 == "value") && ($3 in hit) { print $1 "\t" $2 }' "$TMP/hits" "$secrets" >"$TMP/found"
  sed 's/^/# found: /' "$TMP/found" >&2
  wc -l <"$TMP/found"
}
check "no planted secret (keys, passwords, tokens) in any blob or side file" test "$(secrets_found "$TMP/a")" -eq 0

# The check sees secrets in images: one made with two secret files kept
# (nginx's htpasswd, webapp's env file) holds their values and nothing else;
# one made with the service-account key kept holds every line of that key.
"$V2C" convert -s nginx -s webapp --include-secret /etc/nginx/.htpasswd \
  --include-secret /etc/webapp/webapp.env -o "$TMP/self" "$src" >/dev/null 2>"$TMP/self.err" || cat "$TMP/self.err"
n=$(secrets_found "$TMP/self" 2>/dev/null)
check_or_show "$TMP/found" "the check above sees planted values in an image: the kept htpasswd's and webapp.env's 2" \
  sh -c "grep -qx 'value	/etc/nginx/.htpasswd' '$TMP/found' && test \$(grep -cx 'value	/etc/webapp/webapp.env' '$TMP/found') -eq 2"
check_or_show "$TMP/found" "... and nothing but them" test "$n" -eq 3

# --include-secret overrides one, loudly; every other secret stays out.
"$V2C" convert -s webapp --include-secret /opt/webapp/service-account.json -o "$TMP/inc" "$src" >/dev/null 2>"$TMP/inc.err"
unpack "$TMP/inc" webapp "$TMP/inc-root"
check "--include-secret keeps that file" test -f "$TMP/inc-root/opt/webapp/service-account.json"
n=$(secrets_found "$TMP/inc" 2>/dev/null)
keylines=$(grep -c '^keyline	/opt/webapp/service-account.json	' "$secrets")
check_or_show "$TMP/found" "... and the secret check sees every one of its $keylines key lines there" \
  sh -c "test $keylines -gt 0 && test \$(grep -cx 'keyline	/opt/webapp/service-account.json' '$TMP/found') -eq $keylines"
check "... and says so on stderr" grep -q 'including secret /opt/webapp/service-account.json' "$TMP/inc.err"
check "... webapp's env file (DB_PASSWORD, API_TOKEN) still stays out" test ! -e "$TMP/inc-root/etc/webapp/webapp.env"
check_or_show "$TMP/found" "... and no other planted secret is in that layout" \
  test "$(secrets_found --except /opt/webapp/service-account.json "$TMP/inc")" -eq 0

# A secret file the configuration names (nginx's TLS key), kept with
# --include-secret: it goes into the image, and the entrypoint no longer
# requires it to be mounted (it did, while leaving it out: nginx died).
"$V2C" convert -s nginx --include-secret /etc/ssl/private/web01.key -o "$TMP/inckey" "$src" >/dev/null 2>"$TMP/inckey.err"
unpack "$TMP/inckey" nginx "$TMP/inckey-root"
check_or_show "$TMP/inckey.err" "--include-secret of nginx's TLS key: the key is in the image, as on the guest" \
  cmp "$TMP/inckey-root/etc/ssl/private/web01.key" "$src/etc/ssl/private/web01.key"
check "... and the entrypoint requires only the htpasswd, still mounted" \
  grep -q '"Entrypoint":\["/usr/libexec/v2c-init","--require","/etc/nginx/.htpasswd","--secret","nginx-files","--exec"' \
  "$(config_of "$TMP/inckey" nginx)"

# --- side files ------------------------------------------------------------------------
python3 - "$TMP/a" <<'EOF' && ok "lock file records every manifest, config and layer digest" || not_ok "lock file"
import json, sys
d = sys.argv[1]
lock = json.load(open(d + "/v2c/lock.json"))
assert lock["schema"] == "v2c.lock/1"
idx = {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in json.load(open(d + "/index.json"))["manifests"]}
assert sorted(idx) == sorted(i["ref_name"] for i in lock["images"])
for i in lock["images"]:
    assert idx[i["ref_name"]] == i["manifest"]["digest"]
    man = json.load(open(d + "/blobs/sha256/" + i["manifest"]["digest"][7:]))
    assert man["config"]["digest"] == i["config"]["digest"]
    assert [l["digest"] for l in man["layers"]] == [l["digest"] for l in i["layers"]]
EOF
python3 - "$TMP/a" <<'EOF' && ok "SPDX 2.3 SBOM with the guest's packages and versions" || not_ok "SBOM"
import json, sys
s = json.load(open(sys.argv[1] + "/v2c/nginx.spdx.json"))
assert s["spdxVersion"] == "SPDX-2.3"
names = {p["name"]: p.get("versionInfo") for p in s["packages"]}
assert names.get("nginx") == "1.22.1-9", names
assert "libc6" in names and "libssl3" in names
EOF
digest=$(manifest_of "$TMP/a" nginx)
# nginx and webapp reach each other over 127.0.0.1 (inspect's connects_to):
# converted together they share one pod, each its own container by digest.
pod="$TMP/a/v2c/nginx-webapp.pod.k8s.yaml"
check "Kubernetes manifests pull nginx by digest (in the pod it shares with webapp)" \
  grep -q "localhost/v2c/nginx@$digest" "$pod"
# Every image reference of every manifest, wherever it sits: NAME@sha256:HEX,
# no tag.
images_by_digest() { # images_by_digest YAML... -> exit 0 when all are
  python3 - "$@" <<'PY'
import re, sys, yaml
def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "image":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)
bad, n = [], 0
for f in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(f)):
        for r in refs(doc):
            n += 1
            name, _, digest = str(r).partition("@")
            if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest) or ":" in name.rsplit("/", 1)[-1]:
                bad.append("%s: %s" % (f.rsplit("/", 1)[-1], r))
for b in bad:
    print("# not by digest: " + b)
sys.exit(1 if bad or n == 0 else 0)
PY
}
check "... never by tag: every image of every manifest is NAME@sha256:DIGEST" images_by_digest "$TMP"/a/v2c/*.yaml
check "nginx + webapp: ONE Deployment whose pod runs both, each by its digest; a Service for each" python3 -c '
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
deps = [d for d in docs if d["kind"] == "Deployment"]
assert len(deps) == 1, deps
pod = deps[0]["spec"]["template"]
cs = {c["name"]: c["image"] for c in pod["spec"]["containers"]}
assert cs == {"nginx": "localhost/v2c/nginx@" + sys.argv[2], "webapp": "localhost/v2c/webapp@" + sys.argv[3]}, cs
label = pod["metadata"]["labels"]["app.kubernetes.io/name"]
svcs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
assert set(svcs) == {"nginx", "webapp"}, svcs
for name, ports in (("nginx", [8080, 8443]), ("webapp", [8000])):
    assert svcs[name]["spec"]["selector"] == {"app.kubernetes.io/name": label}
    assert [p["port"] for p in svcs[name]["spec"]["ports"]] == ports, (name, svcs[name]["spec"]["ports"])
' "$pod" "$digest" "$(manifest_of "$TMP/a" webapp)"
check "... and no manifest runs either of them alone" \
  sh -c "test ! -e '$TMP/a/v2c/nginx.k8s.yaml' && test ! -e '$TMP/a/v2c/webapp.k8s.yaml' && test -e '$TMP/a/v2c/hello.k8s.yaml'"
check "v2c/links.json names the pod and webapp's connection to redis-server, left on the VM" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pods"] == [{"name": "nginx-webapp", "services": ["nginx", "webapp"], "manifest": "nginx-webapp.pod.k8s.yaml"}], d
o = [(x["service"], x["connects_to"], x["port"], x["via"]) for x in d["outside"]]
assert o == [("webapp", "redis-server", 6380, "REDIS_URL")], o
' "$TMP/a/v2c/links.json"
check "convert warns that REDIS_URL must reach the VM instead of 127.0.0.1:6380" \
  grep -q "webapp reaches redis-server at 127.0.0.1:6380 (REDIS_URL, /etc/webapp/webapp.env:8).*set REDIS_URL" "$TMP/a.err"
check "image labels: io.v2c.pod on both, io.v2c.needs on webapp" sh -c "
  grep -q '\"io.v2c.pod\":\"nginx-webapp\"' '$(config_of "$TMP/a" nginx)' &&
  grep -q '\"io.v2c.pod\":\"nginx-webapp\"' '$(config_of "$TMP/a" webapp)' &&
  grep -q '\"io.v2c.needs\":\"redis-server:6380\"' '$(config_of "$TMP/a" webapp)' &&
  ! grep -q 'io.v2c.needs' '$(config_of "$TMP/a" nginx)'"

# --- determinism -------------------------------------------------------------------------
"$V2C" convert -s legacy-app -s hello -s nginx -s webapp --threads 1 -o "$TMP/b" "$src" >/dev/null 2>&1
check "another order and one zstd thread: byte-identical layouts" diff -r "$TMP/a" "$TMP/b"
"$V2C" convert -s nginx -o "$TMP/c" "$FIXTURES/root.tar" -v >/dev/null 2>"$TMP/c.err"
check "nginx alone: its own manifest, and a warning that 127.0.0.1:8000 (webapp) is left behind" sh -c "
  test -e '$TMP/c/v2c/nginx.k8s.yaml' && grep -q 'nginx reaches webapp at 127.0.0.1:8000 (proxy_pass' '$TMP/c.err' &&
  grep -q '\"io.v2c.needs\":\"webapp:8000\"' '$(config_of "$TMP/c" nginx)'"
check "the tar of the same guest gives nginx the same layers" \
  test "$(layers_of "$TMP/c" nginx)" = "$(layers_of "$TMP/a" nginx)"
"$V2C" convert -s hello -o "$TMP/ct" "$FIXTURES/root.tar" >/dev/null 2>&1
check "... and hello, file capabilities included, the same layers" \
  test "$(layers_of "$TMP/ct" hello)" = "$(layers_of "$TMP/a" hello)"
SOURCE_DATE_EPOCH=1700000000 "$V2C" convert -s hello -o "$TMP/e" "$src" >/dev/null 2>&1
check "SOURCE_DATE_EPOCH changes created" grep -q '"created":"2023-11-14T22:13:20Z"' "$(config_of "$TMP/e" hello)"
"$V2C" inspect --json -o "$TMP/report.json" "$src"
check "inspect --report shows a saved report (JSON round trip byte-identical)" \
  sh -c "'$V2C' inspect --report '$TMP/report.json' --json | cmp -s - '$TMP/report.json'"
# With webapp: the labels of a pod's member name the pod, as in $TMP/a.
"$V2C" convert --report "$TMP/report.json" -s nginx -s webapp -o "$TMP/r" "$src" >/dev/null 2>&1
check "--report reuses an inspection: same digest" test "$(manifest_of "$TMP/r" nginx)" = "$(manifest_of "$TMP/a" nginx)"

# --- file capabilities ----------------------------------------------------------------------
# The fixture's hello-server has cap_net_bind_service=ep: its layer entry
# carries the same security.capability value, in a SCHILY.xattr record, and
# no other entry of any image carries an xattr.
python3 - "$TMP/a" "$src/usr/local/bin/hello-server" >"$TMP/xattrs" <<'EOF'
import io, json, os, subprocess, sys, tarfile
d, host = sys.argv[1], sys.argv[2]
want = os.getxattr(host, "security.capability", follow_symlinks=False).hex()
b = lambda x: d + "/blobs/sha256/" + x[7:]
seen = set()
for m in json.load(open(d + "/index.json"))["manifests"]:
    for l in json.load(open(b(m["digest"])))["layers"]:
        if l["digest"] in seen:
            continue
        seen.add(l["digest"])
        raw = subprocess.run(["zstd", "-dc", b(l["digest"])], capture_output=True, check=True).stdout
        for e in tarfile.open(fileobj=io.BytesIO(raw)):
            for k, v in e.pax_headers.items():
                if "xattr" in k:
                    got = v.encode("utf-8", "surrogateescape").hex()
                    print(e.name, k, "same" if got == want else "other:" + got)
EOF
check "hello-server's layer entry keeps its file capability (SCHILY.xattr record)" \
  grep -qx 'usr/local/bin/hello-server SCHILY.xattr.security.capability same' "$TMP/xattrs"
check "no other xattr, no LIBARCHIVE.xattr copy, in any layer" test "$(wc -l <"$TMP/xattrs")" -eq 1
check "nginx (root on the VM) gets the runtime's default set after dropping all, and its built-in temp directory writable" \
  python3 - "$TMP/c/v2c/nginx.k8s.yaml" <<'PY'
import sys, yaml
d = next(x for x in yaml.safe_load_all(open(sys.argv[1])) if x["kind"] == "Deployment")
pod = d["spec"]["template"]["spec"]
c = pod["containers"][0]
sc = c["securityContext"]
assert sc["capabilities"]["drop"] == ["ALL"], sc
assert sc["capabilities"]["add"] == ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE",
                                     "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"], sc
assert "runAsNonRoot" not in sc and sc["allowPrivilegeEscalation"] is False, sc
m = {v["mountPath"] for v in c["volumeMounts"]}
assert {"/var/lib/nginx", "/tmp"} <= m, m
PY
grep 'nginx: hardened: ' "$TMP/c.err" >"$TMP/c.hardened" || true
check "convert -v logs each hardening decision with what it came from" \
  sh -c "grep -q 'nginx: hardened: capabilities: all dropped; added: CAP_CHOWN (root without CapabilityBoundingSet=' '$TMP/c.hardened' &&
         grep -q 'nginx: hardened: readOnlyRootFilesystem: true; writable: ' '$TMP/c.hardened'"
st=0; "$V2C" convert -s hello -o "$TMP/nh" "$src" --no-harden --runtime-class kata-qemu >/dev/null 2>"$TMP/nh.err" || st=$?
check "--no-harden: exit 0 (got $st), said loudly" sh -c "test $st -eq 0 && grep -q 'warning: --no-harden: the images run with the runtime' '$TMP/nh.err'"
check "... its manifest sets no read-only root, drops nothing, and --runtime-class names the runtime" \
  python3 - "$TMP/nh/v2c/hello.k8s.yaml" <<'PY'
import sys, yaml
d = next(x for x in yaml.safe_load_all(open(sys.argv[1])) if x["kind"] == "Deployment")
pod = d["spec"]["template"]["spec"]
sc = pod["containers"][0]["securityContext"]
assert "readOnlyRootFilesystem" not in sc and "drop" not in sc["capabilities"], sc
assert pod["runtimeClassName"] == "kata-qemu", pod
PY
st=0; "$V2C" convert -s hello -o "$TMP/rc" "$src" --runtime-class Kata_QEMU >/dev/null 2>"$TMP/rc.err" || st=$?
check "--runtime-class Kata_QEMU: a usage error (exit 2, got $st), nothing written" \
  sh -c "test $st -eq 2 && grep -q 'is not a Kubernetes name' '$TMP/rc.err' && test ! -e '$TMP/rc'"
if [ "$(id -u)" = 0 ]; then
  "$V2C" convert --gzip -s hello -o "$TMP/gcap" "$src" >/dev/null 2>&1
  umoci unpack --image "$TMP/gcap:hello" "$TMP/bundle-cap" >/dev/null 2>"$TMP/umoci.err" || cat "$TMP/umoci.err"
  check "umoci unpack restores it: getcap shows cap_net_bind_service=ep" \
    sh -c "getcap '$TMP/bundle-cap/rootfs/usr/local/bin/hello-server' | grep -q 'cap_net_bind_service=ep'"
else
  skip_check "umoci unpack restores hello-server's file capability" "not root: umoci cannot set file capabilities"
fi

# --- independent tools on a gzip conversion ----------------------------------------------
"$V2C" convert --gzip -s webapp -s nginx -o "$TMP/g" "$src" >/dev/null 2>&1
check "gzip layers" sh -c "skopeo inspect --raw 'oci:$TMP/g:nginx' | grep -q 'tar+gzip'"
for ref in webapp nginx; do
  check "oci-image-tool validates $ref" oci-image-tool validate --type image --ref "name=$ref" "$TMP/g"
  rm -rf "$TMP/bundle-$ref"
  umoci unpack --rootless --image "$TMP/g:$ref" "$TMP/bundle-$ref" >/dev/null 2>"$TMP/umoci.err" || cat "$TMP/umoci.err"
  check "umoci unpacks $ref (every digest verified)" test -d "$TMP/bundle-$ref/rootfs/etc"
done
check "umoci's runtime config runs nginx in the foreground" grep -q 'daemon off' "$TMP/bundle-nginx/config.json"
check "gzip and zstd layers have the same diff_ids" \
  test "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rootfs"])' "$(config_of "$TMP/g" nginx)")" = \
       "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rootfs"])' "$(config_of "$TMP/a" nginx)")"

# --- stateful services and system images --------------------------------------------------
set +e
"$V2C" convert --json -s redis-server -o "$TMP/s" "$src" >"$TMP/s.out" 2>"$TMP/s.err"; st=$?
set -e
check "a stateful service is refused (exit 4; --json: nothing on stdout)" sh -c "test $st -eq 4 && test ! -s '$TMP/s.out'"
check "... with inspect's reasons and the way out" \
  sh -c "grep -q 'dump.rdb' '$TMP/s.err' && grep -q -- '--allow-stateful' '$TMP/s.err' && test \$(wc -l <'$TMP/s.err') -eq 1"
check "... and writes nothing" test ! -e "$TMP/s"
"$V2C" convert -s redis-server --allow-stateful -o "$TMP/s" "$src" --json >"$TMP/s.json" 2>/dev/null
cfg=$(config_of "$TMP/s" redis-server)
check "--allow-stateful: its data path is a volume" grep -q '"Volumes":{"/var/lib/redis":{}}' "$cfg"
check "... --json says so, with the secret file it needs" validate_result convert "$TMP/s.json" \
  "volumes and secret_files::[(i['volumes'], [(f['path'], f['mode']) for f in i['secret_files']]) for i in doc['images']] == [(['/var/lib/redis'], [('/etc/redis/redis.conf', '0640')])]"
check "... its Kubernetes manifests claim a volume" grep -q 'PersistentVolumeClaim' "$TMP/s/v2c/redis-server.k8s.yaml"
check "... redis runs in the foreground" grep -q '"--daemonize","no"' "$cfg"
unpack "$TMP/s" redis-server "$TMP/redis"
check "... the redis config (holding requirepass) is a secret: left out" \
  sh -c "! grep -rqF 'V2C-PLANTED-redis' '$TMP/redis' 2>/dev/null"
check "... no data of the VM in the image" test ! -e "$TMP/redis/var/lib/redis/dump.rdb"
check "... the env template says to mount the config" \
  grep -q '^# secret file /etc/redis/redis.conf owner redis:redis .* mode 0640 kind config-password' "$TMP/s/v2c/redis-server.env.template"

"$V2C" convert --system -s nginx -o "$TMP/sys" "$src" >/dev/null 2>"$TMP/sys.err" || cat "$TMP/sys.err"
unpack "$TMP/sys" nginx "$TMP/sysroot"
check "--system: the whole OS tree (other services' files too)" \
  sh -c "test -f '$TMP/sysroot/opt/webapp/app.py' && test -f '$TMP/sysroot/etc/postgresql/15/main/postgresql.conf' && test -f '$TMP/sysroot/var/lib/dpkg/status'"
check "--system: no kernel, boot, logs or caches" \
  sh -c "test -z \"\$(ls -A '$TMP/sysroot/boot' 2>/dev/null)\" && test -z \"\$(find '$TMP/sysroot/var/log' -type f)\""
check "--system: shadow kept with every password locked" \
  sh -c "test -f '$TMP/sysroot/etc/shadow' && ! awk -F: '\$2 != \"*\"' '$TMP/sysroot/etc/shadow' | grep -q ."
check "--system: secrets still left out" \
  sh -c "test ! -e '$TMP/sysroot/root/.ssh/id_rsa' && test ! -e '$TMP/sysroot/etc/ssh/ssh_host_ed25519_key' && test ! -e '$TMP/sysroot/root/.aws/credentials'"
check "--system: shares the base layer with the service images" \
  test "$(layers_of "$TMP/sys" nginx | head -1)" = "$(layers_of "$TMP/a" nginx | head -1)"

# --- bad input ---------------------------------------------------------------------------
set +e
"$V2C" convert -s no-such-service -o "$TMP/x" "$src" >/dev/null 2>"$TMP/x.err"; st=$?
set -e
check "an unknown service: exit 2" test "$st" -eq 2
check "... the message lists the known services" sh -c "grep -q 'webapp' '$TMP/x.err' && grep -q 'nginx' '$TMP/x.err'"
check "... nothing written" test ! -e "$TMP/x"
mkdir -p "$TMP/data"; echo keep >"$TMP/data/file"
set +e
"$V2C" convert -s hello -o "$TMP/data" "$src" >/dev/null 2>"$TMP/d.err"; st=$?
"$V2C" convert -s hello --force -o "$TMP/data" "$src" >/dev/null 2>>"$TMP/d.err"; st2=$?
set -e
check "an output directory holding other data is refused (exit 4), even with --force" \
  sh -c "test $st -eq 4 && test $st2 -eq 4 && test -f '$TMP/data/file'"
set +e
"$V2C" convert -s hello -o "$TMP/a" "$src" >/dev/null 2>"$TMP/l.err"; st=$?
set -e
check "an existing layout is kept without --force (exit 4)" sh -c "test $st -eq 4 && grep -q -- '--force' '$TMP/l.err'"
"$V2C" convert -s hello --force -o "$TMP/a" "$src" >/dev/null 2>&1
check "--force replaces it" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["manifests"]))' "$TMP/a/index.json")" -eq 1
set +e
"$V2C" convert -o "$TMP/y" "$src" >/dev/null 2>&1; st=$?
"$V2C" convert -s hello "$src" >/dev/null 2>&1; st2=$?
"$V2C" convert -s hello --level 99 -o "$TMP/y" "$src" >/dev/null 2>&1; st3=$?
set -e
check "usage errors: no service, no -o, bad level (exit 2)" sh -c "test $st -eq 2 && test $st2 -eq 2 && test $st3 -eq 2"

# A full disk while writing: an error, no layout, no temporary left behind.
if mkdir -p "$TMP/small" && mount -t tmpfs -o size=2m tmpfs "$TMP/small" 2>/dev/null; then
  set +e
  "$V2C" convert -s webapp -o "$TMP/small/out" "$src" >/dev/null 2>"$TMP/full.err"; st=$?
  set -e
  check "a full disk: exit 1 with one line" sh -c "test $st -eq 1 && test \$(wc -l <'$TMP/full.err') -eq 1"
  check "... and no half-written layout or temporary" test -z "$(ls -A "$TMP/small")"
  umount "$TMP/small"
elif [ "$(id -u)" != 0 ]; then
  skip_check "a full disk while writing" "not root: cannot mount a small tmpfs"
else
  skip_check_or_fail "a full disk while writing" "root cannot mount a tmpfs here"
fi

# A hostile guest: symlinks out of the root and in loops are never
# followed out of the guest, and never written outside the layout.
cp -a "$src" "$TMP/hostile"
marker="v2c-host-marker-$$-$RANDOM"
echo "$marker" >"$TMP/host-secret"
ln -s "$TMP/host-secret" "$TMP/hostile/opt/webapp/escape-abs"
ln -s ../../../../../../../../.."$TMP/host-secret" "$TMP/hostile/opt/webapp/escape-rel"
ln -s loop-b "$TMP/hostile/opt/webapp/loop-a"
ln -s loop-a "$TMP/hostile/opt/webapp/loop-b"
ln -s / "$TMP/hostile/opt/webapp/root-link"
timeout 120 "$V2C" convert -s webapp -o "$TMP/h" "$TMP/hostile" >/dev/null 2>"$TMP/h.err" || cat "$TMP/h.err"
check "a guest with escaping and looping links converts" test -f "$TMP/h/index.json"
: >"$TMP/hall"
for f in "$TMP/h"/blobs/sha256/*; do zstd -dc "$f" >>"$TMP/hall" 2>/dev/null || cat "$f" >>"$TMP/hall"; done
check "... no host file's content in any blob" sh -c "! grep -qF '$marker' '$TMP/hall'"
unpack "$TMP/h" webapp "$TMP/hroot"
check "... the links are kept as links, not followed out" \
  sh -c "test -L '$TMP/hroot/opt/webapp/escape-abs' && test -L '$TMP/hroot/opt/webapp/loop-a'"
check "... a link to / did not pull the whole guest in" test ! -e "$TMP/hroot/etc/shadow"
check "... nothing written outside the layout" test "$(cat "$TMP/host-secret")" = "$marker"

# An ordinary guest's units (tests/fixtures/ordinary-units, and one unit
# too big to read): --all-stateless skips each with one line and converts
# the rest; --service refuses a service whose executable cannot run.
cp -a "$src" "$TMP/ord"
cp -a "$V2C_SOURCE_ROOT/tests/fixtures/ordinary-units/etc" "$V2C_SOURCE_ROOT/tests/fixtures/ordinary-units/usr" "$TMP/ord/"
{ printf '[Service]\nExecStart=/usr/bin/cat\n'; head -c 1200000 /dev/zero | tr '\0' '#' | fold -w 100; } \
  >"$TMP/ord/etc/systemd/system/v2c-oversized.service"
ln -s /etc/systemd/system/v2c-oversized.service "$TMP/ord/etc/systemd/system/multi-user.target.wants/"
# nginx's package declares run-time directories in tmpfiles.d, as
# haproxy's does (/run/haproxy 2775 haproxy:haproxy): one under /var/run,
# the guest's link to /run.
# A packaged shell script as ExecStart= (as Debian's apachectl is): the
# programs it runs come along though the report names no interpreter.
printf '#!/bin/sh\n# v2c test: a packaged starter script\nHOST=$(cat /etc/hostname)\nexec sleep 100000\n' \
  >"$TMP/ord/usr/sbin/v2c-ctl"
chmod 755 "$TMP/ord/usr/sbin/v2c-ctl"
echo /usr/sbin/v2c-ctl >>"$TMP/ord/var/lib/dpkg/info/nginx.list"
printf '[Service]\nExecStart=/usr/sbin/v2c-ctl start\n[Install]\nWantedBy=multi-user.target\n' \
  >"$TMP/ord/etc/systemd/system/v2c-ctl.service"
ln -s /etc/systemd/system/v2c-ctl.service "$TMP/ord/etc/systemd/system/multi-user.target.wants/"
mkdir -p "$TMP/ord/usr/lib/tmpfiles.d"
printf '# v2c test\nd /run/nginx-v2c 2750 www-data www-data -\nd /var/run/nginx-legacy 0700 - - -\nf /run/nginx-v2c/x 0644 - - -\nd /etc/nginx-not-run 0755 - - -\n' \
  >"$TMP/ord/usr/lib/tmpfiles.d/nginx.conf"
echo /usr/lib/tmpfiles.d/nginx.conf >>"$TMP/ord/var/lib/dpkg/info/nginx.list"
set +e
"$V2C" convert --all-stateless -o "$TMP/ord-all" "$TMP/ord" >"$TMP/ord.out" 2>"$TMP/ord.err"; st=$?
set -e
check_or_show "$TMP/ord.err" "--all-stateless on a guest with oneshots and broken units: exit 0" test "$st" -eq 0
# What must come out: every stateless long-running service of the
# fixture's report (the added units are not in it), by image name ('@' is
# '-' there).
"$V2C" inspect --json "$src" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(" ".join(sorted(s["name"].replace("@", "-") for s in r["services"]
                      if s["class"] == "stateless" and s["kind"] in ("systemd", "sysv", "openrc"))))' >"$TMP/ord.want"
check "... converts exactly the fixture's stateless daemons ($(cat "$TMP/ord.want"))" \
  test "$(cut -f1 "$TMP/ord.out" | LC_ALL=C sort | tr '\n' ' ')" = "$(cat "$TMP/ord.want") "
"$V2C" convert -s v2c-ctl --allow-stateful -o "$TMP/ord-ctl-l" "$TMP/ord" >/dev/null 2>"$TMP/ord-ctl.err" \
  || cat "$TMP/ord-ctl.err"
unpack "$TMP/ord-ctl-l" v2c-ctl "$TMP/ord-ctl"
check "... v2c-ctl (a packaged sh script as ExecStart=): the programs it runs (cat, sleep) come along" \
  sh -c "test -x '$TMP/ord-ctl/usr/bin/sleep' && test -x '$TMP/ord-ctl/usr/bin/cat' && test -x '$TMP/ord-ctl/usr/bin/dash'"
unpack "$TMP/ord-all" nginx "$TMP/ord-nginx"
check "... nginx: its package's tmpfiles.d directory, with the line's mode and owner" \
  test "$(stat -c '%a %u:%g' "$TMP/ord-nginx/run/nginx-v2c" 2>&1)" = "2750 33:33"
check "... nginx: a /var/run/X line made as /run/X (var/run stays a link)" \
  sh -c "test -L '$TMP/ord-nginx/var/run' && test \"\$(stat -c '%a %u' '$TMP/ord-nginx/run/nginx-legacy')\" = '700 0'"
check "... nginx: no file, nor a directory outside the run-time roots, from tmpfiles.d" \
  sh -c "test ! -e '$TMP/ord-nginx/run/nginx-v2c/x' && test ! -e '$TMP/ord-nginx/etc/nginx-not-run'"
for why in "v2c-oneshot: a oneshot unit" "v2c-noexec: its unit has no ExecStart=" \
           "v2c-oversized: its unit /etc/systemd/system/v2c-oversized.service is larger than" \
           "v2c-missing: its executable /usr/local/bin/v2c-not-there is missing" \
           "v2c-dangling: its executable /usr/local/bin/v2c-dangling is a dangling symlink" \
           "v2c-loop: its executable /usr/local/bin/v2c-loop-a is a symlink loop"; do
  check "... skips ${why%%:*} with one line: ${why#*: }" test "$(grep -cF "skipped $why" "$TMP/ord.err")" -eq 1
done
for u in v2c-missing v2c-dangling v2c-loop; do
  set +e
  "$V2C" convert -s "$u" -o "$TMP/ord-$u" "$TMP/ord" >/dev/null 2>"$TMP/ord-$u.err"; st=$?
  set -e
  check_or_show "$TMP/ord-$u.err" "--service $u (its executable cannot run): refused, exit 4" test "$st" -eq 4
  check "... one line naming its executable" grep -qF "service \`$u\`: its executable" "$TMP/ord-$u.err"
  check "... and nothing else on stderr" test "$(wc -l <"$TMP/ord-$u.err")" -eq 1
  check "... and nothing written" test ! -e "$TMP/ord-$u"
done

# Every layout made here, found by its index.json: those made with
# --include-secret hold no secret but the ones they were told to keep.
layouts=()
for d in "$TMP"/*/; do
  d=${d%/}
  case ${d##*/} in inc|inckey|self) continue ;; esac
  [ -f "$d/index.json" ] && [ -d "$d/blobs/sha256" ] && layouts+=("$d")
done
check_or_show "$TMP/found" "no planted secret in any of the ${#layouts[@]} other layouts made here (${layouts[*]##*/})" \
  test "$(secrets_found "${layouts[@]}")" -eq 0
check_or_show "$TMP/found" "... nor, but the service-account key, in the --include-secret layout" \
  test "$(secrets_found --except /opt/webapp/service-account.json "$TMP/inc")" -eq 0
check_or_show "$TMP/found" "... nor, but the TLS key, in the layout that kept it" \
  test "$(secrets_found --except /etc/ssl/private/web01.key "$TMP/inckey")" -eq 0

finish
