#!/usr/bin/env bash
# v2c inspect --each --jobs: a worker that dies (SIGKILL during its
# appliance's launch) fails its own guests, saying how it ended; the other
# worker's guest is done, its report the directory reader's.  Hostile OS
# names pass from the workers as from one process; a SIGTERM to the
# parent ends the workers.
. "$(dirname "$0")/lib.sh"
fixture_disks

F=$FIXTURES

# A guest's OS name (os-release's PRETTY_NAME: any bytes, up to a megabyte)
# reaches the summary printable and bounded, alike with one process and
# with workers: a name that is not UTF-8 once made its worker drop the
# guest (jansson refused the line), and one of 900 kB (a line past the
# parent's bound) took the worker's other guest with it.  Directory guests:
# no appliance.
G=$TMP/osname
for g in evil huge plain; do
  mkdir -p "$G/$g/etc" "$G/$g/root"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$G/$g/etc/passwd"
done
printf 'ID=debian\nPRETTY_NAME="Evil\377\033]0;owned\007\033[31mRED"\n' >"$G/evil/etc/os-release"
python3 -c 'import sys; open(sys.argv[1], "w").write("ID=debian\nPRETTY_NAME=\"" + "\"" * 900000 + "\"\n")' \
  "$G/huge/etc/os-release"
printf 'ID=debian\nPRETTY_NAME="Plain"\n' >"$G/plain/etc/os-release"
mkdir -p "$TMP/os" && cd "$TMP/os"
for j in 1 2; do
  set +e
  "$V2C" inspect --each -o out$j "$G/huge" "$G/evil" "$G/plain" --jobs $j >"$TMP/os$j.txt" 2>"$TMP/os$j.err"; st=$?
  "$V2C" inspect --each --json -o out$j "$G/huge" "$G/evil" "$G/plain" --jobs $j >"$TMP/os$j.json" 2>>"$TMP/os$j.err"
  st=$((st + $?))
  set -e
  check_or_show "$TMP/os$j.err" "hostile OS names, --jobs $j: every guest inspected (exit 0)" test "$st" -eq 0
done
check "hostile OS names: the summary with workers is the one without" cmp -s "$TMP/os1.txt" <(sed 's/out2/out1/' "$TMP/os2.txt")
check "hostile OS names: the JSON summary with workers is the one without" cmp -s "$TMP/os1.json" <(sed 's/out2/out1/' "$TMP/os2.json")
check "hostile OS names: no control byte reaches the summary" test "$(tr -d '\n' <"$TMP/os2.txt" | tr -d '[:print:]' | wc -c)" -eq 0
check "hostile OS names: the summary is short (the 900 kB name cut)" test "$(wc -c <"$TMP/os2.txt")" -lt 2000
check "hostile OS names: the JSON summary validates, every guest with its OS" validate_result inspect-each "$TMP/os2.json" \
  "3 ok::doc['ok'] == 3 and doc['failed'] == 0" \
  "the names shown::[g['os'][:5] for g in doc['guests']] == ['\"' * 5, 'Evil\\\\', 'Plain'] and all(len(g['os']) <= 256 for g in doc['guests'])"
# So is an error quoting a manifest's disk path of 600 kB: cut, and its
# worker's other guest done.
python3 -c 'import sys; open(sys.argv[1], "w").write("long " + "\"" * 600000 + "\nplain %s\nevil %s\n" % (sys.argv[2], sys.argv[3]))' \
  "$TMP/long.list" "$G/plain" "$G/evil"
for j in 1 2; do
  set +e; "$V2C" inspect --manifest "$TMP/long.list" -o out$j --jobs $j >"$TMP/long$j.txt" 2>"$TMP/long$j.err"; st=$?; set -e
  check_or_show "$TMP/long$j.err" "a 600 kB error, --jobs $j: that guest failed, the others inspected (exit 1)" \
    eval 'test "$st" -eq 1 && grep -q "^3 guests: 2 inspected, 1 failed$" "$TMP/long$j.txt"'
done
check "a 600 kB error: the summary with workers is the one without, and short" \
  eval 'cmp -s "$TMP/long1.txt" <(sed s/out2/out1/ "$TMP/long2.txt") && [ "$(wc -c <"$TMP/long2.txt")" -lt 6000 ]'
cd "$TMP"
"$V2C" inspect --json "$F/root" >"$TMP/dir.json"
mkdir -p "$TMP/in"
cp "$F/debian.qcow2" "$TMP/in/web.qcow2"

# A worker that dies takes its own guests with it, never the others'.
mkdir -p "$TMP/k" && cd "$TMP/k"
set +e
"$V2C" inspect --each --json -o out "$F/debian.qcow2" "$TMP/in/web.qcow2" --jobs 2 >"$TMP/k.json" 2>"$TMP/k.err" &
pid=$!
victim=
for _ in $(seq 1 100); do   # the first worker, once both are forked (10 s at most)
  kids=$(pgrep -P "$pid" -x v2c | sort -n)
  [ "$(echo "$kids" | grep -c .)" -eq 2 ] && { victim=$(echo "$kids" | head -1); break; }
  sleep 0.1
done
[ -n "$victim" ] && kill -KILL "$victim"
wait "$pid"; st=$?
set -e
check "a worker killed: exit 1, the run goes on" test "$st" -eq 1
check "the killed worker's guest failed, saying why; the other one is done" validate_result inspect-each "$TMP/k.json" \
  "1 ok, 1 failed::doc['ok'] == 1 and doc['failed'] == 1" \
  "the first guest (first worker) lost::doc['guests'][0]['status'] == 'failed' and 'killed by signal 9' in doc['guests'][0]['error']" \
  "the second done::doc['guests'][1]['status'] == 'ok' and doc['guests'][1]['report'] == 'out/web.json'"
same_report "the other worker's report equals the directory reader's" "$TMP/dir.json" out/web.json

# A SIGTERM to the parent alone ends its workers (and so their appliances)
# at once, drawing progress or not: they once went on orphaned, each
# through its guest, writing reports after the parent had gone; and those
# of a parent drawing progress swallowed the signal (its inherited handler
# passed it to a thread of the parent).
for prog in never always; do
  mkdir -p "$TMP/term-$prog" && cd "$TMP/term-$prog"
  "$V2C" --progress $prog inspect --each -o out "$F/debian.qcow2" "$TMP/in/web.qcow2" --jobs 2 >/dev/null 2>err &
  pid=$!
  kids=
  for _ in $(seq 1 100); do
    kids=$(pgrep -P "$pid" -x v2c | sort -n || true)
    [ "$(echo "$kids" | grep -c .)" -eq 2 ] && break
    sleep 0.1
  done
  sleep 2   # the workers into their appliances' launch
  kill -TERM "$pid"
  set +e; wait "$pid"; st=$?; set -e
  left=$kids
  for _ in $(seq 1 50); do   # 5 s at most
    left=$(for k in $kids; do if kill -0 "$k" 2>/dev/null; then echo "$k"; fi; done)
    [ -z "$left" ] && break
    sleep 0.1
  done
  check "SIGTERM to the parent (progress $prog): it ends so (143)" test "$st" -eq 143
  check "SIGTERM to the parent (progress $prog): both workers were there, and are gone within 5 s" \
    test "$(echo "$kids" | grep -c .)" -eq 2 -a -z "$left"
  for k in $left; do kill -KILL "$k" 2>/dev/null || true; done
  check "SIGTERM to the parent (progress $prog): no report written after it" test -z "$(ls out 2>/dev/null)"
  cd "$TMP"
done

finish
