#!/usr/bin/env python3
"""The form in which tests/expected/ holds a guest's report
(test-expected-reports.sh compares every fixture guest with its file;
test-real-guests.sh uses `summary` too).

usage: expected-report.py full REPORT
       expected-report.py delta BASE REPORT
       expected-report.py summary REPORT
       expected-report.py detail REPORT

full     the report itself, byte for byte (the small fixtures: debian,
         alpine).
delta    what REPORT says that BASE does not (a hostile guest is the Debian
         fixture with one thing changed: its file says what that change did
         to the report, not 57 KB repeated): the top-level fields that
         differ, the services and secrets added, removed or changed (field by
         field), the warnings added and removed.  A run of more than two
         added items that differ only in their numbers (6000 cron jobs) is
         written once with its length, first and last.
summary  one line per service, "NAME CLASS PORTS" (ports sorted,
         PORT/PROTO), by name: for the realistic guests, whose package
         versions follow Debian's archive while their classes and ports
         must not.
detail   the OS line (distribution, version, ID_LIKE, SELinux, package
         format and count), then per service "NAME CLASS PORTS user=USER
         packages=A,B,...", then the secrets: for the rpm-family guests,
         whose package names and closures are the point, and whose
         versions follow the Debian payloads they are built from.

In full and delta, the config_digests of the files build-root.sh makes
anew for each build (GENERATED: a certificate of a key it generates) read
"sha256:" and 64 zeros: their content differs from one build to the next.
"""
import json
import re
import sys

GENERATED = ("/etc/ssl/certs/web01.crt",)
GENERATED_DIGEST = "sha256:" + "0" * 64


def stable(rep):
    """REP with the digests of GENERATED files replaced (in place)."""
    for s in rep.get("services", []):
        for p in GENERATED:
            if p in s.get("config_digests", {}):
                s["config_digests"][p] = GENERATED_DIGEST
    return rep


def stable_text(text):
    """The same, on the report's bytes: the rest stays byte for byte."""
    for p in GENERATED:
        text = re.sub(r'("%s": )"sha256:[0-9a-f]{64}"' % re.escape(p), r'\1"%s"' % GENERATED_DIGEST, text)
    return text


def summary(rep):
    out = []
    for s in sorted(rep["services"], key=lambda s: s["name"]):
        ports = sorted({(p["port"], p["proto"]) for p in s["ports"]})
        out.append("%s %s %s\n" % (s["name"], s["class"], ",".join("%d/%s" % p for p in ports) or "-"))
    return "".join(out)


def detail(rep):
    o = rep["os"]
    out = ["os %s %s like=%s selinux=%s/%s %s packages=%d arch=%s init=%s\n" % (
        o["distro"], o["version"], ",".join(o.get("id_like") or []) or "-", o.get("selinux"),
        o.get("selinux_policy"), o["package_format"], o["packages"], o["arch"], o["init"])]
    for s in sorted(rep["services"], key=lambda s: s["name"]):
        ports = sorted({(p["port"], p["proto"]) for p in s["ports"]})
        out.append("%s %s %s user=%s packages=%s\n" % (
            s["name"], s["class"], ",".join("%d/%s" % p for p in ports) or "-", s["user"] or "root",
            ",".join(s["packages"]) or "-"))
    for x in sorted(rep["secrets"], key=lambda x: (x["path"], x["kind"])):
        out.append("secret %s %s %s\n" % (x["kind"], x["path"], ",".join(x["services"]) or "-"))
    return "".join(out)


def runs(items):
    """items, with runs of more than two that differ only in numbers
    collapsed to {"run": N, "first": ..., "last": ...}."""
    shape = lambda x: re.sub(r"\d+", "N", json.dumps(x, sort_keys=True))
    out, i = [], 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and shape(items[j + 1]) == shape(items[i]):
            j += 1
        if j - i + 1 > 2:
            out.append({"run": j - i + 1, "first": items[i], "last": items[j]})
        else:
            out.extend(items[i:j + 1])
        i = j + 1
    return out


def keyed_delta(base, rep, key):
    b = {key(x): x for x in base}
    r = {key(x): x for x in rep}
    d = {}
    added = [x for x in rep if key(x) not in b]
    removed = [" ".join(key(x)) for x in base if key(x) not in r]
    changed = {}
    for x in rep:
        k = key(x)
        if k in b and b[k] != x:
            changed[" ".join(k)] = {f: {"was": b[k].get(f), "now": x.get(f)}
                                   for f in list(b[k]) + [f for f in x if f not in b[k]]
                                   if b[k].get(f) != x.get(f)}
    if added:
        d["added"] = runs(added)
    if removed:
        d["removed"] = removed
    if changed:
        d["changed"] = changed
    return d


def delta(base, rep):
    d = {k: v for k, v in rep.items() if k not in ("services", "secrets", "warnings") and base.get(k) != v}
    gone = [k for k in base if k not in rep]
    if gone:
        d["fields removed"] = gone
    for field, key in (("services", lambda s: (s["name"], s["kind"])), ("secrets", lambda s: (s["path"], s["kind"]))):
        x = keyed_delta(base[field], rep[field], key)
        if x:
            d[field] = x
    w = {}
    added = [x for x in rep["warnings"] if x not in base["warnings"]]
    removed = [x for x in base["warnings"] if x not in rep["warnings"]]
    if added:
        w["added"] = runs(added)
    if removed:
        w["removed"] = runs(removed)
    if w:
        d["warnings"] = w
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    load = lambda p: stable(json.load(open(p, encoding="utf-8")))
    if len(argv) == 3 and argv[1] == "full":
        sys.stdout.write(stable_text(open(argv[2], encoding="utf-8").read()))
    elif len(argv) == 4 and argv[1] == "delta":
        sys.stdout.write(delta(load(argv[2]), load(argv[3])))
    elif len(argv) == 3 and argv[1] == "summary":
        sys.stdout.write(summary(load(argv[2])))
    elif len(argv) == 3 and argv[1] == "detail":
        sys.stdout.write(detail(load(argv[2])))
    else:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
