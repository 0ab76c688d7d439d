# Which of this repository's files are new QEMU files, and how the series
# groups them; sourced by the harness scripts.
# shellcheck shell=bash

# Paths that belong to the harness, not to QEMU.
OVERLAY_EXCLUDE='^(Makefile|README\.md|\.gitignore|\.ci/|harness/|patches/|build/)'

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
