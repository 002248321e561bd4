#!/usr/bin/env bash
# Hostile disk images: metadata that names files outside the image.  A
# qcow2 whose backing file is a host file (`qemu-img rebase -u -b
# /etc/shadow -F raw evil.qcow2`) once brought that host file's bytes into
# an image.  The "host secret" here is a file of the test's own: a whole
# root file system (the fixture's) whose heartbeat.sh holds a random marker,
# so that a followed backing file would show as a guest that converts.
# Without --allow-backing every such image is refused (exit 4, one line
# naming the file) before any appliance starts; with it, the chain is
# checked (missing file, loop, protocol) and named in the report.  Also:
# the appliance launch's time limit, and an unreadable package database
# (directory, tar and disk guests) reported with its reason.
. "$(dirname "$0")/lib.sh"
need qemu-img mkfs.ext4 zstd
fixture_root

MARK="HOSTSECRET-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
cp -a "$FIXTURES/root" "$TMP/sroot"
echo "# $MARK" >>"$TMP/sroot/usr/local/bin/heartbeat.sh"
mkfs.ext4 -q -F -d "$TMP/sroot" "$TMP/host-secret.raw" 96M
rm -rf "$TMP/sroot"
SECRET="$TMP/host-secret.raw"
secret_sum=$(sha256sum "$SECRET" | cut -d' ' -f1)

# The marker in any file under DIR, layers decompressed.
marker_under() {
  [ -e "$1" ] || return 1
  find "$1" -type f -print0 | while IFS= read -r -d '' f; do
    zstd -dcq "$f" 2>/dev/null || gzip -dc "$f" 2>/dev/null || cat "$f"
  done | found -aF "$MARK"
}
# run NAME CMD...: runs CMD (within $LIMIT s, default 300: a convert through
# the appliance on a busy machine), exit status in $st, output in $TMP/NAME.out
# and .err.
run() {
  local name=$1; shift
  set +e; timeout "${LIMIT:-300}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; st=$?; set -e
}
# refused NAME FILE DESCRIPTION: exit 4, one line on stderr naming FILE.
refused() {
  check "$3: exit 4 (got $st)" test "$st" -eq 4
  check "$3: one line naming \`$2\`" sh -c "test \$(wc -l <'$TMP/$1.err') -eq 1 && grep -qF -- '$2' '$TMP/$1.err'"
  [ "$st" -eq 4 ] || head -5 "$TMP/$1.err"
}

# 1. The attack: a qcow2 whose backing file is the host file.
qemu-img create -q -f qcow2 "$TMP/evil.qcow2" 96M
qemu-img rebase -u -b "$SECRET" -F raw "$TMP/evil.qcow2"
evil_sum=$(sha256sum "$TMP/evil.qcow2" | cut -d' ' -f1)
t0=$SECONDS
run evil-inspect "$V2C" inspect --json "$TMP/evil.qcow2"
refused evil-inspect "$SECRET" "inspect of a qcow2 backed by a host file"
check "... refused before any appliance launch ($((SECONDS - t0)) s < 20 s)" test $((SECONDS - t0)) -lt 20
check "... no report on stdout" test ! -s "$TMP/evil-inspect.out"
run evil-convert "$V2C" convert "$TMP/evil.qcow2" -s heartbeat -o "$TMP/evil-out"
refused evil-convert "$SECRET" "convert of a qcow2 backed by a host file"
check "... no output written" test ! -e "$TMP/evil-out"
if marker_under "$TMP/evil-out"; then not_ok "... the host file's marker is in the output"
else ok "... the host file's marker is in no file of the output, layers decompressed"; fi

# 2. A backing chain that comes back to itself, directly or through another.
qemu-img create -q -f qcow2 "$TMP/loop.qcow2" 64M
qemu-img rebase -u -b loop.qcow2 -F qcow2 "$TMP/loop.qcow2"
# (Before the fix this hung, memory growing: 60 s is plenty.)
LIMIT=60 run loop "$V2C" inspect "$TMP/loop.qcow2"
refused loop "loop.qcow2" "a self-referencing qcow2"
qemu-img create -q -f qcow2 "$TMP/ring-a.qcow2" 64M
qemu-img create -q -f qcow2 -b ring-a.qcow2 -F qcow2 "$TMP/ring-b.qcow2" 64M
qemu-img rebase -u -b ring-b.qcow2 -F qcow2 "$TMP/ring-a.qcow2"
for img in loop ring-a; do
  t0=$SECONDS
  LIMIT=60 run "$img-allow" "$V2C" inspect --allow-backing "$TMP/$img.qcow2"
  check "--allow-backing, $img.qcow2 (a chain that loops): exit 3 (got $st) in $((SECONDS - t0)) s, no hang" \
    test "$st" -eq 3
  check "... one line saying it loops" sh -c "test \$(wc -l <'$TMP/$img-allow.err') -eq 1 && grep -q 'loops' '$TMP/$img-allow.err'"
done

# 3. A backing file that does not exist: one line from v2c, no libguestfs text.
qemu-img create -q -f qcow2 "$TMP/orphan.qcow2" 64M
qemu-img rebase -u -b "$TMP/gone/base.raw" -F raw "$TMP/orphan.qcow2"
run orphan "$V2C" inspect "$TMP/orphan.qcow2"
refused orphan "$TMP/gone/base.raw" "a missing backing file, without --allow-backing"
run orphan-allow "$V2C" inspect --allow-backing "$TMP/orphan.qcow2"
check "a missing backing file, --allow-backing: exit 3 (got $st)" test "$st" -eq 3
check "... one line naming it, no libguestfs debug text" sh -c "test \$(wc -l <'$TMP/orphan-allow.err') -eq 1 &&
  grep -qF '$TMP/gone/base.raw' '$TMP/orphan-allow.err' && ! grep -qi 'overlay\|libguestfs' '$TMP/orphan-allow.err'"

# 4. An external data file (qcow2 data_file, raw): the data is the host file.
qemu-img create -q -f qcow2 -o data_file="$TMP/df-data.raw",data_file_raw=on "$TMP/df.qcow2" 96M
cp "$SECRET" "$TMP/df-data.raw"
run datafile "$V2C" convert "$TMP/df.qcow2" -s heartbeat -o "$TMP/df-out"
refused datafile "$TMP/df-data.raw" "convert of a qcow2 whose external data file is a host file"
check "... no output written" test ! -e "$TMP/df-out"

# 5. A VMDK descriptor whose extent is the host file.
printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW %d FLAT "%s" 0\n' \
  $((96 * 2048)) "$SECRET" >"$TMP/desc.vmdk"
run vmdk "$V2C" inspect "$TMP/desc.vmdk"
check "a VMDK descriptor naming a host file as extent: exit 4 (got $st), one line naming it" \
  sh -c "test $st -eq 4 && test \$(wc -l <'$TMP/vmdk.err') -eq 1 && grep -qF -- '$SECRET' '$TMP/vmdk.err'"

# 6. Even with --allow-backing, only files: not a network block device.
qemu-img create -q -f qcow2 "$TMP/nbd.qcow2" 64M
qemu-img rebase -u -b nbd:127.0.0.1:9 -F raw "$TMP/nbd.qcow2"
run nbd "$V2C" inspect --allow-backing "$TMP/nbd.qcow2"
refused nbd "nbd:127.0.0.1:9" "--allow-backing, a backing file nbd:127.0.0.1:9"

# ... and no FIFO (qemu, or qemu-img info, would wait on it for ever).
mkfifo "$TMP/fifo.raw"
qemu-img create -q -f qcow2 "$TMP/fifo.qcow2" 64M
qemu-img rebase -u -b "$TMP/fifo.raw" -F raw "$TMP/fifo.qcow2"
run fifo "$V2C" inspect --allow-backing "$TMP/fifo.qcow2"
check "--allow-backing, a FIFO as backing file: exit 3 (got $st), one line saying what it is" \
  sh -c "test $st -eq 3 && test \$(wc -l <'$TMP/fifo.err') -eq 1 && grep -q 'not a regular file' '$TMP/fifo.err'"

check "the host file and evil.qcow2 are unchanged" sh -c "test \"\$(sha256sum '$SECRET' | cut -d' ' -f1)\" = '$secret_sum' &&
  test \"\$(sha256sum '$TMP/evil.qcow2' | cut -d' ' -f1)\" = '$evil_sum'"

# 7. The launch's time limit (a plain qcow2 of the same guest).
qemu-img convert -O qcow2 "$SECRET" "$TMP/plain.qcow2"
t0=$SECONDS
run timeout "$V2C" inspect --launch-timeout 1 "$TMP/plain.qcow2"
secs=$((SECONDS - t0))
check "--launch-timeout 1: exit 1 (got $st) within 30 s (took $secs s)" sh -c "test $st -eq 1 && test $secs -lt 30"
check "... one line saying the appliance did not start in time" \
  sh -c "test \$(wc -l <'$TMP/timeout.err') -eq 1 && grep -q 'did not start within 1 s' '$TMP/timeout.err'"
run timeout-usage "$V2C" inspect --launch-timeout 0 "$TMP/plain.qcow2"
check "--launch-timeout 0: usage error, exit 2 (got $st)" test "$st" -eq 2

# 8. --allow-backing: the operator's choice; the report names every file read.
run allow "$V2C" inspect --json --allow-backing "$TMP/evil.qcow2"
check "--allow-backing: inspect of evil.qcow2 exits 0 (got $st)" test "$st" -eq 0
[ "$st" -eq 0 ] || head -5 "$TMP/allow.err"
check "... the report is valid (validate-report.py)" validate_report "$TMP/allow.out"
check "... source_files names the image and its backing file, with format and role" \
  python3 - "$TMP/allow.out" "$TMP/evil.qcow2" "$SECRET" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = [{"path": sys.argv[2], "format": "qcow2", "role": "image"},
        {"path": sys.argv[3], "format": "raw", "role": "backing"}]
print("# source_files:", json.dumps(r.get("source_files")))
sys.exit(0 if r.get("source_files") == want else 1)
PY

# convert too: with --allow-backing the backing file is the guest's content
# (the operator said so), within the launch time it is given.
run allow-convert "$V2C" convert "$TMP/evil.qcow2" -s heartbeat -o "$TMP/allow-out" --allow-backing --launch-timeout 600
check_or_show "$TMP/allow-convert.err" "convert --allow-backing --launch-timeout 600 of evil.qcow2: exit 0 (got $st)" \
  test "$st" -eq 0
if marker_under "$TMP/allow-out/blobs"; then ok "... its image holds the backing file's heartbeat.sh (the marker)"
else not_ok "... its image holds the backing file's heartbeat.sh (the marker)"; fi
run convert-timeout "$V2C" convert "$TMP/plain.qcow2" -s heartbeat -o "$TMP/timeout-out" --launch-timeout 1
check "convert --launch-timeout 1: exit 1 (got $st), nothing written" sh -c "test $st -eq 1 && test ! -e '$TMP/timeout-out'"

# 9. An unreadable package database: a warning with the reason, the packager
# still named; directory, tar and disk guests alike.
cp -a "$FIXTURES/root" "$TMP/pkg"
rm "$TMP/pkg/var/lib/dpkg/status"
ln -s /var/lib/dpkg/status-lost "$TMP/pkg/var/lib/dpkg/status"
tar -C "$TMP/pkg" -cf "$TMP/pkg.tar" .
mkfs.ext4 -q -F -d "$TMP/pkg" "$TMP/pkg.raw" 96M
for guest in pkg pkg.tar pkg.raw; do
  run "pkgdb-$guest" "$V2C" inspect --json "$TMP/$guest"
  check "$guest, a dangling /var/lib/dpkg/status: inspected (exit $st)" test "$st" -eq 0
  check "... dpkg named, and a warning says why its database is not read" \
    python3 - "$TMP/pkgdb-$guest.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
w = [x for x in r["warnings"] if "/var/lib/dpkg/status" in x and "not read" in x]
print("# package_format:", r["os"]["package_format"], "warnings:", json.dumps(w))
sys.exit(0 if r["os"]["package_format"] == "dpkg" and w and "no package database found" not in r["warnings"] else 1)
PY
done
check "a disk that names no other file: no source_files in its report" sh -c "! grep -q source_files '$TMP/pkgdb-pkg.raw.out'"
mkdir -p "$TMP/pkgdir/var/lib/dpkg" && cp -a "$FIXTURES/root/." "$TMP/pkgdir/" && rm "$TMP/pkgdir/var/lib/dpkg/status" &&
  mkdir "$TMP/pkgdir/var/lib/dpkg/status"
run pkgdb-dir "$V2C" inspect --json "$TMP/pkgdir"
check "a directory at /var/lib/dpkg/status: a warning says it is not a regular file" \
  grep -q '/var/lib/dpkg/status is not a regular file' "$TMP/pkgdb-dir.out"
finish
