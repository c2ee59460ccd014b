#!/bin/bash -eu
# Build bonbon's fuzz targets the OSS-Fuzz / ClusterFuzzLite way.
#
# Honours $CC, $CXX, $CFLAGS, $CXXFLAGS, $LIB_FUZZING_ENGINE and $OUT (and
# $WORK, $SRC when the builder sets them). Outside Docker, from the
# repository root, with only those variables set, e.g.
#   CC=clang CXX=clang++ CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
#   LIB_FUZZING_ENGINE="-fsanitize=fuzzer" OUT=/tmp/cfl .clusterfuzzlite/build.sh
# Every C file, allocator included, is compiled with $CC $CFLAGS (the
# allocator is the code under test, so it needs the instrumentation) and
# linked with $CXX $CXXFLAGS $LIB_FUZZING_ENGINE. Next to each target in
# $OUT: <target>_seed_corpus.zip, <target>.options and <target>.dict.
# BB_PLANT_BUG=N builds the allocator with planted bug N (mutation check).

if [ -f allocator/include/bonbon.h ]; then
  ROOT=$PWD
elif [ -n "${SRC:-}" ] && [ -f "$SRC/bonbon/allocator/include/bonbon.h" ]; then
  ROOT=$SRC/bonbon
else
  ROOT=$(cd "$(dirname "$0")/.." && pwd)
fi
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
OUT=${OUT:?set OUT to the output directory}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$WORK/bonbon"
obj=$WORK/bonbon

plant=
if [ -n "${BB_PLANT_BUG:-}" ]; then
  plant="-DBB_PLANT_BUG=$BB_PLANT_BUG"
fi
# The prefixed-only allocator (the same flags as bonbon_prefixed_library).
alloc_flags="-D_GNU_SOURCE -DBB_NO_STD_NAMES -fvisibility=hidden
  -fno-strict-aliasing -fno-builtin-malloc -fno-builtin-free
  -fno-builtin-calloc -fno-builtin-realloc -ftls-model=initial-exec $plant"
harness_flags="-D_GNU_SOURCE -fno-builtin -fno-strict-aliasing $plant
  -I$ROOT/allocator -I$ROOT/allocator/include -I$ROOT/fuzz"

objs=()
for f in "$ROOT"/allocator/*.c; do
  o=$obj/$(basename "$f" .c).o
  # shellcheck disable=SC2086
  $CC $CFLAGS $alloc_flags -I"$ROOT/allocator/include" -c "$f" -o "$o"
  objs+=("$o")
done
rm -f "$obj/libbonbon_fuzz.a"
ar rcs "$obj/libbonbon_fuzz.a" "${objs[@]}"

common=()
for f in fz_common fz_source fz_model; do
  # shellcheck disable=SC2086
  $CC $CFLAGS $harness_flags -c "$ROOT/fuzz/$f.c" -o "$obj/$f.o"
  common+=("$obj/$f.o")
done

for t in fuzz_ops fuzz_attack fuzz_internals; do
  # shellcheck disable=SC2086
  $CC $CFLAGS $harness_flags -c "$ROOT/fuzz/$t.c" -o "$obj/$t.o"
  # shellcheck disable=SC2086
  $CXX $CXXFLAGS "$obj/$t.o" "${common[@]}" "$obj/libbonbon_fuzz.a" \
    $LIB_FUZZING_ENGINE -lpthread -o "$OUT/$t"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$ROOT/corpus/$t" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  cp "$ROOT/corpus/$t.options" "$OUT/"
  if [ -f "$ROOT/corpus/$t.dict" ]; then
    cp "$ROOT/corpus/$t.dict" "$OUT/"
  fi
done
echo "bonbon: fuzz targets in $OUT"
