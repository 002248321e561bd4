#!/usr/bin/env bash
# Converting services of a disk image brings out of the appliance only the
# files the images hold: with 100 MB of data no image holds under /usr
# (a tree convert used to download whole), the qcow2 converts with TMPDIR on
# a tmpfs no larger than the images' content plus 4 MB (the listings), and
# gives the layers of the directory it was made from.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount a tmpfs"; exit 77; }
fixture_root
content_bytes() { # the uncompressed bytes of LAYOUT's layers, each once
  python3 -c 'import json,sys,subprocess
d=sys.argv[1]; seen=set(); n=0
for m in json.load(open(d+"/index.json"))["manifests"]:
    for l in json.load(open(d+"/blobs/sha256/"+m["digest"][7:]))["layers"]:
        if l["digest"] not in seen:
            seen.add(l["digest"])
            n += len(subprocess.run(["zstd","-dc",d+"/blobs/sha256/"+l["digest"][7:]],capture_output=True,check=True).stdout)
print(n)' "$1"
}

# The fixture with a bulky package-less tree under /usr.
mkdir -p "$TMP/bulk/usr/lib/v2c-bulk"
head -c $((100 << 20)) /dev/urandom >"$TMP/bulk/usr/lib/v2c-bulk/data"
cp "$FIXTURES/root.tar" "$TMP/guest.tar"
tar --format=pax --numeric-owner -C "$TMP/bulk" -rf "$TMP/guest.tar" ./usr/lib/v2c-bulk
"$V2C_SOURCE_ROOT/tests/fixtures/tar2disk.sh" "$TMP/guest.tar" "$TMP/guest.qcow2" >/dev/null 2>&1
# No image holds the bulk: the fixture's directory gives the layers expected.
"$V2C" convert -s nginx -s webapp -s hello -o "$TMP/dir" "$FIXTURES/root" >/dev/null 2>&1
bytes=$(content_bytes "$TMP/dir")
mib=$(( (bytes >> 20) + 4 ))
mkdir "$TMP/tmpfs"
mount -t tmpfs -o "size=${mib}m" v2c-test "$TMP/tmpfs"
trap 'umount "$TMP/tmpfs" 2>/dev/null; rm -rf "$TMP"' EXIT
# libguestfs' own files (its appliance cache, its drive overlays) stay out.
LIBGUESTFS_CACHEDIR=/var/tmp LIBGUESTFS_TMPDIR="$TMP" TMPDIR="$TMP/tmpfs" \
  "$V2C" convert -s nginx -s webapp -s hello -o "$TMP/disk" "$TMP/guest.qcow2" >/dev/null 2>"$TMP/disk.err" ||
  sed 's/^/# /' "$TMP/disk.err"
check "the qcow2 converts with ${mib} MiB of temporary space (the images hold $((bytes >> 20)) MiB)" \
  test -f "$TMP/disk/index.json"
for ref in nginx webapp hello; do
  check "$ref: the disk gives the layers of the directory" \
    test "$(layers_of "$TMP/disk" "$ref")" = "$(layers_of "$TMP/dir" "$ref")"
done
finish
