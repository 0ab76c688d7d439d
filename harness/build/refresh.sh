#!/bin/bash
# Turn edits made to upstream files in the assembled tree back into
# patches/.  Each edited file goes into the last patch of the series that
# already changes it, or into PATCH when given.  The series is rebuilt with
# git (fixup commits and an autosquash rebase) and every patch file is
# written anew from its commit, without the new files the series lists.
#
# Usage: refresh.sh [--rewrite] REPO TREE [PATCH]
#
# --rewrite: the commits in TREE were reworked with git (rebase -i,
# commit --amend): write every patch file from them, even where its diff
# no longer matches patches/.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/pin.sh"
. "$here/overlay.sh"

rewrite=false
if [ "${1:-}" = --rewrite ]; then
    rewrite=true
    shift
fi
repo=$(cd "$1" && pwd)
tree=$(cd "$2" && pwd)
want=${3:-}
base=v$QEMU_VERSION

die() {
    echo "refresh: error: $*" >&2
    exit 1
}

git_tree() {
    git -C "$tree" -c user.name=refresh -c user.email=refresh@localhost \
        -c commit.gpgsign=false "$@"
}

mapfile -t entries < <(series_entries "$repo")

# Whatever fails below, the tree goes back to where it was, its edits kept
# in the work tree.
orig=$(git_tree rev-parse HEAD)
restore() {
    git_tree rebase --abort >/dev/null 2>&1 || true
    git_tree am --abort >/dev/null 2>&1 || true
    git_tree reset -q --mixed "$orig"
}
trap restore EXIT

mapfile -t commits < <(git_tree rev-list --reverse "$base..HEAD")

# Entries past the tree's last commit are patches just added, a commit
# message so far: start them as commits, so edits can go into them.
for ((i = ${#commits[@]}; i < ${#entries[@]}; i++)); do
    read -r patch _ <<<"${entries[$i]}"
    [ -z "$(patch_diff "$repo/patches/$patch")" ] ||
        die "patches/$patch is new and has a diff: 'make assemble' applies it"
    apply_patch "$repo/patches/$patch" >/dev/null 2>&1 ||
        die "cannot start patches/$patch as a commit"
done
mapfile -t commits < <(git_tree rev-list --reverse "$base..HEAD")
[ ${#commits[@]} -eq ${#entries[@]} ] ||
    die "$tree does not hold the current series; run 'make assemble' first"
for i in "${!entries[@]}"; do
    read -r patch _ <<<"${entries[$i]}"
    subject=$(git mailinfo /dev/null /dev/null < "$repo/patches/$patch" | sed -n 's/^Subject: //p')
    [ "$subject" = "$(git_tree log -1 --format=%s "${commits[$i]}")" ] ||
        die "patches/$patch is not commit $((i + 1)) of $tree;" \
            "new patches go at the end of patches/series, or run 'make assemble' first"
done

declare -A is_new=()
for e in "${entries[@]}"; do
    read -r _ files <<<"$e"
    for f in $files; do is_new[$f]=1; done
done

# A patch file anew: its commit message as patches/ has it, then the
# commit's diff in format-patch's layout, limited to upstream files
# (format-patch itself cannot leave paths out of a commit without picking
# another commit).
commit_diff() {   # commit_diff COMMIT NEW-FILE...
    local c=$1 exclude=() f
    shift
    for f in "$@"; do exclude+=(":(exclude)$f"); done
    if [ -n "$(git_tree diff --name-only "$c^" "$c" -- . "${exclude[@]}")" ]; then
        echo "---"
        git_tree diff --stat=72 --summary "$c^" "$c" -- . "${exclude[@]}"
        echo
        git_tree diff "$c^" "$c" -- . "${exclude[@]}"
    fi
}

write_patch() {   # write_patch PATCH-FILE COMMIT NEW-FILE...
    local file=$1
    shift
    patch_message "$file"
    commit_diff "$@"
}

# Rewriting patches/ must not lose a diff changed there since the tree was
# assembled: every patch must still say what its commit in the tree says.
for i in "${!entries[@]}"; do
    $rewrite && break
    read -r patch files <<<"${entries[$i]}"
    # shellcheck disable=SC2086
    if [ "$(patch_diff "$repo/patches/$patch" | git patch-id --stable)" != \
         "$(commit_diff "${commits[$i]}" $files | git patch-id --stable)" ]; then
        die "patches/$patch changed since $tree was assembled; refresh" \
            "before changing patches/, or drop the edits in $tree"
    fi
done

# Upstream files changed in the tree (new files are edited in the repo).
mapfile -t changed < <(git_tree diff --name-only HEAD)
mapfile -t untracked < <(git_tree ls-files --others --exclude-standard)
for f in "${untracked[@]}"; do
    [ -n "${is_new[$f]:-}" ] ||
        die "$f is new: add it to this repository and to patches/series instead"
done

target_of_patch() {
    local i
    for i in "${!entries[@]}"; do
        case "${entries[$i]%% *}" in
        "$1"*) echo "${commits[$i]}"; return ;;
        esac
    done
    die "no patch named '$1*' in patches/series"
}

n=0
for f in "${changed[@]}"; do
    if [ -n "${is_new[$f]:-}" ]; then
        echo "refresh: skipping $f: it is a new file, edit it in the repository"
        continue
    fi
    if [ -n "$want" ]; then
        target=$(target_of_patch "$want")
    else
        target=$(git_tree rev-list -1 "$base..HEAD" -- "$f")
        [ -n "$target" ] ||
            die "no patch changes $f yet; name one: make refresh PATCH=NNNN"
    fi
    git_tree add -- "$f"
    git_tree commit -q --fixup="$target" -- "$f"
    n=$((n + 1))
done
if [ "$n" -eq 0 ] && ! $rewrite; then
    echo "refresh: no upstream file was edited"
    exit 0
fi

if [ "$n" -gt 0 ] && ! GIT_SEQUENCE_EDITOR=: git_tree rebase -q -i --autosquash --autostash \
        "$base" >/dev/null 2>&1; then
    die "the edits conflict with later patches; move them by hand (see README.md)"
fi

mapfile -t commits < <(git_tree rev-list --reverse "$base..HEAD")
for i in "${!entries[@]}"; do
    read -r patch files <<<"${entries[$i]}"
    # shellcheck disable=SC2086
    write_patch "$repo/patches/$patch" "${commits[$i]}" $files > "$repo/patches/$patch.new"
    mv "$repo/patches/$patch.new" "$repo/patches/$patch"
done
trap - EXIT
if $rewrite; then
    echo "refresh: wrote patches/ from the commits in $tree; re-assembling"
else
    echo "refresh: folded $n file(s) into patches/; re-assembling"
fi
