#!/usr/bin/env python3
"""The module order docs/ARCHITECTURE.md writes down, checked on the code.

    check-layers.py SOURCE_ROOT

  common <- inspect | convert | registry <- rollout <- cli

1. Includes: a module's sources include only their own headers, the
   public headers of the modules below it (never a peer's, never one
   above), and no other module's internal header.  A module's public
   headers are those in MODULE/include/, the directory its meson
   dependency exports (the build itself then keeps the others out of
   reach); common/'s are all but those in common/internal/.
2. The build: each module's meson.build links only the *_dep of the
   modules below it.
3. The document: every source file of the modules is named in
   docs/ARCHITECTURE.md (`name.c`, `name.[ch]`, ...), and every source file
   it names exists.

Prints one line per breach and exits 1 if there is any.
"""
import glob
import os
import re
import sys

RANK = {"common": 0, "inspect": 1, "convert": 1, "registry": 1, "rollout": 2, "cli": 3}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_files(root, mod):
    return sorted(glob.glob(os.path.join(root, mod, "**", "*.[ch]"), recursive=True))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    errors = []
    owner = {}   # header basename -> module
    public_headers = set()   # (module, basename)
    for mod in RANK:
        for f in module_files(root, mod):
            if f.endswith(".h"):
                name = os.path.basename(f)
                if name in owner and owner[name] != mod:
                    errors.append(f"{mod}/{name}: a header of that name is in {owner[name]}/ too")
                owner[name] = mod
                parts = os.path.relpath(f, os.path.join(root, mod)).split(os.sep)
                if (mod == "common" and parts[0] != "internal") or (mod != "common" and parts[0] == "include"):
                    public_headers.add((mod, name))

    def public(mod, header):
        return (mod, header) in public_headers

    # 1. includes
    n_includes = 0
    for mod in RANK:
        for f in module_files(root, mod):
            rel = os.path.relpath(f, root)
            for inc in INCLUDE.findall(open(f, encoding="utf-8", errors="replace").read()):
                n_includes += 1
                h = os.path.basename(inc)
                other = owner.get(h)
                if other is None:
                    continue   # generated (version.h...)
                if other == mod:
                    if (mod, os.path.basename(f)) in public_headers and f.endswith(".h") and not public(mod, h):
                        errors.append(f"{rel}: a public header includes {h}, internal to {mod}")
                    continue
                if RANK[other] >= RANK[mod]:
                    errors.append(f"{rel}: includes {other}/{h}, but {mod} comes before {other} "
                                  f"(common <- inspect | convert | registry <- rollout <- cli)")
                elif not public(other, h):
                    errors.append(f"{rel}: includes {other}/{h}, a header internal to {other}")

    # 2. the build
    for mod in RANK:
        mb = os.path.join(root, mod, "meson.build")
        if not os.path.exists(mb):
            continue
        text = re.sub(r"#.*", "", open(mb, encoding="utf-8").read())
        for dep in set(re.findall(r"\b(\w+)_dep\b", text)):
            if dep in RANK and dep != mod and RANK[dep] >= RANK[mod]:
                errors.append(f"{mod}/meson.build: uses {dep}_dep, but {mod} comes before {dep}")

    # 3. the document
    doc_path = os.path.join(root, "docs", "ARCHITECTURE.md")
    doc = open(doc_path, encoding="utf-8").read()
    named = set()
    for m in re.finditer(r"([\w.-]+)\.(\[ch\]|c|h)(?!\w)", doc):
        base, ext = m.group(1), m.group(2)
        for e in (("c", "h") if ext == "[ch]" else (ext,)):
            named.add(f"{base}.{e}")
    for mod in RANK:
        for f in module_files(root, mod):
            if os.path.basename(f) not in named:
                errors.append(f"{os.path.relpath(f, root)}: not named in docs/ARCHITECTURE.md")
    tree = {os.path.basename(f) for f in glob.glob(os.path.join(root, "**", "*.[ch]"), recursive=True)
            if "/build" not in os.path.relpath(f, root).join("/ ")}
    for m in re.finditer(r"`([\w-]+)\.(\[ch\]|c|h)`", doc):
        base, ext = m.group(1), m.group(2)
        for e in (("c", "h") if ext == "[ch]" else (ext,)):
            if ext != "[ch]" and f"{base}.{e}" not in tree:
                errors.append(f"docs/ARCHITECTURE.md: names `{base}.{e}`, which no source file is")
        if ext == "[ch]" and f"{base}.c" not in tree and f"{base}.h" not in tree:
            errors.append(f"docs/ARCHITECTURE.md: names `{base}.[ch]`, which no source file is")

    for e in errors:
        print("layers: " + e)
    print(f"layers: {n_includes} includes of {len(RANK)} modules checked against the order, "
          f"{len(errors)} breaches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
