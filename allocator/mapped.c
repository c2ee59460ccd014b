/* mapped.c: chunks with their own mapping, and the out-of-band table of
 * records that is the only authority on where such a chunk's mapping
 * starts and ends. A forged header can never make free() unmap memory
 * that is not the chunk's own: the header is only checked against the
 * record, never used to compute what to unmap.
 *
 *   base                  mem = base + off              base + len
 *   | (unused) |H| user data (req bytes) | canary ... | guard page |
 *
 * The guard page after every mapped chunk turns an overflow past the
 * mapping into a fault; the canary covers the bytes before it.
 * The table is open addressing with linear probing, keyed by the user
 * pointer, under heap->map_lock. */
#include <string.h>

#include "internal.h"

#define EMPTY ((uintptr_t)0)

static size_t slot_of(const struct bb_heap *h, uintptr_t mem) {
  return (size_t)(((uint64_t)mem * 0x9e3779b97f4a7c15ull) >> 20) %
         h->mcap;
}

static struct bb_mrec *find(struct bb_heap *h, uintptr_t mem) {
  if (!h->mcap)
    return NULL;
  for (size_t i = slot_of(h, mem);; i = (i + 1) % h->mcap) {
    if (h->mtab[i].mem == mem)
      return &h->mtab[i];
    if (h->mtab[i].mem == EMPTY)
      return NULL;
  }
}

static int grow_table(struct bb_heap *h) {
  size_t cap = h->mcap ? h->mcap * 2 : 256;
  struct bb_mrec *t = bb_guarded_map(h, cap * sizeof(struct bb_mrec));
  struct bb_mrec *old = h->mtab;
  if (!t)
    return -1;
  size_t ocap = h->mcap;
  h->mtab = t;
  h->mcap = cap;
  for (size_t i = 0; i < ocap; i++) {
    if (old[i].mem == EMPTY)
      continue;
    size_t j = slot_of(h, old[i].mem);
    while (t[j].mem != EMPTY)
      j = (j + 1) % cap;
    t[j] = old[i];
  }
  if (old)
    bb_guarded_unmap(h, old, ocap * sizeof(struct bb_mrec));
  return 0;
}

static int insert(struct bb_heap *h, const struct bb_mrec *r) {
  if ((h->mcount + 1) * 2 > h->mcap && grow_table(h) != 0)
    return -1;
  size_t i = slot_of(h, r->mem);
  while (h->mtab[i].mem != EMPTY)
    i = (i + 1) % h->mcap;
  h->mtab[i] = *r;
  h->mcount++;
  h->mbytes += r->len;
  if (h->mcount > h->mmax_count)
    h->mmax_count = h->mcount;
  if (h->mbytes > h->mmax_bytes)
    h->mmax_bytes = h->mbytes;
  return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void erase(struct bb_heap *h, struct bb_mrec *r) {
  size_t i = (size_t)(r - h->mtab);
  h->mcount--;
  h->mbytes -= r->len;
  for (size_t j = (i + 1) % h->mcap;; j = (j + 1) % h->mcap) {
    if (h->mtab[j].mem == EMPTY)
      break;
    size_t home = slot_of(h, h->mtab[j].mem);
    /* Move j into the hole at i when its home is not in (i, j]. */
    if ((j > i && (home <= i || home > j)) ||
        (j < i && (home <= i && home > j))) {
      h->mtab[i] = h->mtab[j];
      i = j;
    }
  }
  h->mtab[i].mem = EMPTY;
}

static size_t guard(const struct bb_heap *h) {
  return h->ro->src.protect ? h->ro->page : 0;
}

static const struct bb_keys *keys(const struct bb_heap *h) {
  return &h->ro->keys;
}

static void canary_fill(struct bb_heap *h, const struct bb_mrec *r) {
  if (h->ro->opt.canary)
    bb_canary_fill(keys(h), bb_mem2chunk((void *)r->mem), r->req,
                   r->base + r->len - r->mem);
}

static void canary_check(struct bb_heap *h, const struct bb_mrec *r) {
  if (h->ro->opt.canary &&
      !bb_canary_ok(keys(h), bb_mem2chunk((void *)r->mem), r->req,
                    r->base + r->len - r->mem))
    bb_fatal("heap overflow", (void *)r->mem);
}

/* Mapping layout for n bytes aligned to `align`: offset and length. */
static int layout(const struct bb_heap *h, size_t n, size_t align,
                  size_t *off, size_t *len) {
  size_t o = align > BB_ALIGN ? align : BB_ALIGN;
  size_t extra = align > h->ro->page ? align : 0;
  /* o + n + extra + a page must not pass PTRDIFF_MAX (and not wrap):
   * anything smaller is the memory source's to refuse. */
  size_t over;
  if (__builtin_add_overflow(o, extra, &over) ||
      __builtin_add_overflow(over, h->ro->page, &over) ||
      over > PTRDIFF_MAX || n > PTRDIFF_MAX - over)
    return -1;
  *off = o;
  *len = bb_round_page(h, o + n + extra);
  return 0;
}

void *bb_mapped_alloc(struct bb_heap *h, size_t n, size_t align) {
  size_t off, len, g = guard(h);
  if (layout(h, n, align, &off, &len) != 0)
    return NULL;
  const bb_source *src = &h->ro->src;
  char *base = src->map(src->ctx, len + g);
  if (!base)
    return NULL;
  if (g && src->protect(src->ctx, base + len, g, 0) != 0) {
    src->unmap(src->ctx, base, len + g);
    return NULL;
  }
  if (align > h->ro->page)
    off = (size_t)(((uintptr_t)base + off + align - 1) / align * align -
                   (uintptr_t)base);
  uintptr_t mem = (uintptr_t)base + off;
  struct bb_mrec r = {mem, (uintptr_t)base, len, n};
  bb_lock(&h->map_lock);
  int ok = insert(h, &r) == 0;
  if (ok)
    bb_set_head(&h->ro->keys, bb_mem2chunk((void *)mem), BB_ST_MAPPED, 0, 0);
  bb_unlock(&h->map_lock);
  if (!ok) {
    src->unmap(src->ctx, base, len + g);
    return NULL;
  }
  canary_fill(h, &r);
  return (void *)mem;
}

/* The record of mapped chunk p with its header checked, or NULL when p is
 * not a mapped chunk of this heap. map_lock held. */
static struct bb_mrec *checked(struct bb_heap *h, const void *p) {
  struct bb_mrec *r = find(h, (uintptr_t)p);
  if (!r)
    return NULL;
  size_t c = bb_mem2chunk(p), hd = BB_W(c);
  if (!bb_h_ok(&h->ro->keys, c, hd))
    bb_fatal("corrupted chunk header", p);
  if (bb_h_state(hd) != BB_ST_MAPPED || bb_h_size(hd) != 0)
    bb_fatal("corrupted mapped chunk", p);
  return r;
}

int bb_mapped_owns(struct bb_heap *h, const void *p) {
  bb_lock(&h->map_lock);
  int found = find(h, (uintptr_t)p) != NULL;
  bb_unlock(&h->map_lock);
  return found;
}

/* Free mapped chunk p whose requested size must be `want` (SIZE_MAX: not
 * checked); returns 0, or -1 when p is not one of ours. */
int bb_mapped_free(struct bb_heap *h, void *p, size_t want) {
  bb_lock(&h->map_lock);
  struct bb_mrec *r = checked(h, p);
  if (!r) {
    bb_unlock(&h->map_lock);
    return -1;
  }
  if (want != SIZE_MAX && want != r->req)
    bb_fatal("sized free mismatch", p);
  canary_check(h, r);
  struct bb_mrec rec = *r;
  erase(h, r);
  bb_unlock(&h->map_lock);
  /* glibc's dynamic threshold: blocks of this size come from the heap
   * from now on, instead of a mapping per allocation. */
  size_t size = rec.len - (rec.mem - rec.base);
  if (size > __atomic_load_n(&h->mmap_threshold, __ATOMIC_RELAXED) &&
      size <= BB_MMAP_THRESHOLD_MAX) {
    __atomic_store_n(&h->mmap_threshold, size, __ATOMIC_RELAXED);
    __atomic_store_n(&h->trim_threshold, 2 * size, __ATOMIC_RELAXED);
  }
  h->ro->src.unmap(h->ro->src.ctx, (void *)rec.base, rec.len + guard(h));
  return 0;
}

/* Usable size of mapped chunk p (the request, when canaries hold the
 * rest), or (size_t)-1 when p is not ours. */
size_t bb_mapped_usable(struct bb_heap *h, const void *p) {
  bb_lock(&h->map_lock);
  struct bb_mrec *r = checked(h, p);
  size_t u = !r ? (size_t)-1
             : h->ro->opt.canary ? r->req
                                 : r->len - (r->mem - r->base);
  bb_unlock(&h->map_lock);
  return u;
}

/* Resize mapped chunk p to n bytes, moving it if needed. Returns the new
 * pointer, NULL when the mapping cannot be resized (p intact: the caller
 * moves the block itself), or BB_NOT_MAPPED when p is not ours. The guard
 * page is opened for the remap, so that the mapping is one region, and
 * set again at the new end. */
void *bb_mapped_realloc(struct bb_heap *h, void *p, size_t n) {
  bb_lock(&h->map_lock);
  struct bb_mrec *r = checked(h, p);
  if (!r) {
    bb_unlock(&h->map_lock);
    return BB_NOT_MAPPED;
  }
  canary_check(h, r);
  const bb_source *src = &h->ro->src;
  size_t off = r->mem - r->base, g = guard(h);
  if (n > PTRDIFF_MAX - off - 2 * h->ro->page) {
    bb_unlock(&h->map_lock);
    return NULL;
  }
  size_t len = bb_round_page(h, off + n);
  if (len == r->len) {
    r->req = n;
    canary_fill(h, r);
    bb_unlock(&h->map_lock);
    return p;
  }
  struct bb_mrec rec = *r;
  char *nb = NULL;
  if (!g || src->protect(src->ctx, (void *)(rec.base + rec.len), g, 2) == 0) {
    nb = src->remap(src->ctx, (void *)rec.base, rec.len + g, len + g);
    if (nb && g && src->protect(src->ctx, nb + len, g, 0) != 0)
      bb_fatal("cannot protect a guard page", nb + len);
    if (!nb && g)
      src->protect(src->ctx, (void *)(rec.base + rec.len), g, 0);
  }
  if (!nb) {
    bb_unlock(&h->map_lock);
    return NULL;
  }
  erase(h, r);
  rec.base = (uintptr_t)nb;
  rec.mem = rec.base + off;
  rec.len = len;
  rec.req = n;
  insert(h, &rec); /* cannot fail: one record out, one in */
  bb_set_head(&h->ro->keys, bb_mem2chunk((void *)rec.mem), BB_ST_MAPPED, 0, 0);
  canary_fill(h, &rec);
  bb_unlock(&h->map_lock);
  return (void *)rec.mem;
}

void bb_mapped_release_all(struct bb_heap *h) {
  for (size_t i = 0; i < h->mcap; i++)
    if (h->mtab[i].mem != EMPTY)
      h->ro->src.unmap(h->ro->src.ctx, (void *)h->mtab[i].base,
                       h->mtab[i].len + guard(h));
  if (h->mtab)
    bb_guarded_unmap(h, h->mtab, h->mcap * sizeof(struct bb_mrec));
  h->mtab = NULL;
  h->mcap = h->mcount = h->mbytes = 0;
}

/* Nonzero when [p, p+len) lies in one mapped chunk's usable area. */
int bb_mapped_contains(struct bb_heap *h, uintptr_t p, size_t len) {
  int in = 0;
  bb_lock(&h->map_lock);
  for (size_t i = 0; i < h->mcap && !in; i++) {
    const struct bb_mrec *r = &h->mtab[i];
    if (r->mem != EMPTY && p >= r->mem && p - r->mem <= r->base + r->len - r->mem &&
        len <= r->base + r->len - p)
      in = 1;
  }
  bb_unlock(&h->map_lock);
  return in;
}
