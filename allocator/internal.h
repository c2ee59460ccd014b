/* internal.h: the types shared by bonbon's files (arena, segment, heap,
 * thread context), the compile-time options, and the cross-file internal
 * functions grouped by the file that defines them. `bb_` names that are not
 * in include/bonbon.h are internal and hidden (-fvisibility=hidden).
 *
 * Glossary
 *   heap      an independent allocator instance: secrets, arenas, the
 *             segment registry and the mapped-chunk table (heap.c)
 *   arena     bins + top + segments under one lock (arena.c)
 *   segment   one aligned reservation that chunks tile (segment.c)
 *   context   what a thread holds for one heap: its cache and arena
 *   tcache    the per-thread cache of small chunks (tcache.c)
 */
#ifndef BB_INTERNAL_H
#define BB_INTERNAL_H

#include <stdint.h>
#include <stddef.h>

#include "chunk.h"
#include "include/bonbon.h"

#ifdef BB_VHEAP
typedef int bb_lock_t;
#else
#include <pthread.h>
typedef pthread_mutex_t bb_lock_t;
#endif

#define BB_HIDDEN __attribute__((visibility("hidden")))
#define BB_COLD __attribute__((cold, noinline))
#define BB_NORETURN __attribute__((noreturn))
#define bb_likely(x) __builtin_expect(!!(x), 1)
#define bb_unlikely(x) __builtin_expect(!!(x), 0)
/* A standard name (malloc, free, ...) for a bb_ function. */
#define BB_ALIAS(name) __attribute__((alias(#name), visibility("default")))

/* ===================================================================
 * Compile-time options. Each is declared once, here, with its default
 * and what it trades; the static asserts check ranges and dependencies.
 * =================================================================== */

/* Thread cache: chunk sizes 32..1040 (requests up to 1032 bytes), one
 * class per 16 bytes, by default at most BB_TCACHE_COUNT chunks per class
 * (the runtime option tcache_count). More entries make the lock-free path
 * hit more often and hold more memory per thread (up to count * 64
 * classes). glibc uses 7. */
#define BB_TCACHE_CLASSES 64u
#define BB_TCACHE_COUNT 16u
#define BB_TCACHE_MAX_SIZE (BB_MINSIZE + (BB_TCACHE_CLASSES - 1) * BB_ALIGN)

/* Fast bins: chunk sizes 32..128, LIFO, not coalesced until
 * consolidation. Larger fast bins keep more fragments unmerged. */
#define BB_NFAST 7u
#define BB_FAST_MAX_SIZE (BB_MINSIZE + (BB_NFAST - 1) * BB_ALIGN)
/* Freeing a chunk that merges to at least this size consolidates the
 * fast bins and may trim (glibc's FASTBIN_CONSOLIDATION_THRESHOLD). */
#define BB_CONSOLIDATE_SIZE ((size_t)64 * 1024)

/* Bins as in ptmalloc: 1 unsorted, 62 small (one size each, < 1024
 * bytes), 63 large (size ranges, kept sorted). */
#define BB_NBINS 128u
#define BB_UNSORTED 1u
#define BB_MIN_LARGE 1024u
/* Chunks sorted out of the unsorted bin per malloc call, at most. */
#define BB_UNSORTED_MAX_ITERS 10000u

/* Segments: 2^BB_SEG_SHIFT-byte aligned reservations with a guard page
 * at each end. Larger segments mean fewer registry entries and mappings,
 * and more address space reserved per arena. */
#define BB_SEG_SHIFT 26u
/* The top grows by at least this much per commit (glibc's top_pad):
 * fewer system calls against more committed-but-unused memory. */
#define BB_TOP_PAD ((size_t)128 * 1024)

/* Mapped chunks and the dynamic threshold (glibc's defaults): requests
 * of at least mmap_threshold that the bins and top cannot serve get
 * their own mapping. Freeing a mapped chunk of size s with threshold <
 * s <= MAX raises the threshold to s and the trim threshold to 2s, so
 * that blocks of that size are served from the heap after that. */
#define BB_MMAP_THRESHOLD ((size_t)128 * 1024)
#define BB_MMAP_THRESHOLD_MAX ((size_t)32 * 1024 * 1024)
#define BB_TRIM_THRESHOLD ((size_t)128 * 1024)

/* The security ladder: BB_SECURITY picks a rung at compile time. Every
 * rung keeps the validated metadata (header checks, encoded links, chunk
 * states, pointer validation, bin-link, top and mapped-record checks,
 * guard pages, sealed state, exact sized free). Each rung adds:
 *   0  nothing more
 *   1  canaries: keyed slack bytes after every block, and the next
 *      chunk's header, checked at free and realloc (catches overflows
 *      past the requested size, a single NUL byte included)
 *   2  zero-on-free up to 64 KiB, checked when the chunk is handed out
 *      again (catches writes after free)               <- the default
 *   3  a 256 KiB per-thread quarantine, and zero-on-free up to 1 MiB
 * What each rung costs is measured in bench/ (README, "Threat model"). */
#ifndef BB_SECURITY
#define BB_SECURITY 2
#endif
_Static_assert(BB_SECURITY >= 0 && BB_SECURITY <= 3, "security rung 0..3");
#define BB_RUNG(r) ((size_t)(BB_SECURITY >= (r)))

/* Runtime options (BONBON_OPTIONS, or bb_heap_config.options), declared
 * once: X(name, default, min, max, what it trades). For a protection the
 * minimum is the rung's default: at run time a build gets stricter, never
 * weaker than the rung it was compiled at. */
#define BB_OPTIONS(X)                                                       \
  X(canary, BB_RUNG(1), BB_RUNG(1), 1,                                      \
    "fill and check the slack after each block: a few bytes per call")      \
  X(zero_on_free, BB_RUNG(2), BB_RUNG(2), 1,                                \
    "zero freed chunks, check on reuse: one memset and one scan per chunk") \
  X(zero_max_kb, BB_RUNG(3) ? 1024 : 64, BB_RUNG(3) ? 1024 : 64,            \
    (size_t)1 << 22,                                                        \
    "largest chunk zeroed on free: larger means more time per free")        \
  X(quarantine_kb, BB_RUNG(3) ? 256 : 0, BB_RUNG(3) ? 256 : 0,              \
    (size_t)1 << 20,                                                        \
    "freed bytes each thread holds back before reuse: memory for delay")    \
  X(tcache_count, BB_TCACHE_COUNT, 0, 65535,                                \
    "chunks per thread-cache class: more lock-free hits, more held memory")

struct bb_options {
#define BB_OPT_MEMBER(field, def, min, max, what) size_t field;
  BB_OPTIONS(BB_OPT_MEMBER)
#undef BB_OPT_MEMBER
};

/* Arenas: at most BB_ARENAS_PER_CPU * CPUs (glibc: 8 on 64-bit). */
#define BB_ARENAS_PER_CPU 8u
#define BB_ARENAS_HARD_MAX 1024u

_Static_assert(BB_TCACHE_COUNT >= 1 && BB_TCACHE_COUNT <= 65535, "tcache count");
_Static_assert(BB_TCACHE_MAX_SIZE < BB_MIN_LARGE + 32, "tcache covers small sizes only");
_Static_assert(BB_FAST_MAX_SIZE <= BB_TCACHE_MAX_SIZE, "fast bins within tcache range");
_Static_assert(BB_SEG_SHIFT >= 20 && BB_SEG_SHIFT <= 32, "segment size");
_Static_assert(BB_MMAP_THRESHOLD_MAX + BB_TOP_PAD + 4 * 65536 <
                   ((size_t)1 << BB_SEG_SHIFT),
               "a heap chunk below the largest threshold fits a segment");

/* =================================================================== */

struct bb_heap;
struct bb_arena;

/* Return codes of bb_arena_malloc besides a chunk index (chunk indices
 * are odd, these are even). */
#define BB_USE_MAP ((size_t)2)    /* above the threshold: map it */
#define BB_USE_TCACHE ((size_t)4) /* exact fits went to the cache */
/* bb_mapped_realloc: the pointer is not a mapped chunk of this heap. */
#define BB_NOT_MAPPED ((void *)1)

/* One reservation that chunks tile: [first, end) then the FENCE at end.
 * Out of band, in heap metadata: the user cannot reach it. */
struct bb_segment {
  uintptr_t base;      /* start of the reservation */
  size_t len;          /* bytes reserved */
  size_t first;        /* index of the first chunk */
  size_t end;          /* index of the fence header (atomic: read unlocked) */
  size_t limit;        /* the fence may not pass this index */
  size_t committed;    /* bytes mapped read-write from base (guard included) */
  size_t used;         /* bytes from base to the fence's end: in use */
  struct bb_arena *arena;
  struct bb_segment *next;
};

struct bb_arena {
  bb_lock_t lock;
  struct bb_heap *heap;
  const struct bb_keys *k;
  unsigned id;
  unsigned nthreads;           /* threads bound (atomic access) */
  size_t top;                  /* index of the top chunk, 0 = none */
  struct bb_segment *top_seg;  /* the segment holding the top */
  struct bb_segment *segs;     /* every segment, newest first */
  size_t last_remainder;       /* ptmalloc's locality heuristic */
  size_t fast[BB_NFAST];       /* fast-bin heads, 0 = empty */
  uint64_t binmap[BB_NBINS / 64];
  /* Bin sentinels: bin b's fd is bins[2b], its bk bins[2b+1]; the
   * sentinel is the pseudo-chunk whose index is bb_bin_at(a, b). */
  size_t bins[2 * BB_NBINS];
  /* Accounting, checked by INV-ACCOUNTING. */
  size_t system;   /* bytes committed in segments, guard pages excluded */
  size_t binned;   /* bytes in BIN and UNSORTED chunks */
  size_t nbinned;
  size_t fastbytes;
  size_t nfastc;
  size_t nsegs;
};

/* A thread's context for one heap: its cache and its arena. */
struct bb_tctx {
  struct bb_heap *heap;
  struct bb_arena *arena;
  size_t head[BB_TCACHE_CLASSES];   /* first cached chunk, 0 = empty */
  uint16_t count[BB_TCACHE_CLASSES];
  uint16_t limit;                   /* 0: the cache is disabled */
  struct bb_tctx *next, *prev;      /* the heap's list of contexts */
  /* Quarantine (harden.c): a FIFO ring of chunk indices. */
  size_t *q;
  uint32_t qhead, qcount, qcap;
  size_t qbytes;
};

/* Out-of-band record of a mapped chunk (mapped.c). */
struct bb_mrec {
  uintptr_t mem;    /* user pointer; 0 = empty slot */
  uintptr_t base;   /* mapping start */
  size_t len;       /* mapping length */
  size_t req;       /* requested size */
};

struct bb_meta_block {
  struct bb_meta_block *next;
  size_t len;
};

/* What never changes after a heap is created: one page of its own, made
 * read-only (sealed) once the heap is set up. The arena table is sealed
 * the same way and opened only while an arena is added. */
struct bb_sealed {
  struct bb_keys keys;
  struct bb_options opt;
  size_t zero_max;             /* bytes zeroed on free at most; 0: off */
  size_t quarantine;           /* bytes per thread; 0: off */
  bb_source src;
  size_t page;
  unsigned max_arenas;
  int process;                 /* the process-wide heap */
  struct bb_arena **arenas;    /* max_arenas slots, sealed */
  size_t arenas_len;           /* bytes of the table's mapping */
};

#define BB_REG_L1_BITS 11u
struct bb_heap {
  const struct bb_sealed *ro;  /* secrets, options, source, arena table */
  unsigned narenas;            /* atomic */
  bb_lock_t lock;              /* arena table, contexts */
  /* Metadata pool and segment registry, under meta_lock. */
  bb_lock_t meta_lock;
  uintptr_t meta_cur, meta_end;
  struct bb_meta_block *meta_blocks;
  struct bb_segment *free_segs;
  struct bb_segment **reg[1u << BB_REG_L1_BITS];
  /* Mapped chunks, under map_lock. */
  bb_lock_t map_lock;
  struct bb_mrec *mtab;
  size_t mcap, mcount, mbytes, mmax_count, mmax_bytes;
  size_t mmap_threshold;       /* atomic */
  size_t trim_threshold;       /* atomic */
  /* Contexts: every thread's (process heap) or the instance's own. */
  struct bb_tctx *ctxs;
  struct bb_tctx *free_ctxs;
  bb_lock_t ilock;             /* instance heaps: serializes API calls */
  struct bb_tctx ictx;
};

#ifdef __FRAMAC__
/* The ACSL logic of the bins and caches: specs/bins.acsl, specs/cache.acsl. */
#include "../specs/bins.acsl"
#include "../specs/cache.acsl"
#endif

/*@ requires heap: HeapOk(h);
    requires page: 0 < h->ro->page;
    requires fits: n <= SIZE_MAX - h->ro->page;
    assigns \nothing;
    exits never: \false;
    ensures round: n <= \result < n + h->ro->page;
    ensures multiple: \result % h->ro->page == 0;
    ensures aligned: h->ro->page % 16 == 0 ==> \result % 16 == 0;
*/
BB_INLINE size_t bb_round_page(const struct bb_heap *h, size_t n) {
  size_t page = h->ro->page, q = (n + page - 1) / page;
  //@ assert aligned: page % 16 == 0 ==> page == (page / 16) * 16;
  //@ assert sixteen: page % 16 == 0 ==> q * page == (q * (page / 16)) * 16;
  return q * page;
}

/* ------------------------------------------------------------ options.c */
BB_HIDDEN void bb_options_init(struct bb_options *o, const char *s);
BB_HIDDEN const char *bb_options_env(void);

/* ------------------------------------------------------------ harden.c */
BB_HIDDEN void bb_canary_check(const struct bb_keys *k, size_t c, size_t hd);
BB_HIDDEN void bb_zero_check_slow(const struct bb_keys *k, size_t c,
                                  size_t from, size_t to);
BB_HIDDEN void bb_quarantine_put(struct bb_tctx *t, size_t c, size_t size);
BB_HIDDEN void bb_quarantine_flush(struct bb_tctx *t);

/* Write-after-free check: words [from, to) of freed chunk c are zero, or
 * authentic tombstones (checked on the slow path). */
/* Words are scanned 16 bytes at a time through a generic vector type
 * (SSE2 on x86-64): -O2 does not vectorize these loops by itself. */
#ifndef __FRAMAC__ /* Frama-C 25 rejects vector types; it uses the loop */
typedef uint64_t bb_v2 __attribute__((vector_size(16), aligned(8)));
#endif

/*@ // TRUSTED (specs/ASSUMPTIONS.md, A7): a vectorised scan that only
    // reads; the verification build sees the scalar loop instead.
    requires words: from <= to && Word(to);
    assigns \nothing;
    exits never: \false;
*/
BB_INLINE void bb_zero_check(const struct bb_keys *k, size_t c, size_t from,
                             size_t to) {
  size_t i = from;
  size_t acc = 0;
#ifndef __FRAMAC__
  bb_v2 v = {0, 0};
  for (; i + 8 <= to; i += 8) {
    const bb_v2 *p = (const bb_v2 *)&BB_W(i);
    v |= p[0] | p[1] | p[2] | p[3];
  }
  acc = v[0] | v[1];
#endif
  for (; i < to; i++)
    acc |= BB_W(i);
  if (bb_unlikely(acc != 0))
    bb_zero_check_slow(k, c, from, to);
}

BB_INLINE void bb_zero_words(size_t from, size_t to) {
#ifndef __FRAMAC__
  if (to - from >= 16) {
    __builtin_memset(&BB_W(from), 0, (to - from) * 8);
    return;
  }
#endif
  for (size_t i = from; i < to; i++)
    BB_W(i) = 0;
}

/* The canary of chunk c: a keyed word with every byte odd, so that no
 * byte of it is zero. The slack bytes [n, u) of the chunk's memory hold,
 * at offset o, byte o % 8 of this word: whole words of it, and the bytes
 * at and after n of the first word. */
BB_INLINE uint64_t bb_canary_word(const struct bb_keys *k, size_t c) {
  return (((uint64_t)c ^ k->canary) * 0xc2b2ae3d27d4eb4full) |
         0x0101010101010101ull;
}

/* Fill bytes [n, u) of chunk c's memory (u a multiple of 8). */
BB_INLINE void bb_canary_fill(const struct bb_keys *k, size_t c, size_t n,
                              size_t u) {
  uint64_t key = bb_canary_word(k, c);
  size_t m = c + 1, w = n / 8;
  if (n % 8) {
    uint64_t keep = ((uint64_t)1 << (8 * (n % 8))) - 1;
    BB_W(m + w) = (BB_W(m + w) & keep) | (key & ~keep);
    w++;
  }
  for (; w < u / 8; w++)
    BB_W(m + w) = key;
}

/* True when bytes [n, u) of chunk c's memory still hold its canary. */
BB_INLINE int bb_canary_ok(const struct bb_keys *k, size_t c, size_t n,
                           size_t u) {
  uint64_t key = bb_canary_word(k, c), diff = 0;
  size_t m = c + 1, w = n / 8;
  if (n % 8) {
    uint64_t keep = ((uint64_t)1 << (8 * (n % 8))) - 1;
    diff = (BB_W(m + w) ^ key) & ~keep;
    w++;
  }
  for (; w < u / 8; w++)
    diff |= BB_W(m + w) ^ key;
  return diff == 0;
}

/* In-use chunk c of `size` bytes now holds a block of n bytes: fill its
 * slack with the canary (when canaries are on). */
BB_INLINE void bb_canary_set(const struct bb_sealed *ro, size_t c,
                             size_t size, size_t n) {
  if (ro->opt.canary && size - BB_WORD > n)
    bb_canary_fill(&ro->keys, c, n, size - BB_WORD);
}

/* ------------------------------------------------------------- fatal.c */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A6): it calls the hook, then aborts.
    assigns \nothing;
    ensures never_returns: \false;
    exits never: \false;
*/
BB_HIDDEN BB_NORETURN BB_COLD void bb_fatal(const char *check,
                                             const void *addr);
BB_HIDDEN void bb_write_err(const char *s);

/* ---------------------------------------------------------------- os.c */
BB_HIDDEN extern const bb_source bb_os_source;
BB_HIDDEN size_t bb_os_page(void);
BB_HIDDEN unsigned bb_os_ncpu(void);
BB_HIDDEN int bb_os_random(void *buf, size_t len);
BB_HIDDEN void bb_lock_init(bb_lock_t *l);
BB_HIDDEN void bb_lock(bb_lock_t *l);
BB_HIDDEN int bb_trylock(bb_lock_t *l);
BB_HIDDEN void bb_unlock(bb_lock_t *l);

/* ----------------------------------------------------------- segment.c */
#define BB_VA_BITS 47u
#define BB_GRANULE_BITS (BB_VA_BITS - BB_SEG_SHIFT)
#define BB_REG_L2_BITS (BB_GRANULE_BITS - BB_REG_L1_BITS)
#define BB_REG_L2_SIZE ((size_t)1 << BB_REG_L2_BITS)

/* The segment holding addr, or NULL: two loads, no lock, and no read of
 * the memory addr designates. */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A5): the registry maps an address to
    // a registered segment, whose chunk area lies in the word space.
    requires heap: \valid_read(h);
    assigns \nothing;
    ensures lookup: \result == SegmentOf(h, addr);
    ensures registered: \result != \null ==> SegmentOk(\result);
    exits never: \false;
*/
BB_INLINE struct bb_segment *bb_segment_of(const struct bb_heap *h,
                                           uintptr_t addr) {
  uintptr_t g = addr >> BB_SEG_SHIFT;
  if (bb_unlikely(g >> BB_GRANULE_BITS))
    return NULL;
  struct bb_segment **leaf =
      __atomic_load_n(&h->reg[g >> BB_REG_L2_BITS], __ATOMIC_ACQUIRE);
  if (bb_unlikely(!leaf))
    return NULL;
  return __atomic_load_n(&leaf[g % BB_REG_L2_SIZE], __ATOMIC_ACQUIRE);
}

/*@ requires segment: \valid_read(s);
    assigns \nothing;
    ensures end: \result == s->end;
    exits never: \false;
*/
BB_INLINE size_t bb_seg_end(const struct bb_segment *s) {
  return __atomic_load_n(&s->end, __ATOMIC_RELAXED);
}

/* The segment s that bb_segment_new made: writable, apart from the arena,
 * registered (SegmentOk), its fence in place, and one TOP chunk of at
 * least `need` bytes from its (odd) first index to the fence. The cast:
 * BB_HIDDEN makes the result's type an attributed pointer type. No \let:
 * E-ACSL 25 does not mark a \let pointer initialized (specs/bins.acsl). */
#define NewSeg(r) ((struct bb_segment *)(r))
#define NewSegment(a, r, need)                                             \
  (\valid(NewSeg(r)) && \separated(NewSeg(r), a) &&                        \
   \separated(NewSeg(r), (a)->k) && SegmentOk(NewSeg(r)) &&                \
   SegmentFence(NewSeg(r)) && NewSeg(r)->first % 2 == 1 &&                 \
   Top((a)->k, NewSeg(r)->first, NewSeg(r)->end) &&                        \
   HSize(W(NewSeg(r)->first)) >= (need))
/* A new segment of arena a whose single chunk, a TOP header at s->first
 * (not yet the arena's top), has at least `need` bytes; NULL when the
 * page source fails. It fills in a segment record (recycled, or new
 * metadata) that no expression of the caller can name beforehand: the
 * assigns covers every segment record apart from the arena. */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A10): reserves and commits pages
    // through the page source (mmap, mprotect) and registers the segment.
    requires arena: ArenaOk(a) && HeapOk(a->heap) && \separated(a, a->heap);
    requires need: BB_MINSIZE <= need;
    assigns a->segs, a->nsegs, a->system, a->heap->meta_lock,
            a->heap->meta_cur, a->heap->meta_end, a->heap->meta_blocks,
            a->heap->free_segs, a->heap->reg[0 .. (1 << BB_REG_L1_BITS) - 1],
            Words(BB_VFIRST .. BB_VWORDS - 1),
            { *r | struct bb_segment *r; \separated(r, a) };
    exits never: \false;
    ensures made: \result != \null ==> NewSegment(a, \result, need);
*/
BB_HIDDEN struct bb_segment *bb_segment_new(struct bb_arena *a, size_t need);
/* Move the fence of segment s `bytes` (a page multiple) up, committing
 * pages as needed; 0, or -1 (nothing changed) when the segment's limit or
 * the page source says no. */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A9): commits pages through the page
    // source (mprotect) and writes the fence.
    requires arena: \valid(a) && \valid_read(a->k) && HeapOk(a->heap);
    requires segment: \valid(s) && \separated(s, a);
    requires fence: SegmentFence(s);
    requires bytes: bytes % 8 == 0;
    assigns s->used, s->committed, s->end, a->system,
            W((s->base + s->used + bytes) / 8 - 1);
    exits never: \false;
    ensures result: \result == 0 || \result == -1;
    ensures grown: \result == 0 ==>
                   s->used - \old(s->used) == bytes && SegmentFence(s) &&
                   HeaderIs(a->k, s->end, StFence, 0, 0);
    ensures failed: \result == -1 ==>
                    s->used - \old(s->used) == 0 &&
                    s->end - \old(s->end) == 0 &&
                    s->committed - \old(s->committed) == 0 &&
                    a->system - \old(a->system) == 0;
*/
BB_HIDDEN int bb_segment_grow(struct bb_arena *a, struct bb_segment *s,
                              size_t bytes);
BB_HIDDEN size_t bb_segment_shrink(struct bb_arena *a, struct bb_segment *s,
                                   size_t keep_end);
BB_HIDDEN void bb_segment_release(struct bb_arena *a, struct bb_segment *s);

/* -------------------------------------------------------------- bins.c */
BB_HIDDEN size_t bb_bin_index(size_t size);
BB_HIDDEN size_t bb_bin_at(const struct bb_arena *a, size_t b);
BB_HIDDEN void bb_bin_insert_front(struct bb_arena *a, size_t b, size_t c);
BB_HIDDEN void bb_bin_insert_sorted(struct bb_arena *a, size_t b, size_t c,
                                    size_t size);
BB_HIDDEN void bb_bin_unlink(struct bb_arena *a, size_t c);
BB_HIDDEN size_t bb_bin_take_last(struct bb_arena *a, size_t b);
BB_HIDDEN size_t bb_bin_best_fit(struct bb_arena *a, size_t b, size_t nb);
BB_HIDDEN size_t bb_bin_first(struct bb_arena *a, size_t b);
BB_HIDDEN size_t bb_bin_next(struct bb_arena *a, size_t b, size_t c);
BB_HIDDEN size_t bb_binmap_next(const struct bb_arena *a, size_t b);
BB_HIDDEN void bb_bin_put(struct bb_arena *a, size_t c, size_t size);

/* ------------------------------------------------------------- chunk.c */
BB_HIDDEN size_t bb_check_head(const struct bb_keys *k, size_t c,
                               size_t state, const char *what);
BB_HIDDEN void bb_make_free(struct bb_arena *a, size_t c, size_t size,
                            size_t state, int zeroed);
BB_HIDDEN size_t bb_prev_free(struct bb_arena *a, struct bb_segment *s,
                              size_t c);
BB_HIDDEN size_t bb_top_check(struct bb_arena *a);
BB_HIDDEN size_t bb_coalesce(struct bb_arena *a, struct bb_segment *s,
                             size_t c, size_t *size, int *zeroed,
                             int *into_top);
BB_HIDDEN size_t bb_split(struct bb_arena *a, size_t c, size_t size,
                          size_t nb, size_t state, size_t slack, int zeroed);
BB_HIDDEN size_t bb_top_carve(struct bb_arena *a, size_t tsize, size_t nb,
                              size_t state, size_t slack);

/* ------------------------------------------------------------- arena.c */
BB_HIDDEN void bb_arena_init(struct bb_arena *a, struct bb_heap *h,
                             unsigned id);
BB_HIDDEN size_t bb_arena_malloc(struct bb_arena *a, size_t nb, size_t n,
                                 struct bb_tctx *t, int may_map);
BB_HIDDEN void bb_arena_free(struct bb_arena *a, struct bb_segment *s,
                             size_t c, size_t size, int zeroed);
BB_HIDDEN void bb_arena_consolidate(struct bb_arena *a);
BB_HIDDEN int bb_arena_trim(struct bb_arena *a, size_t pad);
BB_HIDDEN int bb_arena_trim_all(struct bb_arena *a, size_t pad);
BB_HIDDEN size_t bb_arena_memalign(struct bb_arena *a, size_t align,
                                   size_t nb, size_t n);
BB_HIDDEN int bb_arena_grow_in_place(struct bb_arena *a, struct bb_segment *s,
                                     size_t c, size_t size, size_t nb,
                                     size_t n);
BB_HIDDEN void bb_arena_shrink(struct bb_arena *a, struct bb_segment *s,
                               size_t c, size_t size, size_t nb, size_t n);

/* ------------------------------------------------------------ mapped.c */
BB_HIDDEN void *bb_mapped_alloc(struct bb_heap *h, size_t n, size_t align);
BB_HIDDEN int bb_mapped_free(struct bb_heap *h, void *p, size_t want);
BB_HIDDEN void *bb_mapped_realloc(struct bb_heap *h, void *p, size_t n);
BB_HIDDEN size_t bb_mapped_usable(struct bb_heap *h, const void *p);
BB_HIDDEN int bb_mapped_contains(struct bb_heap *h, uintptr_t p, size_t len);
BB_HIDDEN void bb_mapped_release_all(struct bb_heap *h);

/* -------------------------------------------------------------- heap.c */
BB_HIDDEN void *bb_meta_alloc(struct bb_heap *h, size_t len);
BB_HIDDEN void *bb_guarded_map(struct bb_heap *h, size_t len);
BB_HIDDEN void bb_guarded_unmap(struct bb_heap *h, void *p, size_t len);
BB_HIDDEN struct bb_arena *bb_arena_lock_for(struct bb_tctx *t);
BB_HIDDEN struct bb_tctx *bb_ctx_slow(void);
BB_HIDDEN extern __thread struct bb_tctx *bb_tls_ctx
    __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------ tcache.c
 * The hot path, inline. */
BB_HIDDEN void bb_tcache_flush(struct bb_tctx *t);
BB_HIDDEN void bb_release(struct bb_tctx *t, size_t c, size_t size);

/*@ requires size: BB_MINSIZE <= size;
    assigns \nothing;
    exits never: \false;
    ensures class: \result == size / 16 - 2;
*/
BB_INLINE size_t bb_tc_class(size_t size) { return size / 16 - 2; }

/* INV-FREELIST-LINK: the `next` link of a cached chunk c (thread cache or
 * fast bin) decodes to 0 or to an odd index inside a committed segment of
 * this heap, so it can be read. Its header, state and size class are
 * checked when it is taken, before it is used. */
/*@ requires heap: HeapOk(h);
    requires chunk: ChunkNode(c);
    assigns \nothing;
    exits never: \false;
    behavior valid:
      assumes link: FreelistLink(h, c);
      ensures next: \result == Dec(HeapKeys(h), c + 1);
      ensures node: \result == 0 || ChunkNode(\result);
    behavior corrupt:
      assumes link: !FreelistLink(h, c);
      ensures never_returns: \false;
    complete behaviors;
    disjoint behaviors;
*/
BB_INLINE size_t bb_list_next(const struct bb_heap *h, size_t c) {
  size_t v;
#if BB_PLANT_BUG == 5 /* mutation check: the link is not validated */
  return BB_W(c + 1) - bb_link_key(&h->ro->keys, c + 1);
#endif
  if (bb_unlikely(bb_link_dec(&h->ro->keys, c + 1, &v) != 0))
    bb_fatal("corrupted free-list link", bb_chunk2mem(c));
  if (v != 0) {
    const struct bb_segment *s = bb_segment_of(h, (uintptr_t)v * 8u);
    if (bb_unlikely(v % 2 == 0 || !s || v < s->first || v >= bb_seg_end(s)))
      bb_fatal("corrupted free-list link", bb_chunk2mem(c));
  }
  return v;
}

/* Push chunk c (validated, owned by the caller) on the cache. */
/*@ requires ctx: \valid(t) && HeapOk(t->heap) &&
                  \separated(t, HeapKeys(t->heap));
    requires class: cls < BB_TCACHE_CLASSES && size == (cls + 2) * 16;
    requires chunk: ChunkSpan(c, size) && c < BB_INDEX_LIMIT;
    requires list: t->head[cls] < BB_INDEX_LIMIT && t->count[cls] < 65535;
    requires from: HeaderCheck(HeapKeys(t->heap), c, W(c)) &&
                   Transition(HState(W(c)), StTcache);
    assigns W(c), W(c + 1), t->head[cls], t->count[cls];
    exits never: \false;
    ensures pushed: t->head[cls] == c &&
                    t->count[cls] == \old(t->count[cls]) + 1;
    ensures link: LinkTo(HeapKeys(t->heap), c + 1, \old(t->head[cls]));
    ensures cached: HeaderIs(HeapKeys(t->heap), c, StTcache, size, 0);
    ensures transition: Transition(\old(HState(W(c))), HState(W(c)));
    ensures no_double_free: HState(W(c)) != StInuse;
*/
BB_INLINE void bb_tc_put(struct bb_tctx *t, size_t c, size_t size,
                         size_t cls) {
  const struct bb_keys *k = &t->heap->ro->keys;
  BB_W(c + 1) = bb_link_enc(k, c + 1, t->head[cls]);
  bb_set_head(k, c, BB_ST_TCACHE, size, 0);
  t->head[cls] = c;
  t->count[cls]++;
}

/*@ assigns \nothing;
    exits never: \false;
    ensures never_returns: \false;
*/
static BB_COLD BB_NORETURN void bb_tc_corrupt(size_t c) {
  bb_fatal("corrupted thread cache", bb_chunk2mem(c));
}

/* Take the first chunk of class cls (count > 0) off the cache: its header
 * must be a valid TCACHE header of the class's size, its link must lead
 * into the heap. The link word is cleared; the header still says TCACHE. */
/*@ requires ctx: \valid(t) && HeapOk(t->heap) &&
                  \separated(t, HeapKeys(t->heap));
    requires class: cls < BB_TCACHE_CLASSES && t->count[cls] > 0;
    requires head: t->head[cls] == 0 || ChunkNode(t->head[cls]);
    assigns W(t->head[cls] + 1), t->head[cls], t->count[cls];
    exits never: \false;
    behavior valid:
      assumes head: t->head[cls] != 0 &&
                    TcacheList(HeapKeys(t->heap), t->head[cls],
                               (cls + 2) * 16) &&
                    FreelistLink(t->heap, t->head[cls]);
      ensures popped: \result == \old(t->head[cls]);
      ensures next: t->head[cls] == \old(Dec(HeapKeys(t->heap),
                                               t->head[cls] + 1));
      ensures count: t->count[cls] == \old(t->count[cls]) - 1;
      ensures cleared: W(\result + 1) == 0;
      ensures header: TcacheList(HeapKeys(t->heap), \result,
                                 (cls + 2) * 16);
    behavior corrupt:
      assumes head: !(t->head[cls] != 0 &&
                      TcacheList(HeapKeys(t->heap), t->head[cls],
                                 (cls + 2) * 16) &&
                      FreelistLink(t->heap, t->head[cls]));
      ensures never_returns: \false;
    complete behaviors;
    disjoint behaviors;
*/
BB_INLINE size_t bb_tc_pop(struct bb_tctx *t, size_t cls) {
  const struct bb_keys *k = &t->heap->ro->keys;
  size_t c = t->head[cls];
  if (bb_unlikely(c == 0)) /* the list ended before its count: forged link */
    bb_tc_corrupt(c);
  size_t x = BB_W(c);
  if (bb_unlikely(!bb_h_ok(k, c, x) || bb_h_state(x) != BB_ST_TCACHE ||
                  bb_h_size(x) != (cls + 2) * 16))
    bb_tc_corrupt(c);
  t->head[cls] = bb_list_next(t->heap, c);
  t->count[cls]--;
  BB_W(c + 1) = 0;
  return c;
}

/* Pop a chunk of class cls (count > 0) for a request of n bytes: checked
 * for writes after free, in use, its canary set. (bb_tc_pop's checks,
 * with the header checked and rewritten in one go.) */
BB_INLINE size_t bb_tc_get(struct bb_tctx *t, size_t cls, size_t n) {
  const struct bb_sealed *ro = t->heap->ro;
  const struct bb_keys *k = &ro->keys;
  size_t c = t->head[cls], size = (cls + 2) * 16;
  if (bb_unlikely(c == 0)) /* the list ended before its count: forged link */
    bb_tc_corrupt(c);
  size_t x = BB_W(c);
  size_t nh = bb_h_check_remake(k, c, x, BB_ST_INUSE, size, size - BB_WORD - n);
  if (bb_unlikely(!nh || bb_h_state(x) != BB_ST_TCACHE ||
                  bb_h_size(x) != size))
    bb_tc_corrupt(c);
  t->head[cls] = bb_list_next(t->heap, c);
  t->count[cls]--;
  BB_W(c + 1) = 0;
  if (ro->zero_max)
    bb_zero_check(k, c, c + 2, c + size / 8);
  BB_W(c) = nh;
  bb_canary_set(ro, c, size, n);
  return c;
}

#endif /* BB_INTERNAL_H */
