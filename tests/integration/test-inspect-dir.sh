#!/usr/bin/env bash
# v2c inspect on the fixture guest as a directory and as a tar archive:
# the report says what the fixture holds (validate-report.py), is
# byte-identical run after run and across the two readers, and never prints
# a secret's value.  Its match with tests/expected/debian.json is checked
# with every other fixture guest's, by test-expected-reports.sh.
. "$(dirname "$0")/lib.sh"
fixture_root

"$V2C" inspect --json "$FIXTURES/root" >"$TMP/dir.json"
ok "inspect --json of the directory guest"
"$V2C" inspect "$FIXTURES/root" >"$TMP/dir.txt"
ok "inspect (table) of the directory guest"
check "the report and the table pass the fixture checks" \
  validate_report "$TMP/dir.json" --expect debian --secret-values "$FIXTURES/secret-values.txt" --text "$TMP/dir.txt"
check "the table has a header row" grep -qE '^NAME +KIND +CLASS +PORTS +USER +COMMAND' "$TMP/dir.txt"
check "the text report lists hello-server's file capability" \
  grep -qE '^  hello +/usr/local/bin/hello-server +CAP_NET_BIND_SERVICE$' "$TMP/dir.txt"
check "the table ends its service list with counts" grep -qE '^[0-9]+ services: [0-9]+ stateless, [0-9]+ stateful, [0-9]+ system' "$TMP/dir.txt"

check "config_digests are the sha256 of the guest's files (nginx.conf)" python3 -c '
import hashlib, json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
want = "sha256:" + hashlib.sha256(open(sys.argv[2] + "/etc/nginx/nginx.conf", "rb").read()).hexdigest()
sys.exit(s["nginx"]["config_digests"].get("/etc/nginx/nginx.conf") != want)' "$TMP/dir.json" "$FIXTURES/root"
check "package_versions are the database's (nginx)" python3 -c '
import json, re, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
st = open(sys.argv[2] + "/var/lib/dpkg/status").read()
m = re.search(r"^Package: nginx\n(?:[^\n]+\n)*?Version: (\S+)", st, re.M)
sys.exit(m is None or s["nginx"]["package_versions"].get("nginx") != m.group(1))' "$TMP/dir.json" "$FIXTURES/root"

"$V2C" inspect --json "$FIXTURES/root" >"$TMP/dir2.json"
check "the same guest gives byte-identical JSON twice" cmp -s "$TMP/dir.json" "$TMP/dir2.json"

"$V2C" inspect --json "$FIXTURES/root.tar" >"$TMP/tar.json"
sed 's/"source": "tar"/"source": "directory"/' "$TMP/tar.json" >"$TMP/tar-as-dir.json"
if cmp -s "$TMP/dir.json" "$TMP/tar-as-dir.json"; then ok "the tar reader gives the same report as the directory reader"
else diff -u "$TMP/dir.json" "$TMP/tar-as-dir.json" | head -40; not_ok "tar and directory reports differ"; fi

"$V2C" inspect --json -o "$TMP/out.json" "$FIXTURES/root.tar"
check "-o writes the same report to a file" cmp -s "$TMP/tar.json" "$TMP/out.json"
check "-o leaves no temporary file behind" test "$(ls "$TMP" | grep -c v2c-tmp)" -eq 0

# memcached is installed but not enabled: --all lists it, and Debian's unit
# runs it through a wrapper that reads /etc/memcached.conf.
"$V2C" inspect --all --json "$FIXTURES/root" >"$TMP/all.json"
check "--all: memcached (through its wrapper) listens on 11211 from /etc/memcached.conf" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
sys.exit(s["memcached"]["ports"] != [{"port": 11211, "proto": "tcp", "source": "config:/etc/memcached.conf"}])' "$TMP/all.json"
check "--all: no oneshot wrapper of postfix or postgresql instances is listed" python3 -c '
import json, sys
s = {x["name"] for x in json.load(open(sys.argv[1]))["services"]}
sys.exit("postfix" in s or "postgresql" in s or "postfix@-" not in s)' "$TMP/all.json"
check "--all: postfix-resolvconf (a hook named postfix) is no mail server" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
sys.exit(s["postfix-resolvconf"]["ports"] != [])' "$TMP/all.json"

# A PAM rule "password include su" is no password: util-linux's
# /etc/pam.d/su-l is read (a conffile of getty's package) and not reported.
check "getty@tty1 reads util-linux's /etc/pam.d/su-l" python3 -c '
import json, sys
s = {x["name"]: x for x in json.load(open(sys.argv[1]))["services"]}
sys.exit("/etc/pam.d/su-l" not in s["getty@tty1"]["config_files"])' "$TMP/dir.json"
check "no file of /etc/pam.d is reported as a secret" python3 -c '
import json, sys
sys.exit(any(x["path"].startswith("/etc/pam.d/") for x in json.load(open(sys.argv[1]))["secrets"]))' "$TMP/dir.json"
finish
