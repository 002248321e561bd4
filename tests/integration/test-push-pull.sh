#!/usr/bin/env bash
# v2c push / pull / convert --push --base against the real distribution
# registry on loopback: plain http, TLS with the test's CA, htpasswd Basic
# auth, Bearer tokens from the test's issuer; what v2c pushed is read back
# by skopeo and pulled and run by podman, by digest; repeated pushes send
# nothing, a second repository mounts; faults (500, 429, cut connections,
# the registry killed mid-push) end in the right digests or a clean error
# and no manifest naming a missing blob; bad input gets clear errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
fixture_root
src="$FIXTURES/root"

"$V2C" convert -s nginx -s webapp -s hello -o "$TMP/img" "$src" >"$TMP/convert.out" 2>/dev/null
digest_of() { awk -v n="$1" '$1 == n { print $2 }' "$TMP/convert.out"; }
d_nginx=$(digest_of nginx); d_webapp=$(digest_of webapp); d_hello=$(digest_of hello)
# pushed LOG: "U uploaded (B bytes), M mounted, S already there" -> "U B M S"
# one_line FILE -> a test (for sh -c) that FILE holds exactly one line, not empty.
one_line() { echo "test \$(grep -c '' '$1') -eq 1 && test \$(grep -c . '$1') -eq 1"; }
counts() { sed -n 's/.*: \([0-9]*\) blobs: \([0-9]*\) uploaded (\([0-9]*\) bytes), \([0-9]*\) mounted, \([0-9]*\) already there.*/\2 \3 \4 \5/p' "$1" | tail -1; }

# --- plain http ----------------------------------------------------------------
registry_start plain
A=$REG_PLAIN_ADDR
"$V2C" -v push "$TMP/img:nginx" "$A/v2c/nginx:1.0" >"$TMP/p1.out" 2>"$TMP/p1.err" || cat "$TMP/p1.err"
check "push prints the pinned reference" grep -qx "$A/v2c/nginx@$d_nginx" "$TMP/p1.out"
check "skopeo reads the manifest v2c pushed, by digest" \
  sh -c "skopeo inspect --raw --tls-verify=false 'docker://$A/v2c/nginx@$d_nginx' | sha256sum | grep -q '${d_nginx#sha256:}'"
check "... and the tag points at it" \
  sh -c "skopeo inspect --tls-verify=false 'docker://$A/v2c/nginx:1.0' | grep -q '\"Digest\": \"$d_nginx\"'"
read -r up bytes mnt skip <<<"$(counts "$TMP/p1.err")"
check "first push uploads every blob ($up blobs, $bytes bytes)" sh -c "test '$up' -ge 4 && test '$bytes' -gt 0"
# A layout that was pushed (v2c/pushes.json beside the images) is still one
# v2c wrote: convert --force replaces it instead of refusing it as foreign.
# Checked on a copy as soon as the layout has been pushed once.  (The copy
# already holds the same index.json: only convert's own exit status says
# whether it replaced the layout or refused it.)
pushed=0
test -s "$TMP/img/v2c/pushes.json" && cp -a "$TMP/img" "$TMP/img-again" && pushed=1
set +e; "$V2C" convert --force -s nginx -s webapp -s hello -o "$TMP/img-again" "$src" >/dev/null 2>"$TMP/again.err"; sta=$?; set -e
check_or_show "$TMP/again.err" "convert --force replaces a layout that was pushed (exit $sta), with the same images" \
  sh -c "test $pushed -eq 1 && test $sta -eq 0 && cmp -s '$TMP/img/index.json' '$TMP/img-again/index.json'"
"$V2C" -v push "$TMP/img:nginx" "$A/v2c/nginx:1.0" >/dev/null 2>"$TMP/p2.err"
read -r up bytes mnt skip <<<"$(counts "$TMP/p2.err")"
check "a second push sends no blob bytes (all $skip already there)" sh -c "test '$up' -eq 0 && test '$bytes' -eq 0"
"$V2C" -v push "$TMP/img:nginx" "$A/other/nginx" >/dev/null 2>"$TMP/p3.err"
read -r up bytes mnt skip <<<"$(counts "$TMP/p3.err")"
check "a push to a second repository mounts instead of uploading ($mnt mounted)" \
  sh -c "test '$mnt' -ge 4 && test '$bytes' -eq 0"
"$V2C" -v push --chunk-size 65536 "$TMP/img:webapp" "$A/v2c/webapp" >/dev/null 2>"$TMP/p4.err" || cat "$TMP/p4.err"
check "chunked upload (64 KiB PATCHes) gives the same digest" \
  sh -c "skopeo inspect --raw --tls-verify=false 'docker://$A/v2c/webapp@$d_webapp' | sha256sum | grep -q '${d_webapp#sha256:}'"

# pull: back into a layout, checked by skopeo and umoci's digest checks
"$V2C" pull "$A/v2c/webapp@$d_webapp" -o "$TMP/pulled" >"$TMP/pull.out" 2>"$TMP/pull.err" || cat "$TMP/pull.err"
check "pull by digest writes a layout with the same manifest" \
  sh -c "grep -qx '$A/v2c/webapp@$d_webapp' '$TMP/pull.out' && skopeo inspect 'oci:$TMP/pulled:webapp' | grep -q '$d_webapp'"
check "... whose blobs are the ones converted" \
  sh -c "for f in '$TMP/pulled'/blobs/sha256/*; do cmp -s \"\$f\" '$TMP/img/blobs/sha256/'\"\$(basename \"\$f\")\" || exit 1; done"
set +e
"$V2C" pull "$A/v2c/webapp@$d_webapp" -o "$TMP/pulled" >/dev/null 2>&1; st=$?
set -e
check "pull refuses to overwrite (exit 4)" test "$st" -eq 4
"$V2C" pull "$A/v2c/webapp@$d_webapp" --plain-http --timeout 30 --name app -o "$TMP/pulled-named" \
  >/dev/null 2>"$TMP/pn.err"
check_or_show "$TMP/pn.err" "pull --plain-http --timeout 30 --name app: index.json names the image app" \
  sh -c "skopeo inspect 'oci:$TMP/pulled-named:app' | grep -q '$d_webapp'"
"$V2C" push "$TMP/img" "$A/v2c/named" --name hello --plain-http --timeout 30 >"$TMP/pn2.out" 2>"$TMP/pn2.err"
check_or_show "$TMP/pn2.err" "push DIR --name hello --plain-http --timeout 30: that image, by digest" \
  grep -qx "$A/v2c/named@$d_hello" "$TMP/pn2.out"
set +e
"$V2C" push "$TMP/img" "$A/v2c/named" --name nosuch >/dev/null 2>"$TMP/pn3.err"; st=$?
set -e
check "push --name of an image the layout does not hold: exit 2 or 3 naming it" \
  sh -c "test $st -eq 2 -o $st -eq 3 && grep -q nosuch '$TMP/pn3.err' && $(one_line "$TMP/pn3.err")"

# An index with two platforms, and a Docker schema 2 manifest.
"$V2C" push "$TMP/img:hello" "$A/multi/img" >/dev/null 2>&1
"$V2C" push "$TMP/img:webapp" "$A/multi/img" >/dev/null 2>&1
size_of() { stat -c %s "$TMP/img/blobs/sha256/${1#sha256:}"; }
cat >"$TMP/index.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$d_webapp","size":$(size_of "$d_webapp"),"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$d_hello","size":$(size_of "$d_hello"),"platform":{"architecture":"amd64","os":"linux"}}]}
EOF
curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
  --data-binary @"$TMP/index.json" "http://$A/v2/multi/img/manifests/both" >"$TMP/idx.code"
"$V2C" pull "$A/multi/img:both" -o "$TMP/amd" >"$TMP/amd.out" 2>&1 || cat "$TMP/amd.out"
check "an index resolves to linux/amd64 by default" grep -q "@$d_hello" "$TMP/amd.out"
"$V2C" pull --platform linux/arm64/v8 "$A/multi/img:both" -o "$TMP/arm" >"$TMP/arm.out" 2>&1 || cat "$TMP/arm.out"
check "... and to linux/arm64/v8 with --platform" grep -q "@$d_webapp" "$TMP/arm.out"
# Options after the positional arguments are read, POSIXLY_CORRECT or not.
POSIXLY_CORRECT=1 "$V2C" pull "$A/multi/img:both" -o "$TMP/arm2" --platform linux/arm64/v8 >"$TMP/arm2.out" 2>&1 \
  || cat "$TMP/arm2.out"
check "pull REF -o DIR --platform linux/arm64/v8 (POSIXLY_CORRECT=1): the option is read" \
  grep -q "@$d_webapp" "$TMP/arm2.out"
# --- --json: push and pull results for machines (docs/registry.md) ---------------
man="manifest(doc['manifest']['digest'])"
"$V2C" -v push --json "$TMP/img:hello" "$A/json/hello:1.0" >"$TMP/j1.out" 2>"$TMP/j1.err" || cat "$TMP/j1.err"
check_or_show "$TMP/j1.err" "push --json: a v2c.push/1 document, true to what was pushed" validate_result push "$TMP/j1.out" \
  "pinned is the repository by the digest of the image in index.json::doc['pinned'] == '$A/json/hello@' + index('hello')[0]" \
  "the manifest digest is the layout's (sha256 of its bytes)::doc['manifest']['digest'] == '$d_hello' and hashlib.sha256(blob('$d_hello')).hexdigest() == '${d_hello#sha256:}' and doc['manifest']['size'] == len(blob('$d_hello'))" \
  "registry, repository, tag, name as given::(doc['registry'], doc['repository'], doc['tag'], doc['name']) == ('$A', 'json/hello', '1.0', 'hello')" \
  "the blobs are the manifest's config and layers, with their sizes and media types::[(b['digest'], b['size'], b['media_type']) for b in doc['blobs']] == [(d['digest'], d['size'], d['mediaType']) for d in [$man['config']] + $man['layers']]" \
  "each blob's size is its file's::all(b['size'] == len(blob(b['digest'])) for b in doc['blobs'])" \
  "an uploaded blob sent its size, a mounted one nothing, from a repository::all((b['action'], b['bytes_sent'], b['mounted_from'] is None) in (('uploaded', b['size'], True), ('mounted', 0, False)) for b in doc['blobs'])" \
  "the counts and bytes_sent add up::(doc['uploaded'], doc['mounted'], doc['skipped'], doc['bytes_sent']) == tuple(sum(b['action'] == a for b in doc['blobs']) for a in ('uploaded', 'mounted', 'skipped')) + (sum(b['bytes_sent'] for b in doc['blobs']),)" \
  "the manifest was put, something uploaded::doc['manifest']['put'] and doc['uploaded'] >= 1"
check "... the registry serves that manifest under the tag" \
  sh -c "skopeo inspect --raw --tls-verify=false 'docker://$A/json/hello:1.0' | sha256sum | grep -q '${d_hello#sha256:}'"
check "... the text for people went to stderr" grep -q "blobs: .* uploaded" "$TMP/j1.err"
"$V2C" push --json "$TMP/img:hello" "$A/json/hello" >"$TMP/j2.out" 2>"$TMP/j2.err" || cat "$TMP/j2.err"
check_or_show "$TMP/j2.err" "push --json again: every blob skipped, no byte sent, no tag" validate_result push "$TMP/j2.out" \
  "every blob skipped, none sent::all(b['action'] == 'skipped' and b['bytes_sent'] == 0 for b in doc['blobs']) and doc['skipped'] == len(doc['blobs']) and doc['bytes_sent'] == 0" \
  "the manifest was there::not doc['manifest']['put'] and doc['pinned'] == '$A/json/hello@$d_hello' and doc['tag'] is None"
"$V2C" pull --json "$A/json/hello@$d_hello" -o "$TMP/pj" >"$TMP/pj.out" 2>"$TMP/pj.err" || cat "$TMP/pj.err"
check_or_show "$TMP/pj.err" "pull --json: a v2c.pull/1 document, true to what was pulled" validate_result pull "$TMP/pj.out" \
  "pinned, layout, name::(doc['pinned'], doc['layout'], doc['name'], doc['index']) == ('$A/json/hello@$d_hello', '$TMP/pj', 'hello', None)" \
  "the manifest digest is the one in the new index.json::index('hello') == [doc['manifest']['digest']] == ['$d_hello']" \
  "every blob fetched, its file of its size::all(b['fetched'] and len(blob(b['digest'])) == b['size'] for b in doc['blobs'])" \
  "the blobs are the manifest's::[b['digest'] for b in doc['blobs']] == [d['digest'] for d in [$man['config']] + $man['layers']]" \
  "bytes is their sum::doc['bytes'] == sum(b['size'] for b in doc['blobs']) and doc['fetched'] == len(doc['blobs'])"
"$V2C" pull --json "$A/multi/img:both" -o "$TMP/pj2" >"$TMP/pj2.out" 2>"$TMP/pj2.err" || cat "$TMP/pj2.err"
check_or_show "$TMP/pj2.err" "pull --json of an index names the index and the platform chosen" validate_result pull "$TMP/pj2.out" \
  "index and platform::doc['index'] is not None and doc['platform'] == 'linux/amd64' and doc['manifest']['digest'] == '$d_hello'"
set +e
"$V2C" pull --json "$A/json/hello@$d_hello" -o "$TMP/pj" >"$TMP/pj3.out" 2>"$TMP/pj3.err"; st=$?
"$V2C" push --json "$TMP/img:nosuch" "$A/json/nosuch" >"$TMP/j3.out" 2>"$TMP/j3.err"; st2=$?
set -e
check "a failed pull --json: exit 4 as without it, nothing on stdout, the error on stderr" \
  sh -c "test $st -eq 4 && test ! -s '$TMP/pj3.out' && $(one_line "$TMP/pj3.err")"
check "a failed push --json: exit 2 or 3, nothing on stdout" sh -c "test $st2 -eq 2 -o $st2 -eq 3 && test ! -s '$TMP/j3.out'"

# (Docker schema 2 has no zstd: a gzip conversion)
"$V2C" convert --gzip -s webapp -o "$TMP/gz" "$src" >/dev/null 2>&1
skopeo copy -q --format v2s2 --dest-tls-verify=false "oci:$TMP/gz:webapp" "docker://$A/docker/webapp:v2s2" \
  >/dev/null 2>"$TMP/v2s2.err" || cat "$TMP/v2s2.err"
"$V2C" pull "$A/docker/webapp:v2s2" -o "$TMP/v2s2" >"$TMP/v2s2.out" 2>&1 || cat "$TMP/v2s2.out"
check "a Docker schema 2 manifest pulls too" test -f "$TMP/v2s2/index.json"

# podman pulls what v2c pushed, by digest, and runs it.  scripts/setup.sh
# installs podman: missing in CI, that is a failure, not a skip.
if ! command -v podman >/dev/null; then
  if [ "${CI:-}" = true ]; then
    not_ok "podman pulls the pushed nginx by digest: podman is not installed (CI=true; scripts/setup.sh installs it)"
  else
    echo "# SKIP podman pulls the pushed nginx by digest: podman is not installed (scripts/setup.sh installs it)"
  fi
else
  podman_env
  name="v2c-reg-test-$$"
  # nginx's secret files are not in its image: mounted from the fixture.
  nginx_secrets=(-v "$src/etc/ssl/private/web01.key:/etc/ssl/private/web01.key:ro"
                 -v "$src/etc/nginx/.htpasswd:/etc/nginx/.htpasswd:ro")
  hp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if podman pull -q --tls-verify=false "$A/v2c/nginx@$d_nginx" >"$TMP/podman.id" 2>"$TMP/podman.err" &&
     podman run -d --name "$name" -p "127.0.0.1:$hp:8080" "${nginx_secrets[@]}" "$(cat "$TMP/podman.id")" >/dev/null 2>>"$TMP/podman.err"; then
    okp=1
    for _ in $(seq 60); do curl -s -m 2 "http://127.0.0.1:$hp/" | grep -q 'fixture page' && { okp=0; break; }; sleep 0.5; done
    check "podman pulls the pushed nginx by digest and it serves the page" test "$okp" -eq 0
  else
    cat "$TMP/podman.err"; not_ok "podman pulls the pushed nginx by digest"
  fi
  podman rm -f "$name" >/dev/null 2>&1 || true
  # Not -f: convert-run may be running the same image (same fixture, same
  # ID) at this moment; podman keeps an image another name or container uses.
  podman rmi "$(cat "$TMP/podman.id" 2>/dev/null)" >/dev/null 2>&1 || true
fi

# A service whose name ends in a separator (postfix@-, as every Debian
# guest with postfix has) is pushed to a repository the grammar takes, the
# one its Kubernetes manifest pulls from.
set +e; "$V2C" convert -s 'postfix@-' -s 'postfix@postfix-out' --push "$A/mail" -o "$TMP/pf" "$src" \
  >"$TMP/pf.out" 2>"$TMP/pf.err"; st=$?; set -e
check_or_show "$TMP/pf.err" "convert --push of postfix@- and postfix@postfix-out (exit $st)" \
  sh -c "[ $st -eq 0 ] && grep -q '^$A/mail/postfix@sha256:' '$TMP/pf.out' && grep -q '^$A/mail/postfix-postfix-out@sha256:' '$TMP/pf.out'"
check "... and its manifest pulls that repository" grep -rq "image: \"*$A/mail/postfix@sha256:" "$TMP/pf"

# convert --push and --base.
"$V2C" convert -s hello --base "$A/v2c/nginx@$d_nginx" --push "$A/team" --tag v1 -o "$TMP/based" "$src" \
  >"$TMP/based.out" 2>"$TMP/based.err" || cat "$TMP/based.err"
check "convert --base --push: pushed and pinned" grep -q "^$A/team/hello@sha256:" "$TMP/based.out"
python3 - "$TMP/based" "$TMP/img" "$d_nginx" <<'EOF' && ok "... the base image's layers are below the lifted ones" || not_ok "convert --base layers"
import json, sys
based, img, base_digest = sys.argv[1:]
b = lambda d, x: json.load(open(f"{d}/blobs/sha256/{x[7:]}"))
m = b(based, json.load(open(based + "/index.json"))["manifests"][0]["digest"])
base = b(img, base_digest)
n = len(base["layers"])
assert [l["digest"] for l in m["layers"][:n]] == [l["digest"] for l in base["layers"]]
assert len(m["layers"]) > n
assert m["annotations"]["org.opencontainers.image.base.digest"] == base_digest
EOF
check "... the Kubernetes manifests pull the pushed image by digest" \
  grep -q "image: \"$A/team/hello@sha256:" "$TMP/based/v2c/hello.k8s.yaml"
# The same with --json: the same image (deterministic), already there.
based_digest=$(sed -n "s|^$A/team/hello@||p" "$TMP/based.out")
"$V2C" convert --json -s hello --base "$A/v2c/nginx@$d_nginx" --push "$A/team" --tag v1 -o "$TMP/basedj" "$src" \
  >"$TMP/basedj.out" 2>"$TMP/basedj.err" || cat "$TMP/basedj.err"
check_or_show "$TMP/basedj.err" "convert --base --push --json: what was pushed, under each image" validate_result convert "$TMP/basedj.out" \
  "the image pushed is the one converted, pinned by its digest::[(i['manifest']['digest'], i['pushed']['pinned'], i['pushed']['tag']) for i in doc['images']] == [('$based_digest', '$A/team/hello@$based_digest', 'v1')]" \
  "the base image's layers come first::[l['role'] for l in doc['images'][0]['layers']][:len(manifest('$d_nginx', '$TMP/img')['layers'])] == ['base-image'] * len(manifest('$d_nginx', '$TMP/img')['layers'])" \
  "pushed again: every blob (the config and each distinct layer) skipped::doc['images'][0]['pushed']['skipped'] == len(doc['images'][0]['pushed']['blobs']) == len({l['digest'] for l in doc['images'][0]['layers']} | {doc['images'][0]['config']['digest']}) and doc['images'][0]['pushed']['bytes_sent'] == 0"
set +e
"$V2C" convert -s hello --base "$A/v2c/nginx:1.0" -o "$TMP/x" "$src" >/dev/null 2>"$TMP/x.err"; st=$?
set -e
check "--base with a tag instead of a digest: exit 2" sh -c "test $st -eq 2 && grep -q digest '$TMP/x.err'"
# A base image whose config names a layer's diff_id by something else than
# a digest (71 bytes, so a check of the length alone passes it): refused,
# not copied into the new image's config.
cp -rl "$TMP/img" "$TMP/badbase"
rm "$TMP/badbase/index.json"   # a link to img's, which the next test reads
python3 - "$TMP/badbase" "$d_nginx" <<'EOF'
import hashlib, json, sys
lay, digest = sys.argv[1:]
def blob(d):
    return json.load(open(f"{lay}/blobs/sha256/{d[7:]}"))
def put(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(f"{lay}/blobs/sha256/{d[7:]}", "wb").write(data)
    return d, len(data)
man = blob(digest)
cfg = blob(man["config"]["digest"])
cfg["rootfs"]["diff_ids"][0] = "sha256:" + "../" * 21 + "z"
man["config"]["digest"], man["config"]["size"] = put(cfg)
md, ms = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": man["mediaType"], "digest": md, "size": ms,
           "annotations": {"org.opencontainers.image.ref.name": "bad"}}]}, open(f"{lay}/index.json", "w"))
EOF
"$V2C" push "$TMP/badbase:bad" "$A/v2c/badbase" >"$TMP/badbase.out" 2>"$TMP/badbase.err" || cat "$TMP/badbase.err"
set +e
"$V2C" convert -s hello --base "$(cat "$TMP/badbase.out")" -o "$TMP/y" "$src" >/dev/null 2>"$TMP/y.err"; st=$?
set -e
check "--base whose config holds a diff_id that is not a digest: exit 3, nothing written" \
  sh -c "test $st -eq 3 && grep -q 'not one v2c can build on' '$TMP/y.err' && test ! -e '$TMP/y'"

# --- TLS ------------------------------------------------------------------------------
registry_start tls --tls
T=$REG_TLS_ADDR
"$V2C" push --ca-file "$REG_TLS_CA" "$TMP/img:hello" "$T/v2c/hello" >"$TMP/t1.out" 2>"$TMP/t1.err" || cat "$TMP/t1.err"
check "TLS with the test's CA (--ca-file)" grep -qx "$T/v2c/hello@$d_hello" "$TMP/t1.out"
POSIXLY_CORRECT=1 "$V2C" push "$TMP/img:hello" "$T/v2c/hello4" --ca-file "$REG_TLS_CA" >"$TMP/t4.out" 2>"$TMP/t4.err" \
  || cat "$TMP/t4.err"
check "push DIR REF --ca-file FILE (POSIXLY_CORRECT=1): the option is read" grep -qx "$T/v2c/hello4@$d_hello" "$TMP/t4.out"
set +e
"$V2C" push "$TMP/img:hello" "$T/v2c/hello2" >/dev/null 2>"$TMP/t2.err"; st=$?
set -e
check "TLS without that CA: refused, exit 1, one line naming the certificate problem" \
  sh -c "test $st -eq 1 && grep -qi 'certificate' '$TMP/t2.err' && $(one_line "$TMP/t2.err")"
"$V2C" push --tls-verify=false "$TMP/img:hello" "$T/v2c/hello3" >/dev/null 2>&1
check "--tls-verify=false pushes anyway" \
  sh -c "skopeo inspect --raw --cert-dir '$REG_TLS_CERTDIR' 'docker://$T/v2c/hello3@$d_hello' >/dev/null"

# pull takes the same TLS options
"$V2C" pull --ca-file "$REG_TLS_CA" "$T/v2c/hello@$d_hello" -o "$TMP/tpull1" >"$TMP/tp1.out" 2>"$TMP/tp1.err"
check_or_show "$TMP/tp1.err" "pull --ca-file: the image, checked against the test's CA" \
  sh -c "grep -qx '$T/v2c/hello@$d_hello' '$TMP/tp1.out' && skopeo inspect 'oci:$TMP/tpull1:hello' | grep -q '$d_hello'"
set +e
"$V2C" pull "$T/v2c/hello@$d_hello" -o "$TMP/tpull2" >/dev/null 2>"$TMP/tp2.err"; st=$?
set -e
check "pull from TLS without that CA: exit 1 naming the certificate, no layout left" \
  sh -c "test $st -eq 1 && grep -qi certificate '$TMP/tp2.err' && test ! -e '$TMP/tpull2'"
"$V2C" pull "$T/v2c/hello@$d_hello" --tls-verify=false -o "$TMP/tpull3" >/dev/null 2>"$TMP/tp3.err"
check_or_show "$TMP/tp3.err" "pull --tls-verify=false reads it anyway" test -f "$TMP/tpull3/index.json"

# --- htpasswd Basic auth ------------------------------------------------------------------
registry_start basic --htpasswd alice:s3cret-pw
B=$REG_BASIC_ADDR
"$V2C" push --creds alice:s3cret-pw "$TMP/img:hello" "$B/v2c/hello" >"$TMP/b1.out" 2>"$TMP/b1.err" || cat "$TMP/b1.err"
check "Basic auth with --creds" grep -qx "$B/v2c/hello@$d_hello" "$TMP/b1.out"
check "... the password never appears in what v2c printed" sh -c "! grep -q 's3cret-pw' '$TMP/b1.out' '$TMP/b1.err'"
set +e
"$V2C" -v push --creds alice:wrong "$TMP/img:hello" "$B/v2c/hello" >/dev/null 2>"$TMP/b2.err"; st=$?
"$V2C" push "$TMP/img:hello" "$B/v2c/hello" >/dev/null 2>"$TMP/b3.err"; st3=$?
set -e
check "wrong credentials: exit 4, one line, no password in it" \
  sh -c "test $st -eq 4 && ! grep -q wrong '$TMP/b2.err' && $(one_line "$TMP/b2.err")"
check "no credentials: exit 4 saying how to give them" sh -c "test $st3 -eq 4 && grep -q -- '--creds' '$TMP/b3.err'"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$B" "$(printf 'alice:s3cret-pw' | base64)" >"$TMP/auth.json"
REGISTRY_AUTH_FILE="$TMP/auth.json" "$V2C" push "$TMP/img:webapp" "$B/v2c/webapp" >"$TMP/b4.out" 2>&1 || cat "$TMP/b4.out"
check "credentials from \$REGISTRY_AUTH_FILE (auth.json)" grep -q "@$d_webapp" "$TMP/b4.out"
echo s3cret-pw | "$V2C" push --username alice --password-stdin "$TMP/img:nginx" "$B/v2c/nginx" >"$TMP/b5.out" 2>&1 \
  || cat "$TMP/b5.out"
check "--username with --password-stdin" grep -q "@$d_nginx" "$TMP/b5.out"
echo s3cret-pw | "$V2C" pull "$B/v2c/nginx@$d_nginx" --username alice --password-stdin -o "$TMP/bpull1" \
  >/dev/null 2>"$TMP/bp1.err"
check_or_show "$TMP/bp1.err" "pull --username with --password-stdin" test -f "$TMP/bpull1/index.json"
"$V2C" pull --auth-file "$TMP/auth.json" "$B/v2c/webapp@$d_webapp" -o "$TMP/bpull2" >/dev/null 2>"$TMP/bp2.err"
check_or_show "$TMP/bp2.err" "pull --auth-file FILE (auth.json)" test -f "$TMP/bpull2/index.json"
"$V2C" push "$TMP/img:hello" "$B/v2c/hello-af" --auth-file "$TMP/auth.json" >"$TMP/b6.out" 2>"$TMP/b6.err"
check_or_show "$TMP/b6.err" "push --auth-file FILE (auth.json)" grep -q "@$d_hello" "$TMP/b6.out"
set +e
"$V2C" pull --auth-file /dev/null/none "$B/v2c/webapp@$d_webapp" -o "$TMP/bpull3" >/dev/null 2>"$TMP/bp3.err"; st=$?
set -e
check "pull --auth-file that cannot be read: an error naming it, no layout" \
  sh -c "test $st -ne 0 && grep -q '/dev/null/none' '$TMP/bp3.err' && test ! -e '$TMP/bpull3'"

# --- Bearer tokens -------------------------------------------------------------------------
registry_start tok --htpasswd bob:t0ken-pw --token
K=$REG_TOK_ADDR
"$V2C" push --creds bob:t0ken-pw "$TMP/img:nginx" "$K/v2c/nginx" >"$TMP/k1.out" 2>"$TMP/k1.err" || cat "$TMP/k1.err"
check "Bearer token auth (token issuer, push,pull scope)" grep -qx "$K/v2c/nginx@$d_nginx" "$TMP/k1.out"
check "... the token was asked with the push scope first" grep -q 'scope.*repository:v2c/nginx:push' "$REG_TOK_TOKEN_LOG"
set +e
"$V2C" push "$TMP/img:nginx" "$K/v2c/anon" >/dev/null 2>"$TMP/k2.err"; st=$?
set -e
check "anonymous push to a token registry: refused (exit 4)" test "$st" -eq 4 || cat "$TMP/k2.err"
"$V2C" pull --creds bob:t0ken-pw "$K/v2c/nginx@$d_nginx" -o "$TMP/kpull" >/dev/null 2>&1
check "pull with a token" test -f "$TMP/kpull/index.json"

# A token that expires in the middle of a push is fetched again.
registry_start tokx --htpasswd bob:t0ken-pw --token --expires 2
"$V2C" push --creds bob:t0ken-pw --parallel 1 --chunk-size 16384 "$TMP/img:webapp" "$REG_TOKX_ADDR/v2c/slow" \
  >"$TMP/kx.out" 2>"$TMP/kx.err" || cat "$TMP/kx.err"
check "a token expiring mid-push is refreshed on the 401 ($(grep -c 'status=200' "$REG_TOKX_TOKEN_LOG") tokens)" \
  sh -c "grep -q '@$d_webapp' '$TMP/kx.out' && test \$(grep -c 'status=200' '$REG_TOKX_TOKEN_LOG') -ge 2"

# --- faults ----------------------------------------------------------------------------------
registry_start faults
fault_proxy_start fp "$REG_FAULTS_ADDR" "500@2,429@4,cut@6,500@every5"
F=$FAULT_FP_ADDR
"$V2C" -v push --chunk-size 262144 "$TMP/img:webapp" "$F/v2c/webapp" >"$TMP/f1.out" 2>"$TMP/f1.err" || cat "$TMP/f1.err"
check "through a proxy answering 500, 429 and cutting connections: the push completes" grep -q "@$d_webapp" "$TMP/f1.out"
check "... the proxy did inject faults ($(grep -c 'fault=[a-z0-9]' "$FAULT_FP_LOG" || true) of them)" \
  grep -q 'fault=500' "$FAULT_FP_LOG"
check "... and the registry holds the right manifest" \
  sh -c "skopeo inspect --raw --tls-verify=false 'docker://$REG_FAULTS_ADDR/v2c/webapp@$d_webapp' | sha256sum | grep -q '${d_webapp#sha256:}'"
fault_proxy_mode fp "cutbody@3,cutbody@7"
"$V2C" push --chunk-size 262144 "$TMP/img:nginx" "$F/v2c/nginx2" >"$TMP/f2.out" 2>"$TMP/f2.err" || cat "$TMP/f2.err"
check "uploads cut mid-body are resumed or restarted: right digest" grep -q "@$d_nginx" "$TMP/f2.out"
fault_proxy_mode fp "500@1+"
set +e
"$V2C" push --retries 2 "$TMP/img:hello" "$F/v2c/hello" >/dev/null 2>"$TMP/f3.err"; st=$?
set -e
check "a registry that only fails: exit 1 with one line" sh -c "test $st -eq 1 && $(one_line "$TMP/f3.err")"
check "... and no manifest was put" \
  sh -c "! skopeo inspect --raw --tls-verify=false 'docker://$REG_FAULTS_ADDR/v2c/hello@$d_hello' >/dev/null 2>&1"

# The registry killed in the middle of a chunked push, then restarted: the
# kill lands once the registry has taken a chunk of this push (its log shows
# a PATCH of v2c/killed) and before the push ends; the push, retrying, then
# completes with the right digest (a clean error would not do: the registry
# is back within its retries).
reglog=$REG_FAULTS_LOG
logged_before=$(grep -c '' "$reglog")
"$V2C" push --chunk-size 32768 --retries 8 "$TMP/img:webapp" "$REG_FAULTS_ADDR/v2c/killed" >"$TMP/k.out" 2>"$TMP/k.err" &
pushpid=$!
for _ in $(seq 200); do
  tail -n +"$((logged_before + 1))" "$reglog" | found -F '"PATCH /v2/v2c/killed/blobs/uploads/' && break
  sleep 0.05
done
in_flight=0
kill -0 "$pushpid" 2>/dev/null && [ ! -s "$TMP/k.out" ] &&
  tail -n +"$((logged_before + 1))" "$reglog" | found -F '"PATCH /v2/v2c/killed/blobs/uploads/' && in_flight=1
registry_kill faults
sleep 1
registry_restart faults
set +e
timeout 120 tail --pid="$pushpid" -f /dev/null; wait "$pushpid"; st=$?
set -e
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/k.err"
check "the registry was killed mid-push: chunks of it taken, the push still running" test "$in_flight" -eq 1
check "... restarted: the push completed (exit $st) with the right digest" \
  sh -c "test $st -eq 0 && grep -q '@$d_webapp' '$TMP/k.out' && skopeo inspect --raw --tls-verify=false 'docker://$REG_FAULTS_ADDR/v2c/killed@$d_webapp' | sha256sum | grep -q '${d_webapp#sha256:}'"
check "... its manifest put after the restart, not before the kill" \
  sh -c "sed -n '$((logged_before + 1)),\$p' '$reglog' | awk '/^=== start/ { r++ } r && /\"PUT \/v2\/v2c\/killed\/manifests\// { ok = 1 } !r && /\"PUT \/v2\/v2c\/killed\/manifests\// { bad = 1 } END { exit !(ok && !bad) }'"

# --- bad input ---------------------------------------------------------------------------------
set +e
"$V2C" push "$TMP/img:hello" "127.0.0.1:1/v2c/hello" >/dev/null 2>"$TMP/e1.err"; st1=$?
"$V2C" push "$TMP/img:hello" "v2c/hello" >/dev/null 2>"$TMP/e2.err"; st2=$?
"$V2C" push "$TMP/img:hello" "$A/v2c/hello@$d_nginx" >/dev/null 2>"$TMP/e3.err"; st3=$?
"$V2C" push "$TMP/img:nosuch" "$A/v2c/hello" >/dev/null 2>"$TMP/e4.err"; st4=$?
"$V2C" push "$TMP/img" "$A/v2c/hello" >/dev/null 2>"$TMP/e5.err"; st5=$?
"$V2C" pull "$A/v2c/nosuch:1" -o "$TMP/none" >/dev/null 2>"$TMP/e6.err"; st6=$?
set -e
check "nothing listening: exit 1, one line" sh -c "test $st1 -eq 1 && $(one_line "$TMP/e1.err")"
# An unknown host, in a network namespace of our own (no route anywhere:
# the name lookup fails without leaving this machine).
if unshare -n true 2>/dev/null; then
  set +e
  unshare -n "$V2C" push "$TMP/img:hello" "registry.v2c-test.invalid:5000/v2c/hello" >/dev/null 2>"$TMP/e7.err"; st7=$?
  set -e
  check "an unknown host: exit 1, one line naming it" \
    sh -c "test $st7 -eq 1 && grep -q 'registry.v2c-test.invalid' '$TMP/e7.err' && $(one_line "$TMP/e7.err")"
else
  ok "# skip unknown-host check: cannot make a network namespace here"
fi
check "a reference without a host: exit 2" test "$st2" -eq 2
check "a digest that is not the image's: exit 2" test "$st3" -eq 2
check "an image the layout does not have: exit 2" test "$st4" -eq 2
check "a layout of several images without a name: exit 2 asking for one" sh -c "test $st5 -eq 2 && grep -q NAME '$TMP/e5.err'"
check "pulling what is not there: exit 3, no layout left" sh -c "test $st6 -eq 3 && test ! -e '$TMP/none'"

finish
