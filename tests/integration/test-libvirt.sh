#!/usr/bin/env bash
# The libvirt VM backend against a real libvirtd: the test VM of
# tests/fixtures/build-vm.sh runs as a libvirt domain (qemu:///system,
# type 'qemu', direct kernel boot, the guest's port 80 forwarded to
# 127.0.0.1 through <qemu:commandline>, since libvirt 9.0 ignores
# <portForward> on user networking), and rollout/libvirt.c (through
# tests/tools/libvirt-ctl) reads its state, powers it off through ACPI,
# destroys a guest that ignores the power button after the grace, starts a
# defined domain again, and says clearly when a domain does not exist.
#
# libvirtd and virtlogd: the running ones when libvirtd answers; otherwise
# this test starts them as daemons (the system's runtime dirs: the qemu
# driver of qemu:///system has its state paths built in) and stops them at
# exit.  libvirt missing, or libvirtd failing to start, is a skip (77) with
# the reason, and a failure in CI (CI=true): scripts/setup.sh installs it,
# so there it is a broken setup, not a test that cannot run.  Every wait is bounded;
# every domain it made is destroyed and undefined at exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vm-lib.sh"
: "${LIBVIRT_CTL:?LIBVIRT_CTL must name the libvirt-ctl test tool}"
URI=qemu:///system
BOOT_TIMEOUT=${LIBVIRT_BOOT_TIMEOUT:-90}

need virsh libvirtd virtlogd qemu-system-x86_64 curl
[ "$(id -u)" -eq 0 ] || skip_test "qemu:///system needs root here (no polkit without systemd)"

started_pids=()   # daemons this test started, stopped at exit
domains=()        # domains this test made, destroyed (and undefined) at exit

# A daemon is nobody's child here: a zombie counts as gone (_vmlib_pid_alive).
pid_alive() { _vmlib_pid_alive "$1"; }
stop_pid() { # SIGTERM, wait <= 5 s, then SIGKILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do pid_alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local d p
  for d in "${domains[@]}"; do
    timeout 20 virsh -q -c "$URI" destroy "$d" >/dev/null 2>&1 || true
    timeout 20 virsh -q -c "$URI" undefine "$d" >/dev/null 2>&1 || true
  done
  # libvirtd first: it still talks to virtlogd while it stops.
  for ((p = ${#started_pids[@]} - 1; p >= 0; p--)); do stop_pid "${started_pids[p]}"; done
  rm -rf "$TMP"
}
trap 'st=$?; cleanup; exit $st' EXIT

virsh_ok() { timeout 10 virsh -q -c "$URI" uri >/dev/null 2>&1; }
# start_daemon NAME: NAME --daemon, its pid (from /run/NAME.pid) recorded.
start_daemon() {
  local name=$1 pid="" i
  rm -f "/run/$name.pid"   # stale: it is not running (checked by the caller)
  "$name" --daemon >"$TMP/$name.err" 2>&1 || { cat "$TMP/$name.err" >&2; return 1; }
  for i in $(seq 50); do
    pid=$(cat "/run/$name.pid" 2>/dev/null) || true
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || return 1
  started_pids+=("$pid")
}

if virsh_ok; then
  echo "# using the libvirtd already running"
else
  pgrep -x virtlogd >/dev/null || start_daemon virtlogd ||
    skip_or_fail "virtlogd --daemon failed: $(tr '\n' ' ' <"$TMP/virtlogd.err")"
  pgrep -x libvirtd >/dev/null || start_daemon libvirtd ||
    skip_or_fail "libvirtd --daemon failed: $(tr '\n' ' ' <"$TMP/libvirtd.err")"
  for i in $(seq 100); do virsh_ok && break; sleep 0.2; done
  virsh_ok || skip_or_fail "libvirtd started but $URI does not answer within 20 s"
  echo "# started virtlogd and libvirtd (pids ${started_pids[*]:-none}), stopped at exit"
fi

vm_fixture || { not_ok "build the VM fixture"; finish; exit 1; }
ok "VM fixture built or cached in $FIXTURES/vm ($VM_FIXTURE_MS ms)"
# qemu runs as libvirt-qemu: it must reach the copies in $TMP.
chmod 711 "$TMP"

check_out() { # check_out DESCRIPTION FILE PATTERN
  if grep -qE "$3" "$2"; then ok "$1"; else not_ok "$1"; sed 's/^/#   /' "$2"; fi
}

# domain_xml NAME PORT APPEND: the domain, with its own kernel and initrd
# copies (libvirt chowns them while the domain runs).
domain_xml() {
  local name=$1 port=$2 append=$3 d=$TMP/lv-$1
  mkdir -p "$d"
  chmod 755 "$d"
  [ -f "$d/vmlinux" ] || cp "$VM_KERNEL" "$d/vmlinux"
  [ -f "$d/initrd.gz" ] || cp "$VM_INITRD" "$d/initrd.gz"
  cat <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$d/vmlinux</kernel>
    <initrd>$d/initrd.gz</initrd>
    <cmdline>$append</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$d/serial.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=v2cnet0,hostfwd=tcp:127.0.0.1:$port-:80'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=v2cnet0'/>
  </qemu:commandline>
</domain>
XML
}

# wait_vm_ok ADDR: "vm ok" on ADDR within BOOT_TIMEOUT s.  Slirp accepts
# connections before the guest listens: an empty reply means "not yet".
wait_vm_ok() {
  local deadline=$(($(_vmlib_now_ms) + BOOT_TIMEOUT * 1000)) reply
  while [ "$(_vmlib_now_ms)" -lt "$deadline" ]; do
    reply=$(curl -s -m 2 "http://$1/" 2>/dev/null) || true
    [ "$reply" = "vm ok" ] && return 0
    sleep 0.2
  done
  return 1
}

# launch NAME create|define APPEND: a transient domain started at once
# (create), or a persistent one left shut off (define); sets PORT.  A port
# picked here can be taken before qemu binds it: try another.
launch() {
  local name=$1 how=$2 append=$3 try
  for try in 1 2 3; do
    PORT=$(_vmlib_free_port)
    domain_xml "$name" "$PORT" "$append" >"$TMP/$name.xml"
    domains+=("$name")
    timeout 120 virsh -q -c "$URI" "$how" "$TMP/$name.xml" >"$TMP/$name.virsh" 2>&1 && return 0
    grep -q 'Could not set up host forwarding' "$TMP/$name.virsh" || break
  done
  sed 's/^/#   /' "$TMP/$name.virsh"
  return 1
}

run=v2c-test-$$
append="console=ttyS0 quiet panic=-1"

# ---- domain a (transient): running, then powered off through ACPI --------
a=$run-a
t0=$(_vmlib_now_ms)
if ! launch "$a" create "$append" || ! wait_vm_ok "127.0.0.1:$PORT"; then
  not_ok "domain $a starts and serves \"vm ok\" on loopback"
  tail -20 "$TMP/lv-$a/serial.log" 2>/dev/null | sed 's/^/#   /'
  finish
  exit 1
fi
a_addr=127.0.0.1:$PORT
echo "# domain a: virsh create to HTTP in $(($(_vmlib_now_ms) - t0)) ms"
ok "domain $a (transient) serves \"vm ok\" on $a_addr"

"$LIBVIRT_CTL" "$URI" "$a" state >"$TMP/state.out" 2>&1 || true
check_out "libvirt-ctl state: running" "$TMP/state.out" '^state=running running=true$'
rc=0
"$LIBVIRT_CTL" "$URI" "$a" start >"$TMP/start.out" 2>&1 || rc=$?
check "libvirt-ctl start leaves a running domain alone" test "$rc" -eq 0 -a ! -s "$TMP/start.out"

rc=0
"$LIBVIRT_CTL" "$URI" "$run-missing" state >"$TMP/missing.out" 2>&1 || rc=$?
check "a missing domain fails" test "$rc" -eq 1
check_out "... with a clear one-line error" "$TMP/missing.out" \
  "^libvirt-ctl: libvirt domain \`$run-missing\` on \`qemu:///system\`: Domain not found: .*'$run-missing'\$"
check "... and nothing else on stderr (libvirt's own printing is silenced)" test "$(wc -l <"$TMP/missing.out")" -eq 1
rc=0
"$LIBVIRT_CTL" "$URI" "$run-missing" shutdown 1000 >"$TMP/missing.out" 2>&1 || rc=$?
check_out "shutdown of a missing domain fails clearly" "$TMP/missing.out" "^libvirt-ctl: libvirt domain \`$run-missing\`.*Domain not found"
rc=0
"$LIBVIRT_CTL" "qemu:///nonsense" "$a" state >"$TMP/uri.out" 2>&1 || rc=$?
check "a bad URI fails" test "$rc" -eq 1
check_out "... naming the URI" "$TMP/uri.out" '^libvirt-ctl: connecting to libvirt `qemu:///nonsense`: '

rc=0
"$LIBVIRT_CTL" "$URI" "$a" shutdown 30000 >"$TMP/shutdown.out" 2>&1 || rc=$?
check_out "ACPI shutdown: the guest powers off by itself" "$TMP/shutdown.out" '^powered off in [0-9]+ ms$'
sed 's/^/# domain a: /' "$TMP/shutdown.out"
check_out "... after the guest's acpid saw the power button" "$TMP/lv-$a/serial.log" 'acpi: power button'
check "... and the VM no longer serves" test -z "$(curl -s -m 2 "http://$a_addr/" 2>/dev/null || true)"
rc=0
"$LIBVIRT_CTL" "$URI" "$a" state >"$TMP/gone.out" 2>&1 || rc=$?
check_out "a stopped transient domain is gone" "$TMP/gone.out" 'Domain not found'

# ---- domain b (persistent, ignores ACPI): start, destroyed after grace ---
b=$run-b
if ! launch "$b" define "$append v2c.noacpid"; then
  not_ok "virsh define $b"
  finish
  exit 1
fi
"$LIBVIRT_CTL" "$URI" "$b" state >"$TMP/state.out" 2>&1 || true
check_out "a defined domain is shut off" "$TMP/state.out" '^state=shut off running=false$'
rc=0
t0=$(_vmlib_now_ms)
"$LIBVIRT_CTL" "$URI" "$b" start >"$TMP/start.out" 2>&1 || rc=$?
check "libvirt-ctl start starts it" test "$rc" -eq 0
if wait_vm_ok "127.0.0.1:$PORT"; then
  echo "# domain b: libvirt-ctl start to HTTP in $(($(_vmlib_now_ms) - t0)) ms"
  ok "domain $b serves \"vm ok\" on 127.0.0.1:$PORT"
  "$LIBVIRT_CTL" "$URI" "$b" state >"$TMP/state.out" 2>&1 || true
  check_out "libvirt-ctl state: running" "$TMP/state.out" '^state=running running=true$'
  rc=0
  "$LIBVIRT_CTL" "$URI" "$b" shutdown 3000 >"$TMP/hard.out" 2>&1 || rc=$?
  sed 's/^/# domain b: /' "$TMP/hard.out"
  check_out "a guest ignoring ACPI is stopped hard" "$TMP/hard.out" '^stopped hard in [0-9]+ ms$'
  ms=$(sed -n 's/^stopped hard in \([0-9]*\) ms$/\1/p' "$TMP/hard.out")
  check "... after the 3 s grace, within 15 s" test "${ms:-0}" -ge 3000 -a "${ms:-0}" -lt 15000
  "$LIBVIRT_CTL" "$URI" "$b" state >"$TMP/state.out" 2>&1 || true
  check_out "... and is shut off" "$TMP/state.out" '^state=shut off running=false$'
  rc=0
  "$LIBVIRT_CTL" "$URI" "$b" shutdown 1000 >"$TMP/again.out" 2>&1 || rc=$?
  check_out "shutdown of a shut-off domain is a no-op" "$TMP/again.out" '^powered off in [0-9]+ ms$'
else
  not_ok "domain $b serves \"vm ok\" after libvirt-ctl start"
  tail -20 "$TMP/lv-$b/serial.log" 2>/dev/null | sed 's/^/#   /'
fi

finish
