#!/bin/bash
# Everything `make check` runs, summed up in one closing line
# "N passed, N failed, N skipped".  Usage: check.sh REPO SOURCE TREE OBJ

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$1
source=$2
tree=$3
obj=$4
build=$(dirname "$obj")

tests=(
    "tap:$here/tests/test-harness.sh"
    "tap:$here/export-check.sh $repo $source $tree $build/export"
    "tap:$here/../fuzz/fuzz.sh $tree $obj ${FUZZ_SECONDS:-60}"
    # Debian's python3, which has python3-matplotlib
    "tap:/usr/bin/python3 $here/../tool/test-tool.py $tree $obj"
)
while read -r name _target extra; do
    tests+=("meson:$name${extra:+::$extra}")
done < <(grep -Ev '^[[:space:]]*(#|$)' "$here/tests.txt")

exec python3 "$here/runtests.py" --obj "$obj" --log "$build/check.log" "${tests[@]}"
