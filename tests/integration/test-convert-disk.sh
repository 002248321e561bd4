#!/usr/bin/env bash
# v2c convert reads disk images through libguestfs as it reads directories:
# the qcow2 of the fixture gives the same layers (same digests) as the
# directory it was made from, file capabilities included, and the disk is
# never modified.
. "$(dirname "$0")/lib.sh"
fixture_disks
disk="$FIXTURES/debian.qcow2"
before=$(sha256sum "$disk" | cut -d' ' -f1)
"$V2C" convert -s nginx -s webapp -s hello -o "$TMP/dir" "$FIXTURES/root" >/dev/null 2>&1
start=$(date +%s)
# libguestfs's trace (on stderr) names every call to the appliance.
LIBGUESTFS_TRACE=1 "$V2C" convert -s nginx -s webapp -s hello -o "$TMP/disk" "$disk" >/dev/null 2>"$TMP/disk.err" ||
  grep -v '^libguestfs: trace' "$TMP/disk.err"
took=$(( $(date +%s) - start ))
check "the qcow2 converts (${took}s under TCG, one appliance launch)" test -f "$TMP/disk/index.json"
# A transfer out of the appliance costs 0.3-0.7 s under TCG: what one image
# needs and an earlier one fetched is not fetched again (an image with an
# empty layer used to drop every file fetched before it).
# (Small files are read with pread, a round trip: a call names its offset.)
again=$( { grep -o '^libguestfs: trace: download "[^"]*"' "$TMP/disk.err" || true
           grep -o '^libguestfs: trace: pread .*' "$TMP/disk.err" || true; } | sort | uniq -d)
check "no guest file is read twice${again:+: $(echo $again)}" test -z "$again"
# The files come out in one tar-out of what the report foresees and one
# per round of the walks' foresight (here, one: what reading nginx's and
# python's ELF headers reveals), not one per layer.
# Inspect's own trees come first, in two (those that may hold executables,
# with xattrs, and the others): at most 4 in all.
tars=$(grep -c '^libguestfs: trace: tar_out "/"' "$TMP/disk.err" || true)
check "inspect's trees and the images' files come out in $tars tar-outs (at most 2 + 2)" test "$tars" -le 4
lists=$(grep -o '^libguestfs: trace: find0 "[^"]*"' "$TMP/disk.err" | sort | uniq -d)
check "each tree is listed once${lists:+: $(echo $lists)}" test -z "$lists"
for ref in nginx webapp hello; do
  check "$ref: the disk gives the layers of the directory" \
    test "$(layers_of "$TMP/disk" "$ref")" = "$(layers_of "$TMP/dir" "$ref")"
done
check "the layer digests are not empty" test -n "$(layers_of "$TMP/disk" nginx)"
# hello-server's file capability comes through the appliance's tar-out.
app=$(layers_of "$TMP/disk" hello | tail -1)
check "hello-server's file capability is read from the disk" \
  sh -c "zstd -dc '$TMP/disk/blobs/sha256/${app#sha256:}' | grep -aq 'SCHILY.xattr.security.capability='"
check "the disk image is unchanged (sha256)" test "$(sha256sum "$disk" | cut -d' ' -f1)" = "$before"
finish
