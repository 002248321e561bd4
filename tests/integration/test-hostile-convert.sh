#!/usr/bin/env bash
# v2c convert against a hostile or careless environment (issue 11): --force
# replaces only a layout v2c wrote, `-o ""` is a usage error, a result lost
# on stdout is a failure, setuid/setgid bits leave service images (named in
# the log, as world-writable files are), and SIGTERM or SIGINT in the
# middle of a conversion leaves no temporary behind.  Guests as a
# directory, a tar and a qcow2 disk (libguestfs: this test runs alone).
. "$(dirname "$0")/lib.sh"
fixture_root
src="$FIXTURES/root"
export TMPDIR="$TMP/tmpdir"   # what v2c leaves in it is checked
# The appliance cache stays shared (libguestfs would follow TMPDIR).
export LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-/var/tmp}"
mkdir -p "$TMPDIR"
ntmp() { find "$TMPDIR" -mindepth 1 -maxdepth 1 | wc -l; }
run() { # run NAME ARGS...: exit status in st, stdout/stderr in $TMP/NAME.out/.err
  local n=$1; shift
  set +e; timeout 600 "$V2C" "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"; st=$?; set -e
}
# Lines of the error: warnings said before it are lines of their own.
lines() { grep -vc "^v2c: warning: " "$1" || true; }

# --- -o "" ---------------------------------------------------------------------------------
mkdir -p "$TMP/cwd"
set +e; (cd "$TMP/cwd" && "$V2C" convert -s hello -o "" "$src" >/dev/null 2>"$TMP/empty.err"); st=$?; set -e
check "-o \"\": exit 2 (got $st)" test "$st" -eq 2
check "... the message names -o" grep -q -- '-o needs a directory name' "$TMP/empty.err"
check "... no work done: nothing made in the working directory" test -z "$(ls -A "$TMP/cwd")"
set +e; "$V2C" inspect -o "" "$TMP/no-such-guest" >/dev/null 2>"$TMP/empty.err"; st=$?; set -e
check "inspect -o \"\": exit 2 before the guest is opened (got $st)" \
  sh -c "test $st -eq 2 && grep -q -- '-o needs a file name' '$TMP/empty.err'"

# --- --force replaces only a layout v2c wrote -------------------------------------------
run base convert -s hello -o "$TMP/base" "$src"
check "a layout to replace" test "$st" -eq 0
refused() { # refused DESCRIPTION DIR KEPT-FILE: --force must not touch DIR
  local d=$1 dir=$2 kept=$3 before
  before=$(sha256sum "$dir/index.json" 2>/dev/null || true)
  run force convert -s hello --force -o "$dir" "$src"
  check "$d: --force refuses it, exit 4 (got $st)" test "$st" -eq 4
  check "$d: one line on stderr, naming the foreign entry" \
    sh -c "test $(lines "$TMP/force.err") -eq 1 && grep -qF -- '$kept' '$TMP/force.err'"
  check "$d: the foreign entry is still there" test -e "$kept" -o -L "$kept"
  check "$d: the layout is untouched" test "$before" = "$(sha256sum "$dir/index.json" 2>/dev/null || true)"
  check "$d: no temporary left" test -z "$(find "$TMP" -maxdepth 1 -name '*.v2c-*')"
}
mk() { rm -rf "$TMP/$1"; cp -a "$TMP/base" "$TMP/$1"; }
# The issue's case: an oci-layout file beside the user's file.
mkdir -p "$TMP/userdir"; echo '{"imageLayoutVersion":"1.0.0"}' >"$TMP/userdir/oci-layout"; echo precious >"$TMP/userdir/thesis.tex"
refused "oci-layout beside a user's file" "$TMP/userdir" "$TMP/userdir/thesis.tex"
mk top; echo mine >"$TMP/top/notes.txt"
refused "a file beside the layout" "$TMP/top" "$TMP/top/notes.txt"
mk side; echo mine >"$TMP/side/v2c/notes.txt"
refused "a file in v2c/ that v2c does not write" "$TMP/side" "$TMP/side/v2c/notes.txt"
mk sidedir; mkdir "$TMP/sidedir/v2c/keep"
refused "a directory in v2c/" "$TMP/sidedir" "$TMP/sidedir/v2c/keep"
mk blobname; echo mine >"$TMP/blobname/blobs/sha256/README"
refused "a non-digest name among the blobs" "$TMP/blobname" "$TMP/blobname/blobs/sha256/README"
mk blobdir; mkdir "$TMP/blobdir/blobs/sha256/0123abcd"
refused "a directory among the blobs" "$TMP/blobdir" "$TMP/blobdir/blobs/sha256/0123abcd"
mk link; ln -s "$TMP/userdir" "$TMP/link/blobs/sha256/0123abcd"
refused "a symlink among the blobs" "$TMP/link" "$TMP/link/blobs/sha256/0123abcd"
mk linkdir; mv "$TMP/linkdir/v2c" "$TMP/linkdir-v2c"; ln -s "$TMP/linkdir-v2c" "$TMP/linkdir/v2c"
refused "v2c/ a symlink" "$TMP/linkdir" "$TMP/linkdir/v2c"
check "... what it points to is untouched" test -f "$TMP/linkdir-v2c/lock.json"
mk plain; rm -r "$TMP/plain/v2c"
run force convert -s hello --force -o "$TMP/plain" "$src"
check "an OCI layout without v2c/ (pulled): --force replaces it" \
  sh -c "test $st -eq 0 && test -f '$TMP/plain/v2c/lock.json'"
mk again
run force convert -s nginx --force -o "$TMP/again" "$src"
check "a layout v2c wrote: --force replaces it" sh -c "test $st -eq 0 && grep -q '\"nginx\"' '$TMP/again/v2c/lock.json' && ! grep -q '\"hello\"' '$TMP/again/v2c/lock.json'"
run force convert -s hello -o "$TMP/again" "$src"
check "... without --force: exit 4, --force named" sh -c "test $st -eq 4 && grep -q -- '--force replaces it' '$TMP/force.err'"
run force convert -s hello --force -o "$TMP/top" "$TMP/no-such-guest"
check "a refused target is refused before any work (the guest is never opened: exit 4, got $st)" test "$st" -eq 4

# --- the result on stdout -----------------------------------------------------------------
set +e; "$V2C" convert -s hello -o "$TMP/full" "$src" >/dev/full 2>"$TMP/full.err"; st=$?; set -e
check "stdout on /dev/full: exit 1 (got $st)" test "$st" -eq 1
check "... one line on stderr, saying so" sh -c "test $(lines "$TMP/full.err") -eq 1 && grep -q 'stdout' '$TMP/full.err'"
set +e; "$V2C" convert --json -s hello -o "$TMP/fullj" "$src" >/dev/full 2>"$TMP/fullj.err"; st=$?; set -e
check "convert --json, stdout on /dev/full: exit 1 (got $st), one line naming the layout's lock.json" \
  sh -c "test $st -eq 1 && test $(lines "$TMP/fullj.err") -eq 1 && grep -q 'standard output' '$TMP/fullj.err' && grep -qF '$TMP/fullj/v2c/lock.json' '$TMP/fullj.err'"

# --- setuid, setgid, world-writable ------------------------------------------------------
# modes_of LAYOUT REF: "MODE TYPE PATH" (octal; d, f, l or h) of every
# member of every layer.
modes_of() {
  local b
  for b in $(layers_of "$1" "$2"); do
    zstd -dc "$1/blobs/sha256/${b#sha256:}" | python3 -c '
import sys, tarfile
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as t:
    for m in t:
        k = "d" if m.isdir() else "l" if m.issym() else "h" if m.islnk() else "f"
        print("%04o %s %s" % (m.mode, k, m.name))'
  done
}
g="$TMP/suid"
cp -a "$src" "$g"
chmod 4755 "$g/usr/local/bin/hello-server"
cp "$g/usr/local/bin/hello-server" "$g/opt/webapp/tool"; chmod 2755 "$g/opt/webapp/tool"
echo data >"$g/opt/webapp/shared.txt"; chmod 0666 "$g/opt/webapp/shared.txt"
mkdir -p "$g/opt/webapp/group"; chmod 2775 "$g/opt/webapp/group"
# And an app layer that takes long to compress at level 19 on one thread,
# for the signals below.
head -c 3M /dev/urandom | base64 >"$g/opt/webapp/big.dat"
tar --numeric-owner -C "$g" -cf "$TMP/suid.tar" .
suid_checks() { # suid_checks KIND SOURCE
  local k=$1 s=$2
  run "suid-$k" convert -s hello -s webapp -o "$TMP/suid-$k" "$s"
  check "$k guest: converted (exit $st)" test "$st" -eq 0
  modes_of "$TMP/suid-$k" hello >"$TMP/suid-$k.hello"
  modes_of "$TMP/suid-$k" webapp >"$TMP/suid-$k.webapp"
  check "$k guest: hello-server is in the image, without its setuid bit" \
    grep -qx '0755 f usr/local/bin/hello-server' "$TMP/suid-$k.hello"
  check "$k guest: webapp's setgid tool is there, without the bit" grep -qx '0755 f opt/webapp/tool' "$TMP/suid-$k.webapp"
  check "$k guest: no file of either image keeps a setuid/setgid bit" \
    sh -c "! awk '\$1 ~ /^[2-7]/ && \$2 != \"d\"' '$TMP/suid-$k.hello' '$TMP/suid-$k.webapp' | grep -q ."
  check "$k guest: a setgid directory keeps its bit (group inheritance)" \
    grep -qx '2775 d opt/webapp/group' "$TMP/suid-$k.webapp"
  check "$k guest: the log names what was dropped" \
    sh -c "grep -q 'hello: setuid/setgid bits dropped from /usr/local/bin/hello-server (4755)' '$TMP/suid-$k.err' &&
           grep -q 'webapp: setuid/setgid bits dropped from /opt/webapp/tool (2755)' '$TMP/suid-$k.err'"
  check "$k guest: ... and the world-writable file" \
    grep -q 'webapp: world-writable in the image: /opt/webapp/shared.txt (0666)' "$TMP/suid-$k.err"
  check "$k guest: ... which keeps its mode" grep -qx '0666 f opt/webapp/shared.txt' "$TMP/suid-$k.webapp"
}
suid_checks dir "$g"
suid_checks tar "$TMP/suid.tar"
run keep convert -s hello --keep-setuid -o "$TMP/keep" "$g"
modes_of "$TMP/keep" hello >"$TMP/keep.modes"
check "--keep-setuid: the bit stays" grep -qx '4755 f usr/local/bin/hello-server' "$TMP/keep.modes"
check "... and the log says it was kept" grep -q 'setuid/setgid bits kept on /usr/local/bin/hello-server' "$TMP/keep.err"
run sys convert --system -s hello -o "$TMP/sys" "$g"
modes_of "$TMP/sys" hello >"$TMP/sys.modes"
check "--system: the bit stays (the whole OS)" grep -qx '4755 f usr/local/bin/hello-server' "$TMP/sys.modes"
check "... and the log says so" grep -q 'kept on .*/usr/local/bin/hello-server (4755).*a system image keeps them' "$TMP/sys.err"

# --- signals ----------------------------------------------------------------------------------
interrupt() { # interrupt SIGNAL STATUS SOURCE: signal once the layout is being built
  local sig=$1 want=$2 s=$3 out="$TMP/sig-$1" i
  rm -rf "$out"
  # A shell's background job ignores SIGINT: give v2c the default action.
  env --default-signal=INT "$V2C" convert -s webapp --level 19 --threads 1 -o "$out" "$s" >/dev/null 2>"$TMP/sig.err" &
  local pid=$!
  for i in $(seq 1500); do   # up to 5 min: a loaded machine boots the appliance slowly
    compgen -G "$out.v2c-tmp-*" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  sleep 1
  local was; was=$(compgen -G "$out.v2c-tmp-*" || true)
  kill "-$sig" "$pid"
  set +e; wait "$pid"; st=$?; set -e
  check "SIG$sig mid-convert ($4): the layout was being built" test -n "$was"
  check "SIG$sig mid-convert ($4): ends as the signal (exit $st, wanted $want)" test "$st" -eq "$want"
  check "SIG$sig mid-convert ($4): no DIR.v2c-tmp-* left" test -z "$(compgen -G "$out.v2c-*" || true)"
  check "SIG$sig mid-convert ($4): no DIR made" test ! -e "$out"
  check "SIG$sig mid-convert ($4): nothing left in \$TMPDIR" test "$(ntmp)" -eq 0
}
interrupt TERM 143 "$g" "directory guest"
interrupt INT 130 "$g" "directory guest"
interrupt TERM 143 "$TMP/suid.tar" "tar guest"

# --- the same on a disk guest ---------------------------------------------------------------
if "$V2C_SOURCE_ROOT/tests/fixtures/tar2disk.sh" "$TMP/suid.tar" "$TMP/suid.qcow2" >"$TMP/t2d.log" 2>&1; then
  rm -rf "$TMPDIR"/*   # tar2disk's own libguestfs leftovers are not v2c's
  suid_checks disk "$TMP/suid.qcow2"
  check "disk guest: nothing left in \$TMPDIR" test "$(ntmp)" -eq 0
  interrupt TERM 143 "$TMP/suid.qcow2" "disk guest"
else
  cat "$TMP/t2d.log"; not_ok "tar2disk.sh of the setuid guest"
fi
finish
