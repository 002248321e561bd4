# Hosts for the package and fleet tests, sourced after lib.sh: each host is
# an overlay of a cached Debian 12 root (tests/fixtures/build-host-root.sh)
# in a mount and PID namespace of its own, so it has its own file system
# (writes land in its upper directory, the cached root is never written)
# and its own processes and host name.  Hosts share the machine's network: a host's sshd
# listens on its own loopback address (127.0.0.N) and port, and the hosts
# reach a registry the test starts on 127.0.0.1.  Whatever a host runs
# dies with its namespace when the host is stopped, and every host is
# stopped at exit.
#
#   host_root_build DEB      HOST_ROOT: the cached root for DEB's dependencies
#   host_upper NAME          the host's upper directory (prints its path):
#                            files put there before host_start are in its root
#   host_start NAME ADDR AUTHORIZED_KEYS
#       sshd on ADDR (127.0.0.N) and a free port, root logging in with the
#       key; sets HOST_<NAME>_PORT, HOST_<NAME>_PID, HOST_<NAME>_LOG
#   host_run NAME CMD...     CMD in the host's root, in mount, UTS and PID
#                            namespaces of its own and an empty network
#                            namespace: no network at all (tests without sshd)
#   host_stop NAME
: "${TMP:?source lib.sh first}"
_HOSTLIB_PIDS=()

host_root_build() { # host_root_build DEB
  HOST_ROOT=$("$V2C_SOURCE_ROOT/tests/fixtures/build-host-root.sh" "$1")
}

host_upper() { # host_upper NAME
  local d=$TMP/host-$1
  mkdir -p "$d/upper" "$d/work" "$d/merged"
  echo "$d/upper"
}

# The mount script each host runs in its own namespaces ($1 the host dir,
# $2 the lower root; the rest is the command to exec in the root).
_hostlib_mounts='
set -e
d=$1 lower=$2; shift 2
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$d/upper,workdir=$d/work" "$d/merged"
m=$d/merged
[ ! -s "$d/upper/etc/hostname" ] || hostname "$(cat "$d/upper/etc/hostname")"
mount -t proc proc "$m/proc"
mount -t tmpfs -o mode=755 tmpfs "$m/run"
mkdir -p "$m/run/sshd"
mount -t tmpfs -o mode=755 tmpfs "$m/dev"
for n in null zero full random urandom tty; do
  touch "$m/dev/$n"; mount --bind "/dev/$n" "$m/dev/$n"
done
mkdir -p "$m/dev/pts" "$m/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$m/dev/pts"
ln -s pts/ptmx "$m/dev/ptmx"
exec chroot "$m" "$@"
'

host_run() { # host_run NAME CMD...
  local name=$1 d; shift
  host_upper "$name" >/dev/null
  d=$TMP/host-$name
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive \
    unshare --mount --propagation private --uts --net --pid --fork --kill-child \
    bash -c "$_hostlib_mounts" host "$d" "$HOST_ROOT" "$@"
}

_hostlib_free_port() { # _hostlib_free_port ADDR
  /usr/bin/python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

host_start() { # host_start NAME ADDR AUTHORIZED_KEYS
  local name=$1 addr=$2 keys=$3 d up port pid i try var
  up=$(host_upper "$name")
  d=$TMP/host-$name
  mkdir -p "$up/root/.ssh"
  chmod 700 "$up/root" "$up/root/.ssh"
  install -m 600 "$keys" "$up/root/.ssh/authorized_keys"
  mkdir -p "$up/etc"
  echo "$name" >"$up/etc/hostname"
  var=$(echo "$name" | tr 'a-z' 'A-Z')
  for try in 1 2 3; do
    port=$(_hostlib_free_port "$addr")
    : >"$d/sshd.log"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      unshare --mount --propagation private --uts --pid --fork --kill-child \
      bash -c "$_hostlib_mounts" host "$d" "$HOST_ROOT" \
      /usr/sbin/sshd -D -e -o "ListenAddress=$addr:$port" -o PermitRootLogin=prohibit-password \
        -o PasswordAuthentication=no -o UsePAM=no -o UseDNS=no -o MaxStartups=50 -o MaxSessions=50 \
      >>"$d/sshd.log" 2>&1 </dev/null &
    pid=$!
    disown "$pid"
    _HOSTLIB_PIDS+=("$pid")
    for i in $(seq 100); do
      if grep -q "Server listening on $addr port $port" "$d/sshd.log"; then
        printf -v "HOST_${var}_PORT" %s "$port"
        printf -v "HOST_${var}_PID" %s "$pid"
        printf -v "HOST_${var}_LOG" %s "$d/sshd.log"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    # The overlay went with the namespace; a new try mounts it again.
  done
  cat "$d/sshd.log" >&2
  echo "host-lib: sshd of $name did not listen on $addr" >&2
  return 1
}

host_stop() { # host_stop NAME
  local var pid
  var=$(echo "$1" | tr 'a-z' 'A-Z')
  pid=$(eval echo "\${HOST_${var}_PID:-}")
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; }
}

_hostlib_cleanup() {
  local p i
  for p in "${_HOSTLIB_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${_HOSTLIB_PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
}
