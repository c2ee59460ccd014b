#!/bin/sh
# mutation_check.sh: proof that the oracles bite.
#
#   fuzz/mutation_check.sh [-s SECONDS] [-o DIR]
#
# 1. Planted bugs. For N = 1..5 the allocator is built with
#    -DBB_PLANT_BUG=N (see corpus/regressions/README.md for the list):
#      1 off-by-one in split      2 missing coalesce    3 wrong bin index
#      4 skipped double-free check                      5 unchecked link
#    fuzz_ops and fuzz_attack (libFuzzer, no sanitizer) then run side by
#    side from the committed seed corpus, each for at most SECONDS
#    (default 180). A bug is found when either reports a finding or
#    crashes; the table gives the time to the first finding and its check.
# 2. Model checks. The unplanted fuzz_ops replays its seed corpus with
#    FZ_SHIM=S, which simulates at the API boundary an allocator breaking
#    one promise; each must make its own check fire.
# Known, already reported allocator bugs are avoided (FZ_AVOID_KNOWN=1)
# so that they cannot stand in for a planted one. Exit status 0 when every
# bug is found and every check fires.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
secs=180
out=${TMPDIR:-/tmp}/bonbon-mutation
while getopts s:o: o; do
  case $o in
    s) secs=$OPTARG ;;
    o) out=$OPTARG ;;
    *) echo "usage: $0 [-s SECONDS] [-o DIR]" >&2; exit 2 ;;
  esac
done
cc=${CC:-clang}
mkdir -p "$out"
export FZ_AVOID_KNOWN=1
fail=0

build() { # dir plant
  cmake -S "$root/fuzz" -B "$1" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBONBON_FUZZ_PLANT="$2" >/dev/null
  cmake --build "$1" -j2 --target fuzz_ops fuzz_attack fuzz_ops_replay \
    fuzz_internals_replay >/dev/null
}

run() { # bin target log -> writes "secs check" to log.res
  work=$(mktemp -d "$out/work.XXXXXX")
  t0=$(date +%s.%N)
  rc=0
  "$1" -max_total_time="$secs" -timeout=10 -max_len=4096 \
    -dict="$root/corpus/$2.dict" -artifact_prefix="$3." "$work" \
    "$root/corpus/$2" >"$3" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  rm -rf "$work"
  el=$(awk "BEGIN { print $t1 - $t0 }")
  if [ $rc -eq 0 ]; then
    echo "- not-found" >"$3.res"
  else
    chk=$(grep -o 'FINDING [A-Z-]*' "$3" | head -1 | cut -d' ' -f2)
    [ -n "$chk" ] || chk=$(grep -oE 'deadly signal|SEGV|timeout|out-of-memory' "$3" | head -1 | tr ' ' '-')
    printf '%.1f %s\n' "$el" "${chk:-crash}" >"$3.res"
  fi
}

printf '%-6s %-28s %-22s %-22s %s\n' plant bug "fuzz_ops (s, check)" \
  "fuzz_attack (s, check)" "fuzz_internals (replay)"
names="off-by-one-in-split missing-coalesce wrong-bin-index skipped-double-free-check unchecked-link"
n=0
for name in $names; do
  n=$((n + 1))
  d="$out/plant$n"
  build "$d" "$n"
  run "$d/fuzz_ops" fuzz_ops "$d/ops.log" &
  run "$d/fuzz_attack" fuzz_attack "$d/attack.log" &
  wait
  r1=$(cat "$d/ops.log.res") r2=$(cat "$d/attack.log.res")
  r3=$(sh -c '"$0" "$1" 2>&1' "$d/fuzz_internals_replay" \
         "$root/corpus/fuzz_internals" 2>/dev/null |
       grep -o 'FINDING [A-Z-]*' | head -1 | cut -d' ' -f2) || true
  printf '%-6s %-28s %-22s %-22s %s\n' "$n" "$name" "$r1" "$r2" "${r3:--}"
  case "$r1$r2" in *not-found*not-found*) fail=1 ;; esac
done

echo
printf '%-5s %-14s %s\n' shim expected fired
d="$out/plain"
build "$d" ""
s=0
for want in NULL-RESULT ERRNO ALIGNMENT USABLE-SIZE OVERLAP OUTSIDE-HEAP \
            CONTENT REALLOC-KEEP CALLOC-ZERO HEAP-CHECK NOT-EMPTY STATS LEAK \
            NULL-RESULT; do
  s=$((s + 1))
  got=$(sh -c 'FZ_SHIM=$0 "$1" "$2" 2>&1' "$s" "$d/fuzz_ops_replay" \
          "$root/corpus/fuzz_ops" 2>/dev/null |
        grep -o 'FINDING [A-Z-]*' | head -1 | cut -d' ' -f2) || true
  printf '%-5s %-14s %s\n' "$s" "$want" "${got:-nothing}"
  [ "$got" = "$want" ] || fail=1
done
exit $fail
