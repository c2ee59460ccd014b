/* tcache.c: the per-thread cache, off its hot path, and bb_release, the
 * one place a freed chunk goes to the cache or to its arena. The hot path
 * (bb_tc_get, bb_tc_put in internal.h) takes no lock and makes no system
 * call: it pops or pushes one chunk on a singly linked list that only the
 * owning thread touches. Invariant: INV-TCACHE-LIST. */
#include "internal.h"

/* Chunk c (validated, and zeroed if it is within zero_max) was freed, or
 * left the quarantine: cache it, or give it to its arena. */
void bb_release(struct bb_tctx *t, size_t c, size_t size) {
  size_t cls = bb_tc_class(size);
  if (size <= BB_TCACHE_MAX_SIZE && t->count[cls] < t->limit) {
    bb_tc_put(t, c, size, cls);
    return;
  }
  struct bb_segment *s = bb_segment_of(t->heap, (uintptr_t)c * 8u);
  struct bb_arena *a = s->arena;
  bb_lock(&a->lock);
  bb_arena_free(a, s, c, size, size <= t->heap->ro->zero_max);
  bb_unlock(&a->lock);
}

/* Give every cached and quarantined chunk back to its arena (thread
 * exit, heap settle). Cached chunks are validated as they are popped,
 * exactly as a malloc would check them. */
void bb_tcache_flush(struct bb_tctx *t) {
  uint16_t limit = t->limit;
  t->limit = 0; /* what the quarantine releases goes to the arenas */
  bb_quarantine_flush(t);
  struct bb_arena *locked = NULL;
  size_t zero_max = t->heap->ro->zero_max;
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
      bb_arena_free(locked, s, c, size, size <= zero_max);
    }
  }
  if (locked)
    bb_unlock(&locked->lock);
  t->limit = limit;
}
