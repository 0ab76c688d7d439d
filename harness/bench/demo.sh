#!/bin/bash
# make demo: boot a guest from the built QEMU and show what it reports.
# Usage: demo.sh TREE OBJ

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
obj=$(cd "$2" && pwd)

# The guest is upstream's migration-test boot block, as a raw disk.
work=$(dirname "$obj")/demo
mkdir -p "$work"
"$here/bootblock.sh" "$tree" "$work/bootblock.img"

PYTHONPATH=$tree/python exec python3 "$here/demo.py" \
    --qemu "$obj/qemu-system-x86_64" --disk "$work/bootblock.img" --work "$work"
