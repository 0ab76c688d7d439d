#!/bin/bash
# Assemble the QEMU tree this project builds: the pinned upstream release,
# then, in the order patches/series gives, each patch (git am) together
# with the new files that series entry adds.
#
# Usage: assemble.sh REPO SOURCE TREE
#   REPO    this project's checkout (new files, patches/series, patches/*.patch)
#   SOURCE  the upstream orig tarball, or an unpacked tree / git checkout
#   TREE    where the assembled tree lives; it is a git repository whose
#           tag v$QEMU_VERSION is the pristine import and whose later commits are
#           exactly the exported series
#
# The tree is replayed from the pristine import whenever patches/ or the
# source change.  That replay goes through git, which rewrites only the files
# that differ, so unchanged files keep their timestamps and the build stays
# incremental.  When only new files were edited they are copied over in place.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/pin.sh"
. "$here/overlay.sh"

repo=$(cd "$1" && pwd)
source=$2
tree=$3
base=v$QEMU_VERSION

die() {
    echo "assemble: error: $*" >&2
    exit 1
}

git_tree() {
    git -C "$tree" -c user.name=assemble -c user.email=assemble@localhost \
        -c commit.gpgsign=false "$@"
}

# The edk2 blobs are stripped from the +ds tarball, yet meson's pc-bios
# rules decompress them for x86 targets.  Valid, empty bzip2 files let
# configure and the build pass; nothing x86 tests run needs UEFI (SeaBIOS
# comes from Debian's package via --firmwarepath).  git ignores them, so
# they never enter the series.
add_firmware_placeholders() {
    local f
    for f in $(sed -n "s/^ *'\(edk2-.*\.fd\)',$/\1/p" "$tree/pc-bios/meson.build"); do
        [ -e "$tree/pc-bios/$f.bz2" ] || bzip2 -c < /dev/null > "$tree/pc-bios/$f.bz2"
    done
    grep -qx '/pc-bios/edk2-\*.fd.bz2' "$tree/.git/info/exclude" ||
        echo '/pc-bios/edk2-*.fd.bz2' >> "$tree/.git/info/exclude"
}

# Pristine import: unpack the release and commit it, tagged as upstream's.
import_pristine() {
    local tmp=$tree.import
    rm -rf "$tmp" "$tree"
    mkdir -p "$tmp"
    if [ -f "$source" ]; then
        tar -xf "$source" -C "$tmp" --strip-components=1 --no-same-owner
    elif [ -d "$source" ]; then
        [ -f "$source/VERSION" ] || die "$source: not a QEMU source tree (no VERSION)"
        tar -C "$source" --exclude=.git --exclude=./build -cf - . | tar -C "$tmp" -xf -
    else
        die "no QEMU source at '$source'"
    fi
    [ "$(cat "$tmp/VERSION")" = "$QEMU_VERSION" ] ||
        die "$source is QEMU $(cat "$tmp/VERSION"), this project is pinned to $QEMU_VERSION"
    # git keeps no empty directories (python/wheels is one configure wants)
    (cd "$tmp" && find . -mindepth 1 -type d -empty) > "$tmp.empty-dirs"
    mv "$tmp" "$tree"
    git -C "$tree" init -q -b pristine
    mv "$tmp.empty-dirs" "$tree/.git/assembled-empty-dirs"
    git_tree add -A -f
    GIT_COMMITTER_DATE="@0 +0000" git_tree commit -q -m "Import QEMU $QEMU_VERSION" \
        --date="@0 +0000" --author="QEMU <qemu-devel@nongnu.org>"
    git_tree tag "$base"
    echo "$source_id" > "$tree/.git/assembled-source"
}

# Check the overlay against the series before touching anything.
mapfile -t overlay < <(overlay_files "$repo")
mapfile -t entries < <(series_entries "$repo")
declare -A claimed=() listed=()
for e in "${entries[@]}"; do
    read -r patch files <<<"$e"
    listed[$patch]=1
    [ -f "$repo/patches/$patch" ] || die "patches/series names $patch, which does not exist"
    for f in $files; do
        [ -z "${claimed[$f]:-}" ] || die "$f is claimed twice in patches/series"
        [ -f "$repo/$f" ] || die "patches/series lists $f, which this repository does not have"
        claimed[$f]=$patch
    done
done
for f in "${overlay[@]}"; do
    [ -n "${claimed[$f]:-}" ] ||
        die "$f is not listed under any patch in patches/series"
done
for p in "$repo"/patches/*.patch; do
    [ -e "$p" ] || continue
    [ -n "${listed[$(basename "$p")]:-}" ] ||
        die "patches/$(basename "$p") is not listed in patches/series"
done

if [ -f "$source" ]; then
    source_id="tarball $(sha256sum < "$source" | cut -d' ' -f1)"
else
    source_id="tree $(cd "$source" && pwd)"
fi

key=$(series_key "$repo" "$source_id")

if [ ! -f "$tree/.git/assembled-source" ] ||
   [ "$(cat "$tree/.git/assembled-source")" != "$source_id" ]; then
    echo "assemble: importing pristine QEMU $QEMU_VERSION"
    import_pristine
fi

# Nothing the repository adds may exist upstream: it would replace an
# upstream file wholesale.
for f in "${overlay[@]}"; do
    if git_tree cat-file -e "$base:$f" 2>/dev/null; then
        die "$f exists upstream; change it with a patch in patches/, not a copy"
    fi
done

if [ "$(cat "$tree/.git/assembled-key" 2>/dev/null)" != "$key" ]; then
    # Never throw away work: upstream files edited in the tree must be
    # folded into patches/ (make refresh) or dropped by hand first.
    declare -A is_new=()
    for f in "${overlay[@]}"; do is_new[$f]=1; done
    if git_tree rev-parse -q --verify HEAD >/dev/null; then
        for f in $(git_tree diff --name-only HEAD) \
                 $(git_tree ls-files --others --exclude-standard); do
            [ -n "${is_new[$f]:-}" ] ||
                die "$tree/$f has edits that are not in patches/; run 'make refresh'" \
                    "to keep them, or 'git -C $tree checkout -- $f' (or rm) to drop them"
        done
    fi
    echo "assemble: replaying patches/series onto $base"
    rm -f "$tree/.git/assembled-key"
    git_tree am --abort >/dev/null 2>&1 || true
    git_tree checkout -q -f -B assembled "$base"
    git_tree clean -q -fd
    for e in "${entries[@]}"; do
        read -r patch files <<<"$e"
        if ! apply_patch "$repo/patches/$patch" >"$tree.am.log" 2>&1; then
            cat "$tree.am.log" >&2
            git_tree am --abort >/dev/null 2>&1 || true
            die "patches/$patch does not apply cleanly to QEMU $QEMU_VERSION" \
                "(with the patches before it); fix or regenerate it (make refresh)"
        fi
        for f in $files; do
            mkdir -p "$tree/$(dirname "$f")"
            cp "$repo/$f" "$tree/$f"
            git_tree add -f "$f"
        done
        if [ -n "$files" ]; then
            git_tree commit -q --amend --no-edit --allow-empty
        fi
    done
    rm -f "$tree.am.log"
    echo "$key" > "$tree/.git/assembled-key"
else
    # Same series: bring edited new files over, leaving the rest alone so
    # that only what changed is rebuilt.  The copy gets the time of the
    # copy, not the edit's: an edit made while the last build ran is older
    # than that build's objects, and ninja would skip it.
    for f in "${overlay[@]}"; do
        if ! cmp -s "$repo/$f" "$tree/$f"; then
            mkdir -p "$tree/$(dirname "$f")"
            cp "$repo/$f" "$tree/$f"
            echo "assemble: updated $f"
        fi
    done
fi
add_firmware_placeholders
(cd "$tree" && xargs -r mkdir -p < .git/assembled-empty-dirs)
