#!/bin/sh
# preload_python3: Debian's CPython (/usr/bin/python3, not a PATH shim) runs
# workload.py, which builds and sorts big lists and dicts of strings and
# tuples, round-trips JSON and joins strings, printing counts and a digest.
# PYTHONMALLOC=malloc makes CPython take every object from malloc instead of
# its own small-object pool, so bonbon serves all of it. The output must be
# identical with and without LD_PRELOAD=libbonbon.so, both runs must exit 0,
# and the preloaded python binary and libc must have bound malloc and free
# to libbonbon.
. "$(dirname "$0")/common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || fail "$PY not found (apt-get install python3)"

compare python3 PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 \
  "$PY" -s "$HERE/workload.py"
require_bonbon python3 "$PY"
