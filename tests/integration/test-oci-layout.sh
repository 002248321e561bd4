#!/usr/bin/env bash
# convert/'s layer and layout writers (through tests/tools/mkimage) against
# independent clients: umoci unpacks and verifies every digest, skopeo
# reads the image, oci-image-tool validates the layout; the same tree gives
# the same digests whatever the thread count; the writer refuses to clobber.
. "$(dirname "$0")/lib.sh"
: "${MKIMAGE:?MKIMAGE must name the mkimage tool}"
fixture_root
src="$FIXTURES/root"

"$MKIMAGE" --threads 2 --layout "$TMP/a" --name fixture --entrypoint /usr/local/bin/hello-server "$src" >"$TMP/a.out"
ok "an image of the fixture root written"
"$MKIMAGE" --threads 1 --layout "$TMP/b" --name fixture --entrypoint /usr/local/bin/hello-server "$src" >"$TMP/b.out"
"$MKIMAGE" --threads 3 --layout "$TMP/c" --name fixture --entrypoint /usr/local/bin/hello-server "$src" >"$TMP/c.out"
check "same tree, 1/2/3 zstd workers: same manifest digest" \
  sh -c "test \"\$(grep manifest '$TMP/a.out')\" = \"\$(grep manifest '$TMP/b.out')\" && test \"\$(grep manifest '$TMP/a.out')\" = \"\$(grep manifest '$TMP/c.out')\""
check "the layouts are byte-identical" diff -r "$TMP/a" "$TMP/b"

layer=$(awk '/^digest/{print $2}' "$TMP/a.out")
skopeo inspect "oci:$TMP/a:fixture" >"$TMP/skopeo.json"
check "skopeo reads the image and its layer" grep -q "$layer" "$TMP/skopeo.json"
check "skopeo sees the zstd media type" sh -c "skopeo inspect --raw 'oci:$TMP/a:fixture' | grep -q 'tar+zstd'"
# The zstd layer: its tar is the config's diff_id and unpacks to the tree.
diff_id=$(awk '/^diff_id/{print $2}' "$TMP/a.out")
check "zstd -d of the layer hashes to its diff_id" \
  sh -c "test \"sha256:\$(zstd -dc '$TMP/a/blobs/sha256/${layer#sha256:}' | sha256sum | cut -d' ' -f1)\" = '$diff_id'"
mkdir -p "$TMP/untar"
zstd -dc "$TMP/a/blobs/sha256/${layer#sha256:}" | tar -C "$TMP/untar" --numeric-owner -xf -
check "the zstd layer unpacks to the source tree" diff -r --no-dereference "$src" "$TMP/untar"

# umoci 0.4.7 (Debian 12) reads gzip layers only: check a gzip image there.
"$MKIMAGE" --gzip --layout "$TMP/g" --name fixture --entrypoint /usr/local/bin/hello-server "$src" >"$TMP/g.out"
check "gzip and zstd layers have the same diff_id" \
  test "$(awk '/^diff_id/{print $2}' "$TMP/g.out")" = "$diff_id"
# oci-image-tool 1.0.0-rc1 (Debian 12) predates the zstd media type too.
check "oci-image-tool validates the gzip layout" oci-image-tool validate --type image --ref name=fixture "$TMP/g"
umoci unpack --rootless --image "$TMP/g:fixture" "$TMP/bundle" >/dev/null 2>"$TMP/umoci.err" || cat "$TMP/umoci.err"
check "umoci unpacks the gzip image (every digest verified)" test -d "$TMP/bundle/rootfs/etc"
check "the unpacked tree equals the source tree" diff -r --no-dereference "$src" "$TMP/bundle/rootfs"
check "the config's entrypoint is kept" sh -c "grep -q hello-server '$TMP/bundle/config.json'"

# Reproducible whatever the clock: a gzip layer's header carries no time
# (bytes 4-7 zero), so two builds a second apart are byte-identical; and a
# file touched after SOURCE_DATE_EPOCH gets the epoch in the tar, so the
# tree touched in 2100 and the same tree touched in 2200 give one layer.
gzlayer=$(awk '/^digest/{print $2}' "$TMP/g.out")
check "the gzip layer's header has no time (MTIME bytes zero)" \
  test "$(od -An -tx1 -j4 -N4 "$TMP/g/blobs/sha256/${gzlayer#sha256:}" | tr -d ' \n')" = 00000000
sleep 1.1
"$MKIMAGE" --gzip --layout "$TMP/g2" --name fixture --entrypoint /usr/local/bin/hello-server "$src" >"$TMP/g2.out"
check "a gzip image built a second later is byte-identical" diff -rq "$TMP/g" "$TMP/g2"
cp -a "$src" "$TMP/future"
find "$TMP/future" -exec touch -h -d @4102444800 {} +
mkdir -p "$TMP/blobs-2100" "$TMP/blobs-2200"
"$MKIMAGE" "$TMP/future" "$TMP/blobs-2100" >"$TMP/f2100.out"
find "$TMP/future" -exec touch -h -d @7258118400 {} +
"$MKIMAGE" "$TMP/future" "$TMP/blobs-2200" >"$TMP/f2200.out"
check "times past the epoch are clamped: the tree touched in 2100 or 2200 gives one layer" \
  sh -c "grep -q '^digest sha256:' '$TMP/f2100.out' && test \"\$(grep ^digest '$TMP/f2100.out')\" = \"\$(grep ^digest '$TMP/f2200.out')\""

# Read through the guest readers (as v2c convert will), the same tree gives
# the same layer: directory guest, tar guest, host walk.
mkdir -p "$TMP/blobs-dir" "$TMP/blobs-tar"
"$MKIMAGE" --guest "$src" "$TMP/blobs-dir" >"$TMP/gdir.out"
"$MKIMAGE" --guest "$FIXTURES/root.tar" "$TMP/blobs-tar" >"$TMP/gtar.out"
check "directory guest, tar guest and host tree give one layer digest" \
  sh -c "test \"\$(grep ^digest '$TMP/gdir.out')\" = 'digest $layer' && test \"\$(grep ^digest '$TMP/gtar.out')\" = 'digest $layer'"
# ... and so does the qcow2 disk of that tree, read through libguestfs.
fixture_disks
mkdir -p "$TMP/blobs-disk"
"$MKIMAGE" --guest "$FIXTURES/debian.qcow2" "$TMP/blobs-disk" >"$TMP/gdisk.out"
check "the qcow2 guest gives the same layer digest too" grep -qx "digest $layer" "$TMP/gdisk.out"

mkdir -p "$TMP/data"; echo keep >"$TMP/data/file"
set +e; "$MKIMAGE" --layout "$TMP/data" --name x "$src" >/dev/null 2>"$TMP/err"; st=$?; set -e
check "a directory holding other data is refused" sh -c "test $st -ne 0 && grep -q 'refusing' '$TMP/err' && test -f '$TMP/data/file'"
set +e; "$MKIMAGE" --layout "$TMP/a" --name x "$src" >/dev/null 2>"$TMP/err"; st=$?; set -e
check "an existing layout is not replaced without --force" sh -c "test $st -ne 0 && grep -q -- '--force' '$TMP/err'"
"$MKIMAGE" --force --gzip --layout "$TMP/a" --name again "$src" >"$TMP/d.out"
check "--force replaces it (gzip this time)" sh -c "skopeo inspect --raw 'oci:$TMP/a:again' | grep -q 'tar+gzip'"
check "no temporary directory is left behind" sh -c "! ls -d '$TMP'/*.v2c-tmp-* '$TMP'/*.v2c-old-* 2>/dev/null"
finish
