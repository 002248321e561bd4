#!/usr/bin/env bash
# Plants every curated bug of tests/mutants/ and checks that the suite
# catches it.  Each NAME.patch starts with
#   # mutant: what the planted bug does
#   # killed-by: TEST [TEST...]      (meson test names, fastest first)
# then a unified diff for `patch -p1` from the repository root.
#
# The patches are applied one at a time to a scratch copy of the source
# (never to this checkout), rebuilt incrementally (one build directory for
# all of them: only what a patch touches is recompiled), and the named tests
# are run one by one until one fails: that test killed the mutant.  A
# mutant that every named test passes SURVIVED, and fails the run; so does a
# patch that no longer applies or builds (the guard it plants a bug in has
# moved: the patch must follow it).
#
#   tests/mutants/run.sh [SCRATCH_DIR] [NAME...]
# SCRATCH_DIR defaults to build-mutants/ (kept between runs, so ccache and
# ninja make later runs fast).  Prints one line per mutant and a total.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${1:-$root/build-mutants}
# Absolute: the patches are applied from inside the copy.
case $scratch in /*) ;; *) scratch=$PWD/$scratch ;; esac
shift $(( $# > 0 ? 1 : 0 ))
src=$scratch/src
# The build directory sits in the copy as build/ does in the checkout:
# compilers then see the same relative paths, and with CCACHE_BASEDIR at
# the checkout ccache serves the copy's first build from the checkout's.
build=$src/build
# A test stops at its first failed check (tests/integration/lib.sh).
export V2C_FAIL_FAST=1
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
log=$scratch/log
mkdir -p "$scratch" "$log"
# One run per scratch directory: two would patch the same copy.
exec 9>"$scratch/lock"
flock -n 9 || { echo "mutants: $scratch is in use by another run" >&2; exit 1; }

# A fresh copy of the tracked sources: a mutant must never touch the
# checkout, and an earlier mutant must never leak into the next one.
copy_sources() {
  rm -rf "$src.new" && mkdir -p "$src.new" || return 1
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
      tar --null --no-recursion -T - -cf -) | tar -xf - -C "$src.new" || return 1
  else
    tar -C "$root" --exclude='./build*' -cf - . | tar -xf - -C "$src.new" || return 1
  fi
  # Changed files only, given the current time: ninja then rebuilds exactly
  # what differs from the last build, a file restored after a mutant too.
  python3 - "$src.new" "$src" <<'PY' && rm -rf "$src.new"
import filecmp, os, shutil, sys
new, cur = sys.argv[1], sys.argv[2]
os.makedirs(cur, exist_ok=True)
seen = set()
for d, dirs, files in os.walk(new):
    rel = os.path.relpath(d, new)
    os.makedirs(os.path.join(cur, rel), exist_ok=True)
    for f in files:
        a, b = os.path.join(d, f), os.path.normpath(os.path.join(cur, rel, f))
        seen.add(b)
        if os.path.islink(a) or not os.path.isfile(b) or not filecmp.cmp(a, b, shallow=False):
            if os.path.lexists(b):
                os.remove(b)
            shutil.copy2(a, b, follow_symlinks=False)
            if not os.path.islink(b):
                os.utime(b)
for d, dirs, files in os.walk(cur):
    if d == cur and "build" in dirs:
        dirs.remove("build")
    for f in files:
        b = os.path.normpath(os.path.join(d, f))
        if b not in seen:
            os.remove(b)
PY
}

if ! copy_sources; then
  echo "mutants: cannot copy the sources to $src" >&2
  exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
  meson setup --werror "$build" "$src" >"$log/setup.log" 2>&1 || { cat "$log/setup.log" >&2; exit 1; }
fi
if ! ninja -C "$build" >"$log/build.log" 2>&1; then
  echo "mutants: the unmodified copy does not build:" >&2
  tail -20 "$log/build.log" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  patches=()
  for n in "$@"; do patches+=("$root/tests/mutants/${n%.patch}.patch"); done
else
  patches=("$root"/tests/mutants/*.patch)
fi

# What each test needs built: a mutant relinks only those targets, not the
# forty other test programs that link the same libraries.
(cd "$build" && meson introspect --tests --targets) >"$log/introspect.json" 2>/dev/null
targets_of() { # TEST... -> the build outputs the tests depend on
  python3 - "$log/introspect.json" "$build" "$@" <<'PY'
import json, os, sys
info = json.load(open(sys.argv[1]))
build = sys.argv[2]
files = {t["id"]: t["filename"] for t in info["targets"]}
out = set()
for t in info["tests"]:
    if t["name"] in sys.argv[3:]:
        for d in t["depends"]:
            out.update(os.path.relpath(f, build) for f in files.get(d, []))
print("\n".join(sorted(out)))
PY
}

killed=0 survived=0 broken=0
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  what=$(sed -n 's/^# mutant: //p' "$p" | head -1)
  tests=$(sed -n 's/^# killed-by: //p' "$p" | head -1)
  if [ -z "$what" ] || [ -z "$tests" ]; then
    echo "mutant $name: BROKEN (no '# mutant:' or '# killed-by:' header)"
    broken=$((broken + 1)); continue
  fi
  if ! (cd "$src" && patch -p1 --quiet --forward <"$p" >"$log/$name.patch.log" 2>&1); then
    echo "mutant $name: BROKEN (does not apply; see $log/$name.patch.log)"
    (cd "$src" && patch -p1 -R --quiet --force <"$p" >/dev/null 2>&1)
    broken=$((broken + 1)); continue
  fi
  by=""
  mapfile -t outputs < <(targets_of $tests)
  if [ ${#outputs[@]} -eq 0 ] || ! ninja -C "$build" "${outputs[@]}" >"$log/$name.build.log" 2>&1; then
    echo "mutant $name: BROKEN (does not build; see $log/$name.build.log)"
    broken=$((broken + 1))
  else
    for t in $tests; do
      if ! meson test -C "$build" --no-rebuild --print-errorlogs "$t" >"$log/$name.$t.log" 2>&1; then
        # "No tests defined" or a misspelt name is not a kill.
        if grep -q "^Fail: *[1-9]\|^Timeout: *[1-9]" "$log/$name.$t.log"; then
          by=$t; break
        fi
        echo "mutant $name: BROKEN (test $t did not run; see $log/$name.$t.log)"
        by="-"; broken=$((broken + 1)); break
      fi
    done
    if [ -z "$by" ]; then
      echo "mutant $name: SURVIVED $tests ($what)"
      survived=$((survived + 1))
    elif [ "$by" != "-" ]; then
      echo "mutant $name: killed by $by ($what)"
      killed=$((killed + 1))
    fi
  fi
  if ! (cd "$src" && patch -p1 -R --quiet <"$p" >/dev/null 2>&1); then
    # The copy is no longer the checkout: start again from a fresh one.
    copy_sources || { echo "mutants: cannot restore $src" >&2; exit 1; }
  fi
done
# Leave the build matching the unmodified sources for the next run.
ninja -C "$build" >"$log/build.log" 2>&1 || true
echo "mutants: $killed killed, $survived survived, $broken broken"
[ $survived -eq 0 ] && [ $broken -eq 0 ] && [ $killed -gt 0 ]
