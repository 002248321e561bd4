#!/usr/bin/env bash
# v2c inspect through libguestfs on real qcow2 disks: one with a single
# file system, one with / and /var on separate LVM volumes.  The reports
# must equal the directory reader's, and the disks must not change.
. "$(dirname "$0")/lib.sh"
fixture_disks

"$V2C" inspect --json "$FIXTURES/root" >"$TMP/dir.json"
for disk in debian.qcow2 debian-lvm.qcow2; do
  before=$(sha256sum "$FIXTURES/$disk" | cut -d' ' -f1)
  start=$(date +%s.%N)
  set +e; "$V2C" inspect --json -o "$TMP/$disk.json" "$FIXTURES/$disk" 2>"$TMP/err"; st=$?; set -e
  secs=$(echo "$(date +%s.%N) - $start" | bc)
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

# A disk without an operating system is unusable input.
set +e; "$V2C" inspect --json "$FIXTURES/bad/noos.qcow2" >"$TMP/out" 2>"$TMP/err"; st=$?; set -e
check "disk without an OS: exit 3 (got $st)" test "$st" -eq 3
check "disk without an OS: says so in one line" sh -c "test \$(wc -l <'$TMP/err') -eq 1 && grep -q 'no operating system' '$TMP/err'"
finish
