/* segment.c: heap segments and the registry that maps an address to its
 * segment.
 *
 * A segment is one reservation of 2^BB_SEG_SHIFT bytes, aligned to its
 * size, that chunks tile:
 *
 *   base                                                      base + len
 *   | guard | pad | first ... chunks ... top |F| reserved ...... | guard |
 *           ^ 8 bytes, so that first is odd    ^ fence = end    ^ limit
 *
 * The first and last pages are never committed. The part in use (up to
 * the fence) grows and shrinks at the top; past the committed part,
 * everything stays inaccessible.
 *
 * The registry is a two-level radix table over granules (address >>
 * BB_SEG_SHIFT). It lives in heap metadata, so the question "is this
 * pointer ours?" never reads memory the pointer designates. Readers take
 * no lock (acquire loads); writers hold the heap lock. */
#include "internal.h"

/* meta_lock held. */
static int reg_set(struct bb_heap *h, uintptr_t base,
                   struct bb_segment *s) {
  uintptr_t g = base >> BB_SEG_SHIFT;
  if (g >> BB_GRANULE_BITS)
    return -1;
  struct bb_segment **leaf = h->reg[g >> BB_REG_L2_BITS];
  if (!leaf) {
    if (!s)
      return 0;
    leaf = bb_meta_alloc(h, BB_REG_L2_SIZE * sizeof *leaf);
    if (!leaf)
      return -1;
    __atomic_store_n(&h->reg[g >> BB_REG_L2_BITS], leaf, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&leaf[g % BB_REG_L2_SIZE], s, __ATOMIC_RELEASE);
  return 0;
}

static void set_fence(struct bb_arena *a, struct bb_segment *s) {
  size_t end = (size_t)((s->base + s->used) / 8u) - 1u;
  bb_set_head(a->k, end, BB_ST_FENCE, 0, 0);
  __atomic_store_n(&s->end, end, __ATOMIC_RELAXED);
}

/* A new segment whose single chunk (a TOP header at s->first, not yet
 * linked as the arena's top) has at least `need` bytes. Arena lock held. */
struct bb_segment *bb_segment_new(struct bb_arena *a, size_t need) {
  struct bb_heap *h = a->heap;
  size_t len = (size_t)1 << BB_SEG_SHIFT;
  if (need > len - 3 * h->ro->page)
    return NULL;
  size_t commit = bb_round_page(h, need + BB_TOP_PAD + 2 * BB_WORD);
  if (commit > len - 2 * h->ro->page)
    commit = len - 2 * h->ro->page;
  char *base = h->ro->src.reserve(h->ro->src.ctx, len, len);
  if (!base)
    return NULL;
  if (h->ro->src.commit(h->ro->src.ctx, base + h->ro->page, commit) != 0) {
    h->ro->src.release(h->ro->src.ctx, base, len);
    return NULL;
  }
  bb_lock(&h->meta_lock);
  struct bb_segment *s = h->free_segs;
  if (s)
    h->free_segs = s->next;
  else
    s = bb_meta_alloc(h, sizeof *s);
  if (!s || reg_set(h, (uintptr_t)base, s) != 0) {
    if (s) {
      s->next = h->free_segs;
      h->free_segs = s;
    }
    bb_unlock(&h->meta_lock);
    h->ro->src.release(h->ro->src.ctx, base, len);
    return NULL;
  }
  s->base = (uintptr_t)base;
  s->len = len;
  s->first = (size_t)(((uintptr_t)base + h->ro->page) / 8u) + 1u;
  s->committed = h->ro->page + commit;
  s->used = s->committed;
  s->limit = (size_t)(((uintptr_t)base + len - h->ro->page) / 8u) - 1u;
  s->arena = a;
  bb_unlock(&h->meta_lock);
  set_fence(a, s);
  bb_set_head(a->k, s->first, BB_ST_TOP, (s->end - s->first) * 8u, 0);
  s->next = a->segs;
  a->segs = s;
  a->nsegs++;
  a->system += commit;
  return s;
}

/* Commit `bytes` (a page multiple) more at the top of s and move the
 * fence. The caller rewrites the header of the chunk before the fence. */
/* Move the fence `bytes` (a page multiple) up. Pages below `committed`
 * are still mapped (a shrink only purged them): no system call for them. */
int bb_segment_grow(struct bb_arena *a, struct bb_segment *s, size_t bytes) {
  struct bb_heap *h = a->heap;
  if (bytes / 8 > s->limit - s->end)
    return -1;
  size_t used = s->used + bytes;
  if (used > s->committed) {
    const bb_source *src = &h->ro->src;
    if (src->commit(src->ctx, (void *)(s->base + s->committed),
                    used - s->committed) != 0)
      return -1;
    s->committed = used;
  }
  s->used = used;
  a->system += bytes;
  set_fence(a, s);
  return 0;
}

/* Decommit whole pages past index `keep_end` (the first index that must
 * stay committed, plus the fence word). Returns the bytes released. */
/* Move the fence down to the page after index keep_end and give the
 * pages above it back to the OS. Like glibc's non-main heaps, they are
 * purged but stay mapped, so that the top grows back without a system
 * call; only a source without `purge` decommits them. */
size_t bb_segment_shrink(struct bb_arena *a, struct bb_segment *s,
                         size_t keep_end) {
  const bb_source *src = &a->heap->ro->src;
  size_t need = bb_round_page(a->heap, (keep_end + 1) * 8u - s->base);
  if (need >= s->used)
    return 0;
  size_t give = s->used - need;
  void *from = (void *)(s->base + need);
  if (src->purge ? src->purge(src->ctx, from, give) != 0
                 : src->decommit(src->ctx, from, give) != 0)
    return 0;
  if (!src->purge)
    s->committed = need;
  s->used = need;
  a->system -= give;
  set_fence(a, s);
  return give;
}

/* Forget and return a segment whose chunks the caller has already taken
 * out of every bin. Arena lock held. */
void bb_segment_release(struct bb_arena *a, struct bb_segment *s) {
  struct bb_heap *h = a->heap;
  struct bb_segment **pp = &a->segs;
  while (*pp != s)
    pp = &(*pp)->next;
  *pp = s->next;
  a->nsegs--;
  a->system -= s->used - h->ro->page;
  uintptr_t base = s->base;
  size_t len = s->len;
  bb_lock(&h->meta_lock);
  reg_set(h, base, NULL);
  s->next = h->free_segs;
  h->free_segs = s;
  bb_unlock(&h->meta_lock);
  h->ro->src.release(h->ro->src.ctx, (void *)base, len);
}
