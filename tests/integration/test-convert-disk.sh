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
"$V2C" convert -s nginx -s webapp -s hello -o "$TMP/disk" "$disk" >/dev/null 2>"$TMP/disk.err" || cat "$TMP/disk.err"
took=$(( $(date +%s) - start ))
check "the qcow2 converts (${took}s under TCG, one appliance launch)" test -f "$TMP/disk/index.json"
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
