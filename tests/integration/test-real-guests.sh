#!/usr/bin/env bash
# test-real-guests.sh SUITE [--disk]
#
# A realistic Debian guest (SUITE: bookworm or trixie), debootstrapped from
# Debian's archive by tests/fixtures/build-guest.sh and cached outside the
# checkout, taken through v2c as a new user would (LANG=C):
#   - `v2c inspect --json`: every service's class and sorted ports match
#     tests/expected/real-SUITE.txt (V2C_REGEN=1 rewrites it), plus the
#     secrets and rules a real guest exercises;
#   - `v2c convert --all-stateless --verify`: every stateless long-running
#     service is converted, and its image answers on its ports under podman;
#   - every stateful service is refused (exit 4) with its reasons;
#   - no planted secret value (passwords, private keys' base64 lines) in any
#     blob of any layout, nor in the files beside them;
#   - converting twice gives the same digests;
#   - with --disk, only this: the guest as a qcow2 gives the directory's
#     report (libguestfs; a test of its own so that it need not run in
#     parallel with other appliances).
. "$(dirname "$0")/lib.sh"

suite=${1:-}
with_disk=0
[ "${2:-}" != --disk ] || with_disk=1
case $suite in bookworm|trixie) ;; *) echo "usage: test-real-guests.sh SUITE [--disk]" >&2; exit 2 ;; esac
# Not a skip: CI must build these guests (scripts/setup.sh installs debootstrap).
for tool in debootstrap podman zstd; do
  command -v "$tool" >/dev/null || { echo "$tool missing (scripts/setup.sh installs it)"; exit 1; }
done
export LANG=C
unset LC_ALL LC_CTYPE LANGUAGE

# --verify removes its containers and images itself, whatever happened.
podman_env

t0=$(date +%s)
lap() { echo "$(( $(date +%s) - t0 ))"; }
root=$("$V2C_SOURCE_ROOT/tests/fixtures/build-guest.sh" "$suite") || { not_ok "build the $suite guest"; finish; exit 1; }
secrets="$(dirname "$root")/secrets.txt"
ok "$suite guest at $root [$(lap)s]"
grep -v '^$' "$secrets" >"$TMP/secrets" || true
check "the guest's planted secret values are known ($(wc -l <"$TMP/secrets"))" test "$(wc -l <"$TMP/secrets")" -ge 10

# --- inspect ---------------------------------------------------------------
# Options before the source here, so that the rest runs while defect 1 is
# open; the user's order is checked on its own just below.
"$V2C" inspect --json "$root" >"$TMP/r.json" 2>"$TMP/r.err" || { cat "$TMP/r.err"; not_ok "inspect"; finish; exit 1; }
ok "inspect [$(lap)s]"

# --- the same guest as a qcow2 ---------------------------------------------------
if [ $with_disk = 1 ]; then
  disk=$("$V2C_SOURCE_ROOT/tests/fixtures/build-guest.sh" --disk "$suite") || not_ok "build the $suite qcow2"
  ok "qcow2 at $disk [$(lap)s]"
  if "$V2C" inspect --json "$disk" >"$TMP/d.json" 2>"$TMP/d.err"; then ok "inspect of the qcow2 [$(lap)s]"
  else head -5 "$TMP/d.err"; not_ok "inspect of the qcow2"; fi
  python3 - "$TMP/r.json" "$TMP/d.json" >"$TMP/d.diff" <<'PY' && ok "the qcow2 gives the directory's report (only source differs)" \
    || { head -40 "$TMP/d.diff"; not_ok "the qcow2's report differs from the directory's"; }
import difflib, json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
if a.get("source") == b.get("source"):
    print("the source should differ: %r" % a.get("source")); sys.exit(1)
a.pop("source"); b.pop("source")
if a != b:
    sys.stdout.writelines(difflib.unified_diff(json.dumps(a, indent=1).splitlines(True),
                                               json.dumps(b, indent=1).splitlines(True), "directory", "qcow2"))
    sys.exit(1)
PY
  echo "# $suite qcow2: $(lap)s in all"
  finish
  exit
fi
if "$V2C" inspect "$root" --json >"$TMP/r2.json" 2>"$TMP/r2.err" && cmp -s "$TMP/r.json" "$TMP/r2.json"; then
  ok "inspect ROOT --json (options after the source) gives the same report"
else
  head -3 "$TMP/r2.err"; not_ok "inspect ROOT --json (options after the source) gives the same report"
fi

# The summary: one line per service, "NAME CLASS PORTS" (ports sorted,
# PORT/PROTO), by name.  Package versions change in the archive; classes and
# ports must not.  (test-expected-reports.sh compares it too, with every
# other fixture guest's report.)
check "the report is valid" validate_report "$TMP/r.json"
python3 "$V2C_SOURCE_ROOT/tests/integration/expected-report.py" summary "$TMP/r.json" >"$TMP/summary"
compare_expected "$TMP/summary" "real-$suite.txt"

python3 - "$TMP/r.json" "$root" >"$TMP/inspect.tap" <<'PY' || true
import json, os, sys
rep = json.load(open(sys.argv[1]))
root = sys.argv[2]
svc = {s["name"]: s for s in rep["services"]}
sec = rep["secrets"]
def secret(path, service=None):
    return any(x["path"] == path and (service is None or service in x.get("services", [])) for x in sec)
checks = [
    ("every service has a class and reasons", all(s["class"] and s["reasons"] for s in rep["services"])),
    ("the cron jobs of /etc/cron.d/e2scrub_all are system",
     all(s["class"] == "system" for s in rep["services"] if s["name"].startswith("cron:e2scrub_all"))),
    ("the SSH host keys are secrets used by ssh",
     sum(1 for x in sec if x["kind"] == "ssh-host-key" and "ssh" in x.get("services", [])) >= 2),
    ("no netrc false positive (e.g. /etc/default/useradd)", not any(x["kind"] == "netrc" for x in sec)),
    ("no PAM 'password' line taken for a password (/etc/pam.d/*)",
     not any(x["path"].startswith("/etc/pam.d/") for x in sec)),
    ("the postgresql.service wrapper is replaced by its cluster", "postgresql" not in svc),
    ("nginx's TLS key is a secret of nginx", secret("/etc/ssl/private/shop.example.com.key", "nginx")),
    ("shopapi's EnvironmentFile (DB_PASSWORD) is a secret of shopapi", secret("/etc/shopapi/shopapi.env", "shopapi")),
    ("redis.conf's requirepass is a secret of redis-server", secret("/etc/redis/redis.conf", "redis-server")),
    ("shopapi runs as its own user with its EnvironmentFile",
     svc.get("shopapi", {}).get("user") == "shopapi"
     and "/etc/shopapi/shopapi.env" in [e if isinstance(e, str) else e.get("path") for e in svc.get("shopapi", {}).get("environment_files", [])]),
    ("catalog (Node.js) runs as its own user", svc.get("catalog", {}).get("user") == "catalog"),
]
for desc, good in checks:
    print(("ok - " if good else "not ok - ") + desc)
PY
while IFS= read -r line; do
  case $line in
  "ok - "*) ok "${line#ok - }" ;;
  *) not_ok "${line#not ok - }" ;;
  esac
done <"$TMP/inspect.tap"

# The services by class, as the expected summary says (not as this report
# says: a stateful service that inspect calls stateless must be refused all
# the same), long-running ones only: timers, cron jobs and oneshot units are
# not images.  A service missing from this report counts as long-running.
python3 - "$TMP/r.json" "$EXPECTED/real-$suite.txt" "$TMP" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
svc = {s["name"]: s for s in rep["services"]}
out = sys.argv[3]
lists = {"stateless": [], "stateful": []}
for line in open(sys.argv[2]):
    name, klass, ports = line.split()
    s = svc.get(name)
    if s is not None and (s["kind"] not in ("systemd", "sysv", "openrc") or s.get("type") == "oneshot"):
        continue
    if klass in lists:
        reason = s["reasons"][0] if s is not None and s["reasons"] else ""
        lists[klass].append("%s\t%s\t%s\n" % (name, ports, reason))
for klass, lines in lists.items():
    with open("%s/%s.list" % (out, klass), "w") as f:
        f.writelines(lines)
PY
check "the guest has stateless services ($(cut -f1 "$TMP/stateless.list" | xargs))" test -s "$TMP/stateless.list"
check "the guest has stateful services ($(cut -f1 "$TMP/stateful.list" | xargs))" test -s "$TMP/stateful.list"

# --- convert: every stateless service, verified --------------------------------
# Options before the source while defect 1 is open (see above).
set +e
"$V2C" convert --all-stateless --verify --report "$TMP/r.json" -o "$TMP/a" "$root" >"$TMP/a.out" 2>"$TMP/a.err"; st=$?
set -e
if [ $st -eq 0 ]; then ok "convert --all-stateless --verify (exit 0) [$(lap)s]"
else head -c 2000 "$TMP/a.err"; echo; not_ok "convert --all-stateless --verify: exit $st, not 0 [$(lap)s]"; fi
while IFS=$'\t' read -r name ports _; do
  check "$name converted" grep -qE "^$name	sha256:[0-9a-f]{64}\$" "$TMP/a.out"
  # Services of one pod are verified together: "verified NAME pod POD".
  check "$name answers on its ports ($ports) under podman" grep -qE "^verified	$name(	pod [^	]+)?\$" "$TMP/a.out"
done <"$TMP/stateless.list"
# The report's secret list did the work: convert's own second check
# (collect.c) finds what a stale or edited report misses, and says so.
check "the report's secrets stayed out by its list: convert's own check had none to find" \
  sh -c "! grep -q \"found by convert's own check\" '$TMP/a.err'"
check "--all-stateless converted the stateless services and nothing else" \
  test "$(grep -E '	sha256:' "$TMP/a.out" | cut -f1 | sort | xargs)" = "$(cut -f1 "$TMP/stateless.list" | sort | xargs)"

# --- stateful services: refused, with their reasons -------------------------
while IFS=$'\t' read -r name _ reason; do
  set +e
  "$V2C" convert -s "$name" --report "$TMP/r.json" -o "$TMP/s-$name" "$root" >/dev/null 2>"$TMP/s.err"; st=$?
  set -e
  check "$name (stateful) is refused: exit 4 ($st), saying why and how" \
    sh -c "test $st -eq 4 && grep -qF -- \"\$1\" '$TMP/s.err' && grep -q -- '--allow-stateful' '$TMP/s.err' && test ! -e '$TMP/s-$name'" \
    sh "$reason"
done <"$TMP/stateful.list"

# --- converted twice: the same digests ----------------------------------------
set +e
"$V2C" convert --all-stateless --report "$TMP/r.json" -o "$TMP/b" "$root" >"$TMP/b.out" 2>"$TMP/b.err"; st=$?
set -e
check "converted twice: the same images, the same digests" \
  bash -c "test $st -eq 0 && test -s '$TMP/b.out' && diff <(grep sha256: '$TMP/a.out' | sort) <(sort '$TMP/b.out')" \
  || head -c 1000 "$TMP/b.err"
check "... and the same index.json" cmp -s "$TMP/a/index.json" "$TMP/b/index.json"

# --- no secret byte in any blob of any layout ----------------------------------
# leaks LAYOUT: every blob (layers decompressed) and every file beside them
# (env templates, manifests, SBOM, lock) searched for every planted value.
leaks() {
  local f magic n=0
  for f in "$1"/blobs/sha256/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    magic=$(od -An -tx1 -N4 "$f" | tr -d ' ')
    case $magic in
    28b52ffd) zstd -dcq "$f" ;;
    1f8b*) gzip -dc "$f" ;;
    *) cat "$f" ;;
    esac | found -aF -f "$TMP/secrets" && { echo "secret value in $f"; return 0; }
  done
  [ "$n" -gt 0 ] || { echo "no blob in $1"; return 0; }
  find "$1" -path "$1/blobs" -prune -o -type f -print0 | xargs -0r grep -laF -f "$TMP/secrets" && return 0
  return 1
}
for l in a b; do
  if [ -d "$TMP/$l/blobs" ]; then
    if leaks "$TMP/$l" >"$TMP/leaks"; then cat "$TMP/leaks"; not_ok "no planted secret value in any blob of layout $l, nor beside them"
    else ok "no planted secret value in any blob of layout $l, nor beside them"; fi
  else
    not_ok "layout $l was written"
  fi
done

echo "# $suite: $(lap)s in all"
finish
