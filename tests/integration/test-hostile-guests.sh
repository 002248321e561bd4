#!/usr/bin/env bash
# Hostile guests (as directories, built from the fixture root): each must
# be inspected to the end, quickly, with a valid report and no escape or
# blow-up.  One case per finding of the review of the first version.
. "$(dirname "$0")/lib.sh"
fixture_root
mk() { rm -rf "$TMP/$1"; cp -a "$FIXTURES/root" "$TMP/$1"; }
inspect() { # inspect NAME: JSON into $TMP/NAME.json, table into $TMP/NAME.txt
  timeout 60 "$V2C" inspect --json "$TMP/$1" >"$TMP/$1.json" 2>"$TMP/$1.err" &&
    timeout 60 "$V2C" inspect "$TMP/$1" >"$TMP/$1.txt" 2>>"$TMP/$1.err"
}
valid() { python3 -c "import json,jsonschema,sys; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))" \
  "$TMP/$1.json" "$V2C_SOURCE_ROOT/docs/inspect-report.schema.json"; }
enable() { ln -s "/etc/systemd/system/$2" "$TMP/$1/etc/systemd/system/multi-user.target.wants/$2"; }

# A pg_ctlcluster argument longer than any buffer.
mk pg
printf '[Service]\nExecStart=/usr/bin/pg_ctlcluster 1%s-main start\n' "$(head -c 3000 /dev/zero | tr '\0' A)" \
  >"$TMP/pg/etc/systemd/system/evilpg.service"
enable pg evilpg.service
check "a 3000-byte pg_ctlcluster argument: inspected" inspect pg
check "... and the report is valid" valid pg

# nginx includes a directory of links to itself.
mk inc
rm "$TMP/inc/etc/nginx/sites-enabled/default"
ln -s . "$TMP/inc/etc/nginx/sites-enabled/a"; ln -s . "$TMP/inc/etc/nginx/sites-enabled/b"
check "an include directory of self links: inspected within 60 s" inspect inc

# Bytes that are not UTF-8, and terminal escapes, in a crontab.
mk bin
printf '* * * * * root /usr/bin/foo \xff\xfe\x1b[31mRED\x1b[0m arg\n0 1 * * * ro\xffot /bin/true\n' \
  >"$TMP/bin/etc/cron.d/binjob"
check "non-UTF-8 bytes: inspected" inspect bin
check "... the report is valid JSON per the schema" valid bin
check "... the bytes are kept as \\xNN" grep -q 'ro\\\\xffot' "$TMP/bin.json"
check "... no escape byte reaches the terminal" sh -c "! grep -q \"\$(printf '\\033')\" '$TMP/bin.txt'"

# 6,000 cron jobs: more services than reported, not a failure.
mk many
python3 -c "open('$TMP/many/etc/cron.d/many','w').write('* * * * * root /bin/true\n'*6000)"
check "6000 cron jobs: inspected" inspect many
check "... with a warning that the rest is not reported" grep -q 'more than 5000 services' "$TMP/many.json"

# Drop-ins: /etc's instance drop-in beats /lib's template drop-in.
mk dropin
mkdir -p "$TMP/dropin/etc/systemd/system/tpl@x.service.d" "$TMP/dropin/usr/lib/systemd/system/tpl@.service.d"
printf '[Service]\nExecStart=/bin/from-unit\n' >"$TMP/dropin/usr/lib/systemd/system/tpl@.service"
printf '[Service]\nExecStart=\nExecStart=/bin/from-etc-instance\n' >"$TMP/dropin/etc/systemd/system/tpl@x.service.d/override.conf"
printf '[Service]\nExecStart=\nExecStart=/bin/from-lib-template\n' >"$TMP/dropin/usr/lib/systemd/system/tpl@.service.d/override.conf"
ln -s /lib/systemd/system/tpl@.service "$TMP/dropin/etc/systemd/system/multi-user.target.wants/tpl@x.service"
check "drop-ins: inspected" inspect dropin
check "... the /etc instance drop-in wins" grep -q '"/bin/from-etc-instance"' "$TMP/dropin.json"

# An ExecStart that names a FIFO.
mk fifo
mkfifo "$TMP/fifo/usr/local/bin/fifoexe"
printf '[Service]\nExecStart=/usr/local/bin/fifoexe\n' >"$TMP/fifo/etc/systemd/system/fifo.service"
enable fifo fifo.service
check "a FIFO as executable: inspected, nothing blocks" inspect fifo
check "... reported as not a regular file" grep -q 'fifoexe is not a regular file' "$TMP/fifo.json"

# A 1 MiB /etc/passwd.
mk pw
python3 -c "
import sys; d=open('$TMP/pw/etc/passwd').read(); open('$TMP/pw/etc/passwd','w').write('a\n'*(500000)+d)"
check "a 1 MiB passwd: inspected (within the 60 s guard)" inspect pw
check "... users still found (webapp runs as webapp)" grep -q '"user": "webapp"' "$TMP/pw.json"
finish
