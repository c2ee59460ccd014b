/* replay.c: the core's randomized test (tests/stress/random_ops.c), on a
 * heap whose memory is the static array of source.c, for the E-ACSL
 * build. The test is included as it is; only bb_heap_create is redirected
 * to give the heap that source. Every call into the instrumented core
 * (bins.c, chunk.c, arena.c and the inline functions they use) checks its
 * contract; a violation aborts with E-ACSL's report. */
#include <bonbon.h>

const bb_source *eacsl_source(void);

static bb_heap *eacsl_heap_create(const bb_heap_config *cfg) {
  bb_heap_config c = *cfg;
  c.source = eacsl_source();
  return bb_heap_create(&c);
}

#define bb_heap_create eacsl_heap_create
#include "../../tests/stress/random_ops.c"
