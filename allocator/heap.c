/* heap.c: heap instances, their secrets and metadata, the arena table,
 * thread contexts (binding, thread exit) and fork.
 *
 * Lock order: heap->lock (arena table, contexts) -> arena locks (by id)
 * -> heap->meta_lock (metadata pool, registry) -> heap->map_lock (mapped
 * chunks). An instance heap's ilock comes before all of them.
 *
 * Every byte of metadata comes from the heap's memory source, in mappings
 * of its own, never from the chunks the user can overflow. */
#include <pthread.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------ secrets */

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int init_keys(struct bb_sealed *ro, int seeded, uint64_t seed) {
  uint64_t k[4];
  if (seeded) {
    for (int i = 0; i < 4; i++)
      k[i] = splitmix(&seed);
  } else if (bb_os_random(k, sizeof k) != 0) {
    return -1;
  }
  ro->keys.mac0 = k[0];
  ro->keys.mac1 = k[1];
  ro->keys.link = k[2];
  ro->keys.canary = k[3];
  return 0;
}

/* ----------------------------------------------------------- metadata */

/* Every metadata mapping has a guard page on each side, so that no linear
 * overflow runs into it or out of it. (A source without `protect` gets no
 * guards.) */
static void *gmap(const bb_source *src, size_t page, size_t len) {
  char *p = src->map(src->ctx, len + 2 * page);
  if (!p)
    return NULL;
  if (src->protect && (src->protect(src->ctx, p, page, 0) != 0 ||
                       src->protect(src->ctx, p + page + len, page, 0) != 0)) {
    src->unmap(src->ctx, p, len + 2 * page);
    return NULL;
  }
  return p + page;
}

static void gunmap(const bb_source *src, size_t page, void *p, size_t len) {
  src->unmap(src->ctx, (char *)p - page, len + 2 * page);
}

void *bb_guarded_map(struct bb_heap *h, size_t len) {
  return gmap(&h->ro->src, h->ro->page, bb_round_page(h, len));
}

void bb_guarded_unmap(struct bb_heap *h, void *p, size_t len) {
  gunmap(&h->ro->src, h->ro->page, p, bb_round_page(h, len));
}

#define META_BLOCK ((size_t)64 * 1024)

static struct bb_meta_block *meta_block(struct bb_heap *h, size_t len) {
  struct bb_meta_block *m = bb_guarded_map(h, len);
  if (m) {
    m->len = len;
    m->next = h->meta_blocks;
    h->meta_blocks = m;
  }
  return m;
}

/* Zeroed metadata, 64-byte aligned, never returned to the pool (records
 * that come and go keep their own free lists); every block is listed for
 * bb_heap_destroy. meta_lock held. */
void *bb_meta_alloc(struct bb_heap *h, size_t len) {
  len = (len + 63) / 64 * 64;
  if (len > META_BLOCK / 2) {
    struct bb_meta_block *m = meta_block(h, bb_round_page(h, len + 64));
    return m ? (char *)m + 64 : NULL;
  }
  if (h->meta_end - h->meta_cur < len) {
    struct bb_meta_block *m = meta_block(h, META_BLOCK);
    if (!m)
      return NULL;
    h->meta_cur = (uintptr_t)m + 64;
    h->meta_end = (uintptr_t)m + META_BLOCK;
  }
  void *p = (void *)h->meta_cur;
  h->meta_cur += len;
  return p;
}

/* ------------------------------------------------------------- arenas */

/* Used by a thread after its context was torn down at exit: no cache,
 * the first arena, always the locked path, never moved to a new arena
 * (it is shared by every exiting thread). */
static struct bb_tctx dead_ctx;

static size_t arena_len(const struct bb_heap *h) {
  return bb_round_page(h, sizeof(struct bb_arena));
}

/* Open or seal the arena table (heap->lock held). */
static int table_access(const struct bb_heap *h, int prot) {
  const bb_source *src = &h->ro->src;
  return src->protect ? src->protect(src->ctx, h->ro->arenas,
                                     h->ro->arenas_len, prot)
                      : 0;
}

/* heap->lock held. */
static struct bb_arena *arena_new(struct bb_heap *h) {
  unsigned id = h->narenas;
  if (id >= h->ro->max_arenas)
    return NULL;
  struct bb_arena *a = bb_guarded_map(h, arena_len(h));
  if (!a)
    return NULL;
  bb_arena_init(a, h, id);
  if (table_access(h, 2) != 0) {
    bb_guarded_unmap(h, a, arena_len(h));
    return NULL;
  }
  h->ro->arenas[id] = a;
  if (table_access(h, 1) != 0)
    bb_fatal("cannot seal the arena table", h->ro->arenas);
  __atomic_store_n(&h->narenas, id + 1, __ATOMIC_RELEASE);
  return a;
}

/* The least loaded arena (heap->lock held). */
static struct bb_arena *arena_pick(struct bb_heap *h) {
  struct bb_arena *best = h->ro->arenas[0];
  for (unsigned i = 1; i < h->narenas; i++)
    if (h->ro->arenas[i]->nthreads < best->nthreads)
      best = h->ro->arenas[i];
  return best;
}

/* Lock the arena of context t. Under contention, while the limit allows,
 * create a new arena and move the thread to it: arenas are created where
 * threads actually collide, not per thread. */
struct bb_arena *bb_arena_lock_for(struct bb_tctx *t) {
  struct bb_arena *a = t->arena;
  if (bb_trylock(&a->lock))
    return a;
  struct bb_heap *h = t->heap;
  if (t != &dead_ctx && __atomic_load_n(&h->narenas, __ATOMIC_ACQUIRE) <
                           h->ro->max_arenas) {
    bb_lock(&h->lock);
    struct bb_arena *na = arena_new(h);
    if (na) {
      __atomic_fetch_sub(&a->nthreads, 1, __ATOMIC_RELAXED);
      __atomic_fetch_add(&na->nthreads, 1, __ATOMIC_RELAXED);
      t->arena = na;
    }
    bb_unlock(&h->lock);
    if (na) {
      bb_lock(&na->lock);
      return na;
    }
  }
  bb_lock(&a->lock);
  return a;
}

/* ----------------------------------------------------- heap lifecycle */

/* The sealed page: secrets, options, the source and the arena table. */
static struct bb_sealed *sealed_new(const bb_heap_config *cfg, int process) {
  const bb_source *src = cfg && cfg->source ? cfg->source : &bb_os_source;
  size_t page = bb_os_page();
  struct bb_sealed *ro = gmap(src, page, page);
  if (!ro)
    return NULL;
  ro->src = *src;
  ro->page = page;
  ro->process = process;
  unsigned max = cfg && cfg->max_arenas ? cfg->max_arenas : 1;
  ro->max_arenas = max > BB_ARENAS_HARD_MAX ? BB_ARENAS_HARD_MAX : max;
  bb_options_init(&ro->opt, process ? bb_options_env()
                                    : cfg ? cfg->options : NULL);
  ro->zero_max = ro->opt.zero_on_free ? ro->opt.zero_max_kb * 1024 : 0;
  ro->quarantine = ro->opt.quarantine_kb * 1024;
  ro->arenas_len =
      (ro->max_arenas * sizeof *ro->arenas + page - 1) / page * page;
  ro->arenas = gmap(src, page, ro->arenas_len);
  if (!ro->arenas || init_keys(ro, cfg && cfg->seeded,
                               cfg ? cfg->seed : 0) != 0) {
    if (ro->arenas)
      gunmap(src, page, ro->arenas, ro->arenas_len);
    gunmap(src, page, ro, page);
    return NULL;
  }
  return ro;
}

static size_t heap_len(size_t page) {
  return (sizeof(struct bb_heap) + page - 1) / page * page;
}

static void heap_teardown(struct bb_heap *h) {
  const struct bb_sealed *ro = h->ro;
  const bb_source src = ro->src;
  size_t page = ro->page;
  for (unsigned i = 0; i < h->narenas; i++) {
    struct bb_arena *a = ro->arenas[i];
    for (struct bb_segment *s = a->segs; s; s = s->next)
      src.release(src.ctx, (void *)s->base, s->len);
    bb_guarded_unmap(h, a, arena_len(h));
  }
  bb_mapped_release_all(h);
  for (struct bb_meta_block *m = h->meta_blocks, *n; m; m = n) {
    n = m->next;
    gunmap(&src, page, m, m->len);
  }
  gunmap(&src, page, h, heap_len(page));
  gunmap(&src, page, ro->arenas, ro->arenas_len);
  gunmap(&src, page, (void *)ro, page);
}

static struct bb_heap *heap_create(const bb_heap_config *cfg, int process) {
  struct bb_sealed *ro = sealed_new(cfg, process);
  if (!ro)
    return NULL;
  struct bb_heap *h = gmap(&ro->src, ro->page, heap_len(ro->page));
  if (!h) {
    gunmap(&ro->src, ro->page, ro->arenas, ro->arenas_len);
    gunmap(&ro->src, ro->page, ro, ro->page);
    return NULL;
  }
  h->ro = ro;
  h->mmap_threshold = BB_MMAP_THRESHOLD;
  h->trim_threshold = BB_TRIM_THRESHOLD;
  bb_lock_init(&h->lock);
  bb_lock_init(&h->meta_lock);
  bb_lock_init(&h->map_lock);
  bb_lock_init(&h->ilock);
  bb_lock(&h->lock);
  struct bb_arena *a = arena_new(h);
  bb_unlock(&h->lock);
  const bb_source *src = &ro->src;
  if (!a || (src->protect && src->protect(src->ctx, ro, ro->page, 1) != 0)) {
    heap_teardown(h);
    return NULL;
  }
  h->ictx.heap = h;
  h->ictx.arena = a;
  h->ictx.limit = (uint16_t)ro->opt.tcache_count;
  return h;
}

bb_heap *bb_heap_create(const bb_heap_config *cfg) {
  return heap_create(cfg, 0);
}

void bb_heap_destroy(bb_heap *h) {
  if (h && !h->ro->process)
    heap_teardown(h);
}

/* ------------------------------------------- the process heap, threads */

static struct bb_heap *process_heap;
static pthread_key_t ctx_key;
__thread struct bb_tctx *bb_tls_ctx
    __attribute__((tls_model("initial-exec")));

static void ctx_destructor(void *p);
static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);

static BB_COLD struct bb_heap *process_init(void) {
  static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&once);
  struct bb_heap *h = process_heap;
  if (!h) {
    unsigned n = bb_os_ncpu() * BB_ARENAS_PER_CPU;
    bb_heap_config cfg = {0};
    cfg.max_arenas = n;
    h = heap_create(&cfg, 1);
    if (h) {
      pthread_key_create(&ctx_key, ctx_destructor);
      dead_ctx.heap = h;
      dead_ctx.arena = h->ro->arenas[0];
      __atomic_store_n(&process_heap, h, __ATOMIC_RELEASE);
      /* May allocate (glibc); the heap is ready by now. */
      pthread_atfork(fork_prepare, fork_parent, fork_child);
    }
  }
  pthread_mutex_unlock(&once);
  return h;
}

bb_heap *bb_process_heap(void) {
  struct bb_heap *h = __atomic_load_n(&process_heap, __ATOMIC_ACQUIRE);
  return h ? h : process_init();
}

/* heap->lock held. */
static void ctx_bind(struct bb_heap *h, struct bb_tctx *t) {
  t->heap = h;
  t->limit = (uint16_t)h->ro->opt.tcache_count;
  t->arena = arena_pick(h);
  __atomic_fetch_add(&t->arena->nthreads, 1, __ATOMIC_RELAXED);
  t->prev = NULL;
  t->next = h->ctxs;
  if (h->ctxs)
    h->ctxs->prev = t;
  h->ctxs = t;
}

static void ctx_unbind(struct bb_heap *h, struct bb_tctx *t) {
  __atomic_fetch_sub(&t->arena->nthreads, 1, __ATOMIC_RELAXED);
  if (t->prev)
    t->prev->next = t->next;
  else
    h->ctxs = t->next;
  if (t->next)
    t->next->prev = t->prev;
  t->next = h->free_ctxs;
  h->free_ctxs = t;
}

/* The calling thread's context for the process heap, created on first
 * use. NULL only when the heap cannot be created at all. */
BB_COLD struct bb_tctx *bb_ctx_slow(void) {
  if (bb_tls_ctx)
    return bb_tls_ctx;
  struct bb_heap *h = bb_process_heap();
  if (!h)
    return NULL;
  bb_lock(&h->lock);
  struct bb_tctx *t = h->free_ctxs;
  if (t) {
    h->free_ctxs = t->next;
  } else {
    bb_lock(&h->meta_lock);
    t = bb_meta_alloc(h, sizeof *t);
    bb_unlock(&h->meta_lock);
  }
  if (t) {
    size_t *q = t->q; /* a recycled context keeps its quarantine ring */
    uint32_t qcap = t->qcap;
    memset(t, 0, sizeof *t);
    t->q = q;
    t->qcap = qcap;
    ctx_bind(h, t);
  }
  bb_unlock(&h->lock);
  if (!t)
    return &dead_ctx;
  bb_tls_ctx = t;
  /* Set after bb_tls_ctx: it may allocate, and must then find the context. */
  pthread_setspecific(ctx_key, t);
  return t;
}

/* Thread exit: give the cached chunks back and recycle the context.
 * Destructors that run after this one still may call malloc and free:
 * they get dead_ctx. */
static void ctx_destructor(void *p) {
  struct bb_tctx *t = p;
  bb_tls_ctx = &dead_ctx;
  bb_tcache_flush(t);
  struct bb_heap *h = t->heap;
  bb_lock(&h->lock);
  ctx_unbind(h, t);
  bb_unlock(&h->lock);
}

/* ---------------------------------------------------------------- fork
 * The parent holds every lock across fork(), so the child's copy of the
 * heap is consistent and its locks can simply be reinitialized. */

static void fork_prepare(void) {
  struct bb_heap *h = process_heap;
  bb_lock(&h->lock);
  for (unsigned i = 0; i < h->narenas; i++)
    bb_lock(&h->ro->arenas[i]->lock);
  bb_lock(&h->meta_lock);
  bb_lock(&h->map_lock);
}

static void fork_parent(void) {
  struct bb_heap *h = process_heap;
  bb_unlock(&h->map_lock);
  bb_unlock(&h->meta_lock);
  for (unsigned i = h->narenas; i-- > 0;)
    bb_unlock(&h->ro->arenas[i]->lock);
  bb_unlock(&h->lock);
}

/* Only the forking thread exists in the child. The other threads'
 * contexts are recycled; the chunks they had cached are left in their
 * arenas as in-use (as glibc leaks them), because those threads may have
 * been in the middle of a lock-free cache update. */
static void fork_child(void) {
  struct bb_heap *h = process_heap;
  bb_lock_init(&h->map_lock);
  bb_lock_init(&h->meta_lock);
  for (unsigned i = 0; i < h->narenas; i++) {
    bb_lock_init(&h->ro->arenas[i]->lock);
    h->ro->arenas[i]->nthreads = 0;
  }
  bb_lock_init(&h->lock);
  struct bb_tctx *self = bb_tls_ctx, *t, *n;
  for (t = h->ctxs; t; t = n) {
    n = t->next;
    if (t != self)
      ctx_unbind(h, t);
  }
  for (unsigned i = 0; i < h->narenas; i++)
    h->ro->arenas[i]->nthreads = 0;
  if (self && self != &dead_ctx)
    self->arena->nthreads = 1;
}
