#!/bin/sh
# run.sh OUTDIR [OPS [SEEDS]]: build the E-ACSL core (build.sh, which fails
# on an unexpected ignored annotation) and replay OPS random operations
# over SEEDS seeded heaps (tests/stress/random_ops.c) through it. Any
# violated annotation aborts the replay with E-ACSL's report: exit != 0.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
ops=${2:-20000}
seeds=${3:-4}
"$here/build.sh" "$out"
start=$(date +%s)
"$out/eacsl_replay" "$ops" "$seeds" >"$out/replay.log" 2>&1 || {
  st=$?
  head -60 "$out/replay.log"
  echo "eacsl_replay: FAILED (exit $st) after $(( $(date +%s) - start )) s; log: $out/replay.log"
  exit 1
}
cat "$out/replay.log"
# E-ACSL prints a warning instead of aborting when a verdict is not sound
# (e.g. after a libc call it has no model for): those count as failures.
if grep -q "Warning\|Error" "$out/replay.log"; then
  echo "eacsl_replay: E-ACSL warnings in the replay; log: $out/replay.log"
  exit 1
fi
echo "eacsl_replay: $ops operations over $seeds seeds, 0 violations, $(( $(date +%s) - start )) s"
