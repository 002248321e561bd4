#!/usr/bin/env bash
# Hostile registries against v2c push and pull (issue 11), with real
# distribution registries on loopback and the fault proxy in front:
#  - credentials go to the registry the user named and nowhere else: a
#    redirect to another loopback host answering 401 with a Bearer realm on
#    a third gets nothing (and that realm is never asked), a redirected blob
#    GET carries no Authorization, an https registry's credentials never go
#    to a plain-http token realm;
#  - declared sizes hold: a layer declared 0 bytes served endlessly, a blob
#    longer than declared and an endless manifest stop at the limit with
#    exit 3; --max-size caps the image before any blob; --timeout bounds a
#    reply sent a byte a second;
#  - SIGTERM, SIGINT and SIGHUP during a pull leave no DIR.v2c-pull-*;
#  - push and pull with stdout on /dev/full exit 1 and say the digest;
#  - a corrupt blob in the layout is found before anything is uploaded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
for c in docker-registry openssl curl; do
  command -v "$c" >/dev/null || { echo "$c missing (scripts/setup.sh installs it)"; exit 1; }
done
"$REGLIB_PYTHON" -c 'import cryptography' 2>/dev/null \
  || { echo "python3-cryptography missing (scripts/setup.sh installs it)"; exit 1; }
: "${MKIMAGE:?MKIMAGE must name the mkimage test tool}"
# No one's credentials but the ones given here.
export REGISTRY_AUTH_FILE="$TMP/auth.json" DOCKER_CONFIG="$TMP/docker" HOME="$TMP"

# A small image: a 1 MiB file, so that a layer takes long a byte a second.
mkdir -p "$TMP/src/etc" "$TMP/src/data"
echo "hostile registry" >"$TMP/src/etc/motd"
head -c 1048576 /dev/urandom >"$TMP/src/data/blob"
"$MKIMAGE" --gzip --layout "$TMP/img" --name img --entrypoint /bin/true "$TMP/src" >"$TMP/mkimage.out" \
  || { not_ok "mkimage"; finish; exit 1; }
want=$(sed -n 's/^manifest //p' "$TMP/mkimage.out")
man="$TMP/img/blobs/sha256/${want#sha256:}"
echo "# image manifest $want"

# run NAME CMD...: CMD's status in $st, its output in $TMP/NAME.out/.err,
# its time in seconds in $secs.
run() {
  local name=$1 t0=$SECONDS
  shift
  set +e
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  st=$?
  set -e
  secs=$((SECONDS - t0))
}
one_line() { test "$(grep -c . "$1")" -eq 1; }
# Pulls go to $O/NAME; no_pull_left NAME: neither $O/NAME nor $O/NAME.v2c-pull-*.
O=$TMP/out
mkdir -p "$O"
no_pull_left() { ! compgen -G "$O/$1*" >/dev/null; }

registry_start store
registry_start cred --htpasswd alice:pw-alice
"$V2C" push "$TMP/img:img" "$REG_STORE_ADDR/app/img" >/dev/null 2>"$TMP/push-store.err" || cat "$TMP/push-store.err"
"$V2C" push --creds alice:pw-alice "$TMP/img:img" "$REG_CRED_ADDR/app/img" >/dev/null 2>"$TMP/push-cred.err" \
  || cat "$TMP/push-cred.err"

# --- credentials -----------------------------------------------------------------
# The issue's attack: the registry redirects a blob GET to another host (B,
# on 127.0.0.2), which answers 401 with a Bearer realm on a third (C, a token
# issuer that would take alice's password and log it).
registry_start evil --token --htpasswd alice:pw-alice
fault_proxy_start b 127.0.0.1:9 "401@1+" --listen 127.0.0.2 \
  --challenge "Bearer realm=\"$REG_EVIL_TOKEN_URL\",service=evil"
fault_proxy_start p "$REG_CRED_ADDR" "redirect@GET/blobs:1+" --redirect-to "$FAULT_B_ADDR"
run attack "$V2C" pull --creds alice:pw-alice --retries 1 "$FAULT_P_ADDR/app/img@$want" -o "$O/attack"
echo "# attack: exit $st: $(cat "$TMP/attack.err")"
check "redirected to $FAULT_B_ADDR, which asks for credentials: nothing sent to its realm ($(grep -c . "$REG_EVIL_TOKEN_LOG") token requests)" \
  test ! -s "$REG_EVIL_TOKEN_LOG"
check "... the pull is refused (exit 4), one line naming the host that answered" \
  eval 'test "$st" = 4 && one_line "$TMP/attack.err" && grep -qF "$FAULT_B_ADDR" "$TMP/attack.err"'
check "... the redirect did happen (B got the blob GET)" grep -q '/blobs/sha256:.* fault=401 status=401' "$FAULT_B_LOG"
check "... and no layout nor temporary directory is left" no_pull_left attack

# Redirects are followed, without credentials: C's real storage is the open
# registry "store", behind B2 on 127.0.0.2.
fault_proxy_start b2 "$REG_STORE_ADDR" none --listen 127.0.0.2 --log-auth
fault_proxy_start p2 "$REG_CRED_ADDR" "redirect@GET/blobs:1+" --redirect-to "$FAULT_B2_ADDR" --log-auth
run redir "$V2C" pull --creds alice:pw-alice "$FAULT_P2_ADDR/app/img@$want" -o "$O/redir"
check "a blob GET redirected to another host: the pull completes, same manifest (exit $st)" \
  eval 'test "$st" = 0 && cmp -s "$man" "$O/redir/blobs/sha256/${want#sha256:}"'
check "... the registry itself got Basic credentials" grep -q 'manifests.* auth=Basic$' "$FAULT_P2_LOG"
check "... the other host got the blob GETs ($(grep -c 'blobs/sha256' "$FAULT_B2_LOG") of them) and never an Authorization" \
  eval 'grep -q "blobs/sha256.*status=200 auth=-$" "$FAULT_B2_LOG" && ! grep -v " auth=-$" "$FAULT_B2_LOG"'

# An https registry whose token realm is plain http.
registry_start tlstok --tls --token --htpasswd bob:pw-bob
run tlstok "$V2C" push --ca-file "$REG_TLSTOK_CA" --creds bob:pw-bob "$TMP/img:img" "$REG_TLSTOK_ADDR/app/img"
echo "# https registry, http realm: exit $st: $(cat "$TMP/tlstok.err")"
check "https registry naming a plain-http realm: the password is not sent there" \
  sh -c "! grep -q 'user=bob' '$REG_TLSTOK_TOKEN_LOG'"
realm_host=${REG_TLSTOK_TOKEN_URL#http://}
realm_host=${realm_host%%/*}
check "... refused (exit 4), one line naming the realm's host ($realm_host)" \
  eval 'test "$st" = 4 && one_line "$TMP/tlstok.err" && grep -qF "($realm_host)" "$TMP/tlstok.err" && grep -q "plain-http" "$TMP/tlstok.err"'

# --- declared sizes, limits and deadlines ----------------------------------------
# A manifest declaring its layer 0 bytes long, the layer served endlessly.
python3 - "$man" >"$TMP/zero.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["layers"][0]["size"] = 0
sys.stdout.write(json.dumps(m))
EOF
code=$(curl -s -o "$TMP/zero.put" -w '%{http_code}' -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
  --data-binary @"$TMP/zero.json" "$REG_STORE_URL/v2/app/img/manifests/zero")
check "the registry takes a manifest declaring a 0-byte layer (HTTP $code)" test "$code" = 201
fault_proxy_start pz "$REG_STORE_ADDR" "endless@GET/blobs:2"
run zero "$V2C" pull --retries 1 "$FAULT_PZ_ADDR/app/img:zero" -o "$O/zero"
sent=$(sed -n 's/.*fault=endless status=200 sent=\([0-9]*\).*/\1/p' "$FAULT_PZ_LOG")
echo "# 0-byte layer: exit $st in ${secs}s, the proxy sent ${sent:-?} bytes: $(cat "$TMP/zero.err")"
check "a layer declared 0 bytes, served endlessly: v2c stops at once (${sent:-?} bytes sent before it hung up)" \
  eval 'test -n "$sent" && test "$sent" -lt 67108864'
check "... exit 3, one line saying the declared size" \
  eval 'test "$st" = 3 && one_line "$TMP/zero.err" && grep -q "more than the 0 bytes declared" "$TMP/zero.err"'
check "... no layout nor temporary directory left" no_pull_left zero
size_cfg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["size"])' "$man")
fault_proxy_mode pz "endless@GET/blobs:1"
run long "$V2C" pull --retries 1 "$FAULT_PZ_ADDR/app/img@$want" -o "$O/long"
check "a blob longer than its declared $size_cfg bytes: exit 3, one line (not 'File too large')" \
  eval 'test "$st" = 3 && one_line "$TMP/long.err" && grep -q "more than the $size_cfg bytes declared" "$TMP/long.err"'
fault_proxy_mode pz "endless@GET/manifests:1+"
run bigman "$V2C" pull --retries 1 "$FAULT_PZ_ADDR/app/img:latest" -o "$O/bigman"
check "an endless manifest: exit 3 at 4 MiB, one line (not 'Failure writing output')" \
  eval 'test "$st" = 3 && one_line "$TMP/bigman.err" && grep -q "reply over 4194304 bytes" "$TMP/bigman.err"'
fault_proxy_mode pz none
before=$(grep -c . "$FAULT_PZ_LOG")
run cap "$V2C" pull --max-size 1K "$FAULT_PZ_ADDR/app/img@$want" -o "$O/cap"
check "--max-size 1K: exit 3 before any blob is asked for" \
  eval 'test "$st" = 3 && one_line "$TMP/cap.err" && grep -q "max-size" "$TMP/cap.err" && ! tail -n +$((before + 1)) "$FAULT_PZ_LOG" | found blobs/'
fault_proxy_mode pz "drip@GET/manifests:1+"
run drip "$V2C" pull --timeout 3 --retries 1 "$FAULT_PZ_ADDR/app/img@$want" -o "$O/drip"
echo "# manifest at 1 byte/s, --timeout 3: exit $st in ${secs}s: $(cat "$TMP/drip.err")"
check "a manifest sent a byte a second: --timeout 3 ends the pull in ${secs}s (2 attempts), exit 1, one line" \
  eval 'test "$st" = 1 && test "$secs" -le 20 && one_line "$TMP/drip.err" && grep -qi "timed out" "$TMP/drip.err"'

# --- signals ------------------------------------------------------------------------
# Blobs a byte a second: the pull is under way in DIR.v2c-pull-* when the
# signal comes.  (A background job's SIGINT is ignored unless reset.)
fault_proxy_mode pz "drip@GET/blobs:1+"
for sig in TERM INT HUP; do
  env --default-signal=INT,TERM,HUP "$V2C" pull --retries 1 "$FAULT_PZ_ADDR/app/img@$want" -o "$O/sig$sig" \
    >/dev/null 2>"$TMP/sig$sig.err" &
  pid=$!
  for _ in $(seq 100); do compgen -G "$O/sig$sig.v2c-pull-*/blobs/sha256/*.part" >/dev/null && break; sleep 0.2; done
  seen=$(compgen -G "$O/sig$sig.v2c-pull-*" || true)
  sleep 1
  kill -"$sig" "$pid" || cat "$TMP/sig$sig.err"
  set +e
  timeout 30 tail --pid="$pid" -f /dev/null
  wait "$pid"
  st=$?
  set -e
  want_st=$((128 + $(kill -l "$sig")))
  check "SIG$sig during a pull (in ${seen:-nothing?}): killed by it (exit $st), nothing left behind" \
    eval 'test -n "$seen" && test "$st" = "$want_st" && no_pull_left "sig$sig"'
done
fault_proxy_stop pz

# --- stdout on /dev/full ------------------------------------------------------------
set +e
"$V2C" push "$TMP/img:img" "$REG_STORE_ADDR/app/full" >/dev/full 2>"$TMP/fullpush.err"; st=$?
set -e
check "push with stdout on /dev/full: exit 1, one line that still gives the digest" \
  eval 'test "$st" = 1 && one_line "$TMP/fullpush.err" && grep -qF "$REG_STORE_ADDR/app/full@$want" "$TMP/fullpush.err"'
set +e
"$V2C" pull "$REG_STORE_ADDR/app/img@$want" -o "$O/fullpull" >/dev/full 2>"$TMP/fullpull.err"; st=$?
set -e
check "pull with stdout on /dev/full: exit 1, one line that still gives the digest" \
  eval 'test "$st" = 1 && one_line "$TMP/fullpull.err" && grep -qF "@$want" "$TMP/fullpull.err"'
set +e
"$V2C" push --json "$TMP/img:img" "$REG_STORE_ADDR/app/full" >/dev/full 2>"$TMP/fullpushj.err"; st=$?
set -e
check "push --json with stdout on /dev/full: exit 1, one line that still gives the digest" \
  eval 'test "$st" = 1 && one_line "$TMP/fullpushj.err" && grep -qF "$REG_STORE_ADDR/app/full@$want" "$TMP/fullpushj.err"'
set +e
"$V2C" pull --json "$REG_STORE_ADDR/app/img@$want" -o "$O/fullpullj" >/dev/full 2>"$TMP/fullpullj.err"; st=$?
set -e
check "pull --json with stdout on /dev/full: exit 1, one line that still gives the digest" \
  eval 'test "$st" = 1 && one_line "$TMP/fullpullj.err" && grep -qF "@$want" "$TMP/fullpullj.err"'

# --- a corrupt blob in the layout -----------------------------------------------------
cp -a "$TMP/img" "$TMP/bad"
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' "$man")
python3 - "$TMP/bad/blobs/sha256/$layer" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:   # one bit flipped, the size kept
    f.seek(100)
    b = f.read(1)[0]
    f.seek(100)
    f.write(bytes([b ^ 1]))
EOF
# ... and one in the registry's own storage (a disk fault, or an attacker
# there): distribution serves the bytes it has without checking them, the
# digest check of pull is what stands between them and the layout.
registry_start rot
"$V2C" push "$TMP/img:img" "$REG_ROT_ADDR/app/img" >/dev/null 2>"$TMP/push-rot.err" || cat "$TMP/push-rot.err"
stored=$(find "$REG_ROT_DIR/storage" -path "*/blobs/sha256/*/$layer/data")
cp "$TMP/bad/blobs/sha256/$layer" "$stored"
run rotpull "$V2C" pull "$REG_ROT_ADDR/app/img@$want" -o "$O/rot"
check "a registry serving a layer with one bit flipped (${stored:+found in its storage}): pull exits 3, one line naming the blob" \
  eval 'test -n "$stored" && test "$st" = 3 && one_line "$TMP/rotpull.err" && grep -q "$layer" "$TMP/rotpull.err"'
check "... and leaves neither the layout nor a temporary" no_pull_left rot
registry_stop rot

fault_proxy_start pc "$REG_STORE_ADDR" none
run corrupt "$V2C" push "$TMP/bad:img" "$FAULT_PC_ADDR/app/corrupt"
check "a corrupt layer in the layout: exit 3 in ${secs}s, one line naming the blob" \
  eval 'test "$st" = 3 && one_line "$TMP/corrupt.err" && grep -q "$layer.*corrupt" "$TMP/corrupt.err"'
check "... found before its upload: the registry got no PUT of it, nor a manifest" \
  sh -c "! grep -q 'PUT .*digest=sha256:$layer' '$FAULT_PC_LOG' && ! grep -q 'PUT /v2/app/corrupt/manifests' '$FAULT_PC_LOG'"

finish
