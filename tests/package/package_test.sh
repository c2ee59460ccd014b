#!/bin/sh
# package_test.sh SRC BUILD CC: install bonbon from BUILD into a temporary
# prefix, then build and run a consumer with find_package(bonbon) (shared
# and static) and with pkg-config, and run bonbon-run from the prefix.
set -eu
src=$1 build=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/tests/package" -B "$tmp/cm" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/cm/consumer"
"$tmp/cm/consumer_static"
pc="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
"$cc" -o "$tmp/pc_consumer" "$src/tests/package/consumer.c" \
  $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs bonbon)
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/pc_consumer"
out=$("$tmp/prefix/bin/bonbon-run" sh -c 'grep -c libbonbon /proc/$$/maps')
[ "$out" -gt 0 ] || { echo "bonbon-run did not load libbonbon.so" >&2; exit 1; }
echo "package: find_package (shared, static), pkg-config and bonbon-run work"
