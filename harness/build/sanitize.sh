#!/bin/bash
# make check-sanitize: build a second tree with ASan and UBSan and run the
# QEMU tests of `make check` (harness/build/tests.txt) in it.  Any report fails
# the test that caused it: UBSan and ASan abort the process.
# Usage: sanitize.sh TREE OBJ-SAN

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$1
obj=$2

"$here/configure.sh" "$tree" "$obj" --enable-asan --enable-ubsan
targets=(qemu-system-x86_64)
tests=()
while read -r name target extra; do
    targets+=("$target")
    tests+=("meson:$name${extra:+::$extra}")
done < <(grep -Ev '^[[:space:]]*(#|$)' "$here/tests.txt")
ninja -C "$obj" "${targets[@]}"
"$here/firmware.sh" "$obj"

# Leaks are reported too, at exit, for this project's code and upstream's
# alike; harness/build/lsan.supp lists the upstream ones, each with its reason.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:suppressions=$here/lsan.supp
export LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
exec python3 "$here/runtests.py" --obj "$obj" \
    --log "$(dirname "$obj")/check-sanitize.log" "${tests[@]}"
