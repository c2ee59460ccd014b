/* checker_test: the heap checker reports each invariant by its ID. Every
 * case builds a fresh seeded heap, shows the checker clean, breaks exactly
 * one invariant behind the allocator's back (with the heap's own keys,
 * so that headers stay authentic where the case needs it), and expects
 * that invariant's ID. The IDs are the ones specs/ and check.c use. */
#include <bonbon.h>
#include <string.h>

#include "../test.h"
#include "internal.h"

static bb_heap *h;
static struct bb_arena *ar;

static void fresh_with(const char *options) {
  bb_heap_config cfg = {0};
  cfg.seeded = 1;
  cfg.seed = 99;
  cfg.options = options;
  h = bb_heap_create(&cfg);
  CHECK(h != NULL);
  ar = h->ro->arenas[0];
}

static void fresh(void) { fresh_with(NULL); }

static void expect_clean(void) {
  bb_check_report r;
  CHECKF(bb_heap_check(h, &r) == 0, "not clean before the corruption: %s %s",
         r.invariant, r.detail);
}

static void expect_inv(const char *name, const char *id) {
  bb_check_report r;
  CHECKF(bb_heap_check(h, &r) != 0, "%s: corruption not reported", name);
  CHECKF(strcmp(r.invariant, id) == 0, "%s: expected %s, got %s (%s)", name,
         id, r.invariant, r.detail);
  printf("%-22s -> %s (%s)\n", name, r.invariant, r.detail);
  bb_heap_destroy(h);
}

static size_t chunk(void *p) { return bb_mem2chunk(p); }
static size_t head(void *p) { return BB_W(chunk(p)); }
static void rehead(void *p, size_t state, size_t size) {
  bb_set_head(&h->ro->keys, chunk(p), state, size, 0);
}
static size_t sentinel(size_t b) {
  return (size_t)((uintptr_t)&ar->bins[2 * b] / 8u) - 1u;
}
static void link(size_t slot, size_t v) {
  BB_W(slot) = bb_link_enc(&h->ro->keys, slot, v);
}

/* Two free chunks of n bytes (too big for the thread cache, or on a heap
 * without one) in the unsorted bin, apart. */
static void two_unsorted(size_t n, char **a, char **b) {
  *a = bb_heap_malloc(h, n);
  bb_heap_malloc(h, 16);
  *b = bb_heap_malloc(h, n);
  bb_heap_malloc(h, 16);
  bb_heap_free(h, *a);
  bb_heap_free(h, *b);
}

static void chunk_header(void) {
  fresh();
  char *p = bb_heap_malloc(h, 100);
  expect_clean();
  BB_W(chunk(p)) ^= (size_t)1 << 20;
  expect_inv("chunk_header", "INV-CHUNK-HEADER");
}

static void segment_tiling(void) {
  fresh();
  char *p = bb_heap_malloc(h, 100);
  expect_clean();
  struct bb_segment *s = ar->top_seg;
  size_t fence = s->end;
  BB_W(fence) = bb_h_make(&h->ro->keys, fence, BB_ST_INUSE, 0, 0);
  (void)p;
  expect_inv("segment_tiling", "INV-SEGMENT-TILING");
}

static void boundary_tag(void) {
  fresh();
  char *a, *b;
  two_unsorted(3000, &a, &b);
  expect_clean();
  size_t c = chunk(a), w = bb_h_size(head(a)) / 8;
  link(c + w - 1, bb_h_size(head(a)) - 16); /* footer: wrong size */
  expect_inv("boundary_tag", "INV-BOUNDARY-TAG");
}

static void no_adjacent_free(void) {
  fresh();
  char *a = bb_heap_malloc(h, 3000), *b = bb_heap_malloc(h, 3000);
  bb_heap_malloc(h, 16);
  bb_heap_free(h, a);
  expect_clean();
  rehead(b, BB_ST_UNSORTED, bb_h_size(head(b))); /* b "free" beside a */
  expect_inv("no_adjacent_free", "INV-NO-ADJACENT-FREE");
}

static void top(void) {
  fresh();
  bb_heap_malloc(h, 100);
  expect_clean();
  size_t t = ar->top;
  bb_set_head(&h->ro->keys, t, BB_ST_TOP, bb_h_size(BB_W(t)) - 64, 0);
  expect_inv("top", "INV-TOP");
}

static void bin_links(void) {
  fresh();
  char *a, *b;
  two_unsorted(3000, &a, &b);
  expect_clean();
  link(chunk(b) + 2, chunk(b)); /* b's bk names b itself */
  expect_inv("bin_links", "INV-BIN-LINKS");
}

static void bin_index(void) {
  fresh_with("tcache_count=0"); /* frees go straight to the bins */
  char *a, *b;
  two_unsorted(600, &a, &b);
  bb_heap_malloc(h, 5000); /* a and b sorted into their small bin */
  expect_clean();
  rehead(a, BB_ST_UNSORTED, bb_h_size(head(a)));
  expect_inv("bin_index", "INV-BIN-INDEX");
}

static void bin_sorted(void) {
  fresh();
  char *a = bb_heap_malloc(h, 20000);
  bb_heap_malloc(h, 16);
  char *b = bb_heap_malloc(h, 20200); /* same bin: 16 KiB..20 KiB */
  bb_heap_malloc(h, 16);
  bb_heap_free(h, a);
  bb_heap_free(h, b);
  bb_heap_malloc(h, 30000); /* both into one large bin: a then b */
  expect_clean();
  size_t ca = chunk(a), cb = chunk(b);
  size_t bin = 0;
  for (size_t i = 64; i < BB_NBINS; i++)
    if (ar->binmap[i / 64] >> (i % 64) & 1)
      bin = i;
  CHECK(bin != 0);
  size_t s = sentinel(bin);
  link(s + 1, cb); /* relink as b, a: descending */
  link(cb + 1, ca);
  link(ca + 1, s);
  link(s + 2, ca);
  link(ca + 2, cb);
  link(cb + 2, s);
  expect_inv("bin_sorted", "INV-BIN-SORTED");
}

static void bin_membership(void) {
  fresh();
  char *a, *b;
  two_unsorted(3000, &a, &b);
  expect_clean();
  size_t s = sentinel(BB_UNSORTED); /* unsorted: s <-> b <-> a <-> s */
  link(s + 1, chunk(a));          /* drop b from the list */
  link(chunk(a) + 2, s);
  expect_inv("bin_membership", "INV-BIN-MEMBERSHIP");
}

static void binmap(void) {
  fresh();
  char *a, *b;
  two_unsorted(3000, &a, &b);
  expect_clean();
  ar->binmap[0] &= ~((uint64_t)1 << BB_UNSORTED);
  expect_inv("binmap", "INV-BINMAP");
}

static void fastbin_list(void) {
  fresh_with("tcache_count=0"); /* frees go straight to the fast bins */
  char *p[4];
  for (int i = 0; i < 4; i++)
    p[i] = bb_heap_malloc(h, 40);
  for (int i = 0; i < 4; i++)
    bb_heap_free(h, p[i]);
  expect_clean();
  rehead(p[3], BB_ST_INUSE, bb_h_size(head(p[3])));
  expect_inv("fastbin_list", "INV-FASTBIN-LIST");
}

static void tcache_list(void) {
  fresh();
  char *p = bb_heap_malloc(h, 40);
  bb_heap_free(h, p);
  expect_clean();
  h->ictx.count[bb_tc_class(bb_h_size(head(p)))]++;
  expect_inv("tcache_list", "INV-TCACHE-LIST");
}

static void mapped(void) {
  fresh();
  char *p = bb_heap_malloc(h, 8 << 20);
  expect_clean();
  BB_W(chunk(p)) = bb_h_make(&h->ro->keys, chunk(p), BB_ST_INUSE, 4096, 0);
  expect_inv("mapped", "INV-MAPPED");
}

static void accounting(void) {
  fresh();
  char *a, *b;
  two_unsorted(3000, &a, &b);
  expect_clean();
  ar->binned += 16;
  expect_inv("accounting", "INV-ACCOUNTING");
}

int main(void) {
  chunk_header();
  segment_tiling();
  boundary_tag();
  no_adjacent_free();
  top();
  bin_links();
  bin_index();
  bin_sorted();
  bin_membership();
  binmap();
  fastbin_list();
  tcache_list();
  mapped();
  accounting();
  printf("checker_test: every invariant reported by its ID\n");
  return 0;
}
