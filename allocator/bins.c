/* bins.c: size -> bin, and the doubly linked bins (unsorted, small,
 * large) of one arena. The caller holds the arena lock.
 *
 * A bin is circular, through a sentinel pseudo-chunk that lives in the
 * arena's metadata (bb_bin_at): the user cannot reach it. Every link is
 * stored encoded (chunk.h). Before a link is followed it is decoded and
 * checked (bin_node_ok): it must be the bin's own sentinel, or a chunk of
 * this arena, inside one of its segments, whose header is valid, whose
 * state is the bin's state and whose size belongs to the bin. Before an
 * unlink, both neighbours must point back at the chunk. Any failure
 * returns -1 and writes nothing; the caller ends in bb_fatal.
 * Invariants: INV-BIN-LINKS, INV-BIN-INDEX, INV-BIN-SORTED, INV-BINMAP.
 * Contracts: the ACSL logic is in specs/bins.acsl; `make verify` (the
 * verify target) proves them. */
#include "internal.h"

/* ptmalloc's numbering: 1 unsorted, 2..63 small (size / 16), 64..126
 * large with ranges growing geometrically (64 bytes wide up to 3 KiB,
 * then 512, 4 KiB, 32 KiB, 256 KiB, then one bin for the rest). */
/*@ assigns \nothing;
    ensures index: \result == BinIndex(size);
    ensures small: size < BB_MIN_LARGE ==> \result == size / 16;
    ensures large: size >= BB_MIN_LARGE ==> 64 <= \result <= 126;
    ensures range: BB_MINSIZE <= size ==> 2 <= \result <= 126;
    ensures number: BinNumber(\result);
    exits never: \false;
*/
size_t bb_bin_index(size_t size) {
  if (size < BB_MIN_LARGE)
#if BB_PLANT_BUG == 3 /* mutation check: small chunks one bin too high */
    return size / 16 + 1;
#else
    return size / 16;
#endif
  if (size / 64 <= 48)
    return 48 + size / 64;
  if (size / 512 <= 20)
    return 91 + size / 512;
  if (size / 4096 <= 10)
    return 110 + size / 4096;
  if (size / 32768 <= 4)
    return 119 + size / 32768;
  if (size / 262144 <= 2)
    return 124 + size / 262144;
  return 126;
}

/* Sentinel of bin b: the pseudo-chunk whose fd word is bins[2b]. */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A4): a pointer-to-index conversion.
    requires bin: b < BB_NBINS;
    assigns \nothing;
    ensures sentinel: \result == BinAt(a, b);
    exits never: \false;
*/
size_t bb_bin_at(const struct bb_arena *a, size_t b) {
#ifdef BB_VHEAP
  /* The verification build's model of a->bins: the words from
   * BB_VSENTINELS (one arena). Eva runs this; WP uses the contract. */
  (void)a;
  return BB_VSENTINELS + 2 * b;
#else
  return (size_t)((uintptr_t)&a->bins[2 * b] / 8u) - 1u;
#endif
}

/*@ assigns \nothing;
    ensures state: \result == BinState(b);
    exits never: \false;
*/
static size_t bin_state(size_t b) {
  return b == BB_UNSORTED ? BB_ST_UNSORTED : BB_ST_BIN;
}

/* INV-BIN-INDEX, checked on every node a link leads to. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires index: v < BB_INDEX_LIMIT;
    assigns \nothing;
    ensures bool: \result == 0 || \result == 1;
    ensures node: \result == 1 <==> BinMembership(a, b, v);
    ensures words: \result == 1 ==> NodeWords(a, b, v);
    exits never: \false;
*/
static int bin_node_ok(struct bb_arena *a, size_t b, size_t v) {
  if (v == bb_bin_at(a, b))
    return 1;
  if (v % 2 == 0)
    return 0;
  struct bb_segment *s = bb_segment_of(a->heap, (uintptr_t)v * 8u);
  if (!s || s->arena != a || v < s->first || v >= s->end)
    return 0;
  size_t h = BB_W(v);
  if (!bb_h_ok(a->k, v, h) || bb_h_state(h) != bin_state(b))
    return 0;
  return b == BB_UNSORTED || bb_bin_index(bb_h_size(h)) == b;
}

/* Bit b % 64 of a binmap word. A table rather than a shift: WP cannot
 * reason about shifts (specs/README.md), and a load costs the same. */
#define BIT2(i) (uint64_t)1 << (i), (uint64_t)2 << (i)
#define BIT8(i) BIT2(i), BIT2(i + 2), BIT2(i + 4), BIT2(i + 6)
#define BIT32(i) BIT8(i), BIT8(i + 8), BIT8(i + 16), BIT8(i + 24)
static const uint64_t bin_bit[64] = {BIT32(0), BIT32(32)};

/*@ requires arena: ArenaOk(a);
    requires word: Word(s);
    requires index: v < BB_INDEX_LIMIT;
    assigns W(s);
    ensures link: LinkTo(a->k, s, v);
    exits never: \false;
*/
static void set_link(struct bb_arena *a, size_t s, size_t v) {
  BB_W(s) = bb_link_enc(a->k, s, v);
}

/* The node after (dir = 1) or before (dir = 2) v, checked; 0 (never a
 * node) when the link does not decode to a node of bin b. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires node: NodeWords(a, b, v);
    requires dir: dir == 1 || dir == 2;
    assigns \nothing;
    exits never: \false;
    behavior follows:
      assumes link: LinkDecodes(a->k, v + dir) &&
                    BinMembership(a, b, Dec(a->k, v + dir));
      ensures node: \result == Dec(a->k, v + dir);
      ensures words: NodeWords(a, b, \result);
      ensures nonzero: \result != 0;
    behavior corrupt:
      assumes link: !(LinkDecodes(a->k, v + dir) &&
                      BinMembership(a, b, Dec(a->k, v + dir)));
      ensures fail: \result == 0;
    complete behaviors;
    disjoint behaviors;
*/
static size_t bin_step(struct bb_arena *a, size_t b, size_t v,
                       size_t dir) {
  size_t w;
  if (bb_link_dec(a->k, v + dir, &w) != 0 || !bin_node_ok(a, b, w))
    return 0;
  return w;
}

/* Link c between p and x, where x follows p. INV-BIN-LINKS: p and x must
 * agree about being neighbours before anything is written. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires p: NodeWords(a, b, p);
    requires x: NodeWords(a, b, x);
    requires chunk: ChunkNode(c);
    assigns W(c + 1), W(c + 2), W(p + 1), W(x + 2), a->binmap[b / 64];
    exits never: \false;
    behavior corrupt:
      assumes back: !BackIs(a, b, x, p);
      assigns \nothing;
      ensures fail: \result == -1;
    behavior linked:
      assumes back: BackIs(a, b, x, p);
      assumes fresh: c != p && c != x;
      ensures ok: \result == 0;
      ensures before: Adjacent(a->k, p, c);
      ensures after: Adjacent(a->k, c, x);
    behavior relinked:
      assumes back: BackIs(a, b, x, p);
      assumes listed: c == p || c == x;
      ensures ok: \result == 0;
      ensures before: LinkTo(a->k, p + 1, c);
      ensures after: LinkTo(a->k, x + 2, c);
      ensures self: LinkTo(a->k, c + 1, c) && LinkTo(a->k, c + 2, c);
    complete behaviors;
    disjoint behaviors;
*/
static int link_between(struct bb_arena *a, size_t b, size_t p, size_t x,
                        size_t c) {
  size_t back;
  if ((back = bin_step(a, b, x, 2)) == 0 || back != p)
    return -1;
  a->binmap[b / 64] |= bin_bit[b % 64];
  set_link(a, c + 1, x);
  set_link(a, c + 2, p);
  set_link(a, p + 1, c);
  set_link(a, x + 2, c);
  return 0;
}

/*@ assigns \nothing;
    ensures never_returns: \false;
    exits never: \false;
*/
static BB_COLD BB_NORETURN void bin_corrupt(size_t c) {
  bb_fatal("corrupted bin links", bb_chunk2mem(c));
}

/* Insert chunk c at the front of bin b (the unsorted and small bins). */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires chunk: ChunkNode(c);
    assigns W(c + 1), W(c + 2), W(BinAt(a, b) + 1),
            W(Dec(a->k, BinAt(a, b) + 1) + 2), a->binmap[b / 64];
    exits never: \false;
    behavior corrupt:
      assumes front: !FrontAgrees(a, b);
      ensures never_returns: \false;
    behavior front:
      assumes front: FrontAgrees(a, b);
      assumes fresh: Dec(a->k, BinAt(a, b) + 1) != c;
      ensures first: Adjacent(a->k, BinAt(a, b), c);
      ensures rest: Adjacent(a->k, c, \old(Dec(a->k, BinAt(a, b) + 1)));
    behavior relinked:
      assumes front: FrontAgrees(a, b);
      assumes listed: Dec(a->k, BinAt(a, b) + 1) == c;
      ensures first: LinkTo(a->k, BinAt(a, b) + 1, c);
      ensures self: LinkTo(a->k, c + 1, c) && LinkTo(a->k, c + 2, c);
    complete behaviors;
    disjoint behaviors;
*/
void bb_bin_insert_front(struct bb_arena *a, size_t b, size_t c) {
  size_t s = bb_bin_at(a, b), f;
  if ((f = bin_step(a, b, s, 1)) == 0 || link_between(a, b, s, f, c) != 0)
    bin_corrupt(c);
}

/* ----------------------------------------------------- large bins
 * Large bins are sorted by ascending size. The first chunk of each run of
 * equal sizes (a "head") is also on a ring of heads, through its words
 * c+3 (next larger head) and c+4 (next smaller), as ptmalloc's nextsize
 * links: searches step from size to size, not from chunk to chunk. Those
 * words are 0 in a chunk that is not a head. Ring links are encoded and
 * checked like the others (INV-BIN-SORTED). */
#define NFD 3
#define NBK 4

/* The words an unlink of chunk c may write: its four links, the links of
 * its neighbours that point at it, and on the ring of a large bin, the
 * ring links of its ring neighbours and of the chunk after it (which
 * takes its place as head). */
#define UnlinkWords(k, c)                                                  \
  W((c) + 1), W((c) + 2), W((c) + NFD), W((c) + NBK),                      \
      W(Dec(k, (c) + 1) + 2), W(Dec(k, (c) + 2) + 1),                      \
      W(Dec(k, (c) + 1) + NFD), W(Dec(k, (c) + 1) + NBK),                  \
      W(Dec(k, (c) + NFD) + NBK), W(Dec(k, (c) + NBK) + NFD)

/*@ requires chunk: ChunkNode(c);
    assigns \nothing;
    exits never: \false;
    ensures head: \result != 0 <==> IsHead(c);
*/
static int is_head(size_t c) { return BB_W(c + NFD) != 0; }

/* The head after (dir NFD) or before (NBK) head h on the ring, checked;
 * 0 when the link does not lead to a head of bin b. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires node: ChunkNode(h);
    requires dir: dir == NFD || dir == NBK;
    assigns \nothing;
    exits never: \false;
    behavior follows:
      assumes link: LinkDecodes(a->k, h + dir) &&
                    RingNode(a, b, Dec(a->k, h + dir));
      ensures node: \result == Dec(a->k, h + dir);
      ensures words: ChunkNode(\result);
    behavior corrupt:
      assumes link: !(LinkDecodes(a->k, h + dir) &&
                      RingNode(a, b, Dec(a->k, h + dir)));
      ensures fail: \result == 0;
    complete behaviors;
    disjoint behaviors;
*/
static size_t ring_step(struct bb_arena *a, size_t b, size_t h, size_t dir) {
  size_t w;
  if (bb_link_dec(a->k, h + dir, &w) != 0 || w == bb_bin_at(a, b) ||
      !bin_node_ok(a, b, w) || !is_head(w))
    return 0;
  return w;
}

/* Put head c on the ring between heads p and x = p's next. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires p: ChunkNode(p);
    requires x: ChunkNode(x);
    requires chunk: ChunkNode(c);
    assigns W(c + NFD), W(c + NBK), W(p + NFD), W(x + NBK);
    exits never: \false;
    behavior corrupt:
      assumes back: !(LinkDecodes(a->k, x + NBK) &&
                      RingNode(a, b, Dec(a->k, x + NBK)) &&
                      Dec(a->k, x + NBK) == p);
      assigns \nothing;
      ensures fail: \result == -1;
    behavior linked:
      assumes back: LinkDecodes(a->k, x + NBK) &&
                    RingNode(a, b, Dec(a->k, x + NBK)) &&
                    Dec(a->k, x + NBK) == p;
      ensures ok: \result == 0;
      ensures after: LinkTo(a->k, x + NBK, c);
      // c - p != 0: E-ACSL 25 (\old values, see BB_ChunkSpan)
      ensures ring: c - p != 0 && c - x != 0 ==>
                    LinkTo(a->k, c + NFD, x) && LinkTo(a->k, c + NBK, p) &&
                    LinkTo(a->k, p + NFD, c);
    complete behaviors;
    disjoint behaviors;
*/
static int ring_between(struct bb_arena *a, size_t b, size_t p, size_t x,
                        size_t c) {
  size_t back;
  if ((back = ring_step(a, b, x, NBK)) == 0 || back != p)
    return -1;
  set_link(a, c + NFD, x);
  set_link(a, c + NBK, p);
  set_link(a, p + NFD, c);
  set_link(a, x + NBK, c);
  return 0;
}

/*@ requires word: Word(c);
    assigns \nothing;
    exits never: \false;
    ensures size: \result == HSize(W(c));
*/
static size_t csize(size_t c) { return bb_h_size(BB_W(c)); }

/* The annotations of ring_find, clear_ring_words, sorted_place and
 * bb_bin_insert_sorted are for WP only (#ifndef BB_EACSL): E-ACSL 25
 * cannot translate them (the recursive RingFrom, \at of logic variables,
 * unbounded quantifiers) and stops on some. */

/* The smallest head of size >= size, or 0; *first gets the ring's start
 * (the smallest head), or 0 for an empty bin. Walks at most one step per
 * distinct size. *first is written last (after the walk, which reads the
 * segments that *first might alias for all the proof knows). */
#ifndef BB_EACSL
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires count: a->nbinned < IndexLimit;
    requires out: \valid(first) && \separated(first, a, a->k);
    assigns *first;
    exits never: \false;
    behavior corrupt_front:
      assumes front: !FrontNode(a, b);
      ensures never_returns: \false;
    behavior empty:
      assumes front: FrontNode(a, b) &&
                     Dec(a->k, BinAt(a, b) + 1) == BinAt(a, b);
      ensures first: *first == 0;
      ensures none: \result == 0;
    behavior corrupt_ring:
      assumes front: FrontNode(a, b) &&
                     Dec(a->k, BinAt(a, b) + 1) != BinAt(a, b);
      assumes walk: !RingSearchOk(a, b, size);
      ensures never_returns: \false;
    behavior found:
      assumes front: FrontNode(a, b) &&
                     Dec(a->k, BinAt(a, b) + 1) != BinAt(a, b);
      assumes walk: RingSearchOk(a, b, size);
      ensures first: *first == \old(Dec(a->k, BinAt(a, b) + 1));
      ensures first_head: ChunkNode(*first) && IsHead(*first);
      ensures head: \result == \old(RingSearch(a, b, size));
      ensures fits: \old(RingFits(a, b, size, RingSearch(a, b, size)));
      ensures reached: \result == 0 ||
                       \result == \old(Dec(a->k, BinAt(a, b) + 1)) ||
                       \exists integer v; \at(BinMembership(a, b, v), Pre) &&
                         \at(LinkDecodes(a->k, v + NFD), Pre) &&
                         \at(Dec(a->k, v + NFD), Pre) == \result;
    complete behaviors;
    disjoint behaviors;
*/
#endif
static size_t ring_find(struct bb_arena *a, size_t b, size_t size,
                        size_t *first) {
  size_t s = bb_bin_at(a, b), f, h, n;
  if ((f = bin_step(a, b, s, 1)) == 0)
    bin_corrupt(s);
  if (f == s) {
    *first = 0;
    return 0;
  }
  if (!is_head(f))
    bin_corrupt(f);
  h = f;
#ifndef BB_EACSL
  /*@ loop invariant walk: RingFrom(a, b, size, f, h, a->nbinned - steps) ==
                           RingSearch(a, b, size);
      loop invariant walk_ok: RingWalkOk(a, b, size, f, h, a->nbinned - steps) <==>
                              RingSearchOk(a, b, size);
      loop invariant node: ChunkNode(h) && IsHead(h) && BinMembership(a, b, h);
      loop invariant from: h == f ||
                           \exists integer v; BinMembership(a, b, v) &&
                             LinkDecodes(a->k, v + 3) && Dec(a->k, v + 3) == h;
      loop invariant steps: 0 <= steps <= a->nbinned + 1;
      loop assigns steps, h, n;
      loop variant a->nbinned + 1 - steps;
  */
#endif
  for (size_t steps = 0; csize(h) < size; steps++) {
    if (steps > a->nbinned || (n = ring_step(a, b, h, NFD)) == 0)
      bin_corrupt(h);
    if ((h = n) == f) {
#ifndef BB_EACSL
      //@ assert back: RingSearch(a, b, size) == 0 && RingSearchOk(a, b, size) && RingFits(a, b, size, 0);
#endif
      *first = f;
      return 0;
    }
  }
#ifndef BB_EACSL
  //@ assert fits: RingSearch(a, b, size) == h && RingSearchOk(a, b, size) && RingFits(a, b, size, h);
#endif
  *first = f;
  return h;
}

/* The three ways bb_bin_insert_sorted puts chunk c into large bin b; each
 * checks the links it follows before it writes. The chunk's ring words
 * are already cleared. */

/* The only chunk of the bin: a ring of one. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires chunk: ChunkNode(c);
    assigns W(c + 1), W(c + 2), W(c + NFD), W(c + NBK), W(BinAt(a, b) + 1),
            W(BinAt(a, b) + 2), a->binmap[b / 64];
    exits never: \false;
    behavior corrupt:
      assumes back: !BackIs(a, b, BinAt(a, b), BinAt(a, b));
      ensures never_returns: \false;
    behavior alone:
      assumes back: BackIs(a, b, BinAt(a, b), BinAt(a, b));
      ensures only: Adjacent(a->k, BinAt(a, b), c) &&
                    Adjacent(a->k, c, BinAt(a, b));
      ensures ring: LinkTo(a->k, c + NFD, c) && LinkTo(a->k, c + NBK, c);
    complete behaviors;
    disjoint behaviors;
*/
static void sorted_alone(struct bb_arena *a, size_t b, size_t c) {
  size_t s = bb_bin_at(a, b);
  if (link_between(a, b, s, s, c) != 0)
    bin_corrupt(c);
  set_link(a, c + NFD, c);
  set_link(a, c + NBK, c);
}

/* Right after head h of the same size: the ring does not change. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires chunk: ChunkNode(c);
    requires head: ChunkNode(h);
    requires fresh: h != c &&
                    (NextAgrees(a, b, h) ==> Dec(a->k, h + 1) != c);
    assigns W(c + 1), W(c + 2), W(h + 1), W(Dec(a->k, h + 1) + 2),
            a->binmap[b / 64];
    exits never: \false;
    behavior corrupt:
      assumes next: !NextAgrees(a, b, h);
      ensures never_returns: \false;
    behavior joined:
      assumes next: NextAgrees(a, b, h);
      ensures after_head: Adjacent(a->k, h, c) &&
                          Adjacent(a->k, c, \old(Dec(a->k, h + 1)));
    complete behaviors;
    disjoint behaviors;
*/
static void sorted_join(struct bb_arena *a, size_t b, size_t h, size_t c) {
  size_t x;
  if ((x = bin_step(a, b, h, 1)) == 0 || link_between(a, b, h, x, c) != 0)
    bin_corrupt(c);
}

/* A new head: before node next on the list (the smallest larger head,
 * or the sentinel after the largest), and before head ring_next on the
 * ring (the same head, or the smallest). */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires chunk: ChunkNode(c);
    requires next: NodeWords(a, b, next) && next != c;
    requires ring_next: ChunkNode(ring_next) && ring_next != c;
    requires apart: Apart(c, next) && Apart(c, ring_next) &&
                    Apart(ring_next, next);
    requires prev_apart: PrevNode(a, b, next) ==>
                         \let p = Dec(a->k, next + 2);
                         p != c && Apart(c, p) && Apart(p, next) &&
                         Apart(p, ring_next);
    requires ring_prev_apart: RingPrev(a, b, ring_next) ==>
                              \let rp = Dec(a->k, ring_next + NBK);
                              rp != c && Apart(c, rp) && Apart(rp, next) &&
                              Apart(rp, ring_next) &&
                              \separated(SegmentOf(a->heap, rp * 8), a);
    requires both_apart: PrevNode(a, b, next) && RingPrev(a, b, ring_next) ==>
                         Apart(Dec(a->k, ring_next + NBK),
                               Dec(a->k, next + 2));
    assigns W(c + 1), W(c + 2), W(c + NFD), W(c + NBK),
            W(Dec(a->k, next + 2) + 1), W(next + 2),
            W(Dec(a->k, ring_next + NBK) + NFD), W(ring_next + NBK),
            a->binmap[b / 64];
    exits never: \false;
    behavior corrupt:
      assumes links: !(PrevNode(a, b, next) && RingPrev(a, b, ring_next));
      ensures never_returns: \false;
    behavior linked:
      assumes links: PrevNode(a, b, next) && RingPrev(a, b, ring_next);
      ensures before: Adjacent(a->k, \old(Dec(a->k, next + 2)), c) &&
                      Adjacent(a->k, c, next);
      ensures ring: \let rp = \old(Dec(a->k, ring_next + NBK));
                    LinkTo(a->k, c + NFD, ring_next) &&
                    LinkTo(a->k, c + NBK, rp) && LinkTo(a->k, rp + NFD, c) &&
                    LinkTo(a->k, ring_next + NBK, c);
    complete behaviors;
    disjoint behaviors;
*/
static void sorted_new_head(struct bb_arena *a, size_t b, size_t next,
                            size_t ring_next, size_t c) {
  size_t p, rp;
  if ((p = bin_step(a, b, next, 2)) == 0 ||
      (rp = ring_step(a, b, ring_next, NBK)) == 0 ||
      link_between(a, b, p, next, c) != 0)
    bin_corrupt(c);
  /*@ assert kept: LinkDecodes(a->k, ring_next + NBK) &&
                   Dec(a->k, ring_next + NBK) == rp && RingNode(a, b, rp); */
  if (ring_between(a, b, rp, ring_next, c) != 0)
    bin_corrupt(c);
}

/* Clear the ring words of chunk c (it is not a head until the insert
 * makes it one). a and b only name the bin for the contract: the nodes of
 * bin b stay what they were. */
#ifndef BB_EACSL
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b) && b != BB_UNSORTED;
    requires chunk: ChunkNode(c);
    requires near: \forall integer v;
                   BinMembership(a, b, v) && v != c ==> Apart(c, v);
    assigns W(c + NFD), W(c + NBK);
    exits never: \false;
    ensures cleared: W(c + NFD) == 0 && W(c + NBK) == 0;
    ensures words: \forall integer i; i != c + NFD && i != c + NBK ==>
                   W(i) == \old(W(i));
    ensures nodes: \forall integer v;
                   BinMembership(a, b, v) <==> \old(BinMembership(a, b, v));
*/
#endif
static void clear_ring_words(struct bb_arena *a, size_t b, size_t c) {
  (void)a;
  (void)b;
  BB_W(c + NFD) = 0;
  BB_W(c + NBK) = 0;
#ifndef BB_EACSL
  /*@ assert fewer: \forall integer v; BinMembership(a, b, v) ==>
        \at(BinMembership(a, b, v), Pre); */
#endif
}

/* Put chunk c of `size` bytes, its ring words cleared, into large bin b,
 * given what ring_find found: the head h (0: none fits) and the first
 * chunk f (0: the bin is empty). The nodes it links c to do not overlap c
 * or each other. */
#ifndef BB_EACSL
/*@ requires arena: ArenaOk(a);
    requires large: BB_MIN_LARGE <= size && b == BinIndex(size);
    requires chunk: ChunkNode(c);
    requires first: f != 0 ==> ChunkNode(f) && f != BinAt(a, b);
    requires head: h != 0 ==> f != 0 && ChunkNode(h) &&
                              BinMembership(a, b, h) && HSize(W(h)) >= size;
    requires cleared: W(c + NFD) == 0 && W(c + NBK) == 0;
    requires apart_first: f != 0 ==> f != c && Apart(c, f);
    requires apart_head: h != 0 ==> h != c && Apart(c, h);
    requires apart_next: h != 0 && NextAgrees(a, b, h) ==>
                         \let x = Dec(a->k, h + 1);
                         x != c && Apart(c, x) && Apart(h, x);
    requires apart_new: f != 0 ==>
                        Apart(c, InsertNext(a, b, h)) &&
                        Apart(InsertRingNext(h, f), InsertNext(a, b, h));
    requires apart_prev: f != 0 && PrevNode(a, b, InsertNext(a, b, h)) ==>
                         \let n = InsertNext(a, b, h);
                         \let p = Dec(a->k, n + 2);
                         p != c && Apart(c, p) && Apart(p, n) &&
                         Apart(p, InsertRingNext(h, f));
    requires apart_ring_prev: f != 0 && RingPrev(a, b, InsertRingNext(h, f)) ==>
                              \let r = InsertRingNext(h, f);
                              \let rp = Dec(a->k, r + NBK);
                              rp != c && Apart(c, rp) && Apart(rp, r) &&
                              Apart(rp, InsertNext(a, b, h)) &&
                              \separated(SegmentOf(a->heap, rp * 8), a);
    requires apart_both: f != 0 && PrevNode(a, b, InsertNext(a, b, h)) &&
                         RingPrev(a, b, InsertRingNext(h, f)) ==>
                         Apart(Dec(a->k, InsertRingNext(h, f) + NBK),
                               Dec(a->k, InsertNext(a, b, h) + 2));
    assigns W(c + 1), W(c + 2), W(c + NFD), W(c + NBK),
            W(BinAt(a, b) + 1), W(BinAt(a, b) + 2),
            W(h + 1), W(Dec(a->k, h + 1) + 2),
            W(Dec(a->k, InsertNext(a, b, h) + 2) + 1),
            W(InsertNext(a, b, h) + 2),
            W(Dec(a->k, InsertRingNext(h, f) + NBK) + NFD),
            W(InsertRingNext(h, f) + NBK), a->binmap[b / 64];
    exits never: \false;
    behavior corrupt:
      assumes links: !InsertLinksOk(a, b, size, h, f);
      ensures never_returns: \false;
    behavior empty:
      assumes links: InsertLinksOk(a, b, size, h, f);
      assumes empty: f == 0;
      ensures only: Adjacent(a->k, BinAt(a, b), c) &&
                    Adjacent(a->k, c, BinAt(a, b));
      ensures ring: LinkTo(a->k, c + NFD, c) && LinkTo(a->k, c + NBK, c);
    behavior join:
      assumes links: InsertLinksOk(a, b, size, h, f);
      assumes empty: f != 0;
      assumes joins: InsertJoins(size, h);
      ensures after_head: Adjacent(a->k, h, c) &&
                          Adjacent(a->k, c, \old(Dec(a->k, h + 1)));
      ensures sorted: HSize(W(h)) == size;
      ensures not_head: W(c + NFD) == 0 && W(c + NBK) == 0;
    behavior new_head:
      assumes links: InsertLinksOk(a, b, size, h, f);
      assumes empty: f != 0;
      assumes new: !InsertJoins(size, h);
      ensures before: \let x = InsertNext(a, b, h);
                      Adjacent(a->k, Dec{Pre}(a->k, x + 2), c) &&
                      Adjacent(a->k, c, x);
      ensures sorted: h == 0 || HSize(W(h)) > size;
      ensures ring: \let r = InsertRingNext(h, f);
                    \let rp = Dec{Pre}(a->k, r + NBK);
                    LinkTo(a->k, c + NFD, r) && LinkTo(a->k, c + NBK, rp) &&
                    LinkTo(a->k, rp + NFD, c) && LinkTo(a->k, r + NBK, c);
    complete behaviors;
    disjoint behaviors;
*/
#endif
static void sorted_place(struct bb_arena *a, size_t b, size_t c, size_t size,
                         size_t h, size_t f) {
  size_t s = bb_bin_at(a, b);
  if (!f) {
    sorted_alone(a, b, c);
  } else if (h && csize(h) == size) { /* join its size: after the head */
    //@ assert joins: InsertJoins(size, h);
    sorted_join(a, b, h, c);
  } else { /* a new size: a new head, before h, or after the largest */
    //@ assert new: !InsertJoins(size, h);
    size_t next = h ? h : s, ring_next = h ? h : f;
    //@ assert nexts: next == InsertNext(a, b, h) && ring_next == InsertRingNext(h, f);
    sorted_new_head(a, b, next, ring_next, c);
#ifndef BB_EACSL
    /*@ assert before: \let x = InsertNext(a, b, h);
          Adjacent(a->k, Dec{Pre}(a->k, x + 2), c) && Adjacent(a->k, c, x); */
    /*@ assert ring: \let r = InsertRingNext(h, f);
          \let rp = Dec{Pre}(a->k, r + NBK);
          LinkTo(a->k, c + NFD, r) && LinkTo(a->k, c + NBK, rp) &&
          LinkTo(a->k, rp + NFD, c) && LinkTo(a->k, r + NBK, c); */
#endif
  }
}

/* Insert chunk c of `size` bytes into large bin b, in ascending order:
 * after the head of its size (the ring does not change), or as the head
 * of a new size, before the smallest larger head (on the list and on the
 * ring), or after the largest chunk; in an empty bin, a ring of one. */
#ifndef BB_EACSL
/*@ requires arena: ArenaOk(a);
    requires large: BB_MIN_LARGE <= size && b == BinIndex(size);
    requires chunk: ChunkNode(c);
    requires count: a->nbinned < IndexLimit;
    requires outside: Outside(a, b, c);
    requires spaced: Spaced(a, b, c);
    requires segments: SegmentsApart(a);
    assigns W(c + 1), W(c + 2), W(c + NFD), W(c + NBK),
            W(BinAt(a, b) + 1), W(BinAt(a, b) + 2),
            W(SortedHead(a, b, size) + 1),
            W(Dec(a->k, SortedHead(a, b, size) + 1) + 2),
            W(Dec(a->k, SortedNext(a, b, size) + 2) + 1),
            W(SortedNext(a, b, size) + 2),
            W(Dec(a->k, SortedRingNext(a, b, size) + NBK) + NFD),
            W(SortedRingNext(a, b, size) + NBK), a->binmap[b / 64];
    exits never: \false;
    behavior corrupt:
      assumes search: !SearchOk(a, b, size);
      ensures never_returns: \false;
    behavior empty:
      assumes search: SearchOk(a, b, size);
      assumes empty: Dec(a->k, BinAt(a, b) + 1) == BinAt(a, b);
      ensures only: Adjacent(a->k, BinAt(a, b), c) &&
                    Adjacent(a->k, c, BinAt(a, b));
      ensures ring: LinkTo(a->k, c + NFD, c) && LinkTo(a->k, c + NBK, c);
    behavior join:
      assumes search: SearchOk(a, b, size);
      assumes empty: Dec(a->k, BinAt(a, b) + 1) != BinAt(a, b);
      assumes joins: SortedJoins(a, b, size);
      ensures after_head: \let h = \old(SortedHead(a, b, size));
                          Adjacent(a->k, h, c) &&
                          Adjacent(a->k, c, \old(Dec(a->k, h + 1)));
      ensures sorted: HSize(W(Dec(a->k, c + 2))) == size;
      ensures not_head: W(c + NFD) == 0 && W(c + NBK) == 0;
    behavior new_head:
      assumes search: SearchOk(a, b, size);
      assumes empty: Dec(a->k, BinAt(a, b) + 1) != BinAt(a, b);
      assumes new: !SortedJoins(a, b, size);
      ensures before: \let x = \old(SortedNext(a, b, size));
                      Adjacent(a->k, \old(Dec(a->k, x + 2)), c) &&
                      Adjacent(a->k, c, x);
      ensures sorted: Dec(a->k, c + 1) == BinAt(a, b) ||
                      HSize(W(Dec(a->k, c + 1))) > size;
      ensures ring: \let r = \old(SortedRingNext(a, b, size));
                    \let rp = \old(Dec(a->k, r + NBK));
                    LinkTo(a->k, c + NFD, r) && LinkTo(a->k, c + NBK, rp) &&
                    LinkTo(a->k, rp + NFD, c) && LinkTo(a->k, r + NBK, c);
    complete behaviors;
    disjoint behaviors;
*/
#endif
void bb_bin_insert_sorted(struct bb_arena *a, size_t b, size_t c,
                          size_t size) {
  size_t first, h = ring_find(a, b, size, &first);
#ifndef BB_EACSL
  /*@ assert found: \let hh = h; \let ff = first;
        hh == SortedHead{Pre}(a, b, size) && ff == SortedFirst{Pre}(a, b) &&
        SearchOk{Pre}(a, b, size); */
  /*@ assert head: \let hh = h; hh != 0 ==>
        first != 0 && BinMembership(a, b, hh) && hh != c && Apart(c, hh); */
#endif
  clear_ring_words(a, b, c);
#ifndef BB_EACSL
  /*@ assert head_node: \let hh = h; hh != 0 ==>
        W(hh) == \at(W(hh), Pre) && W(hh + 1) == \at(W(hh + 1), Pre) &&
        (NextAgrees(a, b, hh) ==>
           \let x = Dec(a->k, hh + 1);
           x == Dec{Pre}(a->k, hh + 1) && LinkDecodes{Pre}(a->k, hh + 1) &&
           BinMembership{Pre}(a, b, x)); */
  /*@ assert next_node: \let n = InsertNext(a, b, h);
        (n == BinAt(a, b) || BinMembership{Pre}(a, b, n)) &&
        W(n + 2) == \at(W(n + 2), Pre) &&
        (PrevNode(a, b, n) ==>
           \let p = Dec(a->k, n + 2);
           p == Dec{Pre}(a->k, n + 2) && LinkDecodes{Pre}(a->k, n + 2) &&
           BinMembership{Pre}(a, b, p)); */
  /*@ assert ring_node: \let r = InsertRingNext(h, first);
        first != 0 ==>
        BinMembership{Pre}(a, b, r) && W(r + NBK) == \at(W(r + NBK), Pre) &&
        (RingPrev(a, b, r) ==>
           \let rp = Dec(a->k, r + NBK);
           rp == Dec{Pre}(a->k, r + NBK) && LinkDecodes{Pre}(a->k, r + NBK) &&
           BinMembership{Pre}(a, b, rp)); */
#endif
  sorted_place(a, b, c, size, h, first);
#ifndef BB_EACSL
  /*@ assert new_placed: first != 0 && !InsertJoins{Pre}(size, h) ==>
        \let x = InsertNext(a, b, h); \let r = InsertRingNext(h, first);
        \let rp = Dec{Pre}(a->k, r + NBK);
        Adjacent(a->k, Dec{Pre}(a->k, x + 2), c) && Adjacent(a->k, c, x) &&
        LinkTo(a->k, c + NFD, r) && LinkTo(a->k, c + NBK, rp) &&
        LinkTo(a->k, rp + NFD, c) && LinkTo(a->k, r + NBK, c); */
  /*@ assert new_sorted: first != 0 && !InsertJoins{Pre}(size, h) ==>
        Dec(a->k, c + 1) == BinAt(a, b) ||
        HSize(W(Dec(a->k, c + 1))) > size; */
#endif
}

/* Best fit in large bin b for nb bytes: the smallest size that fits, and
 * of that size the chunk after the head if there is one (so the ring need
 * not change). Not unlinked; 0 when nothing fits. */
size_t bb_bin_best_fit(struct bb_arena *a, size_t b, size_t nb) {
  size_t first, h = ring_find(a, b, nb, &first), x;
  if (!h)
    return 0;
  if ((x = bin_step(a, b, h, 1)) == 0)
    bin_corrupt(h);
  return x != bb_bin_at(a, b) && !is_head(x) ? x : h;
}

/* Word s holds a link that decodes to v. */
/*@ requires arena: ArenaOk(a);
    requires word: Word(s);
    assigns \nothing;
    ensures bool: \result == 0 || \result == 1;
    ensures link: \result == 1 <==> LinkDecodes(a->k, s) && Dec(a->k, s) == v;
    exits never: \false;
*/
static int link_is(struct bb_arena *a, size_t s, size_t v) {
  size_t w;
  return bb_link_dec(a->k, s, &w) == 0 && w == v;
}

/* Take head c of large bin b off the ring of heads (its ring links
 * checked: rn and rp are its ring neighbours, fd its successor in the
 * bin, h its header): the chunk after it takes its place if it has the
 * same size, else its ring neighbours are joined. Its ring links are
 * cleared. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires chunk: ChunkNode(c);
    requires fd: NodeWords(a, b, fd);
    requires ring: ChunkNode(rn) && ChunkNode(rp);
    assigns W(c + NFD), W(c + NBK), W(fd + NFD), W(fd + NBK),
            W(rp + NFD), W(rn + NBK);
    ensures cleared: W(c + NFD) == 0 && W(c + NBK) == 0;
    exits never: \false;
*/
static void ring_unlink(struct bb_arena *a, size_t b, size_t c, size_t h,
                        size_t fd, size_t rn, size_t rp) {
  size_t s = bb_bin_at(a, b);
  if (fd != s && !is_head(fd) && csize(fd) == bb_h_size(h)) {
    size_t nn = rn == c ? fd : rn, pp = rp == c ? fd : rp;
    set_link(a, fd + NFD, nn);
    set_link(a, fd + NBK, pp);
    set_link(a, pp + NFD, fd);
    set_link(a, nn + NBK, fd);
  } else if (rn != c) {
    set_link(a, rp + NFD, rn);
    set_link(a, rn + NBK, rp);
  }
  BB_W(c + NFD) = 0;
  BB_W(c + NBK) = 0;
}

/* Join bk (before c) and fd (after c), and clear the links of c.
 * `apart` follows from c, fd and bk being nodes of one bin (a chunk index
 * is odd; the sentinel is in the arena, not in a segment): the words
 * written are distinct unless c is alone. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkNode(c);
    requires words: Word(fd + 2) && Word(bk + 1);
    requires self: fd == c <==> bk == c;
    requires apart: fd != c ==> fd + 1 != c && bk != c + 1 && bk != fd + 1;
    assigns W(c + 1), W(c + 2), W(fd + 2), W(bk + 1);
    ensures bridged: fd != c ==> Adjacent(a->k, bk, fd);
    ensures cleared: W(c + 1) == 0 && W(c + 2) == 0;
    exits never: \false;
*/
static void unlink_bridge(struct bb_arena *a, size_t c, size_t fd,
                          size_t bk) {
  set_link(a, bk + 1, fd);
  set_link(a, fd + 2, bk);
  BB_W(c + 1) = 0;
  BB_W(c + 2) = 0;
}

/* Unlink chunk c (header word h) from bin b: 0, or -1 when a link does
 * not agree, in which case nothing is written. Every link is checked
 * before anything is written; a large-bin head hands its place on the
 * ring to the next chunk of its size, or leaves the ring. The links of c
 * are cleared so that no valid encoding of a neighbour stays in user
 * memory. The writes are in ring_unlink and unlink_bridge; the assertions
 * restate what each group of checks established in the contract's terms
 * (BinLinks, RingLinks), which keeps every proof goal small. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires chunk: ChunkNode(c);
    requires header: h == W(c);
    assigns UnlinkWords(a->k, c);
    exits never: \false;
    behavior corrupt:
      assumes links: !BinLinks(a, b, c) ||
                     (b >= 64 && IsHead(c) && !RingLinks(a, b, c));
      assigns \nothing;
      ensures fail: \result == -1;
    behavior unlinked:
      assumes links: BinLinks(a, b, c) && !(b >= 64 && IsHead(c));
      assumes listed: Dec(a->k, c + 1) != c;
      assigns W(c + 1), W(c + 2), W(Dec(a->k, c + 1) + 2),
              W(Dec(a->k, c + 2) + 1);
      ensures ok: \result == 0;
      ensures bridged: Adjacent(a->k, \old(Dec(a->k, c + 2)),
                                \old(Dec(a->k, c + 1)));
      ensures cleared: W(c + 1) == 0 && W(c + 2) == 0;
      ensures gone: \old(Dec(a->k, c + 1)) != c && \old(Dec(a->k, c + 2)) != c;
    behavior unlinked_head:
      assumes links: BinLinks(a, b, c) && b >= 64 && IsHead(c) &&
                     RingLinks(a, b, c);
      assumes listed: Dec(a->k, c + 1) != c;
      ensures ok: \result == 0;
      ensures bridged: Adjacent(a->k, \old(Dec(a->k, c + 2)),
                                \old(Dec(a->k, c + 1)));
      ensures cleared: W(c + 1) == 0 && W(c + 2) == 0;
      ensures gone: \old(Dec(a->k, c + 1)) != c && \old(Dec(a->k, c + 2)) != c;
    behavior self:
      assumes links: BinLinks(a, b, c) &&
                     (!(b >= 64 && IsHead(c)) || RingLinks(a, b, c));
      assumes looped: Dec(a->k, c + 1) == c;
      ensures ok: \result == 0;
      ensures cleared: W(c + 1) == 0 && W(c + 2) == 0;
    complete behaviors;
    disjoint behaviors;
*/
static int unlink_checked(struct bb_arena *a, size_t b, size_t c, size_t h) {
  size_t fd, bk, rn, rp;
  if ((fd = bin_step(a, b, c, 1)) == 0 || (bk = bin_step(a, b, c, 2)) == 0) {
    //@ assert fail: !BinLinks(a, b, c);
    return -1;
  }
  if (!link_is(a, fd + 2, c) || !link_is(a, bk + 1, c)) {
    //@ assert fail: !BinLinks(a, b, c);
    return -1;
  }
  /*@ assert next: LinkDecodes(a->k, c + 1) && fd == Dec(a->k, c + 1) &&
                   BinMembership(a, b, fd) && LinkTo(a->k, fd + 2, c); */
  /*@ assert prev: LinkDecodes(a->k, c + 2) && bk == Dec(a->k, c + 2) &&
                   BinMembership(a, b, bk) && LinkTo(a->k, bk + 1, c); */
  //@ assert links: BinLinks(a, b, c);
  if (b >= 64 && is_head(c)) {
    if ((rn = ring_step(a, b, c, NFD)) == 0 ||
        (rp = ring_step(a, b, c, NBK)) == 0) {
      //@ assert fail: !RingLinks(a, b, c);
      return -1;
    }
    if (!link_is(a, rn + NBK, c) || !link_is(a, rp + NFD, c)) {
      //@ assert fail: !RingLinks(a, b, c);
      return -1;
    }
    /*@ assert ring_next: LinkDecodes(a->k, c + NFD) &&
          rn == Dec(a->k, c + NFD) && RingNode(a, b, rn) &&
          LinkTo(a->k, rn + NBK, c); */
    /*@ assert ring_prev: LinkDecodes(a->k, c + NBK) &&
          rp == Dec(a->k, c + NBK) && RingNode(a, b, rp) &&
          LinkTo(a->k, rp + NFD, c); */
    //@ assert ring: RingLinks(a, b, c);
    ring_unlink(a, b, c, h, fd, rn, rp);
  }
  unlink_bridge(a, c, fd, bk);
  return 0;
}

/* Unlink chunk c (header already checked) from its bin. */
/*@ requires arena: ArenaOk(a);
    requires chunk: ChunkNode(c);
    assigns UnlinkWords(a->k, c);
    exits never: \false;
    behavior corrupt:
      assumes links: !BinLinks(a, BinOf(W(c)), c) ||
                     (BinOf(W(c)) >= 64 && IsHead(c) &&
                      !RingLinks(a, BinOf(W(c)), c));
      ensures never_returns: \false;
    behavior unlinked:
      assumes links: BinLinks(a, BinOf(W(c)), c) &&
                     (!(BinOf(W(c)) >= 64 && IsHead(c)) ||
                      RingLinks(a, BinOf(W(c)), c));
      assumes listed: Dec(a->k, c + 1) != c;
      ensures bridged: Adjacent(a->k, \old(Dec(a->k, c + 2)),
                                \old(Dec(a->k, c + 1)));
      ensures cleared: W(c + 1) == 0 && W(c + 2) == 0;
      ensures gone: \old(Dec(a->k, c + 1)) != c && \old(Dec(a->k, c + 2)) != c;
    behavior self:
      assumes links: BinLinks(a, BinOf(W(c)), c) &&
                     (!(BinOf(W(c)) >= 64 && IsHead(c)) ||
                      RingLinks(a, BinOf(W(c)), c));
      assumes looped: Dec(a->k, c + 1) == c;
      ensures cleared: W(c + 1) == 0 && W(c + 2) == 0;
    complete behaviors;
    disjoint behaviors;
*/
void bb_bin_unlink(struct bb_arena *a, size_t c) {
  size_t h = BB_W(c);
  size_t b = bb_h_state(h) == BB_ST_UNSORTED ? BB_UNSORTED
                                              : bb_bin_index(bb_h_size(h));
  if (unlink_checked(a, b, c, h) != 0)
    bin_corrupt(c);
}

/* The oldest chunk of bin b (FIFO: insertion is at the front), unlinked;
 * 0 when the bin is empty. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    assigns UnlinkWords(a->k, Dec(a->k, BinAt(a, b) + 2));
    exits never: \false;
    behavior corrupt_last:
      assumes last: !(LinkDecodes(a->k, BinAt(a, b) + 2) &&
                      BinMembership(a, b, Dec(a->k, BinAt(a, b) + 2)));
      ensures never_returns: \false;
    behavior empty:
      assumes last: LinkDecodes(a->k, BinAt(a, b) + 2) &&
                    Dec(a->k, BinAt(a, b) + 2) == BinAt(a, b);
      assigns \nothing;
      ensures none: \result == 0;
    behavior taken:
      assumes last: LinkDecodes(a->k, BinAt(a, b) + 2) &&
                    BinMembership(a, b, Dec(a->k, BinAt(a, b) + 2)) &&
                    Dec(a->k, BinAt(a, b) + 2) != BinAt(a, b);
      assumes links: BinLinks(a, b, Dec(a->k, BinAt(a, b) + 2)) &&
                     (!(b >= 64 && IsHead(Dec(a->k, BinAt(a, b) + 2))) ||
                      RingLinks(a, b, Dec(a->k, BinAt(a, b) + 2)));
      ensures last: \result == \old(Dec(a->k, BinAt(a, b) + 2));
      ensures in_bin: \old(BinMembership(a, b, Dec(a->k, BinAt(a, b) + 2)));
      ensures cleared: W(\result + 1) == 0 && W(\result + 2) == 0;
    behavior corrupt:
      assumes last: LinkDecodes(a->k, BinAt(a, b) + 2) &&
                    BinMembership(a, b, Dec(a->k, BinAt(a, b) + 2)) &&
                    Dec(a->k, BinAt(a, b) + 2) != BinAt(a, b);
      assumes links: !(BinLinks(a, b, Dec(a->k, BinAt(a, b) + 2)) &&
                       (!(b >= 64 && IsHead(Dec(a->k, BinAt(a, b) + 2))) ||
                        RingLinks(a, b, Dec(a->k, BinAt(a, b) + 2))));
      ensures never_returns: \false;
    complete behaviors;
    disjoint behaviors;
*/
size_t bb_bin_take_last(struct bb_arena *a, size_t b) {
  size_t s = bb_bin_at(a, b), c;
  if ((c = bin_step(a, b, s, 2)) == 0)
    bin_corrupt(s);
  if (c == s)
    return 0;
  bb_bin_unlink(a, c);
  return c;
}

/* Iteration from the front, checked; 0 at the end. */
/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    requires node: NodeWords(a, b, c);
    assigns \nothing;
    exits never: \false;
    behavior corrupt:
      assumes link: !(LinkDecodes(a->k, c + 1) &&
                      BinMembership(a, b, Dec(a->k, c + 1)));
      ensures never_returns: \false;
    behavior end:
      assumes link: LinkDecodes(a->k, c + 1) &&
                    Dec(a->k, c + 1) == BinAt(a, b);
      ensures none: \result == 0;
    behavior next:
      assumes link: LinkDecodes(a->k, c + 1) &&
                    BinMembership(a, b, Dec(a->k, c + 1)) &&
                    Dec(a->k, c + 1) != BinAt(a, b);
      ensures next: \result == Dec(a->k, c + 1);
      ensures chunk: ChunkNode(\result);
    complete behaviors;
    disjoint behaviors;
*/
size_t bb_bin_next(struct bb_arena *a, size_t b, size_t c) {
  size_t x;
  if ((x = bin_step(a, b, c, 1)) == 0)
    bin_corrupt(c);
  return x == bb_bin_at(a, b) ? 0 : x;
}

/*@ requires arena: ArenaOk(a);
    requires bin: BinNumber(b);
    assigns \nothing;
    exits never: \false;
    behavior corrupt:
      assumes link: !(LinkDecodes(a->k, BinAt(a, b) + 1) &&
                      BinMembership(a, b, Dec(a->k, BinAt(a, b) + 1)));
      ensures never_returns: \false;
    behavior empty:
      assumes link: LinkDecodes(a->k, BinAt(a, b) + 1) &&
                    Dec(a->k, BinAt(a, b) + 1) == BinAt(a, b);
      ensures none: \result == 0;
    behavior first:
      assumes link: LinkDecodes(a->k, BinAt(a, b) + 1) &&
                    BinMembership(a, b, Dec(a->k, BinAt(a, b) + 1)) &&
                    Dec(a->k, BinAt(a, b) + 1) != BinAt(a, b);
      ensures first: \result == Dec(a->k, BinAt(a, b) + 1);
      ensures chunk: ChunkNode(\result);
    complete behaviors;
    disjoint behaviors;
*/
size_t bb_bin_first(struct bb_arena *a, size_t b) {
  return bb_bin_next(a, b, bb_bin_at(a, b));
}

/* The first bin after b whose binmap bit is set, or 0. Bits are set on
 * insert and cleared lazily by the search when it finds the bin empty. */
size_t bb_binmap_next(const struct bb_arena *a, size_t b) {
  for (size_t w = (b + 1) / 64; w < BB_NBINS / 64; w++) {
    uint64_t m = a->binmap[w];
    if (w == (b + 1) / 64)
      m &= ~(((uint64_t)1 << ((b + 1) % 64)) - 1);
    if (m)
      return w * 64 + (size_t)__builtin_ctzll(m);
  }
  return 0;
}

/* Put a free chunk into the bin for its size. */
void bb_bin_put(struct bb_arena *a, size_t c, size_t size) {
  size_t b = bb_bin_index(size);
  bb_make_free(a, c, size, BB_ST_BIN, bb_h_slack(BB_W(c)) == 1);
  if (b < 64)
    bb_bin_insert_front(a, b, c);
  else
    bb_bin_insert_sorted(a, b, c, size);
}
