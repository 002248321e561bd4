#!/bin/bash
# mk-rpm-headers.sh [OUT_DIR]
#
# Regenerates the rpm header blobs of tests/fuzz/corpus/rpm-header/ (the seed
# corpus of fuzz-rpm-header and the data of tests/unit/test-rpm.c) with
# Debian's own rpm tools: four tiny packages are built with rpmbuild,
# recorded in a scratch root with `rpm --root DIR --initdb` and
# `rpm --root DIR -i --justdb`, and each header is written out exactly as
# rpm stored it in the root's rpmdb.sqlite (table Packages, column blob).
#
#   v2c-hello  x86_64, epoch 2: a %config file, a %ghost, a %dir; Requires a
#              soname, two files, a rich `(a or b)`, a rich `(a if b)`, a
#              versioned name; Provides a virtual name (sha256 digests)
#   libv2c     x86_64: Provides libv2c.so.1()(64bit) (md5 digests)
#   v2c-sh     noarch: owns /usr/bin/sh and /usr/libexec/v2c-helper
#   v2c-b      noarch, no files
#
# The file contents are fixed (the unit test checks their digests); build
# and install times change on every run, so the blobs are not byte for byte
# reproducible.  Needs rpm and rpmbuild (apt-get install rpm) and sqlite3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fuzz/corpus/rpm-header}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

mkdir -p "$work/SPECS" "$out"
cat >"$work/SPECS/v2c-hello.spec" <<'EOF'
Name: v2c-hello
Epoch: 2
Version: 1.4
Release: 3.el9
Summary: Says hello
Vendor: v2c tests
License: MIT
AutoReqProv: no
Requires: libv2c.so.1()(64bit)
Requires: /bin/sh
Requires: /usr/libexec/v2c-helper
Requires: (v2c-a or v2c-b)
Requires: (v2c-x if v2c-y)
Requires: v2c-base >= 1.0-2
Provides: v2c-greeter = 1.4
%description
Says hello, for the rpm header tests of v2c.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc %{buildroot}/var/log %{buildroot}/usr/share/v2c-hello
printf '#!/bin/sh\necho hello\n' >%{buildroot}/usr/bin/v2c-hello
printf 'greeting=hi\n' >%{buildroot}/etc/v2c-hello.conf
%files
%attr(0755,root,root) /usr/bin/v2c-hello
%config(noreplace) /etc/v2c-hello.conf
%ghost /var/log/v2c-hello.log
%dir /usr/share/v2c-hello
EOF
cat >"$work/SPECS/libv2c.spec" <<'EOF'
Name: libv2c
Version: 1.0
Release: 1
Summary: A library, in name
License: MIT
AutoReqProv: no
Provides: libv2c.so.1()(64bit)
%description
A shared library for the rpm header tests of v2c.
%install
mkdir -p %{buildroot}/usr/lib64
printf 'not an elf\n' >%{buildroot}/usr/lib64/libv2c.so.1
%files
/usr/lib64/libv2c.so.1
EOF
cat >"$work/SPECS/v2c-sh.spec" <<'EOF'
Name: v2c-sh
Version: 5.2
Release: 1
Summary: A shell at /usr/bin/sh
License: MIT
BuildArch: noarch
AutoReqProv: no
%description
Owns the files the other test packages require.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/libexec
printf '#!/bin/true\n' >%{buildroot}/usr/bin/sh
printf '#!/bin/true\nhelper\n' >%{buildroot}/usr/libexec/v2c-helper
%files
/usr/bin/sh
/usr/libexec/v2c-helper
EOF
cat >"$work/SPECS/v2c-b.spec" <<'EOF'
Name: v2c-b
Version: 1
Release: 1
Summary: The second alternative
License: MIT
BuildArch: noarch
AutoReqProv: no
%description
Satisfies `(v2c-a or v2c-b)`.
%files
EOF

build() {  # SPEC [rpmbuild options]
  local spec=$1; shift
  rpmbuild --quiet -bb --define "_topdir $work" --define "_build_id_links none" \
    --define "use_source_date_epoch_as_buildtime 1" "$@" "$work/SPECS/$spec" >/dev/null
}
build v2c-hello.spec
build libv2c.spec --define "_binary_filedigest_algorithm 1"
build v2c-sh.spec
build v2c-b.spec

root=$work/root dbpath=/usr/lib/sysimage/rpm
rpm --root "$root" --dbpath "$dbpath" --initdb
# Debian's rpm warns on every -i that alien is the way to install on
# Debian: kept out of sight unless the install fails.
rpm --root "$root" --dbpath "$dbpath" -i --justdb --nodeps --noscripts "$work"/RPMS/*/*.rpm \
  2>"$work/rpm.log" || { cat "$work/rpm.log" >&2; exit 1; }
db=$root$dbpath/rpmdb.sqlite
rpm --root "$root" --dbpath "$dbpath" -qa --qf '%{DBINSTANCE} %{NAME}\n' | while read -r hnum name; do
  sqlite3 "$db" "select writefile('$out/$name.hdr', blob) from Packages where hnum = $hnum" >/dev/null
done
ls "$out"/*.hdr >/dev/null
# The four back to back, one input of the fuzz target (a database of four).
cat "$out"/v2c-hello.hdr "$out"/libv2c.hdr "$out"/v2c-sh.hdr "$out"/v2c-b.hdr >"$out/all-four.hdrs"
