/* chunk.c: split, coalesce and the top chunk, on word indices. The caller
 * holds the arena lock. Every header read here is checked first; a header
 * that fails its check ends in bb_fatal, before anything is written.
 * Invariants: INV-CHUNK-HEADER, INV-BOUNDARY-TAG, INV-NO-ADJACENT-FREE,
 * INV-TOP. Contracts: the logic is in specs/chunk.acsl; the verify target
 * proves them. */
#include "internal.h"

/* The header of chunk c, which the caller has no reason to doubt (it
 * reached c by walking sizes); a failed check is heap corruption. */
/*@ requires keys: \valid_read(k);
    requires word: Word(c);
    requires state: state < 16;
    assigns \nothing;
    exits never: \false;
    behavior valid:
      assumes check: HeaderCheck(k, c, W(c)) &&
                     (state == StInvalid || HState(W(c)) == state);
      ensures header: \result == W(c);
    behavior corrupt:
      assumes check: !(HeaderCheck(k, c, W(c)) &&
                       (state == StInvalid || HState(W(c)) == state));
      ensures never_returns: \false;
    complete behaviors;
    disjoint behaviors;
*/
size_t bb_check_head(const struct bb_keys *k, size_t c, size_t state,
                     const char *what) {
  size_t h = bb_peek(c);
  if (bb_unlikely(!bb_h_ok(k, c, h)))
    bb_fatal("corrupted chunk header", bb_chunk2mem(c));
  if (bb_unlikely(state != BB_ST_INVALID && bb_h_state(h) != state))
    bb_fatal(what, bb_chunk2mem(c));
  return h;
}

/* Make c a free chunk of `size` bytes in `state` (BIN or UNSORTED):
 * header, then the footer that lets the next chunk find it. `zeroed`
 * (kept in the slack field, unused while free) says every other word is
 * zero or a tombstone: zero-on-free checks it when the chunk is reused. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkSpan(c, size);
    requires state: Binned(state);
    assigns W(c), W(c + size / 8 - 1);
    exits never: \false;
    ensures header: HeaderIs(a->k, c, state, size, zeroed != 0 ? 1 : 0);
    ensures footer: BoundaryTag(a->k, c, size);
*/
void bb_make_free(struct bb_arena *a, size_t c, size_t size, size_t state,
                  int zeroed) {
  size_t f = c + size / 8 - 1;
  bb_set_head(a->k, c, state, size, zeroed ? 1 : 0);
  BB_W(f) = bb_link_enc(a->k, f, size);
}

/* INV-BOUNDARY-TAG: the chunk before c is free exactly when word c-1
 * decodes to a size f and the header at c - f/8 is a valid free (binned)
 * header of size f. Returns that chunk, or 0. */
/*@ requires arena: ArenaOk(a);
    requires segment: SegmentOk(s);
    requires chunk: s->first <= c <= s->end;
    assigns \nothing;
    exits never: \false;
    behavior free_prev:
      assumes prev: PrevFree(a->k, s, c);
      ensures prev: \result == c - Dec(a->k, c - 1) / 8;
      ensures binned: HeaderCheck(a->k, \result, W(\result)) &&
                      Binned(HState(W(\result)));
      ensures tiles: \result + HSize(W(\result)) / 8 == c;
      ensures tag: BoundaryTag(a->k, \result, HSize(W(\result)));
      ensures within: s->first <= \result && \result != 0;
    behavior none:
      assumes prev: !PrevFree(a->k, s, c);
      ensures none: \result == 0;
    complete behaviors;
    disjoint behaviors;
*/
size_t bb_prev_free(struct bb_arena *a, struct bb_segment *s, size_t c) {
  size_t f;
  if (c <= s->first || bb_link_dec_word(a->k, c - 1, bb_peek(c - 1), &f) != 0)
    return 0;
  if (f % BB_ALIGN != 0 || f < BB_MINSIZE || f / 8 > c - s->first)
    return 0;
  size_t p = c - f / 8, h = BB_W(p);
  if (!bb_h_ok(a->k, p, h) || !BB_IS_BINNED(bb_h_state(h)) ||
      bb_h_size(h) != f)
    return 0;
  return p;
}

/* The words bb_bin_unlink may write when it unlinks chunk c: bins.c's
 * UnlinkWords (its four links and the links of its bin and ring
 * neighbours that point at it), repeated here for unbin's assigns. */
#define UnbinWords(k, c)                                                   \
  W((c) + 1), W((c) + 2), W((c) + 3), W((c) + 4),                          \
      W(Dec(k, (c) + 1) + 2), W(Dec(k, (c) + 2) + 1),                      \
      W(Dec(k, (c) + 1) + 3), W(Dec(k, (c) + 1) + 4),                      \
      W(Dec(k, (c) + 3) + 4), W(Dec(k, (c) + 4) + 3)

/* Unlink binned chunk c from its bin (bb_bin_unlink: links that do not
 * agree end in bb_fatal). Its contract keeps what an unlink that returns
 * has done, and nothing of the link checks: the callers' proofs then do
 * not carry the bin invariants they do not use. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkNode(c);
    assigns UnbinWords(a->k, c);
    exits never: \false;
    ensures cleared: W(c + 1) == 0 && W(c + 2) == 0;
    ensures bridged: \old(Dec(a->k, c + 1)) != c ==>
                     Adjacent(a->k, \old(Dec(a->k, c + 2)),
                              \old(Dec(a->k, c + 1)));
*/
BB_INLINE void unlink_merged(struct bb_arena *a, size_t c) {
  bb_bin_unlink(a, c);
}

/* What unbin(a, c, size) promises, and merge_binned after it: c's zeroed
 * flag returned, c a tombstone, its links and footer cleared, its bin
 * neighbours joined, the accounting down by one chunk of `size` bytes. */
#define UnbinEnsures(a, c, size)                                           \
  ensures zeroed: \result - (HSlack(\old(W(c))) == 1 ? 1 : 0) == 0;        \
  ensures buried: HeaderIs((a)->k, c, StDead, 0, 0);                       \
  ensures cleared: W((c) + 1) == 0 && W((c) + 2) == 0 &&                   \
                   W((c) + (size) / 8 - 1) == 0;                           \
  ensures bridged: \let f = \old(Dec((a)->k, (c) + 1));                    \
                   \let b = \old(Dec((a)->k, (c) + 2));                    \
                   f != (c) && b + 1 != (c) &&                             \
                   b + 1 != (c) + (size) / 8 - 1 && f + 2 != (c) &&        \
                   f + 2 != (c) + (size) / 8 - 1 ==>                       \
                   Adjacent((a)->k, b, f);                                 \
  ensures accounting: \old((a)->binned) - (a)->binned == (size) &&         \
                      \old((a)->nbinned) - (a)->nbinned == 1;

/* Take neighbour c out of its bin to merge it; returns its zeroed flag.
 * Its header becomes a tombstone and its footer is cleared: no valid free
 * header or footer stays inside a merged chunk. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkNode(c);
    requires size: size == HSize(W(c)) && c + size / 8 <= BB_VWORDS;
    requires accounting: size <= a->binned && 1 <= a->nbinned;
    assigns UnbinWords(a->k, c), W(c), W(c + size / 8 - 1), a->binned,
            a->nbinned;
    exits never: \false;
    UnbinEnsures(a, c, size)
*/
static int unbin(struct bb_arena *a, size_t c, size_t size) {
  int zeroed = bb_h_slack(BB_W(c)) == 1;
  unlink_merged(a, c);
  a->binned -= size;
  a->nbinned--;
  bb_bury(a->k, c);
  BB_W(c + size / 8 - 1) = 0;
  return zeroed;
}

/* INV-TOP: the top is a valid TOP header that ends exactly at its
 * segment's fence, and the fence is valid. Checked at every use. */
/*@ requires arena: ArenaOk(a);
    requires segment: SegmentOk(a->top_seg);
    requires top: a->top_seg->first <= a->top <= a->top_seg->end;
    assigns \nothing;
    exits never: \false;
    behavior valid:
      assumes top: Top(a->k, a->top, a->top_seg->end);
      ensures size: \result == HSize(W(a->top));
      ensures ends: a->top + \result / 8 == a->top_seg->end;
      ensures min: \result >= BB_MINSIZE;
    behavior corrupt:
      assumes top: !Top(a->k, a->top, a->top_seg->end);
      ensures never_returns: \false;
    complete behaviors;
    disjoint behaviors;
*/
size_t bb_top_check(struct bb_arena *a) {
  size_t t = a->top, h = BB_W(t);
  struct bb_segment *s = a->top_seg;
  if (!bb_h_ok(a->k, t, h) || bb_h_state(h) != BB_ST_TOP ||
      bb_h_size(h) < BB_MINSIZE || t < s->first ||
      bb_h_size(h) / 8 != s->end - t)
    bb_fatal("corrupted top chunk", bb_chunk2mem(t));
  size_t fh = BB_W(s->end);
  if (!bb_h_ok(a->k, s->end, fh) || bb_h_state(fh) != BB_ST_FENCE)
    bb_fatal("corrupted top chunk", bb_chunk2mem(s->end));
  return bb_h_size(h);
}

/* Binned chunk n of ns bytes (header checked) merges into the chunk that
 * ends at it: that chunk's own footer, word n-1, is cleared (it is now
 * inside), then n leaves its bin (unbin). Returns n's zeroed flag. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkNode(n) && BB_VFIRST < n;
    requires size: ns == HSize(W(n)) && n + ns / 8 <= BB_VWORDS;
    requires accounting: ns <= a->binned && 1 <= a->nbinned;
    assigns W(n - 1), UnbinWords(a->k, n), W(n), W(n + ns / 8 - 1),
            a->binned, a->nbinned;
    exits never: \false;
    UnbinEnsures(a, n, ns)
*/
BB_INLINE int merge_binned(struct bb_arena *a, size_t n, size_t ns) {
  BB_W(n - 1) = 0;
  /*@ assert links: Dec(a->k, n + 1) - \at(Dec(a->k, n + 1), Pre) == 0 &&
                    Dec(a->k, n + 2) - \at(Dec(a->k, n + 2), Pre) == 0 &&
                    Dec(a->k, n + 3) - \at(Dec(a->k, n + 3), Pre) == 0 &&
                    Dec(a->k, n + 4) - \at(Dec(a->k, n + 4), Pre) == 0; */
  return unbin(a, n, ns);
}

/* The next-chunk side of bb_coalesce: chunk c of `size` bytes (free, its
 * header not yet written) and its successor n = c + size/8, whose header
 * is checked. When n is the top, c becomes the top (TOP header written,
 * *into_top set); when n is binned, it leaves its bin and is merged
 * (*zeroed keeps its flag); otherwise nothing merges. Returns the merged
 * size. In both merges c's own footer, word n-1, is cleared first. The
 * size of a binned n is trusted as its authenticated header says (the
 * requires `next`: INV-SEGMENT-TILING); a TOP n is checked against its
 * segment (bb_top_check). */
#define Nx(c, size) ((c) + (size) / 8)
#define NxSize(c, size) HSize(W(Nx(c, size)))
/*@ requires arena: ArenaOk(a);
    requires segment: SegmentOk(s) && s->first <= c && Nx(c, size) <= s->end;
    requires chunk: ChunkSpan(c, size);
    requires top: a->top != 0 ==>
                  SegmentOk(a->top_seg) &&
                  a->top_seg->first <= a->top <= a->top_seg->end &&
                  \separated(a->top_seg, a) &&
                  \separated(a->top_seg, zeroed) &&
                  \separated(a->top_seg, into_top);
    requires out: \valid(zeroed) && \valid(into_top) &&
                  \separated(zeroed, into_top, a, a->k);
    requires next: HeaderCheck(a->k, Nx(c, size), W(Nx(c, size))) &&
                   Binned(HState(W(Nx(c, size)))) ==>
                   Nx(c, size) + NxSize(c, size) / 8 <= s->end;
    requires accounting: HeaderCheck(a->k, Nx(c, size), W(Nx(c, size))) &&
                         Binned(HState(W(Nx(c, size)))) ==>
                         NxSize(c, size) <= a->binned && 1 <= a->nbinned;
    assigns W(Nx(c, size) - 1), W(Nx(c, size)), W(c),
            W(Nx(c, size) + NxSize(c, size) / 8 - 1),
            UnbinWords(a->k, Nx(c, size)), a->top, a->binned, a->nbinned,
            *zeroed, *into_top;
    exits never: \false;
    behavior corrupt:
      assumes next: !HeaderCheck(a->k, Nx(c, size), W(Nx(c, size)));
      ensures never_returns: \false;
    behavior corrupt_top:
      assumes next: HeaderCheck(a->k, Nx(c, size), W(Nx(c, size))) &&
                    HState(W(Nx(c, size))) == StTop;
      assumes top: !(Nx(c, size) == a->top &&
                     Top(a->k, Nx(c, size), a->top_seg->end));
      ensures never_returns: \false;
    behavior into_top:
      assumes next: HeaderCheck(a->k, Nx(c, size), W(Nx(c, size))) &&
                    HState(W(Nx(c, size))) == StTop;
      assumes top: Nx(c, size) == a->top &&
                   Top(a->k, Nx(c, size), a->top_seg->end);
      ensures size: \result - size - \old(NxSize(c, size)) == 0;
      ensures top: a->top == c && HeaderIs(a->k, c, StTop, \result, 0) &&
                   Top(a->k, a->top, a->top_seg->end);
      ensures ends: c + \result / 8 == a->top_seg->end;
      ensures buried: HeaderIs(a->k, Nx(c, size), StDead, 0, 0);
      ensures footer: W(Nx(c, size) - 1) == 0;
      ensures flag: *into_top == 1 && *zeroed - \old(*zeroed) == 0;
    behavior binned:
      assumes next: HeaderCheck(a->k, Nx(c, size), W(Nx(c, size))) &&
                    Binned(HState(W(Nx(c, size))));
      ensures size: \result - size - \old(NxSize(c, size)) == 0;
      ensures tiles: c + \result / 8 - Nx(c, size) -
                     \old(NxSize(c, size)) / 8 == 0;
      ensures zeroed: *zeroed - (\old(*zeroed) &
                                 (HSlack(\old(W(Nx(c, size)))) == 1 ? 1 : 0)) == 0;
      ensures buried: HeaderIs(a->k, Nx(c, size), StDead, 0, 0);
      ensures cleared: W(Nx(c, size) + 1) == 0 && W(Nx(c, size) + 2) == 0 &&
                       W(Nx(c, size) + \old(NxSize(c, size)) / 8 - 1) == 0;
      ensures accounting: \old(a->binned) - a->binned -
                          \old(NxSize(c, size)) == 0 &&
                          \old(a->nbinned) - a->nbinned == 1;
      ensures flag: *into_top - \old(*into_top) == 0;
    behavior in_use:
      assumes next: HeaderCheck(a->k, Nx(c, size), W(Nx(c, size))) &&
                    HState(W(Nx(c, size))) != StTop &&
                    !Binned(HState(W(Nx(c, size))));
      ensures size: \result - size == 0;
      ensures flags: *zeroed - \old(*zeroed) == 0 &&
                     *into_top - \old(*into_top) == 0;
    complete behaviors;
    disjoint behaviors;
*/
BB_INLINE size_t coalesce_next(struct bb_arena *a, struct bb_segment *s,
                               size_t c, size_t size, int *zeroed,
                               int *into_top) {
  (void)s; /* the contract's: the segment that holds c */
  size_t n = c + size / 8;
  size_t hn = bb_check_head(a->k, n, BB_ST_INVALID, NULL);
  size_t st = bb_h_state(hn);
  if (st == BB_ST_TOP) {
    BB_W(n - 1) = 0; /* c's own footer, if it had one, is now inside */
    if (n != a->top)
      bb_fatal("corrupted top chunk", bb_chunk2mem(n));
    size_t ts = bb_top_check(a);
    bb_bury(a->k, n);
    size += ts;
    a->top = c;
    bb_set_head(a->k, c, BB_ST_TOP, size, 0);
    *into_top = 1;
  } else if (BB_IS_BINNED(st)) {
    size_t ns = bb_h_size(hn);
    *zeroed &= merge_binned(a, n, ns);
    size += ns;
  }
  return size;
}

/* The previous-chunk side of bb_coalesce: free chunk p, which ends where
 * chunk c (*size bytes, header not yet written) starts, leaves its bin
 * (unbin) and absorbs c, whose header becomes a tombstone. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkSpan(c, *size);
    requires prev: ChunkNode(p) && p + HSize(W(p)) / 8 == c &&
                   BB_MINSIZE <= HSize(W(p));
    requires out: \valid(size) && \valid(zeroed) &&
                  \separated(size, zeroed, a, a->k);
    requires accounting: HSize(W(p)) <= a->binned && 1 <= a->nbinned;
    assigns UnbinWords(a->k, p), W(p), W(c - 1), W(c), a->binned,
            a->nbinned, *size, *zeroed;
    exits never: \false;
    ensures size: *size - \old(*size + HSize(W(p))) == 0;
    ensures tiles: p + *size / 8 - c - \old(*size) / 8 == 0;
    ensures span: ChunkSpan(p, *size);
    ensures buried: HeaderIs(a->k, c, StDead, 0, 0);
    ensures zeroed: HSlack(\old(W(p))) != 1 ==> *zeroed == 0;
    ensures accounting: a->binned - \old(a->binned - HSize(W(p))) == 0 &&
                        \old(a->nbinned) - a->nbinned == 1;
*/
BB_INLINE void coalesce_prev(struct bb_arena *a, size_t p, size_t c,
                             size_t *size, int *zeroed) {
  size_t ps = bb_h_size(BB_W(p));
  /*@ assert sum: ps / 8 == c - p && (*size + ps) % 16 == 0 &&
                  (*size + ps) / 8 == *size / 8 + ps / 8 && *size + ps < T36; */
  *zeroed &= unbin(a, p, ps);
  bb_bury(a->k, c);
  *size += ps;
}

/* Merge free chunk c (header not yet written) of *size bytes with its
 * free neighbours. Returns the start of the merged chunk and updates
 * *size and *zeroed (true only if every part was zeroed); sets *into_top
 * when the result became the top chunk (its TOP header is then written).
 * The contract speaks of the next chunk n = c + *size/8 as it is on
 * entry: the requires `apart` says that taking the previous chunk out of
 * its bin does not rewrite n's header or the top's fence (the links it
 * rewrites are those of its bin neighbours, free chunks or sentinels). */
#define PrevAt(a, c) ((c) - Dec((a)->k, (c) - 1) / 8)
/* r is the start of the merged chunk and m its size, when the part of
 * it from c on is x bytes; the previous chunk, c and x are those of state
 * L (the entry). Differences compared with 0: E-ACSL 25 cannot compare a
 * C value with a saved \at value (see BB_ChunkSpan, specs/chunk.acsl). */
#define MergedIs(L, a, s, c, r, m, x)                                      \
  ((\at(PrevFree((a)->k, s, c), L) ==>                                     \
      (r) - \at(PrevAt(a, c), L) == 0 &&                                   \
      (m) - \at(Dec((a)->k, (c) - 1) + (x), L) == 0) &&                    \
   (!\at(PrevFree((a)->k, s, c), L) ==>                                    \
      (r) - \at(c, L) == 0 && (m) - \at(x, L) == 0))
#define NotNext(a, w, n)                                                   \
  ((w) != (n) && ((a)->top != 0 ==> (w) != (a)->top_seg->end))
#define PrevApart(a, p, n)                                                 \
  (NotNext(a, Dec((a)->k, (p) + 1) + 2, n) &&                              \
   NotNext(a, Dec((a)->k, (p) + 2) + 1, n) &&                              \
   NotNext(a, Dec((a)->k, (p) + 1) + 3, n) &&                              \
   NotNext(a, Dec((a)->k, (p) + 1) + 4, n) &&                              \
   NotNext(a, Dec((a)->k, (p) + 3) + 4, n) &&                              \
   NotNext(a, Dec((a)->k, (p) + 4) + 3, n))
#define NextOk(a, n) HeaderCheck((a)->k, n, W(n))
#define NextBinned(a, n) (NextOk(a, n) && Binned(HState(W(n))))
/*@ requires arena: ArenaOk(a);
    requires segment: SegmentOk(s) && s->first <= c &&
                      Nx(c, *size) <= s->end;
    requires chunk: ChunkSpan(c, *size);
    requires top: a->top != 0 ==>
                  SegmentOk(a->top_seg) &&
                  a->top_seg->first <= a->top <= a->top_seg->end &&
                  \separated(a->top_seg, a) &&
                  \separated(a->top_seg, size, zeroed, into_top);
    requires out: \valid(size) && \valid(zeroed) && \valid(into_top) &&
                  \separated(size, zeroed, into_top, a, a->k, s) &&
                  \separated(a, s);
    requires next: NextBinned(a, Nx(c, *size)) ==>
                   Nx(c, *size) + HSize(W(Nx(c, *size))) / 8 <= s->end;
    requires accounting:
      (PrevFree(a->k, s, c) ==>
         Dec(a->k, c - 1) <= a->binned && 1 <= a->nbinned) &&
      (NextBinned(a, Nx(c, *size)) ==>
         HSize(W(Nx(c, *size))) <= a->binned && 1 <= a->nbinned) &&
      (PrevFree(a->k, s, c) && NextBinned(a, Nx(c, *size)) ==>
         Dec(a->k, c - 1) + HSize(W(Nx(c, *size))) <= a->binned &&
         2 <= a->nbinned);
    requires apart: PrevFree(a->k, s, c) ==>
                    PrevApart(a, PrevAt(a, c), Nx(c, *size));
    assigns Words(0 .. BB_VWORDS - 1), a->top, a->binned, a->nbinned, *size,
            *zeroed, *into_top;
    exits never: \false;
    behavior corrupt:
      assumes next: !NextOk(a, Nx(c, *size));
      ensures never_returns: \false;
    behavior corrupt_top:
      assumes next: NextOk(a, Nx(c, *size)) &&
                    HState(W(Nx(c, *size))) == StTop;
      assumes top: !(Nx(c, *size) == a->top &&
                     Top(a->k, Nx(c, *size), a->top_seg->end));
      ensures never_returns: \false;
    behavior into_top:
      assumes next: NextOk(a, Nx(c, *size)) &&
                    HState(W(Nx(c, *size))) == StTop;
      assumes top: Nx(c, *size) == a->top &&
                   Top(a->k, Nx(c, *size), a->top_seg->end);
      ensures merged: MergedIs(Old, a, s, c, \result, *size,
                               *size + HSize(W(Nx(c, *size))));
      ensures top: a->top == \result &&
                   HeaderIs(a->k, \result, StTop, *size, 0);
      ensures valid: Top(a->k, a->top, a->top_seg->end);
      ensures ends: \result + *size / 8 == a->top_seg->end;
      ensures flag: *into_top == 1;
    behavior binned:
      assumes next: NextBinned(a, Nx(c, *size));
      ensures merged: MergedIs(Old, a, s, c, \result, *size,
                               *size + HSize(W(Nx(c, *size))));
      ensures tiles: \result + *size / 8 -
                     \old(Nx(c, *size) + HSize(W(Nx(c, *size))) / 8) == 0;
      ensures buried: HeaderIs(a->k, \old(Nx(c, *size)), StDead, 0, 0);
      ensures zeroed: HSlack(\old(W(Nx(c, *size)))) != 1 ==> *zeroed == 0;
      ensures flag: *into_top == 0;
    behavior in_use:
      assumes next: NextOk(a, Nx(c, *size)) &&
                    HState(W(Nx(c, *size))) != StTop &&
                    !Binned(HState(W(Nx(c, *size))));
      ensures merged: MergedIs(Old, a, s, c, \result, *size, *size);
      ensures tiles: \result + *size / 8 - \old(Nx(c, *size)) == 0;
      ensures flag: *into_top == 0;
    complete behaviors;
    disjoint behaviors;
*/
size_t bb_coalesce(struct bb_arena *a, struct bb_segment *s, size_t c,
                   size_t *size, int *zeroed, int *into_top) {
  //@ ghost size_t n = c + *size / 8;
  //@ ghost size_t wn = BB_W(n);
  /* The top's fence on entry, when there is a top. Not \at(..., Pre):
   * E-ACSL saves \at values on entry, and places the checks of a
   * statement's memory accesses before it, even inside a branch, where
   * a->top_seg may be NULL; ts is a valid segment on every path. */
  //@ ghost struct bb_segment *ts = a->top != 0 ? a->top_seg : s;
  //@ ghost size_t end0 = ts->end;
  //@ ghost size_t wend = BB_W(ts->end);
  /*@ assert fence0: a->top != 0 ==> end0 == a->top_seg->end &&
                                     wend == W(a->top_seg->end); */
  //@ assert next: c + 4 <= n && n <= s->end && wn == W(n);
  *into_top = 0;
  size_t p = bb_prev_free(a, s, c);
#if BB_PLANT_BUG == 2 /* mutation check: no backward coalescing */
  p = 0;
#endif
  if (p) {
    /*@ assert prev: PrevFree(a->k, s, c) && p == PrevAt(a, c) &&
                     p + HSize(W(p)) / 8 == c && p + 4 <= c &&
                     PrevApart(a, p, n); */
    coalesce_prev(a, p, c, size, zeroed);
    //@ assert unbinned: W(n) == wn;
    //@ assert fence: a->top != 0 && n <= a->top_seg->end ==> W(a->top_seg->end) == wend;
    c = p;
  }
  //@ assert next_kept: c + *size / 8 == n && W(n) == wn;
  /*@ assert top: a->top - \at(a->top, Pre) == 0 &&
                  a->top_seg == \at(a->top_seg, Pre) &&
                  (a->top != 0 ==> a->top_seg->end - end0 == 0) &&
                  (a->top != 0 && n <= a->top_seg->end ==> W(a->top_seg->end) == wend); */
  /*@ assert keys: a->k == \at(a->k, Pre) &&
                   a->k->mac0 - \at(a->k->mac0, Pre) == 0 &&
                   a->k->mac1 - \at(a->k->mac1, Pre) == 0 &&
                   a->k->link - \at(a->k->link, Pre) == 0 && *into_top == 0; */
  //@ assert merged: MergedIs(Pre, a, s, c, c, *size, *size);
  /*@ assert accounting: NextBinned(a, n) ==>
                         HSize(W(n)) <= a->binned && 1 <= a->nbinned; */
  *size = coalesce_next(a, s, c, *size, zeroed, into_top);
  return c;
}

/* Split the start of free-or-being-allocated chunk c (size bytes) into a
 * chunk of nb bytes in state `state` with `slack`, and return the
 * remainder, which becomes a free UNSORTED chunk (header and footer) with
 * the zeroed flag given. The caller links the remainder into a bin.
 * Needs size >= nb + MINSIZE. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkSpan(c, size);
    requires split: nb % 16 == 0 && BB_MINSIZE <= nb && nb + BB_MINSIZE <= size;
    requires state: state < 16;
    requires slack: slack <= BB_MAX_SLACK;
    assigns W(c), W(c + nb / 8), W(c + size / 8 - 1);
    exits never: \false;
    ensures rest: \result == c + nb / 8;
    ensures head: HeaderIs(a->k, c, state, nb, slack);
    ensures free: HeaderIs(a->k, \result, StUnsorted, size - nb,
                           zeroed != 0 ? 1 : 0);
    ensures footer: BoundaryTag(a->k, \result, size - nb);
    ensures tiles: SegmentTiling(a->k, c, nb, \result, size - nb);
    ensures spans: ChunkSpan(c, nb) && ChunkSpan(\result, size - nb) &&
                   \result + (size - nb) / 8 == c + size / 8;
*/
size_t bb_split(struct bb_arena *a, size_t c, size_t size, size_t nb,
                size_t state, size_t slack, int zeroed) {
  size_t r = c + nb / 8;
#if BB_PLANT_BUG == 1 /* mutation check: the remainder starts 16 bytes early */
  r -= 2;
  size += 16;
#endif
  bb_set_head(a->k, c, state, nb, slack);
  bb_make_free(a, r, size - nb, BB_ST_UNSORTED, zeroed);
  return r;
}

/* Carve nb bytes from the start of the top (checked by the caller, with
 * top size >= nb + MINSIZE): the chunk gets `state`/`slack`, the top
 * moves up. */
/*@ requires arena: ArenaOk(a);
    requires top: ChunkSpan(a->top, tsize);
    requires carve: nb % 16 == 0 && BB_MINSIZE <= nb && nb + BB_MINSIZE <= tsize;
    requires state: state < 16;
    requires slack: slack <= BB_MAX_SLACK;
    assigns W(a->top), W(a->top + nb / 8), a->top;
    exits never: \false;
    ensures carved: \result == \old(a->top) &&
                    HeaderIs(a->k, \result, state, nb, slack);
    ensures top: a->top == \result + nb / 8 &&
                 HeaderIs(a->k, a->top, StTop, tsize - nb, 0);
    ensures tiles: SegmentTiling(a->k, \result, nb, a->top, tsize - nb);
    ensures end: a->top + (tsize - nb) / 8 == \old(a->top) + tsize / 8;
*/
size_t bb_top_carve(struct bb_arena *a, size_t tsize, size_t nb, size_t state,
                    size_t slack) {
  size_t t = a->top, nt = t + nb / 8;
  bb_set_head(a->k, nt, BB_ST_TOP, tsize - nb, 0);
  bb_set_head(a->k, t, state, nb, slack);
  a->top = nt;
  return t;
}
