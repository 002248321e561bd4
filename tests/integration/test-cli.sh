#!/usr/bin/env bash
# The command line itself: version, help, usage errors and exit statuses.
. "$(dirname "$0")/lib.sh"

expect_status() { # expect_status STATUS DESCRIPTION ARGS...
  local want=$1 d=$2; shift 2
  set +e; "$V2C" "$@" >"$TMP/out" 2>"$TMP/err"; local got=$?; set -e
  if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else not_ok "$d: exit $got, wanted $want"; cat "$TMP/err"; fi
}

expect_status 0 "--version" --version
check "--version prints the version" grep -qE '^v2c [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out"
expect_status 0 "help" help
check "help lists inspect" grep -q 'inspect' "$TMP/out"
check "help documents exit statuses" grep -q 'unusable input' "$TMP/out"
expect_status 0 "help inspect" help inspect
check "help inspect shows its usage" grep -q 'usage: v2c inspect' "$TMP/out"
expect_status 2 "no command" 
expect_status 2 "unknown command" frobnicate
check "unknown command is named" grep -q 'unknown command `frobnicate`' "$TMP/err"
expect_status 2 "help of an unknown command" help frobnicate
expect_status 2 "inspect without a source" inspect
check "the usage error is one line" test "$(wc -l <"$TMP/err")" -eq 1
check "the usage error names the problem" grep -q 'no SOURCE given' "$TMP/err"
expect_status 2 "inspect with an unknown option" inspect --bogus x
check "the unknown option is named" grep -q -- '--bogus' "$TMP/err"
expect_status 3 "inspect of a missing file" inspect /nonexistent/disk.qcow2
check "a missing file gets one line" test "$(wc -l <"$TMP/err")" -eq 1
finish
