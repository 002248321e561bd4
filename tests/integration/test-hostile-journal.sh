#!/usr/bin/env bash
# A hostile or damaged rollout journal (issue 11, item 5), through the
# command line: real journals of a finished canary (tests/fixtures/journal:
# canary.jsonl chained, canary-legacy.jsonl from v2c before the chain),
# each corrupted ~20 ways (one byte changed at 12 places, bytes cut out of
# the middle, a record cut short, records swapped, one repeated, one left
# out, an empty line, a CR).  `status`, `resume`, `abort` and `finalize`
# exit 3 with "journal corrupt at record N" (N where the damage is) and
# leave the file's sha256 as it was; the intact journals read (exit 0,
# nothing written), and a torn last line alone is ignored with a warning.
# No rollout infrastructure: a corrupt journal is refused before any
# socket is touched, and a finished one has nothing left to do.
. "$(dirname "$0")/lib.sh"

gen() { # gen JOURNAL OUTDIR: one file per corruption, named RECORD-DESCRIPTION
  python3 - "$1" "$2" <<'PY'
import os, sys
data = open(sys.argv[1], "rb").read()
out = sys.argv[2]
lines = data.split(b"\n")[:-1]
n = len(lines)
def rec_of(pos): return data.count(b"\n", 0, pos) + 1
def put(record, what, blob):
    open(os.path.join(out, "%d-%s" % (record, what)), "wb").write(blob)
for i in range(12):
    pos = (len(data) - 1) * (2 * i + 1) // 24
    b = bytearray(data); b[pos] ^= 1
    put(rec_of(pos), "byte-%d" % pos, bytes(b))
start = [0]
for l in lines: start.append(start[-1] + len(l) + 1)
put(3, "cut-3-to-6", data[:start[2] + 4] + data[start[5] + 30:])
put(6, "record-6-short", data[:start[5] + 40] + lines[-1] + b"\n")
j = lambda ls: b"\n".join(ls) + b"\n"
put(4, "swap-4-5", j(lines[:3] + [lines[4], lines[3]] + lines[5:]))
put(7, "twice-6", j(lines[:6] + [lines[5]] + lines[6:]))
put(7, "without-7", j(lines[:6] + lines[7:]))
put(7, "empty-before-7", j(lines[:6] + [b""] + lines[6:]))
put(5, "crlf-5", j(lines[:4] + [lines[4] + b"\r"] + lines[5:]))
PY
}

for kind in canary canary-legacy; do
  src="$V2C_SOURCE_ROOT/tests/fixtures/journal/$kind.jsonl"
  st="$TMP/$kind"
  mkdir -p "$st" "$TMP/$kind.bad"
  cp "$src" "$st/journal.jsonl"
  sum=$(sha256sum <"$st/journal.jsonl")
  rc=0; "$V2C" rollout status --state "$st" >"$TMP/out" 2>"$TMP/err" || rc=$?
  check "$kind: the intact journal reads (status exit $rc)" sh -c "test $rc -eq 0 && grep -q '(finished)' '$TMP/out'"
  rc=0; "$V2C" rollout resume --state "$st" >/dev/null 2>"$TMP/err" || rc=$?
  check "$kind: resume of the finished rollout: exit $rc, nothing written" \
    sh -c "test $rc -eq 0 && test \"\$(sha256sum <'$st/journal.jsonl')\" = '$sum'"
  gen "$src" "$TMP/$kind.bad"
  total=0 refused=0 accepted=0
  for f in "$TMP/$kind.bad"/*; do
    name=${f##*/} want=${name%%-*}
    cp "$f" "$st/journal.jsonl"
    sum=$(sha256sum <"$f")
    total=$((total + 1))
    good=1
    for cmd in status resume abort finalize; do
      rc=0; "$V2C" rollout "$cmd" --state "$st" >/dev/null 2>"$TMP/err" || rc=$?
      if [ "$rc" -ne 3 ] || ! grep -q "journal corrupt at record $want: " "$TMP/err" ||
         [ "$(sha256sum <"$st/journal.jsonl")" != "$sum" ]; then
        # Before the chain, a byte changed inside a string or a number can
        # leave a record that still holds together: only the chained
        # journal must see every one.
        if [ "$kind" = canary-legacy ] && [ "${name#*-byte}" != "$name" ] && [ "$rc" -eq 0 ] &&
           [ "$(sha256sum <"$st/journal.jsonl")" = "$sum" ] && [ "$cmd" = status ]; then
          good=2; break
        fi
        echo "# $kind $name: $cmd exit $rc: $(head -c 300 "$TMP/err")"
        good=0
      fi
    done
    case $good in
    1) refused=$((refused + 1)) ;;
    2) accepted=$((accepted + 1)) ;;
    *) not_ok "$kind $name: refused by every command, the file kept" ;;
    esac
  done
  check "$kind: $refused of $total corruptions refused by status, resume, abort and finalize (exit 3, record named, sha256 kept)$([ $accepted -eq 0 ] || echo ", $accepted byte changes in strings or numbers unseen without the chain")" \
    test "$((refused + accepted))" -eq "$total" -a "$total" -ge 19 -a \( "$kind" = canary-legacy -o "$accepted" -eq 0 \)
done

# A torn last line alone: ignored, said on stderr, the file kept.
st="$TMP/torn"
mkdir -p "$st"
src="$V2C_SOURCE_ROOT/tests/fixtures/journal/canary.jsonl"
head -c -20 "$src" >"$st/journal.jsonl"
sum=$(sha256sum <"$st/journal.jsonl")
rc=0; "$V2C" rollout status --state "$st" >/dev/null 2>"$TMP/err" || rc=$?
check "a torn last line: status exit $rc, a warning, the file kept" \
  sh -c "test $rc -eq 0 && grep -q 'last line is torn' '$TMP/err' && test \"\$(sha256sum <'$st/journal.jsonl')\" = '$sum'"
finish
