#!/bin/sh
# preload_gcc: Debian's gcc runs gcc-workload.sh: it compiles bonbon's own
# allocator sources and a generated file of a hundred functions with -O2
# -g -S to stdout. The generated assembly must be identical with and
# without LD_PRELOAD=libbonbon.so, every compiler process must exit 0, and
# both the gcc driver and cc1, the compiler proper, must have bound malloc
# and free to libbonbon.
. "$(dirname "$0")/common.sh"

command -v gcc >/dev/null || fail "gcc not found (apt-get install gcc)"
SRC=$(cd "$HERE/../../allocator" && pwd)

compare gcc /bin/sh "$HERE/gcc-workload.sh" "$SRC"
require_bonbon gcc gcc /cc1
