#!/usr/bin/env bash
# v2c-init, the init v2c embeds into images: as PID 1 of a fresh pid
# namespace (unshare, as a container runtime would run it) and as an
# ordinary process relying on PR_SET_CHILD_SUBREAPER.  Exit statuses,
# pidfile daemons, signal forwarding, the SIGKILL escalation, and reaping.
# Every wait is bounded; whatever is still running at the end is killed.
. "$(dirname "$0")/lib.sh"
INIT="$V2C_BUILD_ROOT/convert/v2c-init"

started=()
cleanup() {
  local p
  for p in "${started[@]}"; do pkill -KILL -P "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() { # wait_for SECONDS COMMAND...: polls every 0.1 s
  local tries=$(($1 * 10)); shift
  while [ "$tries" -gt 0 ]; do
    if "$@"; then return 0; fi
    sleep 0.1
    tries=$((tries - 1))
  done
  return 1
}

alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }

# Reaps the background job PID within SECONDS, else kills it (and the other
# PIDs: a namespace's init) first; its status goes to $status.
# Evaluated at each try (an argument of wait_for is expanded once, before
# its first try: a child started later would never be seen).
has_children() { test -n "$(cat "/proc/$1/task/$1/children" 2>/dev/null)"; }
reap_within() { # reap_within SECONDS PID [PID...]
  local t=$1 job=$2; shift
  if ! wait_for "$t" dead "$job"; then
    echo "# pid $job still running after $t s, killed"
    kill -KILL "$@" 2>/dev/null || true
  fi
  status=0
  wait "$job" || status=$?
}

expect_exit() { # expect_exit STATUS DESCRIPTION ARGS...: v2c-init ARGS, not PID 1
  local want=$1 d=$2; shift 2
  local got=0
  timeout -k 2 20 "$INIT" "$@" >"$TMP/out" 2>"$TMP/err" || got=$?
  if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else not_ok "$d: exit $got, wanted $want"; cat "$TMP/err"; fi
}

expect_exit_pid1() { # expect_exit_pid1 STATUS DESCRIPTION ARGS...: v2c-init ARGS as PID 1
  local want=$1 d=$2; shift 2
  local got=0
  timeout -k 2 20 unshare --pid --fork --mount-proc "$INIT" "$@" >"$TMP/out" 2>"$TMP/err" || got=$?
  if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else not_ok "$d: exit $got, wanted $want"; cat "$TMP/err"; fi
}

one_line_error() { [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q '^v2c-init: ' "$TMP/err"; }

zombie_children() { # zombie_children PID: prints the zombies whose parent is PID
  local s line fields
  for s in /proc/[0-9]*/stat; do
    read -r line <"$s" 2>/dev/null || continue
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses
    read -r -a fields <<<"${line##*) }"
    if [ "${fields[0]}" = Z ] && [ "${fields[1]}" = "$1" ]; then echo "${line%% *}"; fi
  done
  return 0
}
no_zombies_of() { [ -z "$(zombie_children "$1")" ]; }
none_is_zombie() { # none_is_zombie FILE: no pid listed in FILE is a zombie
  local p
  for p in $(cat "$1"); do
    if grep -qs '^State:.*Z' "/proc/$p/status"; then return 1; fi
  done
  return 0
}

ns_init_of() { # ns_init_of UNSHARE_PID: the v2c-init that unshare forked
  local c
  c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
  c=${c%% *}
  [ -n "$c" ] && echo "$c"
}

# --- the binary and its usage -------------------------------------------
if command -v readelf >/dev/null; then
  check "v2c-init is static (no program interpreter)" eval '! readelf -lW "$INIT" | found INTERP'
else
  skip_check_or_fail "v2c-init is static" "readelf is missing (binutils: scripts/setup.sh installs build-essential)"
fi
expect_exit 2 "no arguments"
check "the usage error is one line" one_line_error
check "the usage error names the problem" grep -q 'no COMMAND' "$TMP/err"
expect_exit 2 "an unknown option" --bogus -- /bin/true
check "the unknown option is named" grep -q -- '`--bogus`' "$TMP/err"
expect_exit 2 "a bad --wait-pidfile" --wait-pidfile soon -- /bin/true
check "the bad value is named" grep -q 'soon' "$TMP/err"
expect_exit 2 "--pidfile without a path" --pidfile
expect_exit 0 "--help" --help
check "--help prints the usage" grep -q '^usage: v2c-init' "$TMP/out"

# --- plain mode, as PID 1 -----------------------------------------------
expect_exit_pid1 7 "PID 1: the command's exit status" -- /bin/sh -c 'exit 7'
expect_exit_pid1 0 "PID 1: the command is our child" -- /bin/sh -c 'test "$PPID" -eq 1'
expect_exit_pid1 143 "PID 1: a command killed by SIGTERM gives 128+15" -- /bin/sh -c 'kill -TERM $$'
expect_exit_pid1 0 "PID 1: a bare name is searched in the fixed PATH" -- true
expect_exit_pid1 127 "PID 1: a missing command" -- /nonexistent/cmd
check "a missing command is named" grep -q 'cannot execute `/nonexistent/cmd`' "$TMP/err"

# --- signal forwarding, not PID 1 -----------------------------------------
# bash starts background jobs with SIGINT ignored: the child must get the
# default disposition back, or this would hang.
"$INIT" -- sleep 300 & initpid=$!; started+=("$initpid")
if wait_for 10 has_children "$initpid"; then
  kill -INT "$initpid"
  reap_within 10 "$initpid"
  check "SIGINT is forwarded; exit 128+2 (got $status)" test "$status" -eq 130
else
  not_ok "v2c-init did not start its command"
fi

# --- the SIGKILL escalation, as PID 1 signalled from outside --------------
unshare --pid --fork --mount-proc \
  "$INIT" --stop-timeout 1 -- /bin/sh -c 'trap "" TERM; exec sleep 300' & upid=$!; started+=("$upid")
if wait_for 10 ns_init_of "$upid" >/dev/null && nsinit=$(ns_init_of "$upid") && started+=("$nsinit") \
   && wait_for 10 has_children "$nsinit"; then
  t0=$SECONDS
  kill -TERM "$nsinit"
  reap_within 15 "$upid" "$nsinit"
  check "a command ignoring SIGTERM is killed after --stop-timeout; exit 128+9 (got $status)" test "$status" -eq 137
  check "the SIGKILL came within the stop timeout plus slack ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 5
else
  not_ok "the namespaced v2c-init did not start"
fi

# --- pidfile mode ----------------------------------------------------------
# The daemon leaves 20 short-lived orphans behind (each reparented to
# v2c-init, which must reap them), then sleeps.
cat >"$TMP/daemon.sh" <<'EOF'
#!/bin/sh
i=0
while [ $i -lt 20 ]; do
  sh -c 'sleep 0.05 & echo $! >>"$1"' sh "$1"
  i=$((i + 1))
done
exec sleep 300
EOF
cat >"$TMP/start.sh" <<'EOF'
#!/bin/sh
# start.sh PIDFILE ORPHANS: detaches the daemon as an init script would
sh "$(dirname "$0")/daemon.sh" "$2" </dev/null >/dev/null 2>&1 &
echo $! >"$1"
EOF

orphans_done() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge 20 ]; }

# Not PID 1: only PR_SET_CHILD_SUBREAPER makes the daemon our child.
"$INIT" --pidfile "$TMP/d.pid" -- /bin/sh "$TMP/start.sh" "$TMP/d.pid" "$TMP/orphans" & initpid=$!; started+=("$initpid")
if wait_for 10 test -s "$TMP/d.pid" && daemon=$(cat "$TMP/d.pid") && started+=("$daemon") \
   && wait_for 10 orphans_done "$TMP/orphans"; then
  sleep 1
  check "v2c-init keeps running while the daemon lives" alive "$initpid"
  check "the daemon was reparented to v2c-init" grep -q "^PPid:[[:space:]]*$initpid\$" "/proc/$daemon/status"
  check "the daemon's orphans were all reaped" wait_for 5 no_zombies_of "$initpid"
  check "no orphan is left as a zombie" none_is_zombie "$TMP/orphans"
  kill -TERM "$initpid"
  reap_within 15 "$initpid"
  check "SIGTERM reaches the daemon; exit 128+15 (got $status)" test "$status" -eq 143
  check "the daemon is gone" dead "$daemon"
else
  not_ok "the pidfile daemon did not start"
  cat "$TMP/d.pid" 2>/dev/null || true
fi

# As PID 1, signalled from the parent namespace as `docker stop` would.
rm -f "$TMP/d.pid" "$TMP/orphans"
unshare --pid --fork --mount-proc \
  "$INIT" --pidfile "$TMP/d.pid" -- /bin/sh "$TMP/start.sh" "$TMP/d.pid" "$TMP/orphans" & upid=$!; started+=("$upid")
if wait_for 10 test -s "$TMP/d.pid" && wait_for 10 orphans_done "$TMP/orphans" \
   && nsinit=$(ns_init_of "$upid") && started+=("$nsinit"); then
  sleep 1
  check "PID 1: v2c-init keeps running while the daemon lives" alive "$nsinit"
  check "PID 1: the daemon's orphans were all reaped" wait_for 5 no_zombies_of "$nsinit"
  kill -TERM "$nsinit"
  reap_within 15 "$upid" "$nsinit"
  check "PID 1: SIGTERM reaches the daemon; exit 128+15 (got $status)" test "$status" -eq 143
else
  not_ok "PID 1: the pidfile daemon did not start"
fi

t0=$SECONDS
expect_exit_pid1 1 "a pidfile that never appears" --wait-pidfile 1 --pidfile "$TMP/never.pid" -- /bin/true
check "it gives up within --wait-pidfile plus slack ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 5
check "the failure is one line" one_line_error
check "the failure names the pidfile" grep -q 'never.pid' "$TMP/err"
echo 'not a pid' >"$TMP/garbage.pid"
expect_exit 1 "a pidfile holding garbage" --wait-pidfile 1 --pidfile "$TMP/garbage.pid" -- /bin/true
expect_exit 1 "a failing starter" --pidfile "$TMP/never.pid" -- /bin/sh -c 'exit 3'
check "the starter's failure is one line" one_line_error
check "the starter's status is given" grep -q 'exit status 3' "$TMP/err"

# --require: secret files checked before anything starts; --exec: then exec.
: >"$TMP/present.key"
expect_exit 78 "a required file missing (EX_CONFIG)" --require "$TMP/present.key" --require "$TMP/absent.key" \
  --require "$TMP/nodir/absent2.key" --secret web-files --exec -- /bin/sh -c "touch '$TMP/ran'"
check "... one line per missing file, none for the present one" \
  sh -c "test \$(grep -c 'missing secret file' '$TMP/err') -eq 2 && ! grep -q present.key '$TMP/err'"
check "... each saying how: podman run -v FILE:PATH:ro and the Secret" \
  grep -qF "missing secret file $TMP/absent.key: mount it read-only (podman run -v FILE:$TMP/absent.key:ro, or the Kubernetes Secret \`web-files\`)" "$TMP/err"
check "... and the command never ran" test ! -e "$TMP/ran"
expect_exit 7 "all required files there: --exec runs the command, its status is ours" \
  --require "$TMP/present.key" --exec -- /bin/sh -c 'exit 7'
expect_exit_pid1 0 "--exec as PID 1: the command replaces v2c-init (it is PID 1 itself)" \
  --require "$TMP/present.key" --exec -- /bin/sh -c 'test $$ -eq 1'
expect_exit 2 "--require with a relative path" --require relative.key -- /bin/true
finish
