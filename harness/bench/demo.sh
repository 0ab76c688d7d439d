#!/bin/bash
# make demo: boot a guest from the built QEMU and show what it reports.
# Usage: demo.sh TREE OBJ

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
obj=$(cd "$2" && pwd)

# The guest is upstream's migration-test boot block: it writes the first
# byte of every page from 1 MiB to 100 MiB, over and over.  Turn its C
# array into a bootable raw disk.
work=$(dirname "$obj")/demo
mkdir -p "$work"
header=$tree/tests/qtest/migration/i386/a-b-bootblock.h
if [ ! -f "$work/bootblock.img" ] || [ "$header" -nt "$work/bootblock.img" ]; then
    printf '#include <stdio.h>\n#include "%s"\nint main(void)\n{\n    return fwrite(x86_bootsect, sizeof(x86_bootsect), 1, stdout) != 1;\n}\n' \
        "$header" > "$work/mkboot.c"
    gcc -o "$work/mkboot" "$work/mkboot.c"
    "$work/mkboot" > "$work/bootblock.img"
fi

PYTHONPATH=$tree/python exec python3 "$here/demo.py" \
    --qemu "$obj/qemu-system-x86_64" --disk "$work/bootblock.img" --work "$work"
