#!/bin/bash
# Install, from apt only, whatever the build and the tests (with --bench:
# and the accuracy benchmarks; with --libvirt: and libvirt) need and the
# machine lacks.  Works as root, or through sudo.

set -euo pipefail

here=$(dirname "$0")

PACKAGES=(
    gcc make git xz-utils bzip2 ninja-build pkg-config
    libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev python3-venv
    # x86 firmware: the +ds tarball ships none
    seabios ipxe-qemu qemu-system-data
    # 10.2 builds its few device trees from source when dtc is there (the
    # +ds tarball has no .dtb), and cannot configure without them
    device-tree-compiler
    # the exported series is checked with scripts/checkpatch.pl
    perl
    # the fuzz target over the pre-copy model: libFuzzer, ASan, UBSan
    clang-14 libclang-rt-14-dev
    # scripts/migration-estimate.py plot, which harness/tool tests
    python3-matplotlib
)
# The accuracy benchmark's too (deps.sh --bench): its initrd and its plots.
BENCH_PACKAGES=(cpio
    # the real-application workload (app-initrd.sh): Redis and its load generator
    busybox-static redis-server redis-tools)
# make bench-oos's too (deps.sh --oos): the out-of-sample applications
# (app-initrd.sh) and their load generators
OOS_PACKAGES=(memcached libmemcached-tools postgresql-15)
# make check-libvirt's and make bench-libvirt's too (deps.sh --libvirt):
# libvirt, whose daemons harness/libvirt starts by hand
LIBVIRT_PACKAGES=(libvirt-daemon-system libvirt-daemon-driver-qemu
    libvirt-clients)
# Only bookworm-backports has these new enough.
BACKPORTS=(meson python3-pycotap)

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    echo "error: run as root or install sudo to let the build install packages" >&2
    exit 1
fi

missing() {
    local p
    for p in "$@"; do
        [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
            echo "$p"
    done
}

meson_ok() {
    command -v meson >/dev/null &&
        dpkg --compare-versions "$(meson --version)" ge 1.5
}

for a in "$@"; do
    case $a in
        --bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
        --libvirt) PACKAGES+=("${LIBVIRT_PACKAGES[@]}") ;;
        --oos) PACKAGES+=("${OOS_PACKAGES[@]}") ;;
        *) echo "deps: unknown option $a" >&2; exit 1 ;;
    esac
done
mapfile -t need < <(missing "${PACKAGES[@]}")
mapfile -t need_bpo < <(missing "${BACKPORTS[@]}")
meson_ok || need_bpo=("${BACKPORTS[@]}")

if [ ${#need[@]} -eq 0 ] && [ ${#need_bpo[@]} -eq 0 ]; then
    exit 0
fi

"${sudo[@]}" "$here/apt-sources.sh"
export DEBIAN_FRONTEND=noninteractive
echo "deps: installing ${need[*]} ${need_bpo[*]}"
"${sudo[@]}" apt-get update -q
if [ ${#need[@]} -gt 0 ]; then
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if [ ${#need_bpo[@]} -gt 0 ]; then
    "${sudo[@]}" apt-get install -y -q --no-install-recommends \
        -t bookworm-backports "${need_bpo[@]}"
fi
meson_ok || { echo "error: meson >= 1.5 is still missing" >&2; exit 1; }
