#!/bin/sh
# run.sh [-n] OUTDIR [WHAT]: build the E-ACSL core in OUTDIR (build.sh,
# which fails on an unexpected ignored annotation; -n: use the build
# already there) and replay through it. WHAT:
#   random [OPS [SEEDS]]  the randomized test (tests/stress/random_ops.c):
#   OPS [SEEDS]           OPS operations over SEEDS seeded heaps (20000 4)
#   fuzz_ops              corpus/fuzz_ops and corpus/regressions/fuzz_ops
#   fuzz_attack           corpus/fuzz_attack and corpus/regressions/fuzz_attack
#   all                   the three (the default)
#   planted               build with a planted bug (-DBB_PLANT_BUG=1, split's
#                         remainder 16 bytes early; -n ignored) and replay
#                         fuzz_ops: passes when E-ACSL reports a violation
# A violated annotation aborts a replay with E-ACSL's report: exit 1.
# Every corpus input is replayed; none is excluded.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$(dirname "$here")")
build=1
if [ "${1:-}" = -n ]; then build=0; shift; fi
out=$1; shift
what=${1:-all}
case $what in
  [0-9]*) what=random ;;
  *) if [ $# -gt 0 ]; then shift; fi ;;
esac
# The environment of ctest's fuzz_replay_* tests: no simulated allocator
# bug (FZ_SHIM), no input skipped (FZ_AVOID_KNOWN), no trace; and
# fuzz_attack's counts at the end (FZ_STATS).
unset FZ_SHIM FZ_AVOID_KNOWN FZ_TRACE
export FZ_STATS=1

if [ "$what" = planted ]; then
  EACSL_DEFS=-DBB_PLANT_BUG=1 "$here/build.sh" "$out"
elif [ $build = 1 ]; then
  "$here/build.sh" "$out"
fi

# replay NAME ARGS...: run eacsl_replay ARGS, log in OUTDIR/NAME.log.
replay() {
  name=$1; shift
  log="$out/$name.log"
  start=$(date +%s)
  st=0
  "$out/eacsl_replay" "$@" >"$log" 2>&1 || st=$?
  secs=$(( $(date +%s) - start ))
  if [ $st != 0 ]; then
    head -60 "$log"
    echo "eacsl $name: FAILED (exit $st) after $secs s; log: $log"
    return 1
  fi
  cat "$log"
  # E-ACSL prints a warning instead of aborting when a verdict is not
  # sound (e.g. after a libc call it has no model for): a failure too.
  if grep -q "Warning\|Error" "$log"; then
    echo "eacsl $name: E-ACSL warnings in the replay; log: $log"
    return 1
  fi
  echo "eacsl $name: 0 violations, $secs s"
}

# corpus TARGET: replay corpus/TARGET and its regressions; every file
# must have been run.
corpus() {
  t=$1
  set -- "$root/corpus/$t"
  [ -d "$root/corpus/regressions/$t" ] && set -- "$@" "$root/corpus/regressions/$t"
  files=$(find "$@" -type f ! -name '.*' | wc -l)
  replay "$t" "$t" "$@" || return 1
  grep -q "^$t: $files inputs passed" "$out/$t.log" || {
    echo "eacsl $t: expected $files inputs passed; log: $out/$t.log"
    return 1
  }
  echo "eacsl $t: $files inputs of $*, none excluded"
}

case $what in
  random)
    ops=${1:-20000}
    seeds=${2:-4}
    replay random "$ops" "$seeds"
    echo "eacsl random: $ops operations over $seeds seeds" ;;
  fuzz_ops | fuzz_attack)
    corpus "$what" ;;
  all)
    replay random 20000 4
    corpus fuzz_ops
    corpus fuzz_attack ;;
  planted)
    st=0
    "$out/eacsl_replay" fuzz_ops "$root/corpus/fuzz_ops" >"$out/planted.log" 2>&1 || st=$?
    # E-ACSL's report: "FILE:LINE: Error: Postcondition failed:" (or
    # Precondition, Assertion...), then the failing predicate.
    pat='^[^ ]*:[0-9]*: Error: [A-Za-z ]* failed:'
    if [ $st != 0 ] && grep -q "$pat" "$out/planted.log"; then
      grep -B1 -A4 -m1 "$pat" "$out/planted.log"
      echo "eacsl planted: the planted bug is reported (exit $st); log: $out/planted.log"
    else
      tail -20 "$out/planted.log"
      echo "eacsl planted: NOT reported by E-ACSL (exit $st); log: $out/planted.log"
      exit 1
    fi ;;
  *)
    echo "run.sh: unknown WHAT: $what" >&2
    exit 2 ;;
esac
