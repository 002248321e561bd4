#!/usr/bin/env bash
# v2c inspect --each and --manifest: many guests in one appliance launch.
# Among the guests: a copy of the Debian fixture disk under another name (a
# clone: same file system UUIDs and labels), the disk itself, the LVM disk,
# the guest on two disks (its fstab names /dev/vda1 and a UUID: both must
# resolve to its own drives, wherever the session put them), a disk with no
# OS, a file that is no disk image, and names that try to leave DIR.  Each
# good guest's report must equal the one a separate run gives (the disk's
# own run, or the directory reader's, which test-inspect-disk shows equal
# to the disk's); the broken ones fail alone.  With --jobs the guests go
# to appliances side by side: the same summary and reports
# (test-inspect-jobs: a worker killed loses its own guests only).
. "$(dirname "$0")/lib.sh"
fixture_disks

F=$FIXTURES

"$V2C" inspect --json "$F/root" >"$TMP/dir.json"

mkdir -p "$TMP/in" "$TMP/work"
cp "$F/debian.qcow2" "$TMP/in/web.qcow2"
# A clone of the two-disk guest: its /var (fstab: UUID=) is on both B disks.
cp "$F/debian-2disk-a.qcow2" "$TMP/in/a2.qcow2"
cp "$F/debian-2disk-b.qcow2" "$TMP/in/b2.qcow2"
printf 'this is not a disk image\n' >"$TMP/in/..qcow2"     # named ".": must not become DIR/..json
before=$(sha256sum "$F/debian.qcow2" "$F/debian-lvm.qcow2" "$TMP/in/web.qcow2" | cut -d' ' -f1)

# --- --each: five disks, one launch -----------------------------------------
cd "$TMP/work"
start=$(date +%s.%N)
set +e
"$V2C" inspect --each --json -o out "$TMP/in/web.qcow2" "$F/debian.qcow2" "$F/debian-lvm.qcow2" \
  "$F/bad/noos.qcow2" "$TMP/in/..qcow2" >"$TMP/each.json" 2>"$TMP/each.err"
st=$?
set -e
secs=$(echo "$(date +%s.%N) - $start" | bc)
check "--each on 5 disks, 2 broken, exits 1 (some failed) (${secs}s)" test "$st" -eq 1
[ "$st" -eq 1 ] || cat "$TMP/each.err"
check "the summary is a v2c.inspect-each/1 result" validate_result inspect-each "$TMP/each.json" \
  "3 ok, 2 failed::doc['ok'] == 3 and doc['failed'] == 2" \
  "the guests in the order given, named after their disks::[g['name'] for g in doc['guests']] == ['web', 'debian', 'debian-lvm', 'noos', '_']" \
  "the good ones ok, each with its report::[g['status'] for g in doc['guests']] == ['ok', 'ok', 'ok', 'failed', 'failed'] and all(g['report'] == 'out/' + g['name'] + '.json' for g in doc['guests'][:3])" \
  "the disk with no OS failed as unusable input::doc['guests'][3]['exit'] == 3 and 'no operating system found' in doc['guests'][3]['error']" \
  "the file that is no disk failed before the launch::doc['guests'][4]['exit'] == 3 and 'is not a disk image' in doc['guests'][4]['error']"
check "DIR holds one report per good guest, nothing else" \
  test "$(cd out && LC_ALL=C ls -A | tr '\n' ' ')" = "debian-lvm.json debian.json web.json "
check "nothing written next to DIR" test "$(LC_ALL=C ls -A | tr '\n' ' ')" = "out "
same_report "the clone's report (web) equals the directory reader's" "$TMP/dir.json" out/web.json
same_report "debian.qcow2's report equals the directory reader's" "$TMP/dir.json" out/debian.json
after=$(sha256sum "$F/debian.qcow2" "$F/debian-lvm.qcow2" "$TMP/in/web.qcow2" | cut -d' ' -f1)
check "the disks are unchanged (sha256 before = after)" test "$before" = "$after"

# The LVM guest alone, as v2c inspect always did: the same report.
set +e; "$V2C" inspect --json -o "$TMP/lvm-alone.json" "$F/debian-lvm.qcow2" 2>"$TMP/err"; st=$?; set -e
check "debian-lvm.qcow2 inspected alone exits 0" test "$st" -eq 0
same_report "debian-lvm.qcow2's --each report equals its separate run's" "$TMP/lvm-alone.json" out/debian-lvm.json
check "the LVM guest's /var came from its own volume (redis data seen)" grep -q '"/var/lib/redis"' out/debian-lvm.json

# --- --manifest: guests of several disks, hostile names, a summary for people
cat >"$TMP/guests.list" <<LIST
# NAME DISK [DISK...]
pair   $F/debian-2disk-a.qcow2 $F/debian-2disk-b.qcow2
pair2  $TMP/in/a2.qcow2 $TMP/in/b2.qcow2
../../escape   $F/debian.qcow2
/etc/passwd    $F/root
web            $TMP/in/..qcow2
web            $F/root.tar
LIST
mkdir -p "$TMP/m/sub" && cd "$TMP/m/sub"
set +e; "$V2C" inspect --manifest "$TMP/guests.list" -o reports >"$TMP/m.txt" 2>"$TMP/m.err"; st=$?; set -e
check "--manifest with one broken guest exits 1" test "$st" -eq 1
[ "$st" -eq 1 ] || cat "$TMP/m.err"
cat "$TMP/m.txt" | sed 's/^/#   /'
check "the summary for people: a line per guest and a count" \
  sh -c "grep -Eq '^pair +ok +reports/pair.json' '$TMP/m.txt' && grep -Eq '^web +failed +.*is not a disk image' '$TMP/m.txt' && grep -q '^6 guests: 5 inspected, 1 failed$' '$TMP/m.txt'"
check "names cannot leave DIR: sanitised, and made unique" \
  test "$(cd reports && LC_ALL=C ls -A | tr '\n' ' ')" = "_._.._escape.json _etc_passwd.json pair.json pair2.json web-6.json "
check "nothing written outside DIR" \
  sh -c "test \"\$(LC_ALL=C ls -A '$TMP/m' | tr '\n' ' ')\" = 'sub ' && test \"\$(LC_ALL=C ls -A . | tr '\n' ' ')\" = 'reports ' && test ! -e '$TMP/escape.json'"
same_report "the two-disk guest's report equals the directory reader's" "$TMP/dir.json" reports/pair.json
same_report "the clone of the two-disk guest's report equals the directory reader's" "$TMP/dir.json" reports/pair2.json
same_report "the directory guest's report equals the directory reader's" "$TMP/dir.json" reports/_etc_passwd.json
check "each two-disk guest's /var came from its second disk, found by UUID among its own drives" \
  sh -c "grep -q '\"/var/lib/redis\"' reports/pair.json && grep -q '\"/var/lib/redis\"' reports/pair2.json"

# --- --jobs: the same guests dealt out to appliances side by side ------------
# Options after the arguments, as people type them; the summary and every
# report must be the ones the single appliance gave, byte for byte.
mkdir -p "$TMP/j/sub" && cd "$TMP/j/sub"
set +e; LANG=C "$V2C" inspect --manifest "$TMP/guests.list" -o reports --jobs 2 >"$TMP/j.txt" 2>"$TMP/j.err"; st=$?; set -e
check "--manifest --jobs 2 with one broken guest exits 1" test "$st" -eq 1
[ "$st" -eq 1 ] || cat "$TMP/j.err"
check "--jobs 2: the same summary as one appliance" cmp "$TMP/m.txt" "$TMP/j.txt"
check "--jobs 2: the same reports, byte for byte" diff -r "$TMP/m/sub/reports" reports
check "--jobs 2: nothing written outside DIR" test "$(LC_ALL=C ls -A . | tr '\n' ' ')" = "reports "

# --- usage and input errors: no launch -----------------------------------------
set +e; "$V2C" inspect --each "$F/debian.qcow2" >/dev/null 2>"$TMP/err"; st=$?; set -e
check "--each without -o DIR is a usage error (exit 2)" sh -c "test $st -eq 2 && grep -q 'need -o DIR' '$TMP/err'"
printf 'lonely\n' >"$TMP/bad.list"
set +e; "$V2C" inspect --manifest "$TMP/bad.list" -o "$TMP/x" >/dev/null 2>"$TMP/err"; st=$?; set -e
check "a manifest line without a disk is unusable input (exit 3), named by its line" \
  sh -c "test $st -eq 3 && grep -q 'line 1: guest .lonely. names no disk' '$TMP/err'"
set +e; "$V2C" inspect --manifest "$TMP/guests.list" "$F/debian.qcow2" -o "$TMP/x" >/dev/null 2>"$TMP/err"; st=$?; set -e
check "--manifest and SOURCEs together are a usage error" test "$st" -eq 2
for bad in 0 65 -1 2x ""; do
  set +e; "$V2C" inspect --each -o "$TMP/x" "$F/debian.qcow2" --jobs "$bad" >/dev/null 2>"$TMP/err"; st=$?; set -e
  check "--jobs '$bad' is a usage error (exit 2), said in one line" \
    sh -c "test $st -eq 2 && grep -q 'is not a number of appliances (1-64)' '$TMP/err' && test \$(wc -l <'$TMP/err') -le 2"
done
set +e; "$V2C" inspect "$F/debian.qcow2" --jobs 2 >/dev/null 2>"$TMP/err"; st=$?; set -e
check "--jobs without --each is a usage error" sh -c "test $st -eq 2 && grep -q 'goes with --each' '$TMP/err'"
finish
