#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. install what is missing and build with warnings as errors;
#   2. unit, fuzz-corpus and integration tests (meson test), the realistic
#      Debian guests and the rpm-family guests among them (built beside the
#      first tests when not cached under /var/cache/v2c/guests: about 6
#      minutes on a new machine), and the .deb with the clean root the
#      package and Ansible tests use;
#   3. every command and option the docs name was run by one of those
#      tests (tests/coverage/options.py);
#   4. unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer,
#      built and run beside 2 at the lowest CPU priority (with the clang
#      fuzz build; what that measured is said where it starts);
#   5. a short libFuzzer run of every fuzz target (clang), after 2: its
#      time per target is wall time, so it needs a core of its own;
#   6. the curated mutants of tests/mutants/ (run.sh), beside 5: each
#      planted bug must be caught by the tests its patch names.
# V2C_FUZZ_SECONDS sets the time per fuzz target (default 10: 40 targets),
# V2C_MUTANT_JOBS the mutant runner's lanes (default 3 here).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
. scripts/lib.sh
export LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}"

log=$(mktemp)
mutlog=$(mktemp)
sanlog=$(mktemp)
trap 'rm -f "$log" "$mutlog" "$sanlog"' EXIT
status=0
passed=0 failed=0 skipped=0
count() { # adds meson's "Ok:/Fail:/Skipped:" totals of $log
  local ok fail skip
  ok=$(awk '/^Ok: /{s+=$2} /^Expected Fail: /{s+=$3} END{print s+0}' "$log")
  fail=$(awk '/^Fail: /{s+=$2} /^Unexpected Pass: /{s+=$3} /^Timeout: /{s+=$2} END{print s+0}' "$log")
  skip=$(awk '/^Skipped: /{s+=$2} END{print s+0}' "$log")
  passed=$((passed + ok)) failed=$((failed + fail)) skipped=$((skipped + skip))
}

# The realistic guests (tests/integration/test-real-guests.sh), the
# rpm-family guests, the .deb and the clean Debian 12 root it installs on
# are built beside the tests: debootstrap and rpm wait on the network and
# dpkg more than on the CPU.  The tests that use them come last in meson's
# queue (priority -10) and wait on each builder's lock; a guest that fails
# to build fails its tests, which say why.
guests_t0=$(date +%s)
{
  tests/fixtures/build-guest.sh --disk bookworm >/dev/null &
  tests/fixtures/build-guest.sh trixie >/dev/null &
  # rpmbuild and rpm, about a minute each on a new machine; rocky9's qcow2 after it.
  {
    tests/fixtures/build-rpm-guest.sh --disk --tar rocky9 >/dev/null
    tests/fixtures/build-rpm-guest.sh --tar centos7 >/dev/null
    tests/fixtures/build-rpm-guest.sh --tar leap15 >/dev/null
  } &
  { deb=$(tests/fixtures/build-deb.sh) && tests/fixtures/build-host-root.sh "$deb" >/dev/null; } &
  wait
  echo "test: realistic guests ready in $(( $(date +%s) - guests_t0 )) s"
} &
builders=$!

# The sanitizer build and its unit tests, and the fuzz build, beside the
# meson tests at the lowest priority (nice 19): compiling and the unit
# tests need CPU, not wall time; they take what the integration tests
# leave (the rollouts' sleeps, the tests that run alone), and what they
# take from the tests no later stage waits for.  Measured on a 2-core
# machine: the meson stage 4 minutes longer (28.5), the stage after it 11
# shorter (18, with three mutant lanes and their fixtures seeded).  A
# generous timeout multiplier: starved of CPU, a unit test must not time
# out.  Its output is shown after the meson tests'.
{
  renice -n 19 -p $BASHPID >/dev/null
  set +e
  rc=0
  [ -f build-asan/build.ninja ] || quiet meson setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false
  quiet ninja -C build-asan || rc=1
  if [ $rc = 0 ]; then
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      meson test -C build-asan --suite unit --suite fuzz-replay --print-errorlogs --timeout-multiplier 10 || rc=1
  fi
  [ -f build-fuzz/build.ninja ] || CC=clang quiet meson setup build-fuzz -Dfuzz=true -Dtests=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false
  quiet ninja -C build-fuzz || rc=1
  exit $rc
} >"$sanlog" 2>&1 </dev/null &
sanitizers=$!

# Every run of v2c by the tests is recorded (tests/coverage/v2c-traced):
# afterwards every command and option the docs name must have been run.
export V2C_ARGV_LOG=$PWD/build/argv-log
rm -rf "$V2C_ARGV_LOG" && mkdir -p "$V2C_ARGV_LOG"
meson test -C build --print-errorlogs --num-processes 2 2>&1 | tee "$log" || status=1
count
if python3 tests/coverage/options.py build/v2c "$V2C_ARGV_LOG" README.md docs/*.md; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)) status=1
fi
unset V2C_ARGV_LOG
wait "$builders" || true
# Single checks a passing test skipped (tests/integration/lib.sh skip_check,
# "ok - WHAT # SKIP WHY"): meson counts the test as passed.
checks_skipped=$(grep -c '^ok - .* # SKIP ' build/meson-logs/testlog.txt || true)
grep '^ok - .* # SKIP ' build/meson-logs/testlog.txt | sed 's/^ok - /test: skipped check: /' || true

# The mutants mostly wait on integration tests, the fuzz run takes one
# core: both at once.  run.sh plants the mutants in
# $V2C_MUTANT_JOBS lanes side by side (3 here: an integration test keeps
# about half a core busy, so two lanes left most of a core idle once the
# fuzz run was over), each in its own copy under build-mutants/, a test
# meson runs alone (is_parallel: false) alone there too; the lines it
# prints come in the order the mutants end.
tests/mutants/run.sh -j "${V2C_MUTANT_JOBS:-3}" build-mutants >"$mutlog" 2>&1 & mutants=$!

san_ok=1
wait "$sanitizers" || san_ok=0
tee "$log" <"$sanlog"
count
if [ $san_ok = 0 ]; then
  status=1
  # A build that failed counts as a failure; failed tests are counted already.
  grep -q '^Fail: *[1-9]' "$log" || { echo "test: the sanitizer or the fuzz build failed (see above)"; failed=$((failed + 1)); }
fi

tests/fuzz/run-fuzzers.sh build-fuzz "${V2C_FUZZ_SECONDS:-10}" 2>&1 | tee "$log" || status=1
fuzz_ok=$(grep -c '^fuzz .*: ok' "$log" || true)
fuzz_failed=$(grep -c '^fuzz .*: FAILED' "$log" || true)
passed=$((passed + fuzz_ok)) failed=$((failed + fuzz_failed))

wait "$mutants" || status=1
cat "$mutlog"
mut_killed=$(sed -n 's/^mutants: \([0-9]*\) killed.*/\1/p' "$mutlog")
mut_bad=$(grep -c '^mutant .*: \(SURVIVED\|BROKEN\)' "$mutlog" || true)
[ -n "$mut_killed" ] || mut_bad=$((mut_bad + 1))   # the runner itself failed
passed=$((passed + ${mut_killed:-0})) failed=$((failed + mut_bad))

[ $failed -eq 0 ] || status=1
echo "tests: $passed passed, $failed failed, $skipped skipped (and ${checks_skipped:-0} checks skipped inside passing tests)"
exit $status
