#!/usr/bin/env bash
# Progress on a terminal, as a person sees it: v2c driven in a real
# terminal (tmux, a server of the test's own) during a convert of the
# fixture qcow2 (the appliance launch ticking, inspection phases, layers)
# and a push and pull through a loopback registry; what the terminal shows
# while it runs (lines that change), at the end (the summary, no region
# left, no escape shown as text) and after Ctrl-C mid-convert (no region,
# the prompt on a clean line).  Everything the pane received is recorded
# (pipe-pane) to count the redraws.  Then stderr to a file: --progress=auto
# writes no escape byte at all, --progress=always draws there, and
# --progress=never on the terminal draws nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry-lib.sh"
need tmux
fixture_disks
disk="$FIXTURES/debian.qcow2"
ESC=$'\033'

# The test's own tmux server, its socket in $TMP: killed, with every
# session in it, at exit.
tm() { tmux -S "$TMP/tmux.sock" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

# A 160x40 terminal (a summary fits on one line) running a plain bash
# whose prompt is "PROMPT$ "; bracketed paste off, so that the shell itself writes no escape around
# what v2c writes.
tm new-session -d -s t -x 160 -y 40 "env PS1='PROMPT\$ ' INPUTRC=/dev/null bash --norc --noprofile"
tm send-keys -t t "bind 'set enable-bracketed-paste off'; cd '$TMP'" Enter
screen() { tm capture-pane -p -t t | sed -e 's/[[:space:]]*$//' | awk 'NF { last = NR } { l[NR] = $0 } END { for (i = 1; i <= last; i++) print l[i] }'; }
# run_in_tty NAME COMMAND: types COMMAND (its status into NAME.rc), records
# what the pane receives into NAME.raw and captures the screen into
# NAME.N every 0.3 s until it ends (600 s at most).
run_in_tty() {
  local name=$1 cmd=$2 i=0
  tm send-keys -t t "clear" Enter
  sleep 0.3
  tm pipe-pane -o -t t "cat >'$TMP/$name.raw'"
  tm send-keys -t t "$cmd; echo \$? >'$TMP/$name.rc'" Enter
  while [ ! -s "$TMP/$name.rc" ] && [ $i -lt 2000 ]; do
    screen >"$TMP/$name.$i"
    i=$((i + 1))
    sleep 0.3
  done
  sleep 0.5
  tm pipe-pane -t t
  screen >"$TMP/$name.final"
}
# distinct_lines NAME PATTERN: how many different lines matching PATTERN
# the captures of NAME showed.
distinct_lines() { cat "$TMP/$1".[0-9]* 2>/dev/null | grep -E "$2" | sort -u | grep -c . || true; }
# The progress texts of v2c, which must never stay on a finished screen.
REGION='starting the libguestfs appliance|mounting the guest|fetching .* from the disk image|inspecting: |services found|planning [0-9]+ image|: choosing its files| layer: [0-9]+ entries|reading the package database|pushing .*: [0-9]+ of [0-9]+ blobs|pulling .*: blob [0-9]+ of|^  sha256:'
clean_final() { # clean_final NAME SUMMARY-REGEX: the summary, no region line, the prompt last
  local f="$TMP/$1.final"
  ! grep -Eq "$REGION" "$f" && grep -Eq "$2" "$f" && [ "$(tail -1 "$f")" = 'PROMPT$' ] &&
    ! grep -Eq "\\\\x1b|\\^\\[|$ESC|\\[[0-9]*[AJK]" "$f"
}

# --- stderr to a file -------------------------------------------------------------
# First: it needs no terminal (push and pull with stderr to a file, and
# --progress=always to a file, come at the end).  TERM set as a
# terminal's would be: only stderr decides.
TERM=xterm "$V2C" --progress=auto convert -s nginx -s webapp -o "$TMP/file" "$disk" >/dev/null 2>"$TMP/auto.err"
check_or_show "$TMP/auto.err" "stderr to a file (--progress=auto): not one escape byte in it" \
  sh -c "test -s '$TMP/file/index.json' && ! grep -aq '$ESC' '$TMP/auto.err'"
check_or_show "$TMP/auto.err" "... nor a progress line or the summary" sh -c "! grep -aEq '$REGION|^converted ' '$TMP/auto.err'"

# --- a convert of the qcow2, live ---------------------------------------------
start=$(date +%s)
# stdout on the terminal too: the digests must not land inside the region.
run_in_tty convert "'$V2C' --progress=auto convert -s nginx -s webapp -s hello -o '$TMP/disk' '$disk'"
took=$(( $(date +%s) - start ))
check_or_show "$TMP/convert.final" "convert on a terminal succeeds (${took}s)" test "$(cat "$TMP/convert.rc")" = 0
n=$(distinct_lines convert 'starting the libguestfs appliance .* [0-9]+ s$')
check "the appliance launch shows its seconds as they pass ($n different lines seen)" test "$n" -ge 2
n=$(distinct_lines convert "$REGION")
check "the progress lines change between captures ($n different lines seen)" test "$n" -ge 4
check_or_show "$TMP/convert.final" "the final screen: the summary line, no progress left, the prompt on its own line" \
  clean_final convert '^converted 3 images into .*: [0-9]+ layers, .* written, in [0-9]'
check_or_show "$TMP/convert.final" "the digests on stdout, each on a line of its own" \
  test "$(grep -Ec '^(hello|nginx|webapp)[[:space:]]+sha256:[0-9a-f]{64}$' "$TMP/convert.final")" = 3
# What the pane received: the layers each drew (with bytes and a rate),
# the inspection's phases, and redraws throttled (10 a second at most,
# plus the forced ones: phases, images, layers, seconds of a tick).
raw="$TMP/convert.raw"
for what in 'base layer \(every image\): [0-9]+ entries, .* read, .* written, ' \
            '\[1/3\] hello: app layer: ' '\[2/3\] nginx: packages layer: ' '\[3/3\] webapp: config layer: ' \
            'inspecting: finding services' 'inspecting: analysing service [0-9]+ of [0-9]+: ' \
            '[0-9]+ services found, [0-9]+ files read' 'fetching [0-9]+ trees from the disk image'; do
  check "the terminal was shown: $what" found -aE "$what" "$raw"
done
draws=$(grep -ao "$ESC\[J" "$raw" | grep -c . || true)
check "redraws are throttled ($draws erasures in ${took}s)" test "$draws" -gt 10 -a "$draws" -le $(( 12 * (took + 2) + 60 ))

# --- Ctrl-C mid-convert -------------------------------------------------------
# While the appliance starts: the ticker thread redraws then, the case
# where a drawing and the signal may meet.  The shell drops the rest of a
# command line its job was interrupted in, so the status is asked after.
tm send-keys -t t "clear" Enter
sleep 0.3
tm send-keys -t t "sh -c 'echo \$\$ >\"$TMP/cut.pid\"; exec \"\$0\" \"\$@\"' '$V2C' convert -s nginx -o '$TMP/cut' '$disk' >/dev/null" Enter
i=0
until screen | grep -Eq 'starting the libguestfs appliance .* [2-9] s$' || [ $i -ge 300 ]; do sleep 0.2; i=$((i + 1)); done
tm send-keys -t t C-c
pid=$(cat "$TMP/cut.pid" 2>/dev/null || echo 0)
i=0
while [ -e "/proc/$pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
screen >"$TMP/cut.final"
tm send-keys -t t "echo \$? >'$TMP/cut.rc'" Enter
i=0
until [ -s "$TMP/cut.rc" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
check_or_show "$TMP/cut.final" "Ctrl-C ends the convert (status $(cat "$TMP/cut.rc" 2>/dev/null))" \
  test "$(cat "$TMP/cut.rc" 2>/dev/null)" = 130
check_or_show "$TMP/cut.final" "after Ctrl-C: no progress line left, the prompt on a clean line" \
  sh -c "! grep -Eq '$REGION' '$TMP/cut.final' && [ \"\$(tail -1 '$TMP/cut.final')\" = 'PROMPT\$' ]"
check "after Ctrl-C: no partial layout left" sh -c "! ls -d '$TMP/cut' '$TMP'/cut.v2c-* >/dev/null 2>&1"

# --- push and pull through a loopback registry ----------------------------------
"$V2C" convert -s nginx -o "$TMP/img" "$FIXTURES/root" >/dev/null 2>&1
registry_start tty
A=$REG_TTY_ADDR
run_in_tty push "'$V2C' push --chunk-size 1048576 '$TMP/img:nginx' '$A/tty/nginx:1' >'$TMP/push.out'"
check "push on a terminal succeeds" test "$(cat "$TMP/push.rc")" = 0
check "push showed its blobs: the whole, then one line per blob in flight" \
  sh -c "grep -aEq 'pushing $A/tty/nginx:1: [0-9]+ of [0-9]+ blobs, .* of .*, .*/s' '$TMP/push.raw' &&
         grep -aEq '^  sha256:[0-9a-f]{12}  (HEAD|POST|PUT|PATCH|status) ' '$TMP/push.raw'"
check_or_show "$TMP/push.final" "push's final screen: its summary, no progress left" \
  clean_final push "^pushed $A/tty/nginx:1: [0-9]+ blobs \\([0-9]+ uploaded, 0 mounted, 0 already there\\), .* sent in "
run_in_tty pull "'$V2C' pull -o '$TMP/pulled' '$A/tty/nginx:1' >'$TMP/pull.out'"
check "pull on a terminal succeeds" test "$(cat "$TMP/pull.rc")" = 0
check "pull showed each blob: its number, then its bytes of its size and a rate" \
  sh -c "grep -aEq 'pulling $A/tty/nginx:1: blob [0-9]+ of [0-9]+, .* of .*, ' '$TMP/pull.raw' &&
         grep -aEq '^  sha256:[0-9a-f]{12}  .* / .*  .*/s' '$TMP/pull.raw'"
check_or_show "$TMP/pull.final" "pull's final screen: its summary, no progress left" \
  clean_final pull "^pulled $A/tty/nginx:1 into .*: [0-9]+ blobs, .* in .* \\(.*/s\\)"

# --- --progress=never on the terminal -------------------------------------------
run_in_tty never "'$V2C' --progress=never convert -s nginx -o '$TMP/never' '$FIXTURES/root' >/dev/null"
check "--progress=never: the convert succeeds" test "$(cat "$TMP/never.rc")" = 0
check "--progress=never on a terminal draws nothing (no erasure, no progress text, no summary)" \
  sh -c "! grep -aq '$ESC\\[J' '$TMP/never.raw' && ! grep -aEq '$REGION|converted 1 image' '$TMP/never.raw'"

run_in_tty quiet "'$V2C' -q inspect '$FIXTURES/root' >/dev/null"
check "-q on a terminal draws nothing either" \
  sh -c "test \"\$(cat '$TMP/quiet.rc')\" = 0 && ! grep -aq '$ESC\\[J' '$TMP/quiet.raw' && ! grep -aEq '$REGION|inspected ' '$TMP/quiet.raw'"

# --- stderr to a file, push and pull ---------------------------------------------
TERM=xterm "$V2C" push "$TMP/img:nginx" "$A/tty/again:1" >/dev/null 2>"$TMP/push-auto.err"
TERM=xterm "$V2C" pull -o "$TMP/pulled2" "$A/tty/again:1" >/dev/null 2>"$TMP/pull-auto.err"
check "push and pull with stderr to a file: no escape byte" \
  sh -c "test -d '$TMP/pulled2' && ! grep -aq '$ESC' '$TMP/push-auto.err' '$TMP/pull-auto.err'"
TERM=xterm "$V2C" inspect --progress=always "$FIXTURES/root" >/dev/null 2>"$TMP/always.err"
check_or_show "$TMP/always.err" "--progress=always to a file draws (phases, escapes, the summary)" \
  sh -c "grep -aq '$ESC\\[J' '$TMP/always.err' && grep -aq 'inspecting: finding services' '$TMP/always.err' &&
         grep -aEq '(^|$ESC\\[J)inspected .*: .*, [0-9]+ services, [0-9]+ secrets, in ' '$TMP/always.err'"
finish
