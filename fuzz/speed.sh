#!/bin/sh
# speed.sh: execs per second of each target without sanitizers.
#
#   fuzz/speed.sh [-e libfuzzer|afl] [-b BUILD] [-n RUNS] [-a SECONDS]
#                 [-t "TARGETS"] [-s SEED]
#
# libFuzzer (default): runs the plain libFuzzer build of each target
# (BUILD/T, default: a fresh build in ${TMPDIR:-/tmp}/bonbon-speed) from
# its committed corpus for RUNS mutated inputs (default 20000) with the
# dictionary and the .options limits, and prints
#   - libFuzzer's own average (execs per wall-clock second),
#   - execs per CPU second (user + system time of the process): the figure
#     per core that does not depend on what else runs on the machine,
#   - the length of the corpus inputs (mean, median, 90th percentile) and
#     the length limit libFuzzer reached (lim).
# The corpus is loaded first (counted in the CPU time, not in RUNS).
# AFL++ (-e afl): runs afl-fuzz on the persistent-mode build (BUILD/afl/T,
# default: fuzz/build_afl.sh into ${TMPDIR:-/tmp}/bonbon-speed-afl) from
# the committed corpus for SECONDS (default 60), and prints afl-fuzz's
# execs per wall-clock second, execs per CPU second (afl-fuzz and its
# target, counted by perf stat), the executions and the stability.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
engine=libfuzzer build= runs=20000 secs=60 seed=1
targets="fuzz_ops fuzz_attack fuzz_internals fuzz_process"
while getopts e:b:n:a:t:s: o; do
  case $o in
    e) engine=$OPTARG ;;
    a) secs=$OPTARG ;;
    b) build=$OPTARG ;;
    n) runs=$OPTARG ;;
    t) targets=$OPTARG ;;
    s) seed=$OPTARG ;;
    *) sed -n '2,22p' "$0" >&2; exit 2 ;;
  esac
done
if [ "$engine" = afl ]; then
  if [ -z "$build" ]; then
    build=${TMPDIR:-/tmp}/bonbon-speed-afl
    "$root/fuzz/build_afl.sh" "$build" >/dev/null
  fi
  printf '%-15s %10s %10s %10s %s\n' target "exec/s" "exec/cpu-s" execs stability
  for t in $targets; do
    work=$(mktemp -d "${TMPDIR:-/tmp}/bonbon-speed.XXXXXX")
    dict=
    [ -f "$root/corpus/$t.dict" ] && dict="-x $root/corpus/$t.dict"
    # shellcheck disable=SC2086
    # perf stat counts the target's CPU time too: afl-fuzz never reaps its
    # persistent child, so the rusage of time(1) would miss it.
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_IMPORT_FIRST=1 \
      perf stat -x, -e task-clock -o "$work.cpu" afl-fuzz -i "$root/corpus/$t" \
      -o "$work" -V "$secs" -t 10000 -s "$seed" $dict -- "$build/afl/$t" \
      >"$work.log" 2>&1 || true
    st=$work/default/fuzzer_stats
    get() { sed -n "s/^$1 *: *//p" "$st" 2>/dev/null; }
    cpu=$(awk -F, '/task-clock/ { print $1 / 1000 }' "$work.cpu")
    done_=$(get execs_done)
    per_cpu=$(awk "BEGIN { if (${cpu:-0} > 0) printf \"%.0f\", ${done_:-0} / $cpu }")
    printf '%-15s %10s %10s %10s %s\n' "$t" "$(get execs_per_sec)" "$per_cpu" \
      "${done_:--}" "$(get stability)"
    n=$(ls "$work"/default/crashes 2>/dev/null | grep -cv '^README' || true)
    if [ "$n" -gt 0 ]; then
      echo "  finding: $work/default/crashes"
      continue
    fi
    rm -rf "$work" "$work.log" "$work.cpu"
  done
  exit 0
fi
if [ -z "$build" ]; then
  build=${TMPDIR:-/tmp}/bonbon-speed
  cmake -S "$root/fuzz" -B "$build" -DCMAKE_C_COMPILER="${CC:-clang}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" >/dev/null
fi
printf '%-15s %10s %10s %12s %s\n' target "exec/s" "exec/cpu-s" "corpus len" \
  "(mean/median/p90, lim)"
for t in $targets; do
  work=$(mktemp -d "${TMPDIR:-/tmp}/bonbon-speed.XXXXXX")
  dict=
  [ -f "$root/corpus/$t.dict" ] && dict="-dict=$root/corpus/$t.dict"
  # shellcheck disable=SC2086
  /usr/bin/time -f "cpu %U %S" "$build/$t" -runs="$runs" -seed="$seed" \
    -timeout=10 -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" $dict "$work" "$root/corpus/$t" \
    >"$work.log" 2>&1 || true
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work.log")
  lim=$(grep -o 'lim: [0-9]*' "$work.log" | tail -1 | cut -d' ' -f2)
  cpu=$(sed -n 's/^cpu //p' "$work.log" | awk '{ print $1 + $2 }')
  loaded=$(grep -o '^#[0-9]*.*INITED' "$work.log" | sed 's/^#\([0-9]*\).*/\1/')
  total=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
  lens=$(find "$root/corpus/$t" -type f -printf '%s\n' | sort -n |
         awk '{ a[NR] = $1; s += $1 } END {
                printf "%.0f/%d/%d", s / NR, a[int((NR + 1) / 2)], a[int(NR * 0.9)] }')
  per_cpu=$(awk "BEGIN { if ($cpu > 0) printf \"%.0f\", ${total:-0} / $cpu }")
  printf '%-15s %10s %10s %12s lim %s (%s loaded, %s run)\n' "$t" "${rate:--}" \
    "$per_cpu" "$lens" "${lim:--}" "${loaded:--}" "${total:--}"
  if grep -q 'ERROR\|FINDING' "$work.log"; then
    echo "  finding: $work.log, $work/crash-*"
    continue
  fi
  rm -rf "$work" "$work.log"
done
