#!/bin/bash
# Configure the assembled tree for x86_64-softmmu in an out-of-tree build
# directory.  Usage: configure.sh TREE OBJ [EXTRA-CONFIGURE-ARGS...]
# Re-runs configure only when its arguments change; after that, ninja
# re-runs meson by itself whenever a meson.build file changes.

set -euo pipefail

tree=$(cd "$1" && pwd)
obj=$2
shift 2

args=(
    --target-list=x86_64-softmmu
    # the Debian modules (meson, pycotap) live in the system python
    --python=/usr/bin/python3
    --enable-werror
    # the +ds tarball has no firmware: use Debian's seabios, ipxe-qemu and
    # qemu-system-data, for the built binary and for the qtests alike
    --disable-install-blobs
    --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
    --disable-docs
    "$@"
)

mkdir -p "$obj"
if [ -f "$obj/build.ninja" ] && [ "$(cat "$obj/.configure-args" 2>/dev/null)" = "${args[*]}" ]; then
    exit 0
fi
rm -f "$obj/.configure-args"
echo "configure: ${args[*]}"
(cd "$obj" && "$tree/configure" "${args[@]}")
echo "${args[*]}" > "$obj/.configure-args"
