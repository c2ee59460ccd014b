#!/bin/sh
# build_afl.sh OUTDIR: the AFL++ builds of the three targets, with
# afl-clang-fast and fuzz/afl_main.c (persistent mode, shared-memory
# input), through .clusterfuzzlite/build.sh:
#   OUTDIR/afl/T          plain instrumentation
#   OUTDIR/afl-cmplog/T   CMPLOG (afl-fuzz -c)
#   OUTDIR/afl-asan/T     ASan+UBSan (one secondary on bigger machines)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build_afl.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
afl-clang-fast -O2 -c "$root/fuzz/afl_main.c" -o "$work/afl_main.o"
cd "$root"
export AFL_QUIET=1
export AFL_LLVM_DENYLIST="$root/fuzz/afl_denylist.txt"
CC=afl-clang-fast CXX=afl-clang-fast++ CFLAGS="-O2 -g" \
  LIB_FUZZING_ENGINE="$work/afl_main.o" OUT="$out/afl" WORK="$work" \
  .clusterfuzzlite/build.sh
AFL_LLVM_CMPLOG=1 CC=afl-clang-fast CXX=afl-clang-fast++ CFLAGS="-O2 -g" \
  LIB_FUZZING_ENGINE="$work/afl_main.o" OUT="$out/afl-cmplog" WORK="$work" \
  .clusterfuzzlite/build.sh
if [ "${BONBON_AFL_ASAN:-0}" = 1 ]; then
  AFL_USE_ASAN=1 AFL_USE_UBSAN=1 CC=afl-clang-fast CXX=afl-clang-fast++ \
    CFLAGS="-O1 -g" LIB_FUZZING_ENGINE="$work/afl_main.o" OUT="$out/afl-asan" \
    WORK="$work" .clusterfuzzlite/build.sh
fi
