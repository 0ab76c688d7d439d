#!/bin/bash
# Does the series bisect?  Every commit of the assembled tree after the
# pristine import, in order, checked out in a clone of its own (OUT/src)
# and built there (OUT/obj) with -Werror: QEMU, migration-test (whose
# cases the series adds), and the series' unit tests that the commit
# has, which then run.  Prints TAP, one line a commit.
# The clone and its build are kept, so that a rerun is incremental.
#
# Usage: check-each.sh TREE OUT

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/pin.sh"
. "$here/overlay.sh"
tree=$(realpath "$1")
out=$(realpath -m "$2")
src=$out/src
obj=$out/obj

mkdir -p "$out"
[ -d "$src/.git" ] || git clone -q --no-checkout "$tree" "$src" || exit 1
git -C "$src" fetch -q --tags "$tree" HEAD || exit 1
git -C "$src" checkout -q -f FETCH_HEAD || exit 1
# what assemble.sh adds beside git: empty directories, firmware placeholders
cp -p "$tree"/pc-bios/edk2-*.fd.bz2 "$src/pc-bios/" || exit 1
cp "$tree/.git/info/exclude" "$src/.git/info/exclude"
(cd "$src" && xargs -r mkdir -p < "$tree/.git/assembled-empty-dirs")

mapfile -t commits < <(git -C "$src" rev-list --reverse "v$QEMU_VERSION..FETCH_HEAD")
echo "1..${#commits[@]}"
n=0
failed=0
for c in "${commits[@]}"; do
    n=$((n + 1))
    subject=$(git -C "$src" log -1 --format=%s "$c")
    log=$out/$(printf '%02d' "$n").log
    tests=()
    status=1
    if git -C "$src" checkout -q -f "$c" > "$log" 2>&1; then
        for t in $(series_unit_tests); do
            [ ! -f "$src/$t.c" ] || tests+=("$t")
        done
        (
            set -e
            "$here/configure.sh" "$src" "$obj"
            ninja -C "$obj" qemu-system-x86_64 tests/qtest/migration-test \
                "${tests[@]}"
            for t in "${tests[@]}"; do "$obj/$t"; done
        ) >> "$log" 2>&1
        status=$?
    fi
    if [ "$status" = 0 ]; then
        echo "ok $n - $subject (${#tests[@]} unit tests)"
    else
        failed=1
        echo "not ok $n - $subject"
        tail -20 "$log" | sed 's/^/# /'
    fi
done
exit "$failed"
