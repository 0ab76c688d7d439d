#!/bin/bash
# A binary run from the build directory looks for firmware under
# qemu-bundle/<firmware path> (see get_relocated_path()).  Point those
# directories at Debian's firmware packages so that the binary and the
# qtests find SeaBIOS and the iPXE ROMs.  Usage: firmware.sh OBJ

set -euo pipefail

obj=$1
args=$(cat "$obj/.configure-args")
path=${args#*--firmwarepath=}
path=${path%% *}
IFS=: read -r -a dirs <<<"$path"
for d in "${dirs[@]}"; do
    [ -d "$d" ] || { echo "firmware: $d is missing (harness/build/deps.sh installs it)" >&2; exit 1; }
    link=$obj/qemu-bundle$d
    if [ "$(readlink "$link" 2>/dev/null)" != "$d" ]; then
        mkdir -p "$(dirname "$link")"
        rm -rf "$link"
        ln -s "$d" "$link"
    fi
done
