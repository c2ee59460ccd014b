/* arena.c: the malloc and free paths of one arena, as in ptmalloc. The
 * caller holds the arena lock and has already validated any chunk it
 * passes in (state INUSE, header checked).
 *
 * malloc(nb): fast bin -> small bin -> (large: consolidate fast bins) ->
 * sort the unsorted bin, returning an exact fit -> best fit in the large
 * bin -> next non-empty bin by the binmap, split -> top -> consolidate and
 * retry -> mapped chunk (above the threshold) or grow the top.
 * free(c): fast bin (small sizes) or coalesce with free neighbours, then
 * the unsorted bin or the top; large merges consolidate and trim. */
#include "internal.h"

#ifdef BB_EACSL
#define TopSegment(a) BB_TopSegment(a)
#define ArenaTop(a) BB_ArenaTop(a)
#elif defined(__FRAMAC__)
/*@ predicate TopSegment{L}(struct bb_arena *a) = BB_TopSegment(a);
    predicate ArenaTop{L}(struct bb_arena *a) = BB_ArenaTop(a); */
#endif

/* Slack of a chunk of `size` bytes holding n: below 48 for every arena
 * chunk (remainders of MINSIZE or more are always split off). */
static size_t slack_of(size_t size, size_t n) {
  size_t s = size - BB_WORD - n;
  if (bb_unlikely(s > BB_MAX_SLACK))
    bb_fatal("internal error: slack", bb_chunk2mem(0));
  return s;
}

/*@ requires arena: \valid_read(a) && HeapOk(a->heap);
    assigns \nothing;
    exits never: \false;
    ensures zeroing: \result != 0 <==> size <= a->heap->ro->zero_max;
*/
static int zeroing(const struct bb_arena *a, size_t size) {
  return size <= a->heap->ro->zero_max;
}

/* A free chunk c of `size` bytes leaves its bin for use (or for the thread
 * cache): clear its footer, then, if it was zeroed, check that nothing
 * wrote to it while it was free (its links were cleared by the unlink). */
static void claim(struct bb_arena *a, size_t c, size_t size, int zeroed,
                  size_t upto) {
  BB_W(c + size / 8 - 1) = 0;
  if (zeroed)
    bb_zero_check(a->k, c, c + 1, c + upto / 8);
}

static int zeroed_flag(size_t c) { return bb_h_slack(BB_W(c)) == 1; }

void bb_arena_init(struct bb_arena *a, struct bb_heap *h, unsigned id) {
  a->heap = h;
  a->k = &h->ro->keys;
  a->id = id;
  bb_lock_init(&a->lock);
  for (size_t b = 0; b < BB_NBINS; b++) {
    size_t s = bb_bin_at(a, b);
    BB_W(s + 1) = bb_link_enc(a->k, s + 1, s);
    BB_W(s + 2) = bb_link_enc(a->k, s + 2, s);
  }
}

/* ---------------------------------------------------------- fast bins */

/*@ requires arena: ArenaOk(a) && \separated(a, a->k);
    requires size: size % 16 == 0 && BB_MINSIZE <= size <= BB_FAST_MAX_SIZE;
    requires chunk: ChunkSpan(c, size) && c < BB_INDEX_LIMIT;
    requires list: a->fast[size / 16 - 2] < BB_INDEX_LIMIT;
    requires accounting: a->fastbytes <= SIZE_MAX - size && a->nfastc < SIZE_MAX;
    requires from: HeaderCheck(a->k, c, W(c)) && Transition(HState(W(c)), StFast);
    assigns W(c), W(c + 1), a->fast[size / 16 - 2], a->fastbytes, a->nfastc;
    exits never: \false;
    ensures pushed: a->fast[size / 16 - 2] == c;
    ensures link: LinkTo(a->k, c + 1, \old(a->fast[size / 16 - 2]));
    ensures cached: HeaderIs(a->k, c, StFast, size, 0);
    ensures transition: Transition(\old(HState(W(c))), HState(W(c)));
    ensures no_double_free: HState(W(c)) != StInuse;
    ensures accounting: a->fastbytes == \old(a->fastbytes) + size &&
                        a->nfastc == \old(a->nfastc) + 1;
*/
static void fast_push(struct bb_arena *a, size_t c, size_t size) {
  size_t fi = size / 16 - 2;
  BB_W(c + 1) = bb_link_enc(a->k, c + 1, a->fast[fi]);
  bb_set_head(a->k, c, BB_ST_FAST, size, 0);
  a->fast[fi] = c;
  a->fastbytes += size;
  a->nfastc++;
}

/*@ requires arena: ArenaOk(a) && HeapOk(a->heap) &&
                    a->k == HeapKeys(a->heap);
    requires bin: fi < BB_NFAST;
    requires head: a->fast[fi] == 0 ||
                   (ChunkNode(a->fast[fi]) &&
                    ChunkSpan(a->fast[fi], (fi + 2) * 16));
    requires accounting: a->fast[fi] != 0 ==>
                         a->fastbytes >= (fi + 2) * 16 && a->nfastc >= 1;
    assigns W(a->fast[fi] + 1), a->fast[fi], a->fastbytes, a->nfastc;
    exits never: \false;
    behavior empty:
      assumes empty: a->fast[fi] == 0;
      assigns \nothing;
      ensures none: \result == 0;
    behavior valid:
      assumes head: a->fast[fi] != 0 &&
                    FastbinList(a->k, a->fast[fi], (fi + 2) * 16) &&
                    FreelistLink(a->heap, a->fast[fi]);
      ensures popped: \result == \old(a->fast[fi]);
      ensures next: a->fast[fi] == \old(Dec(a->k, a->fast[fi] + 1));
      ensures cleared: W(\result + 1) == 0;
      ensures header: FastbinList(a->k, \result, (fi + 2) * 16);
      ensures accounting: a->fastbytes == \old(a->fastbytes) - (fi + 2) * 16 &&
                          a->nfastc == \old(a->nfastc) - 1;
    behavior corrupt:
      assumes head: a->fast[fi] != 0 &&
                    !(FastbinList(a->k, a->fast[fi], (fi + 2) * 16) &&
                      FreelistLink(a->heap, a->fast[fi]));
      ensures never_returns: \false;
    complete behaviors;
    disjoint behaviors;
*/
static size_t fast_pop(struct bb_arena *a, size_t fi) {
  size_t c = a->fast[fi];
  if (!c)
    return 0;
  size_t size = (fi + 2) * 16;
  size_t h = bb_check_head(a->k, c, BB_ST_FAST, "corrupted fast bin");
  if (bb_h_size(h) != size)
    bb_fatal("corrupted fast bin", bb_chunk2mem(c));
  a->fast[fi] = bb_list_next(a->heap, c);
  BB_W(c + 1) = 0;
  if (zeroing(a, size))
    bb_zero_check(a->k, c, c + 2, c + size / 8);
  a->fastbytes -= size;
  a->nfastc--;
  return c;
}

/* Move more chunks of the class just served into the thread cache, so
 * that the next requests of that size take the lock-free path. */
static void stash_fast(struct bb_arena *a, struct bb_tctx *t, size_t fi,
                       size_t size) {
  size_t cls = bb_tc_class(size);
  while (t && t->count[cls] < t->limit) {
    size_t c = fast_pop(a, fi);
    if (!c)
      return;
    bb_tc_put(t, c, size, cls);
  }
}

/* A binned chunk goes to the thread cache, where bb_tc_get checks that
 * it is zero: make it so if it was not zeroed when freed. */
static void to_tcache(struct bb_arena *a, struct bb_tctx *t, size_t c,
                      size_t size, size_t cls) {
  int zeroed = zeroed_flag(c);
  claim(a, c, size, zeroed, size);
  if (!zeroed && zeroing(a, size))
    bb_zero_words(c + 1, c + size / 8);
  bb_tc_put(t, c, size, cls);
}

static void stash_small(struct bb_arena *a, struct bb_tctx *t, size_t b,
                        size_t size) {
  size_t cls = bb_tc_class(size);
  while (t && size <= BB_TCACHE_MAX_SIZE && t->count[cls] < t->limit) {
    size_t c = bb_bin_take_last(a, b);
    if (!c)
      return;
    a->binned -= size;
    a->nbinned--;
    to_tcache(a, t, c, size, cls);
  }
}

/* ------------------------------------------------------------ freeing */

/* Coalesce free chunk c (size bytes, header not trusted; `zeroed` if its
 * words are zero) and put the result in the unsorted bin or the top.
 * Returns the merged size. */
static size_t place_free(struct bb_arena *a, struct bb_segment *s, size_t c,
                         size_t size, int zeroed) {
  int into_top;
  c = bb_coalesce(a, s, c, &size, &zeroed, &into_top);
  if (!into_top) {
    bb_make_free(a, c, size, BB_ST_UNSORTED, zeroed);
    bb_bin_insert_front(a, BB_UNSORTED, c);
    a->binned += size;
    a->nbinned++;
  }
  return size;
}

void bb_arena_consolidate(struct bb_arena *a) {
  size_t last = 0;
  for (size_t fi = 0; fi < BB_NFAST; fi++) {
    size_t c;
    while ((c = fast_pop(a, fi)) != 0) {
      struct bb_segment *s = bb_segment_of(a->heap, (uintptr_t)c * 8u);
      place_free(a, s, c, (fi + 2) * 16, zeroing(a, (fi + 2) * 16));
      last = c;
    }
  }
  /* INV-FASTBIN-LIST: the lists held as many chunks as were counted. A
   * stored link is index + key, so adding to it moves the link without
   * the key: along its own list it passes every check of one link and
   * skips chunks, which would be lost (and this loop would never drain
   * the count). */
  if (bb_unlikely(a->nfastc != 0))
    bb_fatal("corrupted fast bin", last ? bb_chunk2mem(last) : (void *)a);
}

/* Release segments that became entirely free (not the top's). */
static void release_free_segments(struct bb_arena *a) {
  struct bb_segment *s = a->segs, *next;
  for (; s; s = next) {
    next = s->next;
    if (s == a->top_seg)
      continue;
    size_t h = bb_check_head(a->k, s->first, BB_ST_INVALID, NULL);
    if (BB_IS_BINNED(bb_h_state(h)) &&
        s->first + bb_h_size(h) / 8 == s->end) {
      bb_bin_unlink(a, s->first);
      a->binned -= bb_h_size(h);
      a->nbinned--;
      bb_segment_release(a, s);
    }
  }
}

int bb_arena_trim(struct bb_arena *a, size_t pad) {
  if (!a->top)
    return 0;
  size_t ts = bb_top_check(a);
  size_t keep = pad > BB_MAX_CHUNK / 2 ? BB_MAX_CHUNK / 2 : pad;
  keep = (keep + BB_MINSIZE + BB_ALIGN - 1) / BB_ALIGN * BB_ALIGN;
  if (ts <= keep + a->heap->ro->page)
    return 0;
  struct bb_segment *s = a->top_seg;
  if (bb_segment_shrink(a, s, a->top + keep / 8) == 0)
    return 0;
  bb_set_head(a->k, a->top, BB_ST_TOP, (s->end - a->top) * 8u, 0);
  return 1;
}

/* Give back the page-aligned interior of every large free chunk: the
 * header, links and footer stay, the rest reads as zero when reused. */
static int purge_bins(struct bb_arena *a) {
  const bb_source *src = &a->heap->ro->src;
  size_t page = a->heap->ro->page;
  int any = 0;
  if (!src->purge)
    return 0;
  for (size_t b = 1; b < BB_NBINS - 1; b++) {
    for (size_t c = bb_bin_first(a, b); c; c = bb_bin_next(a, b, c)) {
      /* Keep the header, fd, bk and a large chunk's size-ring links. */
      uintptr_t lo = ((uintptr_t)(c + 5) * 8u + page - 1) / page * page;
      uintptr_t hi = ((uintptr_t)(c + bb_h_size(BB_W(c)) / 8 - 1) * 8u) /
                     page * page;
      if (hi > lo && src->purge(src->ctx, (void *)lo, hi - lo) == 0)
        any = 1;
    }
  }
  return any;
}

/* malloc_trim: consolidate, release free segments, shrink the top to
 * `pad` spare bytes and purge free chunks. */
int bb_arena_trim_all(struct bb_arena *a, size_t pad) {
  size_t before = a->system;
  bb_arena_consolidate(a);
  release_free_segments(a);
  int r = bb_arena_trim(a, pad);
  r |= purge_bins(a);
  return r || a->system != before;
}

/* Free in-use (or quarantined) chunk c, already zeroed by the caller if
 * `zeroed`. */
void bb_arena_free(struct bb_arena *a, struct bb_segment *s, size_t c,
                   size_t size, int zeroed) {
  if (size <= BB_FAST_MAX_SIZE && (zeroed || !zeroing(a, size))) {
    fast_push(a, c, size);
    return;
  }
  size = place_free(a, s, c, size, zeroed);
  if (size >= BB_CONSOLIDATE_SIZE) {
    if (a->nfastc)
      bb_arena_consolidate(a);
    release_free_segments(a);
    size_t thr = __atomic_load_n(&a->heap->trim_threshold, __ATOMIC_RELAXED);
    if (a->top && bb_top_check(a) >= thr)
      bb_arena_trim(a, BB_TOP_PAD);
  }
}

/* ----------------------------------------------------------- the top */

/* Insert chunk c at the front of the unsorted bin (bb_bin_insert_front:
 * a front that does not agree ends in bb_fatal). Its contract keeps only
 * what an insertion that returns has done: the proofs that use it then do
 * not carry the bin invariants. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkNode(c);
    assigns W(c + 1), W(c + 2), W(BinAt(a, BB_UNSORTED) + 1),
            W(Dec(a->k, BinAt(a, BB_UNSORTED) + 1) + 2), a->binmap[0];
    exits never: \false;
    ensures front: LinkTo(a->k, BinAt(a, BB_UNSORTED) + 1, c);
*/
static void put_unsorted(struct bb_arena *a, size_t c) {
  bb_bin_insert_front(a, BB_UNSORTED, c);
}

/* The old top of a full segment becomes an ordinary free chunk. Its
 * predecessor is never free (it would have merged into the top). */
#define OldTop(a) HSize(W((a)->top))
#define UnsortedFront(a) Dec((a)->k, BinAt(a, BB_UNSORTED) + 1)
/*@ requires arena: ArenaOk(a);
    requires segment: SegmentOk(a->top_seg);
    requires top: a->top_seg->first <= a->top <= a->top_seg->end &&
                  a->top % 2 == 1;
    requires accounting: Top(a->k, a->top, a->top_seg->end) ==>
                         a->binned <= SIZE_MAX - OldTop(a) &&
                         a->nbinned < SIZE_MAX;
    assigns W(a->top), W(a->top + OldTop(a) / 8 - 1), W(a->top + 1),
            W(a->top + 2), W(BinAt(a, BB_UNSORTED) + 1),
            W(UnsortedFront(a) + 2), a->binmap[0], a->binned, a->nbinned,
            a->top, a->top_seg;
    exits never: \false;
    behavior corrupt:
      assumes top: !Top(a->k, a->top, a->top_seg->end);
      ensures never_returns: \false;
    behavior retired:
      assumes top: Top(a->k, a->top, a->top_seg->end);
      ensures gone: a->top == 0 && a->top_seg == \null;
      ensures front: LinkTo(a->k, BinAt(a, BB_UNSORTED) + 1, \old(a->top));
      ensures footer: \old(UnsortedFront(a)) + 2 !=
                      \old(a->top + OldTop(a) / 8 - 1) ==>
                      BoundaryTag(a->k, \old(a->top), \old(OldTop(a)));
      ensures free: \old(UnsortedFront(a)) + 2 != \old(a->top) ==>
                    HeaderIs(a->k, \old(a->top), StUnsorted,
                             \old(OldTop(a)), 0);
      ensures accounting: a->binned - \old(a->binned) - \old(OldTop(a)) == 0 &&
                          a->nbinned - \old(a->nbinned) == 1;
    complete behaviors;
    disjoint behaviors;
*/
static void retire_top(struct bb_arena *a) {
  size_t t = a->top, ts = bb_top_check(a);
  bb_make_free(a, t, ts, BB_ST_UNSORTED, 0);
  put_unsorted(a, t);
  /*@ assert free: \let f = \at(UnsortedFront(a), Pre);
        (f + 2 != t + ts / 8 - 1 ==> BoundaryTag(a->k, t, ts)) &&
        (f + 2 != t ==> HeaderIs(a->k, t, StUnsorted, ts, 0)); */
  a->binned += ts;
  a->nbinned++;
  a->top = 0;
  a->top_seg = NULL;
  /*@ assert keys: a->k == \at(a->k, Pre) &&
                   a->k->mac0 - \at(a->k->mac0, Pre) == 0 &&
                   a->k->mac1 - \at(a->k->mac1, Pre) == 0 &&
                   a->k->link - \at(a->k->link, Pre) == 0; */
}

/* A new segment whose single chunk becomes the top (top_extend). */
/*@ requires arena: ArenaOk(a) && HeapOk(a->heap) && \separated(a, a->heap);
    requires size: nb <= MaxChunk;
    assigns Words(BB_VFIRST .. BB_VWORDS - 1), a->top, a->top_seg, a->segs,
            a->nsegs, a->system, a->heap->meta_lock, a->heap->meta_cur,
            a->heap->meta_end, a->heap->meta_blocks, a->heap->free_segs,
            a->heap->reg[0 .. (1 << BB_REG_L1_BITS) - 1],
            { *r | struct bb_segment *r; \separated(r, a) };
    exits never: \false;
    ensures result: \result == 0 || \result == -1;
    ensures segment: \result == 0 ==> a->top != 0 && TopSegment(a);
    ensures top: \result == 0 ==> ArenaTop(a);
    ensures room: \result == 0 ==> OldTop(a) >= nb + BB_MINSIZE;
    ensures span: \result == 0 ==> ChunkSpan(a->top, OldTop(a));
    ensures failed: \result == -1 ==> a->top - \old(a->top) == 0 &&
                                      a->top_seg == \old(a->top_seg);
*/
static int new_top(struct bb_arena *a, size_t nb) {
  struct bb_segment *s = bb_segment_new(a, nb + BB_MINSIZE);
  if (!s)
    return -1;
  /*@ assert made: \valid(s) && \separated(s, a) && \separated(s, a->k) &&
                   SegmentOk(s) && SegmentFence(s) && s->first % 2 == 1; */
  a->top = s->first;
  /*@ assert kept: \valid(s) && \separated(s, a) && \separated(s, a->k) &&
                   SegmentOk(s) && SegmentFence(s) && a->top % 2 == 1 &&
                   s->first <= a->top <= s->end; */
  a->top_seg = s;
  return 0;
}

/* Move the fence of segment s up by pad bytes, or failing that by need
 * bytes (grow_top): 0, or -1 when neither works (nothing changed below
 * the old fence). */
#define FenceAfter(s, bytes) (((s)->base + (s)->used + (bytes)) / 8 - 1)
/*@ requires arena: \valid(a) && \valid_read(a->k) && HeapOk(a->heap);
    requires segment: \valid(s) && \separated(s, a) && SegmentFence(s);
    requires bytes: pad % 16 == 0 && need % 16 == 0 && 16 <= need <= pad;
    assigns s->used, s->committed, s->end, a->system,
            W(FenceAfter(s, pad)), W(FenceAfter(s, need));
    exits never: \false;
    ensures result: \result == 0 || \result == -1;
    ensures grown: \result == 0 ==>
                   (s->used - \old(s->used) == pad ||
                    s->used - \old(s->used) == need) &&
                   SegmentFence(s) && HeaderIs(a->k, s->end, StFence, 0, 0);
    ensures failed: \result == -1 ==>
                    s->used - \old(s->used) == 0 &&
                    s->end - \old(s->end) == 0 &&
                    \old(s->end) < FenceAfter(s, need) &&
                    \old(s->end) < FenceAfter(s, pad);
*/
static int grow_fence(struct bb_arena *a, struct bb_segment *s, size_t pad,
                      size_t need) {
  if (bb_segment_grow(a, s, pad) == 0 || bb_segment_grow(a, s, need) == 0)
    return 0;
  return -1;
}

/* Grow the top to at least nb + MINSIZE bytes by moving its segment's
 * fence (top_extend): first by a TOP_PAD more, then by just what is
 * needed. -1: the segment cannot grow; the top is as it was. */
/*@ requires arena: ArenaOk(a) && HeapOk(a->heap);
    requires page: a->heap->ro->page % 16 == 0 &&
                   0 < a->heap->ro->page <= T36;
    requires size: nb % 16 == 0 && BB_MINSIZE <= nb <= MaxChunk;
    requires top: a->top != 0 && TopSegment(a);
    requires short: Top(a->k, a->top, a->top_seg->end) ==>
                    OldTop(a) < nb + BB_MINSIZE;
    assigns Words(BB_VFIRST .. BB_VWORDS - 1), a->top_seg->used,
            a->top_seg->committed, a->top_seg->end, a->system;
    exits never: \false;
    behavior corrupt:
      assumes top: !Top(a->k, a->top, a->top_seg->end);
      ensures never_returns: \false;
    behavior valid:
      assumes top: Top(a->k, a->top, a->top_seg->end);
      ensures result: \result == 0 || \result == -1;
      ensures segment: TopSegment(a);
      ensures top: Top(a->k, a->top, a->top_seg->end);
      ensures room: \result == 0 ==> OldTop(a) >= nb + BB_MINSIZE;
      ensures span: \result == 0 ==> ChunkSpan(a->top, OldTop(a));
      ensures failed: \result == -1 ==> OldTop(a) - \old(OldTop(a)) == 0;
    complete behaviors;
    disjoint behaviors;
*/
static int grow_top(struct bb_arena *a, size_t nb) {
  struct bb_heap *h = a->heap;
  size_t ts = bb_top_check(a);
  struct bb_segment *s = a->top_seg;
  size_t need = bb_round_page(h, nb + BB_MINSIZE - ts);
  size_t pad = bb_round_page(h, need + BB_TOP_PAD);
  /*@ assert sizes: a->top + ts / 8 == s->end && ts % 16 == 0 &&
                    need % 16 == 0 && pad % 16 == 0 &&
                    need + ts >= nb + BB_MINSIZE && pad >= need; */
  //@ ghost size_t used0 = s->used;
  //@ ghost size_t end0 = s->end;
  if (grow_fence(a, s, pad, need) == 0) {
    //@ assert fence_ok: HeaderIs(a->k, s->end, StFence, 0, 0);
    /*@ assert grown: \let d = s->used - used0;
                      (d == pad || d == need) && d % 16 == 0 && d >= need; */
    //@ assert fence: s->end == end0 + (s->used - used0) / 8;
    //@ assert same: a->top - \at(a->top, Pre) == 0;
    //@ assert room: s->end + 5 <= BB_VWORDS;
    /*@ assert words: \let d = s->used - used0;
                      s->end - a->top == ts / 8 + d / 8; */
    /*@ assert size: \let d = s->used - used0;
                     (s->end - a->top) * 8 == ts + d; */
    //@ assert big: (s->end - a->top) * 8 >= nb + BB_MINSIZE;
    //@ assert even: (s->end - a->top) * 8 % 16 == 0;
    bb_set_head(a->k, a->top, BB_ST_TOP, (s->end - a->top) * 8u, 0);
    //@ assert fence_kept: ChunkState(a->k, s->end, StFence);
    //@ assert segment: a->top_seg == s && TopSegment(a);
    //@ assert top: Top(a->k, a->top, a->top_seg->end);
    return 0;
  }
  /*@ assert words: W(a->top) - \at(W(a->top), Pre) == 0 &&
                   s->end - \at(a->top_seg->end, Pre) == 0 &&
                   W(s->end) - \at(W(a->top_seg->end), Pre) == 0; */
  /*@ assert keys: a->top_seg == s && a->k == \at(a->k, Pre) &&
                   a->k->mac0 - \at(a->k->mac0, Pre) == 0 &&
                   a->k->mac1 - \at(a->k->mac1, Pre) == 0; */
  //@ assert kept: Top(a->k, a->top, a->top_seg->end);
  return -1;
}

/* Make the top hold at least nb + MINSIZE bytes: commit more of its
 * segment, or start a new segment. Called when the top (if any) is
 * shorter than that. On failure the arena has no top: the old one, if
 * any, was retired into the unsorted bin. */
/*@ requires arena: ArenaOk(a) && HeapOk(a->heap) && \separated(a, a->heap);
    requires page: a->heap->ro->page % 16 == 0 &&
                   0 < a->heap->ro->page <= T36;
    requires size: nb % 16 == 0 && BB_MINSIZE <= nb <= MaxChunk;
    requires top: a->top != 0 ==> TopSegment(a);
    requires short: a->top != 0 && Top(a->k, a->top, a->top_seg->end) ==>
                    OldTop(a) < nb + BB_MINSIZE;
    requires accounting: a->top != 0 && Top(a->k, a->top, a->top_seg->end) ==>
                         a->binned <= SIZE_MAX - OldTop(a) &&
                         a->nbinned < SIZE_MAX;
    assigns Words(BB_VFIRST .. BB_VWORDS - 1), W(BinAt(a, BB_UNSORTED) + 1),
            W(UnsortedFront(a) + 2), a->binmap[0], a->binned, a->nbinned,
            a->top, a->top_seg, a->top_seg->used, a->top_seg->committed,
            a->top_seg->end, a->segs, a->nsegs, a->system,
            a->heap->meta_lock, a->heap->meta_cur, a->heap->meta_end,
            a->heap->meta_blocks, a->heap->free_segs,
            a->heap->reg[0 .. (1 << BB_REG_L1_BITS) - 1],
            { *r | struct bb_segment *r; \separated(r, a) };
    exits never: \false;
    behavior corrupt:
      assumes top: a->top != 0 && !Top(a->k, a->top, a->top_seg->end);
      ensures never_returns: \false;
    behavior extend:
      assumes top: a->top == 0 || Top(a->k, a->top, a->top_seg->end);
      ensures result: \result == 0 || \result == -1;
      ensures segment: \result == 0 ==> a->top != 0 && TopSegment(a);
      ensures top: \result == 0 ==> ArenaTop(a);
      ensures room: \result == 0 ==> OldTop(a) >= nb + BB_MINSIZE;
      ensures span: \result == 0 ==> ChunkSpan(a->top, OldTop(a));
      ensures failed: \result == -1 ==> a->top == 0;
    complete behaviors;
    disjoint behaviors;
*/

static int top_extend(struct bb_arena *a, size_t nb) {
  if (a->top) {
    /* Ghost, not \at(..., Pre): E-ACSL saves \at values on entry, where
     * a->top may be 0 and its header outside the word space. */
    //@ ghost size_t h0 = BB_W(a->top);
    if (grow_top(a, nb) == 0) {
      //@ assert grown: a->top != 0 && TopSegment(a) && ArenaTop(a);
      return 0;
    }
    /*@ assert sentinel: W(BinAt(a, BB_UNSORTED) + 1) -
                         \at(W(BinAt(a, BB_UNSORTED) + 1), Pre) == 0; */
    //@ assert front: UnsortedFront(a) - \at(UnsortedFront(a), Pre) == 0;
    //@ assert size: OldTop(a) - HSize(h0) == 0;
    //@ assert ends: a->top + OldTop(a) / 8 == a->top_seg->end;
    retire_top(a);
  }
  return new_top(a, nb);
}

static size_t from_top(struct bb_arena *a, size_t nb, size_t n) {
  if (!a->top)
    return 0;
  size_t ts = bb_top_check(a);
  if (ts < nb + BB_MINSIZE)
    return 0;
  return bb_top_carve(a, ts, nb, BB_ST_INUSE, slack_of(nb, n));
}

/* ------------------------------------------------------------ malloc */

/* Hand out free chunk c (already out of its bin) of `size` bytes for nb:
 * check it for writes after free, and split off the remainder into the
 * unsorted bin when it is big enough. */
static size_t use_chunk(struct bb_arena *a, size_t c, size_t size, size_t nb,
                        size_t n, int remember) {
  int zeroed = zeroed_flag(c);
  if (size - nb >= BB_MINSIZE) {
    if (zeroed)
      bb_zero_check(a->k, c, c + 1, c + nb / 8);
    size_t r = bb_split(a, c, size, nb, BB_ST_INUSE, slack_of(nb, n), zeroed);
    bb_bin_insert_front(a, BB_UNSORTED, r);
    a->binned += size - nb;
    a->nbinned++;
    if (remember)
      a->last_remainder = r;
  } else {
    claim(a, c, size, zeroed, size);
    bb_set_head(a->k, c, BB_ST_INUSE, size, slack_of(size, n));
  }
  return c;
}

static int unsorted_empty(struct bb_arena *a) {
  return bb_bin_first(a, BB_UNSORTED) == 0;
}

/* Sort the unsorted bin into the small and large bins, stopping at an
 * exact fit (or, for a small request, at the last remainder). */
static size_t sort_unsorted(struct bb_arena *a, size_t nb, size_t n,
                            struct bb_tctx *t) {
  int stashed = 0;
  size_t c;
  for (unsigned i = 0; i < BB_UNSORTED_MAX_ITERS &&
                       (c = bb_bin_take_last(a, BB_UNSORTED)) != 0;
       i++) {
    size_t size = bb_h_size(BB_W(c));
    a->binned -= size;
    a->nbinned--;
    if (nb < BB_MIN_LARGE && c == a->last_remainder &&
        size >= nb + BB_MINSIZE && unsorted_empty(a))
      return use_chunk(a, c, size, nb, n, 1);
    if (size == nb) {
      size_t cls = bb_tc_class(size);
      if (t && size <= BB_TCACHE_MAX_SIZE && t->count[cls] < t->limit) {
        to_tcache(a, t, c, size, cls);
        stashed = 1;
        continue;
      }
      return use_chunk(a, c, size, nb, n, 0);
    }
    bb_bin_put(a, c, size);
    a->binned += size;
    a->nbinned++;
  }
  return stashed ? BB_USE_TCACHE : 0;
}

static size_t large_best_fit(struct bb_arena *a, size_t nb, size_t n) {
  size_t x = bb_bin_best_fit(a, bb_bin_index(nb), nb);
  if (!x)
    return 0;
  size_t size = bb_h_size(BB_W(x));
  bb_bin_unlink(a, x);
  a->binned -= size;
  a->nbinned--;
  return use_chunk(a, x, size, nb, n, 0);
}

/* The smallest chunk of the first non-empty bin above nb's. */
static size_t from_larger_bin(struct bb_arena *a, size_t nb, size_t n) {
  size_t b = bb_bin_index(nb);
  while ((b = bb_binmap_next(a, b)) != 0) {
    size_t c = b < 64 ? bb_bin_take_last(a, b) : bb_bin_first(a, b);
    if (!c) {
      a->binmap[b / 64] &= ~((uint64_t)1 << (b % 64));
      continue;
    }
    if (b >= 64)
      bb_bin_unlink(a, c);
    size_t size = bb_h_size(BB_W(c));
    a->binned -= size;
    a->nbinned--;
    return use_chunk(a, c, size, nb, n, nb < BB_MIN_LARGE);
  }
  return 0;
}

size_t bb_arena_malloc(struct bb_arena *a, size_t nb, size_t n,
                       struct bb_tctx *t, int may_map) {
  size_t c;
  if (nb <= BB_FAST_MAX_SIZE && (c = fast_pop(a, nb / 16 - 2)) != 0) {
    stash_fast(a, t, nb / 16 - 2, nb);
    bb_set_head(a->k, c, BB_ST_INUSE, nb, slack_of(nb, n));
    return c;
  }
  if (nb < BB_MIN_LARGE) {
    if ((c = bb_bin_take_last(a, nb / 16)) != 0) {
      a->binned -= nb;
      a->nbinned--;
      use_chunk(a, c, nb, nb, n, 0);
      stash_small(a, t, nb / 16, nb);
      return c;
    }
  } else if (a->nfastc) {
    bb_arena_consolidate(a);
  }
  for (;;) {
    if ((c = sort_unsorted(a, nb, n, t)) != 0)
      return c;
    if (nb >= BB_MIN_LARGE && (c = large_best_fit(a, nb, n)) != 0)
      return c;
    if ((c = from_larger_bin(a, nb, n)) != 0)
      return c;
    if ((c = from_top(a, nb, n)) != 0)
      return c;
    if (a->nfastc) {
      bb_arena_consolidate(a);
      continue;
    }
    if (may_map &&
        nb >= __atomic_load_n(&a->heap->mmap_threshold, __ATOMIC_RELAXED))
      return BB_USE_MAP;
    if (top_extend(a, nb) != 0)
      return 0;
    return from_top(a, nb, n);
  }
}

/* ------------------------------------------------- aligned and realloc */

/* A chunk of at least nb bytes whose memory is aligned to `align` (a power
 * of two above 16). The caller checked that nb + align + MINSIZE fits. */
size_t bb_arena_memalign(struct bb_arena *a, size_t align, size_t nb,
                         size_t n) {
  size_t req = nb + align + BB_MINSIZE;
  size_t c = bb_arena_malloc(a, req, req - BB_WORD, NULL, 0);
  if (!c)
    return 0;
  struct bb_segment *s = bb_segment_of(a->heap, (uintptr_t)c * 8u);
  size_t size = bb_h_size(BB_W(c));
  size_t mem = (c + 1) * 8;
  if (mem % align != 0) {
    size_t am = mem + (align - mem % align);
    if (am - mem < BB_MINSIZE)
      am += align;
    size_t ac = am / 8 - 1, lead = am - mem;
    bb_set_head(a->k, ac, BB_ST_INUSE, size - lead, 0);
    place_free(a, s, c, lead, 0);
    c = ac;
    size -= lead;
  }
  if (size - nb >= BB_MINSIZE) {
    size_t r = bb_split(a, c, size, nb, BB_ST_INUSE, slack_of(nb, n), 0);
    place_free(a, s, r, size - nb, 0);
  } else {
    bb_set_head(a->k, c, BB_ST_INUSE, size, slack_of(size, n));
  }
  return c;
}

/* Grow in-use chunk c (size bytes) to nb in place, from a free successor
 * or the top. Returns 1 on success. */
int bb_arena_grow_in_place(struct bb_arena *a, struct bb_segment *s, size_t c,
                           size_t size, size_t nb, size_t n) {
  (void)s;
  size_t nx = c + size / 8;
  size_t hn = bb_check_head(a->k, nx, BB_ST_INVALID, NULL);
  size_t st = bb_h_state(hn), ns = bb_h_size(hn);
  if (st == BB_ST_TOP) {
    if (nx != a->top)
      bb_fatal("corrupted top chunk", bb_chunk2mem(nx));
    ns = bb_top_check(a);
    if (size + ns < nb + BB_MINSIZE)
      return 0;
    bb_bury(a->k, nx);
    a->top = c + nb / 8;
    bb_set_head(a->k, a->top, BB_ST_TOP, size + ns - nb, 0);
    bb_set_head(a->k, c, BB_ST_INUSE, nb, slack_of(nb, n));
    return 1;
  }
  if (!BB_IS_BINNED(st) || size + ns < nb)
    return 0;
  int zeroed = zeroed_flag(nx);
  bb_bin_unlink(a, nx);
  a->binned -= ns;
  a->nbinned--;
  claim(a, nx, ns, zeroed, ns); /* the user gets its words: check them */
  bb_bury(a->k, nx);
  size += ns;
  if (size - nb >= BB_MINSIZE) {
    size_t r = bb_split(a, c, size, nb, BB_ST_INUSE, slack_of(nb, n), zeroed);
    bb_bin_insert_front(a, BB_UNSORTED, r);
    a->binned += size - nb;
    a->nbinned++;
  } else {
    bb_set_head(a->k, c, BB_ST_INUSE, size, slack_of(size, n));
  }
  return 1;
}

/* Shrink in-use chunk c to nb, freeing the tail (>= MINSIZE), zeroed
 * like any freed memory. */
void bb_arena_shrink(struct bb_arena *a, struct bb_segment *s, size_t c,
                     size_t size, size_t nb, size_t n) {
  int zeroed = zeroing(a, size - nb);
  if (zeroed)
    bb_zero_words(c + nb / 8 + 1, c + size / 8);
  size_t r = bb_split(a, c, size, nb, BB_ST_INUSE, slack_of(nb, n), zeroed);
  place_free(a, s, r, size - nb, zeroed);
}
