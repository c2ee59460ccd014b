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
 * Invariants: INV-BIN-LINKS, INV-BIN-INDEX, INV-BIN-SORTED, INV-BINMAP. */
#include "internal.h"

/* ptmalloc's numbering: 1 unsorted, 2..63 small (size / 16), 64..126
 * large with ranges growing geometrically (64 bytes wide up to 3 KiB,
 * then 512, 4 KiB, 32 KiB, 256 KiB, then one bin for the rest). */
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
size_t bb_bin_at(const struct bb_arena *a, size_t b) {
  return (size_t)((uintptr_t)&a->bins[2 * b] / 8u) - 1u;
}

static size_t bin_state(size_t b) {
  return b == BB_UNSORTED ? BB_ST_UNSORTED : BB_ST_BIN;
}

/* INV-BIN-INDEX, checked on every node a link leads to. */
static int bin_node_ok(const struct bb_arena *a, size_t b, size_t v) {
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

static void set_link(const struct bb_arena *a, size_t s, size_t v) {
  BB_W(s) = bb_link_enc(a->k, s, v);
}

/* The node after (dir = 1) or before (dir = 2) v, checked. */
static int bin_step(const struct bb_arena *a, size_t b, size_t v, int dir,
                    size_t *out) {
  size_t w;
  if (bb_link_dec(a->k, v + (size_t)dir, &w) != 0 || !bin_node_ok(a, b, w))
    return -1;
  *out = w;
  return 0;
}

/* Link c between p and x, where x follows p. INV-BIN-LINKS: p and x must
 * agree about being neighbours before anything is written. */
static int link_between(struct bb_arena *a, size_t b, size_t p, size_t x,
                        size_t c) {
  size_t back;
  if (bin_step(a, b, x, 2, &back) != 0 || back != p)
    return -1;
  set_link(a, c + 1, x);
  set_link(a, c + 2, p);
  set_link(a, p + 1, c);
  set_link(a, x + 2, c);
  a->binmap[b / 64] |= (uint64_t)1 << (b % 64);
  return 0;
}

static BB_COLD BB_NORETURN void bin_corrupt(size_t c) {
  bb_fatal("corrupted bin links", bb_chunk2mem(c));
}

void bb_bin_insert_front(struct bb_arena *a, size_t b, size_t c) {
  size_t s = bb_bin_at(a, b), f;
  if (bin_step(a, b, s, 1, &f) != 0 || link_between(a, b, s, f, c) != 0)
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

static int is_head(size_t c) { return BB_W(c + NFD) != 0; }

/* The head after (dir NFD) or before (NBK) head h on the ring, checked. */
static int ring_step(const struct bb_arena *a, size_t b, size_t h, size_t dir,
                     size_t *out) {
  size_t w;
  if (bb_link_dec(a->k, h + dir, &w) != 0 || w == bb_bin_at(a, b) ||
      !bin_node_ok(a, b, w) || !is_head(w))
    return -1;
  *out = w;
  return 0;
}

/* Put head c on the ring between heads p and x = p's next. */
static int ring_between(struct bb_arena *a, size_t b, size_t p, size_t x,
                        size_t c) {
  size_t back;
  if (ring_step(a, b, x, NBK, &back) != 0 || back != p)
    return -1;
  set_link(a, c + NFD, x);
  set_link(a, c + NBK, p);
  set_link(a, p + NFD, c);
  set_link(a, x + NBK, c);
  return 0;
}

static size_t csize(size_t c) { return bb_h_size(BB_W(c)); }

/* The smallest head of size >= size, or 0; *first gets the ring's start
 * (the smallest head), or 0 for an empty bin. Walks at most one step per
 * distinct size. */
static size_t ring_find(struct bb_arena *a, size_t b, size_t size,
                        size_t *first) {
  size_t s = bb_bin_at(a, b), h;
  if (bin_step(a, b, s, 1, &h) != 0)
    bin_corrupt(s);
  *first = h == s ? 0 : h;
  if (h == s)
    return 0;
  if (!is_head(h))
    bin_corrupt(h);
  for (size_t steps = 0; csize(h) < size; steps++) {
    if (steps > a->nbinned || ring_step(a, b, h, NFD, &h) != 0)
      bin_corrupt(h);
    if (h == *first)
      return 0;
  }
  return h;
}

void bb_bin_insert_sorted(struct bb_arena *a, size_t b, size_t c,
                          size_t size) {
  size_t s = bb_bin_at(a, b), first, h = ring_find(a, b, size, &first), x;
  BB_W(c + NFD) = 0;
  BB_W(c + NBK) = 0;
  if (!first) { /* the only chunk: a ring of one */
    if (link_between(a, b, s, s, c) != 0)
      bin_corrupt(c);
    set_link(a, c + NFD, c);
    set_link(a, c + NBK, c);
    return;
  }
  if (h && csize(h) == size) { /* join its size: right after the head */
    if (bin_step(a, b, h, 1, &x) != 0 || link_between(a, b, h, x, c) != 0)
      bin_corrupt(c);
    return;
  }
  /* A new size: a new head, before h, or after the largest. */
  size_t next = h ? h : s, ring_next = h ? h : first, p, rp;
  if (bin_step(a, b, next, 2, &p) != 0 ||
      ring_step(a, b, ring_next, NBK, &rp) != 0 ||
      link_between(a, b, p, next, c) != 0 ||
      ring_between(a, b, rp, ring_next, c) != 0)
    bin_corrupt(c);
}

/* Best fit in large bin b for nb bytes: the smallest size that fits, and
 * of that size the chunk after the head if there is one (so the ring need
 * not change). Not unlinked; 0 when nothing fits. */
size_t bb_bin_best_fit(struct bb_arena *a, size_t b, size_t nb) {
  size_t first, h = ring_find(a, b, nb, &first), x;
  if (!h)
    return 0;
  if (bin_step(a, b, h, 1, &x) != 0)
    bin_corrupt(h);
  return x != bb_bin_at(a, b) && !is_head(x) ? x : h;
}

/* Unlink chunk c (header already checked) from bin b. Every link is
 * checked before anything is written; a large-bin head hands its place on
 * the ring to the next chunk of its size, or leaves the ring. The links
 * of c are cleared so that no valid encoding of a neighbour stays in user
 * memory. */
void bb_bin_unlink(struct bb_arena *a, size_t c) {
  size_t h = BB_W(c);
  size_t b = bb_h_state(h) == BB_ST_UNSORTED ? BB_UNSORTED
                                              : bb_bin_index(bb_h_size(h));
  size_t fd, bk, x, y, rn = 0, rp = 0;
  if (bin_step(a, b, c, 1, &fd) != 0 || bin_step(a, b, c, 2, &bk) != 0 ||
      bb_link_dec(a->k, fd + 2, &x) != 0 || x != c ||
      bb_link_dec(a->k, bk + 1, &y) != 0 || y != c)
    bin_corrupt(c);
  int head = b >= 64 && is_head(c);
  if (head && (ring_step(a, b, c, NFD, &rn) != 0 ||
               ring_step(a, b, c, NBK, &rp) != 0 ||
               bb_link_dec(a->k, rn + NBK, &x) != 0 || x != c ||
               bb_link_dec(a->k, rp + NFD, &y) != 0 || y != c))
    bin_corrupt(c);
  if (head) {
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
  set_link(a, bk + 1, fd);
  set_link(a, fd + 2, bk);
  BB_W(c + 1) = 0;
  BB_W(c + 2) = 0;
}

/* The oldest chunk of bin b (FIFO: insertion is at the front), unlinked;
 * 0 when the bin is empty. */
size_t bb_bin_take_last(struct bb_arena *a, size_t b) {
  size_t s = bb_bin_at(a, b), c;
  if (bin_step(a, b, s, 2, &c) != 0)
    bin_corrupt(s);
  if (c == s)
    return 0;
  bb_bin_unlink(a, c);
  return c;
}

/* Iteration from the front, checked; 0 at the end. */
size_t bb_bin_first(struct bb_arena *a, size_t b) {
  return bb_bin_next(a, b, bb_bin_at(a, b));
}

size_t bb_bin_next(struct bb_arena *a, size_t b, size_t c) {
  size_t x;
  if (bin_step(a, b, c, 1, &x) != 0)
    bin_corrupt(c);
  return x == bb_bin_at(a, b) ? 0 : x;
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
