#!/usr/bin/env bash
# v2c_guest_hint on a real disk: the stats, links and capabilities of the
# services' executables, asked for a directory at a time.  One appliance
# launch to build the disk (tar2disk.sh), one to inspect it.
. "$(dirname "$0")/lib.sh"

# Executables outside the trees fetched in bulk: their stats, links and
# capabilities come a directory at a time (v2c_guest_hint).  A small guest
# whose services run from /usr/sbin: one with a file capability, one
# without, one through a symlink to the first, one whose executable is
# missing, and some named oddly.  Its disk must give the directory
# reader's report.
R=$TMP/capguest
mkdir -p "$R/etc/systemd/system/multi-user.target.wants" "$R/usr/sbin" "$R/root"
printf 'ID=debian\nVERSION_ID=12\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$R/etc/os-release"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
for svc in capd:capd plain:plain linked:capd-link gone:gone; do
  printf '[Service]\nExecStart=/usr/sbin/%s\n[Install]\nWantedBy=multi-user.target\n' "${svc#*:}" \
    >"$R/etc/systemd/system/${svc%%:*}.service"
  ln -s "../${svc%%:*}.service" "$R/etc/systemd/system/multi-user.target.wants/${svc%%:*}.service"
done
printf '#!/bin/sh\nexec sleep 1000\n' >"$R/usr/sbin/capd"
cp "$R/usr/sbin/capd" "$R/usr/sbin/plain"
chmod 755 "$R/usr/sbin/capd" "$R/usr/sbin/plain"
ln -s capd "$R/usr/sbin/capd-link"
# Executables named oddly (slash runs, .., a trailing slash, a name longer
# than a file system takes, a symlink loop, a name outside the root, a
# byte that is not UTF-8, a directory that is a file, one through a linked
# directory): what the directory reader makes of them, the hint too.
mkdir -p "$R/usr/lib"
cp "$R/usr/sbin/capd" "$R/usr/sbin/odd$(printf '\377')"
ln -s loop "$R/loop"
ln -s /usr/sbin "$R/usr/bin2"
n=0
for e in //usr///sbin//plain /usr/lib/../../usr/sbin/plain /usr/sbin/plain/ "/usr/sbin/$(printf 'a%.0s' $(seq 300))" \
         /loop/x /../../usr/sbin/capd "/usr/sbin/odd$(printf '\377')" "/usr/sbin/odd$(printf '\376')" /etc/passwd/x \
         /usr/bin2/capd /usr/sbin/capd/..; do
  n=$((n + 1))
  printf '[Service]\nExecStart=%s\n[Install]\nWantedBy=multi-user.target\n' "$e" >"$R/etc/systemd/system/odd$n.service"
  ln -s "../odd$n.service" "$R/etc/systemd/system/multi-user.target.wants/odd$n.service"
done
if setcap cap_net_bind_service=ep "$R/usr/sbin/capd" 2>"$TMP/setcap.err"; then
  tar --xattrs --xattrs-include='security.*' -C "$R" -cf "$TMP/cap.tar" .
  "$V2C_SOURCE_ROOT/tests/fixtures/tar2disk.sh" "$TMP/cap.tar" "$TMP/cap.qcow2" >"$TMP/tar2disk.log" 2>&1 ||
    cat "$TMP/tar2disk.log"
  "$V2C" inspect --json "$R" >"$TMP/cap-dir.json"
  set +e; "$V2C" inspect "$TMP/cap.qcow2" --json >"$TMP/cap-disk.json" 2>"$TMP/cap.err"; st=$?; set -e
  check "the /usr/sbin guest's disk inspects (exit 0)" test "$st" -eq 0
  check "its disk report: capd has cap_net_bind_service, plain none, linked resolved to capd, gone not found" \
    python3 - "$TMP/cap-disk.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in r["services"]}
assert s["capd"]["exec"]["capabilities"] == ["CAP_NET_BIND_SERVICE"], s["capd"]["exec"]
assert s["plain"]["exec"]["capabilities"] == [], s["plain"]["exec"]
assert s["linked"]["exec"]["path"] in ("/usr/sbin/capd-link", "/usr/sbin/capd") and s["linked"]["exec"]["capabilities"] == ["CAP_NET_BIND_SERVICE"], s["linked"]["exec"]
assert any("gone" in w and "not found" in w for w in r["warnings"]), r["warnings"]
PY
  same_report "the /usr/sbin guest's disk gives the directory reader's report" "$TMP/cap-dir.json" "$TMP/cap-disk.json"
else
  skip_check_or_fail "the /usr/sbin guest with a file capability" "setcap failed: $(head -1 "$TMP/setcap.err")"
fi

finish
