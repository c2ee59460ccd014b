# common.sh: shared part of the preload drivers (sourced, POSIX sh).
#
# A driver is called as `sh DRIVER.sh /abs/path/to/libbonbon.so [ARGS...]`.
# `compare NAME CMD...` (built from `run` and `same` below) runs CMD twice in a clean environment (env -i, C
# locale, UTC, a private HOME): once plainly and once with
# LD_PRELOAD=libbonbon.so. It fails the test if either run exits nonzero or
# dies on a signal, or if stdout or stderr differ byte for byte (the diff is
# shown). The preloaded run also has LD_DEBUG=bindings writing to side files
# (never to the compared output); `require_bonbon NAME FILE...` then proves
# that in that very run each named executable or library had its `malloc'
# and `free' bound to libbonbon, i.e. the program really ran on bonbon.
set -eu

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 /abs/path/libbonbon.so [ARGS...] (library not found: ${1:-})" >&2
  exit 2
fi
LIB=$1
shift
case "$LIB" in /*) ;; *) LIB="$(cd "$(dirname "$LIB")" && pwd)/$(basename "$LIB")" ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bonbon-preload.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir "$TMP/home"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The same environment for both runs; drivers add VAR=value words to CMD.
clean_env() {
  env -i PATH=/usr/bin:/bin HOME="$TMP/home" LC_ALL=C TZ=UTC TMPDIR="$TMP" "$@"
}

# check_status NAME RC: fail on a nonzero status or a signal.
check_status() {
  [ "$2" -eq 0 ] && return 0
  if [ "$2" -gt 128 ]; then
    what="killed by SIG$(kill -l $(($2 - 128)) 2>/dev/null || echo $(($2 - 128)))"
  else
    what="exit status $2"
  fi
  echo "--- last lines of stderr of $1:" >&2
  tail -n 20 "$TMP/$1.err" >&2
  fail "$1: $what"
}

# run NAME plain|bonbon CMD...: run CMD in the clean environment, plainly or
# with LD_PRELOAD=libbonbon.so (and LD_DEBUG=bindings into $TMP/NAME.ld.PID),
# keeping $TMP/NAME.out and $TMP/NAME.err; fail unless it exits 0.
run() {
  rname=$1 rmode=$2
  shift 2
  rc=0
  if [ "$rmode" = plain ]; then
    clean_env "$@" >"$TMP/$rname.out" 2>"$TMP/$rname.err" </dev/null || rc=$?
  else
    clean_env LD_PRELOAD="$LIB" LD_DEBUG=bindings LD_DEBUG_OUTPUT="$TMP/$rname.ld" \
      "$@" >"$TMP/$rname.out" 2>"$TMP/$rname.err" </dev/null || rc=$?
  fi
  check_status "$rname" "$rc"
}

# same A B: the runs A and B printed the same stdout and stderr, byte for byte.
same() {
  for s in out err; do
    if ! cmp -s "$TMP/$1.$s" "$TMP/$2.$s"; then
      echo "--- std$s differs (- $1, + $2):" >&2
      diff -u "$TMP/$1.$s" "$TMP/$2.$s" | head -n 60 >&2 || true
      fail "std$s of $2 differs from $1"
    fi
  done
}

# compare NAME CMD...: runs NAME.plain (plain) and NAME (with bonbon), which
# must both succeed, print something, and print the same.
compare() {
  cname=$1
  shift
  run "$cname.plain" plain "$@"
  run "$cname" bonbon "$@"
  [ -s "$TMP/$cname.plain.out" ] || fail "$cname: the workload printed nothing"
  same "$cname.plain" "$cname"
  echo "ok: $cname: $(wc -l <"$TMP/$cname.out") lines of stdout identical with and without bonbon"
}

# require_bonbon NAME FILE...: in the preloaded run NAME, each FILE (a path,
# or a string matching the end of the name ld.so reports for an executable
# or library) bound malloc and free to libbonbon.
require_bonbon() {
  bname=$1
  shift
  ls "$TMP/$bname.ld".* >/dev/null 2>&1 || fail "$bname: no LD_DEBUG output: was LD_PRELOAD honoured?"
  for file in "$@"; do
    for sym in malloc free; do
      if ! cat "$TMP/$bname.ld".* |
        grep "binding file [^ ]*$file \[0\] to [^ ]*libbonbon[^ ]* \[0\]: normal symbol \`$sym'" \
          >/dev/null; then
        echo "--- bindings of $sym seen in the preloaded run of $bname:" >&2
        cat "$TMP/$bname.ld".* | grep "symbol \`$sym'" | sed 's/^ *[0-9]*:[[:space:]]*//' | sort -u | head >&2
        fail "$bname: $file did not bind $sym to libbonbon"
      fi
    done
    echo "ok: $bname: $file had malloc and free from libbonbon"
  done
}
