#!/usr/bin/env bash
# Stateful or not, from what a service's own programs write (issue 10,
# defect 4): on the fixture guest, a SysV daemon whose init script appends
# under /var/lib/NAME, a Python app opening a SQLite database, a shell
# script writing under /srv and a cron job redirecting its output there
# are stateful, with the file and line that decided; a daemon with no port
# whose program cannot be read is "review"; a script that writes only /run
# and its output stays stateless.  convert
# refuses stateful and review services alike (exit 4, with the reasons),
# and --all-stateless skips a review service with a note.
. "$(dirname "$0")/lib.sh"
fixture_root
src="$FIXTURES/root"

"$V2C" inspect --json "$src" >"$TMP/r.json"
ok "inspect --json of the fixture"
# One Python run for every check of the report (each start costs seconds
# on a loaded machine): prints ok/not ok lines, counted below.
python3 - "$TMP/r.json" >"$TMP/checks" <<'PY'
import json, sys
svc = {s["name"]: s for s in json.load(open(sys.argv[1]))["services"]}
def check(desc, name, cond):
    s = svc.get(name)
    try:
        good = s is not None and cond(s)
    except Exception:
        good = False
    got = (s["class"], s["reasons"]) if s else "no such service"
    print(("ok - " if good else "not ok - ") + desc + ("" if good else " (got: %r)" % (got,)))
check("ledger (SysV, appends under /var/lib/ledger) is stateful", "ledger", lambda s: s["class"] == "stateful")
check("... the reason names the init script's line", "ledger",
      lambda s: "appends to /var/lib/ledger/events.log (/etc/init.d/ledger:26)" in s["reasons"])
check("... /var/lib/ledger is its data path", "ledger", lambda s: s["data_paths"] == ["/var/lib/ledger"])
check("notes (Python, sqlite3.connect) is stateful", "notes", lambda s: s["class"] == "stateful")
check("... the reason names the database and the line", "notes",
      lambda s: "opens the database /opt/notes-app/notes.db (/opt/notes-app/notes.py:15)" in s["reasons"])
check("uploads-sync (shell, writes /srv/uploads) is stateful", "uploads-sync", lambda s: s["class"] == "stateful")
check("... the reason names tee -a and its line", "uploads-sync",
      lambda s: "appends to /srv/uploads/sync.log (/usr/local/bin/uploads-sync.sh:12)" in s["reasons"])
check("sync-agent (no port, compiled program) is review", "sync-agent", lambda s: s["class"] == "review")
check("... the reason says what is unknown", "sync-agent",
      lambda s: any("cannot read" in x for x in s["reasons"]) and any("check before converting" in x for x in s["reasons"]))
check("heartbeat (no port, writes only /run and stdout) stays stateless", "heartbeat", lambda s: s["class"] == "stateless")
check("... because its script was read", "heartbeat",
      lambda s: any("/usr/local/bin/heartbeat.sh" in x for x in s["reasons"]))
check("legacy-app (SysV, writes nothing) stays stateless", "legacy-app", lambda s: s["class"] == "stateless")
check("a cron job redirecting into /srv is stateful, citing the crontab's line", "cron:webapp:7",
      lambda s: s["class"] == "stateful" and "writes /srv/reports/daily.txt (/var/spool/cron/crontabs/webapp:7)" in s["reasons"])
PY
while IFS= read -r line; do
  case $line in
  "ok - "*) ok "${line#ok - }" ;;
  *) not_ok "${line#not ok - }" ;;
  esac
done <"$TMP/checks"
[ -s "$TMP/checks" ] || not_ok "the report checks ran"
"$V2C" inspect "$src" >"$TMP/r.txt"
check "the table shows the review class and counts it" \
  sh -c "grep -qE '^sync-agent +systemd +review ' '$TMP/r.txt' && grep -qE '^[0-9]+ services: .*, [0-9]+ review$' '$TMP/r.txt'"

# --- convert ---------------------------------------------------------------------------
set +e
"$V2C" convert -s ledger -o "$TMP/l" "$src" >/dev/null 2>"$TMP/l.err"; st=$?
set -e
check "convert -s ledger is refused (exit 4)" test "$st" -eq 4
check "... saying why, with the init script's line" grep -q '/etc/init.d/ledger:26' "$TMP/l.err"
set +e
"$V2C" convert -s sync-agent -o "$TMP/s" "$src" >/dev/null 2>"$TMP/s.err"; st=$?
set -e
check "convert -s sync-agent (review) is refused (exit 4)" test "$st" -eq 4
check "... with the reasons and the way out" \
  sh -c "grep -q 'class review' '$TMP/s.err' && grep -q 'cannot read' '$TMP/s.err' && grep -q -- '--allow-stateful' '$TMP/s.err'"
check "... and writes nothing" test ! -e "$TMP/s"
"$V2C" convert -s ledger --allow-stateful -o "$TMP/l" "$src" >/dev/null 2>"$TMP/l2.err" \
  || { cat "$TMP/l2.err"; not_ok "convert -s ledger --allow-stateful"; }
check "--allow-stateful: /var/lib/ledger becomes a volume" \
  sh -c "grep -rqF '\"Volumes\":{\"/var/lib/ledger\":{}}' '$TMP/l/blobs/sha256'"
"$V2C" convert --all-stateless -o "$TMP/a" "$src" >"$TMP/a.out" 2>"$TMP/a.err"
ok "convert --all-stateless"
check "... converts the stateless heartbeat" grep -q '^heartbeat	sha256:' "$TMP/a.out"
check "... but not ledger, notes, uploads-sync or sync-agent" \
  sh -c "! grep -qE '^(ledger|notes|uploads-sync|sync-agent)	' '$TMP/a.out'"
check "... and says it skipped sync-agent (review)" grep -q 'skipped sync-agent: .*class review' "$TMP/a.err"
finish
