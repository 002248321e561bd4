#!/usr/bin/env bash
# The Debian package: debian/ builds with dpkg-buildpackage -b from a copy
# of the checkout (tests/fixtures/build-deb.sh, cached by content), and the
# .deb installs with apt on a clean Debian 12 root (its dependencies come
# from that root's apt cache: the install runs in an empty network
# namespace) and runs there:
# --version, its man pages and bash completion in place, and an inspection
# of the fixture guest directory that matches the one of the build tree's v2c.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/host-lib.sh"
[ "$(id -u)" -eq 0 ] || skip_test "needs root (chroot, mount namespaces)"
need dpkg-buildpackage dh debootstrap unshare
trap '_hostlib_cleanup; rm -rf "$TMP"' EXIT

deb=$("$V2C_SOURCE_ROOT/tests/fixtures/build-deb.sh") || { not_ok "build-deb.sh built no package"; finish; exit 1; }
ok "dpkg-buildpackage -b built $(basename "$deb")"
check "the package holds /usr/bin/v2c" sh -c "dpkg-deb -c '$deb' | grep ' ./usr/bin/v2c\$' >/dev/null"
check "the package holds the man pages" sh -c "dpkg-deb -c '$deb' | grep ' ./usr/share/man/man1/v2c-convert.1.gz\$' >/dev/null"
check "the package holds the bash completion" \
  sh -c "dpkg-deb -c '$deb' | grep ' ./usr/share/bash-completion/completions/v2c\$' >/dev/null"
check "its Depends come from the libraries v2c links (shlibs)" \
  sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libarchive13' && dpkg-deb -f '$deb' Depends | grep -q libjansson4"
check "libguestfs (dlopen'ed for disk images) is recommended, not required" \
  sh -c "dpkg-deb -f '$deb' Recommends | grep -q libguestfs0 && ! dpkg-deb -f '$deb' Depends | grep -q guestfs"

host_root_build "$deb" || { not_ok "build-host-root.sh built no root"; finish; exit 1; }
ok "a clean Debian 12 root: $HOST_ROOT"
check "the clean root has no v2c" test ! -e "$HOST_ROOT/usr/bin/v2c"

fixture_root
up=$(host_upper deb)
mkdir -p "$up/srv" "$up/tmp"
cp "$deb" "$up/tmp/v2c.deb"
cp -a "$FIXTURES/root" "$up/srv/guest"
host_run deb sh -c 'apt-get install -y -q --no-install-recommends /tmp/v2c.deb && v2c --version &&
  v2c inspect --json /srv/guest >/srv/report.json' >"$TMP/install.log" 2>&1 || true
check_or_show "$TMP/install.log" "apt-get installs the .deb on the clean root with no network" \
  grep -q '^Setting up v2c ' "$TMP/install.log"
check_or_show "$TMP/install.log" "the installed v2c prints its version" \
  grep -qx "v2c $("$V2C_REAL" --version | sed 's/^v2c //')" "$TMP/install.log"
check "v2c was installed into the host's own file system (its overlay), not the cached root" \
  sh -c "test -x '$up/usr/bin/v2c' && test ! -e '$HOST_ROOT/usr/bin/v2c'"
"$V2C_REAL" inspect --json "$FIXTURES/root" >"$TMP/build-tree.json"
sed 's|/srv/guest|'"$FIXTURES/root"'|g' "$up/srv/report.json" >"$TMP/installed.json" 2>/dev/null || true
check_or_show "$TMP/install.log" "the installed v2c inspects the fixture guest as the build tree's does" \
  sh -c "test -s '$up/srv/report.json' && /usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for r in (a, b):
    r.pop(\"source\", None); r.pop(\"source_path\", None)
sys.exit(0 if json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) else 1)
' '$TMP/installed.json' '$TMP/build-tree.json'"
finish
