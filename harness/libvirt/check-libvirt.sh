#!/bin/bash
# make check-libvirt: the migration estimate through libvirt, end to end
# (check-libvirt.py).  Installs libvirt and the benchmark's guest images
# first.  Usage: check-libvirt.sh TREE OBJ

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
obj=$(cd "$2" && pwd)

"$here/../build/deps.sh" --bench --libvirt
kernel=$("$here/../bench/guest-images.sh" "$obj")
work=$(dirname "$obj")/libvirt
rm -rf "$work"
mkdir -p "$work"
PYTHONPATH=$tree/python /usr/bin/python3 "$here/check-libvirt.py" \
    "$tree" "$obj" "$kernel" "$work"
