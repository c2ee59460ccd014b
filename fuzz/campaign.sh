#!/bin/sh
# campaign.sh: one fuzzing campaign, then the corpus minimized back into
# corpus/.
#
#   fuzz/campaign.sh [-e libfuzzer|afl] [-m MINUTES] [-j JOBS]
#                    [-t "fuzz_ops fuzz_attack fuzz_internals"] [-o DIR] [-n] [-k]
#
#   -e  engine (default libfuzzer): libFuzzer -jobs/-workers with value
#       profiles and the dictionary; or AFL++ with one -M main, one -S
#       secondary with CMPLOG (-c, -l 2AT) and the rest plain -S, each
#       with the dictionary, stopped by -V
#   -m  minutes per target (default 10); targets run one after another,
#       each on all JOBS cores (default: every core, nproc)
#   -o  work directory (default /tmp/bonbon-campaign): builds, queues, logs
#   -n  do not merge into corpus/
#   -k  do not avoid the allocator bugs already reported in
#       corpus/regressions (FZ_AVOID_KNOWN=1 is the default, so that a
#       known crash does not stop every job)
# After each target the new inputs are merged into corpus/T with
# libFuzzer -merge=1 (after afl-cmin for AFL++), keeping every named
# seed-* file. Findings are listed at the end (exit status 1).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
engine=libfuzzer minutes=10 jobs=$(nproc) out=/tmp/bonbon-campaign
targets="fuzz_ops fuzz_attack fuzz_internals" merge=1 avoid=1
while getopts e:m:j:t:o:nk o; do
  case $o in
    e) engine=$OPTARG ;;
    m) minutes=$OPTARG ;;
    j) jobs=$OPTARG ;;
    t) targets=$OPTARG ;;
    o) out=$OPTARG ;;
    n) merge=0 ;;
    k) avoid=0 ;;
    *) sed -n '2,25p' "$0" >&2; exit 2 ;;
  esac
done
[ $avoid = 1 ] && export FZ_AVOID_KNOWN=1
secs=$(awk "BEGIN { print int($minutes * 60) }")
mkdir -p "$out"
out=$(cd "$out" && pwd)
lf="$out/build-libfuzzer"
echo "== building libFuzzer targets in $lf"
cmake -S "$root/fuzz" -B "$lf" -DCMAKE_C_COMPILER="${CC:-clang}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$lf" -j"$jobs" >/dev/null
if [ "$engine" = afl ]; then
  echo "== building AFL++ targets in $out/build-afl"
  "$root/fuzz/build_afl.sh" "$out/build-afl" >/dev/null
fi
findings=""

for t in $targets; do
  w="$out/$t"
  rm -rf "$w"
  mkdir -p "$w/new" "$w/crashes"
  dict=
  [ -f "$root/corpus/$t.dict" ] && dict="$root/corpus/$t.dict"
  echo "== $t: $engine, $minutes min on $jobs cores"
  if [ "$engine" = libfuzzer ]; then
    (cd "$w" && "$lf/$t" -jobs="$jobs" -workers="$jobs" \
       -max_total_time="$secs" -timeout=10 -max_len=4096 -rss_limit_mb=2048 \
       -use_value_profile=1 ${dict:+-dict="$dict"} -print_final_stats=1 \
       -artifact_prefix="$w/crashes/" "$w/new" "$root/corpus/$t" \
       >"$w/libfuzzer.log" 2>&1 || true)
    grep -h "stat::average_exec_per_sec\|stat::number_of_executed_units" \
      "$w"/fuzz-*.log 2>/dev/null | sort | uniq -c | head -4 || true
    src="$w/new"
  else
    export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_IMPORT_FIRST=1 \
           AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_CMPLOG_ONLY_NEW=1
    a="$out/build-afl"
    i=0 pids=
    while [ $i -lt "$jobs" ]; do
      if [ $i = 0 ]; then role="-M main" extra=
      elif [ $i = 1 ]; then role="-S cmplog" extra="-c $a/afl-cmplog/$t -l 2AT"
      else role="-S s$i" extra="-p explore"; fi
      # shellcheck disable=SC2086
      afl-fuzz $role -i "$root/corpus/$t" -o "$w/afl" ${dict:+-x "$dict"} \
        -V "$secs" -t 10000 $extra -- "$a/afl/$t" >"$w/afl-$i.log" 2>&1 &
      pids="$pids $!"
      i=$((i + 1))
    done
    # shellcheck disable=SC2086
    wait $pids || true
    for s in "$w"/afl/*/; do
      grep -E "execs_per_sec|execs_done|stability|bitmap_cvg" "$s/fuzzer_stats" \
        2>/dev/null | tr -s ' ' | sed "s|^|  $(basename "$s") |" || true
      cp "$s"/crashes/id* "$w/crashes/" 2>/dev/null || true
    done
    mkdir -p "$w/queue"
    cp "$w"/afl/*/queue/id* "$w/queue/" 2>/dev/null || true
    AFL_ALLOW_TMP=1 afl-cmin -i "$w/queue" -o "$w/cmin" -t 10000 -- \
      "$a/afl/$t" >"$w/cmin.log" 2>&1 || cp -r "$w/queue" "$w/cmin"
    src="$w/cmin"
  fi
  n=$(ls "$w/crashes" | grep -cv '^README' || true)
  if [ "$n" -gt 0 ]; then
    findings="$findings $w/crashes ($n)"
  fi
  if [ $merge = 1 ]; then
    m="$w/merged"
    mkdir -p "$m"
    cp "$root/corpus/$t"/seed-* "$m/"
    "$lf/$t" -merge=1 -timeout=10 -max_len=4096 "$m" "$root/corpus/$t" "$src" \
      >"$w/merge.log" 2>&1
    find "$root/corpus/$t" -type f ! -name 'seed-*' -delete
    find "$m" -type f ! -name 'seed-*' -exec cp {} "$root/corpus/$t/" \;
    if [ $avoid = 1 ]; then
      # Inputs that reach a known bug once the avoidance is off belong in
      # corpus/regressions, not in the corpus ctest replays.
      dropped=0
      for f in "$root/corpus/$t"/*; do
        case $(basename "$f") in seed-*) continue ;; esac
        if ! env -u FZ_AVOID_KNOWN "$lf/${t}_replay" "$f" >/dev/null 2>&1; then
          rm -f "$f"
          dropped=$((dropped + 1))
        fi
      done
      echo "   dropped $dropped inputs that reach a known bug"
    fi
    echo "   corpus/$t: $(ls "$root/corpus/$t" | wc -l) files after merge"
  fi
done

if [ -n "$findings" ]; then
  echo "== FINDINGS:$findings"
  echo "   reproduce: <build>/T_replay -v FILE; minimize: <build>/T -minimize_crash=1 -runs=100000 FILE"
  exit 1
fi
echo "== no findings"
