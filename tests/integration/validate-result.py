#!/usr/bin/env python3
"""The one validator of the --json results of convert, push, pull and
rollout run/resume (docs/*-result.schema.json): every test that asks for one
runs it (tests/integration/lib.sh's validate_result).

usage: validate-result.py KIND STDOUT_FILE [PYTHON_CHECK...]

KIND: convert, push, pull or rollout (docs/KIND-result.schema.json), or
rollout-status (docs/rollout-status.schema.json), or fleet-report
(docs/fleet-report.schema.json, `v2c report --json`).
Checks that STDOUT_FILE holds one JSON document and nothing else (what a
program piping `v2c ... --json` into a JSON parser gets), that its keys
come in the order the schema lists them (stable output: the same result
gives the same bytes), and that it validates against the schema (draft
2020-12).  Each PYTHON_CHECK is "DESCRIPTION::EXPRESSION", an expression of
`doc` (the document), `blob(digest)` (the bytes of a blob of `layout`,
the document's layout directory when it has one), `index(name)` (the
manifest digests index.json gives image NAME) and `manifest(digest)` (a
manifest blob, parsed), checked true.  Prints one line per check ("ok - ", "not ok - "); exits 1 if any
fails.
"""
import hashlib
import json
import os
import sys

import jsonschema
import referencing

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
fails = 0


def check(desc, cond):
    global fails
    print(("ok - " if cond else "not ok - ") + desc)
    if not cond:
        fails += 1


def key_order(doc, schema, defs, where="$"):
    """The first object of DOC whose keys do not follow the order of its
    schema's "properties", or None.  DEFS: the "$defs" of each schema by
    its $id, "" for the document's own."""
    if "$ref" in schema:
        # "#/$defs/NAME" here, or "ID#/$defs/NAME" in another schema of docs/
        base, _, frag = schema["$ref"].partition("#")
        if base:  # within that schema, "#/..." is its own
            defs = dict(defs, **{"": defs[base]})
        schema = defs[""][frag.rsplit("/", 1)[1]]
    if isinstance(doc, dict) and "properties" in schema:
        order = list(schema["properties"])
        keys = [k for k in doc if k in order]
        if keys != sorted(keys, key=order.index):
            return "%s: %s" % (where, keys)
        for k, v in doc.items():
            bad = key_order(v, schema["properties"].get(k, {}), defs, where + "." + k)
            if bad:
                return bad
    if isinstance(doc, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(doc):
            bad = key_order(v, schema["items"], defs, "%s[%d]" % (where, i))
            if bad:
                return bad
    return None


def main():
    if len(sys.argv) < 3:
        print("usage: validate-result.py KIND STDOUT_FILE [DESCRIPTION::EXPRESSION...]", file=sys.stderr)
        return 2
    kind, path = sys.argv[1], sys.argv[2]
    # rollout-status: `rollout status --json`, whose services are those of
    # the rollout result (its schema refers to that one's by $id).
    name = kind + (".schema.json" if kind in ("rollout-status", "fleet-report") else "-result.schema.json")
    schema = json.load(open(os.path.join(DOCS, name)))
    jsonschema.Draft202012Validator.check_schema(schema)
    others = [json.load(open(os.path.join(DOCS, f))) for f in sorted(os.listdir(DOCS)) if f.endswith(".schema.json")]
    registry = referencing.Registry().with_resources(
        (o["$id"], referencing.Resource.from_contents(o)) for o in others if "$id" in o)
    defs = {"": schema.get("$defs", {})}
    defs.update((o["$id"], o.get("$defs", {})) for o in others if "$id" in o)
    raw = open(path, "rb").read()
    try:
        doc = json.loads(raw.decode("utf-8"))
        check("stdout is one JSON document and nothing else (%d bytes)" % len(raw), True)
    except ValueError as e:
        check("stdout is one JSON document and nothing else: %s (%r...)" % (e, raw[:80]), False)
        return 1
    errors = sorted(jsonschema.Draft202012Validator(schema, registry=registry).iter_errors(doc),
                    key=lambda e: list(e.absolute_path))
    for e in errors[:5]:
        print("#   %s at %s" % (e.message, "/".join(map(str, e.absolute_path))))
    check("it validates against docs/%s" % name, not errors)
    if errors:
        return 1
    bad = key_order(doc, schema, defs)
    check("its keys come in the schema's order%s" % ("" if bad is None else " (not %s)" % bad), bad is None)
    layout = doc.get("layout") if isinstance(doc, dict) else None

    def blob(digest, where=None):
        with open(os.path.join(where or layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
            return f.read()

    def index(name, where=None):
        with open(os.path.join(where or layout, "index.json")) as f:
            return [m["digest"] for m in json.load(f)["manifests"]
                    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name]

    def manifest(digest, where=None):
        return json.loads(blob(digest, where))

    for arg in sys.argv[3:]:
        desc, _, expr = arg.partition("::")
        try:
            good = bool(eval(expr, {"doc": doc, "blob": blob, "index": index, "manifest": manifest, "layout": layout,
                                   "json": json, "os": os, "hashlib": hashlib}))
        except Exception as e:  # a check that cannot even be computed failed
            print("#   %s: %r" % (type(e).__name__, e))
            good = False
        check(desc, good)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
