#!/bin/sh
# preload_bonbon_run: the launcher `bonbon-run CMD [ARGS...]` from the build
# tree (called as `sh bonbon_run.sh LIB BONBON-RUN`). Checks that the
# command it starts, and that command's children, really have libbonbon
# mapped and bound for malloc and free (it is not mapped without the
# launcher); that arguments reach the command unchanged, including empty
# ones, spaces, globs and dashes; that the exit status and death by a
# signal come back unchanged; that an LD_PRELOAD already set is kept after
# bonbon; that BONBON_LIB chooses the library; that it prints its usage and
# fails without a command; and that a small pipeline (seq, sed, sort,
# cksum) prints the same through bonbon-run as plainly.
. "$(dirname "$0")/common.sh"

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  fail "usage: $0 LIB /path/to/bonbon-run"
fi
BR=$1

# status CMD...: the exit status of CMD in the clean environment.
status() {
  rc=0
  clean_env "$@" >"$TMP/status.out" 2>"$TMP/status.err" </dev/null || rc=$?
  echo "$rc"
}

# libbonbon is mapped into the launched command, and only through bonbon-run.
run maps.plain plain /bin/sh -c 'grep -c libbonbon /proc/self/maps || true'
run maps plain "$BR" /bin/sh -c 'grep -c libbonbon /proc/self/maps || true'
[ "$(cat "$TMP/maps.plain.out")" = 0 ] || fail "libbonbon mapped without bonbon-run"
[ "$(cat "$TMP/maps.out")" -gt 0 ] || fail "bonbon-run: libbonbon not in the command's /proc/self/maps"
echo "ok: maps: the command has libbonbon mapped ($(cat "$TMP/maps.out") mappings)"

# Arguments pass through unchanged, and the command binds malloc to bonbon.
set -- '[%s]\n' 'a b' '' '*' '$HOME' "$(printf 'tab\tnl\nend')" -- -n --help
run args.plain plain /usr/bin/printf "$@"
run args plain LD_DEBUG=bindings LD_DEBUG_OUTPUT="$TMP/args.ld" "$BR" /usr/bin/printf "$@"
same args.plain args
echo "ok: args: $# arguments passed through unchanged"
run args_env plain "$BR" /usr/bin/env
grep -q '^LD_PRELOAD=/.*libbonbon' "$TMP/args_env.out" || fail "bonbon-run set no absolute LD_PRELOAD"

# Exit statuses and signals come back unchanged.
for code in 0 1 7 255; do
  [ "$(status "$BR" /bin/sh -c "exit $code")" = "$code" ] || fail "exit status $code not passed through"
done
[ "$(status "$BR" /bin/sh -c 'kill -TERM $$')" = 143 ] || fail "death by SIGTERM not passed through"
echo "ok: status: exit statuses 0 1 7 255 and SIGTERM passed through"

# Usage without a command.
[ "$(status "$BR")" = 2 ] || fail "bonbon-run without a command did not exit 2"
grep -q usage "$TMP/status.err" || fail "bonbon-run without a command printed no usage"
echo "ok: usage: exit status 2 and a usage line without a command"

# An LD_PRELOAD already set is kept, after bonbon; BONBON_LIB is honoured.
libc=$(ldd /bin/sh | sed -n 's/.*libc\.so\.6 => \([^ ]*\) .*/\1/p')
[ -f "$libc" ] || fail "cannot find libc.so.6 with ldd /bin/sh"
run keep plain LD_PRELOAD="$libc" "$BR" /bin/sh -c 'echo "$LD_PRELOAD"'
case "$(cat "$TMP/keep.out")" in
  /*libbonbon*:"$libc") echo "ok: keep: LD_PRELOAD becomes $(cat "$TMP/keep.out")" ;;
  *) fail "bonbon-run lost or misordered the existing LD_PRELOAD: $(cat "$TMP/keep.out")" ;;
esac
run override plain BONBON_LIB="$LIB" "$BR" /bin/sh -c 'grep -F -c "$(readlink -f "$BONBON_LIB")" /proc/self/maps || true'
[ "$(cat "$TMP/override.out")" -gt 0 ] || fail "BONBON_LIB=$LIB was not loaded"
echo "ok: override: BONBON_LIB chose $LIB"

# A pipeline of real programs prints the same through bonbon-run.
pipeline='seq 1 200000 | sed "s/1/one/g; s/7/seven/" | sort | cksum; seq 1 50000 | sort -rn | head -n 3'
run pipe.plain plain /bin/sh -c "$pipeline"
run pipe plain LD_DEBUG=bindings LD_DEBUG_OUTPUT="$TMP/pipe.ld" "$BR" /bin/sh -c "$pipeline"
same pipe.plain pipe
echo "ok: pipe: $(wc -l <"$TMP/pipe.out") lines identical with and without bonbon-run"
require_bonbon args printf
require_bonbon pipe sort sed
