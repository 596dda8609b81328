#!/usr/bin/env bash
# Reproduces the tables of BENCHMARKS.md: a release build, then every backend at every size.
# Load goes only to 127.0.0.1. Override with SIZES="10000" BACKENDS="sqlite" SECONDS_EACH=5.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p aduan -p aduan-bench
SIZES="${SIZES:-10000 100000 1000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
SECONDS_EACH="${SECONDS_EACH:-10}"
OUT="${OUT:-target/bench-results.md}"
for backend in $BACKENDS; do
    for cases in $SIZES; do
        echo "== $backend, $cases cases =="
        target/release/aduan-bench run --backend "$backend" --cases "$cases" --seconds "$SECONDS_EACH" \
            --aduan target/release/aduan --markdown "$OUT"
    done
done
echo "rows appended to $OUT"
