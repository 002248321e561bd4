#!/usr/bin/env bash
# Hostile guests (as directories, built from the fixture root): each must
# be inspected to the end, quickly, with a valid report and no escape or
# blow-up.  One case per finding of the review of the first version.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile-guests-lib.sh"
fixture_root
mk() { hostile_build "$1" "$TMP/$1"; }
inspect() { # inspect NAME: JSON into $TMP/NAME.json, table into $TMP/NAME.txt
  timeout 60 "$V2C" inspect --json "$TMP/$1" >"$TMP/$1.json" 2>"$TMP/$1.err" &&
    timeout 60 "$V2C" inspect "$TMP/$1" >"$TMP/$1.txt" 2>>"$TMP/$1.err"
}
valid() { validate_report "$TMP/$1.json"; }

# A pg_ctlcluster argument longer than any buffer.
mk pg
check "a 3000-byte pg_ctlcluster argument: inspected" inspect pg
check "... and the report is valid" valid pg

# nginx includes a directory of links to itself.
mk inc
check "an include directory of self links: inspected within 60 s" inspect inc

# Bytes that are not UTF-8, and terminal escapes, in a crontab.
mk bin
check "non-UTF-8 bytes: inspected" inspect bin
check "... the report is valid JSON per the schema" valid bin
check "... the bytes are kept as \\xNN" grep -q 'ro\\\\xffot' "$TMP/bin.json"
check "... no escape byte reaches the terminal" sh -c "! grep -q \"\$(printf '\\033')\" '$TMP/bin.txt'"

# 6,000 cron jobs: more services than reported, not a failure.
mk many
check "6000 cron jobs: inspected" inspect many
check "... with a warning that the rest is not reported" grep -q 'more than 5000 services' "$TMP/many.json"

# Drop-ins: /etc's instance drop-in beats /lib's template drop-in.
mk dropin
check "drop-ins: inspected" inspect dropin
check "... the /etc instance drop-in wins" grep -q '"/bin/from-etc-instance"' "$TMP/dropin.json"

# An ExecStart that names a FIFO.
mk fifo
check "a FIFO as executable: inspected, nothing blocks" inspect fifo
check "... reported as not a regular file" grep -q 'fifoexe is not a regular file' "$TMP/fifo.json"

# A 1 MiB /etc/passwd.
mk pw
check "a 1 MiB passwd: inspected (within the 60 s guard)" inspect pw
check "... users still found (webapp runs as webapp)" grep -q '"user": "webapp"' "$TMP/pw.json"
finish
