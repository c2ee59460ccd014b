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

/* Take neighbour c out of its bin to merge it; returns its zeroed flag.
 * Its header becomes a tombstone and its footer is cleared: no valid free
 * header or footer stays inside a merged chunk. */
static int unbin(struct bb_arena *a, size_t c, size_t size) {
  int zeroed = bb_h_slack(BB_W(c)) == 1;
  bb_bin_unlink(a, c);
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

/* Merge free chunk c (header not yet written) of *size bytes with its
 * free neighbours. Returns the start of the merged chunk and updates
 * *size and *zeroed (true only if every part was zeroed); sets *into_top
 * when the result became the top chunk (its TOP header is then written). */
size_t bb_coalesce(struct bb_arena *a, struct bb_segment *s, size_t c,
                   size_t *size, int *zeroed, int *into_top) {
  *into_top = 0;
  size_t p = bb_prev_free(a, s, c);
#if BB_PLANT_BUG == 2 /* mutation check: no backward coalescing */
  p = 0;
#endif
  if (p) {
    size_t ps = bb_h_size(BB_W(p));
    *zeroed &= unbin(a, p, ps);
    bb_bury(a->k, c);
    *size += ps;
    c = p;
  }
  size_t n = c + *size / 8;
  size_t hn = bb_check_head(a->k, n, BB_ST_INVALID, NULL);
  size_t st = bb_h_state(hn);
  if (st == BB_ST_TOP || BB_IS_BINNED(st))
    BB_W(n - 1) = 0; /* c's own footer, if it had one, is now inside */
  if (st == BB_ST_TOP) {
    if (n != a->top)
      bb_fatal("corrupted top chunk", bb_chunk2mem(n));
    size_t ts = bb_top_check(a);
    bb_bury(a->k, n);
    *size += ts;
    a->top = c;
    bb_set_head(a->k, c, BB_ST_TOP, *size, 0);
    *into_top = 1;
  } else if (BB_IS_BINNED(st)) {
    size_t ns = bb_h_size(hn);
    *zeroed &= unbin(a, n, ns);
    *size += ns;
  }
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
