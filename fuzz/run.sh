#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for N seconds
# (default 10) on a scratch copy of its seed corpus. Fails if any target
# finds a crash, a leak or an out-of-bounds access; the input is kept in
# fuzz/ (crash-*, leak-*) for a regression test.
#   fuzz/run.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
# The library itself is instrumented too, so the fuzzers see its branches.
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DBTCPEERD_FUZZ=ON -DBTCPEERD_BENCH=OFF \
    -DBTCPEERD_SANITIZE=ON -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build build-fuzz --target fuzzers -j"$(nproc)" >/dev/null
failed=0
for bin in build-fuzz/fuzz/fuzz_*; do
    [[ -x "$bin" ]] || continue
    name=$(basename "$bin")
    seed=fuzz/corpus/$name
    [[ -d "$seed" ]] || seed=fuzz/corpus/fuzz_wire_common
    work=$(mktemp -d)
    cp -r "$seed"/. "$work"/ 2>/dev/null || true
    if "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
        -artifact_prefix=fuzz/ "$work" >"build-fuzz/$name.log" 2>&1; then
        echo "fuzz ok: $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "build-fuzz/$name.log" || tail -1 "build-fuzz/$name.log" | cut -c1-60))"
    else
        echo "fuzz FAILED: $name"; tail -30 "build-fuzz/$name.log"; failed=1
    fi
    rm -rf "$work"
done
exit $failed
