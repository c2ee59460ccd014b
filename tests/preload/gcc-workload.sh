#!/bin/sh
# gcc-workload.sh SRCDIR: compile every C file in SRCDIR (bonbon's own
# allocator sources) and one generated C file of a hundred functions
# with gcc -O2 -S to stdout, printing the generated assembly. The driver,
# cc1 (where the allocation happens) and the generator run as children of
# this script, so they all inherit the caller's LD_PRELOAD.
set -eu
src=$1
CFLAGS="-O2 -g -std=c11 -D_GNU_SOURCE -fno-strict-aliasing -ftls-model=initial-exec"

for f in "$src"/*.c; do
  echo "==== $(basename "$f")"
  gcc $CFLAGS -I"$src" -I"$src/include" -S -o - "$f"
done

# A generated translation unit: a hundred functions with loops, switches and
# structs give the optimiser (and its allocations) plenty to do.
echo "==== generated.c"
awk 'BEGIN {
  print "struct s { int a, b; double d; char name[16]; };"
  for (i = 0; i < 100; i++) {
    printf "int f%d(struct s *v, int n) {\n  int acc = %d;\n", i, i
    print  "  for (int k = 0; k < n; k++) {"
    printf "    switch ((v[k].a + k) %% %d) {\n", 3 + i % 7
    for (c = 0; c < 3 + i % 7; c++)
      printf "    case %d: acc += v[k].b * %d - (int)(v[k].d * %d.5); v[k].name[%d] ^= acc; break;\n", c, c + i, c, c % 16
    print  "    }\n  }"
    if (i > 0) printf "  return acc + (n > 1 ? f%d(v + 1, n - 1) : 0);\n}\n", i - 1
    else print "  return acc;\n}"
  }
}' | gcc -O2 -x c -S -o - -
