/* random_ops: randomized malloc/calloc/realloc/memalign/free sequences on
 * seeded heap instances, against a model of every live block, with the
 * heap checker after every operation.
 *
 * usage: random_ops [total-ops [seeds]]   (default 1000000 ops, 8 seeds)
 *
 * The model checks: alignment, usable size >= request, no overlap between
 * live blocks, contents intact until free (every byte of small blocks, a
 * head and tail window of big ones), realloc keeps min(old, new) bytes,
 * calloc memory is zero, and after freeing everything the heap is empty.
 * Every other heap runs with a quarantine (BONBON_OPTIONS syntax). */
#include <bonbon.h>
#include <errno.h>
#include <string.h>

#include "../test.h"

#define SLOTS 384
#define WINDOW 512

struct slot {
  unsigned char *p;
  size_t n, align;
  uint64_t seed;
};

static struct slot slots[SLOTS];
static bb_heap *heap;
static uint64_t rng;
static unsigned long op_no;

static void fill(struct slot *s) {
  if (s->n <= 2 * WINDOW) {
    t_fill(s->p, s->n, s->seed);
  } else {
    t_fill(s->p, WINDOW, s->seed);
    t_fill(s->p + s->n - WINDOW, WINDOW, s->seed ^ 0xabcdef);
  }
}

/* Check the first n bytes that fill() wrote (all of them: n == s->n). */
static void verify(const struct slot *s, size_t n) {
  if (n > s->n)
    n = s->n;
  if (s->n <= 2 * WINDOW) {
    size_t bad = t_verify(s->p, n, s->seed);
    CHECKF(bad == n, "op %lu: block %p (%zu bytes) byte %zu changed", op_no,
           (void *)s->p, s->n, bad);
  } else {
    size_t h = n < WINDOW ? n : WINDOW;
    CHECKF(t_verify(s->p, h, s->seed) == h, "op %lu: head", op_no);
    if (n == s->n)
      CHECKF(t_verify(s->p + n - WINDOW, WINDOW, s->seed ^ 0xabcdef) ==
                 WINDOW,
             "op %lu: tail", op_no);
  }
}

static void check_new(unsigned char *p, size_t n, size_t align, int self) {
  CHECKF(p != NULL, "op %lu: allocation of %zu failed", op_no, n);
  CHECKF((uintptr_t)p % (align > 16 ? align : 16) == 0,
         "op %lu: %p not aligned to %zu", op_no, (void *)p, align);
  CHECKF(bb_heap_usable_size(heap, p) >= n, "op %lu: usable < %zu", op_no, n);
  CHECKF(bb_heap_owns(heap, p, n ? n : 1), "op %lu: block outside the heap",
         op_no);
  for (int i = 0; i < SLOTS; i++) {
    const struct slot *o = &slots[i];
    if (!o->p || i == self)
      continue;
    CHECKF(p + n <= o->p || o->p + o->n <= p,
           "op %lu: [%p,+%zu) overlaps live [%p,+%zu)", op_no, (void *)p, n,
           (void *)o->p, o->n);
  }
}

static size_t pick_size(void) {
  static const size_t edges[] = {0,     1,      24,     25,      120,
                                 121,   1008,   1009,   1032,    1033,
                                 3072,  10752,  65536,  131071,  131072,
                                 131073, 262144, 1 << 20};
  unsigned r = (unsigned)(t_rand(&rng) % 100);
  if (r < 55)
    return t_rand(&rng) % 1100;
  if (r < 80)
    return 1100 + t_rand(&rng) % 70000;
  if (r < 88)
    return 70000 + t_rand(&rng) % 600000;
  size_t e = edges[t_rand(&rng) % (sizeof edges / sizeof *edges)];
  return e + t_rand(&rng) % 5 - (e >= 2 ? 2 : 0);
}

static void release(struct slot *s) {
  verify(s, s->n);
  bb_heap_free(heap, s->p);
  s->p = NULL;
}

static void one_op(void) {
  struct slot *s = &slots[t_rand(&rng) % SLOTS];
  int self = (int)(s - slots);
  unsigned op = (unsigned)(t_rand(&rng) % 100);
  if (s->p && op < 35) {
    release(s);
  } else if (s->p && op < 55) { /* realloc: grow, shrink, or to 0 */
    verify(s, s->n);
    size_t n = op < 54 ? pick_size() : 0;
    unsigned char *q = bb_heap_realloc(heap, s->p, n);
    if (n == 0) {
      CHECK(q == NULL);
      s->p = NULL;
      return;
    }
    check_new(q, n, 16, self);
    size_t keep = s->n < n ? s->n : n;
    s->p = q;
    verify(s, keep);
    s->n = n;
    s->align = 16;
    s->seed = t_rand(&rng);
    fill(s);
  } else if (s->p) {
    verify(s, s->n);
  } else {
    size_t n = pick_size(), align = 16;
    if (op < 15) {
      unsigned char *p = bb_heap_calloc(heap, 1, n);
      check_new(p, n, 16, self);
      for (size_t i = 0; i < n; i++)
        CHECKF(p[i] == 0, "op %lu: calloc byte %zu", op_no, i);
      s->p = p;
    } else if (op < 25) {
      align = (size_t)32 << (t_rand(&rng) % 12);
      s->p = bb_heap_memalign(heap, align, n);
      check_new(s->p, n, align, self);
    } else {
      s->p = bb_heap_malloc(heap, n);
      check_new(s->p, n, 16, self);
    }
    s->n = n;
    s->align = align;
    s->seed = t_rand(&rng);
    fill(s);
  }
  if (t_rand(&rng) % 5000 == 0)
    bb_heap_trim(heap, t_rand(&rng) % 100000);
}

static void check_heap(void) {
  bb_check_report r;
  CHECKF(bb_heap_check(heap, &r) == 0, "op %lu: %s at %p: %s", op_no,
         r.invariant, r.addr, r.detail);
}

int main(int argc, char **argv) {
  unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
  unsigned long seeds = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
  unsigned long done = 0;
  for (unsigned long sd = 1; sd <= seeds; sd++) {
    bb_heap_config cfg = {0};
    cfg.seeded = 1;
    cfg.seed = sd * 7919;
    /* Every other heap also has a quarantine and zeroes up to 1 MiB. */
    cfg.options = sd % 2 ? NULL : "quarantine_kb=128:zero_max_kb=1024";
    heap = bb_heap_create(&cfg);
    CHECK(heap != NULL);
    rng = sd * 0x9e3779b97f4a7c15ull;
    memset(slots, 0, sizeof slots);
    for (unsigned long i = 0; i < total / seeds; i++, op_no++) {
      one_op();
      check_heap();
      done++;
    }
    for (int i = 0; i < SLOTS; i++)
      if (slots[i].p)
        release(&slots[i]);
    check_heap();
    CHECKF(bb_heap_is_empty(heap), "seed %lu: heap not empty after freeing",
           sd);
    check_heap();
    bb_heap_destroy(heap);
  }
  printf("random_ops: %lu operations, heap checker after each: clean\n",
         done);
  return 0;
}
