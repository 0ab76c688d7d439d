#!/bin/bash
# Write the series as git format-patch files against the pinned release,
# then prove
# that 'git am' of it onto the pristine release gives exactly the tree the
# build uses.
#
# Usage: export.sh REPO SOURCE TREE OUT [SIGNOFF]
#   SOURCE    what assemble.sh imported TREE from
#   SIGNOFF   "Name <email>" who signs the series off; by default the
#             git identity (user.name, user.email) of REPO.  Without
#             either, the export stops: it never makes an address up.
#             "-" keeps the placeholder, for checks of a series not sent.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/pin.sh"
. "$here/overlay.sh"

repo=$(cd "$1" && pwd)
source=$2
tree=$(cd "$3" && pwd)
out=$(realpath -m "$4")
signoff=${5:-}
base=v$QEMU_VERSION
# what the commit messages in patches/ carry in place of the sign-off
PLACEHOLDER='Signed-off-by: Migration Estimate Developers <migration-estimate@example.org>'

die() {
    echo "export: error: $*" >&2
    exit 1
}

if [ "$signoff" = - ]; then
    signoff=${PLACEHOLDER#Signed-off-by: }
elif [ -z "$signoff" ]; then
    name=$(git -C "$repo" config user.name || true)
    email=$(git -C "$repo" config user.email || true)
    [ -n "$name" ] && [ -n "$email" ] ||
        die "who signs the series off? set SIGNOFF='Name <email>' or git's user.name and user.email"
    signoff="$name <$email>"
fi

# The series is replayed from the repository into a scratch clone, so the
# export never depends on the state of the build tree.
scratch=$(dirname "$out")/tmp/export-tree
rm -rf "$scratch"
mkdir -p "$(dirname "$scratch")"
git clone -q -s -b pristine "$tree" "$scratch"
git -C "$scratch" fetch -q origin "refs/tags/$base:refs/tags/$base"
cp "$tree/.git/assembled-source" "$tree/.git/assembled-empty-dirs" "$scratch/.git/"
"$here/assemble.sh" "$repo" "$source" "$scratch" >/dev/null

rm -rf "$out"
mkdir -p "$out"
ncommits=$(git -C "$scratch" rev-list --count "$base..HEAD")
[ "$ncommits" -gt 0 ] || die "patches/series is empty: nothing to export"
mapfile -t commits < <(git -C "$scratch" rev-list --reverse "$base..HEAD")

# A line '# series: NAME' in patches/series starts a series of its own,
# sent apart with patches/cover-letter.NAME; without any, the whole is one
# series with patches/cover-letter.  Each series is based on the one
# before it.  '# series: NAME local' starts the patches that the build
# and the benchmarks use but that are not sent: they come last.
groups=()
starts=()
sent=$ncommits
while read -r start name local; do
    if [ "$local" = local ]; then
        sent=$start
        break
    fi
    groups+=("$name")
    starts+=("$start")
done < <(awk '/^# series: / { print n + 0, $3, $4; next }
              /^[^# \t]/    { n++ }' "$repo/patches/series")
[ "$sent" -gt 0 ] || die "patches/series has nothing to send"
if [ ${#groups[@]} -eq 0 ] || [ "${starts[0]}" -ne 0 ]; then
    groups=("" "${groups[@]}")
    starts=(0 "${starts[@]}")
fi

# The cover letter is from whoever signs the series off.
author=$signoff
format_series() {   # format_series DIR FROM TO COVER-FILE
    local dir=$1 from=$2 to=$3 letter=$4 cover=() subject
    if [ $(git -C "$scratch" rev-list --count "$from..$to") -gt 1 ] && [ -f "$letter" ]; then
        cover=(--cover-letter)
    fi
    git -C "$scratch" -c "user.name=${author% <*}" -c "user.email=$(sed 's/.*<\(.*\)>/\1/' <<<"$author")" \
        format-patch -q -o "$dir" --no-signature --zero-commit \
        -O "$scratch/scripts/git.orderfile" "${cover[@]}" "$from..$to"
    [ ${#cover[@]} -gt 0 ] || return 0
    # First line of the cover letter file is the subject, the rest the blurb.
    subject=$(head -n 1 "$letter")
    tail -n +3 "$letter" > "$dir/.blurb"
    sed -i -e "s/\*\*\* SUBJECT HERE \*\*\*/$(printf '%s' "$subject" | sed 's/[&/\]/\\&/g')/" \
        -e "/\*\*\* BLURB HERE \*\*\*/{
r $dir/.blurb
d
}" "$dir"/0000-cover-letter.patch
    rm "$dir/.blurb"
}
for g in "${!groups[@]}"; do
    first=${starts[$g]}
    next=${starts[$((g + 1))]:-$sent}
    from=$base
    [ "$first" -eq 0 ] || from=${commits[$((first - 1))]}
    if [ -z "${groups[$g]}" ]; then
        format_series "$out" "$from" "${commits[$((next - 1))]}" "$repo/patches/cover-letter"
    else
        format_series "$out/$((g + 1))-${groups[$g]}" "$from" "${commits[$((next - 1))]}" \
            "$repo/patches/cover-letter.${groups[$g]}"
    fi
done
# Patches that patches/standalone names go to their own maintainers too,
# each as a patch of its own in standalone/.
if [ -f "$repo/patches/standalone" ]; then
    i=0
    while read -r patch _; do
        i=$((i + 1))
        grep -qx "$patch" "$repo/patches/standalone" || continue
        c=$(git -C "$scratch" rev-list --reverse "$base..HEAD" | sed -n "${i}p")
        git -C "$scratch" format-patch -q -o "$out/standalone" --no-signature \
            --zero-commit -O "$scratch/scripts/git.orderfile" -1 "$c"
    done < <(series_entries "$repo")
fi
esc=$(printf '%s' "$signoff" | sed 's/[&|\\]/\\&/g')
find "$out" -name '*.patch' -exec sed -i "s|^$PLACEHOLDER\$|Signed-off-by: $esc|" {} +

# git am onto pristine must land on the tree of the replayed series up to
# its last patch sent, and the whole replayed series on the build tree
# with its in-place updates.
check=$(dirname "$out")/tmp/am-check
rm -rf "$check"
git clone -q -s -b pristine "$tree" "$check"
git -C "$check" -c user.name=export -c user.email=export@localhost \
    am -q --keep-cr $(series_patches "$out") ||
    die "the exported series does not apply to pristine $QEMU_VERSION"
want=$(git -C "$scratch" rev-parse "${commits[$((sent - 1))]}^{tree}")
got=$(git -C "$check" rev-parse 'HEAD^{tree}')
[ "$want" = "$got" ] || die "git am of the export gives tree $got, the series gives $want"
want=$(git -C "$scratch" rev-parse 'HEAD^{tree}')
built=$(cd "$tree" && idx=$(mktemp) && trap 'rm -f "$idx"' EXIT &&
        cp .git/index "$idx" && GIT_INDEX_FILE=$idx git add -A &&
        GIT_INDEX_FILE=$idx git write-tree)
[ "$want" = "$built" ] ||
    die "build tree $tree differs from the series (run 'make assemble'; edits to upstream files need 'make refresh')"
rm -rf "$check" "$scratch"
echo "export: $sent patches in $out, of $ncommits; git am onto $base gives the series, and the series the build tree ($want)"
