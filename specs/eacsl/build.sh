#!/bin/sh
# build.sh OUTDIR [extra frama-c options]: the E-ACSL build of bonbon's core.
#
# 1. Frama-C E-ACSL instruments the core (arena.c, bins.c, chunk.c and the
#    inline functions of chunk.h and internal.h), the static-array page
#    source (source.c) and the replay driver (replay.c) into one C file.
# 2. Every "Ignoring annotation" it reports must match an entry of
#    expected-ignored.txt (check-ignored.py); any other one fails the build.
# 3. gcc compiles that file with E-ACSL's runtime library and links the rest
#    of the allocator, compiled plainly with -DBB_EACSL -DBB_NO_STD_NAMES
#    (prefixed API: E-ACSL's runtime brings its own malloc), and the fuzz
#    targets fuzz_ops and fuzz_attack with their replay driver (fuzz_main.c),
#    also plain, their memory source built with -DFZ_EACSL_ZONE.
# One binary, OUTDIR/eacsl_replay: the randomized test and the fuzz corpus
# replays (see replay.c). Extra preprocessor flags for every file, e.g. a
# planted bug: EACSL_DEFS=-DBB_PLANT_BUG=1 build.sh OUTDIR.
# Replaces e-acsl-gcc.sh, which Debian's frama-c-base does not ship.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$(dirname "$here")")
out=$1; shift
mkdir -p "$out"
S=/usr/share/frama-c/e-acsl
RTL_LIB=/usr/lib/frama-c/e-acsl/libeacsl-dlmalloc.a
DEFS="-D_GNU_SOURCE -DBB_SECURITY=2 -DBB_EACSL -DBB_NO_STD_NAMES ${EACSL_DEFS:-}"
# glibc's headers under _GNU_SOURCE declare _FloatN functions that
# Frama-C 25's parser does not know.
FLT="-D_Float32=float -D_Float64=double -D_Float32x=double"
FLT="$FLT -D_Float64x=double -D_Float128=double" # declarations only

# The plain objects compile while Frama-C runs.
CC=${CC:-gcc}
pids=
for f in api check fatal heap mapped harden options os segment stats tcache; do
  $CC -c -O2 -g -std=c11 $DEFS -fno-strict-aliasing -fno-builtin-malloc \
    -fno-builtin-free -fno-builtin-calloc -fno-builtin-realloc \
    -I"$root/allocator" -I"$root/allocator/include" \
    -o "$out/$f.o" "$root/allocator/$f.c" &
  pids="$pids $!"
done
$CC -c -DE_ACSL_SEGMENT_MMODEL -std=c99 -m64 -O2 -w -I$S -o "$out/rtl.o" "$here/rtl.c" &
pids="$pids $!"
# The fuzz targets, each with its own copy of the driver, their libFuzzer
# entry points renamed apart. -Wno-attributes: gcc does not know clang's
# no_sanitize("coverage") (FZ_NOCOV).
FZ="$CC -c -O2 -g -std=gnu11 $DEFS -DFZ_EACSL_ZONE -fno-builtin -fno-strict-aliasing
  -Wno-attributes -I$root/allocator -I$root/allocator/include -I$root/fuzz"
for f in fz_common fz_model fz_source; do
  $FZ -o "$out/$f.o" "$root/fuzz/$f.c" &
  pids="$pids $!"
done
for t in ops attack; do
  R="-DLLVMFuzzerInitialize=fz_${t}_init -DLLVMFuzzerTestOneInput=fz_${t}_one"
  $FZ $R -o "$out/fuzz_$t.o" "$root/fuzz/fuzz_$t.c" &
  pids="$pids $!"
  $FZ $R -DFZ_ENTRY=eacsl_fuzz_$t -DFZ_REPLAY=fz_${t}_replay \
    -o "$out/fuzz_main_$t.o" "$here/fuzz_main.c" &
  pids="$pids $!"
done

# Not -e-acsl-gmp-only: in E-ACSL 25 it miscompiles a boolean inside a
# term (`c || d ? x : y`, the registry lookup SegmentOf) into a test of a
# GMP array, which is always true, and reports false violations.
# -e-acsl-full-mtracking: the core reaches the heap through pointers made
# from word indices; E-ACSL must track all of bb_vheap for \valid there.
# -e-acsl-no-assert-print-data: a violation is reported with its location
# and predicate, without the values of its terms. Recording those values
# at every check (an allocation each) took half of the replays' time. To
# see them: build.sh OUTDIR -e-acsl-assert-print-data (options after
# OUTDIR come last, and win).
frama-c -c11 -machdep gcc_x86_64 -no-frama-c-stdlib \
  -cpp-extra-args="$DEFS -D_DEFAULT_SOURCE -D__NO_CTYPE -D__FC_MACHDEP_X86_64 $FLT -I$root/allocator -I$root/allocator/include" \
  "$root/allocator/arena.c" "$root/allocator/bins.c" "$root/allocator/chunk.c" \
  "$here/source.c" "$here/replay.c" -remove-unused-specified-functions \
  -e-acsl -e-acsl-full-mtracking -e-acsl-no-assert-print-data \
  -e-acsl-share=$S "$@" \
  -then-last -print -ocode "$out/core.e-acsl.c" >"$out/e-acsl.log" 2>&1 ||
  { tail -40 "$out/e-acsl.log"; echo "build.sh: frama-c failed; log: $out/e-acsl.log"; exit 1; }
python3 "$here/check-ignored.py" "$out/e-acsl.log" "$here/expected-ignored.txt"

# Flags from upstream e-acsl-gcc.sh. -O0 by default (EACSL_OPT): the
# generated file is ~350k lines, and -O1 costs more compile time than it
# saves on a 20k-operation replay.
# E-ACSL 25 sometimes emits a GMP integer where C wants an integer; gcc 12
# only warns about that (and -w would hide it), so those warnings are errors.
$CC -c -DE_ACSL_SEGMENT_MMODEL -std=c99 -m64 -g -O${EACSL_OPT:-0} -fno-builtin \
  -fno-merge-constants -Werror=int-conversion -Werror=incompatible-pointer-types \
  -I$S -o "$out/core.e-acsl.o" "$out/core.e-acsl.c" 2>"$out/gcc.log" ||
  { grep -m5 -A3 'error' "$out/gcc.log"; echo "build.sh: gcc failed; log: $out/gcc.log"; exit 1; }
for p in $pids; do wait "$p"; done
$CC -o "$out/eacsl_replay" "$out/core.e-acsl.o" "$out/rtl.o" \
  "$out"/api.o "$out"/check.o "$out"/fatal.o "$out"/heap.o "$out"/mapped.o \
  "$out"/harden.o "$out"/options.o "$out"/os.o "$out"/segment.o "$out"/stats.o \
  "$out"/tcache.o "$out"/fz_common.o "$out"/fz_model.o "$out"/fz_source.o \
  "$out"/fuzz_ops.o "$out"/fuzz_main_ops.o "$out"/fuzz_attack.o \
  "$out"/fuzz_main_attack.o $RTL_LIB -lgmp -lm -lpthread
echo "build.sh: $out/eacsl_replay"
