#!/bin/sh
# bench/rungs.sh [run.py options...]: build the library at every security
# rung (allocator/internal.h, "The security ladder") into build-rung0..3,
# then run the benchmark with the four builds side by side, against every
# peer, interleaved. One command for the README's table and chart.
#   bench/rungs.sh                   full run: 5 rounds (about an hour)
#   bench/rungs.sh --runs 3 --workloads churn-now,frag
set -eu
cd "$(dirname "$0")/.."
args=""
for r in 0 1 2 3; do
  cmake -S . -B "build-rung$r" -DBONBON_SECURITY=$r -DBONBON_TESTS=OFF \
        -DBONBON_BENCH=OFF -DBONBON_FUZZ=OFF >/dev/null
  cmake --build "build-rung$r" -j"$(nproc)" --target bonbon >/dev/null
  args="$args --bonbon rung$r=build-rung$r/libbonbon.so"
done
# shellcheck disable=SC2086
exec python3 bench/run.py $args "$@"
