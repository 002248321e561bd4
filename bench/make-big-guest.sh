#!/bin/bash
# make-big-guest.sh [--mid] DIR
#
# A stock bookworm guest of about 1,500 packages for bench/inspect (issue
# 17's target: v2c inspect at most 1.3x a bare launch on such a guest), or
# with --mid one of about 500 (the --each target: under 3 s a guest beyond
# the launch at 500 packages): the same recipe with fewer servers.
# debootstrap minbase, then the servers and tools a long-lived production VM
# gathers (web, databases, mail, file sharing, monitoring agents, language
# runtimes, build tools, office conversion), installed with their
# recommends in a chroot where no service starts (policy-rc.d exits 101).
# Leaves DIR/root (the tree), DIR/root.tar and DIR/disk.qcow2; each step is
# skipped when its output is there.  Needs root, debootstrap and Debian's
# archive; about 20 minutes and 6 GB the first time.
set -euo pipefail
mid=0
[ "${1:-}" = --mid ] && { mid=1; shift; }
[ $# -eq 1 ] || { echo "usage: make-big-guest.sh [--mid] DIR" >&2; exit 2; }
dir=$1 here=$(cd "$(dirname "$0")" && pwd)
root=$dir/root
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
pkgs=(
	systemd-sysv nginx apache2 php-fpm php-mysql php-pgsql php-gd postgresql mariadb-server
	redis-server memcached rabbitmq-server tomcat10 haproxy keepalived squid bind9 postfix
	dovecot-imapd samba nfs-kernel-server openssh-server rsyslog cron logrotate sudo curl wget
	python3-full python3-django python3-pandas python3-scipy ruby-full default-jdk-headless maven
	nodejs golang-go r-base-core build-essential git vim emacs-nox gdb valgrind strace lsof
	tcpdump nmap mc tmux screen htop iotop sysstat ansible podman libvirt-daemon-system
	qemu-system-x86 prometheus zabbix-agent nagios4 munin puppet-agent icinga2 fail2ban certbot
	unattended-upgrades libreoffice-nogui texlive-latex-recommended
)
[ $mid = 0 ] || pkgs=(
	systemd-sysv nginx php-fpm postgresql redis-server memcached haproxy postfix openssh-server
	rsyslog cron logrotate sudo curl wget python3 python3-venv git vim-nox htop lsof tcpdump
	strace sysstat fail2ban unattended-upgrades apache2 mariadb-server samba default-jre-headless bind9
	dovecot-imapd nfs-kernel-server rabbitmq-server
)
mkdir -p "$dir"
if [ ! -e "$dir/root.done" ]; then
	if [ ! -x "$root/usr/bin/apt-get" ]; then
		rm -rf "$root"
		debootstrap --variant=minbase bookworm "$root" "$mirror"
	fi
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mount -t proc proc "$root/proc"
	trap 'umount "$root/proc"' EXIT
	chroot "$root" apt-get -q update
	DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -q -y install "${pkgs[@]}"
	chroot "$root" apt-get clean
	rm -f "$root/usr/sbin/policy-rc.d"
	umount "$root/proc"
	trap - EXIT
	echo big-guest >"$root/etc/hostname"
	touch "$dir/root.done"
fi
echo "make-big-guest.sh: $(chroot "$root" dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii') packages installed"
[ -s "$dir/root.tar" ] ||
	{ tar --xattrs --xattrs-include='*' --numeric-owner -C "$root" -cf "$dir/root.tar.tmp" . && mv "$dir/root.tar.tmp" "$dir/root.tar"; }
[ -s "$dir/disk.qcow2" ] || "$here/../tests/fixtures/tar2disk.sh" "$dir/root.tar" "$dir/disk.qcow2"
