#!/usr/bin/env bash
# The live rollout view, as a person sees it in a terminal (tmux):
#   - `rollout run` in one tmux session and `rollout status --watch` in a
#     second, on the test bed's canary (10, analysis, 50, pause 12s, pause
#     until approved, 100): both screens, captured as the rollout goes, show the
#     step and the weights change, the pause's time left count down, the
#     analysis value against its condition, and the exact approve command,
#     which the test copies from the screen and runs; the watch redraws in
#     place (one view on the screen, never a stack of them); the final
#     screens hold the final state once, no stale view line, no escape
#     residue, and each command's exit status;
#   - with stderr a file (run) and stdout a file (status --watch), not one
#     escape byte, and the watch prints a view each time the status changes;
#   - a rollout that fails (a broken build): run --progress=never on a
#     terminal draws no view; status --watch ends with it, exit 1, its last
#     view giving the reason;
#   - Ctrl-C on status --watch: the prompt comes back below the last view,
#     whole, and $? is 130 (the shell's 128 + SIGINT);
#   - --watch and --interval misused: usage errors (exit 2).
# Its own test bed (rollout-env.sh), its own tmux server (-L), killed at
# exit with everything it runs; every wait is bounded.
ROLLOUT_ENV_PARTS="bad"
. "$(dirname "$0")/lib.sh"
need tmux
. "$(dirname "$0")/registry-lib.sh"
. "$(dirname "$0")/vm-lib.sh"
. "$(dirname "$0")/rollout-env.sh"

TM="v2c-watch-$$"
tm() { tmux -L "$TM" -f /dev/null "$@"; }
sampler_pid=""
# The tmux server (SIGHUP to every shell and v2c in it), the sampler, then
# the test bed's own cleanup.
trap 'tm kill-server >/dev/null 2>&1 || true; [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true; cleanup' EXIT
bed_checks

# --- usage errors --------------------------------------------------------------------------
for args in "status --state $TMP/none --watch --interval 0" "status --state $TMP/none --interval 2" \
            "run $TMP/none.yaml --state $TMP/none --watch" "status --state $TMP/none --watch --json"; do
  st=0; "$V2C" rollout $args >/dev/null 2>"$TMP/usage.err" || st=$?
  check "rollout $args: usage error, exit 2 ($st: $(head -1 "$TMP/usage.err"))" test "$st" -eq 2
done

# A terminal of 150 x 40 running an interactive bash with a plain prompt.
shell_in() { # shell_in NAME
  tm new-session -d -s "$1" -x 150 -y 40 "env PS1='\$ ' TERM=screen bash --norc --noprofile -i"
  tm send-keys -t "$1" "cd '$TMP'" Enter
}
screen_of() { tm capture-pane -p -t "$1"; }
wait_screen() { # wait_screen NAME ERE SECONDS: until the screen shows ERE
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$end" ]; do
    screen_of "$1" | grep -qE -- "$2" && return 0
    sleep 0.3
  done
  return 1
}
no_residue() { # no_residue FILE...: no escape byte, nor what is left of a broken sequence
  python3 -c '
import re, sys
for f in sys.argv[1:]:
    t = open(f, errors="replace").read()
    m = re.search(r"\x1b|\\x1b|\[[0-9;]*[ABJKm]", t)
    assert m is None, (f, t[max(0, m.start() - 40):m.end() + 40])' "$@"
}
wait_journal() { # wait_journal DIR SECONDS: until the rollout's first step began
  local end=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$end" ]; do
    grep -q '"event":"step"' "$1/journal.jsonl" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# --- run and status --watch, each in its own terminal ------------------------------------------
playbook "$TMP/canary.yaml" "$good" "          canary:
            steps:
              - setWeight: 10
              - analysis: smoke
              - setWeight: 50
              - pause: 12s
              - pause: {until: approved}
              - setWeight: 100"
ST=$TMP/st1
shell_in run
shell_in watch
tm send-keys -t run "'$V2C' rollout run '$TMP/canary.yaml' --state '$ST'; echo EXIT=\$?" Enter
wait_journal "$ST" 180 || { screen_of run | sed 's/^/# /'; }
tm send-keys -t watch "'$V2C' rollout status --state '$ST' --watch --interval 1; echo EXIT=\$?" Enter
# Both screens, every 0.4 s (at most 1000 times), while the rollout runs.
mkdir "$TMP/cap"
(
  for i in $(seq -w 1000); do
    [ -e "$TMP/cap/stop" ] && break
    screen_of run >"$TMP/cap/run.$i"
    screen_of watch >"$TMP/cap/watch.$i"
    sleep 0.4
  done
) &
sampler_pid=$!
approve_re='v2c rollout approve --state [^ ]+ hello'
# Approve what the view asks to, with the command it gives, as a person
# would: the pause until approved, and an analysis the loaded machine left
# inconclusive (a probe timed out), if any.  After each, the approval's
# line must go (the runner took it) before another is given: a request
# left behind would approve the next wait unseen.
approvals=0 end=$((SECONDS + 300))
while [ "$SECONDS" -lt "$end" ] && [ "$approvals" -lt 4 ]; do
  scr=$(screen_of run)
  grep -qE '^EXIT=[0-9]' <<<"$scr" && break
  if ! grep -qE "approve +$approve_re" <<<"$scr"; then sleep 0.3; continue; fi
  cmd=$(grep -oE -- "$approve_re" <<<"$scr" | head -1)
  if [ "$approvals" -eq 0 ]; then
    wcmd=""
    wait_screen watch "approve +$approve_re" 10 && wcmd=$(screen_of watch | grep -oE -- "$approve_re" | head -1)
    check "both views give the approve command ($cmd), the same" test "$cmd" = "v2c rollout approve --state $ST hello" -a "$wcmd" = "$cmd"
    sleep 2
    echo "# the watch's screen, waiting for an approval:"
    screen_of watch | grep -v '^$' | sed 's/^/#   /'
  fi
  # The command as the screen gives it, v2c being the tests' $V2C.
  st=0; "$V2C" ${cmd#v2c } || st=$?
  approvals=$((approvals + 1))
  check "approval $approvals, the command copied from the screen: exit $st" test "$st" -eq 0
  for _ in $(seq 50); do screen_of run | grep -qE "approve +$approve_re" || break; sleep 0.2; done
done
check "... and the rollout goes on to its end ($approvals approvals)" wait_screen run "^EXIT=[0-9]+" 120
wait_screen watch "^EXIT=[0-9]+" 30 || true
touch "$TMP/cap/stop"
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""
screen_of run >"$TMP/run.final"
screen_of watch >"$TMP/watch.final"
for f in "$TMP"/cap/watch.*; do
  grep -qE 'waiting +pause: [0-7]s left' "$f" || continue
  echo "# the watch's screen, during the pause:"
  grep -v '^$' "$f" | sed 's/^/#   /'
  break
done
echo "# run's final screen:"
grep -v '^$' "$TMP/run.final" | sed 's/^/#   /'

# What the captures show over time, per terminal.
for who in run watch; do
  python3 - "$TMP/cap" "$who" >"$TMP/$who.seen" <<'EOF' || true
import glob, re, sys
caps = sorted(glob.glob(sys.argv[1] + "/" + sys.argv[2] + ".*"))
weights, steps, left, analysis, headers = [], [], [], set(), set()
for c in caps:
    t = open(c, errors="replace").read()
    if "rollout rt:" not in t:
        continue
    headers.add(len(re.findall(r"^rollout rt:", t, re.M)))
    for m in re.findall(r"weights +VM (\d+)  container (\d+)", t):
        w = m[0] + "/" + m[1]
        if not weights or weights[-1] != w:
            weights.append(w)
    for m in re.findall(r"canary step (\d+) of 6", t):
        if not steps or steps[-1] != m:
            steps.append(m)
    for m in re.findall(r"waiting +pause: (\d+)s left", t):
        if not left or left[-1] != int(m):
            left.append(int(m))
    # Its value (none, when the loaded machine made the probe time out)
    # against its condition, and the verdict.
    analysis.update(re.findall(r"analysis +(smoke/direct = (?:1|0|no value)  pass if result == 1  "
                               r"(?:pass|FAIL|inconclusive) \(\d of 2\))", t))
print("weights=" + ",".join(weights))
print("steps=" + ",".join(steps))
print("left=" + ",".join(map(str, left)))
print("analysis=" + ("yes" if analysis else "no") + " " + " | ".join(sorted(analysis)[:1]))
print("headers=" + ",".join(map(str, sorted(headers))))
EOF
  seen() { sed -n "s/^$1=//p" "$TMP/$who.seen"; }
  echo "# $who: $(tr '\n' ';' <"$TMP/$who.seen")"
  check "$who: the weights change on screen ($(seen weights))" \
    sh -c "echo '$(seen weights)' | grep -qE '(^|,)90/10,.*50/50'"
  check "$who: the step changes, in order ($(seen steps))" python3 -c '
import sys
s = [int(x) for x in sys.argv[1].split(",") if x]
assert len(s) >= 3 and s == sorted(s), s' "$(seen steps)"
  check "$who: the pause's time left counts down ($(seen left))" python3 -c '
import sys
s = [int(x) for x in sys.argv[1].split(",") if x]
assert len(s) >= 3 and s == sorted(s, reverse=True) and s[0] - s[-1] >= 3 and s[0] <= 12, s' "$(seen left)"
  check "$who: an analysis line, its value against its condition ($(seen analysis))" \
    sh -c "seen=\$(sed -n 's/^analysis=//p' '$TMP/$who.seen'); case \"\$seen\" in yes*) ;; *) exit 1;; esac"
  check "$who: one view on the screen at a time, redrawn in place (views per screen: $(seen headers))" \
    test "$(seen headers)" = "1"
  f=$TMP/$who.final
  check_or_show "$f" "$who: the final screen shows the final state once, exit 0" sh -c "
    test \$(grep -c '^rollout rt:' '$f') -eq 1 && grep -q '^rollout rt: finished' '$f' &&
    grep -qE '^hello +done +canary, 6 of 6 steps done' '$f' && grep -q 'weights   VM 0  container 100' '$f' &&
    grep -qE '^  analysis  smoke/direct = ' '$f' &&
    grep -q '^EXIT=0' '$f'"
  check_or_show "$f" "$who: ... no stale line of a live view on it (no wait, no step in progress)" \
    sh -c "! grep -qE 'waiting +|in-progress|canary step|approve +v2c' '$f'"
  check "$who: ... no escape residue on any screen" no_residue "$TMP/cap/$who".* "$f"
done

# --- stderr a file, stdout a file: no escape byte -------------------------------------------------
vm_ready
"$V2C" rollout rollback --state "$ST" >/dev/null 2>"$TMP/rb.err" || sed 's/^/# /' "$TMP/rb.err"
check "rollback: traffic back on the VM ($(weights))" test "$(weights)" = "100 0"
playbook "$TMP/short.yaml" "$good" "          canary:
            steps:
              - setWeight: 50
              - pause: 8s
              - setWeight: 100"
ST2=$TMP/st2
"$V2C" rollout run "$TMP/short.yaml" --state "$ST2" >"$TMP/run2.out" 2>"$TMP/run2.err" &
run2_pid=$!
wait_journal "$ST2" 180 || true
"$V2C" rollout status --state "$ST2" --watch --interval 1 >"$TMP/watch2.out" 2>"$TMP/watch2.err" &
watch2_pid=$!
# Meanwhile, Ctrl-C on a watch in a terminal.
shell_in ctrlc
tm send-keys -t ctrlc "'$V2C' rollout status --state '$ST2' --watch" Enter
if wait_screen ctrlc "waiting +pause: [0-9]+s left" 60; then
  tm send-keys -t ctrlc C-c
  sleep 1
  tm send-keys -t ctrlc 'echo EXIT=$?' Enter
  wait_screen ctrlc "^EXIT=[0-9]+" 10 || true
  screen_of ctrlc >"$TMP/ctrlc.final"
  f=$TMP/ctrlc.final
  check_or_show "$f" "Ctrl-C on status --watch: exit status 130" grep -q '^EXIT=130$' "$f"
  check_or_show "$f" "... the last view left whole above the prompt, no escape residue" python3 -c '
import re, sys
t = open(sys.argv[1]).read().rstrip("\n").split("\n")
heads = [i for i, l in enumerate(t) if l.startswith("rollout rt:")]
prompt = [i for i, l in enumerate(t) if "$ echo EXIT=" in l]
assert len(heads) == 1 and len(prompt) == 1 and heads[0] < prompt[0], (heads, prompt)
view = t[heads[0]:prompt[0]]
assert any(re.match(r"hello +in-progress +canary step 2 of 3: pause 8s", l) for l in view), view
assert any(re.match(r"  weights +VM 50  container 50", l) for l in view), view
assert not re.search(r"\x1b|\\x1b|\[[0-9;]*[ABJKm]", "\n".join(t))' "$f"
else
  not_ok "Ctrl-C on status --watch: the view shows the pause"
  screen_of ctrlc | sed 's/^/# /'
fi
st=0; timeout 120 tail --pid="$run2_pid" -f /dev/null || true; wait "$run2_pid" || st=$?
check "run with stderr a file completes (exit $st)" test "$st" -eq 0
wst=0; timeout 30 tail --pid="$watch2_pid" -f /dev/null || true; wait "$watch2_pid" || wst=$?
check "status --watch with stdout a file ends with the rollout, exit 0 ($wst)" test "$wst" -eq 0
check "... not one escape byte in run's stderr nor in the watch's stdout and stderr" \
  sh -c "! cat '$TMP/run2.err' '$TMP/watch2.out' '$TMP/watch2.err' | grep -q \$'\\x1b'"
check_or_show "$TMP/watch2.out" "... the watch printed a view at each change: 50/50 then 0/100, the last one finished" python3 -c '
import re, sys
views = [v for v in open(sys.argv[1]).read().split("\n\n") if v.strip()]
w = [re.search(r"weights +VM (\d+)  container (\d+)", v) for v in views]
w = [m.group(1) + "/" + m.group(2) for m in w if m]
assert "50/50" in w and w[-1] == "0/100" and w.index("50/50") < len(w) - 1, w
assert views[-1].startswith("rollout rt: finished"), views[-1]
# Printed on a change of the status, not at each look: no two views in a
# row that differ only by the clock (the time in the header, a countdown).
same = lambda v: re.sub(r"\(\d\d:\d\d:\d\d UTC\)|\d+s left", "", v)
assert all(same(a) != same(b) for a, b in zip(views, views[1:])), "a view again without a change"' "$TMP/watch2.out"

# --- a rollout that fails: run --progress=never on a terminal, status --watch ends with it -------
# The broken build ($bad: / answers 500) fails the smoke analysis at 50/50
# and rolls back.  run, with --progress=never, draws no view on its terminal;
# status --watch (stdout a file) ends when the rollout stops, exit 1, its
# last view saying why.
vm_ready
"$V2C" rollout rollback --state "$ST2" >/dev/null 2>"$TMP/rb2.err" || sed 's/^/# /' "$TMP/rb2.err"
playbook "$TMP/bad.yaml" "$bad" "          canary:
            steps:
              - setWeight: 50
              - pause: 4s
              - analysis: smoke
              - setWeight: 100"
ST3=$TMP/st3
shell_in never
tm send-keys -t never "'$V2C' rollout run '$TMP/bad.yaml' --state '$ST3' --progress=never; echo EXIT=\$?" Enter
wait_journal "$ST3" 180 || true
"$V2C" rollout status --state "$ST3" --watch --interval 1 >"$TMP/watch3.out" 2>"$TMP/watch3.err" &
watch3_pid=$!
n=0 views=0
while [ "$n" -lt 400 ]; do
  screen_of never >"$TMP/never.screen"
  grep -q '^rollout rt:' "$TMP/never.screen" && views=$((views + 1))
  grep -q '^EXIT=[0-9]' "$TMP/never.screen" && break
  n=$((n + 1)); sleep 0.3
done
check_or_show "$TMP/never.screen" "run --progress=never on a terminal: no view on $n screens ($views with one); it fails, exit 1" \
  sh -c "grep -q '^EXIT=1' '$TMP/never.screen' && test $views -eq 0 && test $n -gt 10"
wst=0; timeout 30 tail --pid="$watch3_pid" -f /dev/null || true; wait "$watch3_pid" || wst=$?
check_or_show "$TMP/watch3.out" "status --watch ends when the rollout stops after a rollback: exit 1 ($wst), its last view says why" python3 -c '
import re, sys
views = [v for v in open(sys.argv[1]).read().split("\n\n") if v.strip()]
last = views[-1]
assert sys.argv[2] == "1", sys.argv[2]
assert last.startswith("rollout rt: stopped, rolled back"), last
assert re.search(r"^hello +rolled-back +canary, stopped at step 3 of 4$", last, re.M), last
assert re.search(r"^  weights +VM 100  container 0$", last, re.M), last
assert re.search(r"^  analysis +smoke/direct = 0  pass if result == 1  FAIL \(1 of 2\)$", last, re.M), last
assert re.search(r"^  reason +analysis smoke: metric direct failed", last, re.M), last' "$TMP/watch3.out" "$wst"
finish
