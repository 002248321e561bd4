#!/usr/bin/env bash
# Bad input: one clear line on stderr, the documented exit status (3), no
# crash, no hang, and no output file left behind.
. "$(dirname "$0")/lib.sh"
fixture_root
bad="$TMP/bad"
mkdir -p "$bad/notroot/data"
echo "just data" >"$bad/notroot/data/file"
: >"$bad/empty.qcow2"
echo "this is not a tar archive" >"$bad/nottar.tar"
head -c 1048576 /dev/zero | openssl enc -aes-128-ctr -K 00112233445566778899aabbccddeeff -iv 0 -nosalt 2>/dev/null >"$bad/garbage.img"
qemu-img create -q -f qcow2 "$bad/whole.qcow2" 64M
head -c 65536 "$bad/whole.qcow2" >"$bad/truncated.qcow2"
# A tar cut in the middle of a member.
head -c 70000 "$FIXTURES/root.tar" >"$bad/cut.tar"
printf 'ustar-lookalike' >"$bad/short.tar"

expect_input_error() { # expect_input_error DESCRIPTION WORDS SOURCE
  local d=$1 words=$2 src=$3
  set +e; timeout 120 "$V2C" inspect --json -o "$TMP/report.json" "$src" >"$TMP/out" 2>"$TMP/err"; local st=$?; set -e
  if [ "$st" -eq 3 ]; then ok "$d: exit 3"; else not_ok "$d: exit $st, wanted 3"; cat "$TMP/err"; fi
  check "$d: one line on stderr" test "$(wc -l <"$TMP/err")" -eq 1
  check "$d: the message says what is wrong" grep -qiE "$words" "$TMP/err"
  check "$d: no output file" test ! -e "$TMP/report.json"
  check "$d: nothing on stdout" test ! -s "$TMP/out"
}
expect_input_error "missing file" "cannot open|no such" "$bad/nope.qcow2"
expect_input_error "empty image" "empty" "$bad/empty.qcow2"
expect_input_error "truncated qcow2" "truncated" "$bad/truncated.qcow2"
expect_input_error "random bytes" "not a disk image" "$bad/garbage.img"
expect_input_error "text named .tar" "not a tar" "$bad/nottar.tar"
expect_input_error "short file named .tar" "not a tar" "$bad/short.tar"
expect_input_error "directory that is not a root" "root file system" "$bad/notroot"
set +e; timeout 120 "$V2C" inspect --json "$bad/cut.tar" >"$TMP/out" 2>"$TMP/err"; st=$?; set -e
check "tar cut in a member: exit 3 (got $st)" test "$st" -eq 3
check "tar cut in a member: one line on stderr" test "$(wc -l <"$TMP/err")" -eq 1
# --- convert: every failure says what it is, once ----------------------------
src="$FIXTURES/root"
expect_one_error() { # expect_one_error DESCRIPTION STATUS WORDS: after a run into $TMP/err
  local d=$1 want=$2 words=$3
  if [ "$st" -eq "$want" ]; then ok "$d: exit $want"; else not_ok "$d: exit $st, wanted $want"; cat "$TMP/err"; fi
  check "$d: one line on stderr (warnings aside)" test "$(grep -vc "^v2c: warning: " "$TMP/err" || true)" -eq 1
  check "$d: the message says what is wrong" grep -qE "$words" "$TMP/err"
}
# Two failure paths of the command itself that only an allocation failure
# takes, reached with tests/tools/fail-format.c: asprintf fails for the one
# format string named (each used once, there).  They used to exit 1 saying
# nothing.
if [ -n "${FAIL_FORMAT:-}" ] && [ -f "$FAIL_FORMAT" ]; then
  set +e
  V2C_FAIL_FORMAT='%s/%s%s%s' LD_PRELOAD="$FAIL_FORMAT" timeout 300 \
    "$V2C" convert -s hello -o "$TMP/oom-push" --push 127.0.0.1:9/v2c "$src" >"$TMP/out" 2>"$TMP/err"; st=$?
  set -e
  expect_one_error "convert --push, naming the destination fails" 1 '^v2c: error: out of memory$'
  set +e
  V2C_FAIL_FORMAT='%.*s.v2c-base-XXXXXX' LD_PRELOAD="$FAIL_FORMAT" timeout 300 \
    "$V2C" convert -s hello -o "$TMP/oom-base" --base "127.0.0.1:9/base@sha256:$(printf '0%.0s' $(seq 64))" "$src" \
    >"$TMP/out" 2>"$TMP/err"; st=$?
  set -e
  expect_one_error "convert --base, naming the base's directory fails" 1 '^v2c: error: out of memory$'
  check "convert --base, naming the base's directory fails: no layout left" test ! -e "$TMP/oom-base"
else
  echo "# skipped: FAIL_FORMAT (tests/tools/fail-format.c, built by meson) not given"
fi

# Context added once: a report whose service names an empty package gets
# its SBOM refused; the message names the service and the SBOM once each
# (it said "converting nginx: SBOM of nginx: SBOM of `nginx`: ...").
"$V2C" inspect --json -o "$TMP/rep.json" "$src"
python3 - "$TMP/rep.json" "$TMP/rep-bad.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
svc = next(s for s in r["services"] if s["name"] == "nginx")
svc["packages"] = [""] + svc.get("packages", [])
json.dump(r, open(sys.argv[2], "w"))
PY
set +e
timeout 300 "$V2C" convert --report "$TMP/rep-bad.json" -s nginx -o "$TMP/sbom-bad" "$src" >"$TMP/out" 2>"$TMP/err"; st=$?
set -e
expect_one_error "convert, an empty package name" 3 'the name is empty'
check "convert, an empty package name: the message, context once" \
  grep -qxF 'v2c: error: converting nginx: SBOM of `nginx`: package 0: the name is empty' "$TMP/err"
check "convert, an empty package name: no layout left" test ! -e "$TMP/sbom-bad"

# A malformed report (--report): exit 3, one line naming the value by its
# JSON path, for inspect and convert alike; convert writes nothing.
"$V2C" inspect --json -o "$TMP/good.json" "$FIXTURES/root" 2>/dev/null
python3 - "$TMP/good.json" "$bad/report-port.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["services"][1]["ports"] = [{"port": 80, "proto": "tcp", "source": "argv"}, {"port": 70000, "proto": "tcp", "source": "argv"}]
json.dump(d, open(sys.argv[2], "w"))
PY
for cmd in inspect convert; do
  if [ $cmd = inspect ]; then args=(inspect --report "$bad/report-port.json")
  else args=(convert --report "$bad/report-port.json" -s nginx -o "$TMP/oci-bad" "$FIXTURES/root"); fi
  set +e; timeout 120 "$V2C" "${args[@]}" >"$TMP/out" 2>"$TMP/err"; st=$?; set -e
  check "$cmd --report, port out of range: exit 3 (got $st)" test "$st" -eq 3
  check "$cmd --report: one line on stderr" test "$(wc -l <"$TMP/err")" -eq 1
  check "$cmd --report: the line names the field's path" \
    grep -qF 'services[1].ports[1].port: not an integer from 1 to 65535' "$TMP/err"
done
check "convert --report: no layout written" test ! -e "$TMP/oci-bad"
finish
