#!/bin/bash
# Tests of the build harness itself, on a tiny fake QEMU tree: assembly,
# its refusals, incremental updates, refresh and export.  Prints TAP.

set -uo pipefail

H=$(cd "$(dirname "$0")/.." && pwd)
. "$H/pin.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@" >>"$work/log" 2>&1; then ok "$what"; else not_ok "$what"; fi; }
# expect_fail WHAT MESSAGE-PATTERN COMMAND...: the command fails, saying so
expect_fail() {
    local what=$1 pattern=$2; shift 2
    if "$@" >"$work/out" 2>&1; then
        not_ok "$what (it succeeded)"
    elif grep -q -- "$pattern" "$work/out"; then
        ok "$what"
    else
        not_ok "$what (message: $(tail -n 1 "$work/out"))"
    fi
}

# A fake upstream release.
src=$work/src
mkdir -p "$src/migration" "$src/scripts" "$src/pc-bios" "$src/python/wheels"
echo "$QEMU_VERSION" > "$src/VERSION"
printf 'int upstream;\n' > "$src/migration/ram.c"
printf 'int other;\n' > "$src/migration/other.c"
printf '*.json\n*.c\n' > "$src/scripts/git.orderfile"
printf "  fds = [\n    'edk2-x86_64-code.fd',\n  ]\n" > "$src/pc-bios/meson.build"

# A fake project repository: one patch to an upstream file, one new file.
repo=$work/repo
mkdir -p "$repo/patches" "$repo/migration"
git -C "$repo" init -q
printf 'int estimate;\n' > "$repo/migration/estimate.c"
mkpatch() {   # mkpatch NAME SUBJECT FILE OLD NEW: a mail-format patch
    local d=$work/mk
    rm -rf "$d"; mkdir -p "$d"; cp -r "$src/." "$d/"
    git -C "$d" init -q && git -C "$d" add -A &&
        git -C "$d" -c user.name=t -c user.email=t@t commit -q -m import
    sed -i "s/$4/$5/" "$d/$3"
    git -C "$d" -c user.name=t -c user.email=t@t commit -q -a -m "$2" \
        -m "Signed-off-by: T <t@t>"
    git -C "$d" format-patch -q -1 --stdout --no-signature > "$repo/patches/$1"
}
mkpatch 0001-ram.patch "migration: hook" migration/ram.c upstream patched
# A commit that only adds files: its patch is just a commit message.
mkdir -p "$repo/docs"
printf 'Estimate\n========\n' > "$repo/docs/estimate.rst"
printf 'From: T <t@t>\nDate: Sun, 1 Nov 2026 00:00:00 +0000\nSubject: [PATCH] docs: add estimate page\n\nSigned-off-by: T <t@t>\n' \
    > "$repo/patches/0002-docs.patch"
SERIES='0001-ram.patch\n    migration/estimate.c\n0002-docs.patch\n    docs/estimate.rst\n'
printf "$SERIES" > "$repo/patches/series"
git -C "$repo" add -A

tree=$work/tree
assemble() { "$H/assemble.sh" "$repo" "$src" "$tree"; }

check "assembles a good series" assemble
check "new file is in place" cmp "$repo/migration/estimate.c" "$tree/migration/estimate.c"
check "patch is applied" grep -q patched "$tree/migration/ram.c"
check "one commit per series entry" test "$(git -C "$tree" rev-list --count "v$QEMU_VERSION..HEAD")" = 2
check "edk2 placeholder is valid bzip2" bzip2 -t "$tree/pc-bios/edk2-x86_64-code.fd.bz2"
check "empty upstream directories survive" test -d "$tree/python/wheels"
check "placeholders stay out of the series" test -z "$(git -C "$tree" status --porcelain)"

# Incremental: an edited new file is copied, nothing else is touched.
touch -d '2000-01-01' "$tree/migration/ram.c" "$tree/migration/other.c"
printf 'int estimate2;\n' > "$repo/migration/estimate.c"
check "edited new file is synced" sh -c "'$H/assemble.sh' '$repo' '$src' '$tree' >/dev/null && cmp '$repo/migration/estimate.c' '$tree/migration/estimate.c'"
check "sync leaves patched files alone" test "$(stat -c %Y "$tree/migration/ram.c")" = "$(date -d 2000-01-01 +%s)"

# Replay when patches change: untouched upstream files keep their mtime.
echo "# comment" >> "$repo/patches/series"
check "changed series replays" assemble
check "replay leaves untouched upstream files alone" test "$(stat -c %Y "$tree/migration/other.c")" = "$(date -d 2000-01-01 +%s)"

# Edits in the tree are never thrown away by a replay.
echo "int mine;" >> "$tree/migration/other.c"
echo "# again" >> "$repo/patches/series"
expect_fail "replay refuses to drop edits to upstream files" "make refresh" assemble

# refresh folds the edit into a patch and the tree re-assembles the same.
check "refresh folds an edit into the named patch" "$H/refresh.sh" "$repo" "$tree" 0001
check "refreshed patch carries the edit" grep -q '^+int mine;' "$repo/patches/0001-ram.patch"
check "refreshed patch has no new files" sh -c "! grep -q estimate.c '$repo/patches/0001-ram.patch'"
check "refresh keeps a message-only patch free of files" sh -c "! grep -q '^diff' '$repo/patches/0002-docs.patch'"
check "refreshed series re-assembles" assemble

# A commit message edited in patches/ survives a refresh, and alone it
# does not replay the tree.
sed -i 's/^Signed-off-by: T <t@t>$/Reworded.\n\n&/' "$repo/patches/0001-ram.patch"
touch -d '2000-01-01' "$tree/migration/other.c"
check "message edit alone does not replay" sh -c "'$H/assemble.sh' '$repo' '$src' '$tree' | grep -vq replaying; test \$(stat -c %Y '$tree/migration/other.c') = $(date -d 2000-01-01 +%s)"
echo "int mine2;" >> "$tree/migration/other.c"
check "refresh keeps an edited commit message" sh -c "'$H/refresh.sh' '$repo' '$tree' 0001 && grep -q '^Reworded.' '$repo/patches/0001-ram.patch' && grep -q '^+int mine2;' '$repo/patches/0001-ram.patch'"
check "and the tree re-assembles" assemble
check "re-assembled tree has the edit" grep -q 'int mine;' "$tree/migration/other.c"

# A patch added at the end, a commit message so far, takes tree edits,
# also while a synced edit of a new file leaves the work tree dirty.
printf 'int estimate3;\n' > "$repo/migration/estimate.c"
check "edited new file is synced" assemble
printf 'From: T <t@t>\nDate: Sun, 1 Nov 2026 00:00:00 +0000\nSubject: [PATCH] migration: more\n\nSigned-off-by: T <t@t>\n' \
    > "$repo/patches/0003-more.patch"
printf "$SERIES"'0003-more.patch\n' > "$repo/patches/series"
echo "int more;" >> "$tree/migration/other.c"
check "refresh starts a new patch and fills it" sh -c "'$H/refresh.sh' '$repo' '$tree' 0003 && grep -q '^+int more;' '$repo/patches/0003-more.patch' && ! grep -q 'int more' '$repo/patches/0001-ram.patch'"
check "the series with the new patch re-assembles" assemble
rm "$repo/patches/0003-more.patch"
printf "$SERIES" > "$repo/patches/series"
check "and without it" assemble
check "the edit went away with its patch" sh -c "! grep -q 'int more' '$tree/migration/other.c'"

# export: git am of the series onto pristine gives the assembled tree.
check "export reproduces the tree" "$H/export.sh" "$repo" "$src" "$tree" "$work/export" "A U Thor <a@example.org>"
check "export has one patch per entry" test "$(ls "$work/export" | wc -l)" = 2
check "export of a message-only patch adds its files" grep -q '^+++ b/docs/estimate.rst' "$work/export/0002-docs-add-estimate-page.patch"
check "export adds the new file" grep -q '^+++ b/migration/estimate.c' "$work/export/0001-migration-hook.patch"

# Refusals.
cp "$repo/patches/0001-ram.patch" "$work/good.patch"
printf 'int clash;\n' > "$repo/migration/ram.c"
printf "$SERIES    migration/ram.c\n" > "$repo/patches/series"
expect_fail "new file that exists upstream is refused" "migration/ram.c exists upstream" assemble
rm "$repo/migration/ram.c"
printf "$SERIES" > "$repo/patches/series"

sed -i 's/^-int upstream;/-int nothere;/' "$repo/patches/0001-ram.patch"
expect_fail "patch that does not apply is refused, by name" "patches/0001-ram.patch does not apply" assemble
cp "$work/good.patch" "$repo/patches/0001-ram.patch"

printf 'int stray;\n' > "$repo/migration/stray.c"
expect_fail "new file missing from the series is refused" "migration/stray.c is not listed" assemble
rm "$repo/migration/stray.c"

printf "$SERIES"'0003-gone.patch\n' > "$repo/patches/series"
expect_fail "series naming a missing patch is refused" "0003-gone.patch, which does not exist" assemble

printf "$SERIES" > "$repo/patches/series"
cp "$work/good.patch" "$repo/patches/0009-stray.patch"
expect_fail "patch missing from the series is refused" "0009-stray.patch is not listed" assemble
rm "$repo/patches/0009-stray.patch"

check "good series assembles again" assemble

# fetch.sh, against fake apt commands and a file:// mirror: a copy of it
# beside a pin to a fake tarball and a stand-in apt-sources.sh.
fh=$work/fetch-harness
mkdir "$fh"
cp "$H/fetch.sh" "$fh/"
printf 'fake qemu source\n' > "$work/orig.tar.xz"
cat > "$fh/pin.sh" <<EOS
QEMU_VERSION=$QEMU_VERSION
QEMU_ORIG=qemu_fake.orig.tar.xz
QEMU_ORIG_SHA256=$(sha256sum < "$work/orig.tar.xz" | cut -d' ' -f1)
EOS
printf '#!/bin/sh\n[ "$1" != --uri ] || echo "file://%s/mirror"\n' "$work" > "$fh/apt-sources.sh"
mkdir -p "$work/bin" "$work/mirror/pool/main/q/qemu"
# apt-cache: the matching source first, then far more than a pipe holds.
cat > "$work/bin/apt-cache" <<EOS
#!/bin/bash
[ -z "\${FAKE_MATCH:-}" ] || printf 'Package: qemu\nVersion: 1:fake\nFiles:\n 0 1 qemu_fake.orig.tar.xz\n\n'
for i in \$(seq 20000); do printf 'Package: qemu\nVersion: 1:%d\nFiles:\n 0 1 qemu_%d.orig.tar.xz\n\n' \$i \$i; done
EOS
printf '#!/bin/sh\ncp "%s/orig.tar.xz" qemu_fake.orig.tar.xz\n' "$work" > "$work/bin/apt-get"
chmod +x "$work/bin/"* "$fh/apt-sources.sh"
# fetch [VAR=VALUE...]: fetch.sh into an empty cache gives the tarball
fetch() {
    rm -rf "$work/dl"
    env PATH="$work/bin:$PATH" "$@" "$fh/fetch.sh" "$work/dl" &&
        cmp "$work/dl/qemu_fake.orig.tar.xz" "$work/orig.tar.xz"
}
check "fetch reads apt-cache's whole answer" fetch FAKE_MATCH=1
cp "$work/orig.tar.xz" "$work/mirror/pool/main/q/qemu/qemu_fake.orig.tar.xz"
check "fetch falls back to the mirror's pool" fetch
printf 'tampered\n' > "$work/mirror/pool/main/q/qemu/qemu_fake.orig.tar.xz"
expect_fail "fetch refuses a tarball with the wrong hash" "neither apt nor the archive's pool gave" fetch

# runtests.py: a plan the tests do not meet, or none, fails; a skipped
# program counts
printf 'echo 1..3; echo ok 1; echo ok 2\n' > "$work/short.sh"
printf 'echo "1..0 # SKIP no KVM"\n' > "$work/skip.sh"
printf 'echo 1..1; echo 1..2; echo ok 1; echo "ok 2 # SKIP x"\n' > "$work/plans.sh"
runtests() { python3 "$H/runtests.py" --obj "$work" --log "$work/rt.log" "$@"; }
expect_fail "runtests fails a program that ran fewer tests than its plan" \
    "planned 3 tests, ran 2" runtests "tap:sh $work/short.sh"
printf 'echo ok 1\n' > "$work/noplan.sh"
expect_fail "runtests fails a program that prints no plan" \
    "no plan" runtests "tap:sh $work/noplan.sh"
check "runtests counts a program skipped whole" \
    sh -c "python3 '$H/runtests.py' --obj '$work' --log '$work/rt.log' \
        'tap:sh $work/skip.sh' | grep -qx '0 passed, 0 failed, 1 skipped'"
check "runtests takes a program's last plan" \
    sh -c "python3 '$H/runtests.py' --obj '$work' --log '$work/rt.log' \
        'tap:sh $work/plans.sh' | grep -qx '1 passed, 0 failed, 1 skipped'"

echo "1..$n"
[ "$failed" = 0 ] || { echo "# log: $(cat "$work/log")" | head -50; }
exit "$failed"
