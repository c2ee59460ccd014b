#!/bin/sh
# preload_cxx: C++ programs run unchanged on bonbon. workload.cpp (C++17:
# new/delete including arrays and over-aligned types, vector, map,
# unordered_map, set, list, deque, string, shared_ptr/weak_ptr, exceptions
# thrown and caught, threads) is compiled twice: once plainly and once with
# g++ itself (driver and cc1plus) running under LD_PRELOAD=libbonbon.so;
# both compiles must succeed with the same diagnostics. The plainly built
# program must print the same with and without the preload (and libstdc++'s
# operator new must have used bonbon's malloc), and the program g++ built
# under the preload must behave exactly like the plainly built one.
. "$(dirname "$0")/common.sh"

command -v g++ >/dev/null || fail "g++ not found (apt-get install g++)"
CXXFLAGS="-std=c++17 -O2 -Wall -Wextra -pthread"

# g++ under bonbon.
run cxx_build.plain plain g++ $CXXFLAGS "$HERE/workload.cpp" -o "$TMP/prog-plain"
run cxx_build bonbon g++ $CXXFLAGS "$HERE/workload.cpp" -o "$TMP/prog-bonbon"
same cxx_build.plain cxx_build
require_bonbon cxx_build g++ /cc1plus

# The program under bonbon.
compare cxx "$TMP/prog-plain"
require_bonbon cxx libstdc++.so.6 prog-plain

# The program built by g++ under bonbon, run plainly, behaves the same.
run cxx_built_by_bonbon plain "$TMP/prog-bonbon"
same cxx.plain cxx_built_by_bonbon
echo "ok: cxx: the program g++ built under bonbon prints the same as the plainly built one"
