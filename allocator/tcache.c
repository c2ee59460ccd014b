/* tcache.c: the per-thread cache, off its hot path. The hot path itself
 * (bb_tc_get, bb_tc_put in internal.h) takes no lock and makes no system
 * call: it pops or pushes one chunk on a singly linked list that only the
 * owning thread touches. Invariant: INV-TCACHE-LIST. */
#include "internal.h"

/* Give every cached chunk back to its arena (thread exit, heap settle).
 * Chunks are validated as they are popped, exactly as a malloc would. */
void bb_tcache_flush(struct bb_tctx *t) {
  struct bb_arena *locked = NULL;
  for (size_t cls = 0; cls < BB_TCACHE_CLASSES; cls++) {
    while (t->count[cls] > 0) {
      size_t size = (cls + 2) * 16;
      size_t c = bb_tc_get(t, cls, size - BB_WORD);
      struct bb_segment *s = bb_segment_of(t->heap, (uintptr_t)c * 8u);
      if (s->arena != locked) {
        if (locked)
          bb_unlock(&locked->lock);
        locked = s->arena;
        bb_lock(&locked->lock);
      }
      bb_arena_free(locked, s, c, size);
    }
  }
  if (locked)
    bb_unlock(&locked->lock);
}
