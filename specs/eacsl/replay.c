/* replay.c: the E-ACSL build's main.
 *
 *   eacsl_replay [OPS [SEEDS]]        the core's randomized test
 *   eacsl_replay fuzz_ops PATH...     the fuzz_ops corpus (fuzz_main.c)
 *   eacsl_replay fuzz_attack PATH...  the fuzz_attack corpus (fuzz_main.c)
 *
 * The randomized test (tests/stress/random_ops.c) runs on a heap whose
 * memory is the static array of source.c. The test is included as it is;
 * only bb_heap_create is redirected to give the heap that source, and
 * main renamed. The fuzz targets are not instrumented: they are linked
 * in plainly (build.sh), with their memory source's zone in the same
 * array. main is here, instrumented, because E-ACSL sets up its memory
 * model in the instrumented main. Every call into the instrumented core
 * (bins.c, chunk.c, arena.c and the inline functions they use) checks its
 * contract; a violation aborts with E-ACSL's report. */
#include <bonbon.h>
#include <stdlib.h>

/* E-ACSL has no memory model for strtoul: calling it makes every later
 * verdict "not sound" (a warning instead of an abort). The test parses
 * its two decimal arguments with this instead. */
static unsigned long eacsl_strtoul(const char *s, char **end, int base) {
  unsigned long v = 0;
  (void)base;
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (unsigned long)(*s++ - '0');
  if (end)
    *end = (char *)s;
  return v;
}
#define strtoul eacsl_strtoul

const bb_source *eacsl_source(void);

static bb_heap *eacsl_heap_create(const bb_heap_config *cfg) {
  bb_heap_config c = *cfg;
  c.source = eacsl_source();
  return bb_heap_create(&c);
}

#define bb_heap_create eacsl_heap_create
#define main random_ops_main
#include "../../tests/stress/random_ops.c"
#undef main

int eacsl_fuzz_ops(int argc, char **argv);    /* fuzz_main.c */
int eacsl_fuzz_attack(int argc, char **argv); /* fuzz_main.c */

/* strcmp, without a libc call E-ACSL has no model for (see strtoul). */
static int same(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

void eacsl_rtl_setup(void); /* rtl.c */

int main(int argc, char **argv) {
  eacsl_rtl_setup();
  if (argc > 1 && same(argv[1], "fuzz_ops"))
    return eacsl_fuzz_ops(argc - 1, argv + 1);
  if (argc > 1 && same(argv[1], "fuzz_attack"))
    return eacsl_fuzz_attack(argc - 1, argv + 1);
  return random_ops_main(argc, argv);
}
