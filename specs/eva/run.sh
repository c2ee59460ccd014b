#!/bin/sh
# run.sh [EXPECT] [cpp flags...]: Eva on the production core with the
# bounded driver (driver.c). Prints the alarms and their count; with
# EXPECT = N, exits 1 unless there are exactly N alarms; with EXPECT =
# +N, unless there are at least N. Example: run.sh 0; run.sh +1 -DBB_PLANT_BUG=1
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$(dirname "$here")")
expect=${1:-0}
[ $# -gt 0 ] && shift
log=${EVA_LOG:-${TMPDIR:-/tmp}/bonbon-eva.$$.log}
frama-c -c11 -machdep gcc_x86_64 \
  -cpp-extra-args="-D_GNU_SOURCE -DBB_SECURITY=2 -I$root/allocator $*" \
  -eva -eva-slevel 100000 -eva-split-return full -eva-no-show-progress \
  -eva-warn-key builtins:missing-spec=abort \
  "$here/driver.c" "$root/allocator/arena.c" "$root/allocator/bins.c" \
  "$root/allocator/chunk.c" >"$log" 2>&1 || { cat "$log"; exit 1; }
# Alarms: Eva's own (undefined behaviour, counted in its summary), plus
# every annotation of the core or the driver that Eva finds false on a
# reachable path (a contract broken, or the driver's no_fatal assertion).
# A behavior whose assumes Eva cannot decide may be "invalid" when it is
# inactive; Eva says so, and those are not counted.
rte=$(sed -n 's/.* \([0-9][0-9]*\) alarms* generated.*/\1/p' "$log" | tail -1)
grep -B1 "got status invalid\.\$\|got final status invalid" "$log" || true
bad=$(grep -c "got status invalid\.\$\|got final status invalid" "$log" || true)
grep -A1 "^\[eva:alarm\].*Warning: *\$" "$log" | grep -v "postcondition\|^--\|eva:alarm" || true
n=$(( ${rte:-0} + bad ))
reached=$(grep -o "Functions analyzed:.*\|[0-9]* functions analyzed.*" "$log" | head -1)
echo "eva: ${n:-?} alarms (${reached:-see log}), expected $expect; log: $log"
case $expect in
  +*) [ "${n:-0}" -ge "${expect#+}" ] ;;
  *) [ "${n:--1}" -eq "$expect" ] ;;
esac
