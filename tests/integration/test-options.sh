#!/usr/bin/env bash
# Options no other test ran, each against the real thing:
#   - convert --all-stateless: every stateless long-running service of the
#     fixture's report, and nothing else (the review one skipped, loudly);
#   - convert --image-repo: every Kubernetes manifest pulls from that
#     repository, by the digest of its image;
#   - convert --include-secret of one file: that file goes in, and every
#     other planted secret stays out of every blob and side file, and so
#     does a file only the report calls a secret;
#   - push's mount memory (DIR/v2c/pushes.json): what it records, and that
#     it is what makes a push to a second repository mount; push
#     --mount-from does the same without it;
#   - push --auth-file: credentials from that file, not from the search;
#   - a registry that says it stored a blob, or the manifest, under another
#     digest (fault-proxy.py's `digest` fault): push fails, one line, and
#     no manifest or tag is left naming what it did not confirm.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
fixture_root
src="$FIXTURES/root"
secrets="$FIXTURES/secret-values.txt"
# one_line FILE -> a test (for sh -c) that FILE holds exactly one line, not empty.
one_line() { echo "test \$(grep -c '' '$1') -eq 1 && test \$(grep -c . '$1') -eq 1"; }
# pushed LOG: "U uploaded (B bytes), M mounted, S already there" -> "U B M S"
counts() { sed -n 's/.*: \([0-9]*\) blobs: \([0-9]*\) uploaded (\([0-9]*\) bytes), \([0-9]*\) mounted, \([0-9]*\) already there.*/\2 \3 \4 \5/p' "$1" | tail -1; }

# --- convert --all-stateless --image-repo ------------------------------------------------
"$V2C" inspect --json -o "$TMP/report.json" "$src"
st=0
"$V2C" convert --all-stateless --image-repo registry.example:5000/team --report "$TMP/report.json" -o "$TMP/all" "$src" \
  >"$TMP/all.out" 2>"$TMP/all.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/all.err"
check "convert --all-stateless: exit 0" test "$st" -eq 0
# What the report calls stateless and long-running (not a timer, a cron job
# or a oneshot unit), under its image name; the rest must not be there.
python3 - "$TMP/report.json" >"$TMP/want" <<'EOF'
import json, re, sys
for s in json.load(open(sys.argv[1]))["services"]:
    if s["class"] == "stateless" and s["kind"] in ("systemd", "sysv", "openrc") and s.get("type") != "oneshot":
        print(re.sub(r"[^a-z0-9._-]", "-", s["name"].lower()))
EOF
sort -o "$TMP/want" "$TMP/want"
cut -f1 "$TMP/all.out" | sort >"$TMP/got"
check "... converts every stateless long-running service of the report, and only those ($(tr '\n' ' ' <"$TMP/got"))" \
  sh -c "test -s '$TMP/want' && cmp -s '$TMP/want' '$TMP/got'"
check "... among them hello, nginx and webapp; no stateful, system, timer or cron service" \
  sh -c "grep -qx hello '$TMP/got' && grep -qx nginx '$TMP/got' && grep -qx webapp '$TMP/got' &&
    ! grep -qE '^(redis-server|mariadb|postgresql|worker|notes|ssh|cron|backup|apt-daily)' '$TMP/got'"
check "... the review service (sync-agent) skipped, one warning naming it" \
  sh -c "test \$(grep -c 'skipped sync-agent: .*class review' '$TMP/all.err') -eq 1 && ! grep -qx sync-agent '$TMP/got'"
check "--image-repo: every Kubernetes manifest pulls its image from there, by that image's digest" python3 - "$TMP/all" <<'EOF'
import glob, json, re, sys, yaml
d = sys.argv[1]
names = {m["digest"]: m["annotations"]["org.opencontainers.image.ref.name"]
         for m in json.load(open(d + "/index.json"))["manifests"]}
seen = set()
for f in glob.glob(d + "/v2c/*.k8s.yaml"):
    for doc in yaml.safe_load_all(open(f)):
        if not doc or doc.get("kind") != "Deployment":
            continue
        for c in doc["spec"]["template"]["spec"]["containers"]:
            repo, _, digest = c["image"].partition("@")
            assert repo.startswith("registry.example:5000/team/"), c["image"]
            comp = repo[len("registry.example:5000/team/"):]
            # The image's name as a repository the reference grammar takes
            # (postfix@- is postfix), pinned by that image's digest.
            assert re.fullmatch(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*", comp), c["image"]
            assert digest in names, c["image"]
            assert comp == re.sub(r"[^a-z0-9]+", "-", names[digest].lower()).strip("-") or "." in names[digest], (c["image"], names[digest])
            seen.add(digest)
assert seen == set(names), (seen, set(names))
EOF

# --- --include-secret of one file: the others stay out -------------------------------------
# Every blob decompressed (layers) or as is, and the side files: no planted
# value or key line but those of the file kept.
planted_in() { # planted_in LAYOUT KEPT-PATH -> prints "kind path" of each planted secret found
  local f kind path text
  : >"$TMP/all-bytes"
  for f in "$1"/blobs/sha256/*; do
    if zstd -t "$f" 2>/dev/null; then zstd -dc "$f"; elif gzip -t "$f" 2>/dev/null; then gzip -dc "$f"; else cat "$f"; fi
  done >>"$TMP/all-bytes"
  cat "$1"/v2c/* "$1/index.json" >>"$TMP/all-bytes"
  while IFS=$'\t' read -r kind path text; do
    case $kind in keyline|value) ;; *) continue ;; esac
    [ "$path" != "$2" ] || continue
    if grep -qF -- "$text" "$TMP/all-bytes"; then echo "$kind $path"; fi
  done < <(grep -v '^#' "$secrets")
}
kept=/opt/webapp/service-account.json
"$V2C" convert -s webapp -s nginx --include-secret "$kept" -o "$TMP/inc" "$src" >/dev/null 2>"$TMP/inc.err"
planted_in "$TMP/inc" "$kept" >"$TMP/inc.found"
others=$(grep -v '^#' "$secrets" | awk -F'\t' -v k="$kept" '($1 == "keyline" || $1 == "value") && $2 != k' | wc -l)
check "--include-secret $kept: none of the $others other planted secrets in any blob or side file" \
  sh -c "test $others -gt 0 && test ! -s '$TMP/inc.found'"
[ ! -s "$TMP/inc.found" ] || sed 's/^/# found: /' "$TMP/inc.found"
check "... the env file with DB_PASSWORD among those kept out" \
  sh -c "grep -q '^value	/etc/webapp/webapp.env	' '$secrets' && ! grep -q 'webapp.env' '$TMP/inc.found'"
kept_line=$(awk -F'\t' -v k="$kept" '$1 == "keyline" && $2 == k { print $3; exit }' "$secrets")
check "... while the file named is in (a line of its key found), and said so" \
  sh -c "test -n '$kept_line' && grep -qF -- '$kept_line' '$TMP/all-bytes' && grep -q 'including secret $kept' '$TMP/inc.err'"

# The report's list holds too: a file no rule calls a secret, marked as one
# in the report (as an operator may), stays out beside the file kept.
python3 - "$TMP/report.json" "$TMP/marked.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["secrets"].append({"path": "/opt/webapp/requirements.txt", "kind": "gcp-service-account", "services": ["webapp"]})
json.dump(d, open(sys.argv[2], "w"))
EOF
"$V2C" convert --report "$TMP/marked.json" -s webapp --include-secret "$kept" -o "$TMP/inc2" "$src" >/dev/null 2>&1
for l in $(python3 -c 'import json, sys
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
print(" ".join(l["digest"][7:] for l in m["layers"]))' "$TMP/inc2"); do
  zstd -dc "$TMP/inc2/blobs/sha256/$l" | tar -t
done >"$TMP/inc2.list"
check "... and a file only the report calls a secret stays out all the same (the kept one in)" \
  sh -c "grep -qx 'opt/webapp/service-account.json' '$TMP/inc2.list' && grep -qx 'opt/webapp/app.py' '$TMP/inc2.list' &&
    ! grep -q 'opt/webapp/requirements.txt' '$TMP/inc2.list'"

# --- push: the mount memory, --mount-from ------------------------------------------------------
registry_start opt
A=$REG_OPT_ADDR
cp -a "$TMP/all" "$TMP/m0"
rm -f "$TMP/m0/v2c/pushes.json"
cp -a "$TMP/m0" "$TMP/m1"
cp -a "$TMP/m0" "$TMP/m2"
"$V2C" -v push "$TMP/m0:hello" "$A/one/hello" >/dev/null 2>"$TMP/p0.err" || sed 's/^/# /' "$TMP/p0.err"
read -r up0 bytes0 mnt0 skip0 <<<"$(counts "$TMP/p0.err")"
check "a first push uploads ($up0 blobs, $bytes0 bytes) and records where it went in DIR/v2c/pushes.json" \
  python3 -c 'import json, sys
assert int(sys.argv[3]) >= 3 and int(sys.argv[4]) > 0, sys.argv[3:]
assert json.load(open(sys.argv[1])) == {sys.argv[2]: ["one/hello"]}' "$TMP/m0/v2c/pushes.json" "$A" "$up0" "$bytes0"
"$V2C" -v push "$TMP/m0:hello" "$A/two/hello" >/dev/null 2>"$TMP/p1.err" || sed 's/^/# /' "$TMP/p1.err"
read -r up bytes mnt skip <<<"$(counts "$TMP/p1.err")"
check "... from which a push to another repository mounts every blob ($mnt mounted, $bytes bytes sent)" \
  sh -c "test '$mnt' -eq '$up0' && test '$bytes' -eq 0"
check "... and which then records both" \
  python3 -c 'import json, sys
assert json.load(open(sys.argv[1])) == {sys.argv[2]: ["one/hello", "two/hello"]}' "$TMP/m0/v2c/pushes.json" "$A"
"$V2C" -v push "$TMP/m1:hello" "$A/three/hello" >/dev/null 2>"$TMP/p2.err" || sed 's/^/# /' "$TMP/p2.err"
read -r up bytes mnt skip <<<"$(counts "$TMP/p2.err")"
check "the same image from a layout without that memory uploads again ($up uploaded, $mnt mounted)" \
  sh -c "test '$mnt' -eq 0 && test '$up' -eq '$up0' && test '$bytes' -gt 0"
"$V2C" -v push --mount-from one/hello "$TMP/m2:hello" "$A/four/hello" >"$TMP/p3.out" 2>"$TMP/p3.err" || sed 's/^/# /' "$TMP/p3.err"
read -r up bytes mnt skip <<<"$(counts "$TMP/p3.err")"
check "push --mount-from one/hello, no memory: every blob mounted ($mnt), no byte sent, the right digest" \
  sh -c "test '$mnt' -eq '$up0' && test '$bytes' -eq 0 && grep -qx '$A/four/hello@$(awk '$1 == "hello" { print $2 }' "$TMP/all.out")' '$TMP/p3.out'"

# --- push --auth-file ---------------------------------------------------------------------------
registry_start auth --htpasswd carol:f1le-pw
U=$REG_AUTH_ADDR
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$U" "$(printf 'carol:f1le-pw' | base64)" >"$TMP/good-auth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$U" "$(printf 'carol:wrong' | base64)" >"$TMP/bad-auth.json"
printf '{"auths":{"other.example:5000":{"auth":"%s"}}}\n' "$(printf 'carol:f1le-pw' | base64)" >"$TMP/other-auth.json"
st=0; REGISTRY_AUTH_FILE="$TMP/bad-auth.json" "$V2C" push --auth-file "$TMP/good-auth.json" "$TMP/m0:hello" "$U/v2c/hello" \
  >"$TMP/a1.out" 2>"$TMP/a1.err" || st=$?
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/a1.err"
check "push --auth-file FILE: its credentials, not \$REGISTRY_AUTH_FILE's (wrong ones)" \
  sh -c "test $st -eq 0 && grep -q '^$U/v2c/hello@sha256:' '$TMP/a1.out'"
st=0; REGISTRY_AUTH_FILE="$TMP/good-auth.json" "$V2C" push --auth-file "$TMP/other-auth.json" "$TMP/m0:hello" "$U/v2c/hello2" \
  >/dev/null 2>"$TMP/a2.err" || st=$?
check "... and only them: a file without this registry is no credentials (exit 4, one line), whatever the search holds" \
  sh -c "test $st -eq 4 && $(one_line "$TMP/a2.err")"
check "... no password in what v2c printed" sh -c "! grep -q 'f1le-pw' '$TMP/a1.out' '$TMP/a1.err' '$TMP/a2.err'"

# --- a registry that stored something else ---------------------------------------------------
# The proxy rewrites the Docker-Content-Digest of one reply: the registry
# stored the right bytes, but says otherwise; push must not go on.
registry_start dig
fault_proxy_start fd "$REG_DIG_ADDR" "digest@PUT/blobs:1"
cp -a "$TMP/m0" "$TMP/d1"
rm -f "$TMP/d1/v2c/pushes.json"
st=0; "$V2C" push --retries 1 "$TMP/d1:hello" "$FAULT_FD_ADDR/v2c/blob:t" >/dev/null 2>"$TMP/d1.err" || st=$?
sed 's/^/# /' "$TMP/d1.err"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$REG_DIG_ADDR/v2/v2c/blob/manifests/t")
check "a blob the registry says it stored under another digest: exit 1, one line saying so" \
  sh -c "test $st -eq 1 && grep -q 'the registry stored it as sha256:' '$TMP/d1.err' && $(one_line "$TMP/d1.err")"
check "... the proxy did rewrite that reply" grep -q 'PUT /v2/v2c/blob/blobs/uploads/.* fault=digest status=201' "$FAULT_FD_LOG"
check "... and no manifest or tag was put (HTTP $code)" sh -c "test '$code' = 404 && ! grep -q 'PUT /v2/v2c/blob/manifests/' '$FAULT_FD_LOG'"
fault_proxy_mode fd "digest@PUT/manifests:1"
st=0; "$V2C" push --retries 1 "$TMP/d1:hello" "$FAULT_FD_ADDR/v2c/man:t" >/dev/null 2>"$TMP/d2.err" || st=$?
sed 's/^/# /' "$TMP/d2.err"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$REG_DIG_ADDR/v2/v2c/man/manifests/t")
check "a manifest whose Docker-Content-Digest is not ours: exit 1, one line saying so" \
  sh -c "test $st -eq 1 && grep -q 'stored the manifest as sha256:' '$TMP/d2.err' && $(one_line "$TMP/d2.err")"
check "... the proxy did rewrite that reply" grep -q 'PUT /v2/v2c/man/manifests/sha256:.* fault=digest status=201' "$FAULT_FD_LOG"
check "... and the tag was not set (HTTP $code)" sh -c "test '$code' = 404 && ! grep -q 'PUT /v2/v2c/man/manifests/t ' '$FAULT_FD_LOG'"

finish
