/* api.c: the public functions, on any heap, and the process-wide names.
 *
 * free(p) reads as a straight line: validate the pointer (alignment,
 * registry, segment bounds, header check, state) before any store, then
 * cache it or hand it to its arena. The fast paths (thread-cache hit in
 * malloc, thread-cache push in free) are inline and small; everything
 * else is in cold functions. */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------ pointer validation */

static BB_COLD BB_NORETURN void bad_state(size_t st, const void *p) {
  /* A free state, or a chunk merged away (DEAD, or the top's start): the
   * pointer was freed before. */
  if (st == BB_ST_TCACHE || st == BB_ST_FAST || BB_IS_BINNED(st) ||
      st == BB_ST_QUARANTINE || st == BB_ST_DEAD || st == BB_ST_TOP)
    bb_fatal("double free", p);
  bb_fatal("invalid pointer", p);
}

/* A pointer handed to free/realloc/usable_size: returns its chunk, with
 * *seg its segment and *hd its header, or 0 with *seg NULL when it is a
 * mapped chunk (still to be checked against its record). Anything else
 * is fatal. Nothing is written. */
static inline size_t validate(struct bb_heap *h, const void *p,
                              struct bb_segment **seg, size_t *hd) {
  if (bb_unlikely((uintptr_t)p % BB_ALIGN != 0))
    bb_fatal("invalid pointer", p);
  struct bb_segment *s = bb_segment_of(h, (uintptr_t)p);
  *seg = s;
  if (bb_unlikely(!s))
    return 0;
  size_t c = bb_mem2chunk(p);
  if (bb_unlikely(c < s->first || c >= bb_seg_end(s)))
    bb_fatal("invalid pointer", p);
  size_t x = bb_peek(c);
  if (bb_unlikely(!bb_h_ok(&h->ro->keys, c, x)))
    bb_fatal("corrupted chunk header", p);
  if (bb_unlikely(bb_h_state(x) != BB_ST_INUSE))
#if BB_PLANT_BUG == 4 /* mutation check: a cached chunk may be freed again */
    if (bb_h_state(x) != BB_ST_TCACHE)
#endif
      bad_state(bb_h_state(x), p);
  *hd = x;
  return c;
}

/* ------------------------------------------------------- on one heap */

static BB_COLD void *oom(void) {
  errno = ENOMEM;
  return NULL;
}

static BB_COLD void *malloc_mapped(struct bb_heap *h, size_t n,
                                   size_t align) {
  void *p = bb_mapped_alloc(h, n, align);
  return p ? p : oom();
}

static void *do_malloc(struct bb_heap *h, struct bb_tctx *t, size_t n) {
  if (bb_unlikely(n > PTRDIFF_MAX))
    return oom();
  size_t nb = bb_request2size(n, 0);
  if (bb_unlikely(nb == 0))
    return malloc_mapped(h, n, BB_ALIGN);
  size_t cls = bb_tc_class(nb);
  if (nb <= BB_TCACHE_MAX_SIZE && t->count[cls])
    return bb_chunk2mem(bb_tc_get(t, cls, n));
  for (int may_map = 1;; may_map = 0) {
    struct bb_arena *a = bb_arena_lock_for(t);
    size_t c = bb_arena_malloc(a, nb, n, t, may_map);
    bb_unlock(&a->lock);
    if (c == BB_USE_TCACHE)
      return bb_chunk2mem(bb_tc_get(t, cls, n));
    if (c == BB_USE_MAP) {
      void *p = bb_mapped_alloc(h, n, BB_ALIGN);
      if (p)
        return p;
      continue; /* no mapping: try the heap after all */
    }
    if (!c)
      return oom();
    bb_canary_set(h->ro, c, bb_h_size(BB_W(c)), n);
    return bb_chunk2mem(c);
  }
}

/* Free validated in-use chunk c of `size` bytes: zero it (zero-on-free),
 * then quarantine it or release it. */
static void free_chunk(struct bb_heap *h, struct bb_tctx *t, size_t c,
                       size_t size) {
  const struct bb_sealed *ro = h->ro;
  if (size <= ro->zero_max)
    bb_zero_words(c + 1, c + size / 8);
  if (ro->quarantine)
    bb_quarantine_put(t, c, size);
  else
    bb_release(t, c, size);
}

/* Sized free: `want` must be the requested size (ANY_SIZE: not checked,
 * as for plain free); `align` (0: none) one the pointer has. */
#define ANY_SIZE SIZE_MAX

static void do_free(struct bb_heap *h, struct bb_tctx *t, void *p,
                    size_t want, size_t align) {
  if (!p)
    return;
  if (align && ((align & (align - 1)) != 0 || (uintptr_t)p % align != 0))
    bb_fatal("aligned free mismatch", p);
  struct bb_segment *s;
  size_t hd, c = validate(h, p, &s, &hd);
  if (bb_unlikely(!s)) {
    if (bb_mapped_free(h, p, want) != 0)
      bb_fatal("invalid pointer", p);
    return;
  }
  size_t size = bb_h_size(hd);
  if (want != ANY_SIZE && want != size - BB_WORD - bb_h_slack(hd))
    bb_fatal("sized free mismatch", p);
  if (h->ro->opt.canary)
    bb_canary_check(&h->ro->keys, c, hd);
  free_chunk(h, t, c, size);
}

static void *do_realloc(struct bb_heap *h, struct bb_tctx *t, void *p,
                        size_t n) {
  if (!p)
    return do_malloc(h, t, n);
  if (n == 0) { /* glibc: free and return NULL */
    do_free(h, t, p, ANY_SIZE, 0);
    return NULL;
  }
  struct bb_segment *s;
  size_t hd, c = validate(h, p, &s, &hd);
  if (!s) {
    /* A pointer in no segment must be a mapped chunk of ours, whatever n. */
    if (bb_mapped_usable(h, p) == (size_t)-1)
      bb_fatal("invalid pointer", p);
    if (bb_unlikely(n > PTRDIFF_MAX))
      return oom();
    void *q = bb_mapped_realloc(h, p, n);
    if (q == BB_NOT_MAPPED)
      bb_fatal("invalid pointer", p);
    if (q)
      return q;
    size_t old = bb_mapped_usable(h, p); /* could not remap: move it */
    if (!(q = do_malloc(h, t, n)))
      return NULL;
    memcpy(q, p, old < n ? old : n);
    bb_mapped_free(h, p, ANY_SIZE);
    return q;
  }
  if (bb_unlikely(n > PTRDIFF_MAX))
    return oom();
  const struct bb_sealed *ro = h->ro;
  if (ro->opt.canary)
    bb_canary_check(&ro->keys, c, hd);
  size_t size = bb_h_size(hd), nb = bb_request2size(n, 0);
  size_t old = size - BB_WORD - bb_h_slack(hd);
  struct bb_arena *a = s->arena;
  if (nb != 0 && nb <= size) {
    if (size - nb >= BB_MINSIZE) {
      bb_lock(&a->lock);
      bb_arena_shrink(a, s, c, size, nb, n);
      bb_unlock(&a->lock);
      size = nb;
    } else {
      bb_set_head(&ro->keys, c, BB_ST_INUSE, size, size - BB_WORD - n);
    }
    bb_canary_set(ro, c, size, n);
    return p;
  }
  if (nb != 0) {
    bb_lock(&a->lock);
    int grown = bb_arena_grow_in_place(a, s, c, size, nb, n);
    bb_unlock(&a->lock);
    if (grown) {
      bb_canary_set(ro, c, bb_h_size(BB_W(c)), n);
      return p;
    }
  }
  void *q = do_malloc(h, t, n);
  if (!q)
    return NULL; /* p is left intact */
  memcpy(q, p, old);
  free_chunk(h, t, c, size);
  return q;
}

/* align: a power of two above 16. */
static void *do_memalign(struct bb_heap *h, struct bb_tctx *t, size_t align,
                         size_t n) {
  if (n > PTRDIFF_MAX)
    return oom();
  size_t nb = bb_request2size(n, 0);
  size_t thr = __atomic_load_n(&h->mmap_threshold, __ATOMIC_RELAXED);
  if (nb == 0 || align >= BB_MAX_CHUNK / 4 ||
      nb + align + BB_MINSIZE >= thr)
    return malloc_mapped(h, n, align);
  struct bb_arena *a = bb_arena_lock_for(t);
  size_t c = bb_arena_memalign(a, align, nb, n);
  bb_unlock(&a->lock);
  if (!c)
    return oom();
  bb_canary_set(h->ro, c, bb_h_size(BB_W(c)), n);
  return bb_chunk2mem(c);
}

static size_t do_usable(struct bb_heap *h, void *p) {
  if (!p)
    return 0;
  struct bb_segment *s;
  size_t hd;
  validate(h, p, &s, &hd);
  if (!s) {
    size_t u = bb_mapped_usable(h, p);
    if (u == (size_t)-1)
      bb_fatal("invalid pointer", p);
    return u;
  }
  /* With canaries the slack belongs to the canary: report the request. */
  return bb_h_size(hd) - BB_WORD - (h->ro->opt.canary ? bb_h_slack(hd) : 0);
}

static int do_trim(struct bb_heap *h, size_t pad) {
  int released = 0;
  unsigned n = __atomic_load_n(&h->narenas, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < n; i++) {
    struct bb_arena *a = h->ro->arenas[i];
    bb_lock(&a->lock);
    released |= bb_arena_trim_all(a, pad);
    bb_unlock(&a->lock);
  }
  return released;
}

int bb_heap_owns(bb_heap *h, const void *addr, size_t len) {
  uintptr_t p = (uintptr_t)addr;
  if (len > UINTPTR_MAX - p)
    return 0;
  struct bb_segment *s = bb_segment_of(h, p);
  if (s)
    return p >= s->base + h->ro->page &&
           p + len <= (bb_seg_end(s) + 1) * 8u;
  return bb_mapped_contains(h, p, len);
}

/* ---------------------------------------------- argument conventions */

static int pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

static void *memalign_on(struct bb_heap *h, struct bb_tctx *t, size_t align,
                         size_t n) {
  if (align <= BB_ALIGN)
    return do_malloc(h, t, n);
  if (align > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return NULL;
  }
  if (!pow2(align)) { /* glibc rounds up to a power of two */
    size_t a = BB_ALIGN * 2;
    while (a < align)
      a *= 2;
    align = a;
  }
  return do_memalign(h, t, align, n);
}

static void *calloc_on(struct bb_heap *h, struct bb_tctx *t, size_t nm,
                       size_t sz) {
  size_t total;
  if (__builtin_mul_overflow(nm, sz, &total))
    return oom();
  void *p = do_malloc(h, t, total);
  /* A fresh mapping is already zero; heap memory may have been used. */
  if (p && bb_segment_of(h, (uintptr_t)p))
    memset(p, 0, total);
  return p;
}

/* ------------------------------------------- the process-wide heap */

static inline struct bb_tctx *ctx(void) {
  struct bb_tctx *t = bb_tls_ctx;
  return bb_likely(t != NULL) ? t : bb_ctx_slow();
}

#define PROCESS_OR(fail)                                                    \
  struct bb_tctx *t = ctx();                                                \
  if (bb_unlikely(!t))                                                      \
    return fail;                                                            \
  struct bb_heap *h = t->heap

static BB_COLD void *malloc_slow(size_t n) {
  PROCESS_OR(oom());
  return do_malloc(h, t, n);
}

void *bb_malloc(size_t n) {
  struct bb_tctx *t = bb_tls_ctx;
  /* The hit path: one class computation, one load, one pop. */
  if (bb_likely(t != NULL) && n <= BB_TCACHE_MAX_SIZE - BB_WORD) {
    size_t nb = n + BB_WORD + BB_ALIGN - 1;
    nb = nb < BB_MINSIZE ? BB_MINSIZE : nb - nb % BB_ALIGN;
    size_t cls = bb_tc_class(nb);
    if (bb_likely(t->count[cls] != 0))
      return bb_chunk2mem(bb_tc_get(t, cls, n));
  }
  return malloc_slow(n);
}

static BB_COLD void free_slow(void *p) {
  PROCESS_OR();
  do_free(h, t, p, ANY_SIZE, 0);
}

/* The hit path: a valid in-use chunk of a cacheable size, with room in
 * the cache and no quarantine. It makes the same checks as do_free, in
 * the same order; anything unusual, a failed check included, goes to the
 * slow path, which repeats the checks and reports. */
void bb_free(void *p) {
  struct bb_tctx *t = bb_tls_ctx;
  if (bb_unlikely(!t || !p || (uintptr_t)p % BB_ALIGN != 0))
    goto slow;
  struct bb_heap *h = t->heap;
  const struct bb_sealed *ro = h->ro;
  struct bb_segment *s = bb_segment_of(h, (uintptr_t)p);
  size_t c = bb_mem2chunk(p);
  if (bb_unlikely(!s || c < s->first || c >= bb_seg_end(s)))
    goto slow;
  size_t x = bb_peek(c), size = bb_h_size(x), cls = bb_tc_class(size);
  size_t nh = bb_h_check_remake(&ro->keys, c, x, BB_ST_TCACHE, size, 0);
  if (bb_unlikely(!nh || bb_h_state(x) != BB_ST_INUSE ||
                  size > BB_TCACHE_MAX_SIZE || t->count[cls] >= t->limit ||
                  ro->quarantine))
    goto slow;
  if (ro->opt.canary) {
    size_t slack = bb_h_slack(x);
    if (slack ? !bb_canary_ok(&ro->keys, c, size - BB_WORD - slack,
                              size - BB_WORD)
              : !bb_h_ok(&ro->keys, c + size / 8, bb_peek(c + size / 8)))
      goto slow; /* reported there */
  }
  if (size <= ro->zero_max)
    bb_zero_words(c + 2, c + size / 8); /* c + 1 takes the link */
  BB_W(c + 1) = bb_link_enc(&ro->keys, c + 1, t->head[cls]);
  BB_W(c) = nh; /* bb_tc_put, with the header computed above */
  t->head[cls] = c;
  t->count[cls]++;
  return;
slow:
  if (p)
    free_slow(p);
}

void *bb_calloc(size_t nm, size_t sz) {
  PROCESS_OR(oom());
  return calloc_on(h, t, nm, sz);
}

void *bb_realloc(void *p, size_t n) {
  PROCESS_OR(oom());
  return do_realloc(h, t, p, n);
}

void *bb_reallocarray(void *p, size_t nm, size_t sz) {
  size_t total;
  if (__builtin_mul_overflow(nm, sz, &total))
    return oom();
  return bb_realloc(p, total);
}

void *bb_memalign(size_t align, size_t n) {
  PROCESS_OR(oom());
  return memalign_on(h, t, align, n);
}

int bb_posix_memalign(void **out, size_t align, size_t n) {
  if (align % sizeof(void *) != 0 || !pow2(align))
    return EINVAL;
  int saved = errno;
  void *p = bb_memalign(align, n);
  if (!p) {
    errno = saved;
    return ENOMEM;
  }
  *out = p;
  return 0;
}

/* glibc >= 2.38: the alignment must be a power of two. */
void *bb_aligned_alloc(size_t align, size_t n) {
  if (!pow2(align)) {
    errno = EINVAL;
    return NULL;
  }
  return bb_memalign(align, n);
}

void *bb_valloc(size_t n) { return bb_memalign(bb_os_page(), n); }

void *bb_pvalloc(size_t n) {
  size_t page = bb_os_page();
  if (n > SIZE_MAX - page)
    return oom();
  size_t r = n == 0 ? page : (n + page - 1) / page * page;
  return bb_memalign(page, r);
}

size_t bb_malloc_usable_size(void *p) {
  if (!p)
    return 0;
  PROCESS_OR(0);
  return do_usable(h, p);
}

/* C23: the size must be the one requested; the alignment, one that
 * aligned_alloc accepted and the pointer has. A mismatch is fatal. */
void bb_free_sized(void *p, size_t size) {
  if (!p)
    return;
  PROCESS_OR();
  do_free(h, t, p, size, 0);
}

void bb_free_aligned_sized(void *p, size_t align, size_t size) {
  if (!p)
    return;
  PROCESS_OR();
  do_free(h, t, p, size, align ? align : 1);
}

int bb_malloc_trim(size_t pad) {
  struct bb_heap *h = bb_process_heap();
  return h ? do_trim(h, pad) : 0;
}

struct bb_mallinfo2 bb_mallinfo2(void) {
  struct bb_heap *h = bb_process_heap();
  struct bb_mallinfo2 m;
  if (h)
    return bb_heap_mallinfo2(h);
  memset(&m, 0, sizeof m);
  return m;
}

/* ---------------------------------------------------- instance heaps */

/* An instance heap serializes its callers and uses its own context; the
 * process heap gives each thread its own. */
static struct bb_tctx *enter(struct bb_heap *h) {
  if (h->ro->process)
    return ctx();
  bb_lock(&h->ilock);
  return &h->ictx;
}

static void leave(struct bb_heap *h) {
  if (!h->ro->process)
    bb_unlock(&h->ilock);
}

void *bb_heap_malloc(bb_heap *h, size_t n) {
  struct bb_tctx *t = enter(h);
  void *p = t ? do_malloc(h, t, n) : oom();
  leave(h);
  return p;
}

void bb_heap_free(bb_heap *h, void *p) {
  struct bb_tctx *t = enter(h);
  if (t)
    do_free(h, t, p, ANY_SIZE, 0);
  leave(h);
}

void bb_heap_free_sized(bb_heap *h, void *p, size_t size) {
  struct bb_tctx *t = enter(h);
  if (t && p)
    do_free(h, t, p, size, 0);
  leave(h);
}

void *bb_heap_calloc(bb_heap *h, size_t nm, size_t sz) {
  struct bb_tctx *t = enter(h);
  void *p = t ? calloc_on(h, t, nm, sz) : oom();
  leave(h);
  return p;
}

void *bb_heap_realloc(bb_heap *h, void *p, size_t n) {
  struct bb_tctx *t = enter(h);
  void *q = t ? do_realloc(h, t, p, n) : oom();
  leave(h);
  return q;
}

void *bb_heap_memalign(bb_heap *h, size_t align, size_t n) {
  struct bb_tctx *t = enter(h);
  void *p = t ? memalign_on(h, t, align, n) : oom();
  leave(h);
  return p;
}

size_t bb_heap_usable_size(bb_heap *h, void *p) {
  struct bb_tctx *t = enter(h);
  size_t u = t ? do_usable(h, p) : 0;
  leave(h);
  return u;
}

int bb_heap_trim(bb_heap *h, size_t pad) {
  struct bb_tctx *t = enter(h);
  int r = 0;
  if (t) {
    if (!h->ro->process)
      bb_tcache_flush(t);
    r = do_trim(h, pad);
  }
  leave(h);
  return r;
}

/* ------------------------------------------------ the standard names
 * (malloc_stats is aliased in stats.c, beside its definition). */
#ifndef BB_NO_STD_NAMES
void *malloc(size_t) BB_ALIAS(bb_malloc);
void free(void *) BB_ALIAS(bb_free);
void *calloc(size_t, size_t) BB_ALIAS(bb_calloc);
void *realloc(void *, size_t) BB_ALIAS(bb_realloc);
void *reallocarray(void *, size_t, size_t) BB_ALIAS(bb_reallocarray);
int posix_memalign(void **, size_t, size_t) BB_ALIAS(bb_posix_memalign);
void *aligned_alloc(size_t, size_t) BB_ALIAS(bb_aligned_alloc);
void *memalign(size_t, size_t) BB_ALIAS(bb_memalign);
void *valloc(size_t) BB_ALIAS(bb_valloc);
void *pvalloc(size_t) BB_ALIAS(bb_pvalloc);
size_t malloc_usable_size(void *) BB_ALIAS(bb_malloc_usable_size);
void free_sized(void *, size_t) BB_ALIAS(bb_free_sized);
void free_aligned_sized(void *, size_t, size_t) BB_ALIAS(bb_free_aligned_sized);
int malloc_trim(size_t) BB_ALIAS(bb_malloc_trim);
struct bb_mallinfo2 mallinfo2(void) BB_ALIAS(bb_mallinfo2);
#endif
