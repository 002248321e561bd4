#!/usr/bin/env bash
# The rollout playbook's JSON Schema (docs/playbook.schema.json) against
# the samples: each sample YAML, read by python3-yaml and written as JSON,
# must be valid, and small breakages of it (a tag instead of a digest, an
# unknown key, a weight above 100, a bad duration) must not be.
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

for sample in "$V2C_SOURCE_ROOT"/samples/rollout-*.yaml; do
  name=${sample##*/}
  check "$name is valid against the schema" validate "$SCHEMA" "$sample"
done

canary="$V2C_SOURCE_ROOT/samples/rollout-canary.yaml"
svc='doc["waves"][0]["services"][0]'
refused() { # refused DESCRIPTION EDIT
  local rc=0
  validate "$SCHEMA" "$canary" "$2" >"$TMP/out" 2>&1 || rc=$?
  if [ "$rc" -eq 3 ]; then ok "the schema refuses $1"; else cat "$TMP/out"; not_ok "the schema refuses $1"; fi
}
refused "an image given by tag" "$svc[\"container\"][\"image\"] = \"127.0.0.1:5000/web01/webapp:1.4\""
refused "an image with a tag and a digest" "$svc[\"container\"][\"image\"] = \"127.0.0.1:5000/web01/webapp:1.4@sha256:\" + 64 * \"a\""
refused "an unknown key" "$svc[\"vm\"][\"endpiont\"] = \"127.0.0.1:1\""
refused "a weight above 100" "doc[\"strategy\"][\"canary\"][\"steps\"][1] = {\"setWeight\": 150}"
refused "a bad duration" "doc[\"strategy\"][\"canary\"][\"steps\"][2] = {\"pause\": \"1 minute\"}"
refused "a relative socket path" "$svc[\"router\"][\"socket\"] = \"run/haproxy.sock\""
refused "a condition that is not one" "doc[\"analyses\"][\"web-health\"][\"metrics\"][0][\"success_condition\"] = \"result = 0\""
refused "two strategies at once" "doc[\"strategy\"][\"blueGreen\"] = {}"
refused "an empty wave" "doc[\"waves\"][0][\"services\"] = []"

finish
