# Which of this repository's files are new QEMU files, how the series
# groups them, and how one of its patches is applied; sourced by the
# harness scripts.
# shellcheck shell=bash

# Paths that belong to the harness or its reports, not to QEMU.
OVERLAY_EXCLUDE='^(Makefile|README\.md|\.gitignore|\.ci/|harness/|patches/|build/|docs/accuracy/)'

# The new QEMU files: everything tracked, or untracked but not ignored,
# outside the harness paths.
overlay_files() {
    git -C "$1" ls-files --cached --others --exclude-standard |
        grep -Ev "$OVERLAY_EXCLUDE" | sort -u |
        while read -r f; do [ -f "$1/$f" ] && echo "$f"; done
}

# patches/series, one line per entry: "PATCH [NEW-FILE ...]".  In the file,
# an entry is a patch name at the start of a line, followed by the new files
# it adds, one per indented line; '#' starts a comment.
series_entries() {
    [ -f "$1/patches/series" ] || return 0
    awk '{ sub(/#.*/, "") }
         /^[^ \t]/ { if (line != "") print line; line = $1; next }
         NF        { line = line " " $1 }
         END       { if (line != "") print line }' "$1/patches/series"
}

# Commit one patch in the tree with the caller's git_tree; a patch may
# carry only a commit message, for a commit that just adds new files.
apply_patch() {
    if grep -q '^diff --git ' "$1"; then
        git_tree am -q --keep-cr "$1"
    else
        git_tree am -q "$1" || git_tree am -q --allow-empty
    fi
}

# A patch file's commit message (its mail headers and body) and its diff
# part: the message ends before the first line that is exactly "---",
# where git am ends it too.
patch_message() {
    awk '$0 == "---" { exit } { print }' "$1"
}
patch_diff() {
    awk 'seen || $0 == "---" { seen = 1; print }' "$1"
}

# What decides a replay of the series: the source, the series, the diffs
# of its patches and the assembler.  Edits to new files are synced in
# place, and commit messages do not change the tree.
series_key() {   # series_key REPO SOURCE-ID
    local p
    {
        echo "$2"
        cat "$(dirname "${BASH_SOURCE[0]}")/assemble.sh" "$1/patches/series"
        for p in "$1"/patches/*.patch; do
            [ -e "$p" ] && patch_diff "$p"
        done
    } | sha256sum | cut -d' ' -f1
}

# The patches of an export in the order git am takes them: each series'
# directory in turn, or the export's own directory, cover letters and
# standalone copies left out.
series_patches() {
    find "$1" -name '*.patch' ! -name '0000-cover-letter.patch' \
        ! -path '*/standalone/*' | sort -V
}

# The series' unit tests, by ninja target (tests/unit/NAME), as
# tests.txt has make check run them
series_unit_tests() {
    awk '!/^[[:space:]]*#/ && $2 ~ /^tests\/unit\// { print $2 }' \
        "$(dirname "${BASH_SOURCE[0]}")/tests.txt"
}
