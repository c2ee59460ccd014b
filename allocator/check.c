/* check.c: the heap checker. It walks every segment, bin, fast bin, the
 * caller's thread cache and the mapped-chunk table, and returns the first
 * violated invariant by its ID. The IDs are the names of the ACSL
 * predicates in specs/ and of the tests that break them:
 *
 *   INV-CHUNK-HEADER     every header's check matches; size >= MINSIZE, a
 *                        multiple of 16; a state allowed where it is
 *   INV-SEGMENT-TILING   chunks tile [first, end) exactly; a valid fence
 *                        ends the segment; the registry maps it
 *   INV-BOUNDARY-TAG     every binned chunk's footer encodes its size
 *   INV-NO-ADJACENT-FREE no two neighbours are both binned or top
 *   INV-TOP              one top per arena, the last chunk of its segment
 *   INV-BIN-LINKS        bin lists agree in both directions
 *   INV-BIN-INDEX        each listed chunk is in the bin for its size (or
 *                        the unsorted bin) and in that bin's state
 *   INV-BIN-SORTED       large bins ascend by size
 *   INV-BIN-MEMBERSHIP   every binned chunk is listed exactly once
 *   INV-BINMAP           a non-empty bin has its binmap bit set
 *   INV-FASTBIN-LIST     fast-bin chunks are FAST, of the bin's size
 *   INV-TCACHE-LIST      cached chunks are TCACHE, of the class's size,
 *                        as many as counted
 *   INV-MAPPED           each mapped chunk's header matches its record
 *   INV-ACCOUNTING       the arena's byte counters equal the chunk sums
 *
 * It never aborts and never follows a link before checking that it lands
 * in a committed segment of the right arena. */
#include "internal.h"

struct walk {
  struct bb_heap *h;
  bb_check_report *r;
};

static int fail(struct walk *w, const char *inv, size_t c, const char *d) {
  w->r->invariant = inv;
  w->r->addr = bb_chunk2mem(c);
  w->r->detail = d;
  return -1;
}

/* v is a chunk index inside a committed segment of arena a. */
static int in_arena(struct walk *w, struct bb_arena *a, size_t v) {
  if (v % 2 == 0 || v >= BB_INDEX_LIMIT)
    return 0;
  struct bb_segment *s = bb_segment_of(w->h, (uintptr_t)v * 8u);
  return s && s->arena == a && v >= s->first && v < s->end;
}

struct sums {
  size_t binned, nbinned, fast, nfast, system;
};

static int walk_segment(struct walk *w, struct bb_arena *a,
                        struct bb_segment *s, struct sums *m, int *top_seen) {
  const struct bb_keys *k = &w->h->ro->keys;
  if (bb_segment_of(w->h, s->base) != s)
    return fail(w, "INV-SEGMENT-TILING", s->first, "segment not registered");
  m->system += s->used - w->h->ro->page;
  int prev_free = 0;
  size_t c = s->first;
  while (c < s->end) {
    size_t x = BB_W(c), size = bb_h_size(x), st = bb_h_state(x);
    if (!bb_h_ok(k, c, x))
      return fail(w, "INV-CHUNK-HEADER", c, "check bits do not match");
    if (size < BB_MINSIZE)
      return fail(w, "INV-CHUNK-HEADER", c, "size below the minimum");
    if (st != BB_ST_INUSE && st != BB_ST_TCACHE && st != BB_ST_FAST &&
        !BB_IS_BINNED(st) && st != BB_ST_TOP && st != BB_ST_QUARANTINE)
      return fail(w, "INV-CHUNK-HEADER", c, "state not allowed in a segment");
    if (size / 8 > s->end - c)
      return fail(w, "INV-SEGMENT-TILING", c, "chunk runs past the fence");
    int is_free = BB_IS_BINNED(st) || st == BB_ST_TOP;
    if (is_free && prev_free)
      return fail(w, "INV-NO-ADJACENT-FREE", c, "two free neighbours");
    if (BB_IS_BINNED(st)) {
      size_t f;
      if (bb_link_dec(k, c + size / 8 - 1, &f) != 0 || f != size)
        return fail(w, "INV-BOUNDARY-TAG", c, "footer does not match");
      m->binned += size;
      m->nbinned++;
    } else if (st == BB_ST_FAST) {
      m->fast += size;
      m->nfast++;
    } else if (st == BB_ST_TOP) {
      if (c != a->top || s != a->top_seg || c + size / 8 != s->end)
        return fail(w, "INV-TOP", c, "top is not the arena's last chunk");
      *top_seen = 1;
    }
    prev_free = is_free;
    c += size / 8;
  }
  size_t fh = BB_W(s->end);
  if (c != s->end || !bb_h_ok(k, s->end, fh) ||
      bb_h_state(fh) != BB_ST_FENCE || s->end > s->limit)
    return fail(w, "INV-SEGMENT-TILING", s->end, "missing or bad fence");
  return 0;
}

/* Large bins: the first chunk of each size (a head) is on the ring of
 * sizes, whose links agree in both directions; the others are not. */
static int check_ring(struct walk *w, size_t v, int head) {
  const struct bb_keys *k = &w->h->ro->keys;
  size_t nf, back;
  if (!head)
    return BB_W(v + 3) == 0 && BB_W(v + 4) == 0
               ? 0
               : fail(w, "INV-BIN-SORTED", v, "a non-first chunk on the ring");
  if (bb_link_dec(k, v + 3, &nf) != 0 || nf % 2 == 0 ||
      bb_segment_of(w->h, (uintptr_t)nf * 8u) == NULL ||
      bb_link_dec(k, nf + 4, &back) != 0 || back != v)
    return fail(w, "INV-BIN-SORTED", v, "size ring links disagree");
  return 0;
}

static int walk_bin(struct walk *w, struct bb_arena *a, size_t b,
                    size_t limit, size_t *listed) {
  const struct bb_keys *k = &w->h->ro->keys;
  size_t s = bb_bin_at(a, b), prev = s, v, n = 0, last_size = 0;
  size_t want = b == BB_UNSORTED ? BB_ST_UNSORTED : BB_ST_BIN;
  for (;;) {
    if (bb_link_dec(k, prev + 1, &v) != 0)
      return fail(w, "INV-BIN-LINKS", prev, "forward link does not decode");
    if (v == s)
      break;
    if (++n > limit || !in_arena(w, a, v))
      return fail(w, "INV-BIN-LINKS", prev, "link leaves the arena");
    size_t x = BB_W(v), back;
    if (!bb_h_ok(k, v, x) || bb_h_state(x) != want)
      return fail(w, "INV-BIN-INDEX", v, "listed chunk not in the bin's state");
    if (b != BB_UNSORTED && bb_bin_index(bb_h_size(x)) != b)
      return fail(w, "INV-BIN-INDEX", v, "chunk in the wrong bin");
    if (bb_link_dec(k, v + 2, &back) != 0 || back != prev)
      return fail(w, "INV-BIN-LINKS", v, "back link does not agree");
    if (b >= 64 && bb_h_size(x) < last_size)
      return fail(w, "INV-BIN-SORTED", v, "large bin out of order");
    if (b >= 64 && check_ring(w, v, bb_h_size(x) != last_size) != 0)
      return -1;
    last_size = bb_h_size(x);
    prev = v;
  }
  size_t back;
  if (bb_link_dec(k, s + 2, &back) != 0 || back != prev)
    return fail(w, "INV-BIN-LINKS", s, "sentinel's back link");
  if (n && !(a->binmap[b / 64] >> (b % 64) & 1))
    return fail(w, "INV-BINMAP", s, "non-empty bin not in the binmap");
  *listed += n;
  return 0;
}

static int walk_fast(struct walk *w, struct bb_arena *a, size_t *nf) {
  const struct bb_keys *k = &w->h->ro->keys;
  for (size_t fi = 0; fi < BB_NFAST; fi++) {
    size_t v = a->fast[fi], n = 0;
    while (v) {
      if (++n > a->nfastc || !in_arena(w, a, v))
        return fail(w, "INV-FASTBIN-LIST", v, "link leaves the arena");
      size_t x = BB_W(v);
      if (!bb_h_ok(k, v, x) || bb_h_state(x) != BB_ST_FAST ||
          bb_h_size(x) != (fi + 2) * 16)
        return fail(w, "INV-FASTBIN-LIST", v, "chunk not FAST of this size");
      if (bb_link_dec(k, v + 1, &v) != 0)
        return fail(w, "INV-FASTBIN-LIST", v, "link does not decode");
    }
    *nf += n;
  }
  return 0;
}

static int check_arena(struct walk *w, struct bb_arena *a) {
  struct sums m = {0, 0, 0, 0, 0};
  int top_seen = 0;
  size_t listed = 0, nf = 0;
  for (struct bb_segment *s = a->segs; s; s = s->next)
    if (walk_segment(w, a, s, &m, &top_seen) != 0)
      return -1;
  if (a->top && !top_seen)
    return fail(w, "INV-TOP", a->top, "top chunk not found");
  for (size_t b = 1; b < BB_NBINS - 1; b++)
    if (walk_bin(w, a, b, m.nbinned, &listed) != 0)
      return -1;
  if (listed != m.nbinned)
    return fail(w, "INV-BIN-MEMBERSHIP", a->top, "a free chunk is in no bin");
  if (walk_fast(w, a, &nf) != 0)
    return -1;
  if (nf != m.nfast)
    return fail(w, "INV-FASTBIN-LIST", a->top, "a FAST chunk is in no list");
  if (m.binned != a->binned || m.nbinned != a->nbinned ||
      m.fast != a->fastbytes || m.nfast != a->nfastc || m.system != a->system)
    return fail(w, "INV-ACCOUNTING", a->top, "counters differ from chunks");
  return 0;
}

static int check_tcache(struct walk *w, struct bb_tctx *t) {
  const struct bb_keys *k = &w->h->ro->keys;
  for (size_t cls = 0; cls < BB_TCACHE_CLASSES; cls++) {
    size_t v = t->head[cls], n = 0;
    while (v) {
      struct bb_segment *s = bb_segment_of(w->h, (uintptr_t)v * 8u);
      if (++n > t->count[cls] || v % 2 == 0 || !s || v < s->first ||
          v >= s->end)
        return fail(w, "INV-TCACHE-LIST", v, "link leaves the heap");
      size_t x = BB_W(v);
      if (!bb_h_ok(k, v, x) || bb_h_state(x) != BB_ST_TCACHE ||
          bb_h_size(x) != (cls + 2) * 16)
        return fail(w, "INV-TCACHE-LIST", v, "chunk not TCACHE of this size");
      if (bb_link_dec(k, v + 1, &v) != 0)
        return fail(w, "INV-TCACHE-LIST", v, "link does not decode");
    }
    if (n != t->count[cls])
      return fail(w, "INV-TCACHE-LIST", t->head[cls], "count differs");
  }
  return 0;
}

static int check_mapped(struct walk *w) {
  struct bb_heap *h = w->h;
  size_t n = 0, bytes = 0;
  int rc = 0;
  bb_lock(&h->map_lock);
  for (size_t i = 0; i < h->mcap && rc == 0; i++) {
    const struct bb_mrec *r = &h->mtab[i];
    if (!r->mem)
      continue;
    size_t c = bb_mem2chunk((void *)r->mem), x = BB_W(c);
    if (r->mem < r->base + BB_ALIGN || r->mem - r->base >= r->len ||
        r->len - (r->mem - r->base) < r->req || !bb_h_ok(&h->ro->keys, c, x) ||
        bb_h_state(x) != BB_ST_MAPPED)
      rc = fail(w, "INV-MAPPED", c, "header or record inconsistent");
    n++;
    bytes += r->len;
  }
  if (rc == 0 && (n != h->mcount || bytes != h->mbytes))
    rc = fail(w, "INV-MAPPED", 0, "record counters differ");
  bb_unlock(&h->map_lock);
  return rc;
}

int bb_heap_check(bb_heap *h, bb_check_report *report) {
  bb_check_report dummy;
  struct walk w = {h, report ? report : &dummy};
  w.r->invariant = NULL;
  w.r->addr = NULL;
  w.r->detail = NULL;
  unsigned na = __atomic_load_n(&h->narenas, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < na; i++) {
    struct bb_arena *a = h->ro->arenas[i];
    bb_lock(&a->lock);
    int rc = check_arena(&w, a);
    bb_unlock(&a->lock);
    if (rc)
      return -1;
  }
  struct bb_tctx *t = h->ro->process ? bb_tls_ctx : &h->ictx;
  if (t && t->heap == h && check_tcache(&w, t) != 0)
    return -1;
  return check_mapped(&w);
}

/* Empty: after the caller's cache is flushed and the fast bins are
 * consolidated, no mapped chunk remains and every segment is one free
 * chunk (the top, or a binned chunk). */
int bb_heap_is_empty(bb_heap *h) {
  struct bb_tctx *t = h->ro->process ? bb_tls_ctx : &h->ictx;
  if (t && t->heap == h)
    bb_tcache_flush(t);
  int empty = h->mcount == 0;
  unsigned na = __atomic_load_n(&h->narenas, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < na && empty; i++) {
    struct bb_arena *a = h->ro->arenas[i];
    bb_lock(&a->lock);
    bb_arena_consolidate(a);
    for (struct bb_segment *s = a->segs; s && empty; s = s->next) {
      size_t x = BB_W(s->first), st = bb_h_state(x);
      empty = (st == BB_ST_TOP || BB_IS_BINNED(st)) &&
              s->first + bb_h_size(x) / 8 == s->end;
    }
    bb_unlock(&a->lock);
  }
  return empty;
}
