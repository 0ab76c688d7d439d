#!/bin/bash
# Does the exported series apply to upstream master, build there with
# -Werror and pass its unit tests?  Each patch of the export, in order,
# goes onto COMMIT of MASTER (a git repository of upstream) in a clone of
# its own (OUT/src), with a three-way merge where its context moved: one
# that master already has is skipped, and the first that does not apply
# ends the run.  If all apply, QEMU and the
# series' unit tests are built (OUT/obj) and run.  Prints TAP.
#
# Usage: check-master.sh EXPORT MASTER COMMIT OUT

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/overlay.sh"
export_dir=$(realpath "$1")
master=$2
commit=$3
out=$(realpath -m "$4")
src=$out/src
obj=$out/obj

if [ ! -d "$master" ]; then
    echo "1..0 # SKIP MASTER='$master' is not a git repository of upstream"
    exit 0
fi
mapfile -t patches < <(series_patches "$export_dir")
echo "1..$((${#patches[@]} + 1))"
rm -rf "$src"
mkdir -p "$out"
rev=$(git -C "$master" rev-parse --verify -q "$commit^{commit}") || {
    echo "Bail out! $commit: no such commit in $master"
    exit 1
}
git clone -q --shared --no-checkout "$master" "$src" &&
    git -C "$src" checkout -q --detach "$rev" || exit 1
echo "# on $(git -C "$src" log -1 --format='%h (%cs) %s')"

run_tests() {
    local t
    for t; do
        "$obj/$t" || return 1
    done
}

n=0
failed=0
for p in "${patches[@]}"; do
    n=$((n + 1))
    name=$(basename "$p")
    head=$(git -C "$src" rev-parse HEAD)
    if [ "$failed" = 1 ]; then
        echo "not ok $n - $name # SKIP an earlier patch did not apply"
    elif git -C "$src" -c user.name=check -c user.email=check@localhost \
            am -q -3 --keep-cr "$p" > "$out/am.log" 2>&1; then
        # git am drops a patch whose changes are all there already
        if [ "$(git -C "$src" rev-parse HEAD)" = "$head" ]; then
            echo "ok $n - $name # SKIP master has it"
        else
            echo "ok $n - $name applies"
        fi
    else
        git -C "$src" am --abort
        if git -C "$src" apply -R --check "$p" 2>/dev/null; then
            echo "ok $n - $name # SKIP master has it"
        else
            failed=1
            echo "not ok $n - $name does not apply"
            sed 's/^/# /' "$out/am.log"
        fi
    fi
done

n=$((n + 1))
if [ "$failed" = 1 ]; then
    echo "not ok $n - build and unit tests # SKIP the series does not apply"
    exit 1
fi
mapfile -t tests < <(series_unit_tests)
if "$here/configure.sh" "$src" "$obj" > "$out/build.log" 2>&1 &&
        ninja -C "$obj" qemu-system-x86_64 "${tests[@]}" >> "$out/build.log" 2>&1 &&
        run_tests "${tests[@]}" >> "$out/build.log" 2>&1; then
    echo "ok $n - builds with -Werror, ${#tests[@]} unit tests pass"
else
    echo "not ok $n - build or unit tests"
    tail -20 "$out/build.log" | sed 's/^/# /'
    exit 1
fi
