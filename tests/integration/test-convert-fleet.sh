#!/usr/bin/env bash
# Base layers a fleet shares: VMs of one template differ in what names or
# identifies each machine (hostname, /etc/hosts, machine ID, resolv.conf,
# a snakeoil certificate made for its name), and none of it may reach the
# base layer, or no two VMs would share one (docs/convert.md, "Host
# identity").  Three directory guests made from the Debian fixture:
#   web01, web02  one template, each with its own identity files, and web02
#                 with its own TLS certificate for nginx (a file nginx's
#                 configuration names);
#   web03         web02 with libc6 upgraded (another version, another
#                 libm.so.6), and /etc/hosts a link to a file of /root.
# The same services converted from web01 and web02 have the same base and
# packages layers (webapp: every layer), from web03 another base layer; the
# images hold the neutral /etc/hosts, no snakeoil certificate and its hash
# link in the base, nginx its certificate in its config layer; a warning
# names the other machines of the guest's /etc/hosts, and only its entries; system
# images empty the machine ID, hostname and resolv.conf and leave out
# dbus's machine ID and systemd's random seed.
. "$(dirname "$0")/lib.sh"
fixture_root
ROOT="$FIXTURES/root"

mkdir "$TMP/g"
fleet_guest "$ROOT" "$TMP/g/web01" web01
fleet_guest "$ROOT" "$TMP/g/web02" web02
# web02's nginx serves a certificate of its own, at the path its config names.
rm "$TMP/g/web02/etc/ssl/certs/web01.crt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=web02 \
  -days 3650 -out "$TMP/g/web02/etc/ssl/certs/web01.crt" 2>/dev/null
# Both have a CA certificate put in /etc/ssl/certs by hand (no package's,
# and no service names it): the base layer leaves it out, with a warning.
for g in web01 web02; do
  cp "$ROOT/etc/ssl/certs/web01.crt" "$TMP/g/$g/etc/ssl/certs/corp-root.pem"
done
# web03: web02 after a libc6 upgrade (its version and one of its files).
cp -a "$TMP/g/web02" "$TMP/g/web03"
libm="$TMP/g/web03/usr/lib/x86_64-linux-gnu/libm.so.6"
printf 'upgraded' >>"$libm"
status="$TMP/g/web03/var/lib/dpkg/status"
awk '/^Package: /{p=$2} p=="libc6" && /^Version: /{$0=$0"+deb12u9"} {print}' "$status" >"$TMP/status"
cp "$TMP/status" "$status"
# ... and /etc/hosts a link to a file of /root: not read (its lines would
# go to a warning).
rm "$TMP/g/web03/etc/hosts"
printf '10.9.9.9 s3cret-in-root\n' >"$TMP/g/web03/root/notes"
ln -s ../root/notes "$TMP/g/web03/etc/hosts"
check "web03's libc6 has another version" bash -c '! cmp -s "$1" "$2"' _ "$ROOT/var/lib/dpkg/status" "$status"

# role_digest LAYOUT IMAGE ROLE: the digest of IMAGE's layer of ROLE, from
# the layout's lock.json.
role_digest() {
  python3 -c 'import json, sys
for i in json.load(open(sys.argv[1] + "/v2c/lock.json"))["images"]:
    if i["ref_name"] == sys.argv[2]:
        print(" ".join(l["digest"] for l in i["layers"] if l["role"] == sys.argv[3]))' "$1" "$2" "$3"
}
blob() { echo "$1/blobs/sha256/${2#sha256:}"; }

convert_guest() { # convert_guest G: nginx and webapp of guest G into $TMP/G, its log in $TMP/G.err
  local rc=0
  "$V2C" convert -s nginx -s webapp -o "$TMP/$1" "$TMP/g/$1" >/dev/null 2>"$TMP/$1.err" || rc=$?
  check_or_show "$TMP/$1.err" "convert nginx and webapp of $1" test "$rc" = 0
}
convert_system() { # convert_system G: the system image of G's nginx into $TMP/sys-G
  local rc=0
  "$V2C" convert --system -s nginx -o "$TMP/sys-$1" "$TMP/g/$1" >/dev/null 2>"$TMP/sys-$1.err" || rc=$?
  check_or_show "$TMP/sys-$1.err" "convert --system nginx of $1" test "$rc" = 0
}
# Each check as soon as the conversions it reads are there (a planted bug
# is then seen after one or two of the seven): what web01's images hold,
# web03's /etc/hosts, web01's system image, then what web01 and web02
# share and web03 does not.

convert_guest web01
b1=$(role_digest "$TMP/web01" nginx base)
# What the base layer holds in place of the machine's files.
mkdir "$TMP/base"
zstd -dc "$(blob "$TMP/web01" "$b1")" | tar -C "$TMP/base" -xf -
check "the base layer's /etc/hosts names no VM: localhost lines only" \
  bash -c 'grep -q "^127.0.0.1[[:space:]]localhost$" "$1" && ! grep -qE "web0|db.internal|127.0.1.1" "$1"' _ "$TMP/base/etc/hosts"
check "the base layer keeps the trust store (the bundle, the CA links and their targets)" \
  bash -c 'cmp -s "$1/etc/ssl/certs/ca-certificates.crt" "$2/etc/ssl/certs/ca-certificates.crt" && [ -L "$1/etc/ssl/certs/988a38cb.0" ] && [ -f "$1/etc/ssl/certs/$(readlink "$1/etc/ssl/certs/988a38cb.0")" ]' _ \
  "$TMP/base" "$ROOT"
snake_link=$(cd "$TMP/g/web01/etc/ssl/certs" && find . -maxdepth 1 -type l -lname ssl-cert-snakeoil.pem -printf '%f\n')
check "no snakeoil certificate in the base layer, nor its hash link, nor nginx's certificate" \
  bash -c '[ -n "$2" ] && [ ! -e "$1/etc/ssl/certs/ssl-cert-snakeoil.pem" ] && [ ! -L "$1/etc/ssl/certs/$2" ] && [ ! -e "$1/etc/ssl/certs/web01.crt" ]' _ \
  "$TMP/base" "$snake_link"
check "nor hostname, machine ID, resolv.conf" \
  bash -c '[ ! -e "$1/etc/hostname" ] && [ ! -e "$1/etc/machine-id" ] && [ ! -e "$1/etc/resolv.conf" ]' _ "$TMP/base"
check "nor the CA certificate put there by hand" test ! -e "$TMP/base/etc/ssl/certs/corp-root.pem"
check_or_show "$TMP/web01.err" "a warning names it (and not the snakeoil certificate, which postfix's main.cf names)" \
  bash -c 'grep "^v2c: warning: not in the base layer, as this machine.s own" "$1" | grep -F /etc/ssl/certs/corp-root.pem | grep -qv snakeoil' _ "$TMP/web01.err"
check_or_show "$TMP/web01.err" "a warning names the other machines of /etc/hosts (db.internal) alone, not the VM's own lines nor localhost" \
  grep -qF 'v2c: warning: /etc/hosts of the guest names other machines, which no image holds (a container runtime writes its own /etc/hosts): 10.20.0.15 db.internal; give them' "$TMP/web01.err"

convert_guest web03
check_or_show "$TMP/web03.err" "web03's /etc/hosts, a link elsewhere, is not read: no warning of it, nothing of its target" \
  bash -c '! grep -q "s3cret-in-root" "$1" && ! grep -q "/etc/hosts of the guest" "$1"' _ "$TMP/web03.err"

# System images: the machine's identity files are empty, dbus's machine ID
# and systemd's random seed are left out.
convert_system web01
mkdir "$TMP/sys"
for l in $(layers_of "$TMP/sys-web01" nginx); do zstd -dc "$(blob "$TMP/sys-web01" "$l")" | tar -C "$TMP/sys" -xf -; done
check "system image: /etc/machine-id, /etc/hostname, /etc/resolv.conf are empty files" \
  bash -c 'for f in machine-id hostname resolv.conf; do [ -f "$1/etc/$f" ] && [ ! -s "$1/etc/$f" ] || exit 1; done' _ "$TMP/sys"
check "system image: no dbus machine ID, no random seed" \
  bash -c '[ ! -e "$1/var/lib/dbus/machine-id" ] && [ ! -e "$1/var/lib/systemd/random-seed" ] && [ -d "$1/var/lib/dbus" ]' _ "$TMP/sys"
check "system image: the machine's certificates stay (its config layer)" \
  bash -c '[ -f "$1/etc/ssl/certs/ssl-cert-snakeoil.pem" ] && [ -f "$1/etc/ssl/certs/web01.crt" ]' _ "$TMP/sys"

# web02, another VM of web01's template.
convert_guest web02
check "web01 and web02: one base layer" bash -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$b1" "$(role_digest "$TMP/web02" nginx base)"
check "web01 and web02: one packages layer for nginx, and for webapp" \
  bash -c '[ -n "$1" ] && [ "$1" = "$2" ] && [ -n "$3" ] && [ "$3" = "$4" ]' _ \
  "$(role_digest "$TMP/web01" nginx packages)" "$(role_digest "$TMP/web02" nginx packages)" \
  "$(role_digest "$TMP/web01" webapp packages)" "$(role_digest "$TMP/web02" webapp packages)"
check "web01 and web02: webapp's layers are all the same" \
  test "$(layers_of "$TMP/web01" webapp)" = "$(layers_of "$TMP/web02" webapp)"
check "web01 and web02: nginx's config layers differ (each VM's own TLS certificate)" \
  bash -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$(role_digest "$TMP/web01" nginx config)" "$(role_digest "$TMP/web02" nginx config)"
check "web03 (libc6 upgraded): another base layer" \
  bash -c '[ -n "$2" ] && [ "$1" != "$2" ]' _ "$b1" "$(role_digest "$TMP/web03" nginx base)"
mkdir "$TMP/nginx-config"
zstd -dc "$(blob "$TMP/web02" "$(role_digest "$TMP/web02" nginx config)")" | tar -C "$TMP/nginx-config" -xf -
check "nginx's certificate, named by its configuration, is in its config layer" \
  cmp -s "$TMP/nginx-config/etc/ssl/certs/web01.crt" "$TMP/g/web02/etc/ssl/certs/web01.crt"
convert_system web02
for role in base packages app; do
  check "system images of web01 and web02: one $role layer" \
    bash -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$(role_digest "$TMP/sys-web01" nginx $role)" "$(role_digest "$TMP/sys-web02" nginx $role)"
done
finish
