#!/bin/sh
# coverage.sh [-o DIR]: line and branch coverage of allocator/ by the
# committed corpus. Builds the three replay drivers with clang source-based
# coverage, replays corpus/T on each, merges the profiles and prints the
# llvm-cov report (per file and total); HTML goes to DIR/html.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TMPDIR:-/tmp}/bonbon-coverage
while getopts o: o; do
  case $o in
    o) out=$OPTARG ;;
    *) echo "usage: $0 [-o DIR]" >&2; exit 2 ;;
  esac
done
cc=${CC:-clang}
cov=${LLVM_COV:-llvm-cov-14}
prof=${LLVM_PROFDATA:-llvm-profdata-14}
mkdir -p "$out"
rm -f "$out"/*.profraw
flags="-O1 -g -fprofile-instr-generate -fcoverage-mapping -D_GNU_SOURCE
  -fno-strict-aliasing -fno-builtin -I$root/allocator -I$root/allocator/include
  -I$root/fuzz"
alloc="-DBB_NO_STD_NAMES -fvisibility=hidden -ftls-model=initial-exec"
objs=
for f in "$root"/allocator/*.c; do
  # shellcheck disable=SC2086
  $cc $flags $alloc -c "$f" -o "$out/$(basename "$f" .c).o"
  objs="$objs $out/$(basename "$f" .c).o"
done
bins=
for t in fuzz_ops fuzz_attack fuzz_internals; do
  # shellcheck disable=SC2086
  $cc $flags -o "$out/$t" "$root/fuzz/$t.c" "$root/fuzz/fz_common.c" \
    "$root/fuzz/fz_source.c" "$root/fuzz/fz_model.c" \
    "$root/fuzz/replay_main.c" $objs -lpthread
  LLVM_PROFILE_FILE="$out/$t-%m.profraw" "$out/$t" "$root/corpus/$t" 2>&1 | tail -1
  if [ -z "$bins" ]; then bins="$out/$t"; else bins="$bins -object $out/$t"; fi
done
"$prof" merge -sparse "$out"/*.profraw -o "$out/corpus.profdata"
# shellcheck disable=SC2086
"$cov" report $bins -instr-profile="$out/corpus.profdata" \
  "$root"/allocator/*.c "$root"/allocator/*.h | tee "$out/report.txt"
# shellcheck disable=SC2086
"$cov" show $bins -instr-profile="$out/corpus.profdata" -format=html \
  -show-branches=count -output-dir="$out/html" "$root"/allocator/*.c \
  "$root"/allocator/*.h
echo "coverage: $out/report.txt, $out/html/index.html"
