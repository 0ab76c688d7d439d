#!/bin/bash
# Turn upstream's migration-test boot block (a C array that writes the
# first byte of every page from 1 MiB to 100 MiB, over and over) into a
# bootable raw disk, unless it is there and newer than the header.
# Usage: bootblock.sh TREE IMAGE

set -euo pipefail

header=$(cd "$1" && pwd)/tests/qtest/migration/i386/a-b-bootblock.h
img=$2
if [ ! -f "$img" ] || [ "$header" -nt "$img" ]; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    printf '#include <stdio.h>\n#include "%s"\nint main(void)\n{\n    return fwrite(x86_bootsect, sizeof(x86_bootsect), 1, stdout) != 1;\n}\n' \
        "$header" > "$dir/mkboot.c"
    gcc -o "$dir/mkboot" "$dir/mkboot.c"
    "$dir/mkboot" > "$img.tmp"
    mv "$img.tmp" "$img"
fi
