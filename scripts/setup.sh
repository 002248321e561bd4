#!/usr/bin/env bash
# Installs every Debian package v2c's build, tests and sample need (only
# what is missing, so running it again is cheap), then builds with meson.
#
#   scripts/setup.sh            install + build into build/
#   scripts/setup.sh --sample   ... then build the sample VM disk, inspect it and
#                               convert its stateless services (build/sample/images)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential meson ninja-build pkg-config
  libguestfs-dev libguestfs-tools linux-image-amd64 qemu-utils
  libarchive-dev libzstd-dev zlib1g-dev libjansson-dev libcurl4-openssl-dev libssl-dev libcmocka-dev
  clang libclang-rt-14-dev
  python3 python3-jsonschema python3-yaml zstd umoci skopeo oci-image-tool bc lvm2 e2fsprogs openssl file tar libcap2-bin
  podman runc curl catatonit
  chromium python3-pil
  libyaml-dev socat haproxy hey qemu-system-x86 xz-utils cpio busybox-static
  docker-registry apache2-utils python3-cryptography
  libvirt-dev libvirt-daemon-system libvirt-clients prometheus
  debootstrap mandoc bash-completion tmux
  # rpm tooling: tests/tools/mk-rpm-headers.sh (headers of the unit and
  # fuzz tests) and tests/fixtures/build-rpm-guest.sh (the rpm guests)
  rpm db5.3-util sqlite3 attr
  # the Debian package and the Ansible collection (tests deb, ansible, ansible-lint)
  dpkg-dev debhelper ansible-core ansible-lint yamllint
  # the Kubernetes API's models (1.22), for the Job v2c kube-job writes (test kube-job)
  python3-kubernetes
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The fixture guest runs Debian's real nginx: its package is downloaded
# (not installed: installing would start it on this machine).
deb_cache=${V2C_DEB_CACHE:-/var/cache/v2c/debs}
if ! ls "$deb_cache"/nginx_*_amd64.deb >/dev/null 2>&1; then
  echo "setup: downloading Debian's nginx package into $deb_cache" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo mkdir -p "$deb_cache"
  (cd "$deb_cache" && $sudo apt-get download -qq nginx 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  ls "$deb_cache"/nginx_*_amd64.deb >/dev/null 2>&1 || { echo "setup: could not download nginx" >&2; exit 1; }
fi

# KVM aborts under nested virtualisation on these machines; v2c retries
# under TCG by itself, but forcing it here saves the failed attempt.
export LIBGUESTFS_BACKEND_SETTINGS="${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}"

. scripts/lib.sh
[ -f build/build.ninja ] || quiet meson setup build --werror
quiet ninja -C build

if [ "${1:-}" = "--sample" ]; then
  out=build/sample
  mkdir -p "$out"
  tests/fixtures/build-root.sh samples/web01/ "$out"
  if [ ! -s "$out/debian.qcow2" ] || [ "$out/root.tar" -nt "$out/debian.qcow2" ]; then
    echo "setup: making the sample VM disk $out/debian.qcow2 (one appliance launch)" >&2
    tests/fixtures/tar2disk.sh "$out/root.tar" "$out/debian.qcow2"
  fi
  echo "== v2c inspect $out/debian.qcow2" >&2
  ./build/v2c inspect --json -o "$out/report.json" "$out/debian.qcow2"
  ./build/v2c inspect --report "$out/report.json"
  echo "== v2c convert --all-stateless -o $out/images $out/debian.qcow2" >&2
  ./build/v2c -v convert --all-stateless --report "$out/report.json" --force -o "$out/images" "$out/debian.qcow2"
fi
