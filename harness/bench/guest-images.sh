#!/bin/bash
# The Linux guests' images, made once under BUILD/bench: the newest Debian
# cloud kernel the machine's apt sources offer (unpacked, not installed),
# the stress workload's initrd (built by ninja, remade if an earlier build
# without cpio left it empty) and the Redis workload's (app-initrd.sh).
# Prints the kernel's path.  Needs deps.sh --bench.
# Usage: guest-images.sh OBJ

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
obj=$1
kdir=$(dirname "$obj")/bench/kernel
mkdir -p "$kdir"

depends=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null || true)
pkg=$(awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }' <<<"$depends")
[ -n "$pkg" ] || { echo "guest-images: no linux-image-cloud-amd64 in the apt sources" >&2; exit 1; }
kernel=$kdir/vmlinuz-${pkg#linux-image-}
if [ ! -f "$kernel" ]; then
    (cd "$kdir" && rm -f ./*.deb && apt-get download -q "$pkg" >&2)
    rm -rf "$kdir/x"
    dpkg-deb -x "$kdir"/"$pkg"_*.deb "$kdir/x"
    cp "$kdir/x/boot/$(basename "$kernel")" "$kernel"
    rm -rf "$kdir/x" "$kdir"/*.deb
fi

stress=$obj/tests/migration-stress/initrd-stress.img
if [ -f "$stress" ] && [ "$(stat -c %s "$stress")" -lt 4096 ]; then
    rm -f "$stress"
fi
ninja -C "$obj" qemu-system-x86_64 tests/migration-stress/initrd-stress.img >&2
"$here/app-initrd.sh" redis "$kdir/../app-initrd.img"
echo "$kernel"
