#!/bin/bash
# Download QEMU's pinned upstream source (Debian's orig tarball), verify its
# checksum and cache it.  Usage: fetch.sh DEST-DIR
#
# Only the orig tarball matters: Debian's own patches and packaging are not
# used.  apt may fail on the .dsc or the debian tarball (they can answer 404
# once a newer revision replaces them); the orig tarball is what we check.

set -euo pipefail

here=$(dirname "$0")
. "$here/pin.sh"

dest=$1
tarball=$dest/$QEMU_ORIG

verify() {
    echo "$QEMU_ORIG_SHA256  $tarball" | sha256sum --check --status
}

mkdir -p "$dest"
if [ -f "$tarball" ] && verify; then
    exit 0
fi
rm -f "$tarball"

"$here/apt-sources.sh"

# Any source version of the package whose orig tarball is the pinned one.
# apt-cache's answer is read whole first: awk's early exit would kill it
# with SIGPIPE, and pipefail would make that fatal.
sources=$(apt-cache showsrc qemu 2>/dev/null || true)
version=$(awk -v orig="$QEMU_ORIG" '/^Version:/ { v = $2 } $NF == orig { print v; exit }' \
          <<<"$sources")
if [ -n "$version" ]; then
    echo "fetch: qemu=$version from apt"
    (cd "$dest" && apt-get source --download-only -q "qemu=$version") || true
    # apt-get source running as root drops privileges to _apt and leaves
    # partial files behind; only the orig tarball is needed.
    rm -f "$dest"/qemu_*.dsc "$dest"/qemu_*.debian.tar.*
fi

# Once no suite apt reads lists the pinned version, the archive's pool
# may still hold the tarball (for another release's suites); apt fetches
# it by name from the machine's own mirror and checks its hash.
if [ ! -f "$tarball" ]; then
    uri=$("$here/apt-sources.sh" --uri)
    echo "fetch: $QEMU_ORIG from $uri's pool"
    /usr/lib/apt/apt-helper download-file "$uri/pool/main/q/qemu/$QEMU_ORIG" \
        "$tarball" "SHA256:$QEMU_ORIG_SHA256" || rm -f "$tarball"
fi

if [ ! -f "$tarball" ]; then
    cat >&2 <<EOM
error: neither apt nor the archive's pool gave $QEMU_ORIG.
  Point QEMU_SRC at an unpacked QEMU $QEMU_VERSION tree or git checkout:
      make QEMU_SRC=/path/to/qemu-$QEMU_VERSION check
EOM
    exit 1
fi
if ! verify; then
    echo "error: $tarball: sha256 mismatch (want $QEMU_ORIG_SHA256); removed it" >&2
    rm -f "$tarball"
    exit 1
fi
echo "fetch: $QEMU_ORIG verified"
