# Registry test infrastructure, sourced after lib.sh: real CNCF distribution
# registries (Debian's docker-registry 2.8.2) on 127.0.0.1, optionally with
# TLS, htpasswd basic auth or Docker token auth (tests/integration/
# token-issuer.py), and a fault-injecting HTTP proxy in front of one
# (tests/integration/fault-proxy.py). Everything listens on loopback only,
# every wait is bounded, and whatever was started is stopped at exit.
#
#   registry_start NAME [--tls] [--htpasswd USER:PASS] [--token [--expires N] [--token-kid]]
#       NAME: [a-z0-9_]+; the variables below use NAME upper-cased.
#       REG_<NAME>_ADDR   127.0.0.1:PORT         REG_<NAME>_URL  http(s)://ADDR
#       REG_<NAME>_PID    the registry's pid     REG_<NAME>_DIR  $TMP/registry-NAME
#       REG_<NAME>_LOG    the registry's log (access log included)
#       --tls: REG_<NAME>_CA (CA certificate that signed the server's, for
#         127.0.0.1 and localhost) and REG_<NAME>_CERTDIR (a directory holding
#         ca.crt, for skopeo --*-cert-dir / containers' certs.d)
#       --htpasswd: bcrypt htpasswd file; REG_<NAME>_USER, REG_<NAME>_PASS.
#         Distribution 2.8.2 accepts basic auth over plain http (it only
#         recommends TLS), so --htpasswd does not imply --tls.
#       --token: Docker token auth, issuer on its own port; the
#         --htpasswd user is the one account it accepts (anonymous: pull
#         only). REG_<NAME>_TOKEN_URL (the realm), REG_<NAME>_SERVICE,
#         REG_<NAME>_TOKEN_PID, REG_<NAME>_TOKEN_LOG (one line per token
#         request: "GET /token user=U scopes=S granted=G status=N").
#         --expires N: tokens say expires_in N and the registry refuses them
#         N seconds after issue (see token-issuer.py on the 60 s leeway).
#         --token-kid: JWT header carries only the libtrust "kid", no "x5c".
#   registry_stop NAME        stops the registry (and its token issuer)
#   registry_kill NAME        SIGKILLs the registry only (a crash mid-push)
#   registry_restart NAME     kills it if running and starts it again on the
#                             same port, storage and http.secret (upload
#                             sessions survive), same issuer
#   fault_proxy_start NAME UPSTREAM_ADDR MODE
#       HTTP/1.1 proxy on 127.0.0.1 to the plain-http UPSTREAM_ADDR
#       (HOST:PORT). FAULT_<NAME>_ADDR, FAULT_<NAME>_URL, FAULT_<NAME>_PID,
#       FAULT_<NAME>_LOG (one line per request: "N METHOD PATH fault=F
#       status=S"). MODE: see fault-proxy.py (none, 500@3, 429@2,
#       cut@1, cutbody@4, 500@every3, 500@PUT:1, cut@5+, several joined by
#       commas).
#   fault_proxy_start NAME UPSTREAM_ADDR MODE [PROXY OPTIONS...]
#       the options of fault-proxy.py after MODE: --listen 127.0.0.2 (another
#       loopback host; FAULT_<NAME>_ADDR follows it), --redirect-to ADDR
#       (the redirect fault's target), --challenge VALUE (WWW-Authenticate of
#       injected 401s), --log-auth (the Authorization scheme in the log)
#   fault_proxy_mode NAME MODE   new faults from the next request on (the
#                                counters restart at 0, even for the same MODE)
#   fault_proxy_stop NAME
#   registry_cleanup          stops everything (runs at exit by itself; call
#                             it from a test's own EXIT trap if the test
#                             replaces the trap after starting things)

REGLIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3 (python3-cryptography lives there), not whatever
# python3 comes first in PATH (a pyenv one has no Debian modules).
REGLIB_PYTHON=${REGLIB_PYTHON:-/usr/bin/python3}
_REGLIB_PIDS=()

_reglib_die() { echo "registry-lib: $*" >&2; return 1; }
_reglib_var() { # _reglib_var PREFIX NAME FIELD VALUE
  printf -v "$1_${2^^}_$3" '%s' "$4"
}
_reglib_get() { # _reglib_get PREFIX NAME FIELD
  local v
  v="$1_${2^^}_$3"
  echo "${!v:-}"
}
_reglib_alive() { # running and not a zombie
  local st
  [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$st" ] && [ "$st" != Z ]
}
_reglib_kill() { # _reglib_kill PID [SIGNAL]: signal, wait <= 5 s, then SIGKILL
  local pid=$1 sig=${2:-TERM} i
  [ -n "$pid" ] || return 0
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    _reglib_alive "$pid" || break
    sleep 0.1
  done
  if _reglib_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 20); do
      _reglib_alive "$pid" || break
      sleep 0.1
    done
  fi
  local p keep=()
  for p in "${_REGLIB_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  _REGLIB_PIDS=("${keep[@]}")
}
_reglib_free_port() {
  "$REGLIB_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
_reglib_wait_file() { # _reglib_wait_file FILE PID SECONDS: FILE non-empty while PID lives
  local i
  for i in $(seq $(($3 * 10))); do
    [ -s "$1" ] && return 0
    _reglib_alive "$2" || return 1
    sleep 0.1
  done
  return 1
}

registry_cleanup() {
  local pid
  for pid in "${_REGLIB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in "${_REGLIB_PIDS[@]}"; do _reglib_kill "$pid"; done
  _REGLIB_PIDS=()
}
# Adds registry_cleanup before whatever EXIT trap is set now (lib.sh's
# rm -rf "$TMP", or a test's own), keeping the script's exit status.
_reglib_arm_trap() {
  local cur
  cur=$(trap -p EXIT)
  case $cur in *registry_cleanup*) return 0 ;; esac
  _reglib_prev_trap=""
  if [ -n "$cur" ]; then
    eval "set -- $cur"
    _reglib_prev_trap=$3
  fi
  trap '_reglib_st=$?; registry_cleanup || true; eval "$_reglib_prev_trap"; exit $_reglib_st' EXIT
}

_reglib_certs() { # _reglib_certs DIR: CA, server cert for 127.0.0.1/localhost
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=v2c test CA" -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null || return 1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || return 1
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null || return 1
  mkdir -p "$d/certs.d"
  cp "$d/ca.crt" "$d/certs.d/ca.crt"
}

_reglib_htpasswd() { # _reglib_htpasswd FILE USER PASS (bcrypt: the only hash 2.8 accepts)
  command -v htpasswd >/dev/null || _reglib_die "htpasswd missing (apache2-utils; scripts/setup.sh installs it)" || return 1
  htpasswd -nbB "$2" "$3" | sed '/^$/d' >"$1"
}

_reglib_start_issuer() { # _reglib_start_issuer NAME
  local name=$1 d=$TMP/registry-$1 pid args=()
  mkdir -p "$d/token"
  if [ ! -s "$d/token/signer.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=v2c test token signer" \
      -keyout "$d/token/signer.key" -out "$d/token/signer.crt" 2>/dev/null \
      || _reglib_die "openssl: token signer" || return 1
  fi
  args=(--key "$d/token/signer.key" --cert "$d/token/signer.crt" --issuer v2c-test-issuer
        --service "registry-$name" --log "$d/token.log" --port-file "$d/token/port")
  [ -z "$(_reglib_get REG "$name" USER)" ] || args+=(--user "$(_reglib_get REG "$name" USER):$(_reglib_get REG "$name" PASS)")
  [ -z "${_reglib_expires:-}" ] || args+=(--expires "$_reglib_expires")
  [ -z "${_reglib_kid:-}" ] || args+=(--header kid)
  rm -f "$d/token/port"
  : >"$d/token.log"
  "$REGLIB_PYTHON" "$REGLIB_DIR/token-issuer.py" "${args[@]}" >"$d/token-issuer.out" 2>&1 </dev/null &
  pid=$!
  disown "$pid" # no "Killed" notices; bash still reaps it
  _REGLIB_PIDS+=("$pid")
  if ! _reglib_wait_file "$d/token/port" "$pid" 10; then
    cat "$d/token-issuer.out" >&2
    _reglib_kill "$pid"
    _reglib_die "token issuer for $name did not start"
    return 1
  fi
  _reglib_var REG "$name" TOKEN_PID "$pid"
  _reglib_var REG "$name" TOKEN_URL "http://127.0.0.1:$(cat "$d/token/port")/token"
  _reglib_var REG "$name" TOKEN_LOG "$d/token.log"
  _reglib_var REG "$name" SERVICE "registry-$name"
}

_reglib_config() { # _reglib_config NAME PORT: writes $d/config.yml
  local name=$1 port=$2 d=$TMP/registry-$1
  {
    cat <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $d/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  # Fixed, so that upload sessions (_state is signed with it) survive
  # registry_restart; without it each start makes a random one.
  secret: v2c-test-secret-$name
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if [ -s "$d/tls/server.crt" ]; then
      cat <<EOF
  tls:
    certificate: $d/tls/server.crt
    key: $d/tls/server.key
EOF
    fi
    if [ -n "$(_reglib_get REG "$name" TOKEN_URL)" ]; then
      cat <<EOF
auth:
  token:
    realm: $(_reglib_get REG "$name" TOKEN_URL)
    service: registry-$name
    issuer: v2c-test-issuer
    rootcertbundle: $d/token/signer.crt
EOF
    elif [ -s "$d/auth/htpasswd" ]; then
      cat <<EOF
auth:
  htpasswd:
    realm: v2c-test-$name
    path: $d/auth/htpasswd
EOF
    fi
  } >"$d/config.yml"
}

_reglib_launch() { # _reglib_launch NAME PORT: starts serve, waits <= 20 s for /v2/
  local name=$1 port=$2 d=$TMP/registry-$1 pid code i scheme=http curl_tls=()
  _reglib_config "$name" "$port"
  if [ -s "$d/tls/server.crt" ]; then scheme=https; curl_tls=(--cacert "$d/tls/ca.crt"); fi
  echo "=== start $(date +%T) port $port" >>"$d/registry.log"
  local off
  off=$(stat -c %s "$d/registry.log")
  # The registry reads every REGISTRY_* variable as a configuration
  # override: REGISTRY_AUTH_FILE (containers' auth.json, which tests set)
  # would become auth.file and stop it from starting.
  local v unset=()
  for v in $(compgen -e); do
    case $v in REGISTRY_*) unset+=(-u "$v") ;; esac
  done
  env "${unset[@]}" docker-registry serve "$d/config.yml" >>"$d/registry.log" 2>&1 </dev/null &
  pid=$!
  disown "$pid" # no "Killed" notices; bash still reaps it
  _REGLIB_PIDS+=("$pid")
  for i in $(seq 200); do
    if ! _reglib_alive "$pid"; then
      _reglib_kill "$pid"
      return 1
    fi
    # Its own "listening on" line first: the port was free when picked, but
    # another process may have taken it since and answer in its place.
    code=000
    if tail -c +$((off + 1)) "$d/registry.log" | found -F "listening on 127.0.0.1:$port"; then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${curl_tls[@]}" "$scheme://127.0.0.1:$port/v2/" 2>/dev/null) || true
    fi
    case $code in 200 | 401)
      _reglib_var REG "$name" PID "$pid"
      _reglib_var REG "$name" ADDR "127.0.0.1:$port"
      _reglib_var REG "$name" URL "$scheme://127.0.0.1:$port"
      return 0 ;;
    esac
    sleep 0.1
  done
  _reglib_kill "$pid"
  return 2
}

registry_start() { # registry_start NAME [--tls] [--htpasswd USER:PASS] [--token [--expires N] [--token-kid]]
  local name=${1:?registry_start NAME [options]} tls="" cred="" token="" d port try rc f
  shift
  case $name in *[!a-z0-9_]*) _reglib_die "registry name '$name': use [a-z0-9_]"; return 1 ;; esac
  _reglib_expires="" _reglib_kid=""
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls=1 ;;
      --htpasswd) cred=${2:?--htpasswd USER:PASS}; shift ;;
      --token) token=1 ;;
      --expires) _reglib_expires=${2:?--expires N}; shift ;;
      --token-kid) _reglib_kid=1 ;;
      *) _reglib_die "registry_start: unknown option $1"; return 1 ;;
    esac
    shift
  done
  command -v docker-registry >/dev/null || { _reglib_die "docker-registry missing (scripts/setup.sh installs it)"; return 1; }
  _reglib_arm_trap
  [ -z "$(_reglib_get REG "$name" PID)$(_reglib_get REG "$name" TOKEN_PID)" ] || registry_stop "$name"
  d=$TMP/registry-$name
  rm -rf "$d"
  mkdir -p "$d/storage"
  for f in ADDR URL PID CA CERTDIR USER PASS TOKEN_URL TOKEN_PID TOKEN_LOG SERVICE; do _reglib_var REG "$name" "$f" ""; done
  _reglib_var REG "$name" DIR "$d"
  _reglib_var REG "$name" LOG "$d/registry.log"
  if [ -n "$tls" ]; then
    _reglib_certs "$d/tls" || { _reglib_die "openssl: could not make the certificates"; return 1; }
    _reglib_var REG "$name" CA "$d/tls/ca.crt"
    _reglib_var REG "$name" CERTDIR "$d/tls/certs.d"
  fi
  if [ -n "$cred" ]; then
    case $cred in *:*) ;; *) _reglib_die "--htpasswd wants USER:PASS"; return 1 ;; esac
    _reglib_var REG "$name" USER "${cred%%:*}"
    _reglib_var REG "$name" PASS "${cred#*:}"
    # In token mode the issuer checks the password and the registry only
    # the token: distribution takes exactly one auth provider.
    if [ -z "$token" ]; then
      mkdir -p "$d/auth"
      _reglib_htpasswd "$d/auth/htpasswd" "${cred%%:*}" "${cred#*:}" || return 1
    fi
  fi
  if [ -n "$token" ]; then _reglib_start_issuer "$name" || return 1; fi
  # A port picked here can be taken before the registry binds it: try again
  # with another one if the registry dies at start.
  for try in 1 2 3; do
    port=$(_reglib_free_port)
    rc=0
    _reglib_launch "$name" "$port" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    [ "$rc" -eq 1 ] || break
  done
  tail -20 "$d/registry.log" >&2
  _reglib_die "registry $name did not answer on /v2/ within 20 s"
}

registry_kill() { # registry_kill NAME: SIGKILL, nothing else
  local name=$1
  _reglib_kill "$(_reglib_get REG "$name" PID)" KILL
  _reglib_var REG "$name" PID ""
}

registry_restart() { # registry_restart NAME: same port, storage, secret, issuer
  local name=$1 addr
  addr=$(_reglib_get REG "$name" ADDR)
  [ -n "$addr" ] || { _reglib_die "registry_restart: $name was never started"; return 1; }
  registry_kill "$name"
  _reglib_launch "$name" "${addr##*:}" || {
    tail -20 "$(_reglib_get REG "$name" LOG)" >&2
    _reglib_die "registry $name did not come back on ${addr##*:}"
  }
}

registry_stop() { # registry_stop NAME: the registry (SIGTERM) and its token issuer
  local name=$1
  _reglib_kill "$(_reglib_get REG "$name" PID)"
  _reglib_kill "$(_reglib_get REG "$name" TOKEN_PID)"
  _reglib_var REG "$name" PID ""
  _reglib_var REG "$name" TOKEN_PID ""
}

fault_proxy_start() { # fault_proxy_start NAME UPSTREAM_ADDR MODE [PROXY OPTIONS...]
  local name=${1:?fault_proxy_start NAME UPSTREAM_ADDR MODE} up=${2:?UPSTREAM_ADDR} mode=${3:?MODE} d pid
  local listen=127.0.0.1 prev="" o
  shift 3
  for o in "$@"; do
    [ "$prev" != --listen ] || listen=$o
    prev=$o
  done
  case $name in *[!a-z0-9_]*) _reglib_die "proxy name '$name': use [a-z0-9_]"; return 1 ;; esac
  _reglib_arm_trap
  [ -z "$(_reglib_get FAULT "$name" PID)" ] || fault_proxy_stop "$name"
  d=$TMP/fault-$name
  rm -rf "$d"
  mkdir -p "$d"
  printf '%s\n' "$mode" >"$d/mode"
  : >"$d/requests.log"
  "$REGLIB_PYTHON" "$REGLIB_DIR/fault-proxy.py" --upstream "$up" --mode-file "$d/mode" \
    --log "$d/requests.log" --port-file "$d/port" "$@" >"$d/proxy.out" 2>&1 </dev/null &
  pid=$!
  disown "$pid" # no "Killed" notices; bash still reaps it
  _REGLIB_PIDS+=("$pid")
  if ! _reglib_wait_file "$d/port" "$pid" 10; then
    cat "$d/proxy.out" >&2
    _reglib_kill "$pid"
    _reglib_die "fault proxy $name did not start"
    return 1
  fi
  _reglib_var FAULT "$name" PID "$pid"
  _reglib_var FAULT "$name" ADDR "$listen:$(cat "$d/port")"
  _reglib_var FAULT "$name" URL "http://$listen:$(cat "$d/port")"
  _reglib_var FAULT "$name" LOG "$d/requests.log"
}

fault_proxy_mode() { # fault_proxy_mode NAME MODE
  local d=$TMP/fault-$1
  [ -d "$d" ] || { _reglib_die "fault_proxy_mode: no proxy $1"; return 1; }
  _reglib_mode_gen=$((${_reglib_mode_gen:-0} + 1))
  printf '%s\n# %s\n' "$2" "$_reglib_mode_gen" >"$d/mode.new"
  mv "$d/mode.new" "$d/mode"
}

fault_proxy_stop() { # fault_proxy_stop NAME
  _reglib_kill "$(_reglib_get FAULT "$1" PID)"
  _reglib_var FAULT "$1" PID ""
}
