#!/usr/bin/env bash
# v2c inspect --each --jobs: a worker that dies (SIGKILL during its
# appliance's launch) fails its own guests, saying how it ended; the other
# worker's guest is done, its report the directory reader's.
. "$(dirname "$0")/lib.sh"
fixture_disks

F=$FIXTURES
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

finish
