/* harden.c: the protections the security ladder adds on top of the
 * validated metadata (internal.h, "The security ladder"):
 *
 *   canary        the slack bytes between a block's requested size and the
 *                 end of its chunk hold a keyed word whose bytes are all odd
 *                 (never zero: a NUL-byte overflow must change one); when
 *                 there is no slack, the next chunk's header plays that
 *                 role. Both are checked at free and realloc: "heap
 *                 overflow". (internal.h: bb_canary_fill, bb_canary_ok.)
 *   zero-on-free  freed chunks up to zero_max are zeroed; when the chunk
 *                 is handed out again, every word the allocator does not
 *                 use must still be zero: "write after free". Chunks
 *                 merged away leave their DEAD header inside the merged
 *                 chunk, a tombstone the check accepts because it is
 *                 authentic (a written value could not be).
 *   quarantine    freed chunks wait in a per-thread FIFO, bounded in
 *                 bytes, in state QUARANTINE, before they can be reused.
 */
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------ canary */

/* In-use chunk c (header hd) is being freed or reallocated: its slack, or
 * with no slack the next chunk's header, must be intact. */
void bb_canary_check(const struct bb_keys *k, size_t c, size_t hd) {
  size_t size = bb_h_size(hd), slack = bb_h_slack(hd);
  void *mem = bb_chunk2mem(c);
  if (slack) {
    if (!bb_canary_ok(k, c, size - BB_WORD - slack, size - BB_WORD))
      bb_fatal("heap overflow", mem);
    return;
  }
  size_t n = c + size / 8;
  if (!bb_h_ok(k, n, bb_peek(n)))
    bb_fatal("heap overflow", mem);
}

/* ------------------------------------------------------ zero-on-free */

/* Words [from, to) must be zero or tombstones; the caller found a nonzero
 * word and asks for the verdict. */
void bb_zero_check_slow(const struct bb_keys *k, size_t c, size_t from,
                        size_t to) {
  for (size_t i = from; i < to; i++) {
    size_t x = BB_W(i);
    if (x != 0 && !(bb_h_ok(k, i, x) && bb_h_state(x) == BB_ST_DEAD))
      bb_fatal("write after free", bb_chunk2mem(c));
  }
}

/* --------------------------------------------------------- quarantine */

/* The ring of context t, created on first use (NULL: no memory for it,
 * the chunk is then released at once). */
static size_t *ring(struct bb_tctx *t, size_t quarantine) {
  if (t->q)
    return t->q;
  struct bb_heap *h = t->heap;
  size_t cap = quarantine / BB_MINSIZE;
  if (cap > 65536)
    cap = 65536;
  if (cap == 0)
    return NULL;
  bb_lock(&h->meta_lock);
  t->q = bb_meta_alloc(h, cap * sizeof *t->q);
  bb_unlock(&h->meta_lock);
  t->qcap = t->q ? (uint32_t)cap : 0;
  return t->q;
}

/* Take the oldest chunk out of quarantine and return its size; its
 * header must still say QUARANTINE and its words still be zero. */
static size_t evict(struct bb_tctx *t, size_t *c) {
  const struct bb_sealed *ro = t->heap->ro;
  *c = t->q[t->qhead];
  t->qhead = (t->qhead + 1) % t->qcap;
  t->qcount--;
  size_t hd = bb_check_head(&ro->keys, *c, BB_ST_QUARANTINE,
                            "corrupted quarantine");
  size_t size = bb_h_size(hd);
  t->qbytes -= size;
  if (size <= ro->zero_max)
    bb_zero_check(&ro->keys, *c, *c + 1, *c + size / 8);
  return size;
}

void bb_quarantine_put(struct bb_tctx *t, size_t c, size_t size) {
  const struct bb_sealed *ro = t->heap->ro;
  if (!ring(t, ro->quarantine)) {
    bb_release(t, c, size);
    return;
  }
  bb_set_head(&ro->keys, c, BB_ST_QUARANTINE, size, 0);
  uint32_t tail = (t->qhead + t->qcount) % t->qcap;
  t->q[tail] = c;
  t->qcount++;
  t->qbytes += size;
  while (t->qbytes > ro->quarantine || t->qcount == t->qcap) {
    size_t old, osize = evict(t, &old);
    bb_release(t, old, osize);
  }
}

void bb_quarantine_flush(struct bb_tctx *t) {
  while (t->qcount) {
    size_t old, osize = evict(t, &old);
    bb_release(t, old, osize);
  }
}
