#!/bin/bash
# Build the libFuzzer target over the pre-copy model (clang, ASan, UBSan)
# and run it.  The committed corpus seeds the run; what the run finds new
# stays in build/fuzz/corpus.  Prints TAP: one test, passed when the run
# found nothing, with the executions made.
# Usage: fuzz.sh TREE OBJ SECONDS

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
obj=$(cd "$2" && pwd)
seconds=$3
out=$(dirname "$obj")/fuzz
bin=$out/precopy-estimate-fuzz

mkdir -p "$out/corpus"
echo "# building $bin" >&2
# the pre-copy model is migration/precopy-*.c, over the dirty page curve
srcs=("$tree"/migration/precopy-*.c "$tree/migration/dirty-curve.c"
      "$tree/migration/dirty-curve-bounds.c")
stale=
if [ ! -x "$bin" ]; then
    stale=1
fi
for f in "${srcs[@]}" "$tree"/migration/precopy-*.h \
         "$here/precopy-estimate-fuzz.c"; do
    if [ "$f" -nt "$bin" ]; then
        stale=1
    fi
done
if [ -n "$stale" ]; then
    # shellcheck disable=SC2046
    clang-14 -g -O1 -std=gnu11 -D_GNU_SOURCE \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I "$tree/include" -I "$obj" -I "$tree/migration" -I "$tree" \
        $(pkg-config --cflags glib-2.0) \
        "${srcs[@]}" "$here/precopy-estimate-fuzz.c" \
        "$obj/libqemuutil.a" $(pkg-config --libs glib-2.0) -lm -o "$bin"
fi

echo "1..1"
# -timeout: an input taking more than a second is a finding
if "$bin" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=1024 \
       -print_final_stats=1 -artifact_prefix="$out/" \
       "$out/corpus" "$here/corpus" >"$out/fuzz.log" 2>&1; then
    execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$out/fuzz.log")
    echo "ok 1 - precopy-estimate-fuzz: $execs executions in ${seconds}s, nothing found"
else
    sed 's/^/# /' "$out/fuzz.log" | tail -40
    echo "not ok 1 - precopy-estimate-fuzz found a problem (see $out/fuzz.log)"
fi
