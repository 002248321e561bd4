#!/bin/bash
# make-guest.sh DIR
#
# A stock bookworm guest for bench/convert-guest: debootstrap minbase, then
# nginx, redis, ssh, python3 and some bulk (perl, vim, git, curl) installed in
# a chroot where no service starts (policy-rc.d exits 101).  Leaves
# DIR/root (the tree), DIR/root.tar and DIR/disk.qcow2 (tar2disk.sh).
# Needs root, debootstrap and Debian's archive.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: make-guest.sh DIR" >&2; exit 2; }
dir=$1 here=$(cd "$(dirname "$0")" && pwd)
root=$dir/root
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$dir"
if [ ! -x "$root/usr/bin/redis-server" ]; then
if [ ! -x "$root/usr/bin/apt-get" ]; then
	rm -rf "$root"
	debootstrap --variant=minbase bookworm "$root" "$mirror"
fi
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT
chroot "$root" apt-get -q update
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -q -y install --no-install-recommends \
	systemd-sysv nginx redis-server openssh-server python3 ca-certificates perl vim git curl
chroot "$root" apt-get clean
rm -f "$root/usr/sbin/policy-rc.d"
umount "$root/proc"
trap - EXIT
fi
echo bench-guest >"$root/etc/hostname"
# Until non-ASCII names convert (issue 10, defect 2): files with such names
# and symlinks to such names (ca-certificates') are dropped from this guest.
LC_ALL=C find "$root" -xdev \( -name '*[! -~]*' -o \( -type l -lname '*[! -~]*' \) \) -print -delete | wc -l
tar --xattrs --xattrs-include='*' --numeric-owner -C "$root" -cf "$dir/root.tar" .
"$here/../tests/fixtures/tar2disk.sh" "$dir/root.tar" "$dir/disk.qcow2"
