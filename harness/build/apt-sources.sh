#!/bin/bash
# Make sure apt can see what the build needs: deb-src entries for the
# bookworm suites (to fetch QEMU's source package) and bookworm-backports
# (for meson >= 1.5 and python3-pycotap).
#
# The entries reuse the URI of the machine's own Debian apt source, so no
# mirror host is ever written down here.  Idempotent: run it as often as
# you like.  With --uri, it only prints that URI.
#
# A reader that stops early (grep -q, head, awk's exit) must not read a
# pipe here: the writer dies of SIGPIPE, and pipefail makes that a failure.

set -euo pipefail

LIST=/etc/apt/sources.list.d/qemu-estimate.sources

# The first URI that serves the plain "bookworm" suite, from deb822 files
# or from one-line sources.list entries.
find_uri() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             {
                 uri = ""; suites = ""
                 for (i = 1; i <= NF; i++) {
                     if ($i ~ /^URIs:/) { uri = $i; sub(/^URIs:[ \t]*/, "", uri); sub(/[ \t].*/, "", uri) }
                     if ($i ~ /^Suites:/) { suites = " " $i " " }
                 }
                 if (uri != "" && suites ~ /[ \t]bookworm[ \t]/) { print uri; exit }
             }' "$f"
    done
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
        awk '$1 == "deb" { u = ""; s = ""
                 for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if (u == "") u = $i; else if (s == "") s = $i }
                 if (s == "bookworm") print u }'
}

# Prints the URI that find_uri found first, or fails.
reuse_uri() {
    local uris
    mapfile -t uris < <(find_uri)
    if [ -z "${uris[0]:-}" ]; then
        echo "error: no Debian 'bookworm' apt source found to reuse;" \
             "add one, or set QEMU_SRC and install the build dependencies by hand" >&2
        return 1
    fi
    echo "${uris[0]}"
}

if [ "${1:-}" = --uri ]; then
    reuse_uri
    exit
fi

targets=$(apt-get indextargets --format '$(IDENTIFIER) $(RELEASE)' 2>/dev/null || true)
have_entries() {
    grep -qx "$1 $2" <<<"$targets"
}

if have_entries Sources bookworm && have_entries Packages bookworm-backports &&
   have_entries Sources bookworm-backports; then
    exit 0
fi

uri=$(reuse_uri)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$LIST" <<EOS
# Written by harness/build/apt-sources.sh (QEMU migration estimate build):
# source packages and bookworm-backports, from the machine's own mirror.
Types: deb-src
URIs: $uri
Suites: bookworm bookworm-updates
Components: main
Signed-By: $keyring

Types: deb deb-src
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: $keyring
EOS
echo "apt-sources: wrote $LIST (reusing $uri)"
apt-get update -q
