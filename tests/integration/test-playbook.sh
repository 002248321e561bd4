#!/usr/bin/env bash
# The rollout playbook's JSON Schema (docs/playbook.schema.json) and v2c's
# own parser (rollout/playbook.c, through `v2c rollout run`) against the
# samples: each sample must be valid to both, and small breakages of it (a
# tag instead of a digest, an unknown key, a weight above 100, a bad
# duration) must be refused by both, v2c with exit 3, the file, line and
# column, and before it writes a state directory.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
SCHEMA="$V2C_SOURCE_ROOT/docs/playbook.schema.json"

check "python3 has yaml and jsonschema" $PY -c 'import yaml, jsonschema'
check "the schema is a valid draft 2020-12 schema" $PY - "$SCHEMA" <<'PYEOF'
import json, sys, jsonschema
jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))
PYEOF

# validate SCHEMA YAML [EDIT]: EDIT is Python run on `doc` before checking.
# Exit status 3 when the document is invalid (anything else is a broken test).
validate() {
  $PY - "$@" <<'PYEOF'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
doc = yaml.safe_load(open(sys.argv[2]))
# JSON has no timestamps or non-string keys; make sure YAML gave none.
doc = json.loads(json.dumps(doc))
if len(sys.argv) > 3:
    exec(sys.argv[3])
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print("  " + "/".join(map(str, e.path)) + ": " + e.message[:200])
sys.exit(3 if errors else 0)
PYEOF
}

# v2c_reads PLAYBOOK STATE: `v2c rollout run`, which reads the whole
# playbook before it touches anything.  Every HAProxy socket of the copy it
# runs is moved to a path that does not exist, so a valid playbook stops,
# on any machine, at the first service's socket (exit 1), before the
# rollout's first journal record.  Its stderr in $TMP/v2c.err.
v2c_reads() {
  local rc=0
  sed "s|/run/v2c/haproxy.sock|$TMP/no-haproxy.sock|" "$1" >"$TMP/run.yaml"
  grep -q "$TMP/no-haproxy.sock" "$TMP/run.yaml" || { echo "# $1 names no /run/v2c/haproxy.sock"; return 2; }
  "$V2C" rollout run "$TMP/run.yaml" --state "$2" >/dev/null 2>"$TMP/v2c.err" || rc=$?
  return "$rc"
}

for sample in "$V2C_SOURCE_ROOT"/samples/rollout-*.yaml; do
  name=${sample##*/}
  check "$name is valid against the schema" validate "$SCHEMA" "$sample"
  rc=0; v2c_reads "$sample" "$TMP/st-$name" || rc=$?
  check_or_show "$TMP/v2c.err" "v2c reads $name: exit 1 at its first service's HAProxy socket, no complaint about the playbook" \
    sh -c "test $rc -eq 1 && test \$(wc -l <'$TMP/v2c.err') -eq 1 &&
           grep -q '^v2c: error: [a-z0-9-]*: HAProxy runtime API \`$TMP/no-haproxy.sock\`' '$TMP/v2c.err'"
  check "... and journals nothing" test ! -s "$TMP/st-$name/journal.jsonl"
done

canary="$V2C_SOURCE_ROOT/samples/rollout-canary.yaml"
svc='doc["waves"][0]["services"][0]'
# edited EDIT OUT: the canary sample, EDIT applied, written back as YAML.
edited() {
  $PY - "$canary" "$2" "$1" <<'PYEOF'
import json, sys, yaml
doc = json.loads(json.dumps(yaml.safe_load(open(sys.argv[1]))))
exec(sys.argv[3])
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False)
PYEOF
}
# The YAML round trip alone changes nothing either reader minds.
edited "pass" "$TMP/same.yaml"
rc=0; v2c_reads "$TMP/same.yaml" "$TMP/st-same" || rc=$?
check_or_show "$TMP/v2c.err" "the canary sample written back by python3-yaml: v2c still reads it (exit 1 at the socket)" \
  sh -c "test $rc -eq 1 && grep -q 'HAProxy runtime API' '$TMP/v2c.err'"
# refused DESCRIPTION EDIT V2C-MESSAGE: the schema refuses the edited
# sample, and so does v2c: exit 3, one line at the edit naming the problem
# (V2C-MESSAGE, a fixed string), no state directory.
refused() {
  local rc=0 n=$((++n_refused))
  validate "$SCHEMA" "$canary" "$2" >"$TMP/out" 2>&1 || rc=$?
  if [ "$rc" -eq 3 ]; then ok "the schema refuses $1"; else cat "$TMP/out"; not_ok "the schema refuses $1"; fi
  edited "$2" "$TMP/bad-$n.yaml"
  rc=0; v2c_reads "$TMP/bad-$n.yaml" "$TMP/st-bad-$n" || rc=$?
  check_or_show "$TMP/v2c.err" "v2c refuses $1: exit 3, at its line, saying $3" \
    sh -c "test $rc -eq 3 && grep -q '^v2c: error: $TMP/run.yaml:[0-9]*:[0-9]*: ' '$TMP/v2c.err' &&
           grep -qF -- \"\$1\" '$TMP/v2c.err' && test ! -e '$TMP/st-bad-$n'" sh "$3"
}
n_refused=0
refused "an image given by tag" "$svc[\"container\"][\"image\"] = \"127.0.0.1:5000/web01/webapp:1.4\"" \
  'is a tag, and a tag is refused'
refused "an image with a tag and a digest" "$svc[\"container\"][\"image\"] = \"127.0.0.1:5000/web01/webapp:1.4@sha256:\" + 64 * \"a\"" \
  'has a tag, and a tag is refused'
refused "an unknown key" "$svc[\"vm\"][\"endpiont\"] = \"127.0.0.1:1\"" 'unknown key `endpiont`'
refused "a weight above 100" "doc[\"strategy\"][\"canary\"][\"steps\"][1] = {\"setWeight\": 150}" \
  '`setWeight` must be from 0 to 100, not 150'
refused "a bad duration" "doc[\"strategy\"][\"canary\"][\"steps\"][2] = {\"pause\": \"1 minute\"}" \
  '`1 minute` is not a duration'
refused "a relative socket path" "$svc[\"router\"][\"socket\"] = \"run/haproxy.sock\"" \
  '`run/haproxy.sock` is not an absolute path'
refused "a condition that is not one" "doc[\"analyses\"][\"web-health\"][\"metrics\"][0][\"success_condition\"] = \"result = 0\"" \
  '`result = 0` is not a condition'
refused "two strategies at once" "doc[\"strategy\"][\"blueGreen\"] = {}" 'exactly one of `canary` or `blueGreen`'
refused "an empty wave" "doc[\"waves\"][0][\"services\"] = []" 'a wave needs at least one service'

finish
