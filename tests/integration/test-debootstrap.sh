#!/usr/bin/env bash
# Opt-in (V2C_SLOW_TESTS=1): debootstrap a real Debian 12 with nginx,
# postgresql, redis-server and openssh-server, and check the classes and
# ports v2c reports for it.  Needs Debian's mirror; takes ~10 minutes.
if [ "${V2C_SLOW_TESTS:-}" != 1 ]; then
  echo "skipped: set V2C_SLOW_TESTS=1 to run the debootstrap test"
  exit 77
fi
. "$(dirname "$0")/lib.sh"
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
root="$FIXTURES/bookworm"
if [ ! -f "$root/.complete" ]; then
  rm -rf "$root"
  debootstrap --variant=minbase --include=systemd-sysv,nginx,postgresql,redis-server,openssh-server \
    bookworm "$root" "${V2C_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$FIXTURES/debootstrap.log" 2>&1
  touch "$root/.complete"
fi
"$V2C" inspect --json "$root" >"$TMP/r.json"
python3 - "$TMP/r.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
svc = {s["name"]: s for s in rep["services"]}
want = {"nginx": ("stateless", 80), "redis-server": ("stateful", 6379),
        "ssh": ("system", 22), "postgresql@15-main": ("stateful", 5432)}
bad = 0
for name, (k, port) in want.items():
    s = svc.get(name)
    good = s is not None and s["class"] == k and port in [p["port"] for p in s["ports"]]
    print(("ok - " if good else "not ok - ") + "%s is %s on %d (%s)" % (name, k, port,
          s and (s["class"], [p["port"] for p in s["ports"]])))
    bad += not good
extra = [
    ("every service has a class and reasons", all(s["reasons"] for s in rep["services"])),
    ("cron jobs of /etc/cron.d/e2scrub_all are system",
     all(s["class"] == "system" for s in rep["services"] if s["name"].startswith("cron:e2scrub_all"))),
    ("the SSH host keys are secrets used by ssh",
     sum(1 for x in rep["secrets"] if x["kind"] == "ssh-host-key" and "ssh" in x["services"]) >= 2),
    ("no netrc false positive (e.g. /etc/default/useradd)", not any(x["kind"] == "netrc" for x in rep["secrets"])),
    ("the postgresql.service wrapper is replaced by its cluster", "postgresql" not in svc),
]
for desc, good in extra:
    print(("ok - " if good else "not ok - ") + desc)
    bad += not good
sys.exit(1 if bad else 0)
PY
ok "debootstrapped Debian 12 classified"

# The same guest as a real disk image: the libguestfs reader must agree.
disk="$FIXTURES/bookworm.qcow2"
if [ ! -s "$disk" ] || [ "$root/.complete" -nt "$disk" ]; then
  virt-make-fs --format=qcow2 --type=ext4 --partition=mbr --size=+200M "$root" "$disk.tmp"
  mv "$disk.tmp" "$disk"
fi
"$V2C" inspect --json "$disk" | sed 's/"source": "disk"/"source": "directory"/' >"$TMP/disk.json"
if cmp -s "$TMP/r.json" "$TMP/disk.json"; then ok "the disk image of that guest gives the directory's report"
else diff -u "$TMP/r.json" "$TMP/disk.json" | head -40; not_ok "disk and directory reports differ"; fi
finish
