#!/bin/sh
# smoke.sh BIN SECONDS CORPUS_ROOT TARGET: a short libFuzzer campaign from
# the committed corpus, writing new inputs to a scratch directory (never
# into the source tree). Fails when the fuzzer reports a finding.
set -eu
bin=$1 secs=$2 corpus=$3 t=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/bonbon-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Findings outlive the scratch corpus: they are what a failure reports.
found=$(mktemp -d "${TMPDIR:-/tmp}/bonbon-findings-$t.XXXXXX")
dict=
[ -f "$corpus/$t.dict" ] && dict="-dict=$corpus/$t.dict"
# shellcheck disable=SC2086
if "$bin" -max_total_time="$secs" -timeout=10 -max_len=4096 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$found/" $dict "$work" "$corpus/$t"
then
  rmdir "$found"
else
  rc=$?
  echo "smoke: the finding is kept in $found" >&2
  exit "$rc"
fi
