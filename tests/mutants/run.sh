#!/usr/bin/env bash
# Plants every curated bug of tests/mutants/ and checks that the suite
# catches it.  Each NAME.patch starts with
#   # mutant: what the planted bug does
#   # killed-by: TEST [TEST...]      (meson test names, fastest first)
# then a unified diff for `patch -p1` from the repository root.
#
# The patches are applied one at a time to a scratch copy of the source
# (never to this checkout), rebuilt incrementally (one build directory per
# copy: only what a patch touches is recompiled), and the named tests are
# run one by one until one fails: that test killed the mutant.  A mutant
# that every named test passes SURVIVED, and fails the run; so does a patch
# that no longer applies or builds (the guard it plants a bug in has moved:
# the patch must follow it).
#
# Most of those tests wait on qemu, podman or the disk more than they use a
# core, so N lanes plant mutants side by side, each in a copy of its own
# (SCRATCH_DIR/laneK/src, its build directory inside), each taking the next
# patch from one shared queue: the longest first, by the times of the last
# run (builds and tests, the waits for a lock left out), so that no lane is
# left with a long one at the end.  A test that
# meson runs alone (is_parallel: false: the VMs, the terminal, what
# measures a time limit) runs alone here too: the lanes' builds and tests
# hold a shared lock, such a test holds it exclusively.
#
#   tests/mutants/run.sh [-j N] [SCRATCH_DIR] [NAME...]
# N (lanes) defaults to $V2C_MUTANT_JOBS, else 2; -j 1 plants one at a time.
# SCRATCH_DIR defaults to build-mutants/ (kept between runs, so ccache and
# ninja make later runs fast).  Prints one line per mutant as it ends, and
# a total.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${V2C_MUTANT_JOBS:-2}
case ${1:-} in
  -j) jobs=${2:-}; shift $(( $# > 1 ? 2 : 1 )) ;;
  -j*) jobs=${1#-j}; shift ;;
esac
case $jobs in
  '' | *[!0-9]* | 0*) echo "mutants: -j wants a number of lanes, 1 or more (not '$jobs')" >&2; exit 2 ;;
esac
scratch=${1:-$root/build-mutants}
# Absolute: the patches are applied from inside the copies.
case $scratch in /*) ;; *) scratch=$PWD/$scratch ;; esac
shift $(( $# > 0 ? 1 : 0 ))
# A test stops at its first failed check (tests/integration/lib.sh).
export V2C_FAIL_FAST=1
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
log=$scratch/log
mkdir -p "$scratch" "$log" "$scratch/times"
# One run per scratch directory: two would patch the same copies.
exec 9>"$scratch/lock"
flock -n 9 || { echo "mutants: $scratch is in use by another run" >&2; exit 1; }
# The single copy of the runner before lanes, left by an older run.
rm -rf "$scratch/src" "$scratch/src.new"

# A fresh copy of the tracked sources in $src: a mutant must never touch the
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

# locked -s|-x COMMAND...: COMMAND under the lanes' reader/writer lock,
# shared (-s) or alone (-x).  The gate lets a waiting writer in before the
# readers that come after it (flock keeps no order: lanes taking turns at
# the shared lock could keep a writer waiting for ever).  COMMAND inherits
# neither descriptor: nothing it leaves running holds the lock.  Adds the
# seconds COMMAND ran (the wait left out) to held.
locked() {
  local mode=$1 t rc=1; shift
  {
    if flock -x 7 && flock "$mode" 8 && flock -u 7; then
      t=$SECONDS
      "$@" 7>&- 8>&-; rc=$?
      held=$((held + SECONDS - t))
    fi
  } 7>>"$scratch/gate" 8>>"$scratch/tests.lock"
  return $rc
}

# Lane K's copy and its build directory, which sits in the copy as build/
# does in the checkout: compilers then see the same relative paths, and
# with CCACHE_BASEDIR above them ccache serves each copy's first build from
# the checkout's or another lane's.
lane_dirs() { src=$scratch/lane$1/src build=$scratch/lane$1/src/build; }
# The fixtures the checkout's tests built (tests/integration/lib.sh:
# fixture_root, fixture_disks: the Debian root, its tarball and keys, and
# the qcow2 disks, two appliance launches), copied into a lane that has none
# yet: its fixture sources are the checkout's (no mutant patches tests/).
# Only when nothing there would be rebuilt (lib.sh's rule for the root,
# build-disks.sh --check for the disks), and dated so that it stays so in
# the lane, whose copied sources are all new: the root after them, the
# disks after the root, the truncated image after the disk it is cut from.
seed_fixtures() {
  local from=$root/build/fixtures to=$build/fixtures fx=$root/tests/fixtures t
  [ ! -e "$to" ] && [ -f "$from/.root-stamp" ] || return 0
  [ -z "$(find "$fx/debian" "$fx/build-root.sh" "$fx/src" -newer "$from/.root-stamp" -print -quit)" ] &&
    "$fx/build-disks.sh" --check "$from" 2>/dev/null || return 0
  mkdir -p "$build" && cp -a "$from" "$to.tmp" || { rm -rf "$to.tmp"; return 0; }
  t=$(( $(date +%s) + 1 ))
  find "$to.tmp" -exec touch -h -d "@$t" {} +
  find "$to.tmp" -maxdepth 2 -name '*.qcow2' ! -name truncated.qcow2 -exec touch -d "@$((t + 1))" {} +
  touch -d "@$((t + 2))" "$to.tmp/bad/truncated.qcow2"
  mv "$to.tmp" "$to"
}
prepare_lane() { # K: lane K's copy, built, and what its tests need built
  local k=$1 src build held=0
  lane_dirs "$k"
  if ! copy_sources; then
    echo "mutants: cannot copy the sources to $src" >&2
    return 1
  fi
  if [ ! -f "$build/build.ninja" ]; then
    meson setup --werror "$build" "$src" >"$log/lane$k.setup.log" 2>&1 ||
      { cat "$log/lane$k.setup.log" >&2; return 1; }
  fi
  seed_fixtures
  if ! locked -s ninja -C "$build" >"$log/lane$k.build.log" 2>&1; then
    echo "mutants: the unmodified copy (lane $k) does not build:" >&2
    tail -20 "$log/lane$k.build.log" >&2
    return 1
  fi
  # What each test needs built: a mutant relinks only those targets, not
  # the forty other test programs that link the same libraries.
  (cd "$build" && meson introspect --tests --targets) >"$scratch/lane$k/introspect.json" 2>/dev/null
}
targets_of() { # INTROSPECT_JSON BUILD TEST... -> the build outputs the tests depend on
  python3 - "$@" <<'PY'
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

if [ $# -gt 0 ]; then
  names=("${@%.patch}")
else
  names=()
  for p in "$root"/tests/mutants/*.patch; do names+=("$(basename "$p" .patch)"); done
fi
# The longest first (one not timed yet counts as long): the last to start
# are then short ones, and the lanes end together.
mapfile -t patches < <(for n in "${names[@]}"; do
  t=$(cat "$scratch/times/$n" 2>/dev/null) || t=999999
  echo "$t $root/tests/mutants/$n.patch"
done | sort -s -k1,1nr | cut -d' ' -f2-)
[ "$jobs" -le ${#patches[@]} ] || jobs=${#patches[@]}
# The queue: the index of the next patch nobody took.
echo 0 >"$scratch/queue"
# Every line printed, for the total.
results=$scratch/results
: >"$results"

next_mutant() { # sets next to the queue's next patch; fails when none is left
  {
    flock 6 && read -r next <"$scratch/queue" && echo $((next + 1)) >"$scratch/queue"
  } 6>>"$scratch/queue.lock" && [ "$next" -lt ${#patches[@]} ]
}
report() { # LINE: printed whole (never mixed with another lane's), and kept
  { flock 5 && printf '%s\n' "$1" && printf '%s\n' "$1" >&5; } 5>>"$results"
}

plant() { # K PATCH: one mutant in lane K's copy; fails only when the copy is lost
  local k=$1 p=$2 src build name t0 held=0 what tests by t mode outputs
  lane_dirs "$k"
  name=$(basename "$p" .patch)
  t0=$SECONDS
  what=$(sed -n 's/^# mutant: //p' "$p" | head -1)
  tests=$(sed -n 's/^# killed-by: //p' "$p" | head -1)
  if [ -z "$what" ] || [ -z "$tests" ]; then
    report "mutant $name: BROKEN (no '# mutant:' or '# killed-by:' header)"
    return 0
  fi
  if ! (cd "$src" && patch -p1 --quiet --forward <"$p" >"$log/$name.patch.log" 2>&1); then
    report "mutant $name: BROKEN (does not apply; see $log/$name.patch.log)"
    (cd "$src" && patch -p1 -R --quiet --force <"$p" >/dev/null 2>&1)
    return 0
  fi
  by=""
  # None for a test of sources alone (a script of the tree): nothing to build.
  mapfile -t outputs < <(targets_of "$scratch/lane$k/introspect.json" "$build" $tests | sed '/^$/d')
  if [ ${#outputs[@]} -gt 0 ] && ! locked -s ninja -C "$build" "${outputs[@]}" >"$log/$name.build.log" 2>&1; then
    report "mutant $name: BROKEN (does not build; see $log/$name.build.log)"
  else
    for t in $tests; do
      case " $solo " in *" $t "*) mode=-x ;; *) mode=-s ;; esac
      if ! locked "$mode" meson test -C "$build" --no-rebuild --print-errorlogs "$t" >"$log/$name.$t.log" 2>&1; then
        # "No tests defined" or a misspelt name is not a kill.
        if grep -q "^Fail: *[1-9]\|^Timeout: *[1-9]" "$log/$name.$t.log"; then
          by=$t; break
        fi
        report "mutant $name: BROKEN (test $t did not run; see $log/$name.$t.log)"
        by="-"; break
      fi
    done
    if [ -z "$by" ]; then
      report "mutant $name: SURVIVED $tests ($what) [$((SECONDS - t0)) s]"
    elif [ "$by" != "-" ]; then
      report "mutant $name: killed by $by ($what) [$((SECONDS - t0)) s]"
    fi
  fi
  echo "$held" >"$scratch/times/$name"
  if ! (cd "$src" && patch -p1 -R --quiet <"$p" >/dev/null 2>&1); then
    # The copy is no longer the checkout: start again from a fresh one.
    copy_sources || { echo "mutants: cannot restore $src" >&2; return 1; }
  fi
}

lane() { # K: plants the queue's mutants until none is left
  local k=$1 next src build held=0
  if [ "$k" -gt 1 ]; then prepare_lane "$k" || return 1; fi
  while next_mutant; do
    plant "$k" "${patches[$next]}" || return 1
  done
  # Leave the build matching the unmodified sources for the next run.
  lane_dirs "$k"
  locked -s ninja -C "$build" >"$log/lane$k.build.log" 2>&1 || true
}

# Lane 1 first, alone: a copy that does not build stops the run at once,
# and ccache then has the other lanes' first builds.
prepare_lane 1 || exit 1
solo=$(python3 -c 'import json, sys
print(" ".join(t["name"] for t in json.load(open(sys.argv[1]))["tests"] if not t["is_parallel"]))' \
  "$scratch/lane1/introspect.json") || exit 1
# Each lane in a process group of its own (set -m): an interrupted run
# stops its lanes and what they run.
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM -- -"$p" 2>/dev/null; done; exit 130' INT TERM
set -m
for k in $(seq "$jobs"); do
  lane "$k" </dev/null &
  pids+=($!)
done
set +m
lanes_ok=1
for p in "${pids[@]}"; do wait "$p" || lanes_ok=0; done
trap - INT TERM
[ $lanes_ok = 1 ] || { echo "mutants: a lane stopped (see above)" >&2; exit 1; }
killed=$(grep -c '^mutant [^ ]*: killed by ' "$results")
survived=$(grep -c '^mutant [^ ]*: SURVIVED ' "$results")
broken=$(grep -c '^mutant [^ ]*: BROKEN ' "$results")
echo "mutants: $killed killed, $survived survived, $broken broken"
[ $survived -eq 0 ] && [ $broken -eq 0 ] && [ $killed -gt 0 ]
