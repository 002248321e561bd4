#!/usr/bin/env bash
# v2c_guest_hint on a real disk: the stats, links and capabilities of the
# services' executables, asked for a directory at a time.  One appliance
# launch to build the disk (tar2disk.sh), one to inspect it.
. "$(dirname "$0")/lib.sh"

# Executables outside the trees fetched in bulk: their stats, links and
# capabilities come a directory at a time (v2c_guest_hint).  A small guest
# whose services run from /usr/sbin: one with a file capability, one
# without, one through a symlink to the first, one whose executable is
# missing.  Its disk must give the directory reader's report.
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
