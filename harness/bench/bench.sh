#!/bin/bash
# make bench / make bench-quick / make bench-aids / make bench-pace /
# make bench-libvirt / make bench-oos: the
# accuracy benchmarks.  Makes the guests' images (guest-images.sh), runs
# the migrations
# (resumable: a run already in the results is not run again) and writes
# the report.
# Usage: bench.sh TREE OBJ OUT-DIR REPORT-DIR [--quick | --aids | --pace | --libvirt | --oos]

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
obj=$(cd "$2" && pwd)
out=$3
report=$4
shift 4

case ${1:-} in
    --aids) bench=bench_aids; shift ;;
    --pace) bench=bench_pace; shift ;;
    --libvirt) bench=bench_libvirt; shift ;;
    --oos) bench=bench_oos; shift ;;
    *) bench=bench ;;
esac
deps=(--bench)
[ "$bench" != bench_libvirt ] || deps+=(--libvirt)
[ "$bench" != bench_oos ] || deps+=(--oos)
"$here/../build/deps.sh" "${deps[@]}"

kernel=$("$here/guest-images.sh" "$obj")
kdir=$(dirname "$kernel")

mkdir -p "$out"
export PYTHONPATH=$tree/python
/usr/bin/python3 "$here/$bench.py" --qemu "$obj/qemu-system-x86_64" \
    --kernel "$kernel" --initrd "$obj/tests/migration-stress/initrd-stress.img" \
    --app-initrd "$kdir/../app-initrd.img" \
    --work "$out/work" --results "$out/results.jsonl" "$@"
if [ "$bench" != bench ]; then
    /usr/bin/python3 "$here/${bench}_report.py" "$out/results.jsonl" "$report"
else
    /usr/bin/python3 "$here/bench_report.py" "$out/results.jsonl" "$report" \
        ${PREVIOUS:+"$PREVIOUS"}
fi
