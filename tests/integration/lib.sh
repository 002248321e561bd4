# Shared by the integration tests: fixture building (serialised with a lock,
# cached in the build directory), assertions, and TAP-like output.
set -euo pipefail
: "${V2C:?V2C must name the v2c binary}"
: "${V2C_SOURCE_ROOT:?}" "${V2C_BUILD_ROOT:?}"
export LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}"
FIXTURES="$V2C_BUILD_ROOT/fixtures"
EXPECTED="$V2C_SOURCE_ROOT/tests/expected"
mkdir -p "$FIXTURES"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

failures=0
checks=0
skipped=0
ok() { checks=$((checks + 1)); echo "ok - $*"; }
# V2C_FAIL_FAST=1 (tests/mutants/run.sh sets it) ends the test at its first
# failed check: a planted bug is caught as soon as one check sees it.
not_ok() {
  checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $*"
  if [ "${V2C_FAIL_FAST:-}" = 1 ]; then echo "# V2C_FAIL_FAST: stopped at the first failed check"; exit 1; fi
}
# check always returns 0 (the scripts run under set -e and go on after a
# failed check): a diagnostic after it belongs in check_or_show.
check() { # check DESCRIPTION COMMAND...
  local d=$1; shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# PRODUCER | found GREP-ARGS...: whether grep finds them in its input, read
# to the end.  Under pipefail, `PRODUCER | grep -q` reads a match as none
# when grep exits at it and the producer then dies of SIGPIPE (a large
# decompressed layer, a long log): a leak check built so could never fail.
# A report minus what legitimately differs between two runs of one guest:
# where it was read from.
strip_source() { # strip_source REPORT.json: the report without its source fields, on stdout
  python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))
for k in [k for k in r if k.startswith("source")]:
    del r[k]
print(json.dumps(r, indent=1, sort_keys=True))' "$1"
}
same_report() { # same_report DESCRIPTION A.json B.json: the same guest report, wherever read from
  if [ -f "$2" ] && [ -f "$3" ] && cmp -s <(strip_source "$2") <(strip_source "$3"); then ok "$1"
  else diff -u <(strip_source "$2" 2>&1) <(strip_source "$3" 2>&1) | head -40; not_ok "$1"; fi
}
found() { local n; n=$(grep -c "$@") || true; [ "${n:-0}" -gt 0 ]; }
check_or_show() { # check_or_show LOG DESCRIPTION COMMAND...: LOG printed when it fails
  local log=$1 d=$2; shift 2
  if "$@"; then ok "$d"; else not_ok "$d"; sed 's/^/#   /' "$log" 2>/dev/null || echo "#   ($log is missing)"; fi
}
finish() {
  echo "$checks checks, $failures failed, $skipped skipped"
  [ "$failures" -eq 0 ]
}

# Skips say why, on one line.  scripts/setup.sh installs every tool the
# tests use, so in CI (CI=true) the lack of one is a failure, not a skip:
# a broken setup must not read as a green run.
in_ci() { [ "${CI:-}" = true ]; }
skip_test() { # skip_test REASON: the whole test cannot run here (exit 77)
  echo "skip: $*"
  exit 77
}
skip_or_fail() { # skip_or_fail REASON: as skip_test, but a failure (exit 1) in CI
  if in_ci; then echo "FAIL (CI=true, scripts/setup.sh provides this): $*"; exit 1; fi
  skip_test "$*"
}
need() { # need COMMAND...: each must be installed (scripts/setup.sh does)
  local c
  for c; do
    command -v "$c" >/dev/null || skip_or_fail "$c is missing (scripts/setup.sh installs it)"
  done
}
skip_check() { # skip_check DESCRIPTION REASON: one check that cannot run here
  skipped=$((skipped + 1))
  echo "ok - $1 # SKIP $2"
}
skip_check_or_fail() { # skip_check_or_fail DESCRIPTION REASON: a failed check in CI
  if in_ci; then not_ok "$1 (CI=true: $2)"; else skip_check "$1" "$2"; fi
}

fixture_root() { # builds $FIXTURES/root, root.tar and secret-values.txt
  # Built once, then again only when the fixture's sources change: tests
  # run in parallel and read the tree while others start.
  local src="$V2C_SOURCE_ROOT/tests/fixtures" stamp="$FIXTURES/.root-stamp"
  (
    flock 9
    if [ ! -f "$stamp" ] || [ -n "$(find "$src/debian" "$src/build-root.sh" "$src/src" -newer "$stamp" -print -quit)" ]; then
      "$src/build-root.sh" "$src/debian" "$FIXTURES"
      touch "$stamp"
    fi
  ) 9>"$FIXTURES/.lock"
}

fixture_disks() { # builds the qcow2 fixtures (cached)
  fixture_root
  (
    flock 9
    "$V2C_SOURCE_ROOT/tests/fixtures/build-disks.sh" "$FIXTURES"
  ) 9>"$FIXTURES/.lock"
}

# A copy of the guest root SRC at DEST as another VM of one template: the
# same files (a copy: hard links to SRC would give every file a second
# name, which convert's secret screening treats apart) but those that name
# or identify the machine, which are its own: /etc/hostname, /etc/hosts (its name on 127.0.1.1), /etc/machine-id
# and dbus's copy, /etc/resolv.conf, systemd's random seed, and ssl-cert's
# snakeoil certificate made for its name, with its hash link (named after
# the certificate's subject: another name on each VM).
fleet_guest() { # fleet_guest SRC DEST HOSTNAME
  local d=$2 h=$3 f
  cp -a "$1" "$d"
  for f in etc/hostname etc/hosts etc/machine-id etc/resolv.conf var/lib/dbus/machine-id \
           var/lib/systemd/random-seed etc/ssl/certs/ssl-cert-snakeoil.pem; do
    rm -f "$d/$f"
  done
  mkdir -p "$d/var/lib/dbus" "$d/var/lib/systemd" "$d/etc/ssl/certs"
  echo "$h" >"$d/etc/hostname"
  local n=$(( $(printf %s "$h" | cksum | cut -d' ' -f1) % 250 + 2 ))
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s.example.internal\t%s\n10.20.0.%d\t%s.example.internal %s # its own address\n10.20.0.15\tdb.internal\n10.20.0.16 admin=root password=hunter2 (no entry)\n\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n' \
    "$h" "$h" "$n" "$h" "$h" >"$d/etc/hosts"
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$d/etc/machine-id"
  echo >>"$d/etc/machine-id"
  cp "$d/etc/machine-id" "$d/var/lib/dbus/machine-id"
  printf 'nameserver 10.20.%d.2\nsearch %s.example.internal\n' "$n" "$h" >"$d/etc/resolv.conf"
  head -c 512 /dev/urandom >"$d/var/lib/systemd/random-seed"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj "/CN=$h" \
    -days 3650 -out "$d/etc/ssl/certs/ssl-cert-snakeoil.pem" 2>/dev/null
  ln -sfn ssl-cert-snakeoil.pem "$d/etc/ssl/certs/$(openssl x509 -hash -noout -in "$d/etc/ssl/certs/ssl-cert-snakeoil.pem").0"
}

# The layer digests of image REF of an OCI layout, in order.
layers_of() { # layers_of LAYOUT REF
  python3 -c 'import json,sys
d=sys.argv[1]
for m in json.load(open(d+"/index.json"))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == sys.argv[2]:
        [print(l["digest"]) for l in json.load(open(d+"/blobs/sha256/"+m["digest"][7:]))["layers"]]' "$1" "$2"
}

# The one validator of inspect reports (validate-report.py): the JSON
# Schema, v2c's own rules (sort orders, guest paths, references), and with
# --expect NAME what that fixture guest holds.  Its lines are indented under
# the check that runs it.
validate_report() { # validate_report REPORT.json [--expect NAME] [--secret-values FILE] [--text FILE]
  local r=$1; shift
  python3 "$V2C_SOURCE_ROOT/tests/integration/validate-report.py" "$@" "$r" | sed 's/^/#   /'
}

# The one validator of --json results (validate-result.py): pure JSON on
# stdout, docs/KIND-result.schema.json, keys in the schema's order, and
# each "DESCRIPTION::PYTHON-EXPRESSION" of doc true; its lines are indented
# under the check that runs it.
validate_result() { # validate_result KIND STDOUT_FILE [DESCRIPTION::EXPRESSION...]
  python3 "$V2C_SOURCE_ROOT/tests/integration/validate-result.py" "$@" | sed 's/^/#   /'
}

# Compares a report with its expected file; V2C_REGEN=1 rewrites the file.
compare_expected() { # compare_expected ACTUAL NAME
  local actual=$1 name=$2
  if [ "${V2C_REGEN:-}" = 1 ]; then
    cp "$actual" "$EXPECTED/$name"
    ok "regenerated $name"
    return
  fi
  if diff -u "$EXPECTED/$name" "$actual" >"$TMP/diff"; then
    ok "report matches tests/expected/$name"
  else
    head -60 "$TMP/diff"
    not_ok "report differs from tests/expected/$name (V2C_REGEN=1 regenerates)"
  fi
}

# podman as ../shared/notes/ENVIRONMENT.md says (runc, cgroupfs, events to
# a file, lowered ulimits): a containers.conf in $TMP, exported.  With a
# registry address, a registries.conf that marks it insecure too (podman's
# compat pull has no TLS switch).
podman_env() { # podman_env [INSECURE-REGISTRY]
  cat >"$TMP/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  export CONTAINERS_CONF="$TMP/containers.conf"
  [ -n "${1:-}" ] || return 0
  cat >"$TMP/registries.conf" <<EOF
unqualified-search-registries = []
[[registry]]
location = "$1"
insecure = true
EOF
  export CONTAINERS_REGISTRIES_CONF="$TMP/registries.conf"
}

# podman_service SOCK: podman's Docker-compatible API on the unix socket
# SOCK, in the background (its pid in svc_pid, for the caller's cleanup;
# its log in $TMP/service.log); returns 0 once it answers _ping, 1 if it
# died or did not answer within 20 s.
podman_service() {
  podman system service --time=0 "unix://$1" >"$TMP/service.log" 2>&1 </dev/null &
  svc_pid=$!
  local _
  for _ in $(seq 100); do
    [ -S "$1" ] && curl -s -m 2 --unix-socket "$1" http://d/v1.40/_ping 2>/dev/null | grep -q OK && return 0
    kill -0 "$svc_pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
