#!/usr/bin/env bash
# Every fixture guest's report against its expected file in
# tests/expected/, in one loop (as libguestfs checks its phony guests):
#   debian            the fixture root (tests/fixtures/debian)  debian.json
#   alpine            tests/fixtures/alpine, read in place      alpine.json
#   hostile-NAME      each hostile guest (hostile-guests-lib.sh) hostile-NAME.json:
#                     what it changes in the Debian report
#   real-SUITE        the realistic guests, when cached          real-SUITE.txt
#                     (tests/fixtures/build-guest.sh: a guest of the suite
#                     in its cache, then that script is asked for the
#                     current one, which rebuilds it if its inputs changed)
#   rpm-NAME          the rpm-family guests, when cached         rpm-NAME.txt
#                     (tests/fixtures/build-rpm-guest.sh, the same way)
# The form of each file is expected-report.py's (full, delta, summary, detail).
# Every report also passes validate-report.py (the JSON Schema and v2c's
# rules; the two fixtures with --expect).  V2C_REGEN=1 rewrites the files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hostile-guests-lib.sh"
fixture_root
form() { python3 "$V2C_SOURCE_ROOT/tests/integration/expected-report.py" "$@"; }
report() { # report NAME SOURCE: inspect --json into $TMP/NAME.json (60 s at most)
  timeout 60 "$V2C" inspect --json "$2" >"$TMP/$1.json" 2>"$TMP/$1.err" ||
    { sed 's/^/#   /' "$TMP/$1.err" | head -5; return 1; }
}
guests=0
one() { # one NAME SOURCE FORM EXPECTED [VALIDATE-ARGS...]
  local name=$1 src=$2 how=$3 file=$4; shift 4
  guests=$((guests + 1))
  if ! report "$name" "$src"; then not_ok "$name: inspect exits 0"; return; fi
  check "$name: the report is valid" validate_report "$TMP/$name.json" "$@"
  case $how in
    full) form full "$TMP/$name.json" >"$TMP/$name.form" ;;
    delta) form delta "$TMP/debian.json" "$TMP/$name.json" >"$TMP/$name.form" ;;
    summary) form summary "$TMP/$name.json" >"$TMP/$name.form" ;;
    detail) form detail "$TMP/$name.json" >"$TMP/$name.form" ;;
  esac
  compare_expected "$TMP/$name.form" "$file"
}

one debian "$FIXTURES/root" full debian.json --expect debian --secret-values "$FIXTURES/secret-values.txt"
one alpine "$V2C_SOURCE_ROOT/tests/fixtures/alpine" full alpine.json --expect alpine
for h in $HOSTILE_GUESTS; do
  hostile_build "$h" "$TMP/guest-$h"
  one "hostile-$h" "$TMP/guest-$h" delta "hostile-$h.json"
  rm -rf "$TMP/guest-$h"
done
for suite in bookworm trixie; do
  if compgen -G "${V2C_GUEST_CACHE:-/var/cache/v2c/guests}/$suite-*/.complete" >/dev/null &&
    root=$("$V2C_SOURCE_ROOT/tests/fixtures/build-guest.sh" "$suite"); then
    one "real-$suite" "$root" summary "real-$suite.txt"
  else
    skip_check "real-$suite: the report matches tests/expected/real-$suite.txt" \
      "the $suite guest is not built (tests/fixtures/build-guest.sh $suite builds it)"
  fi
done
for g in rocky9 centos7 leap15; do
  if compgen -G "${V2C_GUEST_CACHE:-/var/cache/v2c/guests}/$g-*/.complete" >/dev/null &&
    root=$("$V2C_SOURCE_ROOT/tests/fixtures/build-rpm-guest.sh" "$g"); then
    one "rpm-$g" "$root" detail "rpm-$g.txt"
  else
    skip_check "rpm-$g: the report matches tests/expected/rpm-$g.txt" \
      "the $g guest is not built (tests/fixtures/build-rpm-guest.sh $g builds it)"
  fi
done
# Every expected file belongs to a guest of this loop: none is left over.
stale=$(cd "$EXPECTED" && for f in *; do
  case " debian.json alpine.json real-bookworm.txt real-trixie.txt rpm-rocky9.txt rpm-centos7.txt rpm-leap15.txt $(printf 'hostile-%s.json ' $HOSTILE_GUESTS)" in
    *" $f "*) ;; *) echo "$f" ;;
  esac
done)
check "every file of tests/expected/ is some guest's (${stale:-none left over})" test -z "$stale"
echo "# $guests guests compared"
finish
