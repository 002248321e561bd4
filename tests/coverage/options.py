#!/usr/bin/env python3
"""Every command and option the documentation names was run by a test.

    options.py V2C ARGV_LOG_DIR DOC.md...

V2C is the built binary: each command's `--help` is the reference of its
options.  The Markdown files add the command lines they show (`v2c CMD ...`
in code spans and blocks); an option they name that the command's help does
not list is an error too (the docs promise what v2c does not have).

ARGV_LOG_DIR holds what the tests ran (tests/coverage/v2c-traced: one file
per run, its arguments NUL-separated).  Each run is parsed as v2c parses it
(options anywhere before `--`, `--opt=value`, short options, the rollout
action), and every (command, option) pair the docs name must have been run
at least once.  Prints what was not, and exits 1 if anything was not.
"""
import glob
import os
import re
import subprocess
import sys

COMMANDS = ["inspect", "convert", "push", "pull", "rollout", "report", "kube-job", "help", "version"]
ROLLOUT_ACTIONS = ["run", "resume", "status", "approve", "abort", "rollback", "finalize"]
GLOBAL = {"-v": "--verbose", "-q": "--quiet", "-h": "--help"}
GLOBAL_LONG = {"--verbose", "--quiet", "--help", "--version", "--progress"}
# Common options that take a value (`--progress always` or `--progress=always`).
GLOBAL_TAKES = {"--progress"}

OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)(=\S+|(?: [A-Z][^\s,\]]*))?")
SHORT = re.compile(r"(?<![\w-])(-[a-zA-Z]), (--[a-z][a-z0-9-]*)")


def help_text(v2c, cmd):
    r = subprocess.run([v2c, cmd, "--help"], capture_output=True, text=True, env=dict(os.environ, LANG="C"))
    if r.returncode != 0:
        sys.exit(f"options.py: `v2c {cmd} --help` exits {r.returncode}")
    return r.stdout


def surface(v2c):
    """For each command: its options, which take an argument, its short ones."""
    cmds = {}
    for cmd in COMMANDS:
        text = help_text(v2c, cmd) if cmd not in ("help", "version") else ""
        # `v2c inspect --json` in convert's help is inspect's option.
        text = re.sub(r"`[^`]*`", "", text)
        opts, takes, short = set(), set(), {}
        for m in OPT.finditer(text):
            opts.add(m.group(1))
            if m.group(2):
                takes.add(m.group(1))
        for m in SHORT.finditer(text):
            short[m.group(1)] = m.group(2)
        # --tls-verify=false is written with its value, and takes one.
        if "--tls-verify" in opts:
            takes.add("--tls-verify")
        opts -= {"--help"}   # every command has it; listed once, globally
        cmds[cmd] = (opts, takes, short)
    return cmds


def parse(argv, cmds):
    """-> (command or 'rollout ACTION' or None, set of long options)."""
    cmd, seen, i = None, set(), 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            break
        if cmd is None or cmd == "rollout":
            if not a.startswith("-") or a == "-":
                if cmd is None and a in COMMANDS:
                    cmd = a
                    continue
                if cmd == "rollout" and a in ROLLOUT_ACTIONS:
                    cmd = "rollout " + a
                    continue
                if cmd is None:
                    return None, seen   # not a command: a usage error
        base = cmd.split()[0] if cmd else None
        opts, takes, short = cmds.get(base, (set(), set(), {}))
        if a.startswith("--") and len(a) > 2:
            name = a.split("=", 1)[0]
            seen.add(name)
            if "=" not in a and (name in takes or name in GLOBAL_TAKES):
                i += 1
        elif a.startswith("-") and len(a) > 1:
            # -vv, -s NAME, -sNAME
            for j, c in enumerate(a[1:]):
                s = "-" + c
                long = short.get(s) or GLOBAL.get(s)
                if long is None:
                    break
                seen.add(long)
                if long in takes:
                    if j == len(a) - 2:
                        i += 1
                    break
    return cmd, seen


def doc_lines(paths):
    """Command lines the docs show: code spans and code block lines."""
    for p in paths:
        text = open(p, encoding="utf-8").read()
        for m in re.finditer(r"`([^`\n]*\bv2c [^`\n]*)`", text):
            yield p, m.group(1)
        for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
            for line in re.sub(r"\\\n\s*", " ", block).splitlines():
                if re.search(r"(^|[\s/$])v2c ", line):
                    yield p, line


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: options.py V2C ARGV_LOG_DIR DOC.md...")
    v2c, logdir, docs = sys.argv[1], sys.argv[2], sys.argv[3:]
    cmds = surface(v2c)

    # What the docs name: every option of every command's help, every
    # command and rollout action, and what the Markdown shows.
    want = {}   # (command, option or None) -> where it is named
    for cmd, (opts, _, _) in cmds.items():
        if cmd == "rollout":
            for a in ROLLOUT_ACTIONS:
                want[("rollout " + a, None)] = "v2c rollout --help"
        else:
            want[(cmd, None)] = "v2c --help"
        for o in opts:
            want[(cmd, o)] = f"v2c {cmd} --help"
    for o in GLOBAL_LONG:
        want[("*", o)] = "v2c --help"
    errors = []
    for path, line in doc_lines(docs):
        words = line[line.index("v2c ") + 4:].split()
        if not words or words[0] not in COMMANDS:
            continue
        cmd = words[0]
        opts = cmds[cmd][0] | GLOBAL_LONG | {"--help"}
        if cmd == "rollout" and len(words) > 1 and words[1] in ROLLOUT_ACTIONS:
            want.setdefault(("rollout " + words[1], None), path)
        for m in OPT.finditer(" ".join(words[1:])):
            o = m.group(1)
            if o not in opts:
                errors.append(f"{path}: `{line.strip()}` names {o}, which `v2c {cmd} --help` does not list")

    # What the tests ran.
    ran = set()
    runs = 0
    for f in glob.glob(os.path.join(logdir, "argv.*")):
        with open(f, "rb") as fh:
            raw = fh.read()
        argv = [a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0")[:-1]]
        runs += 1
        cmd, seen = parse(argv, cmds)
        if cmd is None:
            for o in seen & GLOBAL_LONG:
                ran.add(("*", o))
            continue
        ran.add((cmd, None))
        base = cmd.split()[0]
        for o in seen:
            ran.add((base, o))
            if o in GLOBAL_LONG:
                ran.add(("*", o))
    if runs == 0:
        errors.append(f"{logdir}: no run of v2c recorded (was V2C_ARGV_LOG set for the tests?)")

    missing = sorted((k for k in want if k not in ran), key=lambda k: (k[0], k[1] or ""))
    for cmd, o in missing:
        what = f"v2c {cmd}" if o is None else (f"v2c {o}" if cmd == "*" else f"v2c {cmd} {o}")
        errors.append(f"never run by a test: {what} (named by {want[(cmd, o)]})")
    for e in errors:
        print("option coverage: " + e)
    print(f"option coverage: {len(want) - len(missing)} of {len(want)} documented commands and options "
          f"run by the tests ({runs} runs of v2c recorded)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
