/* mapped.c: chunks with their own mapping, and the out-of-band table of
 * records that is the only authority on where such a chunk's mapping
 * starts and ends. A forged header can never make free() unmap memory
 * that is not the chunk's own: the header is only checked against the
 * record, never used to compute what to unmap.
 *
 *   base                     mem = base + off               base + len
 *   | (unused, off - 8 bytes) |H| user data ...                |
 *
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
  size_t len = bb_round_page(h, cap * sizeof(struct bb_mrec));
  struct bb_mrec *t = h->src.map(h->src.ctx, len), *old = h->mtab;
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
    h->src.unmap(h->src.ctx, old,
                 bb_round_page(h, ocap * sizeof(struct bb_mrec)));
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

/* Mapping layout for n bytes aligned to `align`: offset and length. */
static int layout(const struct bb_heap *h, size_t n, size_t align,
                  size_t *off, size_t *len) {
  size_t o = align > BB_ALIGN ? align : BB_ALIGN;
  size_t extra = align > h->page ? align : 0;
  if (n > PTRDIFF_MAX - o - extra - h->page)
    return -1;
  *off = o;
  *len = bb_round_page(h, o + n + extra);
  return 0;
}

void *bb_mapped_alloc(struct bb_heap *h, size_t n, size_t align) {
  size_t off, len;
  if (layout(h, n, align, &off, &len) != 0)
    return NULL;
  char *base = h->src.map(h->src.ctx, len);
  if (!base)
    return NULL;
  if (align > h->page)
    off = (size_t)(((uintptr_t)base + off + align - 1) / align * align -
                   (uintptr_t)base);
  uintptr_t mem = (uintptr_t)base + off;
  struct bb_mrec r = {mem, (uintptr_t)base, len, n};
  bb_lock(&h->map_lock);
  int ok = insert(h, &r) == 0;
  if (ok)
    bb_set_head(&h->keys, bb_mem2chunk((void *)mem), BB_ST_MAPPED, 0, 0);
  bb_unlock(&h->map_lock);
  if (!ok) {
    h->src.unmap(h->src.ctx, base, len);
    return NULL;
  }
  return (void *)mem;
}

/* The record of mapped chunk p with its header checked, or NULL when p is
 * not a mapped chunk of this heap. map_lock held. */
static struct bb_mrec *checked(struct bb_heap *h, const void *p) {
  struct bb_mrec *r = find(h, (uintptr_t)p);
  if (!r)
    return NULL;
  size_t c = bb_mem2chunk(p), hd = BB_W(c);
  if (!bb_h_ok(&h->keys, c, hd))
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

/* Free mapped chunk p; returns 0, or -1 when p is not one of ours. */
int bb_mapped_free(struct bb_heap *h, void *p) {
  bb_lock(&h->map_lock);
  struct bb_mrec *r = checked(h, p);
  if (!r) {
    bb_unlock(&h->map_lock);
    return -1;
  }
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
  h->src.unmap(h->src.ctx, (void *)rec.base, rec.len);
  return 0;
}

/* Usable size of mapped chunk p, or (size_t)-1 when p is not ours. */
size_t bb_mapped_usable(struct bb_heap *h, const void *p) {
  bb_lock(&h->map_lock);
  struct bb_mrec *r = checked(h, p);
  size_t u = r ? r->len - (r->mem - r->base) : (size_t)-1;
  bb_unlock(&h->map_lock);
  return u;
}

/* Resize mapped chunk p to n bytes, moving it if needed. Returns the new
 * pointer, NULL when the mapping cannot grow (p intact), or p's record
 * absence as BB_NOT_MAPPED. */
void *bb_mapped_realloc(struct bb_heap *h, void *p, size_t n) {
  bb_lock(&h->map_lock);
  struct bb_mrec *r = checked(h, p);
  if (!r) {
    bb_unlock(&h->map_lock);
    return BB_NOT_MAPPED;
  }
  size_t off = r->mem - r->base;
  size_t len = bb_round_page(h, off + n);
  if (n > PTRDIFF_MAX - off - h->page) {
    bb_unlock(&h->map_lock);
    return NULL;
  }
  if (len == r->len) {
    r->req = n;
    bb_unlock(&h->map_lock);
    return p;
  }
  struct bb_mrec rec = *r;
  char *nb = h->src.remap(h->src.ctx, (void *)rec.base, rec.len, len);
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
  bb_set_head(&h->keys, bb_mem2chunk((void *)rec.mem), BB_ST_MAPPED, 0, 0);
  bb_unlock(&h->map_lock);
  return (void *)rec.mem;
}

void bb_mapped_release_all(struct bb_heap *h) {
  for (size_t i = 0; i < h->mcap; i++)
    if (h->mtab[i].mem != EMPTY)
      h->src.unmap(h->src.ctx, (void *)h->mtab[i].base, h->mtab[i].len);
  if (h->mtab)
    h->src.unmap(h->src.ctx, h->mtab,
                 bb_round_page(h, h->mcap * sizeof(struct bb_mrec)));
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
