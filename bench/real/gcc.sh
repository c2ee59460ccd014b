#!/bin/sh
# gcc.sh DIR: the gcc workload. Compiles DIR/big.c (written by gen_c.py)
# with gcc -O2, runs the program and compares its output with
# DIR/expected. The compiler driver, cc1, as and ld all inherit the
# LD_PRELOAD the runner set, so every one of them runs on the allocator
# under test; the runner's CPU time and peak RSS include them all.
set -eu
dir=$1
gcc -O2 -o "$dir/big" "$dir/big.c"
out=$("$dir/big")
if [ "$out" != "$(cat "$dir/expected")" ]; then
  echo "CHECK FAILED: big printed $out, expected $(cat "$dir/expected")" >&2
  exit 3
fi
echo "check ok $out"
