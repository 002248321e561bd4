#!/usr/bin/env bash
# v2c inspect through libguestfs on real qcow2 disks: one with a single
# file system, one with / and /var on separate LVM volumes, and one guest
# on two disks (/ on the first, /var on the second, found by its UUID).
# The reports must equal the directory reader's, and the disks must not
# change.
. "$(dirname "$0")/lib.sh"
fixture_disks

"$V2C" inspect --json "$FIXTURES/root" >"$TMP/dir.json"
for disk in debian.qcow2 debian-lvm.qcow2; do
  before=$(sha256sum "$FIXTURES/$disk" | cut -d' ' -f1)
  holder=""
  if [ "$disk" = debian.qcow2 ]; then
    # Another reader holds the image and forbids writers (qemu-io -r takes
    # qemu's image lock, as a VM would): v2c asks only to read, so it
    # reads it all the same; an open for writing fails on that lock.
    mkfifo "$TMP/hold"
    # First the image free: the appliance that has just built it may still
    # be closing it (a write lock), and the holder would fail to open it.
    for _ in $(seq 100); do
      qemu-io -f qcow2 -c quit "$FIXTURES/$disk" >/dev/null 2>&1 && break
      sleep 0.1
    done
    qemu-io -r -f qcow2 "$FIXTURES/$disk" <"$TMP/hold" >"$TMP/hold.out" 2>&1 &
    holder=$!
    exec 8>"$TMP/hold"
    for _ in $(seq 100); do
      qemu-io -f qcow2 -c quit "$FIXTURES/$disk" >/dev/null 2>&1 || break
      sleep 0.1
    done
  fi
  start=$(date +%s.%N)
  set +e; "$V2C" inspect --json -o "$TMP/$disk.json" "$FIXTURES/$disk" 2>"$TMP/err"; st=$?; set -e
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  if [ -n "$holder" ]; then
    held=0
    kill -0 "$holder" 2>/dev/null && ! qemu-io -f qcow2 -c quit "$FIXTURES/$disk" >/dev/null 2>&1 && held=1
    exec 8>&-
    wait "$holder" || true
    check "$disk read while another reader holds it and forbids writers (v2c opens it read-only)" \
      sh -c "test $held -eq 1 && test $st -eq 0"
    [ $held -eq 1 ] || sed 's/^/#   holder: /' "$TMP/hold.out"
  fi
  check "inspect $disk exits 0 (${secs}s)" test "$st" -eq 0
  [ "$st" -eq 0 ] || cat "$TMP/err"
  after=$(sha256sum "$FIXTURES/$disk" | cut -d' ' -f1)
  check "$disk is unchanged (sha256 before = after)" test "$before" = "$after"
  sed 's/"source": "disk"/"source": "directory"/' "$TMP/$disk.json" >"$TMP/$disk.as-dir.json"
  if cmp -s "$TMP/dir.json" "$TMP/$disk.as-dir.json"; then ok "$disk gives the directory reader's report"
  else diff -u "$TMP/dir.json" "$TMP/$disk.as-dir.json" | head -60; not_ok "$disk report differs from the directory's"; fi
done
check "the LVM disk's /var came from its own volume (redis data seen)" \
  grep -q '"/var/lib/redis"' "$TMP/debian-lvm.qcow2.json"

# One guest on two disks: A holds / (fstab: /dev/vda1), B holds /var
# (fstab: UUID=...).  Both disks go to one appliance, in this order.
A="$FIXTURES/debian-2disk-a.qcow2" B="$FIXTURES/debian-2disk-b.qcow2"
before=$(sha256sum "$A" "$B" | cut -d' ' -f1)
start=$(date +%s.%N)
set +e; "$V2C" inspect --json -o "$TMP/2disk.json" "$A" "$B" 2>"$TMP/err"; st=$?; set -e
secs=$(echo "$(date +%s.%N) - $start" | bc)
check "inspect debian-2disk-a.qcow2 debian-2disk-b.qcow2 exits 0 (${secs}s)" test "$st" -eq 0
[ "$st" -eq 0 ] || cat "$TMP/err"
after=$(sha256sum "$A" "$B" | cut -d' ' -f1)
check "debian-2disk-a.qcow2 and debian-2disk-b.qcow2 are unchanged (sha256 before = after)" \
  test "$before" = "$after"
sed 's/"source": "disk"/"source": "directory"/' "$TMP/2disk.json" >"$TMP/2disk.as-dir.json"
if cmp -s "$TMP/dir.json" "$TMP/2disk.as-dir.json"; then ok "the two-disk guest gives the directory reader's report"
else diff -u "$TMP/dir.json" "$TMP/2disk.as-dir.json" | head -60; not_ok "the two-disk guest's report differs from the directory's"; fi
check "the two-disk guest's /var came from the second disk (redis data seen)" \
  grep -q '"/var/lib/redis"' "$TMP/2disk.json"

# Disk A alone: the root is there, /var's device is not; that is a warning.
start=$(date +%s.%N)
set +e; "$V2C" inspect --json -o "$TMP/2disk-a.json" "$A" 2>"$TMP/err"; st=$?; set -e
secs=$(echo "$(date +%s.%N) - $start" | bc)
check "inspect debian-2disk-a.qcow2 alone exits 0 (${secs}s)" test "$st" -eq 0
[ "$st" -eq 0 ] || cat "$TMP/err"
check "disk A alone: a warning says /var's device (UUID=...) could not be found or mounted" \
  python3 - "$TMP/2disk-a.json" <<'PY'
import json, re, sys
warnings = json.load(open(sys.argv[1])).get("warnings") or []
pat = re.compile(r"(cannot find the device `UUID=[0-9a-f-]+`|cannot mount \S+) .*on /var\b")
hits = [w for w in warnings if pat.search(w if isinstance(w, str) else json.dumps(w))]
print("# warnings:", json.dumps(warnings))
sys.exit(0 if hits else 1)
PY

# What virt-tar-out makes (here gzip-compressed) is a guest the tar reader takes.
virt-tar-out -a "$FIXTURES/debian.qcow2" / - | gzip -1 >"$TMP/virt-tar-out.tar.gz"
# virt-tar-out has no xattrs option: file capabilities are all it loses
# (docs/inspect-report.md says to use guestfish's tar-out xattrs:true).
"$V2C" inspect --json "$TMP/virt-tar-out.tar.gz" | sed 's/"source": "tar"/"source": "directory"/' >"$TMP/vto.json"
# Nor what they decide: the hardened spec of a service whose executable
# has some (its capabilities, privilege escalation) is compared apart.
python3 - "$TMP/dir.json" "$TMP/dir-nocaps.json" "$TMP/vto.json" "$TMP/vto-n.json" <<'PY'
import json, sys
r, v = json.load(open(sys.argv[1])), json.load(open(sys.argv[3]))
capped = {s["name"] for s in r["services"] if s["exec"]["capabilities"]}
for doc in (r, v):
    for s in doc["services"]:
        s["exec"]["capabilities"] = []
        if s["name"] in capped:
            s["hardening"] = "(derived from file capabilities)"
json.dump(r, open(sys.argv[2], "w"), indent=2)
json.dump(v, open(sys.argv[4], "w"), indent=2)
PY
if cmp -s "$TMP/dir-nocaps.json" "$TMP/vto-n.json"; then ok "virt-tar-out | gzip gives the directory reader's report (file capabilities aside)"
else diff -u "$TMP/dir-nocaps.json" "$TMP/vto-n.json" | head -40; not_ok "the virt-tar-out archive's report differs"; fi

# A disk without an operating system is unusable input.
set +e; "$V2C" inspect --json "$FIXTURES/bad/noos.qcow2" >"$TMP/out" 2>"$TMP/err"; st=$?; set -e
check "disk without an OS: exit 3 (got $st)" test "$st" -eq 3
check "disk without an OS: says so in one line" sh -c "test \$(wc -l <'$TMP/err') -eq 1 && grep -q 'no operating system' '$TMP/err'"
for case in "luks:encrypted" "blank:no file system"; do
  name=${case%%:*} words=${case#*:}
  set +e; "$V2C" inspect --json -o "$TMP/$name.json" "$FIXTURES/bad/$name.qcow2" >"$TMP/out" 2>"$TMP/err"; st=$?; set -e
  check "$name disk: exit 3 (got $st)" test "$st" -eq 3
  check "$name disk: one line saying \"$words\"" sh -c "test \$(wc -l <'$TMP/err') -eq 1 && grep -q '$words' '$TMP/err'"
  check "$name disk: no output file" test ! -e "$TMP/$name.json"
done
finish
