#!/usr/bin/env bash
# The nightly-length fuzz run: every target (or those named) for MINUTES
# each, JOBS at a time, on a scratch copy of its seed corpus. Writes one
# line per target to build-fuzz/nightly/summary.tsv (target, minutes,
# executions, coverage, result) and fails if any target found something;
# the input is kept in fuzz/ (crash-*, leak-*, timeout-*).
#   fuzz/nightly.sh [minutes=10] [jobs=2] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
jobs=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DBTCPEERD_FUZZ=ON -DBTCPEERD_BENCH=OFF \
    -DBTCPEERD_SANITIZE=ON -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build build-fuzz --target fuzzers -j"$(nproc)" >/dev/null
mkdir -p build-fuzz/nightly
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for bin in build-fuzz/fuzz/fuzz_*; do [[ -x "$bin" ]] && targets+=("$(basename "$bin")"); done
fi

run_one() {
    local name=$1 minutes=$2
    local seed=fuzz/corpus/$name work log=build-fuzz/nightly/$name.log
    work=$(mktemp -d)
    cp -r "$seed"/. "$work"/ 2>/dev/null || true
    local result=ok
    build-fuzz/fuzz/"$name" -max_total_time=$((minutes * 60)) -max_len=65536 -rss_limit_mb=2048 \
        -timeout=30 -print_final_stats=1 -artifact_prefix=fuzz/ "$work" >"$log" 2>&1 || result=FOUND
    local execs cov
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$minutes" "$execs" "$cov" "$result" >>build-fuzz/nightly/summary.tsv
    rm -rf "$work"
    [[ $result == ok ]]
}
export -f run_one
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} "$minutes"
