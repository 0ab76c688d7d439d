#!/bin/bash
# make bench / make bench-quick / make bench-aids: the accuracy
# benchmarks.  Fetches the guest kernel (Debian's cloud kernel, unpacked,
# not installed), builds the workload's initrd, runs the migrations
# (resumable: a run already in the results is not run again) and writes
# the report.
# Usage: bench.sh TREE OBJ OUT-DIR REPORT-DIR [--quick | --aids]

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
obj=$(cd "$2" && pwd)
out=$3
report=$4
shift 4

"$here/../build/deps.sh" --bench

# The newest cloud kernel the machine's apt sources offer.
kdir=$(dirname "$obj")/bench/kernel
mkdir -p "$kdir"
depends=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null || true)
pkg=$(awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }' <<<"$depends")
[ -n "$pkg" ] || { echo "bench: no linux-image-cloud-amd64 in the apt sources" >&2; exit 1; }
kernel=$kdir/vmlinuz-${pkg#linux-image-}
if [ ! -f "$kernel" ]; then
    (cd "$kdir" && rm -f ./*.deb && apt-get download -q "$pkg")
    rm -rf "$kdir/x"
    dpkg-deb -x "$kdir"/"$pkg"_*.deb "$kdir/x"
    cp "$kdir/x/boot/$(basename "$kernel")" "$kernel"
    rm -rf "$kdir/x" "$kdir"/*.deb
fi

ninja -C "$obj" qemu-system-x86_64 tests/migration-stress/initrd-stress.img
"$here/app-initrd.sh" "$kdir/../app-initrd.img"

mkdir -p "$out"
export PYTHONPATH=$tree/python
bench=bench
if [ "${1:-}" = --aids ]; then
    bench=bench_aids
    shift
fi
/usr/bin/python3 "$here/$bench.py" --qemu "$obj/qemu-system-x86_64" \
    --kernel "$kernel" --initrd "$obj/tests/migration-stress/initrd-stress.img" \
    --app-initrd "$kdir/../app-initrd.img" \
    --work "$out/work" --results "$out/results.jsonl" "$@"
if [ "$bench" = bench_aids ]; then
    /usr/bin/python3 "$here/bench_aids_report.py" "$out/results.jsonl" "$report"
else
    /usr/bin/python3 "$here/bench_report.py" "$out/results.jsonl" "$report" \
        ${PREVIOUS:+"$PREVIOUS"}
fi
