#!/bin/bash
# Download QEMU's pinned upstream source (Debian's orig tarball), verify its
# checksum and cache it.  Usage: fetch.sh DEST-DIR
#
# Only the orig tarball matters: Debian's own patches and packaging are not
# used.  apt may fail on the .dsc or the debian tarball (they can answer 404
# once a newer revision replaces them); the orig tarball is what we check.

set -euo pipefail

. "$(dirname "$0")/pin.sh"

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

"$(dirname "$0")/apt-sources.sh"

# Any source version of the package whose orig tarball is the pinned one.
version=$(apt-cache showsrc qemu 2>/dev/null |
          awk -v orig="$QEMU_ORIG" '/^Version:/ { v = $2 } $NF == orig { print v; exit }')
if [ -z "$version" ]; then
    cat >&2 <<EOM
error: apt knows no qemu source package built from $QEMU_ORIG.
  Run 'apt-get update' (harness/apt-sources.sh adds the deb-src entries),
  or point QEMU_SRC at an unpacked QEMU $QEMU_VERSION tree or git checkout:
      make QEMU_SRC=/path/to/qemu-$QEMU_VERSION check
EOM
    exit 1
fi

echo "fetch: qemu=$version from apt"
(cd "$dest" && apt-get source --download-only -q "qemu=$version") || true
# apt-get source running as root drops privileges to _apt and leaves
# partial files behind; only the orig tarball is needed.
rm -f "$dest"/qemu_*.dsc "$dest"/qemu_*.debian.tar.*

if [ ! -f "$tarball" ]; then
    echo "error: apt did not download $QEMU_ORIG; set QEMU_SRC to an unpacked QEMU $QEMU_VERSION tree" >&2
    exit 1
fi
if ! verify; then
    echo "error: $tarball: sha256 mismatch (want $QEMU_ORIG_SHA256); removed it" >&2
    rm -f "$tarball"
    exit 1
fi
echo "fetch: $QEMU_ORIG verified"
