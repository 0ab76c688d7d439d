#!/bin/bash
# The exported series as a test: export it (which proves that git am onto
# pristine QEMU gives the build tree), then run upstream's checkpatch.pl on
# every patch.  Prints TAP.  Usage: export-check.sh REPO SOURCE TREE OUT

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/overlay.sh"
tree=$(realpath "$3")
out=$(realpath -m "$4")
n=0
failed=0
result() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=1; echo "not ok $n - $2"; fi; }

if [ -z "$(grep -Ev '^[[:space:]]*(#|$)' "$1/patches/series" 2>/dev/null)" ]; then
    echo "1..0 # SKIP patches/series is empty"
    exit 0
fi
# signed off by the repository's git identity, or, without one, with the
# placeholder kept: this export is checked, not sent
signoff=-
git -C "$1" config user.email >/dev/null && signoff=
"$here/export.sh" "$1" "$2" "$3" "$4" "$signoff" 2>&1 | sed 's/^/# /'
result "${PIPESTATUS[0]}" "export applies to pristine QEMU and gives the build tree"
for p in $(series_patches "$out"); do
    (cd "$tree" && ./scripts/checkpatch.pl --no-color "$p") > "$p.checkpatch" 2>&1
    status=$?
    # a warning fails too: the series goes out with none
    grep -q '^total: 0 errors, 0 warnings' "$p.checkpatch" || status=1
    sed 's/^/# /' "$p.checkpatch" | grep -E '^# (ERROR|WARNING|total)'
    result "$status" "checkpatch $(basename "$p")"
done
echo "1..$n"
exit "$failed"
