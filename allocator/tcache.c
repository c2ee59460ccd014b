/* tcache.c: the per-thread cache, off its hot path, and bb_release, the
 * one place a freed chunk goes to the cache or to its arena. The hot path
 * (bb_tc_get, bb_tc_put in internal.h) takes no lock and makes no system
 * call: it pops or pushes one chunk on a singly linked list that only the
 * owning thread touches. Invariant: INV-TCACHE-LIST. */
#include "internal.h"

/* Move up to n chunks of class cls from the cache to their arenas, with
 * one lock per run of chunks of the same arena. They go back as zeroed:
 * the arena checks them for writes after free when it hands them out. */
static void drain(struct bb_tctx *t, size_t cls, size_t n) {
  struct bb_arena *locked = NULL;
  size_t size = (cls + 2) * 16;
  int zeroed = size <= t->heap->ro->zero_max;
  for (; n > 0 && t->count[cls] > 0; n--) {
    size_t c = bb_tc_pop(t, cls);
    struct bb_segment *s = bb_segment_of(t->heap, (uintptr_t)c * 8u);
    if (s->arena != locked) {
      if (locked)
        bb_unlock(&locked->lock);
      locked = s->arena;
      bb_lock(&locked->lock);
    }
    bb_arena_free(locked, s, c, size, zeroed);
  }
  if (locked)
    bb_unlock(&locked->lock);
}

/* Chunk c (validated, and zeroed if it is within zero_max) was freed, or
 * left the quarantine: cache it, or give it to its arena. A full cache
 * class gives half its chunks back in one batch first, so that a thread
 * that only frees (another thread's blocks, say) takes a lock once per
 * limit/2 frees, not once per free. */
void bb_release(struct bb_tctx *t, size_t c, size_t size) {
  size_t cls = bb_tc_class(size);
  if (size <= BB_TCACHE_MAX_SIZE && t->limit) {
    if (t->count[cls] >= t->limit)
      drain(t, cls, t->limit / 2u);
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
 * exit, heap settle). */
void bb_tcache_flush(struct bb_tctx *t) {
  uint16_t limit = t->limit;
  t->limit = 0; /* what the quarantine releases goes to the arenas */
  bb_quarantine_flush(t);
  for (size_t cls = 0; cls < BB_TCACHE_CLASSES; cls++)
    drain(t, cls, t->count[cls]);
  t->limit = limit;
}
