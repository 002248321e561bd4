#!/usr/bin/env bash
# Secrets reached through links, and a report that lists none (issue 11,
# items 2 and 3), on the same hostile guest as a directory, a tar and a
# qcow2.  A secret is a file, not a path: whatever name reaches it (a
# symlink in an app directory, a hardlink under /opt or /usr/share, a
# service's executable, a tar hardlink member), its bytes stay out of every
# layer, and /etc/shadow and /etc/gshadow go in only with their password
# fields blanked.  Convert checks what it packs itself: a report whose
# "secrets" is [] changes nothing.
#   test-hostile-links.sh [dir|tar|disk]...   (default: all three, the disk
#   first: its inspection is the one a planted bug in the disk reader breaks)
. "$(dirname "$0")/lib.sh"
fixture_root
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(disk dir tar)
need zstd python3

H="$TMP/h"
cp -a "$FIXTURES/root" "$H"
unitpw=V2C-PLANTED-unit-password-5d1e7c
hash='$6$v2chostile$PLANTEDSHADOWHASHroot0123456789abcdefghijklmnopqrstuvwxyzABCDEF'
ghash='$6$v2chostile$PLANTEDGSHADOWHASHadm0123456789abcdefghijklmnopqrstuvwxyzABCDE'
sed -i "s|^root:[^:]*:|root:$hash:|" "$H/etc/shadow"
sed -i "s|^adm:[^:]*:|adm:$ghash:|" "$H/etc/gshadow"
grep -qF "$hash" "$H/etc/shadow" && grep -qF "$ghash" "$H/etc/gshadow" || { echo "cannot plant the shadow hashes"; exit 1; }
# The values no layer may hold.
awk -F'\t' '$1 == "keyline" || $1 == "value" { print $3 }' "$FIXTURES/secret-values.txt" >"$TMP/secrets"
printf '%s\n' "$hash" "$ghash" >>"$TMP/secrets"
# Convert's own rules cannot see the unit's password: only a report that
# names the unit keeps its other names out (see the "full" runs).
cp "$TMP/secrets" "$TMP/secrets-empty"
echo "$unitpw" >>"$TMP/secrets"

# 1. A symlink to /etc/shadow in an app directory.
ln -s /etc/shadow "$H/opt/webapp/shadow-link"
ln -s ../../etc/gshadow "$H/opt/webapp/gshadow-link"
# 2. A hardlink of /root/.ssh/id_rsa under /opt, with a harmless name.
ln "$H/root/.ssh/id_rsa" "$H/opt/webapp/static-data.bin"
# 3. Services whose executable is a link to a secret: a hardlink of the TLS
#    key, a symlink to the AWS credentials.
ln "$H/etc/ssl/private/web01.key" "$H/usr/local/bin/keytool"
ln -s /root/.aws/credentials "$H/usr/local/bin/awstool"
for s in keytool awstool; do
  printf '[Service]\nExecStart=/usr/local/bin/%s --serve\n[Install]\nWantedBy=multi-user.target\n' "$s" \
    >"$H/etc/systemd/system/$s.service"
  ln -s "/etc/systemd/system/$s.service" "$H/etc/systemd/system/multi-user.target.wants/$s.service"
done
# A secret only the report knows: a unit holding a password in its
# Environment= (inspect reports the unit file; no content rule would see a
# secret in it), hardlinked into the app directory.
printf '[Service]\nEnvironment="DB_PASSWORD=%s"\nExecStart=/usr/bin/python3 /opt/webapp/worker.py\n[Install]\nWantedBy=multi-user.target\n' \
  "$unitpw" >"$H/etc/systemd/system/dbjob.service"
ln -s /etc/systemd/system/dbjob.service "$H/etc/systemd/system/multi-user.target.wants/dbjob.service"
ln "$H/etc/systemd/system/dbjob.service" "$H/opt/webapp/dbjob.ini"
# 6. A top-level directory named "*": as a tar --exclude pattern it would
#    match every tree inspect fetches (the disk backend then fetches tree
#    by tree instead of in one tar-out of /).
mkdir -p "$H/*"
echo 'not a pattern' >"$H/*/file"
# 5. --system: hardlinks in /usr/share to private keys, cloud credentials
#    and the shadow file.
mkdir -p "$H/usr/share/hostile"
ln "$H/root/.ssh/id_rsa" "$H/usr/share/hostile/id"
ln "$H/etc/ssh/ssh_host_ed25519_key" "$H/usr/share/hostile/hostkey"
ln "$H/root/.aws/credentials" "$H/usr/share/hostile/aws"
ln "$H/opt/webapp/service-account.json" "$H/usr/share/hostile/gcp.json"
ln "$H/etc/shadow" "$H/usr/share/hostile/sh"
ln "$H/etc/gshadow" "$H/usr/share/hostile/gsh"

# 4. The tar: /root and /etc come first, so the names elsewhere (/opt,
#    /usr/share, /usr/local/bin) are hardlink members pointing at a secret.
python3 - "$H" "$TMP/h.tar" <<'EOF'
import os, sys, tarfile
root, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    first = ["root", "etc"]
    for name in first + sorted(n for n in os.listdir(root) if n not in first):
        t.add(os.path.join(root, name), arcname=name)
EOF
python3 - "$TMP/h.tar" <<'EOF' || { echo "the tar lacks its hardlink members"; exit 1; }
import sys, tarfile
links = {m.name: m.linkname for m in tarfile.open(sys.argv[1]) if m.islnk()}
assert links.get("opt/webapp/static-data.bin") == "root/.ssh/id_rsa", links
assert links.get("usr/share/hostile/sh") == "etc/shadow", links
EOF

# leaks LAYOUT [LIST]: the planted values (of LIST, default $TMP/secrets) found in a layer (decompressed) or in a
# file beside the blobs (env templates, manifests); prints where.
leaks() {
  local f found=1
  for f in "$1"/blobs/sha256/*; do
    case $(od -An -tx1 -N4 "$f" | tr -d ' ') in
    28b52ffd) zstd -dcq "$f" ;;
    *) cat "$f" ;;
    esac | grep -aoF -f "${2:-$TMP/secrets}" | sort -u | sed "s|^|${f##*/}: |" | grep . && found=0
  done
  find "$1" -path "$1/blobs" -prune -o -type f -print0 | xargs -0r grep -laF -f "${2:-$TMP/secrets}" && found=0
  return $found
}
no_leak() { # no_leak LAYOUT [LIST]
  [ -f "$1/index.json" ] || { echo "no layout in $1"; return 1; }
  if leaks "$1" "${2:-}" >"$TMP/leaks"; then head -20 "$TMP/leaks"; return 1; fi
}
# The files of image REF of LAYOUT, unpacked into DIR (layers in order).
unpack() { # unpack LAYOUT REF DIR
  rm -rf "$3"; mkdir -p "$3"
  local l
  [ -f "$1/index.json" ] || return 0
  for l in $(layers_of "$1" "$2"); do zstd -dcq "$1/blobs/sha256/${l#sha256:}" | tar -x -C "$3" 2>/dev/null || true; done
}
absent() { test -d "$TMP/u/usr" && test ! -e "$TMP/u/$1" && test ! -L "$TMP/u/$1"; } # in an unpacked image
convert() { # convert NAME SOURCE ARGS...: exit status; log in $TMP/NAME.err
  local name=$1 src=$2; shift 2
  timeout 600 "$V2C" convert -o "$TMP/$name" "$@" "$src" >"$TMP/$name.out" 2>"$TMP/$name.err"
}

# The guest's report (the three forms hold one guest: one inspection, of
# the directory, saves two appliance launches), and a copy listing no
# secret.
timeout 600 "$V2C" inspect --json "$H" >"$TMP/report.json" 2>"$TMP/inspect.err" || { cat "$TMP/inspect.err"; exit 1; }
python3 - "$TMP/report.json" "$TMP/report-empty.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert any(s["path"] == "/etc/systemd/system/dbjob.service" for s in r["secrets"]), "dbjob's unit is not a secret"
r["secrets"] = []
json.dump(r, open(sys.argv[2], "w"))
EOF

for kind in "${kinds[@]}"; do
  case $kind in
  dir) src="$H" ;;
  tar) src="$TMP/h.tar" ;;
  disk)
    if ! command -v guestfish >/dev/null; then
      skip_check_or_fail "disk: secrets through links" "guestfish is missing (scripts/setup.sh installs libguestfs-tools)"
      continue
    fi
    "$V2C_SOURCE_ROOT/tests/fixtures/tar2disk.sh" "$TMP/h.tar" "$TMP/h.qcow2" >"$TMP/tar2disk.log" 2>&1 ||
      { cat "$TMP/tar2disk.log"; not_ok "disk: the hostile qcow2 is built"; continue; }
    src="$TMP/h.qcow2" ;;
  esac

  # The whole system, inspected by convert itself (the services below use
  # the report): first.
  name=$kind-system
  check "$kind: the system image converts" convert "$name" "$src" --system -s webapp
  check "$kind: system: no secret value and no shadow hash in any layer" no_leak "$TMP/$name"
  unpack "$TMP/$name" webapp "$TMP/u"
  check "$kind: system: /usr/share/hostile/id (a hardlink of id_rsa) is left out" absent usr/share/hostile/id
  check "$kind: system: ... and so are the host key, AWS and GCP hardlinks" \
    sh -c "test -d '$TMP/u/usr/share/hostile' && ! ls '$TMP/u/usr/share/hostile/hostkey' '$TMP/u/usr/share/hostile/aws' '$TMP/u/usr/share/hostile/gcp.json' 2>/dev/null | grep -q ."
  check "$kind: system: the hardlink of /etc/shadow holds the cleaned shadow (root:*:)" \
    grep -q '^root:\*:' "$TMP/u/usr/share/hostile/sh"
  check "$kind: system: /etc/shadow is cleaned too" grep -q '^root:\*:' "$TMP/u/etc/shadow"
  check "$kind: system: the hardlink of /etc/gshadow is cleaned (adm:*:)" grep -q '^adm:\*:' "$TMP/u/usr/share/hostile/gsh"
  check "$kind: system: the log names the hardlinks left out" grep -q 'usr/share/hostile/aws' "$TMP/$name.err"

  # Services: the app directory, the executables.  The guest's report,
  # then the same report with "secrets": [] (edited, or stale).
  for rep in full empty; do
    name=$kind-svc-$rep
    file="$TMP/report.json"; [ $rep = full ] || file="$TMP/report-empty.json"
    check "$kind, report $rep: webapp, nginx, keytool and awstool convert" \
      convert "$name" "$src" --report "$file" --allow-stateful -s webapp -s nginx -s keytool -s awstool
    list="$TMP/secrets"; [ $rep = full ] || list="$TMP/secrets-empty"
    check "$kind, report $rep: no secret value and no shadow hash in any layer" no_leak "$TMP/$name" "$list"
    unpack "$TMP/$name" webapp "$TMP/u"
    check "$kind, report $rep: the symlink in the app directory is kept, as a symlink" \
      test "$(readlink "$TMP/u/opt/webapp/shadow-link")" = /etc/shadow
    check "$kind, report $rep: the hardlink of /root/.ssh/id_rsa under /opt is left out" \
      absent opt/webapp/static-data.bin
    [ $rep = empty ] || check "$kind, report $rep: the hardlink of a unit holding a password is left out" \
      absent opt/webapp/dbjob.ini
    check "$kind, report $rep: the GCP service-account key is left out" absent opt/webapp/service-account.json
    check "$kind, report $rep: the app itself is there" test -s "$TMP/u/opt/webapp/app.py"
    check "$kind, report $rep: the convert log names the hardlink left out" \
      grep -q 'opt/webapp/static-data.bin' "$TMP/$name.err"
    check "$kind, report $rep: v2c metadata names it too" grep -rqs 'opt/webapp/static-data.bin' "$TMP/$name/v2c"
    unpack "$TMP/$name" nginx "$TMP/u"
    check "$kind, report $rep: nginx's .htpasswd is left out" absent etc/nginx/.htpasswd
    unpack "$TMP/$name" keytool "$TMP/u"
    check "$kind, report $rep: keytool, a hardlink of the TLS key, is left out" absent usr/local/bin/keytool
  done
done
finish
