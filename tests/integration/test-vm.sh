#!/usr/bin/env bash
# The VM side of rollout against a real qemu: the test VM of
# tests/fixtures/build-vm.sh boots under TCG and serves "vm ok" on
# loopback (vm-lib.sh), and rollout/qmp.c (through tests/tools/qmp-ctl)
# reads its status, runs commands and reports qemu's errors, powers it off
# through ACPI, stops hard a guest that ignores the power button, and says
# clearly when there is no socket or another client holds it.  Boot and
# stop times are printed as comments.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vm-lib.sh"
: "${QMP_CTL:?QMP_CTL must name the qmp-ctl test tool}"
for c in qemu-system-x86_64 curl; do
  command -v "$c" >/dev/null || { echo "$c missing (scripts/setup.sh installs it)"; exit 1; }
done

vm_fixture || { not_ok "build the VM fixture"; finish; exit 1; }
ok "VM fixture built or cached in $FIXTURES/vm ($VM_FIXTURE_MS ms, kernel $(cat "$FIXTURES/vm/version"))"

# check_out DESCRIPTION FILE PATTERN: FILE (a command's output) matches.
check_out() {
  if grep -qE "$3" "$2"; then ok "$1"; else not_ok "$1"; sed 's/^/#   /' "$2"; fi
}

# ---- VM a: serves, answers QMP, powers off through ACPI ----------------
if ! vm_start a; then
  not_ok "VM a boots and serves on loopback"
  finish
  exit 1
fi
echo "# VM a: boot to HTTP in $VM_A_BOOT_MS ms"
ok "VM a boots and serves \"vm ok\" on $VM_A_ADDR"
check "VM a serves /health" test "$(curl -s -m 5 "http://$VM_A_ADDR/health")" = ok

"$QMP_CTL" "$VM_A_QMP" status >"$TMP/status.out" 2>&1 || true
check_out "qmp-ctl status: running" "$TMP/status.out" '^status=running running=true$'

"$QMP_CTL" "$VM_A_QMP" execute query-name >"$TMP/exec.out" 2>&1 || true
check_out "qmp-ctl execute query-name returns an object" "$TMP/exec.out" '^\{.*\}$'
"$QMP_CTL" "$VM_A_QMP" execute human-monitor-command '{"command-line": "info version"}' >"$TMP/exec.out" 2>&1 || true
check_out "qmp-ctl execute passes arguments" "$TMP/exec.out" '7\.[0-9]'
rc=0
"$QMP_CTL" "$VM_A_QMP" execute no-such-command >"$TMP/exec.out" 2>&1 || rc=$?
check "a QMP error reply fails the command" test "$rc" -eq 1
check_out "... and qemu's error is the message" "$TMP/exec.out" \
  '^qmp-ctl: QMP `no-such-command`: qemu refused it: .*not been found \(CommandNotFound\)$'

# qemu serves one QMP client at a time: a second one gets no greeting.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.recv(4096)
time.sleep(4)
' "$VM_A_QMP" &
holder=$!
sleep 0.5
rc=0
t0=$(date +%s%N)
"$QMP_CTL" -t 1000 "$VM_A_QMP" status >"$TMP/busy.out" 2>&1 || rc=$?
t=$(date +%s%N)
check "a second QMP client times out (1 s)" test "$rc" -eq 1 -a $(((t - t0) / 1000000)) -lt 3000
check_out "... saying why" "$TMP/busy.out" 'no greeting within 1000 ms \(is another client connected\?\)'
wait "$holder" || true

rc=0
"$QMP_CTL" "$VM_A_QMP" powerdown >"$TMP/powerdown.out" 2>&1 || rc=$?
check "qmp-ctl powerdown" test "$rc" -eq 0 -a ! -s "$TMP/powerdown.out"
if vm_wait_exit a 15; then
  echo "# VM a: ACPI power-off to qemu exit in $VM_A_EXIT_MS ms"
  check "ACPI power-off: qemu exits within 10 s" test "$VM_A_EXIT_MS" -le 10000
  check_out "... after the guest's acpid powered it off" "$VM_A_LOG" 'acpi: power button'
else
  not_ok "ACPI power-off: qemu still runs after 15 s"
  tail -5 "$VM_A_LOG" | sed 's/^/#   /'
fi

rc=0
"$QMP_CTL" "$VM_A_QMP" status >"$TMP/gone.out" 2>&1 || rc=$?
check "qmp-ctl on a missing socket fails" test "$rc" -eq 1
check_out "... with a clear error" "$TMP/gone.out" \
  "^qmp-ctl: connecting to QMP socket \`$VM_A_QMP\`: No such file or directory$"
rc=0
"$QMP_CTL" "$TMP/no-such-dir/qmp.sock" shutdown 100 >"$TMP/gone.out" 2>&1 || rc=$?
check "qmp-ctl shutdown on a missing socket fails" test "$rc" -eq 1
check_out "... with a clear error" "$TMP/gone.out" \
  "^qmp-ctl: stopping the VM: connecting to QMP socket \`$TMP/no-such-dir/qmp.sock\`: No such file or directory$"

# ---- VM b: ignores the power button; shutdown stops it hard -------------
if vm_start b --no-acpid; then
  echo "# VM b: boot to HTTP in $VM_B_BOOT_MS ms"
  ok "VM b (no acpid) boots"
  rc=0
  "$QMP_CTL" "$VM_B_QMP" powerdown || rc=$?
  check "qmp-ctl powerdown on VM b" test "$rc" -eq 0
  sleep 3
  check "VM b ignores ACPI power-off (still runs 3 s later)" vm_alive b
  check "... and still serves" test "$(curl -s -m 5 "http://$VM_B_ADDR/")" = "vm ok"
  rc=0
  "$QMP_CTL" "$VM_B_QMP" shutdown 1500 >"$TMP/shutdown-b.out" 2>&1 || rc=$?
  check "qmp-ctl shutdown 1500 on VM b" test "$rc" -eq 0
  check_out "... stops it hard after the grace" "$TMP/shutdown-b.out" '^stopped hard in [0-9]+ ms$'
  ms=$(sed -n 's/^stopped hard in \([0-9]*\) ms$/\1/p' "$TMP/shutdown-b.out")
  echo "# VM b: shutdown with 1500 ms grace took ${ms:-?} ms"
  check "... not before the grace, not long after" test "${ms:-0}" -ge 1500 -a "${ms:-0}" -lt 7000
  check "... and qemu is gone when it returns" vm_wait_exit b 0.5
else
  not_ok "VM b (no acpid) boots"
fi

# ---- VM c: shutdown with a long grace powers off through ACPI -----------
if vm_start c; then
  echo "# VM c: boot to HTTP in $VM_C_BOOT_MS ms"
  ok "VM c boots"
  rc=0
  "$QMP_CTL" "$VM_C_QMP" shutdown 30000 >"$TMP/shutdown-c.out" 2>&1 || rc=$?
  check "qmp-ctl shutdown 30000 on VM c" test "$rc" -eq 0
  check_out "... powers it off through ACPI" "$TMP/shutdown-c.out" '^powered off in [0-9]+ ms$'
  ms=$(sed -n 's/^powered off in \([0-9]*\) ms$/\1/p' "$TMP/shutdown-c.out")
  echo "# VM c: graceful shutdown took ${ms:-?} ms"
  check "... and qemu is gone when it returns" vm_wait_exit c 0.5
else
  not_ok "VM c boots"
fi

# ---- VM d: quit stops qemu at once --------------------------------------
if vm_start d; then
  echo "# VM d: boot to HTTP in $VM_D_BOOT_MS ms"
  ok "VM d boots"
  rc=0
  "$QMP_CTL" "$VM_D_QMP" quit >"$TMP/quit.out" 2>&1 || rc=$?
  check "qmp-ctl quit" test "$rc" -eq 0
  if vm_wait_exit d 5; then
    echo "# VM d: quit to qemu exit in $VM_D_EXIT_MS ms"
    ok "quit: qemu exits within 5 s"
  else
    not_ok "quit: qemu still runs after 5 s"
  fi
else
  not_ok "VM d boots"
fi

finish
