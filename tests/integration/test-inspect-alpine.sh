#!/usr/bin/env bash
# v2c inspect on the Alpine fixture (tests/fixtures/alpine, read in place
# as a directory): the apk database, OpenRC services from the runlevels
# with their conf.d, and the classes; the report validates against the
# schema and is byte-identical run after run.
. "$(dirname "$0")/lib.sh"
ROOT="$V2C_SOURCE_ROOT/tests/fixtures/alpine"

"$V2C" inspect --json "$ROOT" >"$TMP/alpine.json"
ok "inspect --json of the Alpine guest"
"$V2C" inspect "$ROOT" >"$TMP/alpine.txt"
ok "inspect (table) of the Alpine guest"
check "the table lists the OpenRC services" grep -qE '^nginx +openrc +stateless +80 ' "$TMP/alpine.txt"

check "the report passes the Alpine fixture checks" validate_report "$TMP/alpine.json" --expect alpine

"$V2C" inspect --json "$ROOT" >"$TMP/alpine2.json"
check "the same guest gives byte-identical JSON twice" cmp -s "$TMP/alpine.json" "$TMP/alpine2.json"
finish
