# VM test infrastructure, sourced after lib.sh: the small HTTP-serving VM of
# tests/fixtures/build-vm.sh booted under qemu (TCG, user-mode networking,
# the guest's port 80 forwarded to a free port on 127.0.0.1), with QMP on a
# unix socket in $TMP.  Every wait is bounded and whatever was started is
# stopped at exit.
#
#   vm_fixture              builds (once, cached) $FIXTURES/vm; sets
#                           VM_KERNEL and VM_INITRD
#   vm_start NAME [--no-acpid] [--append WORDS]
#       NAME: [a-z0-9_]+; the variables below use NAME upper-cased.
#       Boots the VM and waits (60 s at most) until
#       `curl -s -m 2 http://ADDR/` says "vm ok".
#       VM_<NAME>_ADDR     127.0.0.1:PORT (the guest's port 80)
#       VM_<NAME>_QMP      the QMP unix socket
#       VM_<NAME>_PID      qemu's pid
#       VM_<NAME>_LOG      the guest's serial console log
#       VM_<NAME>_DIR      $TMP/vm-NAME (qemu.err: qemu's own stderr)
#       VM_<NAME>_BOOT_MS  milliseconds from launching qemu to "vm ok"
#       --no-acpid: the guest runs no acpid, so it ignores ACPI power-off
#       --append WORDS: more kernel command line words
#   vm_alive NAME             0 while qemu runs
#   vm_wait_exit NAME SECONDS 0 when qemu exits within SECONDS (fractions
#                             allowed); sets VM_<NAME>_EXIT_MS, the time waited
#   vm_stop NAME              SIGTERM (qemu exits cleanly), SIGKILL after 5 s
#   vm_cleanup                stops every VM (runs at exit by itself; call
#                             it from a test's own EXIT trap if the test
#                             replaces the trap after starting VMs)

VMLIB_PYTHON=${VMLIB_PYTHON:-/usr/bin/python3}
VMLIB_BOOT_TIMEOUT=${VMLIB_BOOT_TIMEOUT:-60}
_VMLIB_PIDS=()

_vmlib_die() { echo "vm-lib: $*" >&2; return 1; }
_vmlib_var() { # _vmlib_var NAME FIELD VALUE
  printf -v "VM_${1^^}_$2" '%s' "$3"
}
_vmlib_get() { # _vmlib_get NAME FIELD
  local v="VM_${1^^}_$2"
  echo "${!v:-}"
}
_vmlib_now_ms() { echo $(($(date +%s%N) / 1000000)); }
# qemu -daemonize leaves its parent at once: the daemon is nobody's child
# here, so it may linger as a zombie until init reaps it; that counts as gone.
_vmlib_pid_alive() {
  local st
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$st" ] && [ "$st" != Z ]
}
_vmlib_kill() { # _vmlib_kill PID: SIGTERM, wait <= 5 s, then SIGKILL
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    _vmlib_pid_alive "$pid" || break
    sleep 0.1
  done
  if _vmlib_pid_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 20); do
      _vmlib_pid_alive "$pid" || break
      sleep 0.1
    done
  fi
  _vmlib_forget "$pid"
}
_vmlib_forget() { # _vmlib_forget PID: no longer ours to stop at exit
  local p keep=()
  for p in "${_VMLIB_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  _VMLIB_PIDS=("${keep[@]}")
}
_vmlib_free_port() {
  "$VMLIB_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

vm_cleanup() {
  local pid
  for pid in "${_VMLIB_PIDS[@]}"; do _vmlib_kill "$pid"; done
  _VMLIB_PIDS=()
}
# Adds vm_cleanup before whatever EXIT trap is set now (lib.sh's
# rm -rf "$TMP", registry-lib.sh's, or a test's own), keeping the script's
# exit status, also for a previous trap that reads $? itself.
_vmlib_return() { return "$1"; }
_vmlib_arm_trap() {
  local cur
  cur=$(trap -p EXIT)
  case $cur in *vm_cleanup*) return 0 ;; esac
  _vmlib_prev_trap=""
  if [ -n "$cur" ]; then
    eval "set -- $cur"
    _vmlib_prev_trap=$3
  fi
  # The if/else hands the previous trap the original $? in both branches.
  trap '_vmlib_st=$?; vm_cleanup || true
        if _vmlib_return "$_vmlib_st"; then eval "$_vmlib_prev_trap"; else eval "$_vmlib_prev_trap"; fi
        exit $_vmlib_st' EXIT
}

vm_fixture() {
  [ -z "${VM_KERNEL:-}" ] || return 0
  local t0 t
  t0=$(_vmlib_now_ms)
  "$V2C_SOURCE_ROOT/tests/fixtures/build-vm.sh" "$FIXTURES/vm" || { _vmlib_die "building the VM fixture failed"; return 1; }
  t=$(_vmlib_now_ms)
  VM_FIXTURE_MS=$((t - t0))
  VM_KERNEL=$FIXTURES/vm/vmlinux
  VM_INITRD=$FIXTURES/vm/initrd.gz
}

_vmlib_launch() { # _vmlib_launch NAME PORT APPEND: 0 started, 1 port taken, 2 other failure
  local name=$1 port=$2 append=$3 d=$TMP/vm-$1
  rm -f "$d/qemu.pid" "$d/qmp.sock"
  : >"$d/serial.log"
  if qemu-system-x86_64 -machine pc,accel=tcg -cpu max -smp 1 -m 256 \
       -kernel "$VM_KERNEL" -initrd "$VM_INITRD" -append "$append" \
       -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80" -device virtio-net-pci,netdev=n0 \
       -display none -serial "file:$d/serial.log" -no-reboot \
       -pidfile "$d/qemu.pid" -daemonize -qmp "unix:$d/qmp.sock,server,nowait" \
       </dev/null >"$d/qemu.err" 2>&1; then
    return 0
  fi
  grep -q 'Could not set up host forwarding' "$d/qemu.err" && return 1
  return 2
}

vm_start() { # vm_start NAME [--no-acpid] [--append WORDS]
  local name=${1:?vm_start NAME [--no-acpid] [--append WORDS]} append="console=ttyS0 quiet panic=-1"
  local d port try rc pid t0 t reply deadline
  shift
  case $name in *[!a-z0-9_]* | "") _vmlib_die "VM name '$name': use [a-z0-9_]"; return 1 ;; esac
  while [ $# -gt 0 ]; do
    case $1 in
      --no-acpid) append+=" v2c.noacpid" ;;
      --append) append+=" ${2:?--append WORDS}"; shift ;;
      *) _vmlib_die "vm_start: unknown option $1"; return 1 ;;
    esac
    shift
  done
  for c in qemu-system-x86_64 curl; do
    command -v "$c" >/dev/null || { _vmlib_die "$c missing (scripts/setup.sh installs it)"; return 1; }
  done
  vm_fixture || return 1
  _vmlib_arm_trap
  [ -z "$(_vmlib_get "$name" PID)" ] || vm_stop "$name"
  d=$TMP/vm-$name
  mkdir -p "$d"
  _vmlib_var "$name" DIR "$d"
  _vmlib_var "$name" LOG "$d/serial.log"
  _vmlib_var "$name" QMP "$d/qmp.sock"
  # A port picked here can be taken before qemu binds it: try another.
  for try in 1 2 3; do
    port=$(_vmlib_free_port)
    t0=$(_vmlib_now_ms)
    rc=0
    _vmlib_launch "$name" "$port" "$append" || rc=$?
    [ "$rc" -eq 1 ] || break
  done
  if [ "$rc" -ne 0 ]; then
    cat "$d/qemu.err" >&2
    _vmlib_die "qemu for $name did not start"
    return 1
  fi
  pid=$(cat "$d/qemu.pid" 2>/dev/null) || true
  [ -n "$pid" ] || { _vmlib_die "qemu for $name wrote no pidfile"; return 1; }
  _VMLIB_PIDS+=("$pid")
  _vmlib_var "$name" PID "$pid"
  _vmlib_var "$name" ADDR "127.0.0.1:$port"
  # Slirp accepts connections before the guest listens and then closes
  # them: an empty reply only means "not yet".
  deadline=$(($(_vmlib_now_ms) + VMLIB_BOOT_TIMEOUT * 1000))
  while [ "$(_vmlib_now_ms)" -lt "$deadline" ]; do
    if ! _vmlib_pid_alive "$pid"; then
      tail -20 "$d/serial.log" "$d/qemu.err" >&2
      _vmlib_var "$name" PID ""
      _vmlib_die "VM $name: qemu exited while booting"
      return 1
    fi
    reply=$(curl -s -m 2 "http://127.0.0.1:$port/" 2>/dev/null) || true
    if [ "$reply" = "vm ok" ]; then
      t=$(_vmlib_now_ms)
      _vmlib_var "$name" BOOT_MS $((t - t0))
      return 0
    fi
    sleep 0.2
  done
  tail -20 "$d/serial.log" >&2
  vm_stop "$name"
  _vmlib_die "VM $name did not serve \"vm ok\" on 127.0.0.1:$port within ${VMLIB_BOOT_TIMEOUT} s"
}

vm_alive() { # vm_alive NAME
  _vmlib_pid_alive "$(_vmlib_get "$1" PID)"
}

vm_wait_exit() { # vm_wait_exit NAME SECONDS
  local name=$1 t0 t deadline
  t0=$(_vmlib_now_ms)
  deadline=$(awk -v t="$t0" -v s="$2" 'BEGIN { printf "%d", t + s * 1000 }')
  while vm_alive "$name"; do
    [ "$(_vmlib_now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
  t=$(_vmlib_now_ms)
  _vmlib_var "$name" EXIT_MS $((t - t0))
  _vmlib_forget "$(_vmlib_get "$name" PID)"
  return 0
}

vm_stop() { # vm_stop NAME
  local name=$1
  _vmlib_kill "$(_vmlib_get "$name" PID)"
  _vmlib_var "$name" PID ""
}
