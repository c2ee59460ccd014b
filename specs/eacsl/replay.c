/* replay.c: the core's randomized test (tests/stress/random_ops.c), on a
 * heap whose memory is the static array of source.c, for the E-ACSL
 * build. The test is included as it is; only bb_heap_create is redirected
 * to give the heap that source. Every call into the instrumented core
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
#include "../../tests/stress/random_ops.c"
