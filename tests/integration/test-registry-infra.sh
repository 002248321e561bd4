#!/usr/bin/env bash
# The registry test infrastructure (registry-lib.sh) works, checked with
# skopeo as an independent client: Debian's docker-registry (distribution
# 2.8.2) on loopback over plain http, TLS with a CA of the test's own,
# htpasswd basic auth, token auth through token-issuer.py (x5c and kid
# headers, anonymous pull only, short-lived tokens), the fault proxy
# (faults injected and logged, large bodies streamed, Location kept on the
# proxy), registry_restart (same port and storage, upload sessions
# survive), and cleanup at exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
for c in docker-registry skopeo htpasswd openssl curl; do
  command -v "$c" >/dev/null || { echo "$c missing (scripts/setup.sh installs it)"; exit 1; }
done
"$REGLIB_PYTHON" -c 'import cryptography' 2>/dev/null \
  || { echo "python3-cryptography missing (scripts/setup.sh installs it)"; exit 1; }
: "${MKIMAGE:?MKIMAGE must name the mkimage test tool}"

# skopeo must not find anyone's credentials but the ones given here.
export REGISTRY_AUTH_FILE="$TMP/auth.json" DOCKER_CONFIG="$TMP/docker"
t0=$(date +%s%N)
lap() { # prints the seconds since the last lap
  local t
  t=$(date +%s%N)
  printf '%d.%02d' $(((t - t0) / 1000000000)) $(((t - t0) / 10000000 % 100))
  t0=$t
}

# A small image: a few files, one of 2 MiB so that uploads have a body.
mkdir -p "$TMP/src/etc" "$TMP/src/usr/share/data" "$TMP/src/bin"
echo "registry infra" >"$TMP/src/etc/motd"
printf '#!/bin/true\n' >"$TMP/src/bin/hello"
chmod 755 "$TMP/src/bin/hello"
head -c 2097152 /dev/urandom >"$TMP/src/usr/share/data/blob"
"$MKIMAGE" --gzip --layout "$TMP/layout" --name img --entrypoint /bin/true "$TMP/src" >"$TMP/mkimage.out" \
  || { not_ok "mkimage"; finish; exit 1; }
want=$(sed -n 's/^manifest //p' "$TMP/mkimage.out")
src="oci:$TMP/layout:img"
echo "# image manifest $want"

# pushed ADDR/REPO:TAG [skopeo inspect options]: the registry holds the
# image's manifest, byte for byte (its sha256 is the layout's digest).
pushed() {
  local ref=$1
  shift
  skopeo inspect --raw "$@" "docker://$ref" >"$TMP/raw" 2>"$TMP/inspect.err" || { cat "$TMP/inspect.err"; return 1; }
  [ "sha256:$(sha256sum <"$TMP/raw" | cut -d' ' -f1)" = "$want" ]
}
gone() { # gone PID...: none is running (a zombie counts as gone)
  local p
  for p in "$@"; do
    [ -n "$p" ] && ! _reglib_alive "$p" || return 1
  done
}
eventually() { # eventually SECONDS COMMAND...: polls until it holds
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.2
  done
}
copy() { # copy DEST [skopeo copy options]
  local dest=$1
  shift
  skopeo copy -q --retry-times 0 "$@" "$src" "docker://$dest" >"$TMP/copy.out" 2>"$TMP/copy.err"
}

# --- plain http
registry_start plain
check "plain: registry answers on $REG_PLAIN_ADDR (pid $REG_PLAIN_PID) [start $(lap)s]" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$REG_PLAIN_URL/v2/")" = 200
if copy "$REG_PLAIN_ADDR/test/img:v1" --dest-tls-verify=false; then ok "plain: skopeo pushes [$(lap)s]"
else cat "$TMP/copy.err"; not_ok "plain: skopeo pushes"; fi
check "plain: skopeo inspect --raw reads back the manifest ($want)" pushed "$REG_PLAIN_ADDR/test/img:v1" --tls-verify=false
check "plain: ... and by digest" pushed "$REG_PLAIN_ADDR/test/img@$want" --tls-verify=false
check "plain: the registry's log has the access lines" grep -q '"PUT /v2/test/img/manifests/v1 HTTP/1.1" 201' "$REG_PLAIN_LOG"

# --- TLS
lap >/dev/null
registry_start tls --tls
check "tls: https on $REG_TLS_ADDR, the test CA verifies it [start $(lap)s]" \
  test "$(curl -s --cacert "$REG_TLS_CA" -o /dev/null -w '%{http_code}' "$REG_TLS_URL/v2/")" = 200
check "tls: ... under the name localhost too (subjectAltName)" \
  test "$(curl -s --cacert "$REG_TLS_CA" -o /dev/null -w '%{http_code}' "https://localhost:${REG_TLS_ADDR#*:}/v2/")" = 200
check "tls: ... and not without the CA" sh -c "! curl -s -o /dev/null '$REG_TLS_URL/v2/'"
if copy "$REG_TLS_ADDR/test/img:v1" --dest-cert-dir "$REG_TLS_CERTDIR"; then ok "tls: skopeo pushes with --dest-cert-dir [$(lap)s]"
else cat "$TMP/copy.err"; not_ok "tls: skopeo pushes with --dest-cert-dir"; fi
check "tls: skopeo reads the manifest back" pushed "$REG_TLS_ADDR/test/img:v1" --cert-dir "$REG_TLS_CERTDIR"
check "tls: skopeo without the CA is refused (unknown authority)" \
  sh -c "! skopeo inspect --raw 'docker://$REG_TLS_ADDR/test/img:v1' 2>'$TMP/err' >/dev/null && grep -qi 'certificate' '$TMP/err'"

# --- htpasswd (plain http: distribution 2.8.2 accepts basic auth without TLS)
lap >/dev/null
registry_start basic --htpasswd alice:s3cr3t
check "htpasswd: /v2/ asks for Basic auth [start $(lap)s]" \
  sh -c "curl -s -D - -o /dev/null '$REG_BASIC_URL/v2/' | grep -qi '^www-authenticate: basic'"
if copy "$REG_BASIC_ADDR/test/img:v1" --dest-tls-verify=false --dest-creds "$REG_BASIC_USER:$REG_BASIC_PASS"; then
  ok "htpasswd: skopeo pushes with --dest-creds [$(lap)s]"
else cat "$TMP/copy.err"; not_ok "htpasswd: skopeo pushes with --dest-creds"; fi
check "htpasswd: reads back with the credentials" pushed "$REG_BASIC_ADDR/test/img:v1" --tls-verify=false --creds alice:s3cr3t
check "htpasswd: a wrong password is refused" \
  sh -c "! skopeo copy -q '$src' 'docker://$REG_BASIC_ADDR/test/img:v2' --dest-tls-verify=false --dest-creds alice:wrong 2>'$TMP/err' && grep -qi 'unauthorized\|authentication' '$TMP/err'"
check "htpasswd: no credentials are refused" \
  sh -c "! skopeo inspect --raw 'docker://$REG_BASIC_ADDR/test/img:v1' --tls-verify=false >/dev/null 2>&1"
lap >/dev/null
registry_start basictls --tls --htpasswd carol:pw
if copy "$REG_BASICTLS_ADDR/test/img:v1" --dest-cert-dir "$REG_BASICTLS_CERTDIR" --dest-creds carol:pw \
  && pushed "$REG_BASICTLS_ADDR/test/img:v1" --cert-dir "$REG_BASICTLS_CERTDIR" --creds carol:pw; then
  ok "htpasswd over TLS: push and read back [$(lap)s]"
else cat "$TMP/copy.err" "$TMP/inspect.err"; not_ok "htpasswd over TLS: push and read back"; fi

# --- token auth
lap >/dev/null
registry_start tok --token --htpasswd bob:t0ken
check "token: /v2/ sends clients to the issuer [start $(lap)s]" \
  sh -c "curl -s -D - -o /dev/null '$REG_TOK_URL/v2/' | grep -qi '^www-authenticate: bearer realm=\"$REG_TOK_TOKEN_URL\",service=\"$REG_TOK_SERVICE\"'"
if copy "$REG_TOK_ADDR/test/img:v1" --dest-tls-verify=false --dest-creds bob:t0ken; then ok "token: skopeo pushes with credentials [$(lap)s]"
else cat "$TMP/copy.err"; tail -5 "$REG_TOK_LOG"; not_ok "token: skopeo pushes with credentials"; fi
check "token: the issuer logged bob's push token ($(grep -c . "$REG_TOK_TOKEN_LOG") token requests)" \
  grep -q "user=bob scopes=repository:test/img:pull,push granted=repository:test/img:pull,push status=200" "$REG_TOK_TOKEN_LOG"
check "token: anonymous pull works (pull-only token)" pushed "$REG_TOK_ADDR/test/img:v1" --tls-verify=false
check "token: ... logged as anonymous" grep -q "user=- .*status=200" "$REG_TOK_TOKEN_LOG"
check "token: anonymous push is refused" \
  sh -c "! skopeo copy -q '$src' 'docker://$REG_TOK_ADDR/test/anon:v1' --dest-tls-verify=false 2>'$TMP/err' && grep -qi 'unauthorized\|denied\|authentication' '$TMP/err'"
check "token: wrong credentials get 401 from the issuer" \
  sh -c "! skopeo copy -q '$src' 'docker://$REG_TOK_ADDR/test/img:v2' --dest-tls-verify=false --dest-creds bob:nope 2>/dev/null && grep -q 'user=bob .*status=401' '$REG_TOK_TOKEN_LOG'"
token() { # token ISSUER_URL SERVICE CREDS -> the JWT
  curl -s -u "$3" "$1?service=$2&scope=repository:test/img:pull,push" \
    | "$REGLIB_PYTHON" -c 'import json, sys; d = json.load(sys.stdin); assert d["token"] == d["access_token"]; print(d["token"], d["expires_in"])'
}
bearer() { # bearer URL TOKEN -> the HTTP status of a GET
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1"
}
lap >/dev/null
registry_start tokkid --token --token-kid --htpasswd bob:t0ken
read -r jwt _ < <(token "$REG_TOKKID_TOKEN_URL" "$REG_TOKKID_SERVICE" bob:t0ken)
hdr=$(echo "${jwt%%.*}" | tr '_-' '/+' | "$REGLIB_PYTHON" -c 'import base64, sys; s = sys.stdin.read().strip(); print(base64.b64decode(s + "=" * (-len(s) % 4)).decode())')
check "token --token-kid: the header has a libtrust kid and no x5c ($hdr)" \
  sh -c "echo '$hdr' | grep -q '\"kid\": *\"[A-Z2-7]\{4\}\(:[A-Z2-7]\{4\}\)\{11\}\"' && ! echo '$hdr' | grep -q x5c"
if copy "$REG_TOKKID_ADDR/test/img:v1" --dest-tls-verify=false --dest-creds bob:t0ken; then ok "token --token-kid: skopeo pushes [$(lap)s]"
else cat "$TMP/copy.err"; not_ok "token --token-kid: skopeo pushes"; fi
registry_start tokexp --token --expires 3 --htpasswd bob:t0ken
read -r jwt exp_in < <(token "$REG_TOKEXP_TOKEN_URL" "$REG_TOKEXP_SERVICE" bob:t0ken)
st1=$(bearer "$REG_TOKEXP_URL/v2/" "$jwt")
sleep 4.2
st2=$(bearer "$REG_TOKEXP_URL/v2/" "$jwt")
check "token --expires 3: expires_in $exp_in, accepted at once ($st1), refused after 4 s ($st2) [$(lap)s]" \
  test "$exp_in $st1 $st2" = "3 200 401"

# --- fault proxy
lap >/dev/null
fault_proxy_start f "$REG_PLAIN_ADDR" 500@3
set +e
copy "$FAULT_F_ADDR/test/proxied:v1" --dest-tls-verify=false
st=$?
set -e
echo "# skopeo through 500@3: exit $st ($(tail -1 "$TMP/copy.err" | cut -c1-160))"
check "proxy 500@3: the third request got the injected 500 [$(lap)s]" \
  grep -q '^3 [A-Z]* [^ ]* fault=500 status=500$' "$FAULT_F_LOG"
check "proxy 500@3: and only it" test "$(grep -c 'fault=500' "$FAULT_F_LOG")" = 1
check "proxy: the TLS probe skopeo makes first is refused and not counted" grep -q '^- TLS-handshake' "$FAULT_F_LOG"
if [ "$st" -ne 0 ]; then
  check "proxy: skopeo (no retry of a single request) fails on the 500, saying so" grep -q '500' "$TMP/copy.err"
  fault_proxy_mode f none
  copy "$FAULT_F_ADDR/test/proxied:v1" --dest-tls-verify=false || cat "$TMP/copy.err"
fi
check "proxy none: the image pushed through the proxy reads back through it" pushed "$FAULT_F_ADDR/test/proxied:v1" --tls-verify=false
check "proxy none: ... and straight from the registry" pushed "$REG_PLAIN_ADDR/test/proxied:v1" --tls-verify=false

# Large bodies are streamed both ways; Location stays on the proxy.
lap >/dev/null
fault_proxy_mode f none
head -c 33554432 /dev/urandom >"$TMP/big"
big=sha256:$(sha256sum "$TMP/big" | cut -d' ' -f1)
OCT=(-H 'Content-Type: application/octet-stream') # 2.8.2 answers 500 to a form-typed PATCH
loc=$(curl -s -D - -o /dev/null -X POST "$FAULT_F_URL/v2/test/big/blobs/uploads/" | tr -d '\r' | sed -n 's/^location: //Ip')
check "proxy: an upload's Location names the proxy ($(echo "$loc" | cut -c1-60)...)" \
  sh -c "case '$loc' in '$FAULT_F_URL'/v2/test/big/blobs/uploads/*) exit 0;; *) exit 1;; esac"
loc=$(curl -s -D - -o /dev/null -X PATCH "${OCT[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big" "$loc" \
  | tr -d '\r' | sed -n 's/^location: //Ip')
stput=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$loc&digest=$big")
check "proxy: a chunked 32 MiB PATCH and the PUT go through (PUT $stput) [$(lap)s]" test "$stput" = 201
got=$(curl -s "$FAULT_F_URL/v2/test/big/blobs/$big" | sha256sum | cut -d' ' -f1)
check "proxy: ... and the blob reads back whole through the proxy [$(lap)s]" test "sha256:$got" = "$big"
loc=$(curl -s -D - -o /dev/null -X POST "$FAULT_F_URL/v2/test/big2/blobs/uploads/" | tr -d '\r' | sed -n 's/^location: //Ip')
stput=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "${OCT[@]}" --data-binary @"$TMP/big" "$loc&digest=$big")
check "proxy: a monolithic 32 MiB PUT with Content-Length (and Expect: 100-continue) goes through ($stput) [$(lap)s]" \
  test "$stput" = 201
fault_proxy_mode f '429@1,cut@2,cutbody@3'
check "proxy 429@1: 429 with Retry-After: 1" \
  sh -c "curl -s -D - -o /dev/null '$FAULT_F_URL/v2/' | tr -d '\r' | grep -qi '^retry-after: 1$'"
check "proxy cut@2: the connection closes with no reply" sh -c "! curl -s -o /dev/null '$FAULT_F_URL/v2/'"
got=$(curl -s "$FAULT_F_URL/v2/test/big/blobs/$big" 2>/dev/null | wc -c) || true
check "proxy cutbody@3: the response body stops halfway ($got of 33554432 bytes)" test "$got" = 16777216
fault_proxy_mode f 'cutbody@PATCH:1'
loc=$(curl -s -D - -o /dev/null -X POST "$FAULT_F_URL/v2/test/cut/blobs/uploads/" | tr -d '\r' | sed -n 's/^location: //Ip')
check "proxy cutbody on a PATCH: the client sees the connection break" \
  sh -c "! curl -s -o /dev/null -X PATCH -H 'Content-Type: application/octet-stream' --data-binary @'$TMP/big' '$loc'"
check "... and the registry got half the body (2.8.2 logs the disconnect; that session is dead now)" \
  eventually 10 grep -q 'client disconnected during blob PATCH.*copied=16777216' "$REG_PLAIN_LOG"
fault_proxy_stop f
check "fault_proxy_stop: the proxy is gone" sh -c "! curl -s -m 2 -o /dev/null '$FAULT_F_URL/v2/'"

# --- restart: same port and storage; an upload begun before goes on after
lap >/dev/null
oldpid=$REG_PLAIN_PID
loc=$(curl -s -D - -o /dev/null -X POST "$REG_PLAIN_URL/v2/test/resume/blobs/uploads/" | tr -d '\r' | sed -n 's/^location: //Ip')
dd if="$TMP/big" of="$TMP/part1" bs=1M count=1 status=none
dd if="$TMP/big" of="$TMP/part2" bs=1M skip=1 count=1 status=none
cat "$TMP/part1" "$TMP/part2" >"$TMP/parts"
parts=sha256:$(sha256sum "$TMP/parts" | cut -d' ' -f1)
loc=$(curl -s -D - -o /dev/null -X PATCH "${OCT[@]}" --data-binary @"$TMP/part1" "$loc" | tr -d '\r' | sed -n 's/^location: //Ip')
registry_restart plain
check "registry_restart: new pid ($oldpid -> $REG_PLAIN_PID), same address $REG_PLAIN_ADDR [$(lap)s]" \
  gone "$oldpid"
check "registry_restart: what was pushed before is still there" pushed "$REG_PLAIN_ADDR/test/img:v1" --tls-verify=false
loc=$(curl -s -D - -o /dev/null -X PATCH "${OCT[@]}" -H "Content-Range: 1048576-2097151" --data-binary @"$TMP/part2" "$loc" \
  | tr -d '\r' | sed -n 's/^location: //Ip')
stput=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$loc&digest=$parts")
check "registry_restart: an upload begun before the restart finishes after it (fixed http.secret; PUT $stput)" test "$stput" = 201
registry_kill plain
check "registry_kill: the registry is down" sh -c "! curl -s -m 2 -o /dev/null '$REG_PLAIN_URL/v2/'"
registry_restart plain
check "registry_restart after registry_kill: up again" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$REG_PLAIN_URL/v2/")" = 200

# --- stop and cleanup
tokpid=$REG_TOK_TOKEN_PID regpid=$REG_TOK_PID
registry_stop tok
check "registry_stop: registry and token issuer are gone" gone "$regpid" "$tokpid"
# A test that exits leaves nothing running and its $TMP removed.
st=0
out=$(bash -c '. "$1/lib.sh"; . "$1/registry-lib.sh"; registry_start x --token --htpasswd u:p
  fault_proxy_start y "$REG_X_ADDR" none; echo "$TMP $REG_X_PID $REG_X_TOKEN_PID $FAULT_Y_PID"; exit 3' _ "$(dirname "$0")") || st=$?
read -r xtmp p1 p2 p3 <<<"$out"
check "exit: the registry, issuer and proxy of a finished test are stopped, its TMP removed, its status kept ($st)" \
  eval 'test "$st" = 3 && gone "$p1" "$p2" "$p3" && test -n "$xtmp" && test ! -e "$xtmp"'

finish
